package retrieval

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/policybot/policybot/corpus"
)

// The tests in this file print the evidence the follow-up decision and
// the judge rest on, over the tuning sets; they check nothing. Run them
// with POLICYBOT_EVIDENCE=1 and -v. fresh_b.jsonl is deliberately left
// out: it is measured, never studied.

var evidenceSets = []struct{ name, path string }{
	{"dev", devSetPath},
	{"probe", "testdata/probe.jsonl"},
	{"fresh_a", "testdata/fresh_a.jsonl"},
	{"switch", "testdata/switch.jsonl"},
}

func evidenceIndex(t *testing.T) *Index {
	t.Helper()
	if os.Getenv("POLICYBOT_EVIDENCE") == "" {
		t.Skip("set POLICYBOT_EVIDENCE=1 to print the evidence")
	}
	lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Build(context.Background(), lib, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func evidenceSet(t *testing.T, path string) []EvalItem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("set not here: %v", err)
	}
	defer f.Close()
	items, err := ReadEval(f)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// goldRank is the rank of an item's gold clause among hits, 0 for none.
func goldRank(it EvalItem, hits []Hit) int {
	r, _ := goldRanks(it, hits)
	return r
}

// TestEvidenceSets prints each tuning set's figures and, per pair type,
// how many second questions find their own gold clause first.
func TestEvidenceSets(t *testing.T) {
	ix := evidenceIndex(t)
	var b strings.Builder
	for _, s := range evidenceSets {
		rep, err := Evaluate(context.Background(), ix, evidenceSet(t, s.path), 10)
		if err != nil {
			t.Fatal(err)
		}
		m := rep.Overall
		fmt.Fprintf(&b, "%-8s hit@1 %.2f hit@5 %.2f MRR %.2f  unanswerable refused %d/%d  answerable refused %d/%d",
			s.name, m.ClauseHit1, m.ClauseHit5, m.MRR10,
			count(m.NotFoundUnanswerable, m.Unanswerable), m.Unanswerable, count(m.NotFoundAnswerable, m.Answerable), m.Answerable)
		for _, k := range []string{"followup", "topic_switch"} {
			if km, ok := rep.Kinds[k]; ok && km.Answerable > 0 {
				fmt.Fprintf(&b, " | %s %d/%d at 1, %d/%d in 5", k, count(km.ClauseHit1, km.Answerable), km.Answerable, count(km.ClauseHit5, km.Answerable), km.Answerable)
			}
		}
		b.WriteString("\n")
	}
	t.Log("\n" + b.String())
}

func count(share float64, n int) int { return int(share*float64(n) + 0.5) }

// TestEvidenceHistory prints, for every question with history, what the
// follow-up decision sees: the question's coverage by its own best clause
// and by the clause its history leads to, how much it says, and where
// the gold clause ranks with and without the history.
func TestEvidenceHistory(t *testing.T) {
	ix := evidenceIndex(t)
	ctx := context.Background()
	var b strings.Builder
	for _, s := range evidenceSets {
		for _, it := range evidenceSet(t, s.path) {
			if len(it.History) == 0 {
				continue
			}
			search := ix.lexical(it.Question, nil, 50)
			alone := ix.rewrite(it.Question, nil)
			full := ix.rewrite(it.Question, it.History)
			lexA, lexH := search(alone.weights), search(full.weights)
			var covA, covH float64
			if len(lexA) > 0 {
				covA = ix.judge.coverage(alone, lexA[0].doc)
			}
			if len(lexH) > 0 {
				covH = ix.judge.coverage(alone, lexH[0].doc)
			}
			pq, _ := ix.understand(it.Question, it.History, search)
			read := "follow-up"
			if pq.text == alone.text {
				read = "own topic"
			}
			ra, err := ix.Search(ctx, Query{Question: it.Question, K: 10})
			if err != nil {
				t.Fatal(err)
			}
			r, err := ix.Search(ctx, Query{Question: it.Question, History: it.History, K: 10})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%-8s %-9s %-13s ans=%-5v says %4.1f cov alone %.2f via history %.2f → %-9s gold@%-2d (alone @%-2d)  %s ← %s\n",
				s.name, it.ID, it.Kind, it.Answerable, ix.judge.says(alone), covA, covH, read, goldRank(it, r.Hits), goldRank(it, ra.Hits),
				it.Question, strings.Join(it.History, " / "))
		}
	}
	t.Log("\n" + b.String())
}

// refusalRow is one question's evidence for the judge.
type refusalRow struct {
	set        string
	answerable bool
	other      bool               // refused for a reason coverage does not decide
	m          map[string]float64 // evidence measures
}

