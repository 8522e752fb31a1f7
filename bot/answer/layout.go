package answer

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/policybot/policybot/corpus"
)

// An answer is laid out for a reader who may read only its first lines:
// they hold the answer itself (the lead), whether what it rests on is still
// in force, and where it comes from; the details follow. A channel that
// sends it as messages sends Head first, whole, and Details after it.

// Head is what the first message must hold: the lead, the validity of
// every cited document and the 来源 line.
func (r Result) Head() string {
	var b strings.Builder
	b.WriteString(r.Lead)
	if len(r.Citations) > 0 {
		b.WriteString("\n")
		b.WriteString(statusLine(r.Citations))
		b.WriteString("\n")
		b.WriteString(sourcesLine(r.Citations))
	}
	return strings.TrimSpace(b.String())
}

// Details is the rest: how the answer was made when that matters (Note),
// the body and the full validity notes.
func (r Result) Details() string {
	var b strings.Builder
	note := r.Note
	if r.Body == "" {
		// Nothing is quoted below the lead: no 原文摘录： to announce.
		note = strings.TrimSuffix(note, offlineNote)
	}
	if note != "" {
		b.WriteString(note)
		b.WriteString("\n")
	}
	b.WriteString(r.Body)
	if len(r.Validity) > 0 {
		b.WriteString("\n\n时效提示：")
		for _, n := range r.Validity {
			b.WriteString("\n")
			b.WriteString(n)
		}
	}
	return strings.TrimSpace(b.String())
}

// layout is the whole answer as one text: Head, then Details.
func layout(r Result) string {
	head, details := r.Head(), r.Details()
	if details == "" {
		return head
	}
	if head == "" {
		return details
	}
	return head + "\n\n" + details
}

// statusLine says, per cited document, where its period stands:
// 时效：[1][2]已于2020年12月31日失效；[3]未写明期限（2018年发布）.
func statusLine(cites []Citation) string {
	var parts []string
	seen := map[string]int{} // status text → index in parts
	var refs [][]int
	for _, c := range cites {
		s := statusText(c)
		if i, ok := seen[s]; ok {
			refs[i] = append(refs[i], c.N)
			continue
		}
		seen[s] = len(parts)
		parts = append(parts, s)
		refs = append(refs, []int{c.N})
	}
	var b strings.Builder
	b.WriteString("时效：")
	for i, s := range parts {
		if i > 0 {
			b.WriteString("；")
		}
		for _, n := range refs[i] {
			fmt.Fprintf(&b, "[%d]", n)
		}
		b.WriteString(s)
	}
	return b.String()
}

// statusText words one citation's validity in a few characters, and
// says when a later version of its document exists: what stands in the
// first lines is what a reader takes for current.
func statusText(c Citation) string {
	s := periodText(c)
	if c.newer != "" && !c.Validity.Repealed {
		s += "，另有" + chineseDate(c.newer) + "发布的同名文件"
	}
	return s
}

// periodText words where a citation's period stands.
func periodText(c Citation) string {
	v := c.Validity
	var s string
	switch {
	case v.Repealed:
		return partOf(v) + "已被" + compactCite(v.Because) + "废止"
	case v.Amended:
		return partOf(v) + "已被" + compactCite(v.Because) + "修改"
	case v.Status == corpus.StatusExpired:
		s = "已于" + chineseDate(v.Until) + "失效"
	case v.Starts != "" && v.Status == corpus.StatusInForce:
		s = startsText(v.Starts) + "，有效至" + chineseDate(v.Until)
	case v.Starts != "":
		return startsText(v.Starts) + "，未写明期限"
	case v.Status == corpus.StatusInForce && v.EndsSoon:
		s = "有效至" + chineseDate(v.Until) + "，即将到期"
	case v.Status == corpus.StatusInForce:
		s = "有效至" + chineseDate(v.Until)
	default:
		return "未写明期限，请确认是否仍有效"
	}
	switch {
	case v.Extended:
		s += "（经" + compactCite(v.Because) + "延长）"
	case v.Because != "" && v.Because != corpus.BecauseClause:
		s += "（依" + compactCite(v.Because) + "）"
	}
	return s
}

// partOf names what a repeal or an amendment took from where a citation
// stands: the clause's article (本条（第七条）), or nothing when a repeal
// took the whole document.
func partOf(v corpus.Validity) string {
	if v.Part == "" {
		return ""
	}
	return "本条（" + v.Part + "）"
}

