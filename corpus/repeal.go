package corpus

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// docNoInTextRe finds a 文号 in running text. The issuer's code it takes
// may carry words before it (原浙财企〔2021〕8号), so a number is matched
// by its end.
var docNoInTextRe = regexp.MustCompile(docNoPattern)

var (
	// repealVerbRe is how a document ends another: 同时废止, 自…起废止,
	// 停止执行, 不再执行, 同时失效.
	repealVerbRe = regexp.MustCompile(`废止|停止执行|不再执行|(?:同时|即行|一律)失效`)
	// listLeadRe: the repeal names its documents in a list that follows
	// (下列文件同时废止：, 以下文件停止执行：).
	listLeadRe = regexp.MustCompile(`(?:下列|以下|如下)[^。；]{0,12}(?:废止|停止执行|不再执行|失效)|(?:废止|停止执行|不再执行|失效)[^。；]{0,8}(?:下列|以下|如下)[^。；]{0,8}[：:]|(?:废止|停止执行|不再执行|失效)\s*[：:]\s*$`)
	// listItemRe opens an item of such a list: a number or none, then the
	// quoted title or the 文号.
	listItemRe = regexp.MustCompile(`^\s*(?:\d{1,2}\s*[.．、]|[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}、)?\s*(?:《|` + docNoPattern + `)`)
	// partArticleRe is an article a repeal takes, alone or with its
	// paragraph or item (第七条, 第三条第二款).
	partArticleRe = regexp.MustCompile(`第\s*([一二三四五六七八九十百零〇\d]{1,5})\s*条(?:\s*第[一二三四五六七八九十\d]{1,3}款)?(?:\s*第[（(]?[一二三四五六七八九十\d]{1,3}[）)]?项)?`)
	// partOtherRe is any other part a repeal names: an attachment, a
	// provision, what a document says of something (附件1中的…, …中关于…的
	// 规定, 有关条款). Not when it goes with the document (及其附件).
	partOtherRe = regexp.MustCompile(`附件|中(?:的|关于|有关|涉及)|的规定|规定的|有关规定|相关规定|条款|内容|部分`)
	wholeWithRe = regexp.MustCompile(`(?:及|和|连同|包括)其?(?:附件|全部)`)
	// amendVerbRe is how a document rewrites another's article: 修改为,
	// 调整为, 删去.
	amendVerbRe = regexp.MustCompile(`修改为|修订为|调整为|改为|删去|删除`)
	// basisRe: a document named as what the text rests on, not as what it
	// ends.
	basisRe = regexp.MustCompile(`根据|按照|依据|依照|参照|按`)
)

// PartChange is a part of a document (第七条) that a loaded document
// repeals or rewrites, the rest standing.
type PartChange struct {
	// Part is the article taken (第七条), or, for a part not numbered so,
	// the words naming it as printed (附件1中的《…》).
	Part string
	By   string // the changing document, 《title》（文号）
	On   string // ISO day the change takes effect; empty when unprinted
	// Amended is set when By rewrites the part (将…第五条修改为…) rather
	// than repealing it: its text as printed here no longer holds either.
	Amended bool
}

// docNos is each loaded document's 文号, folded (FoldDocNo), by
// position: what finds the documents a text names by 文号.
type docNos []string

func foldDocNos(docs []Document) docNos {
	f := make(docNos, len(docs))
	for i := range docs {
		f[i] = FoldDocNo(docs[i].DocNo)
	}
	return f
}

// own says whether no is the 文号 of the document at self. A 文号 in
// running text may carry words before it (原浙财企〔2021〕8号), so it is
// matched by its end.
func (f docNos) own(no string, self int) bool {
	return f[self] != "" && strings.HasSuffix(FoldDocNo(no), f[self])
}

// named gives the positions of the documents, but self, whose 文号 no
// names.
func (f docNos) named(no string, self int) []int {
	fn := FoldDocNo(no)
	var out []int
	for j, d := range f {
		if j != self && d != "" && strings.HasSuffix(fn, d) {
			out = append(out, j)
		}
	}
	return out
}

