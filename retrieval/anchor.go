package retrieval

import (
	"context"
	"strings"
)

// Anchor ranks an index's chunks by plain BM25, the yardstick the
// figures of `policybot eval --anchor` are read against: the question and
// its history as one text, cut into Han bigrams (a lone Han character
// stands for itself) and Latin and digit words, every term weighing the
// same. No vocabulary, no vectors, no question rules, and it never says
// the corpus does not answer.
type Anchor struct{ ix *Index }

// Anchor is plain BM25 over this index's chunks.
func (ix *Index) Anchor() Anchor { return Anchor{ix} }

// Anchor is plain BM25 over the current index's chunks.
func (l *Live) Anchor() Anchor { return l.cur.Load().ix.Anchor() }

// Search ranks the chunks for q by BM25 alone.
func (a Anchor) Search(_ context.Context, q Query) (Result, error) {
	text := strings.TrimSpace(strings.Join(append(append([]string{}, q.History...), q.Question), " "))
	weights := map[string]float64{}
	for _, t := range anchorTerms(text) {
		weights[t] = 1
	}
	k := q.K
	if k <= 0 {
		k = a.ix.k
	}
	res := Result{Question: q.Question, Query: text, Found: true, Hits: []Hit{}, Version: a.ix.version}
	for i, s := range a.ix.lex.search(weights, nil, nil, k) {
		h := a.ix.hit(s)
		h.Rank = i + 1
		res.Hits = append(res.Hits, h)
	}
	return res, nil
}

// anchorTerms are the bigrams and words of text, as a CJK bigram
// analyzer cuts it: a run of one Han character gives that character.
func anchorTerms(text string) []string {
	var out []string
	for _, run := range strings.FieldsFunc(text, func(r rune) bool { return !isHan(fold(r)) }) {
		if r := []rune(run); len(r) == 1 {
			out = append(out, run)
		}
	}
	return append(out, terms(text, false)...)
}
