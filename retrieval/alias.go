package retrieval

import (
	"maps"
	"slices"
	"sort"
)

// How a question that resembles a taught one (aliasIndex.resemblances)
// without being the rewording TaughtSimilarity catches is answered:
//   - from aliasMin, the taught clause's score rises by aliasWeight ×
//     resemblance × the best clause's score, so that a reworded question
//     finds it while its own best clauses still count;
//   - a question the judge found too little in common with any clause
//     (ReasonNoMatch) is answered from the taught clause, first, when it
//     resembles its question by aliasFound;
//   - a found question resembling a question taught to have no answer by
//     noneMin, more than any taught with a clause, is not found.
//
// Measured by teaching every dev and probe question and asking the sets
// written apart from them (TestTaughtTransfer), and on the paraphrases
// (TestTaughtParaphrases), see the README: aliasMin 0.15 gave a question
// the clause taught for another on its topic (a question whether patents
// can secure a loan took the one taught for compensation of such loans
// gone bad); 0.2–0.3 at weight 1–2 lost nothing anywhere.
const (
	aliasMin    = 0.25
	aliasWeight = 2.0
	aliasFound  = 0.4
	noneMin     = 0.5
)

// aliasIndex is what an index knows of the taught questions in one state of
// the store: each question's terms as the index reads them, inverted, so
// that a search compares only the taught questions sharing a term with
// its own.
type aliasIndex struct {
	gen      uint64
	items    []TaughtItem
	mass     []float64 // Σ weight × idf over each item's terms
	postings map[string][]aliasPosting
}

type aliasPosting struct {
	item   int
	weight float64
}

// aliasesNow is the aliasIndex of the taught store's current state, built
// again only when it changed.
func (ix *Index) aliasesNow() *aliasIndex {
	gen, items := ix.taught.state()
	if a := ix.aliases.Load(); a != nil && a.gen == gen {
		return a
	}
	a := &aliasIndex{gen: gen, items: items, mass: make([]float64, len(items)), postings: map[string][]aliasPosting{}}
	for i, it := range items {
		ws := ix.rewrite(it.Question, nil).weights
		for _, t := range sortedTerms(ws) {
			a.mass[i] += ws[t] * ix.termIDF(t)
			a.postings[t] = append(a.postings[t], aliasPosting{i, ws[t]})
		}
	}
	// Searches racing here build the same thing; the last one kept is as
	// good as any.
	ix.aliases.Store(a)
	return a
}

// termIDF is a term's IDF, a term the corpus never uses weighing as much
// as its rarest.
func (ix *Index) termIDF(t string) float64 {
	if len(ix.lex.postings[t]) == 0 {
		return ix.judge.maxIDF()
	}
	return ix.lex.idf(t)
}

// resemblances gives, for each taught item sharing a term with a query,
// how much of their informative content the two share: the IDF-weighted
// Jaccard of their terms, Σ min(w)·idf over Σ max(w)·idf.
func (a *aliasIndex) resemblances(ix *Index, q map[string]float64) map[int]float64 {
	shared := map[int]float64{}
	var mass float64
	for _, t := range sortedTerms(q) {
		idf := ix.termIDF(t)
		mass += q[t] * idf
		for _, p := range a.postings[t] {
			shared[p.item] += min(q[t], p.weight) * idf
		}
	}
	for i, s := range shared {
		shared[i] = s / (mass + a.mass[i] - s)
	}
	return shared
}

// applyAliases answers a question resembling taught ones (see aliasMin).
func (ix *Index) applyAliases(q Query, res Result) Result {
	if ix.taught == nil || !res.Found && res.Reason != ReasonNoMatch {
		return res
	}
	a := ix.aliasesNow()
	if len(a.items) == 0 {
		return res
	}
	alone := ix.rewrite(q.Question, nil)
	if len(q.History) > 0 && res.Query != alone.text {
		// A follow-up read with its history says too little by its own
		// words (这个什么时候截止) to resemble anything taught.
		return res
	}
	allow := ix.allow(q)
	boost := map[string]float64{}
	closest := ""
	bestAlias, bestNone := 0.0, 0.0
	sims := a.resemblances(ix, alone.weights)
	for _, i := range slices.Sorted(maps.Keys(sims)) {
		it, s := a.items[i], sims[i]
		if it.None {
			bestNone = max(bestNone, s)
			continue
		}
		j, ok := ix.byID[it.ChunkID]
		if !ok || ix.entries[j].inert || allow != nil && !allow(j) {
			continue
		}
		if s > bestAlias {
			bestAlias, closest = s, it.ChunkID
		}
		if s >= aliasMin {
			boost[it.ChunkID] = max(boost[it.ChunkID], aliasWeight*s)
		}
	}
	switch {
	case !res.Found:
		if bestAlias >= aliasFound {
			return ix.putFirst(q, res, closest)
		}
		return res
	case bestNone >= noneMin && bestNone > bestAlias:
		res.Found, res.Reason = false, ReasonTaughtOutOfScope
		return res
	case len(boost) == 0:
		return res
	}
	top := res.Hits[0].Score
	hits := slices.Clone(res.Hits)
	for j := range hits {
		if b, ok := boost[hits[j].ChunkID]; ok {
			hits[j].Score += b * top
			delete(boost, hits[j].ChunkID)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(boost)) {
		hits = append(hits, ix.hit(scored{doc: ix.byID[id], score: boost[id] * top}))
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].Score > hits[b].Score })
	res.Hits = ix.ranked(q, hits)
	return res
}
