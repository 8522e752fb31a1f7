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

// search scores every chunk holding a query term. Query terms carry
// weights so that history and vocabulary expansions count less than the
// user's own words.
func (ix *bm25) search(q map[string]float64, allow func(int) bool) []scored {
	// Terms are summed in a fixed order: floating-point sums depend on
	// order, and ties must break the same way every time.
	acc := map[int]float64{}
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
			norm := ix.k1 * (1 - ix.b + ix.b*ix.lengths[p.doc]/ix.avg)
			acc[p.doc] += w * idf * p.tf * (ix.k1 + 1) / (p.tf + norm)
		}
	}
	out := make([]scored, 0, len(acc))
	for d, s := range acc {
		out = append(out, scored{d, s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].doc < out[j].doc
	})
	return out
}
