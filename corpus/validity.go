package corpus

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is where a stated period stands on a given day.
type Status string

const (
	// StatusExpired: the stated period ended before the day.
	StatusExpired Status = "expired"
	// StatusInForce: the stated period ends on or after the day.
	StatusInForce Status = "in_force"
	// StatusUnstated: the text states no end, so nothing can be said;
	// it may still state when it began.
	StatusUnstated Status = "unstated"
)

// BecauseClause is Validity.Because for a period a clause's own text
// states (延长至2020年4月30日).
const BecauseClause = "clause"

// Validity is what the corpus can say about whether something is in force
// on a day. Because says what the status rests on:
//   - "" for a document's own stated period;
//   - BecauseClause for a period a clause's text states;
//   - the citation of another corpus document, 《title》（文号）, for a
//     clause that names that document by its 文号: the status is that
//     document's.
type Validity struct {
	Status  Status `json:"status"`
	Until   string `json:"until,omitempty"` // ISO date the stated period ends
	Because string `json:"because,omitempty"`
	// Restates is set when the clause does not name the document Because
	// cites but repeats one of its clauses (see restateMin).
	Restates bool `json:"restates,omitempty"`
	// Repealed is set when the document was repealed by the one Because
	// cites; Until is then the day that one took effect, if it says.
	Repealed bool `json:"repealed,omitempty"`
	// Amended is set when the clause's article was rewritten by the
	// document Because cites, from Until: its text as printed no longer
	// holds, the rewritten one is in that document.
	Amended bool `json:"amended,omitempty"`
	// Extended is set when the document's own period was extended, to
	// Until, by the document Because cites.
	Extended bool `json:"extended,omitempty"`
	// Part is the part of the document a repeal took (第七条) when it
	// took not all of it, or the article an amendment rewrote: the clause
	// cited is that part.
	Part string `json:"part,omitempty"`
	// EndsSoon is set for a period in force that ends within endsSoon: a
	// business owner starting an application today may not finish it in
	// time, or may find it renewed on other terms.
	EndsSoon bool `json:"ends_soon,omitempty"`
	// Starts is the ISO day a document's period begins, set only when
	// that is still to come: a notice issued in November may take effect
	// on 1 January, and a measure quoted today as current cannot be had
	// yet.
	Starts string `json:"starts,omitempty"`
}

// endsSoon is how near its end an in-force period is said to end soon.
const endsSoon = 92 * 24 * time.Hour

// validUntil judges a period ending on until (ISO) against now: it is in
// force through the whole of its last day.
func validUntil(until string, now time.Time) Validity {
	end, err := time.Parse(time.DateOnly, until)
	if err != nil {
		return Validity{Status: StatusUnstated}
	}
	if now.After(end.AddDate(0, 0, 1)) {
		return Validity{Status: StatusExpired, Until: until}
	}
	return Validity{Status: StatusInForce, Until: until, EndsSoon: end.AddDate(0, 0, 1).Sub(now) <= endsSoon}
}

// Validity says whether the document's own stated period has ended by
// now, or another loaded document has repealed it.
func (d *Document) Validity(now time.Time) Validity {
	if d.RepealedBy != "" {
		if on, err := time.Parse(time.DateOnly, d.RepealedOn); err != nil || !now.Before(on) {
			return Validity{Status: StatusExpired, Until: d.RepealedOn, Because: d.RepealedBy, Repealed: true}
		}
	}
	v := validUntil(d.EffectiveUntil, now)
	if d.ExtendedTo != "" {
		v = validUntil(d.ExtendedTo, now)
		v.Because, v.Extended = d.ExtendedBy, true
	}
	if from, err := time.Parse(time.DateOnly, d.EffectiveFrom); err == nil && now.Before(from) && v.Status != StatusExpired {
		v.Starts = d.EffectiveFrom
	}
	return v
}

// Expired says whether the document's stated period ended before now.
func (d *Document) Expired(now time.Time) bool {
	return d.Validity(now).Status == StatusExpired
}

