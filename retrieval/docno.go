package retrieval

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/policybot/policybot/corpus"
)

// A 文号 (document number) is an issuer's code, a year and a number:
// 财税〔2018〕77号, 浙政办字﹝2017﹞127号, 国家税务总局公告2018年第17号.
// Users write them every which way — 财税【2018】77号, 财税[2018]77号,
// 财税2018年77号, 财税18年77号, 财税 〔2018〕 77号 — or only in part:
// 77号文, 财税77号文, 2018年第17号公告. The resolver finds such mentions
// in a question and maps each to the corpus's documents with that number.

// docNoKey is a 文号 reduced to its parts: the issuer's code as printed
// before the year (财税, 国家税务总局公告), the year and the number.
type docNoKey struct {
	prefix string
	year   int // 0 when not given
	num    int
}

const (
	docNoSpace = `[\s\x{3000}]*`
	docNoDigit = `[0-9０-９]`
	docNoOpen  = `[〔﹝\[［(（【〖]`
	docNoClose = `[〕﹞\]］)）】〗]`
)

// docNoRe finds a 文号, whole or in part. Its groups: 1 the Han run
// before it, which holds the issuer's code if any; then one of A, the
// year in brackets (2 year, 3 第, 4 number, 5 号); B, the year before 年
// (6 year, 7 第, 8 number); C, no year (9 第, 10 number); and 11 what
// follows the 号 (文, 文件, 公告, 令).
var docNoRe = regexp.MustCompile(`(\p{Han}*)` + docNoSpace + `(?:` +
	docNoOpen + docNoSpace + `(` + docNoDigit + `{4}|` + docNoDigit + `{2})` + docNoSpace + `年?` + docNoSpace + docNoClose +
	docNoSpace + `(第)?` + docNoSpace + `(` + docNoDigit + `{1,5})(` + docNoSpace + `号)?` +
	`|(` + docNoDigit + `{4}|` + docNoDigit + `{2})` + docNoSpace + `年` + docNoSpace + `(第)?` + docNoSpace + `(` + docNoDigit + `{1,5})` + docNoSpace + `号` +
	`|(第)?` + docNoSpace + `(` + docNoDigit + `{1,5})` + docNoSpace + `号` +
	`)(` + docNoSpace + `(?:文件|文|公告|令))?`)

// docNoLeadIn holds characters that end the words a question puts before
// a 文号 (请问, 关于, 根据, 按照, 文件, 通知, 政策, 去年…) and never an
// issuer's code: a Han run ending in one names no issuer.
var docNoLeadIn = runeSet("问于据照按依看查是的在和与及或跟同把对由从向给用以为请下说讲个份篇条那这该其此上中里了吗呢啊么哪谁啥有没无要想能可也都还就再又即将已被见读找到件知定法策案则年月日号等项自至止起前后截")

// docNoProvince holds the provinces' one-character names, which start
// the codes of provincial issuers: 浙财税 is not 财税.
var docNoProvince = runeSet("冀京津晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川蜀贵黔云滇藏陕甘陇青宁新港澳台")

// docNoNotDoc holds what, after 号文, makes 文 the start of another word:
// 3号文化广场.
var docNoNotDoc = runeSet("化明艺物体旅创字")

func runeSet(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

// docNoMention is one 文号 found in a question.
type docNoMention struct {
	start, end int // byte offsets in the question
	// run is the Han run before the number, which holds the issuer's
	// code if any, without a 第 that ends it and with the 公告 that
	// follows the number appended (2018年第17号公告 is a 公告's); lit is
	// how many of its bytes are in the question at start.
	run       string
	lit       int
	year, num int    // year 0 when not given
	suffix    string // 文, 文件, 公告, 令 or "" after the 号
	// strong says the mention is a 文号 even after no issuer's code: it
	// has its four-digit year in brackets and a 号 (〔2018〕77号), a 第
	// (2018年第17号) or a following 文 (77号文). A weak one is a 文号 only
	// after an issuer's code: any when anyIssuer (财税2018年77号,
	// 国税发18年77号), else a known one (财税77号, 财税〔2018〕77).
	strong    bool
	anyIssuer bool
}

// parseDocNos finds the 文号 mentions in s, whole or in part. Which
// issuer they name, if any, is for docNoIndex.resolve to decide.
func parseDocNos(s string) []docNoMention {
	var out []docNoMention
	for _, m := range docNoRe.FindAllStringSubmatchIndex(s, -1) {
		g := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return s[m[2*i]:m[2*i+1]]
		}
		mt := docNoMention{start: m[0], end: m[1], run: g(1), suffix: strings.TrimLeft(g(11), " \t\r\n\f\v\u3000")}
		if mt.start > 0 && m[3] == m[2] {
			// Part of a longer number or word: 98765号, abc2018年3号.
			if r, _ := utf8.DecodeLastRuneInString(s[:mt.start]); r >= '0' && r <= '9' || r >= '０' && r <= '９' || r == '.' ||
				r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
				continue
			}
		}
		if mt.suffix == "文" && mt.end < len(s) {
			if r, _ := utf8.DecodeRuneInString(s[mt.end:]); docNoNotDoc[r] {
				mt.suffix, mt.end = "", m[2*11] // 3号文化广场
			}
		}
		var yearText, numText string
		switch {
		case m[2*4] >= 0: // 财税〔2018〕77号
			yearText, numText = g(2), g(4)
			hao := g(5) != ""
			mt.strong = hao && (utf8.RuneCountInString(yearText) == 4 || g(3) != "" || mt.suffix != "")
			mt.anyIssuer = hao
		case m[2*8] >= 0: // 财税2018年77号, 2018年第17号
			yearText, numText = g(6), g(8)
			mt.strong = g(7) != "" || mt.suffix != ""
			mt.anyIssuer = true
		default: // 77号文, 财税77号, 第17号公告
			numText = g(10)
			mt.strong = mt.suffix != ""
			if strings.HasSuffix(mt.run, "月") {
				continue // 5月1号文件 is a date
			}
		}
		mt.run = strings.TrimSuffix(mt.run, "第")
		mt.lit = len(mt.run)
		if mt.suffix == "公告" && !strings.HasSuffix(mt.run, "公告") {
			mt.run += "公告"
		}
		if mt.num = atoiWide(numText); mt.num <= 0 {
			continue
		}
		if yearText != "" {
			mt.year = atoiWide(yearText)
			switch {
			case utf8.RuneCountInString(yearText) == 2:
				mt.year += 2000
			case mt.year < 1949 || mt.year > 2099:
				continue
			}
		}
		out = append(out, mt)
	}
	return out
}

