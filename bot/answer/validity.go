package answer

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/policybot/policybot/corpus"
)

// notes says, once per cited document, whether its stated period has
// ended: the documents may be years old and users ask today. A clause can
// outlive or predate its document's period, so the notes also word what
// a cited clause's own text brings in (corpus.Library.ClauseValidity): the
// periods it states and the documents it names by number.
func (p *Pipeline) notes(cites []Citation) []string {
	// The status line of the answer's head says where each citation
	// stands; the notes add whom to ask, once per office, and what a
	// clause brings in beyond the status it was given.
	var out []string
	var ns []int
	var asks []string
	seenAsk := map[string]bool{}
	for _, c := range cites {
		doc, ok := p.lib.Document(c.DocID)
		if !ok || c.Validity.Status == corpus.StatusInForce && !c.Validity.EndsSoon {
			// A period that runs on needs no one to confirm it; one about
			// to end may be renewed, or not.
			continue
		}
		ns = append(ns, c.N)
		if w := p.askWhere(doc); !seenAsk[w] {
			seenAsk[w] = true
			asks = append(asks, w)
		}
	}
	if len(asks) > 0 {
		out = append(out, fmt.Sprintf("%s现行政策请向%s确认。", refs(ns), strings.Join(asks, "或")))
	}
	partsSaid := map[string]bool{}
	// A document yet to take effect is said so once, for all the clauses
	// cited from it.
	starting := map[string][]int{}
	for _, c := range cites {
		if c.Validity.Starts != "" {
			starting[c.DocID+"\x00"+c.Validity.Starts] = append(starting[c.DocID+"\x00"+c.Validity.Starts], c.N)
		}
	}
	for _, c := range cites {
		if c.Validity.Repealed {
			out = append(out, fmt.Sprintf("[%d]%s已被%s废止，现行规定以该文件为准。", c.N, cmp.Or(partOf(c.Validity), "该文件"), c.Validity.Because))
		}
		if c.Validity.Amended {
			out = append(out, fmt.Sprintf("[%d]%s已被%s修改，现行规定以修改后的条文为准。", c.N, partOf(c.Validity), c.Validity.Because))
		}
		// A clause of a document that lost another part still stands,
		// but whoever applies the document needs to know; so does one a
		// later version may have replaced without saying so.
		if doc, ok := p.lib.Document(c.DocID); ok && !partsSaid[c.DocID] {
			partsSaid[c.DocID] = true
			if doc.Newer != "" && !c.Validity.Repealed {
				out = append(out, fmt.Sprintf("[%d]另有同名的较新文件%s（%s发布），请核对本文件是否已被取代。", c.N, compactCite(doc.Newer), chineseDate(doc.NewerIssued)))
			}
			for _, pr := range doc.PartsChanged {
				if pr.Part == c.Validity.Part && (c.Validity.Repealed || c.Validity.Amended) || !pr.InForce(p.opts.Now()) {
					continue
				}
				out = append(out, fmt.Sprintf("[%d]该文件%s已被%s%s。", c.N, pr.Part, compactCite(pr.By), pr.Verb()))
			}
		}
		if key := c.DocID + "\x00" + c.Validity.Starts; c.Validity.Starts != "" && starting[key] != nil {
			out = append(out, fmt.Sprintf("%s该文件自%s起施行，此前尚不能按其享受。", refs(starting[key]), chineseDate(c.Validity.Starts)))
			delete(starting, key)
		}
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

// clauseNotes words the validity a clause's own text brings in. A period
// the clause states is worded only once it has ended: while it runs, the
// clause says so itself. A document it names is worded either way, since
// the clause does not say how long that one runs.
func (p *Pipeline) clauseNotes(c Citation) []string {
	var out []string
	// The ended periods the clause states are worded in one sentence: the
	// quoted measure's own, when the status line gives another (its
	// document's, which ended first), and the clause's other measures'.
	own := map[string]bool{}
	if c.part != "" {
		for _, v := range p.lib.ClauseValidity(c.chunk(c.part), p.opts.Now()) {
			if v.Because == corpus.BecauseClause {
				own[v.Until] = true
			}
		}
	}
	var ended, ownEnded []string
	endedAt := -1
	for _, v := range p.lib.ClauseValidity(c.chunk(c.Text), p.opts.Now()) {
		if v == c.Validity {
			// The answer's status line says it already.
			continue
		}
		switch {
		case v.Repealed:
			out = append(out, fmt.Sprintf("%s已被%s废止。", partOf(v), compactCite(v.Because)))
		case v.Amended:
			out = append(out, fmt.Sprintf("%s已被%s修改。", partOf(v), compactCite(v.Because)))
		case v.Because == corpus.BecauseClause:
			if v.Status == corpus.StatusExpired {
				if endedAt < 0 {
					endedAt = len(out)
					out = append(out, "")
				}
				if own[v.Until] {
					ownEnded = append(ownEnded, chineseDate(v.Until))
				} else {
					ended = append(ended, chineseDate(v.Until))
				}
			}
		case v.Restates && v.Status == corpus.StatusExpired:
			out = append(out, fmt.Sprintf("条款与%s所载措施相同，该文件执行期限已于%s结束。", compactCite(v.Because), chineseDate(v.Until)))
		case v.Restates:
			continue
		case v.Status == corpus.StatusExpired:
			out = append(out, fmt.Sprintf("条款所述%s的执行期限已于%s结束。", compactCite(v.Because), chineseDate(v.Until)))
		case v.Status == corpus.StatusInForce:
			out = append(out, fmt.Sprintf("条款所述%s的执行期限至%s。", compactCite(v.Because), chineseDate(v.Until)))
		}
	}
	if endedAt >= 0 {
		var say []string
		if len(ownEnded) > 0 {
			say = append(say, fmt.Sprintf("所引措施的期限已于%s结束。", strings.Join(ownEnded, "、")))
		}
		if len(ended) > 0 {
			what := "条款所述期限"
			if c.part != "" {
				what = "条款中其他措施的期限"
			}
			say = append(say, fmt.Sprintf("%s已于%s结束。", what, strings.Join(ended, "、")))
		}
		out[endedAt] = strings.Join(say, "")
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
	v := d.Validity(p.opts.Now())
	switch {
	case v.Status == corpus.StatusExpired:
		return fmt.Sprintf("该文件规定的执行期限已于%s结束，现行政策请向%s确认。", chineseDate(v.Until), p.askWhere(d))
	case v.Starts != "" && v.Status == corpus.StatusInForce:
		return fmt.Sprintf("该文件自%s起施行，尚未生效，执行期限至%s。", chineseDate(v.Starts), chineseDate(v.Until))
	case v.Starts != "":
		return fmt.Sprintf("该文件自%s起施行，尚未生效。", chineseDate(v.Starts))
	case v.Status == corpus.StatusInForce && v.EndsSoon:
		return fmt.Sprintf("该文件规定的执行期限至%s，即将到期，到期后是否延续请向%s确认。", chineseDate(v.Until), p.askWhere(d))
	case v.Status == corpus.StatusInForce:
		return fmt.Sprintf("该文件规定的执行期限至%s。", chineseDate(v.Until))
	default:
		when := "未载明发布日期" + compiledNote(d.Compiled)
		y := d.Year()
		if y > 0 {
			when = fmt.Sprintf("发布于%d年", y)
		}
		// How old it is, when that is known and long enough to matter:
		// a notice of last year without a period is no old one.
		age := ""
		if y = cmp.Or(y, d.Compiled); y > 0 && p.opts.Now().Year()-y >= oldYears {
			age = "，距今已久"
		}
		return fmt.Sprintf("该文件%s，未写明有效期%s，请向%s确认是否仍然有效。", when, age, p.askWhere(d))
	}
}

// chunk is the citation's clause as the corpus knows it, with text for
// its text: what ClauseValidity reads.
func (c Citation) chunk(text string) corpus.Chunk {
	return corpus.Chunk{DocID: c.DocID, Label: c.Clause, Text: text}
}

// oldYears is how many years back a document without a period is called
// long ago (距今已久).
const oldYears = 3

// askWhere names who can confirm the current policy: the office the
// corpus's scope names for the document's domain; else the department
// whose interpretation covers the domain; else the issuer.
func (p *Pipeline) askWhere(d corpus.Document) string {
	if office := p.lib.Scope().Contacts.Domains[d.Domain]; office != "" {
		return office
	}
	if dep := p.interpreter(d.Domain); dep != "" {
		return dep
	}
	if d.Issuer != "" {
		return strings.Fields(d.Issuer)[0]
	}
	return "发文部门"
}

// interpreter is the department whose interpretation in the corpus covers
// a domain (财政, 科技…), the last one loaded if several do; "" for none.
// It is read from the library on each use, since documents come and go
// while the bot runs.
func (p *Pipeline) interpreter(domain string) string {
	dep := ""
	for _, d := range p.lib.Documents() {
		if d.Kind == "解读" && d.Issuer != "" && d.Domain != "" && d.Domain == domain {
			dep = d.Issuer
		}
	}
	return dep
}

// issuedKnown is when a document was issued, as far as it says: the
// date, or the year from its 文号; "" when it says neither.
func issuedKnown(d corpus.Document) string {
	if d.Issued != "" {
		return chineseDate(d.Issued)
	}
	if y := d.Year(); y > 0 {
		return fmt.Sprintf("%d年", y)
	}
	return ""
}

// compiledNote says, for a document that prints no date, when the
// compilation holding it was made; nothing for none.
func compiledNote(year int) string {
	if year > 0 {
		return fmt.Sprintf("（收录于%d年的汇编）", year)
	}
	return ""
}

// chineseDate renders 2020-12-31 as 2020年12月31日.
func chineseDate(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// validityOf is where a cited clause stands today: its document's period,
// unless what the clause itself brings in (a period it states, a document
// it names or repeats) ended first, or states an end where the document
// states none. A clause that repeals the documents it names does not share
// their periods.
func (p *Pipeline) validityOf(doc corpus.Document, c Citation) corpus.Validity {
	return p.validityFrom(doc, c.Text, p.lib.ClauseValidity(c.chunk(c.Text), p.opts.Now()))
}

// validityFrom is validityOf given what the clause's text brings in
// (corpus.Library.ClauseValidity), for a caller that has it already.
func (p *Pipeline) validityFrom(doc corpus.Document, text string, brought []corpus.Validity) corpus.Validity {
	v := doc.Validity(p.opts.Now())
	repeals := strings.Contains(text, "废止")
	for _, cv := range brought {
		if repeals && cv.Because != corpus.BecauseClause && !cv.Restates && !cv.Repealed && !cv.Amended {
			continue
		}
		switch {
		case cv.Status == corpus.StatusExpired && (v.Status != corpus.StatusExpired || cv.Until != "" && cv.Until < v.Until):
			// Ended first: 稳岗返还's 本条政策执行至2023年12月31日 in a
			// notice running to 2024.
			v = cv
		case cv.Status == corpus.StatusInForce && v.Status == corpus.StatusUnstated:
			v = cv
		}
	}
	return v
}

// focus judges a citation's validity on the part of its clause that an
// answer rests on, when the clause states different periods for different
// measures (…失业保险费率…延长至2019年4月30日…；…住房公积金…延长至2020年4月30日…):
// each period is the measure's it is stated with, and the earliest is not
// the answer's when the answer quotes another. part is what the answer
// took from the clause: a sentence of it (quoted, true) or the model's
// sentences citing it. When part states one of the periods, those count;
// when a quoted sentence states none, the measure has no stated period of
// its own and the document's counts, the others going to the notes. A
// model's sentences that state none say nothing of which measure they
// rest on, and a clause stating one period may state it for all its
// measures: both keep the clause's validity, the earliest end.
func (p *Pipeline) focus(c Citation, part string, quoted bool) Citation {
	now := p.opts.Now()
	var ends int
	for _, v := range p.lib.ClauseValidity(c.chunk(c.Text), now) {
		if v.Because == corpus.BecauseClause {
			ends++
		}
	}
	if ends < 2 || strings.TrimSpace(part) == "" {
		return c
	}
	brought := p.lib.ClauseValidity(c.chunk(part), now)
	states := false
	for _, v := range brought {
		if v.Because == corpus.BecauseClause {
			states = true
		}
	}
	if !states && !quoted {
		return c
	}
	doc, ok := p.lib.Document(c.DocID)
	if !ok {
		return c
	}
	c.Validity = p.validityFrom(doc, part, brought)
	c.Expired = c.Validity.Status == corpus.StatusExpired
	c.part = part
	return c
}