// markRepeals reads, in every document, the sentences that repeal others
// (《…》（浙财企〔2021〕8号）同时废止, …文件停止执行, lists after 下列文件
// 同时废止：, 原《某办法》同时废止 by title alone) and records the 文号, or
// the title, they name in Repeals, with the part when only a part is
// taken (…第6号第七条). A repealed document that is loaded too is marked
// with the document that repealed it, from the day that document takes
// effect, so that it is never presented as current; one losing only a
// part keeps its period, and the part is marked (PartsChanged), as is an
// article another document rewrites (…第五条修改为：…, see amendsIn).
// So are the periods documents extend: a sentence naming another by 文号
// and stating 执行期限延长至 a day later than its own end makes that one
// run to the latest such day (ExtendedTo); a sentence naming an article
// (…21号第一条规定的…) extends that article alone, which the clause's own
// period says, not the document.
func markRepeals(docs []Document) {
	nos := foldDocNos(docs)
	byTitle := map[string][]int{}
	for i := range docs {
		if k := titleKey(docs[i].Title); k != "" {
			byTitle[k] = append(byTitle[k], i)
		}
	}
	for i := range docs {
		d := &docs[i]
		if d.Kind == "解读" {
			// An interpretation reports repeals and extensions; it makes
			// none.
			continue
		}
		on := d.EffectiveFrom
		if on == "" {
			on = d.Issued
		}
		seen := map[string]bool{}
		amend := func(r repeal) {
			key := FoldDocNo(r.docNo) + "\x00" + r.part
			if seen[key] || nos.own(r.docNo, i) {
				return
			}
			seen[key] = true
			for _, j := range nos.named(r.docNo, i) {
				docs[j].PartsChanged = append(docs[j].PartsChanged, PartChange{Part: r.part, By: d.Cite(), On: on, Amended: r.amended})
			}
		}
		inList := false
		var items amendList
		body := strings.ReplaceAll(d.Body, "\n", "")
		aliases := shortNames(body)
		for _, s := range splitSentences(body) {
			s = aliases.Replace(s)
			for _, r := range amendsIn(s) {
				amend(r)
			}
			if r, ok := items.read(s); ok {
				amend(r)
			}
			if to := extendedEnd(s); to != "" && !partArticleRe.MatchString(s) {
				for _, no := range docNoInTextRe.FindAllString(s, -1) {
					for _, j := range nos.named(no, i) {
						if e := &docs[j]; e.EffectiveUntil != "" && to > max(e.EffectiveUntil, e.ExtendedTo) {
							e.ExtendedTo, e.ExtendedBy = to, d.Cite()
						}
					}
				}
			}
			verb := repealVerbRe.FindStringIndex(s)
			switch {
			case verb != nil:
				inList = listLeadRe.MatchString(s)
			case inList && listItemRe.MatchString(s):
			default:
				inList = false
				continue
			}
			for _, r := range repealsIn(s, inList) {
				key := FoldDocNo(r.docNo) + "\x00" + r.part
				if seen[key] || nos.own(r.docNo, i) {
					continue
				}
				seen[key] = true
				d.Repeals = append(d.Repeals, r.docNo+r.part)
				for _, j := range nos.named(r.docNo, i) {
					if r.part != "" {
						docs[j].PartsChanged = append(docs[j].PartsChanged, PartChange{Part: r.part, By: d.Cite(), On: on})
						continue
					}
					docs[j].RepealedBy = d.Cite()
					docs[j].RepealedOn = on
				}
			}
			for _, r := range titleRepealsIn(s, inList) {
				named := "《" + r.title + "》" + r.part
				if seen[named] {
					continue
				}
				for _, j := range byTitle[titleKey(r.title)] {
					if j == i || docs[j].RepealedBy != "" || !before(docs[j], *d) {
						continue
					}
					if !seen[named] {
						// Only a loaded document's title is known to be
						// one: 《…》 quotes laws, forms and plans too.
						seen[named] = true
						d.Repeals = append(d.Repeals, named)
					}
					if r.part != "" {
						docs[j].PartsChanged = append(docs[j].PartsChanged, PartChange{Part: r.part, By: d.Cite(), On: on})
						continue
					}
					docs[j].RepealedBy = d.Cite()
					docs[j].RepealedOn = on
				}
			}
		}
	}
}

