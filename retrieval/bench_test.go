package retrieval

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/corpus"
)

// latencies collects per-search durations so a benchmark can report the
// median and tail besides the mean that ns/op gives.
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

func BenchmarkSearch(b *testing.B) {
	ix, err := Build(context.Background(), loadBuiltin(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	queries := []struct {
		name string
		q    Query
	}{
		{"question", Query{Question: "小型微利企业所得税减半征收的条件是什么？"}},
		{"follow-up", Query{Question: "那豆粕呢？", History: []string{"11月份出口退税率是不是又调了一次？"}}},
	}
	for _, qq := range queries {
		b.Run(qq.name, func(b *testing.B) {
			ctx := context.Background()
			var lat latencies
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				res, err := ix.Search(ctx, qq.q)
				lat = append(lat, time.Since(t0))
				if err != nil || len(res.Hits) == 0 {
					b.Fatalf("search: %d hits, err %v", len(res.Hits), err)
				}
			}
			lat.report(b)
		})
	}
}

// BenchmarkColdStart is a restart: load the built-in corpus, build the
// index over a store written by an earlier run, answer one question.
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	if _, err := Build(ctx, loadBuiltin(b), Options{Dir: dir}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
		if err != nil {
			b.Fatal(err)
		}
		ix, err := Build(ctx, lib, Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		res, err := ix.Search(ctx, Query{Question: "小型微利企业所得税减半征收的条件是什么？"})
		if err != nil || len(res.Hits) == 0 {
			b.Fatalf("search: %d hits, err %v", len(res.Hits), err)
		}
	}
}

// synthBuilt is a synthetic index with what building it cost.
type synthBuilt struct {
	ix      *Index
	queries []Query
	heapMB  float64
	buildS  float64
	loadS   float64
	chunks  int
}

// synthCache keeps each size's index across -count runs: building 100k
// chunks is minutes of work that the numbers measured do not include.
var synthCache sync.Map // chunks → *synthBuilt

func synthIndex(b *testing.B, chunks int) *synthBuilt {
	if v, ok := synthCache.Load(chunks); ok {
		return v.(*synthBuilt)
	}
	const articles = 20
	dir := b.TempDir()
	docs := writeSynthCorpus(b, dir, 7, chunks/articles, articles)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	lib := loadDir(b, dir)
	t1 := time.Now()
	ix, err := Build(context.Background(), lib, Options{})
	if err != nil {
		b.Fatal(err)
	}
	t2 := time.Now()
	runtime.GC()
	runtime.ReadMemStats(&after)
	s := &synthBuilt{
		ix:     ix,
		heapMB: float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20),
		loadS:  t1.Sub(t0).Seconds(),
		buildS: t2.Sub(t1).Seconds(),
		chunks: ix.count(),
	}
	// Questions made of words from the corpus: a piece of one article of
	// eight documents spread through it.
	for i := range 8 {
		d := docs[i*len(docs)/8]
		sentence := strings.SplitAfter(d.articles[i%articles], "。")[0]
		r := []rune(sentence)
		s.queries = append(s.queries, Query{Question: string(r[:min(len(r), 14)]) + "怎么申报？"})
	}
	runtime.KeepAlive(lib)
	synthCache.Store(chunks, s)
	return s
}

func BenchmarkSearchSynthetic(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			if n > 10_000 && testing.Short() {
				b.Skip("100k chunks takes minutes to build; skipped in -short")
			}
			s := synthIndex(b, n)
			if s.chunks < n*9/10 || s.chunks > n*11/10 {
				b.Fatalf("synthetic corpus has %d chunks, want about %d", s.chunks, n)
			}
			ctx := context.Background()
			var lat latencies
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				q := s.queries[i%len(s.queries)]
				i++
				t0 := time.Now()
				res, err := s.ix.Search(ctx, q)
				lat = append(lat, time.Since(t0))
				if err != nil || len(res.Hits) == 0 {
					b.Fatalf("search %q: %d hits, err %v", q.Question, len(res.Hits), err)
				}
			}
			lat.report(b)
			b.ReportMetric(s.heapMB, "heap-MB")
			b.ReportMetric(s.buildS, "build-s")
			b.ReportMetric(s.loadS, "load-s")
		})
	}
}

// BenchmarkSearchTaught is a search with many questions taught: every
// taught question the search's own resembles is compared, so the cost
// grows with what staff taught.
func BenchmarkSearchTaught(b *testing.B) {
	ctx := context.Background()
	var questions []string
	for _, f := range []string{"../../shared/eval/dev.jsonl", "testdata/probe.jsonl", "testdata/fresh_a.jsonl", "testdata/fresh_b.jsonl", "testdata/fresh_c.jsonl", "testdata/fresh_d.jsonl"} {
		for _, it := range readEvalFile(b, f) {
			questions = append(questions, it.Question)
		}
	}
	for _, n := range []int{0, 100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			st, ix := taughtIndex(b)
			for i := range n {
				// Past the sets' questions, each is asked again by a
				// firm of another trade.
				q := questions[i%len(questions)]
				if i >= len(questions) {
					q = fmt.Sprintf("我们是第%d家做%s的，%s", i, []string{"服装", "机械", "食品", "软件"}[i%4], q)
				}
				if _, err := st.Add(ctx, TaughtItem{Question: q, ChunkID: ix.entries[(i*7)%len(ix.entries)].chunk.ID}); err != nil {
					b.Fatal(err)
				}
			}
			q := Query{Question: "小型微利企业所得税减半征收的条件是什么？"}
			var lat latencies
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				_, err := ix.Search(ctx, q)
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
			}
			lat.report(b)
		})
	}
}