// ClauseValidity gives what a clause's own text says about validity,
// beyond its document's period: first the periods the text states (自…至…,
// 延长至…, 有效期至…), in text order, with Because BecauseClause; then the
// corpus documents it names by 文号 (an interpretation quoting
// 财税〔2018〕54号), in corpus order, with Because their citation; then the
// documents with a stated end whose clauses it repeats without naming
// them, with Restates set. A stated period ending on the day its
// document's period ends, or a named or repeated document's, is that
// document's and is not given again. Before all of them comes the repeal
// or rewriting of the clause's own article (第七条), when another loaded
// document repealed or amended that part of its document. Only c.DocID,
// c.Label and c.Text are read.
func (l *Library) ClauseValidity(c Chunk, now time.Time) []Validity {
	own, _ := l.Document(c.DocID)
	var out []Validity
	if p, ok := own.PartChanged(c.Label, now); ok {
		out = append(out, Validity{Status: StatusExpired, Until: p.On, Because: p.By, Repealed: !p.Amended, Amended: p.Amended, Part: p.Part})
	}
	text := FoldDocNo(c.Text)
	var named []Validity
	// cited: the documents named, by citation.
	cited := map[string]bool{}
	known := map[string]bool{own.EffectiveUntil: true}
	extended := extendedEnd(c.Text)
	for i := range l.docs {
		ref := &l.docs[i]
		if ref.ID == c.DocID || ref.DocNo == "" || !strings.Contains(text, FoldDocNo(ref.DocNo)) {
			continue
		}
		if ref.EffectiveUntil != "" && extended > ref.EffectiveUntil {
			// The clause extends the document it names (…（财税〔2019〕
			// 21号）规定的…执行期限延长至2022年12月31日): that document's
			// own end is what the clause overrides, and its own period,
			// stated, is the one to give.
			continue
		}
		v := ref.Validity(now)
		if !v.Extended {
			// An extended document's period rests on the one extending
			// it, which Because names already.
			v.Because = ref.Cite()
		}
		named = append(named, v)
		known[ref.EffectiveUntil] = true
		cited[ref.Cite()] = true
	}
	ends := clauseEnds(c.Text)
	var restated []*Document
	if len(ends) == 0 {
		// A clause stating its own period (an item's 【执行期限】) is not
		// given another's for the sentences they share (a definition of
		// 小型微利企业 that every tax measure repeats).
		restated = l.restated(c.DocID, c.Text)
	}
	for _, ref := range restated {
		if cite := ref.Cite(); !cited[cite] {
			v := ref.Validity(now)
			if !v.Extended {
				v.Because = cite
			}
			v.Restates = true
			named = append(named, v)
			known[ref.EffectiveUntil] = true
		}
	}
	if e := own.sectionEnds[sectionOf(c.Label)]; len(ends) == 0 && e != "" {
		// A clause of a section that states its own end elsewhere (本条政策
		// 执行至… under its last item) runs to it.
		ends = []string{e}
	}
	for _, until := range ends {
		if known[until] {
			continue
		}
		known[until] = true
		v := validUntil(until, now)
		v.Because = BecauseClause
		out = append(out, v)
	}
	return append(out, named...)
}

// sectionRe is a clause label's top-level section: 三 of 三（二）, 附件 二 of
// 附件 二、. An article (第七条) is no section of several clauses.
var sectionRe = regexp.MustCompile(`^((?:附件\S*\s+)?[一二三四五六七八九十]+)(?:[（(、]|$)`)

// sectionOf is the top-level section of a clause label, or "".
func sectionOf(label string) string {
	if m := sectionRe.FindStringSubmatch(label); m != nil {
		return m[1]
	}
	return ""
}

// oneSectionRe opens a sentence stating one article's or item's own
// period: 本条政策执行至…, 本项措施实施期限至….
var oneSectionRe = regexp.MustCompile(`^\s*本[条项款]`)

// sectionEnds are the ends that sentences of a document's clauses state
// for their own article or item (本条政策执行至2023年12月31日), by the
// clauses' top-level section: a section cut into several clauses states it
// once, under its last.
func sectionEnds(chunks []Chunk) map[string]string {
	var out map[string]string
	for _, c := range chunks {
		sec := sectionOf(c.Label)
		if sec == "" {
			continue
		}
		for _, s := range strings.FieldsFunc(c.Text, func(r rune) bool { return r == '。' || r == '；' || r == '\n' }) {
			if !oneSectionRe.MatchString(s) {
				continue
			}
			if e := StatedEnd(s); e != "" {
				if out == nil {
					out = map[string]string{}
				}
				out[sec] = max(out[sec], e)
			}
		}
	}
	return out
}

