package retrieval

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/policybot/policybot/corpus"
)

// Weights of the parts of a query. The user's own words count most; a
// follow-up's history and vocabulary expansions help without taking over.
const (
	weightQuestion  = 1.0
	weightExpansion = 0.6
	weightLastTurn  = 0.5
	weightOlderTurn = 0.25
)

// parsedQuery is a question made ready for search.
type parsedQuery struct {
	text      string             // the standalone query, shown as "query"
	embedText string             // what is embedded
	weights   map[string]float64 // lexical terms and their weights
}

// rewrite turns a question and its history into a standalone query by the
// offline rule: a follow-up carries the recent user messages along, at a
// lower weight, and colloquial words bring their policy terms.
func (ix *Index) rewrite(question string, history []string) parsedQuery {
	question = ix.homophones.repair(strings.TrimSpace(question))
	pq := parsedQuery{weights: map[string]float64{}}
	if question == "" {
		// Nothing asked: history alone is no question.
		return pq
	}
	add := func(text string, w float64) {
		for _, t := range terms(text, true) {
			if ix.vocab.stop[t] || ix.vocab.idle(text, t) {
				continue
			}
			if len([]rune(t)) == 1 && isHan([]rune(t)[0]) {
				// Single characters are weak evidence on their own.
				if pq.weights[t] < w*0.3 {
					pq.weights[t] = w * 0.3
				}
				continue
			}
			if pq.weights[t] < w {
				pq.weights[t] = w
			}
		}
	}
	var context []string
	if len(history) > 0 {
		// Whether the question follows up its history at all is decided
		// by understand, on the evidence of the searches.
		last := len(history) - 1
		for i := max(0, last-1); i <= last; i++ {
			w := weightOlderTurn
			if i == last {
				w = weightLastTurn
			}
			turn := ix.homophones.repair(history[i])
			add(turn, w)
			add(strings.Join(ix.vocab.expand(turn), " "), w*weightExpansion)
			context = append(context, turn)
		}
	}
	add(question, weightQuestion)
	for _, c := range ix.cities() {
		// The corpus's own cities, whose local rules it does not hold
		// (its measures apply in all of them), say where the asker is,
		// not what is asked: 我们是某市某县做铸造的… is no question about
		// the clause that names that city in a plan.
		if !strings.Contains(question, c) {
			continue
		}
		for _, t := range terms(c, true) {
			pq.weights[t] *= cityWeight
		}
	}
	exp := ix.vocab.expand(question)
	add(strings.Join(exp, " "), weightExpansion)
	pq.text = strings.TrimSpace(strings.Join(append(context, question), " "))
	pq.embedText = strings.TrimSpace(pq.text + " " + strings.Join(exp, " "))
	return pq
}

// cities are the corpus's own cities, whose local rules it does not hold.
func (ix *Index) cities() []string {
	if ix.judge == nil {
		return nil
	}
	return ix.judge.scope.Cities
}

// cityWeight scales the terms of one of the corpus's own cities named in
// a question. Near nothing: at 0.2 and above, the city's weight still
// tipped whether a long question was judged answered.
const cityWeight = 0.1

// sortedTerms lists a query's terms in a fixed order, so that sums over
// them, and the ties they decide, are the same on every run.
func sortedTerms(q map[string]float64) []string {
	keys := make([]string, 0, len(q))
	for t := range q {
		keys = append(keys, t)
	}
	sort.Strings(keys)
	return keys
}

// Reading a question that has history. The question is searched alone
// first; its history is dropped when the evidence says the question is
// about something else:
//   - its best clause, searched alone, holds at least aloneCoverage of its
//     informative weight (the coverage the judge computes), and it says
//     at least coveredSays: a question of a word or two (最高给多少, 找哪个
//     部门, 有上限吗) is covered by any clause holding them, a stranger's
//     (最高给予…万元) as well as the one its history asks after; or
//   - it says at least coveredSays and opens by turning to another matter
//     (shiftRe: 另外问下, 对了); or
//   - it says enough on its own (says ≥ aloneSays) and the clause the
//     history leads to holds less than historyKeeps of the question's
//     coverage that its own best clause holds: following the history would
//     trade the question's words for the earlier topic's.
//
// Otherwise it is a follow-up, and the history is added at lower weight.
// An elliptical follow-up (那申请条件呢, 保费能补多少) says little and its
// best clause alone is a stranger's, so it keeps its history. Measured on
// dev, probe, fresh_a and switch (see the README); the figures were flat
// for aloneCoverage 0.40–0.50, aloneSays 3.5–5 and historyKeeps 0.7–0.9.
const (
	aloneCoverage = 0.45
	coveredSays   = 2.0
	aloneSays     = 4.0
	historyKeeps  = 0.8
)