// titleRe finds a title a sentence quotes.
var titleRe = regexp.MustCompile(`《([^《》]+)》`)

// titleRepealsIn reads the documents a repeal sentence takes by title
// alone (原《某办法》同时废止), or the part it takes of one (《某办法》第七条
// 同时废止): a title its 文号 does not follow, which repealsIn reads,
// taken as repealsIn takes a 文号 — the verb after it, or leading to it
// without a pause or in a list, not named as the basis.
func titleRepealsIn(s string, listed bool) []repeal {
	var out []repeal
	for _, m := range titleRe.FindAllStringSubmatchIndex(s, -1) {
		rest := s[m[1]:]
		if docNoAfterRe.MatchString(rest) {
			continue
		}
		r := repeal{title: s[m[2]:m[3]]}
		if v := repealVerbRe.FindStringIndex(rest); v != nil {
			// What comes between, the titles of others repealed with it
			// aside (《甲》、《乙》同时废止), says a part is taken, or that
			// the verb is another clause's.
			between := titleRe.ReplaceAllString(rest[:v[0]], "")
			switch {
			case partArticleRe.MatchString(between):
				r.part = strings.Join(strings.Fields(partArticleRe.FindString(between)), "")
			case strings.ContainsAny(between, "，,；"):
				continue
			case partOtherRe.MatchString(between) && !wholeWithRe.MatchString(between):
				r.part = partWords(between)
			}
		} else if !listed && !repealVerbRe.MatchString(clauseLead(s, m[0])) {
			continue
		}
		if asBasis(clauseLead(s, m[0])) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// clauseLead is what a sentence says before at, from its last pause.
func clauseLead(s string, at int) string {
	lead := s[:at]
	if i := strings.LastIndexAny(lead, "，,："); i >= 0 {
		lead = lead[i:]
	}
	return lead
}

// asBasis says whether what a clause says before a document it names
// (clauseLead) names it as the basis of the text (根据《…》…) rather than
// as what it ends; the words of titles before it (《关于按…》) do not
// count.
func asBasis(lead string) bool {
	if i := strings.Index(lead, "《"); i >= 0 {
		lead = lead[:i]
	}
	return basisRe.MatchString(lead)
}

// docNoAfterRe: a 文号 right after a title, in brackets.
var docNoAfterRe = regexp.MustCompile(`^\s*[（(]\s*(?:` + docNoPattern + `)`)

// titleKey is what two titles share when one is the other, or both issue
// the same measures (关于印发《某办法》的通知 and 《某办法》, or two notices
// issuing it): the title of the measures, the quoted forms 〈〉 and 《》
// and spacing aside; "" for none.
func titleKey(title string) string {
	s := titleFolder.Replace(title)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "《"), "》")
	if m := titleRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return s
}

// titleFolder makes the quoted forms and spacing of titles alike.
var titleFolder = strings.NewReplacer("〈", "《", "〉", "》", " ", "", "\u3000", "")

// before says whether a was issued before b, both dates known: a title
// repeats from one version of measures to the next, and only the earlier
// is the one repealed.
func before(a, b Document) bool {
	return a.Issued != "" && b.Issued != "" && a.Issued < b.Issued
}

// repeal is one document a sentence repeals, by its 文号 or, from
// titleRepealsIn, its title, with the part it takes ("" for all of it),
// or, from amendsIn, rewrites (amended) or strikes.
type repeal struct {
	docNo, title, part string
	amended            bool
}

