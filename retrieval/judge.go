package retrieval

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/policybot/policybot/corpus"
)

// Reasons a search is not found, in Result.Reason.
const (
	ReasonOtherRegion = "other_region" // names another province or city
	ReasonLocalPolicy = "local_policy" // asks for a city's or county's own rules
	ReasonTopic       = "topic"        // names a policy topic the corpus never mentions
	ReasonYear        = "year"         // names a year the corpus never mentions
	ReasonNoMatch     = "no_match"     // the best clause shares too little with the question
	ReasonRerankLow   = "rerank_low"   // the reranker scores the best clause below rerank.min_score
	// A 文号 the question names matches no document of the corpus, or
	// several (77号文 of two issuers or years); for several the hits are
	// the candidates, one clause of each, to ask which was meant.
	ReasonUnknownDocNo   = "unknown_docno"
	ReasonAmbiguousDocNo = "ambiguous_docno"
)

// judge decides whether the corpus can answer a question at all, and if
// not, why. The rules are code; what they compare against is data of the
// loaded corpus: its scope (which regions are its own, which are not),
// the years and vocabulary topics it mentions, and its term statistics.
// A corpus without scope data is judged on its evidence alone.
type judge struct {
	scope   corpus.Scope
	years   map[int]bool // years the corpus mentions anywhere
	absent  []string     // the names of the vocabulary topics the corpus never mentions by any
	entries []entry      // the index's chunks, by position
	lex     *bm25
	// national holds the documents no region issued that say who did (a
	// ministry's notice): they apply in every region.
	national map[string]bool
	// issuedLaterRe is issuedLaterPattern of the scope.
	issuedLaterRe *regexp.Regexp
}

// newJudge is built once per index, after its chunks and BM25 statistics.
// regions gives each document's issuing region by ID, "" for none
// (corpus.Library.Regions).
func newJudge(scope corpus.Scope, docs []corpus.Document, regions map[string]string, entries []entry, lex *bm25, topics []Topic) *judge {
	j := &judge{scope: scope, years: map[int]bool{}, entries: entries, lex: lex, national: map[string]bool{}, issuedLaterRe: issuedLaterPattern(scope)}
	for i := range docs {
		d := &docs[i]
		if regions[d.ID] == "" && (d.Issuer != "" || d.DocNo != "") {
			j.national[d.ID] = true
		}
		// Years printed only as a plan's targets are left out
		// (targetYearRe).
		for _, y := range corpus.Years(targetYearRe.ReplaceAllString(d.Body, "") + d.Title + d.DocNo) {
			j.years[y] = true
		}
		// The years a document states it runs are its too, printed or
		// not (自2014年10月1日起施行，有效期5年 runs through 2016).
		if from, until := yearOf(cmp.Or(d.EffectiveFrom, d.Issued)), yearOf(d.EffectiveUntil); from > 0 && until >= from {
			for y := from; y <= until; y++ {
				j.years[y] = true
			}
		}
	}
	// So are the years between the first and the last issue: a corpus of
	// 2009's and 2014's documents speaks of 2011 too.
	for y := scope.Years[0]; y > 0 && y <= scope.Years[1]; y++ {
		j.years[y] = true
	}
	texts := make([]string, len(entries))
	for i, e := range entries {
		texts[i] = e.text
	}
	all := strings.Join(texts, "\n")
	// A topic the corpus names one way is held whichever way the question
	// names it (租金减免 in the corpus, 房租减免 asked).
	for _, t := range topics {
		if !slices.ContainsFunc(t, func(name string) bool { return strings.Contains(all, name) }) {
			j.absent = append(j.absent, t...)
		}
	}
	return j
}

// yearOf is the year of an ISO date, 0 for none.
func yearOf(iso string) int {
	if len(iso) < 4 {
		return 0
	}
	y, _ := strconv.Atoi(iso[:4])
	return y
}