// StatedEnd is the latest day the periods a clause's text states run to
// (自…至…, 延长至…, 本项政策执行期限至…), ISO, or "" when it states none:
// once that day has passed, every measure the clause states a period for
// has ended.
func StatedEnd(text string) string {
	ends := clauseEnds(text)
	if len(ends) == 0 {
		return ""
	}
	return slices.Max(ends)
}

// extendedEnd is the latest end a text extends a period to (执行期限延长至
// 2022年12月31日), ISO; "" for none.
func extendedEnd(text string) string {
	latest := ""
	for _, m := range extendedRe.FindAllStringSubmatch(text, -1) {
		latest = max(latest, isoDate(m[1], m[2], m[3]))
	}
	return latest
}

// StatesPeriod says whether a text states when something takes effect,
// ends, lasts or is repealed: the clauses that answer 还有效吗.
func StatesPeriod(text string) bool {
	return periodCueRe.MatchString(text) || fromRe.MatchString(text) || len(clauseEnds(text)) > 0
}

// datePattern is a date as printed, capturing year, month and day: in
// Arabic digits (2018年1月1日), or in Chinese numerals as documents printed
// them before GB/T 9704-2012 (二〇一二年五月八日, isoDate reads both).
// sameYearDate is a range's end, whose year may go unsaid when it is the
// start's (2020年3月1日至5月31日); its year group is then empty.
const sameYearDate = `(?:` + yearPattern + `\s*年\s*)?` + monthPattern + `\s*月\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*日`

const datePattern = yearPattern + `\s*年\s*` + monthPattern + `\s*月\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*日`

// The parts of a date, each captured: a year, a month.
const (
	yearPattern  = `(\d{4}|[〇○零Ｏ一二三四五六七八九]{4})`
	monthPattern = `(\d{1,2}|[一二三四五六七八九十]{1,2})`
)

// textNoun is what a text calls itself: 本通知, 本实施办法, 本暂行规定,
// 本决定, 上述政策.
const textNoun = `(?:实施|暂行|试行)?(?:通知|公告|办法|规定|措施|意见|方案|政策|细则|决定|条例|规划|计划|纲要|指引|指南)`

// untilLead leads to the day a text's period runs to: 有效期至, 本公告
// 相关政策执行至, 上述政策延续执行到, 实施期限延长至, 本条政策执行至 (one
// measure's, which ownMatch leaves to it), and a period said to end on a day
// (执行期限截至2020年6月30日, 有效期截止到…): 截至 alone is a date.
const untilLead = `(?:` + periodNoun + `\s*(?:延长|延续)?\s*(?:为|是)?\s*(?:截至|截止(?:到|至)?|至|到)|(?:本|上述|以上|前述|相关)[条项款]?` + textNoun + `[^。；，]{0,12}?(?:执行|实施|施行)\s*(?:至|到))\s*`