// atoiWide reads decimal digits, full-width ones too; -1 when there are
// none or too many.
func atoiWide(s string) int {
	n, digits := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n = n*10 + int(r-'0')
		case r >= '０' && r <= '９':
			n = n*10 + int(r-'０')
		default:
			continue
		}
		if digits++; digits > 9 {
			return -1
		}
	}
	if digits == 0 {
		return -1
	}
	return n
}

// parseDocNo reads a corpus document's 文号 as a whole; false when it is
// not of a form parseDocNos knows.
func parseDocNo(s string) (docNoKey, bool) {
	s = strings.Join(strings.Fields(corpus.FoldDocNo(s)), "")
	ms := parseDocNos(s)
	if len(ms) != 1 || ms[0].start != 0 || ms[0].end != len(s) || ms[0].suffix != "" || ms[0].run == "" {
		return docNoKey{}, false
	}
	return docNoKey{prefix: ms[0].run, year: ms[0].year, num: ms[0].num}, true
}

// docNoGroup is the chunks of the documents sharing one 文号.
type docNoGroup struct {
	key    docNoKey // when parsed
	parsed bool
	text   string // the 文号 as the group's first document prints it
	folded string // text with brackets folded, for the unparsed
	chunks []int  // positions in the index
}

// docNoIndex resolves the 文号 a question names to the index's chunks.
type docNoIndex struct {
	groups   []docNoGroup
	prefixes []string // the issuers' codes of the parsed 文号, longest first
}

// newDocNoIndex groups the index's chunks by their document's 文号.
func newDocNoIndex(entries []entry) *docNoIndex {
	ix := &docNoIndex{}
	byKey := map[docNoKey]int{}
	byFolded := map[string]int{}
	seen := map[string]bool{}
	for i, e := range entries {
		no := strings.TrimSpace(e.doc.DocNo)
		if no == "" {
			continue
		}
		key, parsed := parseDocNo(no)
		folded := corpus.FoldDocNo(no)
		var g int
		var found bool
		if parsed {
			g, found = byKey[key]
		} else {
			g, found = byFolded[folded]
		}
		if !found {
			g = len(ix.groups)
			ix.groups = append(ix.groups, docNoGroup{key: key, parsed: parsed, text: no, folded: folded})
			if parsed {
				byKey[key] = g
				if !seen[key.prefix] {
					seen[key.prefix] = true
					ix.prefixes = append(ix.prefixes, key.prefix)
				}
			} else {
				byFolded[folded] = g
			}
		}
		ix.groups[g].chunks = append(ix.groups[g].chunks, i)
	}
	slices.SortFunc(ix.prefixes, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b))
	})
	return ix
}

// docNoResolution is what a question's 文号 come to.
type docNoResolution struct {
	// question is, when chunks is set, the question with each 文号
	// spelled as its document prints it, so that every spelling searches
	// alike; otherwise the question as asked.
	question string
	// reason is ReasonUnknownDocNo when a mention matches no document,
	// ReasonAmbiguousDocNo when one matches several 文号; "" otherwise.
	reason string
	// chunks are those of the documents named, when each mention matches
	// one 文号; nil when the question names none.
	chunks map[int]bool
	// candidates are, when ambiguous, the groups the ambiguous mentions
	// match.
	candidates []int
}