// amendsIn reads the articles of other documents a sentence rewrites or
// strikes: a 文号 followed, but for its bracket and a joining word, by the
// article (…（…6号）第五条修改为：…, …6号文件第三条第二款中的“50万元”调整为
// “100万元”, …6号）第七条删去), then by the verb. A rate a sentence
// adjusts (税率调整为16%) names no article and is no amendment.
func amendsIn(s string) []repeal {
	if !amendVerbRe.MatchString(s) {
		return nil
	}
	var out []repeal
	ms := docNoInTextRe.FindAllStringIndex(s, -1)
	for k, m := range ms {
		rest := upToNext(s, ms, k)
		a := partArticleRe.FindStringIndex(rest)
		if a == nil || utf8.RuneCountInString(strings.TrimLeft(rest[:a[0]], "）)〕 ")) > 3 {
			continue
		}
		v := amendVerbRe.FindStringIndex(rest[a[1]:])
		if v == nil {
			continue
		}
		verb := rest[a[1]+v[0] : a[1]+v[1]]
		part := strings.Join(strings.Fields(rest[a[0]:a[1]]), "")
		out = append(out, repeal{docNo: trimJoin(strings.TrimSpace(s[m[0]:m[1]])), part: part, amended: verb != "删去" && verb != "删除"})
	}
	return out
}

// shortNameRe is a document named by its 文号 and given a short name for
// the rest of the text: （桂工信规〔2023〕2号，以下简称《办法》）.
var shortNameRe = regexp.MustCompile(`（([^（）]{2,30}?号)\s*[，,]\s*以下简称\s*(《[^》（）]{1,12}》)\s*）`)

// shortNames rewrites, in a text's sentences, each short name it gives a
// document (以下简称《办法》) as the name with the document's 文号, so that
// 《办法》有效期延长至2025年12月31日 names what it extends as the full name
// did.
func shortNames(body string) *strings.Replacer {
	var pairs []string
	seen := map[string]bool{}
	for _, m := range shortNameRe.FindAllStringSubmatchIndex(body, -1) {
		no, name := body[m[2]:m[3]], body[m[4]:m[5]]
		if seen[name] || !docNoInTextRe.MatchString(no) {
			continue
		}
		seen[name] = true
		// Where the name is given, it stands with its number already.
		pairs = append(pairs, body[m[0]:m[1]], body[m[0]:m[1]], name+"（", name+"（", name, name+"（"+no+"）")
	}
	return strings.NewReplacer(pairs...)
}

// amendLeadRe is how a document says it rewrites another in the items
// that follow: 对《…》（…40号）作如下修改：.
var amendLeadRe = regexp.MustCompile(`(?:作|做)出?(?:如下|以下)(?:修改|修订)|(?:修改|修订)如下`)

// amendItemRe is one of those items: （一）第五条第（二）项修改为：…,
// 2. 第六条增加一款…, （三）删去第八条, or the only one, unnumbered:
// 将第九条修改为：….
var amendItemRe = regexp.MustCompile(`^\s*(?:(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}\s*[.．、])\s*将?|将)\s*(?:(` + partArticleRe.String() + `)[^。；“]{0,12}?(修改为|修订为|调整为|改为|删去|删除|增加)|(删去|删除)\s*(` + partArticleRe.String() + `))`)

// amendList follows, sentence by sentence, a list of amendments to one
// document named once above it (对《…》（…40号）作如下修改：（一）第五条
// 第（二）项修改为：“…”；（二）第六条增加一款…), which amendsIn, reading a
// sentence at a time, cannot see: the items name only articles. The list
// ends at the first sentence that is no item, outside the quoted new text.
type amendList struct {
	docNo string // the document amended; "" outside a list
	quote int    // quotation marks opened and not yet closed
}