// The wordings by which a text states a period. Each captures its dates
// as year, month, day in turn.
var (
	// rangeRe: 自2018年1月1日至2020年12月31日 / 在2018年1月1日至2020年12月31日期间
	// / 自2019年1月1日起至2021年12月31日止.
	rangeRe = regexp.MustCompile(`[自在从]\s*` + datePattern + `\s*起?\s*至\s*` + sameYearDate)
	// openRangeRe: 一、2020年3月1日至5月31日期间，… — a first provision
	// opening on its range.
	openRangeRe = regexp.MustCompile(`(?m)^\s*(?:[一二三四五六七八九十]{1,3}、|\d{1,2}\s*[.、．])?\s*` + datePattern + `\s*起?\s*至\s*` + sameYearDate + `\s*(?:期间|止)`)
	// fromRe: 本通知自2018年5月1日起执行 / 本办法自发布之日起施行 / 本细则由市财政局负责解释，自2025年5月1日起施行
	// (who interprets a text is said before when it starts as often as not).
	fromRe = regexp.MustCompile(`本` + textNoun + `(?:由[^。；]{1,30}?负责解释\s*[，,])?[^。；]{0,12}?(?:自|从)?\s*(?:` + datePattern + `|(?:发布|公布|印发|下发|颁布|发文|签发)之日)\s*起\s*(?:施行|执行|实施|试行)|本(?:通知|公告|办法|规定)自\s*` + datePattern + `\s*开始执行`)
	// fromTermRe: 自2023年1月1日起施行，有效期3年 — a start followed by a
	// term is the text's own, whatever its subject is called.
	fromTermRe = regexp.MustCompile(`(?:自|从)\s*` + datePattern + `\s*起\s*(?:施行|执行|实施)\s*[，,]\s*` + periodNoun)
	// termRe: 有效期3年 / 有效期为五年 / 有效期限两年 / 执行期限暂定为3年. A
	// term is a few years: 执行期限为2017年… is a range, not 2017 years.
	termRe = regexp.MustCompile(periodNoun + `(?:暂定)?(?:为|是)?\s*([0-9]{1,2}|[一二两三四五六七八九十]{1,3})\s*年`)
	// untilRe: 有效期至2025年12月31日 / 本公告相关政策执行至2027年12月31日.
	// 上述政策延续执行至2027年12月31日 too.
	untilRe = regexp.MustCompile(untilLead + datePattern)
	// untilMonthRe: 有效期至2020年底 / 政策执行至2025年6月底 / 有效期至2025年12月:
	// an end by the month or the year, captured as year and month ("" for
	// the year's end). What follows must not be a day, or it is a date.
	untilMonthRe = regexp.MustCompile(untilLead + yearPattern + `\s*年\s*(?:` + monthPattern + `\s*月\s*(?:底|末)?|年?(?:底|末))(?:[^0-9一二三四五六七八九十日]|$)`)
	// untilStopRe: 自2011年3月1日起施行，至2015年12月31日止.
	untilStopRe = regexp.MustCompile(`起\s*(?:施行|执行|实施)\s*[，,]?\s*至\s*` + datePattern + `\s*止`)
	// untilRunRe: 本办法自印发之日起施行，执行至2020年12月31日.
	untilRunRe = regexp.MustCompile(`起\s*(?:施行|执行|实施)\s*[，,]\s*(?:执行|实施|施行)\s*(?:至|到)\s*` + datePattern)
	// clauseTermRe: 从2016年5月1日起，…降低费率的期限暂按两年执行 — a
	// measure's start and its term in one sentence, which end the day
	// before the term's anniversary.
	clauseTermRe = regexp.MustCompile(`[自从]\s*` + datePattern + `\s*起[^。；]*?(?:期限)?暂按\s*([0-9]{1,2}|[一二两三四五六七八九十]{1,3})\s*年\s*(?:执行|实施)`)
	// termRangeRe: 有效期为2023年1月1日至2025年12月31日 / 执行期限自…至… /
	// 有效期：2015年1月1日—2017年12月31日.
	termRangeRe = regexp.MustCompile(periodNoun + `\s*(?:为|是|[：:])?\s*自?\s*` + datePattern + `\s*起?\s*` + rangeDash + `\s*` + datePattern)
	// termYearsRe: 实施期限为2018—2020年.
	termYearsRe = regexp.MustCompile(periodNoun + `\s*(?:为|是|[：:])?\s*(\d{4})\s*年?\s*` + rangeDash + `\s*(\d{4})\s*年`)
	// trialRe: 试行期到2018年.
	trialRe = regexp.MustCompile(`试行期(?:到|至)\s*(\d{4})\s*年`)
	// trialTermRe: 试行期为2年 / 试行两年 / 试行期限二年.
	trialTermRe = regexp.MustCompile(`试行(?:期限?)?(?:为)?\s*([0-9一二两三四五六七八九十]+)\s*年`)
	// titleRangeRe: （2018－2020年） in a plan's title.
	titleRangeRe = regexp.MustCompile(`[（(]\s*(\d{4})\s*[-－—–]\s*(\d{4})\s*年\s*[）)]`)
	// clauseRangeRe: a range anywhere in a clause, 2018年1月1日起至2020年12月31日
	// or 2017年1月1日—2019年12月31日.
	clauseRangeRe = regexp.MustCompile(`(?:[自在]\s*)?` + datePattern + `\s*起?\s*` + rangeDash + `\s*` + sameYearDate)
	// labelledEndRe: a list's column (执行期限：2028年12月31日) giving the
	// day a measure runs to; a range after the label (有效期：…至…) is
	// termRangeRe's.
	labelledEndRe = regexp.MustCompile(periodNoun + `\s*[：:]\s*` + datePattern + `\s*(?:止|$|[。；;，,])`)
	// deadlineRe: 一次性扩岗补助申领截止时间为2022年12月31日 — after the
	// last day to apply, the measure can no longer be had. A yearly
	// deadline (每年3月31日前) names no year and is none.
	deadlineRe = regexp.MustCompile(`(?:申领|申请|申报|发放|受理)截止(?:时间|日期)?\s*(?:为|是|[：:])?\s*` + datePattern)
	// extendedRe: 执行期限延长至2020年4月30日.
	extendedRe = regexp.MustCompile(`期(?:限)?延长至\s*` + datePattern)
	// periodCueRe spots looser wording about a period: a date something
	// starts from, runs to or must happen before, a term, a repeal.
	periodCueRe = regexp.MustCompile(datePattern + `\s*(?:起|至|前)|有效期|执行期|实施期限|试行期|起(?:施行|执行|实施)|废止`)
)

