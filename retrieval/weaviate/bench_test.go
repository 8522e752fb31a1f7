package weaviate

import (
	"context"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	chromem "github.com/philippgille/chromem-go"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/retrieval"
)

// The benchmarks measure; run them against the cluster of .ci/cluster:
//
//	go test -run '^$' -bench DevSet -benchtime 110x ./retrieval/weaviate/   (the dev set; gse needs POLICYBOT_CLUSTER_GSE=1)
//	go test -run '^$' -bench Scale -timeout 0 ./retrieval/weaviate/
//
// POLICYBOT_BENCH_1M=1 adds a million clauses to the scale benchmarks.

// latencies collects per-search durations so a benchmark reports the
// median and the tail.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	at := func(q float64) float64 {
		return float64(l[min(len(l)-1, int(q*float64(len(l))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkDevSet scores the development set through the index on each
// tokenization and alpha of the Weaviate backend, beside the embedded
// backend, and times the index's search on each.
func BenchmarkDevSet(b *testing.B) {
	items := devSet(b)
	hosts := clusterHosts(b)
	dir := b.TempDir()
	run := func(b *testing.B, backend retrieval.Backend) {
		ctx := context.Background()
		lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
		if err != nil {
			b.Fatal(err)
		}
		ix, err := retrieval.Build(ctx, lib, retrieval.Options{Dir: dir, Backend: backend})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := retrieval.Evaluate(ctx, ix, items, 10)
		if err != nil {
			b.Fatal(err)
		}
		var lat latencies
		i := 0
		for b.Loop() {
			t0 := time.Now()
			if _, err := ix.Search(ctx, retrieval.Query{Question: items[i%len(items)].Question, History: items[i%len(items)].History}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
			i++
		}
		lat.report(b)
		m := rep.Overall
		b.ReportMetric(m.ClauseHit1, "hit@1")
		b.ReportMetric(m.ClauseHit5, "hit@5")
		b.ReportMetric(m.MRR10, "MRR@10")
	}
	b.Run("backend=chromem", func(b *testing.B) { run(b, nil) })
	for _, tok := range tokenizations() {
		class := className(b) + tok
		b.Run(fmt.Sprintf("keywords-alone/tok=%s", tok), func(b *testing.B) {
			s, err := New(context.Background(), Options{Hosts: hosts, Class: class, Tokenization: tok})
			if err != nil && tok != DefaultTokenization {
				b.Skipf("%v: start the cluster with POLICYBOT_CLUSTER_GSE=1 for the gse tokenizers", err)
			}
			if err != nil {
				b.Fatal(err)
			}
			keywordsAlone(b, s, items)
		})
		for _, alpha := range []float64{0.25, 0.5, 0.75} {
			b.Run(fmt.Sprintf("backend=weaviate/tok=%s/alpha=%.2f", tok, alpha), func(b *testing.B) {
				s, err := New(context.Background(), Options{Hosts: hosts, Class: class, Tokenization: tok, Alpha: alpha})
				if err != nil && tok != DefaultTokenization {
					b.Skipf("%v: start the cluster with POLICYBOT_CLUSTER_GSE=1 for the gse tokenizers", err)
				}
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { dropClass(b, s) })
				run(b, s)
			})
		}
	}
}

// keywordsAlone scores the engine's own keyword ranking of the dev set's
// questions, without the index: the clause hit@1, hit@5 and MRR@10 of its
// candidates, which is where the tokenizations differ.
func keywordsAlone(b *testing.B, s *Store, items []retrieval.EvalItem) {
	ctx := context.Background()
	lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	var clauses []retrieval.Clause
	text := map[string]string{}
	for _, d := range lib.Documents() {
		for _, c := range d.Chunks {
			text[c.ID] = squeeze(c.Text)
			clauses = append(clauses, retrieval.Clause{ID: c.ID, DocID: d.ID, Domain: d.Domain, Kind: d.Kind,
				Text: d.Title + " " + d.DocNo + "\n" + c.Text})
		}
	}
	if err := s.Sync(ctx, clauses); err != nil {
		b.Fatal(err)
	}
	var hit1, hit5, mrr, n float64
	var lat latencies
	i := 0
	for b.Loop() {
		it := items[i%len(items)]
		i++
		t0 := time.Now()
		got, err := s.Search(ctx, retrieval.BackendQuery{Text: it.Question, N: 10})
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if i > len(items) || !it.Answerable {
			continue
		}
		n++
		for rank, c := range got {
			if goldIn(text[c.ID], it.Gold) {
				mrr += 1 / float64(rank+1)
				if rank == 0 {
					hit1++
				}
				if rank < 5 {
					hit5++
				}
				break
			}
		}
	}
	if i < len(items) {
		b.Fatalf("ran %d of %d questions: use -benchtime %dx or more", i, len(items), len(items))
	}
	lat.report(b)
	b.ReportMetric(hit1/n, "hit@1")
	b.ReportMetric(hit5/n, "hit@5")
	b.ReportMetric(mrr/n, "MRR@10")
}

func goldIn(text string, gold []retrieval.EvalGold) bool {
	for _, g := range gold {
		if g.Clause != "" && strings.Contains(text, squeeze(g.Clause)) {
			return true
		}
	}
	return false
}

// squeeze drops white space, as the evaluation does before comparing.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// synthetic is a corpus of n clauses made of the built-in corpus's words,
// with random unit vectors of dims dimensions, and queries over it.
type synthetic struct {
	clauses []retrieval.Clause
	queries []retrieval.BackendQuery
}

func synth(b testing.TB, n, dims int) synthetic {
	b.Helper()
	lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	// Words: runs of two to four Han characters cut from the corpus.
	seen := map[string]bool{}
	var words []string
	for _, d := range lib.Documents() {
		for _, c := range d.Chunks {
			var run []rune
			flush := func() {
				for i := 0; i+2 <= len(run); i += 2 + i%3 {
					w := string(run[i:min(len(run), i+2+i%3)])
					if !seen[w] {
						seen[w] = true
						words = append(words, w)
					}
				}
				run = run[:0]
			}
			for _, r := range c.Text {
				if unicode.Is(unicode.Han, r) {
					run = append(run, r)
				} else {
					flush()
				}
			}
			flush()
		}
	}
	r := mrand.New(mrand.NewPCG(uint64(n), 7))
	domains := []string{"工信", "发改", "科技", "财政", "税务"}
	text := func(k int) string {
		var s []byte
		for range k {
			s = append(s, words[r.IntN(len(words))]...)
		}
		return string(s)
	}
	out := synthetic{clauses: make([]retrieval.Clause, n)}
	const perDoc = 20
	for i := range out.clauses {
		c := retrieval.Clause{
			ID: "s" + strconv.Itoa(i), DocID: "d" + strconv.Itoa(i/perDoc),
			Domain: domains[(i/perDoc)%len(domains)], Kind: "原文",
			Text: text(30 + r.IntN(30)), Vector: unit(r, dims),
		}
		if (i/perDoc)%5 == 4 {
			c.Kind = "解读"
		}
		if (i/perDoc)%3 == 2 {
			c.Ends = time.Date(2020+(i/perDoc)%10, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		out.clauses[i] = c
	}
	// A query is a piece of one clause's text, as a question shares a
	// clause's words, and that clause's vector nudged.
	for range 64 {
		c := out.clauses[r.IntN(n)]
		v := slices.Clone(c.Vector)
		noise := unit(r, dims)
		for j := range v {
			v[j] += 0.5 * noise[j]
		}
		rs := []rune(c.Text)
		at := r.IntN(len(rs) - 14)
		out.queries = append(out.queries, retrieval.BackendQuery{Text: string(rs[at : at+8+r.IntN(7)]), Vector: normalized(v), N: 50})
	}
	return out
}

func normalized(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / math.Sqrt(s))
	}
	return out
}

// benchDims is the vectors' size: the built-in embedder's, unless
// POLICYBOT_BENCH_DIMS says otherwise.
func benchDims(b *testing.B) int {
	if v := os.Getenv("POLICYBOT_BENCH_DIMS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			b.Fatalf("POLICYBOT_BENCH_DIMS=%q", v)
		}
		return n
	}
	return 512
}

// BenchmarkScale indexes n synthetic clauses and times searches of them,
// in the Weaviate cluster and in chromem-go in this process, reporting
// indexing throughput and the searches' median and 99th percentile. In
// the cluster a search is hybrid (keywords and vector, 50 candidates, as
// the index asks), keywords alone or vector alone; in chromem-go it is the
// exhaustive vector search the index does without a backend.
//
// POLICYBOT_BENCH_SIZES (default 100000; POLICYBOT_BENCH_1M=1 adds a
// million) and POLICYBOT_BENCH_TOKS (default trigram) choose what runs.
// The synthetic corpus is the same on every run.
func BenchmarkScale(b *testing.B) {
	sizes := []int{100_000}
	if v := os.Getenv("POLICYBOT_BENCH_SIZES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n < 100 {
				b.Fatalf("POLICYBOT_BENCH_SIZES=%q", v)
			}
			sizes = append(sizes, n)
		}
	}
	if os.Getenv("POLICYBOT_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	toks := []string{DefaultTokenization}
	if v := os.Getenv("POLICYBOT_BENCH_TOKS"); v != "" {
		toks = strings.Split(v, ",")
	}
	dims := benchDims(b)
	for _, n := range sizes {
		var data synthetic
		get := func(b *testing.B) synthetic {
			if data.clauses == nil {
				data = synth(b, n, dims)
			}
			return data
		}
		for _, tok := range toks {
			b.Run(fmt.Sprintf("clauses=%d/backend=weaviate/tok=%s", n, tok), func(b *testing.B) {
				hosts := clusterHosts(b)
				d := get(b)
				// POLICYBOT_BENCH_KEEP=1 keeps the class for the next run,
				// whose sync then writes nothing: searches are timed again
				// without indexing again.
				keep := os.Getenv("POLICYBOT_BENCH_KEEP") != ""
				// POLICYBOT_BENCH_VECTORS_ONLY=1 leaves the clause text out of
				// the keyword index and times vector searches only: the
				// vector index's scaling, at sizes the inverted index takes
				// too long to reach on a small machine.
				vectorsOnly := os.Getenv("POLICYBOT_BENCH_VECTORS_ONLY") != ""
				class := className(b)
				if keep {
					class = fmt.Sprintf("BenchScale%d%s", n, nonWord.ReplaceAllString(tok, ""))
					if vectorsOnly {
						class += "Vectors"
					}
				}
				opts := Options{Hosts: hosts, Class: class, Tokenization: tok, Timeout: time.Minute}
				if vectorsOnly {
					createVectorsOnly(b, opts)
				}
				s, err := New(context.Background(), opts)
				if err != nil {
					b.Fatal(err)
				}
				if !keep {
					b.Cleanup(func() { dropClass(b, s) })
				}
				// POLICYBOT_BENCH_SEARCH_ONLY=1 (with KEEP) times searches of
				// what a kept class holds, without syncing it: for a class
				// whose indexing was stopped part way.
				searchOnly := keep && os.Getenv("POLICYBOT_BENCH_SEARCH_ONLY") != ""
				t0 := time.Now()
				if !searchOnly {
					if err := s.Sync(context.Background(), d.clauses); err != nil {
						b.Fatal(err)
					}
				}
				took := time.Since(t0)
				held := 0
				if searchOnly {
					held = classCount(b, s)
				}
				report := func(b *testing.B) {
					if searchOnly {
						b.ReportMetric(float64(held), "clauses-held")
						return
					}
					if s.written.Load() == 0 {
						b.ReportMetric(took.Seconds(), "resync-s")
						return
					}
					b.ReportMetric(float64(n)/took.Seconds(), "index-clauses/s")
					b.ReportMetric(took.Seconds(), "index-s")
				}
				modes := []struct {
					name string
					q    func(retrieval.BackendQuery) retrieval.BackendQuery
				}{
					{"hybrid", func(q retrieval.BackendQuery) retrieval.BackendQuery { return q }},
					{"keywords", func(q retrieval.BackendQuery) retrieval.BackendQuery { q.Vector = nil; return q }},
					{"vector", func(q retrieval.BackendQuery) retrieval.BackendQuery { q.Text = ""; return q }},
				}
				for _, m := range modes {
					if vectorsOnly && m.name != "vector" {
						continue
					}
					b.Run("query="+m.name, func(b *testing.B) {
						ctx := context.Background()
						var lat latencies
						i := 0
						for b.Loop() {
							q := m.q(d.queries[i%len(d.queries)])
							i++
							t0 := time.Now()
							got, err := s.Search(ctx, q)
							lat = append(lat, time.Since(t0))
							if err != nil || len(got) == 0 {
								b.Fatalf("search: %d candidates, %v", len(got), err)
							}
						}
						lat.report(b)
						report(b)
					})
				}
			})
		}
		b.Run(fmt.Sprintf("clauses=%d/backend=chromem", n), func(b *testing.B) {
			d := get(b)
			ctx := context.Background()
			coll, err := chromem.NewDB().CreateCollection("c", nil, func(context.Context, string) ([]float32, error) {
				return nil, errors.New("vectors are given")
			})
			if err != nil {
				b.Fatal(err)
			}
			docs := make([]chromem.Document, len(d.clauses))
			for i, c := range d.clauses {
				docs[i] = chromem.Document{ID: c.ID, Content: c.Text, Embedding: c.Vector,
					Metadata: map[string]string{"doc_id": c.DocID, "domain": c.Domain, "kind": c.Kind}}
			}
			t0 := time.Now()
			if err := coll.AddDocuments(ctx, docs, runtime.GOMAXPROCS(0)); err != nil {
				b.Fatal(err)
			}
			took := time.Since(t0)
			var lat latencies
			i := 0
			for b.Loop() {
				q := d.queries[i%len(d.queries)]
				i++
				t0 := time.Now()
				got, err := coll.QueryEmbedding(ctx, q.Vector, q.N, nil, nil)
				lat = append(lat, time.Since(t0))
				if err != nil || len(got) == 0 {
					b.Fatalf("search: %d results, %v", len(got), err)
				}
			}
			lat.report(b)
			b.ReportMetric(float64(n)/took.Seconds(), "index-clauses/s")
			b.ReportMetric(took.Seconds(), "index-s")
		})
	}
}

// classCount is how many objects the store's class holds.
func classCount(b *testing.B, s *Store) int {
	var n int
	err := s.do(context.Background(), "count the class", func(ctx context.Context, c *wv.Client) error {
		res, err := c.GraphQL().Aggregate().WithClassName(s.class).
			WithFields(graphql.Field{Name: "meta", Fields: []graphql.Field{{Name: "count"}}}).Do(ctx)
		if err != nil {
			return err
		}
		if len(res.Errors) > 0 {
			return fmt.Errorf("%s", res.Errors[0].Message)
		}
		rows, _ := res.Data["Aggregate"].(map[string]any)[s.class].([]any)
		if len(rows) == 0 {
			return errors.New("no aggregate row")
		}
		meta, _ := rows[0].(map[string]any)["meta"].(map[string]any)
		f, _ := meta["count"].(float64)
		n = int(f)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// createVectorsOnly creates the class of opts, unless it exists, as New
// would but with the clause text kept out of the keyword index.
func createVectorsOnly(b *testing.B, opts Options) {
	o, err := withDefaults(opts)
	if err != nil {
		b.Fatal(err)
	}
	sch := (&Store{class: o.Class, replicas: o.Replication, tok: o.Tokenization}).classSchema()
	no := false
	for _, p := range sch.Properties {
		if p.Name == propText {
			p.IndexSearchable = &no
		}
	}
	c, err := wv.NewClient(wv.Config{Host: o.Hosts[0], Scheme: "http"})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Schema().ClassCreator().WithClass(sch).Do(context.Background()); err != nil && !strings.Contains(err.Error(), "already exists") {
		b.Fatal(err)
	}
}