// reason says why the corpus cannot answer, one of the Reason constants,
// or "" when it can: a question about another region or a city's own
// rules, a topic or year the corpus never mentions, or words the best
// clause barely holds. lex is the lexical ranking, best first; evidence is
// how much of the question its best clause holds (see evidence); thisYear
// is the year the question is asked in.
func (j *judge) reason(question string, pq parsedQuery, lex []scored, evidence float64, thisYear int) string {
	q := strings.TrimSpace(question)
	if r := j.region(q, lex); r != "" {
		return r
	}
	for _, t := range j.absent {
		if mentioned(q, t, func(before, after string) bool { return !trade(before, after) }) {
			return ReasonTopic
		}
	}
	if j.issuedLater(q, lex) {
		return ReasonYear
	}
	// A year the corpus never mentions asks for that year's policy, which
	// the corpus cannot give (2023年减按1%征收还执行吗). But this year or a
	// later one, in a question whether a policy still holds (2026年还能享受
	// 吗, asked in 2026), means now: the answer is the policy's own period,
	// ended or not, which the corpus does give.
	validity := asksValidity(q)
	for _, y := range corpus.Years(q) {
		if !j.years[y] && !(validity && y >= thisYear) && !(y == thisYear && saidAsNow(q, y)) && !j.bestSpeaksOf(lex, y) {
			return ReasonYear
		}
	}
	// Coverage: the share of the question's informative weight that the
	// best clause holds, leaving out the seams between its words.
	// Unrelated questions match only scattered characters.
	if evidence < minCoverage {
		return ReasonNoMatch
	}
	return ""
}

// evidence is how much of what the question asks its best clause holds:
// the coverage of the whole question or of its last sentence, whichever
// is more (see asked), the seams between its words left out; 0 when
// nothing was found.
func (j *judge) evidence(pq parsedQuery, lex []scored) float64 {
	if len(lex) == 0 {
		return 0
	}
	return max(j.held(pq, lex[0].doc, true), j.held(asked(pq), lex[0].doc, true))
}

// nowYearRe is a year said as the asker's present: 现在都2026年了,
// 如今已经是2026年, 今年是2026年.
var nowYearRe = regexp.MustCompile(`(?:现在|如今|眼下|今年)(?:都|已经|已|也|是)*\s*((?:19|20)\d{2})\s*年`)

// saidAsNow says whether q names year y as its own present, which asks
// about nothing of that year: 现在都2026年了 这个减免还有没有.
func saidAsNow(q string, y int) bool {
	for _, m := range nowYearRe.FindAllStringSubmatch(q, -1) {
		if m[1] == strconv.Itoa(y) {
			return true
		}
	}
	return false
}

// asked is the part of a query its last sentence asks: a message telling
// its firm's story over several sentences (我们是…的公司，今年…。现在有没有
// 政策能…？) asks in its last, and the story's words, which no clause holds,
// are no measure of whether the corpus answers. A query of one sentence is
// asked whole.
func asked(pq parsedQuery) parsedQuery {
	// A message typed on a phone sets its sentences apart by spaces as
	// often as by stops (开火锅店的 疫情反反复复 生意差得很 有哪些政策…).
	parts := strings.FieldsFunc(pq.text, func(r rune) bool { return strings.ContainsRune("。！？?!", r) || unicode.IsSpace(r) })
	// Told in one run of commas, a story of two parts or more still asks
	// in its last (我们是个小机加工厂，一年也就卖个几十万，增值税是不是能免啊);
	// of two parts alone the first names what is asked about
	// (员工干了三年辞退了，补偿金怎么算).
	if clauses := strings.FieldsFunc(pq.text, func(r rune) bool { return strings.ContainsRune("。！？?!，,；;", r) || unicode.IsSpace(r) }); len(clauses) >= 3 {
		parts = clauses
	}
	if len(parts) < 2 {
		return pq
	}
	last := parts[len(parts)-1]
	out := parsedQuery{text: last, weights: map[string]float64{}}
	for t, w := range pq.weights {
		if strings.Contains(last, t) {
			out.weights[t] = w
		}
	}
	return out
}