// shiftRe is how a message says it turns to another matter (另外问下,
// 对了, 还有个事, 顺便问一下, 换个问题): what it asks then is its own,
// unless it says too little to stand alone (对了，那要什么条件).
var shiftRe = regexp.MustCompile(`^\s*(?:[哦噢诶哎]\s*[，,]?\s*)?(?:另外|对了|还有(?:一|个|一个)?(?:事|件事|问题)|顺便(?:再)?问|换个(?:问题|话题)|再问(?:一|个|一个)(?:下|问题))`)

// understand reads a question with its history, as a follow-up or as a
// question of its own (see aloneCoverage), and ranks the chunks for it
// with search.
func (ix *Index) understand(question string, history []string, search func(map[string]float64) []scored) (parsedQuery, []scored) {
	alone := ix.rewrite(question, nil)
	lexA := search(alone.weights)
	if len(history) == 0 {
		return alone, lexA
	}
	pq := ix.rewrite(question, history)
	lexH := search(pq.weights)
	if len(lexA) == 0 || len(lexH) == 0 {
		return pq, lexH
	}
	covA, says := ix.judge.coverage(alone, lexA[0].doc), ix.judge.says(alone)
	if says >= coveredSays && (covA >= aloneCoverage || shiftRe.MatchString(question)) {
		return alone, lexA
	}
	if says >= aloneSays && ix.judge.coverage(alone, lexH[0].doc) < historyKeeps*covA {
		return alone, lexA
	}
	return pq, lexH
}

// says is how much a query says that the corpus can match: the weight
// times IDF of its terms of two or more characters that the corpus uses,
// in units of the IDF of a term only one chunk holds (so "4" is about
// four words as rare as can be, or more commoner ones).
func (j *judge) says(pq parsedQuery) float64 {
	var sum float64
	for _, t := range sortedTerms(pq.weights) {
		if len([]rune(t)) < 2 {
			continue
		}
		sum += pq.weights[t] * j.lex.idf(t)
	}
	return sum / j.maxIDF()
}

// lexical returns the BM25 search a query's filters and question rules
// ask for: its filters, half weight for a chunk of a notice's formulas,
// and for a question about validity the clauses stating a period
// favoured. It keeps the best pool.
func (ix *Index) lexical(question string, allow func(int) bool, pool int) func(weights map[string]float64) []scored {
	validity := asksValidity(question)
	wants := answerTypes(question)
	boost := func(i int) float64 {
		w := 1.0
		if ix.entries[i].formula {
			w *= formulaWeight
		}
		if validity {
			w *= ix.favourPeriods(i)
		}
		if wants&ix.entries[i].gives != 0 {
			w *= answerTypeBoost
		}
		return w
	}
	return func(weights map[string]float64) []scored {
		return ix.lex.search(weights, allow, boost, pool)
	}
}

// answerType is a kind of answer a question asks for and a clause may
// give: an amount, a date, who is responsible, or a definition. Questions
// say which in words of every policy field (多少钱, 什么时候, 找谁, 算不算);
// clauses show it in their form (万元, 6月30日前, 负责, 是指), whatever
// their subject, so matching the two needs no vocabulary of a corpus.
type answerType uint8

const (
	answerAmount answerType = 1 << iota
	answerDate
	answerWho
	answerDefinition
	// answerProcedure (怎么申请, 什么材料 → 提交, 上传, 登录…系统, 申报
	// 材料). First measured to move no set in ranking, and kept to leads;
	// with the seventh to ninth corpora it ranks too (README).
	answerProcedure
)