// periodNoun names a text's period: 有效期, 有效期限, 执行期, 执行期限,
// 实施期限, 施行期限.
const periodNoun = `(?:有效期限?|执行期限?|实施期限|施行期限)`

// rangeDash joins the two ends of a range: 至, 到, or a dash.
const rangeDash = `(?:至|到|—|－|–|~|～|-)`

// clauseEnds gives the ends (ISO) of the periods a text states, in text
// order: 自…至…, 延长至…, 有效期至…. 截至2018年底 is a date, not a period.
func clauseEnds(text string) []string {
	type end struct {
		at    int
		until string
	}
	var ends []end
	for _, re := range []*regexp.Regexp{clauseRangeRe, extendedRe, untilRe, untilStopRe, untilRunRe, labelledEndRe, deadlineRe} {
		for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
			// The end date is the last three groups; a range's end
			// without its year has the start's (the first group).
			n := len(m)
			g := func(i int) string {
				if m[i] < 0 {
					return ""
				}
				return text[m[i]:m[i+1]]
			}
			year := g(n - 6)
			if year == "" {
				year = g(2)
			}
			if u := isoDate(year, g(n-4), g(n-2)); u != "" {
				ends = append(ends, end{m[0], u})
			}
		}
	}
	for _, m := range clauseTermRe.FindAllStringSubmatchIndex(text, -1) {
		g := func(i int) string { return text[m[2*i]:m[2*i+1]] }
		if u := termEnd(isoDate(g(1), g(2), g(3)), g(4)); u != "" {
			ends = append(ends, end{m[0], u})
		}
	}
	for _, m := range untilMonthRe.FindAllStringSubmatchIndex(text, -1) {
		month := ""
		if m[4] >= 0 {
			month = text[m[4]:m[5]]
		}
		if u := lastDay(text[m[2]:m[3]], month); u != "" {
			ends = append(ends, end{m[0], u})
		}
	}
	slices.SortStableFunc(ends, func(a, b end) int { return cmp.Compare(a.at, b.at) })
	out := make([]string, len(ends))
	for i, e := range ends {
		out[i] = e.until
	}
	return out
}