// issuedLaterPattern finds a year said as when a policy came out:
// 2025年新出台的, 2024年出的, 2022年那次, and with who issued it between
// (2025年国家新出的, 2024年省出台的): the levels of government, generic
// Chinese, and the corpus's own region words and cities, from its scope.
func issuedLaterPattern(scope corpus.Scope) *regexp.Regexp {
	issuers := append([]string{"国家", "中央", "国务院", "全国", "省", "市"}, scope.Home...)
	issuers = append(issuers, scope.Cities...)
	// Longest first, so that a region word is tried before the level it
	// begins with.
	slices.SortFunc(issuers, func(a, b string) int { return len(b) - len(a) })
	for i, w := range issuers {
		issuers[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`((?:19|20)\d{2})年(?:\d{1,2}月份?)?(?:` + strings.Join(issuers, "|") + `)?(?:新出台|出台|新出的|新出|出的|发布|发的|印发|那次|那个|那轮|新政)`)
}

// issuedLater says whether the question asks after a policy that came out
// in a year later than the corpus's newest document (the scope's last year
// of issue): the corpus cannot hold it, whatever clause shares its words.
// A year the best clause speaks of (到2020年底, a period's end) is the
// corpus's own, and does not count.
func (j *judge) issuedLater(q string, lex []scored) bool {
	newest := j.scope.Years[1]
	if newest == 0 {
		return false
	}
	for _, m := range j.issuedLaterRe.FindAllStringSubmatch(q, -1) {
		y, _ := strconv.Atoi(m[1])
		if y <= newest {
			continue
		}
		if j.bestSpeaksOf(lex, y) {
			continue
		}
		return true
	}
	return false
}

// bestSpeaksOf says whether the best clause prints year y: a question
// about a plan's target (2020年高新技术企业数量能翻一番吗) is answered by
// the plan that sets it, though the corpus holds no policy of that year.
func (j *judge) bestSpeaksOf(lex []scored, y int) bool {
	return len(lex) > 0 && strings.Contains(j.entries[lex[0].doc].text, strconv.Itoa(y)+"年")
}

// region applies the scope's rules: a question naming the corpus's own
// region is in scope, unless it opens on another region's policy and
// names its own only after (广东那边的社保减免跟湖南一样吗: the topic comes
// first); one asking about another region's policy, or a city's own
// rules, is not. Each rule fires only on the words the scope lists, so
// with no scope data none does.
func (j *judge) region(q string, lex []scored) string {
	home := firstOf(q, j.scope.Home)
	for _, r := range j.scope.OtherRegions {
		if !strings.Contains(q, r) {
			continue
		}
		if home >= 0 {
			// A place one goes to or is in (搬到苏州的企业本省还奖励吗)
			// is no topic; the same place named again as the subject is
			// (我们在成都有个分公司 成都那边的补贴跟本省一样不).
			if subjectBefore(q[:home], r) {
				return ReasonOtherRegion
			}
			continue
		}
		// Named in passing (在苏州注册的公司能享受…吗), another region is
		// no reason to refuse a clause that applies there: one that
		// speaks of it, or one of a national document.
		if regionIsSubject(q, r) || !j.partnerIn(r, lex) && !j.nationalBest(lex) {
			return ReasonOtherRegion
		}
	}
	if home >= 0 {
		// A city whose own rules are not here, named before the corpus's
		// own place and compared with it (芜湖的首贷贴息跟合肥一样吗), is
		// what is asked after.
		if comparedRe.MatchString(q[home:]) {
			for _, c := range j.scope.Cities {
				if i := strings.Index(q, c); i >= 0 && i < home {
					return ReasonLocalPolicy
				}
			}
		}
		return ""
	}
	for _, w := range j.scope.LocalPolicy {
		if localAsked(q, w) {
			return ReasonLocalPolicy
		}
	}
	for _, c := range j.scope.Cities {
		for _, tail := range cityTails {
			if strings.Contains(q, c+tail) {
				return ReasonLocalPolicy
			}
		}
	}
	return ""
}

// Generic Chinese grammar, the same for every corpus, kept here in one
// place: the words that, right after a place's name, make the place the
// subject of a question (天津对…, 北京的…, 上海市有什么…) rather than a
// place or partner named in passing (在北京能不能用, 和天津合作).
var (
	// subjectTails follow another region's name, after an optional 市.
	subjectTails = []string{"对", "的", "有", "出台", "给", "奖", "补", "政策", "规定", "地区", "那边", "当地"}
	// cityTails follow the name of a city whose own rules the corpus
	// lacks (Scope.Cities). They are fewer than subjectTails: the corpus's
	// policy applies in those cities too, so only a question plainly after
	// the city's own rules (青岛对…, 济南那边…, 漳州市今年有没有…) is turned
	// away, never one placing the asker there (青岛的小厂).
	cityTails = []string{"市对", "市的", "市有", "市出台", "市自己", "市今年", "对", "有什么", "出台", "那边", "当地", "自己", "今年有"}
)

// comparedRe says, after a place, that it is compared with another:
// 跟合肥一样吗, 比哪个多, 有什么区别.
var comparedRe = regexp.MustCompile(`一样|相比|比哪|哪个多|哪边|区别|不同|差不多`)

// localTails follow a locative word for the city or county (市里, 县里)
// when it is the subject of the question (县里有没有补贴, 市里对…, 区里的政策)
// rather than where the asker is (县里的小纺织厂, 在县里开发区投个项目).
var localTails = []string{"对", "有", "出台", "给", "奖", "补", "政策", "规定", "自己", "能", "会", "怎么", "是不是",
	"的政策", "的补", "的奖", "的规定", "的文件", "的办法", "的标准", "的扶持", "的支持"}

// localAsked says whether q asks for a city's or county's own rules by the
// phrase w. A locative (a phrase ending in 里) asks only as the subject,
// by what follows it (localTails); another phrase (市级, 市政府自己) names
// the city's own programme or government wherever it stands.
func localAsked(q, w string) bool {
	if !strings.HasSuffix(w, "里") {
		return strings.Contains(q, w)
	}
	return followedBy(q, w, nil, localTails)
}

// subjectBefore says whether one of region's mentions in q is the
// subject of the question (regionIsSubject) and not a place (placed).
func subjectBefore(q, region string) bool {
	return mentioned(q, region, func(before, after string) bool {
		return !placed(before) && tailed(after, regionUnits, subjectTails)
	})
}

// trade says whether a word between before and after names the asker's
// own business (开民宿的, 在山里开了个民宿，, 做充电桩运营的, 搞直播带货的
// 公司): who asks, not what is asked, which may be any measure for firms
// of its kind. The business is what follows a verb of running one, up to
// a 的 soon after or the phrase's end.
func trade(before, after string) bool {
	if !tradeVerbRe.MatchString(before) {
		return false
	}
	phrase := after
	if i := strings.IndexFunc(after, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }); i >= 0 {
		phrase = after[:i]
	}
	i := strings.Index(phrase, "的")
	return phrase == "" || i >= 0 && utf8.RuneCountInString(phrase[:i]) <= 2
}