// read takes the body's next sentence and returns the amendment it makes,
// if it is an item of a list.
func (l *amendList) read(s string) (repeal, bool) {
	opened := strings.Count(s, "“") - strings.Count(s, "”")
	defer func() { l.quote = max(l.quote+opened, 0) }()
	if l.quote > 0 {
		return repeal{}, false
	}
	if lead := amendLeadRe.FindStringIndex(s); lead != nil {
		l.docNo = ""
		if ms := docNoInTextRe.FindAllStringIndex(s[:lead[0]], -1); len(ms) > 0 {
			last := ms[len(ms)-1]
			l.docNo = trimJoin(strings.TrimSpace(s[last[0]:last[1]]))
		}
		// The first item may follow the lead's colon in one sentence.
		s = strings.TrimLeft(s[lead[1]:], "：: ")
	}
	if l.docNo == "" {
		return repeal{}, false
	}
	m := amendItemRe.FindStringSubmatch(s)
	if m == nil {
		if s != "" {
			l.docNo = ""
		}
		return repeal{}, false
	}
	// partArticleRe holds one group: the article's number.
	part, verb := m[1], m[3]
	if part == "" {
		part, verb = m[5], m[4]
	}
	return repeal{docNo: l.docNo, part: strings.Join(strings.Fields(part), ""), amended: verb != "删去" && verb != "删除"}, true
}

// upToNext is what follows the k-th of the 文号 found in s (ms), up to the
// next one: what the sentence says of that document.
func upToNext(s string, ms [][]int, k int) string {
	end := len(s)
	if k+1 < len(ms) {
		end = ms[k+1][0]
	}
	return s[ms[k][1]:end]
}

// repealsIn reads the documents a repeal sentence takes: those the verb
// follows (《…》（…8号）同时废止), or those it leads to without a pause
// (废止《…》（…8号）) or in a list (listed: 下列文件同时废止：…), not one
// it names as its basis (根据《…》（…号）规定，…). What follows a 文号, up
// to the next one or the verb, says whether all of it goes (…8号文件停止
// 执行) or a part (…6号）第七条同时废止, …13号附件1中的《…》同时废止).
func repealsIn(s string, listed bool) []repeal {
	var out []repeal
	ms := docNoInTextRe.FindAllStringIndex(s, -1)
	for k, m := range ms {
		lead := clauseLead(s, m[0])
		after := repealVerbRe.MatchString(s[m[1]:])
		before := listed || repealVerbRe.MatchString(lead)
		if asBasis(lead) || !after && !before {
			continue
		}
		rest := upToNext(s, ms, k)
		if v := repealVerbRe.FindStringIndex(rest); v != nil {
			rest = rest[:v[0]]
		}
		r := repeal{docNo: trimJoin(strings.TrimSpace(s[m[0]:m[1]]))}
		switch {
		case partArticleRe.MatchString(rest):
			r.part = strings.Join(strings.Fields(partArticleRe.FindString(rest)), "")
		case partOtherRe.MatchString(rest) && !wholeWithRe.MatchString(rest):
			r.part = partWords(rest)
		}
		out = append(out, r)
	}
	return out
}

// partWords is the part a repeal names in words, without the 文号's
// closing bracket before it, the words joining it to the verb after it
// (同时, 自…起), and kept short.
func partWords(rest string) string {
	p := strings.TrimLeft(rest, "）)〕 ")
	p = strings.TrimPrefix(p, "文件")
	if i := strings.Index(p, "自"); i > 0 {
		p = p[:i]
	}
	p = strings.TrimRight(p, " ，,、")
	for _, w := range []string{"同时", "和", "及", "与"} {
		p = strings.TrimSuffix(p, w)
	}
	if r := []rune(p); len(r) > 40 {
		p = string(r[:40]) + "…"
	}
	return strings.TrimSpace(p)
}

// joinRe is a word joining a 文号 to the one before it, which the
// pattern, reading an issuer's code of any Han characters, takes in.
var joinRe = regexp.MustCompile(`^(?:和|及|与|以及|、)`)

// trimJoin leaves out of a 文号 found in running text a joining word
// before it, when what is left is a 文号 still.
func trimJoin(no string) string {
	if t := joinRe.ReplaceAllString(no, ""); t != no && docNoRe.MatchString(t) {
		return t
	}
	return no
}