// startsText says a period has yet to begin: 自2027年1月1日起施行，尚未生效.
func startsText(iso string) string {
	return "自" + chineseDate(iso) + "起施行，尚未生效"
}

// yearOf is when a citation's document was issued, as 2018年, or "".
func yearOf(c Citation) string {
	if len(c.Issued) >= 4 {
		return c.Issued[:4] + "年"
	}
	if m := yearInDocNo.FindString(c.DocNo); m != "" {
		return m + "年"
	}
	return ""
}

var yearInDocNo = regexp.MustCompile(`(?:19|20)\d{2}`)

// sourcesLine is the compact 来源: 来源：[1]《title》（文号）clause，date,
// a document's further clauses after its first: …clause [3]clause，date.
func sourcesLine(cites []Citation) string {
	// Clauses of one document share its title, number and date, said
	// once: several clauses of one notice would otherwise fill the head.
	var order []string
	byDoc := map[string][]Citation{}
	for _, c := range cites {
		key := c.DocID
		if key == "" {
			// A citation that names no document stands alone.
			key = fmt.Sprintf("\x00%d", c.N)
		}
		if _, ok := byDoc[key]; !ok {
			order = append(order, key)
		}
		byDoc[key] = append(byDoc[key], c)
	}
	var b strings.Builder
	b.WriteString("来源：")
	for i, id := range order {
		group := byDoc[id]
		c := group[0]
		if i > 0 {
			b.WriteString("；")
		}
		fmt.Fprintf(&b, "[%d]《%s》", c.N, shortTitle(c.Title))
		if c.DocNo != "" {
			fmt.Fprintf(&b, "（%s）", c.DocNo)
		}
		b.WriteString(c.Clause)
		for _, more := range group[1:] {
			// A space, not 、: labels end in 、 (一、).
			fmt.Fprintf(&b, " [%d]%s", more.N, more.Clause)
		}
		switch y := yearOf(c); {
		case c.Issued != "":
			b.WriteString("，" + chineseDate(c.Issued) + "发布")
		case y != "":
			b.WriteString("，" + y + "发布")
		default:
			// Users judge how old a policy is from this line first: the
			// compilation's year is the best there is.
			b.WriteString("，未载明发布日期" + compiledNote(c.compiled))
		}
	}
	return b.String()
}

// innerTitleRe finds the title a transmittal notice carries:
// 关于印发《X》的通知 is cited as X.
var innerTitleRe = regexp.MustCompile(`关于印发《(.+)》的通知$`)

// shortTitle keeps a title short enough for a message, as citations
// customarily shorten it: the transmitted document's own title, else the
// title without its issuers (《关于…的通知》), cut at 40 characters. A
// title quoted inside it takes the inner marks (《关于修改〈…办法〉第九条的
// 通知》), and an interpretation of a quoted title, its issuer left out,
// keeps all it says of it (某厅《关于…的通知》政策解读 → 〈关于…的通知〉政策
// 解读, not from its 关于).
func shortTitle(t string) string {
	if m := innerTitleRe.FindStringSubmatch(t); m != nil {
		t = m[1]
	} else if q := strings.Index(t, "《"); q > 0 && issuerEndRe.MatchString(t[:q]) && !strings.Contains(t[:q], "关于") {
		t = t[q:]
	} else if i := strings.Index(t, "关于"); i > 0 {
		t = t[i:]
	}
	t = innerMarks.Replace(t)
	if utf8.RuneCountInString(t) > 40 {
		t = string([]rune(t)[:39]) + "…"
	}
	return t
}

// issuerEndRe ends the name of a body: 某厅, 某局, 某委员会, 某人民政府.
var issuerEndRe = regexp.MustCompile(`(?:厅|局|委|会|府|室|部|院|办|中心)$`)

// innerMarks are the title marks of a title inside a title.
var innerMarks = strings.NewReplacer("《", "〈", "》", "〉")

// compactCite shortens a 《title》（文号） citation to its 文号 when it has
// one, else to its short title.
func compactCite(cite string) string {
	if i := strings.LastIndex(cite, "》（"); i >= 0 && strings.HasSuffix(cite, "）") {
		return strings.TrimSuffix(cite[i+len("》（"):], "）")
	}
	return "《" + shortTitle(strings.Trim(cite, "《》")) + "》"
}
