package retrieval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/corpus"
)

// TestBuiltinSearch checks the search contract on the built-in corpus. It
// builds the index once (building is the slow part) and shares it among
// its subtests, which only read it. Ranks and scores are the lead's to
// tune; these tests hold only what any ranking must keep.
func TestBuiltinSearch(t *testing.T) {
	ctx := context.Background()
	lib := loadBuiltin(t)
	ix, err := Build(ctx, lib, Options{})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if ix.count() != chunkCount(lib) {
		t.Fatalf("index has %d chunks, want %d", ix.count(), chunkCount(lib))
	}

	t.Run("ranks and k", func(t *testing.T) {
		tests := []struct {
			name string
			k    int
			want int
		}{
			{"default", 0, 5},
			{"negative means default", -3, 5},
			{"one", 1, 1},
			{"three", 3, 3},
			{"ten", 10, 10},
			{"twenty", 20, 20},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := ix.Search(ctx, Query{Question: "高新技术企业认定后有什么奖励", K: tt.k})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Hits) != tt.want {
					t.Fatalf("got %d hits, want %d", len(res.Hits), tt.want)
				}
				for i, h := range res.Hits {
					if h.Rank != i+1 {
						t.Errorf("hit %d has rank %d, want %d", i, h.Rank, i+1)
					}
					if i > 0 && h.Score > res.Hits[i-1].Score {
						t.Errorf("hit %d scores %v, above hit %d's %v", i, h.Score, i-1, res.Hits[i-1].Score)
					}
				}
				seen := map[string]bool{}
				for _, h := range res.Hits {
					if seen[h.ChunkID] {
						t.Errorf("chunk %s returned twice", h.ChunkID)
					}
					seen[h.ChunkID] = true
				}
			})
		}
	})

	t.Run("hit fields", func(t *testing.T) {
		for _, q := range []string{"高新技术企业认定后有什么奖励", "研发费用加计扣除比例", "出口退税率调整"} {
			res, err := ix.Search(ctx, Query{Question: q, K: 10})
			if err != nil {
				t.Fatal(err)
			}
			if res.Question != q {
				t.Errorf("question %q, want %q", res.Question, q)
			}
			for _, h := range res.Hits {
				for name, v := range map[string]string{"doc_id": h.DocID, "title": h.Title, "clause": h.Clause, "text": h.Text, "chunk_id": h.ChunkID, "kind": h.Kind} {
					if strings.TrimSpace(v) == "" {
						t.Errorf("%q hit %d: %s is empty", q, h.Rank, name)
					}
				}
				if h.Score <= 0 {
					t.Errorf("%q hit %d: score %v, want positive", q, h.Rank, h.Score)
				}
				// The hit agrees with the corpus it came from.
				d, c, ok := corpusChunk(lib, h.ChunkID)
				if !ok {
					t.Errorf("%q hit %d: chunk %q not in the corpus", q, h.Rank, h.ChunkID)
					continue
				}
				if d.ID != h.DocID || d.Title != h.Title || d.DocNo != h.DocNo || d.Issuer != h.Issuer || d.Kind != h.Kind || c.Label != h.Clause || c.Text != h.Text {
					t.Errorf("%q hit %d disagrees with its chunk: %+v vs %s %s %s", q, h.Rank, h, d.ID, c.Label, c.ID)
				}
			}
		}
	})

	t.Run("json keys", func(t *testing.T) {
		hitKeys := []string{"chunk_id", "clause", "doc_id", "doc_no", "issuer", "kind", "rank", "score", "text", "title"}
		tests := []struct {
			question string
			keys     []string
		}{
			{"研发费用加计扣除比例", []string{"corpus_version", "coverage", "found", "query", "question", "results"}},
			// Not found: the reason is said.
			{"天津对小微企业有什么税收优惠？", []string{"corpus_version", "coverage", "found", "query", "question", "reason", "results"}},
		}
		for _, tt := range tests {
			res, err := ix.Search(ctx, Query{Question: tt.question, K: 3})
			if err != nil {
				t.Fatal(err)
			}
			data, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			var top map[string]json.RawMessage
			if err := json.Unmarshal(data, &top); err != nil {
				t.Fatal(err)
			}
			if got := keys(top); !slices.Equal(got, tt.keys) {
				t.Errorf("%q: result keys %v, want %v", tt.question, got, tt.keys)
			}
			var hits []map[string]json.RawMessage
			if err := json.Unmarshal(top["results"], &hits); err != nil {
				t.Fatal(err)
			}
			if len(hits) != 3 {
				t.Fatalf("%q: got %d results, want 3", tt.question, len(hits))
			}
			for i, h := range hits {
				if got := keys(h); !slices.Equal(got, hitKeys) {
					t.Errorf("%q: hit %d keys %v, want %v", tt.question, i, got, hitKeys)
				}
			}
			// And it reads back unchanged, but for the query's terms, which
			// are the index's own and not in the contract.
			var back Result
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			if len(res.Terms) == 0 {
				t.Errorf("%q: no query terms", tt.question)
			}
			res.Terms = nil
			if !reflect.DeepEqual(back, res) {
				t.Errorf("%q: round trip gives %+v, want %+v", tt.question, back, res)
			}
		}
	})

	t.Run("empty question", func(t *testing.T) {
		for _, q := range []string{"", "   ", "\t\n", "\u3000"} {
			res, err := ix.Search(ctx, Query{Question: q})
			if err != nil {
				t.Errorf("Search(%q): %v, want no error", q, err)
			}
			if len(res.Hits) != 0 || res.Found {
				t.Errorf("Search(%q) = %d hits, found %v; want none, false", q, len(res.Hits), res.Found)
			}
		}
	})

	// A blank message in a conversation (a WeChat sticker or picture
	// arrives as empty text) must not answer the previous question again.
	t.Run("empty question with history", func(t *testing.T) {
		for _, q := range []string{"", "   "} {
			res, err := ix.Search(ctx, Query{Question: q, History: []string{"出口退税率调整了吗？"}})
			if err != nil {
				t.Errorf("Search(%q): %v, want no error", q, err)
			}
			if len(res.Hits) != 0 || res.Found {
				t.Errorf("Search(%q) after a question = %d hits, found %v; want none, false", q, len(res.Hits), res.Found)
			}
		}
	})

	t.Run("found", func(t *testing.T) {
		text := corpusText(lib)
		tests := []struct {
			question string
			reason   string // "" for found
			absent   string // a precondition: the corpus never says this
		}{
			{"天津对小微企业有什么税收优惠？", ReasonOtherRegion, ""},
			{"上海市小型微利企业所得税减半征收吗", ReasonOtherRegion, ""},
			{"石家庄市对新招用的高校毕业生有补贴吗？", ReasonLocalPolicy, ""},
			{"市里对高新技术企业有没有额外奖励？", ReasonLocalPolicy, ""},
			{"2024年小型微利企业所得税优惠是多少？", ReasonYear, "2024年"},
			{"车辆购置税能减免吗？", ReasonTopic, "车辆购置税"},
			{"hello world", ReasonNoMatch, ""},
			{"小型微利企业所得税 减半 应纳税所得额", "", ""},
			{"小型微利企业年应纳税所得额上限提高到多少？", "", ""},
			{"研发费用加计扣除比例是多少", "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.question, func(t *testing.T) {
				if tt.absent != "" && strings.Contains(text, tt.absent) {
					t.Fatalf("the corpus mentions %s; the case no longer tests what it should", tt.absent)
				}
				res, err := ix.Search(ctx, Query{Question: tt.question})
				if err != nil {
					t.Fatal(err)
				}
				if want := tt.reason == ""; res.Found != want || res.Reason != tt.reason {
					t.Errorf("found %v reason %q, want %v %q (top hit %s %s)", res.Found, res.Reason, want, tt.reason, first(res).DocID, first(res).Clause)
				}
				if len(res.Hits) == 0 && tt.reason != ReasonNoMatch {
					// Even a question outside the corpus gets the nearest
					// clauses, for the log and the console.
					t.Error("no hits")
				}
			})
		}
	})

	t.Run("follow-up", func(t *testing.T) {
		history := []string{"11月份出口退税率是不是又调了一次？"}
		res, err := ix.Search(ctx, Query{Question: "那豆粕呢？", History: history})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Query, history[0]) || !strings.Contains(res.Query, "那豆粕呢") {
			t.Errorf("query %q, want it to carry the history %q and the question", res.Query, history[0])
		}
		if res.Question != "那豆粕呢？" {
			t.Errorf("question %q, want the user's own words", res.Question)
		}
		if !res.Found {
			t.Error("found false, want true")
		}
		if !slices.ContainsFunc(res.Hits, func(h Hit) bool { return h.DocNo == "财税〔2018〕123号" }) {
			t.Errorf("no hit from 财税〔2018〕123号 in the top %d: %v", len(res.Hits), docNos(res))
		}
		// Without the history the question alone is not rewritten.
		alone, err := ix.Search(ctx, Query{Question: "那豆粕呢？"})
		if err != nil {
			t.Fatal(err)
		}
		if alone.Query != "那豆粕呢？" {
			t.Errorf("query without history %q, want the question itself", alone.Query)
		}
	})

	t.Run("vocabulary expansion", func(t *testing.T) {
		// 咕噜嘟 is nobody's word; the user's vocabulary maps it to 豆粕.
		const question = "咕噜嘟怎么办？"
		if strings.Contains(corpusText(lib), "咕噜嘟") {
			t.Fatal("the corpus holds the made-up word")
		}
		before, err := ix.Search(ctx, Query{Question: question})
		if err != nil {
			t.Fatal(err)
		}
		if hasText(before, "豆粕") {
			t.Fatalf("without the vocabulary the question already finds 豆粕: %v", docNos(before))
		}
		v, err := LoadVocabulary([]byte("synonyms:\n  咕噜嘟: [豆粕]\n"))
		if err != nil {
			t.Fatal(err)
		}
		vix, err := Build(ctx, lib, Options{Vocabulary: v})
		if err != nil {
			t.Fatal(err)
		}
		after, err := vix.Search(ctx, Query{Question: question})
		if err != nil {
			t.Fatal(err)
		}
		if !hasText(after, "豆粕") {
			t.Errorf("with 咕噜嘟 → 豆粕 no hit mentions 豆粕: %v", docNos(after))
		}
	})

	// The same question gets the same answer, also one whose words the
	// built-in embedder has never seen (its query vector is zero).
	t.Run("deterministic", func(t *testing.T) {
		for _, q := range []string{"研发费用加计扣除比例", "hello world", "咕噜嘟怎么办？"} {
			want, err := ix.Search(ctx, Query{Question: q, K: 10})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 20 {
				got, err := ix.Search(ctx, Query{Question: q, K: 10})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%q search %d: %v, first search %v", q, i+2, docNos(got), docNos(want))
					break
				}
			}
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		questions := []Query{
			{Question: "高新技术企业认定后有什么奖励"},
			{Question: "研发费用加计扣除比例", K: 8},
			{Question: "那豆粕呢？", History: []string{"11月份出口退税率是不是又调了一次？"}},
			{Question: "天津对小微企业有什么税收优惠？"},
			{Question: "  "},
		}
		want := make([]Result, len(questions))
		for i, q := range questions {
			r, err := ix.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			want[i] = r
		}
		const workers = 20
		errs := make(chan error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 3 * len(questions) {
					i := (w + j) % len(questions)
					got, err := ix.Search(ctx, questions[i])
					if err != nil {
						errs <- err
						return
					}
					if !reflect.DeepEqual(got, want[i]) {
						errs <- fmt.Errorf("worker %d: %q answered differently from the sequential search", w, questions[i].Question)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func first(r Result) Hit {
	if len(r.Hits) == 0 {
		return Hit{}
	}
	return r.Hits[0]
}

func docNos(r Result) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.DocID+" "+h.Clause)
	}
	return out
}

func hasText(r Result, s string) bool {
	return slices.ContainsFunc(r.Hits, func(h Hit) bool { return strings.Contains(h.Text, s) })
}

// corpusText is everything the corpus says, for checking a test's
// preconditions.
func corpusText(lib *corpus.Library) string {
	var b strings.Builder
	for _, d := range lib.Documents() {
		b.WriteString(d.Title + "\n" + d.DocNo + "\n" + d.Body + "\n")
	}
	return b.String()
}

func TestOptionsK(t *testing.T) {
	src, _ := smallCorpus(t)
	lib := loadDir(t, src)
	tests := []struct {
		optK, queryK, want int
	}{
		{0, 0, 5},
		{2, 0, 2},
		{2, 7, 7},
		{-1, 0, 5},
		{3, 1, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("options %d query %d", tt.optK, tt.queryK), func(t *testing.T) {
			ix, err := Build(context.Background(), lib, Options{K: tt.optK})
			if err != nil {
				t.Fatal(err)
			}
			res, err := ix.Search(context.Background(), Query{Question: "企业研发费用扣除怎么申报", K: tt.queryK})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) != tt.want {
				t.Errorf("got %d hits, want %d", len(res.Hits), tt.want)
			}
		})
	}
}

// reverser is a Reranker that turns the candidates around, so its effect
// is plain to see.
type reverser struct {
	err   error
	query string
	got   []Hit
}

func (r *reverser) Rerank(_ context.Context, query string, hits []Hit) ([]Hit, error) {
	r.query = query
	r.got = slices.Clone(hits)
	if r.err != nil {
		return nil, r.err
	}
	out := slices.Clone(hits)
	slices.Reverse(out)
	return out, nil
}

func TestReranker(t *testing.T) {
	src, _ := smallCorpus(t)
	lib := loadDir(t, src)
	rr := &reverser{}
	ix, err := Build(context.Background(), lib, Options{Reranker: rr})
	if err != nil {
		t.Fatal(err)
	}
	q := Query{Question: "企业研发费用扣除怎么申报", K: 3}
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rr.query != res.Query {
		t.Errorf("reranker got query %q, want %q", rr.query, res.Query)
	}
	if len(rr.got) < 3 {
		t.Fatalf("reranker got %d candidates, want at least k=3", len(rr.got))
	}
	if len(res.Hits) != 3 {
		t.Fatalf("got %d hits, want 3", len(res.Hits))
	}
	for i, h := range res.Hits {
		want := rr.got[len(rr.got)-1-i].ChunkID
		if h.ChunkID != want || h.Rank != i+1 {
			t.Errorf("hit %d is %s rank %d, want the reranker's %s rank %d", i, h.ChunkID, h.Rank, want, i+1)
		}
	}

	// A reranker that fails leaves the fused order, the one a search
	// without a reranker gives.
	plain, err := Build(context.Background(), lib, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := plain.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	rr.err = errors.New("reranker down")
	got, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search with a failing reranker: %v, want the fused order", err)
	}
	for i := range want.Hits {
		if got.Hits[i].ChunkID != want.Hits[i].ChunkID {
			t.Errorf("with a failing reranker hit %d is %s, want the fused order's %s", i, got.Hits[i].ChunkID, want.Hits[i].ChunkID)
		}
	}
}

// corpusChunk finds a chunk and its document in the library by id.
func corpusChunk(lib *corpus.Library, id string) (corpus.Document, corpus.Chunk, bool) {
	for _, d := range lib.Documents() {
		for _, c := range d.Chunks {
			if c.ID == id {
				return d, c, true
			}
		}
	}
	return corpus.Document{}, corpus.Chunk{}, false
}

// scorer is a reranker giving every hit the same relevance score.
type scorer struct{ score float64 }

func (s scorer) Rerank(_ context.Context, _ string, hits []Hit) ([]Hit, error) {
	out := slices.Clone(hits)
	for i := range out {
		out[i].Score, out[i].Reranked = s.score, true
	}
	return out, nil
}

func TestRerankMinScore(t *testing.T) {
	src, _ := smallCorpus(t)
	lib := loadDir(t, src)
	q := Query{Question: "企业研发费用扣除怎么申报"}
	tests := []struct {
		name     string
		rr       Reranker
		min      float64
		wantFind bool
	}{
		{"scored above the floor", scorer{0.8}, 0.3, true},
		{"scored below the floor", scorer{0.1}, 0.3, false},
		{"no floor set", scorer{0.1}, 0, true},
		{"reranker down: the offline judgement stands", &reverser{err: errors.New("down")}, 0.3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := Build(context.Background(), lib, Options{Reranker: tt.rr, RerankMin: tt.min})
			if err != nil {
				t.Fatal(err)
			}
			res, err := ix.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Found != tt.wantFind {
				t.Errorf("found = %v (reason %q), want %v", res.Found, res.Reason, tt.wantFind)
			}
			if !tt.wantFind && res.Reason != ReasonRerankLow {
				t.Errorf("reason = %q, want %q", res.Reason, ReasonRerankLow)
			}
		})
	}
}