// articleRe reads the article number a chunk's label opens with: 第七条,
// or 七、 and 七（一） in a notice numbered so, which a repeal calls 第七条
// too.
var articleRe = regexp.MustCompile(`^(?:第\s*([一二三四五六七八九十百零〇\d]{1,5})\s*条|([一二三四五六七八九十百]{1,4})(?:、|[（(]|$|\s))`)

// PartRepealed is the repeal, in force by now, that takes the article a
// chunk's label opens with (第七条), if any.
func (d *Document) PartChanged(label string, now time.Time) (PartChange, bool) {
	if len(d.PartsChanged) == 0 {
		return PartChange{}, false
	}
	n := articleNumber(label)
	if n <= 0 {
		return PartChange{}, false
	}
	for _, p := range d.PartsChanged {
		m := partArticleRe.FindStringSubmatch(p.Part)
		if m == nil || articleNumberOf(m[1]) != n {
			continue
		}
		if p.InForce(now) {
			return p, true
		}
	}
	return PartChange{}, false
}

// Verb is what befell the part, as an answer words it: 废止 or 修改.
func (p PartChange) Verb() string {
	if p.Amended {
		return "修改"
	}
	return "废止"
}

// InForce says whether the change has taken effect by now; one that
// prints no day has.
func (p PartChange) InForce(now time.Time) bool {
	on, err := time.Parse(time.DateOnly, p.On)
	return err != nil || !now.Before(on)
}

// articleNumber is the article a label opens with, 0 for none.
func articleNumber(label string) int {
	m := articleRe.FindStringSubmatch(strings.TrimSpace(label))
	if m == nil {
		return 0
	}
	if m[1] != "" {
		return articleNumberOf(m[1])
	}
	return articleNumberOf(m[2])
}

// articleNumberOf reads an article's number in digits or Chinese
// numerals up to 九百九十九.
func articleNumberOf(s string) int {
	if n := dateNumber(s); n > 0 && !strings.ContainsRune(s, '百') {
		return n
	}
	h, rest, ok := strings.Cut(s, "百")
	if !ok {
		return 0
	}
	hundreds := dateNumber(h)
	if h == "" {
		hundreds = 1
	}
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, "零"), "〇")
	if rest == "" {
		return hundreds * 100
	}
	return hundreds*100 + dateNumber(rest)
}

// markNewer marks each document that a later loaded one of the same title
// (titleKey) and issuer follows without repealing it (see
// Document.Newer). Interpretations are left out: their titles repeat by
// department, not by version.
func markNewer(docs []Document) {
	byTitle := map[string][]int{}
	for i := range docs {
		if k := titleKey(docs[i].Title); k != "" && docs[i].Kind != "解读" {
			byTitle[k] = append(byTitle[k], i)
		}
	}
	for _, same := range byTitle {
		markNewerOf(docs, same)
	}
}

// acts says whether the document cited as by extends d or changes a part
// of it.
func acts(by string, d *Document) bool {
	return d.ExtendedBy == by || slices.ContainsFunc(d.PartsChanged, func(p PartChange) bool { return p.By == by })
}

// markNewerOf marks, among documents of one title (by index), each that a
// later one of its issuer follows.
func markNewerOf(docs []Document, same []int) {
	for _, j := range same {
		d := &docs[j]
		if d.RepealedBy != "" {
			continue
		}
		for _, k := range same {
			n := &docs[k]
			if k == j || !before(*d, *n) {
				continue
			}
			if d.Issuer != "" && n.Issuer != "" && d.Issuer != n.Issuer {
				// Two issuers' measures may share a title (a province's
				// and a city's 若干措施); neither replaces the other.
				continue
			}
			if acts(n.Cite(), d) {
				// 关于延长《X》有效期的通知, 关于修改《X》第九条的通知: what
				// the later one does to it is said already, and it is no
				// new version.
				continue
			}
			if d.NewerIssued == "" || n.Issued > d.NewerIssued {
				d.Newer, d.NewerIssued = n.Cite(), n.Issued
			}
		}
	}
}