// The question words asking for each kind, and the forms of a clause
// giving it.
var (
	asksRe = []struct {
		t  answerType
		re *regexp.Regexp
	}{
		{answerAmount, regexp.MustCompile(`多少钱|多少万|[补奖给返退扣减].{0,2}多少|多少补|比例|几个点|税率是?多少|百分之几|几成|最高|上限|标准是多少|怎么算`)},
		{answerDate, regexp.MustCompile(`什么时候|啥时候|何时|截止|最晚|哪天|几号|几月|期限|多久|多长时间|哪年`)},
		{answerWho, regexp.MustCompile(`找谁|哪个部门|什么部门|哪个单位|谁负责|谁管|向谁|去哪|哪里办|在哪办|到哪`)},
		{answerDefinition, regexp.MustCompile(`算不算|什么是|是指|指的是|什么叫|怎么界定|如何界定|怎么认定|属不属于|符合.{0,4}条件|什么条件|啥条件|哪些条件|资格`)},
		{answerProcedure, regexp.MustCompile(`[怎如]么?(?:申请|申报|办理|办|领|报)|流程|手续|[什哪啥](?:么|些)?材料|要交什么|准备什么|要提供|需要提供|哪个系统|网上`)},
	}
	givesRe = []struct {
		t  answerType
		re *regexp.Regexp
	}{
		{answerAmount, regexp.MustCompile(`\d+(?:\.\d+)?\s*(?:万元|亿元|元|%|％|倍)|[一二三四五六七八九十百千]+(?:万元|亿元|元|倍)|百分之|减半|全额`)},
		{answerDate, regexp.MustCompile(`\d{4}年\d{1,2}月|\d{1,2}月\d{1,2}日|\d{1,2}月底|年底前|月底前|日前|日内|个工作日|个月内|年内|之日起`)},
		{answerWho, regexp.MustCompile(`负责|牵头|受理|主管部门|报送|报至|向[^。；，]{1,16}(?:申请|提出|报送|备案)`)},
		{answerDefinition, regexp.MustCompile(`是指|所称|指的是|条件|标准为|应当具备|应同时符合|符合以下|须具备`)},
		{answerProcedure, regexp.MustCompile(`提交|上传|报送|填报|登录|申报材料|申请材料|办理流程|网上办事|(?:平台|系统)(?:申请|申报|提交|办理)`)},
	}
)

// answerTypeBoost favours, for a question asking for a kind of answer,
// the clauses that give that kind.
const answerTypeBoost = 1.3

// answerTypes are the kinds of answer a question asks for.
func answerTypes(question string) answerType {
	var t answerType
	for _, a := range asksRe {
		if a.re.MatchString(question) {
			t |= a.t
		}
	}
	return t
}

// Asks says whether question asks for a kind of answer (an amount, a
// date, who is responsible, a definition; for a question whether a policy
// still holds, a date) and, when it does, whether text
// gives one of the kinds asked: what an answer's lead should state.
func Asks(question, text string) (asks, given bool) {
	wants := answerTypes(question)
	if asksValidity(question) {
		// 还有效吗, 现在还能享受吗: the answer is the period the text
		// states, which ranking favours by its own rule (favourPeriods).
		return true, corpus.StatesPeriod(text) || wants&gives(text) != 0
	}
	return wants != 0, wants&gives(text) != 0
}

// gives are the kinds of answer a clause's text gives.
func gives(text string) answerType {
	var t answerType
	for _, g := range givesRe {
		if g.re.MatchString(text) {
			t |= g.t
		}
	}
	return t
}

// elsewhereWeight scales, for a question placed in a city whose own rules
// the corpus lacks, the clauses of the held cities' documents: their
// measures do not apply there, the province's and the nation's do.
const elsewhereWeight = 0.6

// placedElsewhere says whether a question names one of the cities whose
// own rules the corpus lacks (Scope.Cities) and none whose documents it
// holds: the asker is there, where the held cities' measures do not
// apply, and the province's and the nation's do.
func (ix *Index) placedElsewhere(q string) bool {
	if ix.judge == nil || slices.ContainsFunc(ix.heldCities, func(c string) bool { return strings.Contains(q, c) }) {
		return false
	}
	for _, c := range ix.judge.scope.Cities {
		if strings.Contains(q, c) {
			return true
		}
	}
	return false
}