func refusalRows(t *testing.T, ix *Index) []refusalRow {
	ctx := context.Background()
	var rows []refusalRow
	for _, s := range evidenceSets {
		for _, it := range evidenceSet(t, s.path) {
			q := Query{Question: it.Question, History: it.History, K: 10}
			res, err := ix.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			r := refusalRow{set: s.name, answerable: it.Answerable, m: map[string]float64{}}
			// Reasons decided before coverage (region, topic, year, 文号)
			// refuse whatever the threshold.
			r.other = res.Reason != "" && res.Reason != ReasonNoMatch
			dn := ix.docNos.resolve(q.Question)
			if dn.reason != "" {
				r.other = true
				rows = append(rows, r)
				continue
			}
			pq, lex := ix.understand(dn.question, q.History, ix.lexical(q.Question, ix.allow(q), 50))
			if len(lex) > 0 {
				r.m["coverage"] = ix.judge.held(pq, lex[0].doc, true)
				r.m["coverage, seams counted"] = ix.judge.coverage(pq, lex[0].doc)
				r.m["coverage, known terms"] = ix.judge.coverageKnown(pq, lex[0].doc)
				r.m["rarest 3 terms in top 3"] = ix.judge.rareCover(pq, lex, 3, 3)
				if len(lex) > 1 {
					r.m["BM25 margin"] = lex[0].score / lex[1].score
				}
				r.m["BM25 top score"] = lex[0].score / ix.judge.maxIDF()
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// coverageKnown is coverage over only the terms the corpus uses.
func (j *judge) coverageKnown(pq parsedQuery, doc int) float64 {
	text := j.entries[doc].text
	var have, total float64
	for _, t := range sortedTerms(pq.weights) {
		idf := j.lex.idf(t)
		if len([]rune(t)) < 2 || idf == 0 {
			continue
		}
		total += pq.weights[t] * idf
		if strings.Contains(text, t) {
			have += pq.weights[t] * idf
		}
	}
	if total == 0 {
		return 0
	}
	return have / total
}

// rareCover is the share of the weight×IDF of a query's n rarest terms
// (a term the corpus never uses counts at the highest IDF) that the best
// k clauses hold.
func (j *judge) rareCover(pq parsedQuery, lex []scored, n, k int) float64 {
	type tw struct {
		t string
		w float64
	}
	var ts []tw
	for _, t := range sortedTerms(pq.weights) {
		if len([]rune(t)) < 2 {
			continue
		}
		idf := j.lex.idf(t)
		if idf == 0 {
			idf = j.maxIDF()
		}
		ts = append(ts, tw{t, pq.weights[t] * idf})
	}
	sort.SliceStable(ts, func(a, b int) bool { return ts[a].w > ts[b].w })
	var have, total float64
	for i := 0; i < len(ts) && i < n; i++ {
		total += ts[i].w
		for _, s := range lex[:min(k, len(lex))] {
			if strings.Contains(j.entries[s.doc].text, ts[i].t) {
				have += ts[i].w
				break
			}
		}
	}
	if total == 0 {
		return 0
	}
	return have / total
}

var refusalGroups = []struct {
	name string
	in   func(set string) bool
}{
	{"dev+probe", func(s string) bool { return s == "dev" || s == "probe" }},
	{"fresh_a", func(s string) bool { return s == "fresh_a" }},
	{"switch", func(s string) bool { return s == "switch" }},
}

// TestEvidenceRefusal prints, per evidence measure, its values on the
// answerable and unanswerable questions that no other rule refuses, how
// well it separates them (AUC: the chance an answerable question scores
// above an unanswerable one), and for coverage the refusal curve.
func TestEvidenceRefusal(t *testing.T) {
	ix := evidenceIndex(t)
	rows := refusalRows(t, ix)
	var b strings.Builder
	for _, meas := range []string{"coverage", "coverage, seams counted", "coverage, known terms", "rarest 3 terms in top 3", "BM25 margin", "BM25 top score"} {
		fmt.Fprintf(&b, "== %s\n", meas)
		for _, g := range refusalGroups {
			var ans, un []float64
			var otherU int
			for _, r := range rows {
				switch {
				case !g.in(r.set):
				case r.other && !r.answerable:
					otherU++
				case r.other:
				case r.answerable:
					ans = append(ans, r.m[meas])
				default:
					un = append(un, r.m[meas])
				}
			}
			sort.Float64s(ans)
			sort.Float64s(un)
			var auc float64
			for _, a := range ans {
				for _, u := range un {
					if a > u {
						auc++
					} else if a == u {
						auc += 0.5
					}
				}
			}
			if len(ans)*len(un) > 0 {
				auc /= float64(len(ans) * len(un))
			}
			fmt.Fprintf(&b, "  %-9s AUC %.2f (%d unanswerable refused by other rules)\n    unanswerable %s\n    answerable   %s\n", g.name, auc, otherU, floats(un), floats(ans))
		}
	}
	fmt.Fprintf(&b, "\n== refusal curve: a question is refused when another rule refuses it or its coverage is below θ\n%-5s", "θ")
	for _, g := range refusalGroups {
		fmt.Fprintf(&b, " | %-9s unanswerable refused, answerable refused", g.name)
	}
	b.WriteString("\n")
	for _, th := range []float64{0.05, 0.075, 0.09, 0.10, 0.11, 0.12, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50} {
		fmt.Fprintf(&b, "%-5.3g", th)
		for _, g := range refusalGroups {
			var u, ur, a, ar int
			for _, r := range rows {
				if !g.in(r.set) {
					continue
				}
				refused := r.other || r.m["coverage"] < th
				if r.answerable {
					a++
					if refused {
						ar++
					}
				} else {
					u++
					if refused {
						ur++
					}
				}
			}
			fmt.Fprintf(&b, " | %9s %2d/%-2d %.2f              %3d/%-3d %.3f   ", "", ur, u, float64(ur)/float64(u), ar, a, float64(ar)/float64(a))
		}
		b.WriteString("\n")
	}
	t.Log("\n" + b.String())
}

func floats(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, " ")
}
