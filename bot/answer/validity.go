package answer

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/policybot/policybot/corpus"
)

// notes says, once per cited document, whether its stated period has
// ended: the documents are from 2008–2018 and users ask today. A clause
// can outlive or predate its document's period, so the notes also cover
// the periods a cited clause states itself (自2018年1月1日至2020年12月31日,
// 延长至2020年4月30日) and the documents it names by number (an
// interpretation quoting 财税〔2018〕54号).
func (p *Pipeline) notes(cites []Citation) []string {
	byDoc := map[string][]int{}
	var order []string
	for _, c := range cites {
		if _, ok := byDoc[c.DocID]; !ok {
			order = append(order, c.DocID)
		}
		byDoc[c.DocID] = append(byDoc[c.DocID], c.N)
	}
	var out []string
	for _, id := range order {
		doc, ok := p.lib.Document(id)
		if !ok {
			continue
		}
		out = append(out, refs(byDoc[id])+p.validity(doc))
	}
	seen := map[string]bool{}
	for _, c := range cites {
		for _, n := range p.clauseNotes(c) {
			if !seen[n] {
				seen[n] = true
				out = append(out, fmt.Sprintf("[%d]%s", c.N, n))
			}
		}
	}
	return out
}

// clauseEndRe finds the end of a period a clause states: 至2020年12月31日,
// 延长至2020年4月30日, 截至2018年底 is left alone (it is a date, not a period).
var clauseEndRe = regexp.MustCompile(`(?:自|在)?\s*\d{4}年\d{1,2}月\d{1,2}日(?:起)?\s*至\s*(\d{4})年(\d{1,2})月(\d{1,2})日|(?:期限|期)延长至\s*(\d{4})年(\d{1,2})月(\d{1,2})日`)

// clauseNotes are the validity notes a clause's own text calls for.
func (p *Pipeline) clauseNotes(c Citation) []string {
	var out []string
	doc, _ := p.lib.Document(c.DocID)
	now := p.opts.Now()
	// Documents the clause names by number; their periods are noted with
	// their names, so a clause period ending the same day is not repeated.
	text := corpus.FoldDocNo(c.Text)
	var named []corpus.Document
	ends := map[string]bool{doc.EffectiveUntil: true}
	for _, ref := range p.numbered {
		if ref.ID != c.DocID && ref.EffectiveUntil != "" && strings.Contains(text, corpus.FoldDocNo(ref.DocNo)) {
			named = append(named, ref)
			ends[ref.EffectiveUntil] = true
		}
	}
	for _, m := range clauseEndRe.FindAllStringSubmatch(c.Text, -1) {
		y, mo, d := m[1], m[2], m[3]
		if y == "" {
			y, mo, d = m[4], m[5], m[6]
		}
		end, err := time.Parse("2006-1-2", y+"-"+mo+"-"+d)
		if err != nil || ends[end.Format(time.DateOnly)] {
			// Noted already, with the document it belongs to.
			continue
		}
		if now.After(end.AddDate(0, 0, 1)) {
			out = append(out, fmt.Sprintf("条款所述期限已于%s结束。", chineseDate(end.Format(time.DateOnly))))
		}
	}
	for _, ref := range named {
		if ref.Expired(now) {
			out = append(out, fmt.Sprintf("条款所述%s的执行期限已于%s结束。", ref.Cite(), chineseDate(ref.EffectiveUntil)))
		} else {
			out = append(out, fmt.Sprintf("条款所述%s的执行期限至%s。", ref.Cite(), chineseDate(ref.EffectiveUntil)))
		}
	}
	return out
}

func refs(ns []int) string {
	var b strings.Builder
	for _, n := range ns {
		fmt.Fprintf(&b, "[%d]", n)
	}
	return b.String()
}

// validity is one sentence on a document's period, judged against now.
func (p *Pipeline) validity(d corpus.Document) string {
	ask := p.askWhere(d)
	switch {
	case d.EffectiveUntil != "" && d.Expired(p.opts.Now()):
		return fmt.Sprintf("该文件规定的执行期限已于%s结束，现行政策请向%s确认。", chineseDate(d.EffectiveUntil), ask)
	case d.EffectiveUntil != "":
		return fmt.Sprintf("该文件规定的执行期限至%s。", chineseDate(d.EffectiveUntil))
	default:
		when := fmt.Sprintf("未载明发布日期（收录于%d年的汇编）", p.lib.Scope().Compiled)
		if y := d.Year(); y > 0 {
			when = fmt.Sprintf("发布于%d年", y)
		}
		return fmt.Sprintf("该文件%s，未写明有效期，距今已久，请向%s确认是否仍然有效。", when, ask)
	}
}

// askWhere names who can confirm the current policy: for tax, the tax
// office and its 12366 line; otherwise the department that interprets
// the document's domain, else the issuer.
func (p *Pipeline) askWhere(d corpus.Document) string {
	if d.Domain == "税务" {
		return "主管税务机关（12366纳税服务热线）"
	}
	if dep := p.departments[d.Domain]; dep != "" {
		return dep
	}
	if d.Issuer != "" {
		return strings.Fields(d.Issuer)[0]
	}
	return "发文部门"
}

func (p *Pipeline) issuedText(d corpus.Document) string {
	if d.Issued != "" {
		return chineseDate(d.Issued)
	}
	if y := d.Year(); y > 0 {
		return fmt.Sprintf("%d年", y)
	}
	return fmt.Sprintf("未载明日期（收录于%d年的汇编）", p.lib.Scope().Compiled)
}

// chineseDate renders 2020-12-31 as 2020年12月31日.
func chineseDate(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}