// issuer says which known issuers' codes a mention's Han run allows: all
// when it names none (请问2018年77号文); the one it ends with (财税,
// 请问财税); for a 公告, those it abbreviates (税务总局公告 for
// 国家税务总局公告); or none, an issuer the corpus lacks (国税发, 浙财税).
// code is how many bytes at the run's end are the issuer's code.
func (ix *docNoIndex) issuer(run string) (all bool, allowed []string, code int) {
	if run == "" {
		return true, nil, 0
	}
	for _, p := range ix.prefixes {
		if !strings.HasSuffix(run, p) {
			continue
		}
		if before, _ := utf8.DecodeLastRuneInString(run[:len(run)-len(p)]); docNoProvince[before] {
			continue // 浙财税 is a provincial issuer, not 财税
		}
		return false, []string{p}, len(p)
	}
	if last, _ := utf8.DecodeLastRuneInString(run); docNoLeadIn[last] {
		return true, nil, 0
	}
	// The code is what follows the last lead-in character:
	// 请问税务总局公告 → 税务总局公告.
	c := run
	for i, r := range run {
		if docNoLeadIn[r] {
			c = run[i+utf8.RuneLen(r):]
		}
	}
	if strings.HasSuffix(c, "公告") {
		for _, p := range ix.prefixes {
			if strings.HasSuffix(p, c) {
				allowed = append(allowed, p)
			}
		}
	}
	return false, allowed, len(c)
}

// resolve finds the 文号 a question names and the documents they match.
func (ix *docNoIndex) resolve(question string) docNoResolution {
	res := docNoResolution{question: question}
	if ix == nil {
		return res
	}
	var b strings.Builder
	last := 0
	unknown := false
	named, ambiguous := map[int]bool{}, map[int]bool{}
	for _, m := range parseDocNos(question) {
		all, allowed, code := ix.issuer(m.run)
		if !m.strong && (all || len(allowed) == 0 && !m.anyIssuer) {
			continue // 3号 after no known issuer is no 文号
		}
		var groups []int
		for gi, g := range ix.groups {
			if !g.parsed || g.key.num != m.num ||
				m.year != 0 && g.key.year != 0 && g.key.year != m.year ||
				!all && !slices.Contains(allowed, g.key.prefix) {
				continue
			}
			groups = append(groups, gi)
		}
		switch len(groups) {
		case 0:
			unknown = true
		case 1:
			named[groups[0]] = true
			// Spell the mention as the document does, keeping what comes
			// before the issuer's code (请问 in 请问财税18年77号).
			keep := m.lit - max(0, code-(len(m.run)-m.lit))
			b.WriteString(question[last : m.start+max(0, keep)])
			b.WriteString(ix.groups[groups[0]].text)
			last = m.end
		default:
			for _, g := range groups {
				ambiguous[g] = true
			}
		}
	}
	b.WriteString(question[last:])
	// 文号 of forms the parser does not know are found as printed.
	folded := corpus.FoldDocNo(question)
	for gi, g := range ix.groups {
		if !g.parsed && strings.Contains(folded, g.folded) {
			named[gi] = true
		}
	}
	switch {
	case unknown:
		res.reason = ReasonUnknownDocNo
	case len(ambiguous) > 0:
		res.reason = ReasonAmbiguousDocNo
		for g := range ambiguous {
			res.candidates = append(res.candidates, g)
		}
		slices.Sort(res.candidates)
	case len(named) > 0:
		res.question = b.String()
		res.chunks = map[int]bool{}
		for g := range named {
			for _, c := range ix.groups[g].chunks {
				res.chunks[c] = true
			}
		}
	}
	return res
}

// named restricts a search to the documents a question names by number;
// nil when it names none.
func (ix *Index) named(question string) func(int) bool {
	chunks := ix.docNos.resolve(question).chunks
	if chunks == nil {
		return nil
	}
	return func(i int) bool { return chunks[i] }
}

// docNoResult is the result of a question whose 文号 match no document,
// or several: not found, and for several the candidates, the clause of
// each that best matches the question, so the user can be asked which
// was meant.
func (ix *Index) docNoResult(q Query, dn docNoResolution) Result {
	pq := ix.rewrite(q.Question, q.History)
	res := Result{Question: q.Question, Query: pq.text, Reason: dn.reason, Hits: []Hit{}, Version: ix.version}
	for _, gi := range dn.candidates {
		g := ix.docNos.groups[gi]
		best := scored{doc: g.chunks[0]}
		in := map[int]bool{}
		for _, c := range g.chunks {
			in[c] = true
		}
		if top := ix.lex.search(pq.weights, func(i int) bool { return in[i] }, nil, 1); len(top) > 0 {
			best = top[0]
		}
		res.Hits = append(res.Hits, ix.hit(best))
	}
	slices.SortStableFunc(res.Hits, func(a, b Hit) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.DocNo, b.DocNo))
	})
	for i := range res.Hits {
		res.Hits[i].Rank = i + 1
	}
	return res
}

// hit is the Hit for a scored chunk.
func (ix *Index) hit(s scored) Hit {
	e := ix.entries[s.doc]
	return Hit{
		Score:   s.score,
		DocID:   e.doc.ID,
		Title:   e.doc.Title,
		DocNo:   e.doc.DocNo,
		Issuer:  e.doc.Issuer,
		Kind:    e.doc.Kind,
		Clause:  e.chunk.Label,
		Text:    e.chunk.Text,
		ChunkID: e.chunk.ID,
	}
}