// lastDay is the ISO last day of a month (2025, 6: 2025-06-30), or of a
// year when month is ""; "" when it is no month.
func lastDay(year, month string) string {
	y, m := dateNumber(year), 12
	if month != "" {
		m = dateNumber(month)
	}
	if y < 1900 || m < 1 || m > 12 {
		return ""
	}
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// termEnd is the last day (ISO) of a term of n years (3, 两) from start
// (ISO), "" when either is unreadable.
func termEnd(start, n string) string {
	years := smallNumber(n)
	t, err := time.Parse(time.DateOnly, start)
	if years <= 0 || err != nil {
		return ""
	}
	return t.AddDate(years, 0, -1).Format(time.DateOnly)
}

// smallNumber reads a term's count of years: 3, 三, 两, 十二; 0 for
// anything else.
func smallNumber(s string) int {
	return dateNumber(strings.ReplaceAll(s, "两", "二"))
}

// period reads the validity a document states about itself. It returns
// empty strings where the text states nothing: a period is never guessed.
// headerLines is how many of body's lines are the header.
func period(title, body, issued string, headerLines int) (from, until string) {
	if y := dateNumber(strings.SplitN(issued, "-", 2)[0]); y < 1900 {
		// No document of this era is dated so; a period counted from it
		// would be none either.
		issued = ""
	}
	// A plan's own years in its title — （2018－2020年） — are its period.
	if m := titleRangeRe.FindStringSubmatch(title); m != nil {
		return m[1] + "-01-01", m[2] + "-12-31"
	}
	if m := ownMatch(termRangeRe, body); m != nil {
		if f, u := isoDate(m[1], m[2], m[3]), isoDate(m[4], m[5], m[6]); f != "" && u != "" {
			return f, u
		}
	}
	if m := ownMatch(termYearsRe, body); m != nil && m[1] <= m[2] {
		return m[1] + "-01-01", m[2] + "-12-31"
	}
	if m := fromRe.FindStringSubmatch(body); m != nil {
		switch {
		case m[1] != "":
			from = isoDate(m[1], m[2], m[3])
		case m[4] != "":
			from = isoDate(m[4], m[5], m[6])
		default:
			from = issued
		}
	} else if m := ownMatch(fromTermRe, body); m != nil {
		from = isoDate(m[1], m[2], m[3])
	}
	if m := ownMatch(trialRe, body); m != nil {
		if from == "" {
			from = issued
		}
		return from, m[1] + "-12-31"
	}
	if m := ownMatch(trialTermRe, body); m != nil {
		start := cmp.Or(from, issued)
		if u := termEnd(start, m[1]); u != "" {
			return start, u
		}
	}
	firstFrom, firstUntil := firstRange(body, headerLines)
	m := ownMatch(untilRe, body)
	if m == nil {
		m = ownMatch(untilStopRe, body)
	}
	if m == nil {
		m = ownMatch(untilRunRe, body)
	}
	if m != nil {
		if u := isoDate(m[1], m[2], m[3]); u != "" {
			// 一、自2023年1月1日至2027年12月31日… 六、本公告执行至2027年12月31日:
			// the first provision says when it began.
			if from == "" && firstUntil == u {
				from = firstFrom
			}
			return from, u
		}
	}
	if m := ownMatch(untilMonthRe, body); m != nil {
		if u := lastDay(m[1], m[2]); u != "" {
			return from, u
		}
	}
	if m := ownMatch(termRe, body); m != nil {
		start := cmp.Or(from, issued)
		if u := termEnd(start, m[1]); u != "" {
			return start, u
		}
	}
	if (firstFrom != "" || firstUntil != "") && (from == "" || from == firstFrom) {
		return firstFrom, firstUntil
	}
	if m := appliesRe.FindStringSubmatch(body); m != nil {
		// 本通知适用于2020年1月25日至2020年6月30日期间到期的贷款: past its
		// window, the text applies to nothing more.
		if f, u := isoDate(m[1], m[2], m[3]), isoDate(cmp.Or(m[4], m[1]), m[5], m[6]); f != "" && u != "" {
			return cmp.Or(from, f), u
		}
	}
	return from, sectionEnd(body)
}

// appliesRe is a text saying the window it applies to: 本通知适用于2020年
// 1月25日至2020年6月30日期间…, 本办法适用于…至…期间.
var appliesRe = regexp.MustCompile(`本` + textNoun + `适用于\s*` + datePattern + `\s*起?\s*` + rangeDash + `\s*` + sameYearDate)

// periodSectionRe is a heading, on a line of its own, naming the text's
// period: 六、实施期限, （五）执行期限.
var periodSectionRe = regexp.MustCompile(`(?m)^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])?\s*` + periodNoun + `\s*$`)

// sectionEnd is the last end the section headed as the text's period
// states, in whatever words (六、实施期限 / 本通知自印发之日起施行。纳入贴息
// 范围的贷款，贷款合同签订时间为2024年3月7日至2024年12月31日。); "" when
// there is no such section or it states none.
func sectionEnd(body string) string {
	loc := periodSectionRe.FindStringIndex(body)
	if loc == nil {
		return ""
	}
	var text []string
	for _, l := range strings.Split(strings.TrimLeft(body[loc[1]:], "\n"), "\n") {
		if headingLevel(l) >= 0 || dateLineRe.MatchString(strings.TrimSpace(l)) {
			break
		}
		text = append(text, l)
	}
	return StatedEnd(strings.Join(text, "\n"))
}

// ownMatch is re's first match in body, as FindStringSubmatch gives it,
// that states the text's own period: its sentence opens with the period
// (有效期为…, after any clause number), with the text's name (本办法…,
// 此通知…) or with words gathering the text's measures (以上措施…). A
// period stated within a measure (…按20%的税率缴纳企业所得税，执行期限为…)
// is that measure's, which the clause's validity gives.
func ownMatch(re *regexp.Regexp, body string) []string {
	for _, loc := range re.FindAllStringSubmatchIndex(body, -1) {
		start := strings.LastIndexAny(body[:loc[0]], "。；\n")
		cell := false
		if start >= 0 {
			r, w := utf8.DecodeRuneInString(body[start:])
			cell = r == '；'
			start += w
		} else {
			start = 0
		}
		opening := strings.TrimSpace(body[start:loc[0]])
		lineStart := strings.LastIndex(body[:loc[0]], "\n") + 1
		if oneSectionRe.MatchString(body[loc[0]:]) {
			// 本条政策执行至…: one measure's.
			continue
		}
		if start > lineStart && gatheringRe.MatchString(body[start:loc[1]]) && itemRe.MatchString(body[lineStart:start]) {
			// 4.落实国家税费优惠政策。对…免征增值税；…。上述政策执行至2027年
			// 12月31日: words gathering the measures before them within one
			// item gather that item's, whose period it is.
			continue
		}
		if !ownOpeningRe.MatchString(opening) || cell && opening == "" {
			// A period with no subject after a semicolon is a table
			// row's column (…；执行期限：2020年3月1日至2020年12月31日),
			// the row's measure's, not the text's.
			continue
		}
		m := make([]string, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = body[loc[2*i]:loc[2*i+1]]
			}
		}
		return m
	}
	return nil
}