// downBackend is a Backend whose searches fail or hang until ctx ends.
type downBackend struct{ hang bool }

func (downBackend) Sync(context.Context, []Clause) error { return nil }
func (b downBackend) Search(ctx context.Context, _ BackendQuery) ([]Candidate, error) {
	if b.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, errors.New("no node answered")
}
func (downBackend) Health(context.Context) error { return errors.New("down") }

func TestBackendDownSearchesByKeywords(t *testing.T) {
	src, _ := smallCorpus(t)
	lib := loadDir(t, src)
	q := Query{Question: "企业研发费用扣除怎么申报"}
	plain, err := Build(context.Background(), lib, Options{Embedder: zeroEmbedder{model: "zero"}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := plain.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		b    downBackend
	}{{"failing", downBackend{}}, {"hung, cut by the caller's deadline", downBackend{hang: true}}} {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := Build(context.Background(), lib, Options{Embedder: zeroEmbedder{model: "zero"}, Backend: tt.b})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			got, err := ix.Search(ctx, q)
			if err != nil {
				t.Fatalf("search with the backend down: %v, want the keyword ranking", err)
			}
			if got.Found != want.Found || len(got.Hits) == 0 || got.Hits[0].ChunkID != want.Hits[0].ChunkID {
				t.Errorf("with the backend down: found %v, first %v; want the keyword ranking's %v, %s", got.Found, got.Hits, want.Found, want.Hits[0].ChunkID)
			}
		})
	}
}

