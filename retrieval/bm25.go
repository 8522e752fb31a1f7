package retrieval

import (
	"math"
	"sort"
)

// bm25 is an Okapi BM25 index over terms. Documents are chunk positions.
type bm25 struct {
	k1, b    float64
	postings map[string][]posting
	lengths  []float64
	avg      float64
}

type posting struct {
	doc int
	tf  float64
}

func newBM25(texts []string) *bm25 {
	ix := &bm25{k1: 1.5, b: 0.75, postings: map[string][]posting{}, lengths: make([]float64, len(texts))}
	total := 0.0
	for i, t := range texts {
		tf := map[string]float64{}
		ts := terms(t, true)
		for _, term := range ts {
			tf[term]++
		}
		for term, n := range tf {
			ix.postings[term] = append(ix.postings[term], posting{i, n})
		}
		ix.lengths[i] = float64(len(ts))
		total += float64(len(ts))
	}
	if len(texts) > 0 {
		ix.avg = total / float64(len(texts))
	}
	return ix
}

// idf is BM25's inverse document frequency, floored at zero.
func (ix *bm25) idf(term string) float64 {
	n := float64(len(ix.postings[term]))
	if n == 0 {
		return 0
	}
	return ix.idfN(n, float64(len(ix.lengths)))
}

func (ix *bm25) idfN(n, N float64) float64 { return math.Log(1 + (N-n+0.5)/(n+0.5)) }

type scored struct {
	doc   int
	score float64
}

// search scores every chunk holding a query term and returns the best
// limit of them, best first. Query terms carry weights so that history
// and vocabulary expansions count less than the user's own words; boost,
// when not nil, scales a chunk's score before the cut.
//
// Scores accumulate in a dense array and the best are kept in a bounded
// heap: on a large corpus common terms touch most chunks, and a map plus
// a full sort of them cost more than the scoring.
func (ix *bm25) search(q map[string]float64, allow func(int) bool, boost func(int) float64, limit int) []scored {
	acc := make([]float64, len(ix.lengths))
	var touched []int
	// Terms are summed in a fixed order: floating-point sums depend on
	// order, and ties must break the same way every time.
	for _, term := range sortedTerms(q) {
		w := q[term]
		idf := ix.idf(term)
		if idf == 0 {
			continue
		}
		for _, p := range ix.postings[term] {
			if allow != nil && !allow(p.doc) {
				continue
			}
			if acc[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			norm := ix.k1 * (1 - ix.b + ix.b*ix.lengths[p.doc]/ix.avg)
			acc[p.doc] += w * idf * p.tf * (ix.k1 + 1) / (p.tf + norm)
		}
	}
	h := make(topK, 0, limit+1)
	for _, d := range touched {
		s := acc[d]
		if boost != nil {
			s *= boost(d)
		}
		h.offer(scored{d, s}, limit)
	}
	sort.Slice(h, func(i, j int) bool { return better(h[i], h[j]) })
	return h
}

// better orders results: higher score first, then lower position, so
// ties break the same way every time.
func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.doc < b.doc
}

// topK is a min-heap holding the best results seen so far.
type topK []scored

func (h *topK) offer(s scored, limit int) {
	if limit <= 0 {
		return
	}
	if len(*h) < limit {
		*h = append(*h, s)
		h.up(len(*h) - 1)
		return
	}
	if better(s, (*h)[0]) {
		(*h)[0] = s
		h.down(0)
	}
}

// The heap's root is its worst element.
func (h topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !better(h[p], h[i]) {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (h topK) down(i int) {
	for {
		l, r, w := 2*i+1, 2*i+2, i
		if l < len(h) && better(h[w], h[l]) {
			w = l
		}
		if r < len(h) && better(h[w], h[r]) {
			w = r
		}
		if w == i {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}