// ownOpeningRe is what may open a sentence, before a period it states, for
// the period to be the text's own; a short connective may come first
// (另外，本政策执行至…), or the articles it leaves out (除第二条外，本通知
// 规定的各项政策执行期限至…, which are theirs). 本项, 本条 and 本款 name
// one measure, whose period is its own (本项政策执行期限至…), not the
// text's.
var ownOpeningRe = regexp.MustCompile(`^(?:` + itemNumber + `\s*)?(?:[^，。；]{1,4}[，,]\s*|除[^，。；]{1,16}外[，,]\s*)?(?:$|本(?:$|[^项条款])|此|以上|上述|前述|该` + textNoun + `)`)

// gatheringRe opens a sentence on words gathering what precedes it:
// 上述政策, 以上措施.
var gatheringRe = regexp.MustCompile(`^(?:以上|上述|前述)`)

// itemRe opens a numbered item: 一、, （一）, 1., 第一条.
var itemRe = regexp.MustCompile(`^[\s\x{3000}]*` + itemNumber)

// itemNumber is the numbering of an item or article: 一、, （一）, 1.,
// 第一条.
const itemNumber = `(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[.、．]|第[一二三四五六七八九十百零〇]+条)`

// firstRange reads a 自…至… range in a document's first provision: a
// notice that runs so (财税〔2018〕77号) states its period there, while a
// range deeper in a long text is one clause's own.
func firstRange(body string, headerLines int) (from, until string) {
	lines := strings.Split(body, "\n")
	if headerLines >= len(lines) {
		return "", ""
	}
	first := []rune(strings.Join(lines[headerLines:], "\n"))
	opening := string(first[:min(len(first), 400)])
	m := rangeRe.FindStringSubmatch(opening)
	if m == nil {
		m = openRangeRe.FindStringSubmatch(opening)
	}
	if m == nil {
		return "", ""
	}
	return isoDate(m[1], m[2], m[3]), isoDate(cmp.Or(m[4], m[1]), m[5], m[6])
}