// TestAsksValidity: words of time said of the policy ask whether, or until
// when, it applies; said of applying for it, they ask when to apply,
// which a stated period does not answer.
func TestAsksValidity(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"这个政策现在还有效吗", true},
		{"小微企业所得税减半执行到什么时候", true},
		{"新办法什么时候开始实施", true},
		{"稳岗补贴一般每年什么时候开始申报", false},
		{"专项资金申报截止到哪天", false},
		{"申请期限是多久，过了还能申请吗", false},
		{"技改资金什么时候开始申报，这个政策还有效吗", true},
		{"研发费用加计扣除比例是多少", false},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			if got := asksValidity(tt.q); got != tt.want {
				t.Errorf("asksValidity = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestWeak: a question whose best clause holds little of it is found but
// weak, and its answer says so; one the corpus answers in its own words
// is not; nothing refused or unmeasured is weak.
func TestWeak(t *testing.T) {
	for _, tt := range []struct {
		name string
		res  Result
		want bool
	}{
		{"little held", Result{Found: true, Coverage: 0.15}, true},
		{"enough held", Result{Found: true, Coverage: 0.2}, false},
		{"refused", Result{Found: false, Coverage: 0.05}, false},
		{"not measured", Result{Found: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.res.Weak(); got != tt.want {
				t.Errorf("Weak() = %v, want %v", got, tt.want)
			}
		})
	}
	ix, err := Build(t.Context(), loadBuiltin(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		question string
		weak     bool
	}{
		// Labour law, which no clause speaks of: the best clause shares
		// 补偿 and little else.
		{"员工干了三年辞退了，补偿金怎么算", true},
		{"研发费用加计扣除比例是多少", false},
		// Named by 文号, the document is what is asked about.
		{"财税〔2018〕77号", false},
	} {
		res, err := ix.Search(t.Context(), Query{Question: tt.question, K: 3})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Found || res.Weak() != tt.weak {
			t.Errorf("%q: found %v, weak %v (coverage %.2f), want found and weak %v", tt.question, res.Found, res.Weak(), res.Coverage, tt.weak)
		}
	}
}