// tradeVerbRe ends the text before a business its asker runs: 开, 做,
// 搞, 干, 经营, 从事, perhaps with 了 and a measure word (开了个, 开了一家).
var tradeVerbRe = regexp.MustCompile(`(?:开|做|搞|干|经营|从事)了?一?[个家间]?$`)

// placed says whether what comes before a region's name makes it a
// place: 在, 到, 去, 从, 往.
func placed(before string) bool {
	r, _ := utf8.DecodeLastRuneInString(before)
	return strings.ContainsRune("在到去从往", r)
}

// firstOf is where the first of words occurs in q, -1 for none.
func firstOf(q string, words []string) int {
	first := -1
	for _, w := range words {
		if i := strings.Index(q, w); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}

// regionIsSubject says whether a question asks about a region's own
// policy — 天津对…, 北京的…, 上海市有什么… — rather than naming it as a
// place or partner (在北京能不能用, 和天津合作).
func regionIsSubject(q, region string) bool {
	// After the region's full name (浙江省对…, 苏州市的…) as after its short
	// one.
	return followedBy(q, region, regionUnits, subjectTails)
}

// regionUnits may follow a region's short name: 浙江省, 苏州市.
var regionUnits = []string{"市", "省", "自治区"}

// followedBy says whether w occurs in q followed, after any of units, by
// one of tails.
func followedBy(q, w string, units, tails []string) bool {
	return mentioned(q, w, func(_, after string) bool { return tailed(after, units, tails) })
}

// mentioned says whether w occurs in q where ok holds of the text before
// and after it.
func mentioned(q, w string, ok func(before, after string) bool) bool {
	for from := 0; ; {
		i := strings.Index(q[from:], w)
		if i < 0 {
			return false
		}
		at := from + i
		from = at + len(w)
		if ok(q[:at], q[from:]) {
			return true
		}
	}
}

// tailed says whether after, the text after a word, opens with one of
// tails, after any of units.
func tailed(after string, units, tails []string) bool {
	for _, u := range units {
		after = strings.TrimPrefix(after, u)
	}
	for _, t := range tails {
		if strings.HasPrefix(after, t) {
			return true
		}
	}
	return false
}

// partnerIn says whether the best clause speaks of the region, by name or
// by the corpus's word for working with it (北京 → 京津): then the region
// is part of the question (科技创新券在北京天津能不能用), not its subject.
func (j *judge) partnerIn(region string, lex []scored) bool {
	if len(lex) == 0 {
		return false
	}
	text := j.entries[lex[0].doc].text
	if strings.Contains(text, region) {
		return true
	}
	w := j.scope.Partners[region]
	return w != "" && strings.Contains(text, w)
}

// nationalBest says whether the best clause is a national document's.
func (j *judge) nationalBest(lex []scored) bool {
	return len(lex) > 0 && j.national[j.entries[lex[0].doc].doc.ID]
}

// minCoverage is the least coverage of a question by its best clause, the
// seams between its words left out (held), for the corpus to be judged to
// answer it. It was chosen on the refusal curve over every set
// (TestEvidenceRefusal prints it for the tuning sets, the README gives
// all): where it refuses as few answerable questions as any threshold
// does, and the most unanswerable ones for that. Coverage separates them
// poorly (on fresh_a an answerable question has about a 0.6 chance of
// covering more than an unanswerable one), because most unanswerable
// questions name a topic the corpus has and ask what it does not say
// (高企 的认定条件).
const minCoverage = 0.1

// coverage is the share of the question's informative weight, terms of
// two or more characters weighted by IDF, that the chunk holds.
func (j *judge) coverage(pq parsedQuery, doc int) float64 { return j.held(pq, doc, false) }

// held is coverage; unseamed leaves the seams between words out (see
// seams), as judging whether the corpus answers does: counted as words the
// corpus lacks, they refused long questions in everyday words. Reading a
// follow-up keeps them: there they made the measured difference between a
// question's own topic and its history's, and the figures fell without.
func (j *judge) held(pq parsedQuery, doc int, unseamed bool) float64 {
	text := j.entries[doc].text
	var seams map[string]bool
	if unseamed {
		seams = j.seams(pq.text)
		for p := range j.askingPairs(pq.text) {
			seams[p] = true
		}
	}
	var have, total float64
	for _, t := range sortedTerms(pq.weights) {
		w := pq.weights[t]
		if len([]rune(t)) < 2 {
			continue
		}
		idf := j.lex.idf(t)
		if idf == 0 {
			if seams[t] {
				continue
			}
			// A word the corpus never uses counts fully against it.
			idf = j.maxIDF()
		}
		total += w * idf
		if strings.Contains(text, t) {
			have += w * idf
		}
	}
	if total == 0 {
		return 0
	}
	return have / total
}

// maxIDF is the IDF of a term held by a single chunk, the rarest there is.
func (j *judge) maxIDF() float64 {
	return j.lex.idfN(1, float64(len(j.lex.lengths)))
}

// seams finds in text the pairs of Han characters the corpus never
// prints that share a character with a pair it does, on either side: in
// 设备政府, 备政 between 设备 and 政府. A question in everyday words is
// full of them, one between every two words, and counted as words the
// corpus lacks they made a long question look unanswerable (我们是做轴承的
// 小厂，前年被要求关停整改，现在想搬到开发区去…). A word the corpus lacks
// that stands apart from the words it knows (驾照 in 驾照到期了) is no
// seam.
func (j *judge) seams(text string) map[string]bool {
	rs := []rune(text)
	known := func(i int) bool {
		return i >= 0 && i+1 < len(rs) && isHan(rs[i]) && isHan(rs[i+1]) && j.lex.idf(string(rs[i:i+2])) > 0
	}
	seams := map[string]bool{}
	for i := 0; i+1 < len(rs); i++ {
		if !isHan(rs[i]) || !isHan(rs[i+1]) || known(i) {
			continue
		}
		if known(i-1) || known(i+1) {
			seams[string(rs[i:i+2])] = true
		}
	}
	return seams
}

// askingPairs are the pairs of characters the corpus never prints inside
// the words by which text asks for a kind of answer (截止, 哪天, 多少钱,
// 找谁: asksRe). They say what kind of answer is wanted, which no clause
// need print in those words (a corpus may say 前 for 截止), and counted as
// words it lacks they refused 稳岗返还那个申报截止是哪天 over a corpus of
// seven documents.
func (j *judge) askingPairs(text string) map[string]bool {
	out := map[string]bool{}
	for _, a := range asksRe {
		for _, m := range a.re.FindAllString(text, -1) {
			r := []rune(m)
			for i := 0; i+1 < len(r); i++ {
				if p := string(r[i : i+2]); j.lex.idf(p) == 0 {
					out[p] = true
				}
			}
		}
	}
	return out
}

// targetYearRe is a year a plan aims at (到2025年，形成…, 力争2025年), not
// one whose policy the text states: a 2018 plan's 到2025年 is no policy
// of 2025's. A period's end (执行到2020年底, 延长到…, 有效期到…) is not
// one: the preceding character tells them apart.
var targetYearRe = regexp.MustCompile(`(?:^|[^行施长期])(?:到|力争)(?:19|20)\d{2}年`)
