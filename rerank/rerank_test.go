package rerank_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/policybot/policybot/rerank"
	"github.com/policybot/policybot/retrieval"
)

const (
	testKey   = "sk-rerank-secret-7f3a"
	testModel = "BAAI/bge-reranker-v2-m3"
)

// seen is one request the fake received.
type seen struct {
	path, auth string
	body       map[string]any
	docs       []string
}

// fake is a rerank endpoint: reply writes the answer to each request,
// which is recorded first.
type fake struct {
	url string

	mu   sync.Mutex
	reqs []seen
}

func newFake(t *testing.T, reply func(w http.ResponseWriter, r *http.Request, docs []string)) *fake {
	t.Helper()
	f := &fake{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(data, &body); err != nil {
			t.Errorf("fake: request body %q: %v", data, err)
		}
		var req struct {
			Documents []string `json:"documents"`
		}
		json.Unmarshal(data, &req)
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{path: r.Method + " " + r.URL.Path, auth: r.Header.Get("Authorization"), body: body, docs: req.Documents})
		f.mu.Unlock()
		reply(w, r, req.Documents)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL + "/v1"
	return f
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// scoreBy answers with a score per document from score, listed best
// first as the servers do.
func scoreBy(score func(doc string) float64) func(http.ResponseWriter, *http.Request, []string) {
	return func(w http.ResponseWriter, _ *http.Request, docs []string) {
		type res struct {
			Index int     `json:"index"`
			Score float64 `json:"relevance_score"`
		}
		var rs []res
		for i, d := range docs {
			rs = append(rs, res{i, score(d)})
		}
		for i := range rs { // best first
			for j := i + 1; j < len(rs); j++ {
				if rs[j].Score > rs[i].Score {
					rs[i], rs[j] = rs[j], rs[i]
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "r-1", "results": rs, "meta": map[string]any{"tokens": map[string]int{"input_tokens": 10}}})
	}
}

// raw answers every request with status and body.
func raw(status int, body string) func(http.ResponseWriter, *http.Request, []string) {
	return func(w http.ResponseWriter, _ *http.Request, _ []string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// hits are n clauses named 第1条…第n条, in fused order, with fused scores.
func hits(n int) []retrieval.Hit {
	out := make([]retrieval.Hit, n)
	for i := range out {
		out[i] = retrieval.Hit{
			Rank: i + 1, Score: 1 - float64(i)/10, DocID: fmt.Sprintf("doc-%d", i),
			Title: fmt.Sprintf("关于支持企业发展的若干措施%d", i+1), DocNo: "某财〔2018〕1号",
			Clause: fmt.Sprintf("第%d条", i+1), Text: fmt.Sprintf("第%d条 对符合条件的企业给予补贴。", i+1), ChunkID: fmt.Sprintf("c%d", i),
		}
	}
	return out
}

func client(t *testing.T, url string, mod func(*rerank.Config)) *rerank.Client {
	t.Helper()
	cfg := rerank.Config{BaseURL: url, APIKey: testKey, Model: testModel, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := rerank.New(cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// clauseNo is the n of the 第n条 a document holds.
func clauseNo(doc string) int {
	var n int
	i := strings.Index(doc, "\n第")
	fmt.Sscanf(doc[i+len("\n第"):], "%d", &n)
	return n
}

func TestRerankOrder(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		topN  int
		score func(doc string) float64
		// want is the clause numbers in the order wanted, and their scores.
		want       []int
		wantScores []float64
	}{
		{"reversed", 4, 0, func(d string) float64 { return float64(clauseNo(d)) / 10 }, []int{4, 3, 2, 1}, []float64{0.4, 0.3, 0.2, 0.1}},
		{"third best", 3, 0, func(d string) float64 { return map[int]float64{1: 0.2, 2: 0.01, 3: 0.97}[clauseNo(d)] }, []int{3, 1, 2}, []float64{0.97, 0.2, 0.01}},
		{"ties keep the fused order", 3, 0, func(string) float64 { return 0.5 }, []int{1, 2, 3}, []float64{0.5, 0.5, 0.5}},
		{"top n sends the best of the fused order", 5, 3, func(d string) float64 { return float64(clauseNo(d)) / 10 }, []int{3, 2, 1}, []float64{0.3, 0.2, 0.1}},
		{"top n above the hits", 2, 20, func(d string) float64 { return float64(clauseNo(d)) / 10 }, []int{2, 1}, []float64{0.2, 0.1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, scoreBy(tt.score))
			c := client(t, f.url, func(c *rerank.Config) { c.TopN = tt.topN })
			in := hits(tt.n)
			got, err := c.Rerank(t.Context(), "企业补贴", in)
			if err != nil {
				t.Fatalf("Rerank: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d hits, want %d", len(got), len(tt.want))
			}
			for i, h := range got {
				want := in[tt.want[i]-1]
				if h.ChunkID != want.ChunkID || h.Text != want.Text || h.Title != want.Title || h.DocNo != want.DocNo {
					t.Errorf("hit %d = %s, want %s", i, h.ChunkID, want.ChunkID)
				}
				if h.Rank != i+1 || h.Score != tt.wantScores[i] || !h.Reranked {
					t.Errorf("hit %d: rank %d, score %v, reranked %v; want %d, %v, true", i, h.Rank, h.Score, h.Reranked, i+1, tt.wantScores[i])
				}
			}
			if in[0].Reranked || in[0].Score != 1 {
				t.Errorf("the caller's hits were changed: %+v", in[0])
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.path != "POST /v1/rerank" || r.auth != "Bearer "+testKey {
				t.Errorf("request %s with Authorization %q, want POST /v1/rerank with the bearer key", r.path, r.auth)
			}
			sent := len(tt.want)
			if r.body["model"] != testModel || r.body["query"] != "企业补贴" || r.body["top_n"] != float64(sent) || r.body["return_documents"] != false {
				t.Errorf("request body %v, want model, query, top_n %d and return_documents false", r.body, sent)
			}
			if len(r.docs) != sent {
				t.Fatalf("sent %d documents, want %d", len(r.docs), sent)
			}
			for i, d := range r.docs {
				if d != in[i].Title+"\n"+in[i].Text {
					t.Errorf("document %d = %q, want the title, a line break and the clause", i, d)
				}
			}
		})
	}
}

// TestRerankShapes checks the answers of servers that differ from the
// common shape, and a long clause's document.
func TestRerankShapes(t *testing.T) {
	t.Run("vLLM score API: data and score", func(t *testing.T) {
		f := newFake(t, raw(200, `{"id":"score-1","object":"list","data":[{"index":0,"object":"score","score":0.1},{"index":1,"object":"score","score":0.9}],"usage":{}}`))
		got, err := client(t, f.url, nil).Rerank(t.Context(), "q", hits(2))
		if err != nil {
			t.Fatalf("Rerank: %v", err)
		}
		if got[0].ChunkID != "c1" || got[0].Score != 0.9 {
			t.Errorf("got %s at %v first, want c1 at 0.9", got[0].ChunkID, got[0].Score)
		}
	})
	t.Run("documents echoed back are ignored", func(t *testing.T) {
		f := newFake(t, raw(200, `{"results":[{"index":1,"relevance_score":0.8,"document":{"text":"x"}},{"index":0,"relevance_score":0.3,"document":{"text":"y"}}]}`))
		got, err := client(t, f.url, nil).Rerank(t.Context(), "q", hits(2))
		if err != nil || got[0].ChunkID != "c1" {
			t.Fatalf("got %v, %v; want c1 first", got, err)
		}
	})
	t.Run("a long clause is capped", func(t *testing.T) {
		f := newFake(t, scoreBy(func(string) float64 { return 0.5 }))
		in := hits(1)
		in[0].Text = strings.Repeat("对符合条件的企业给予补贴。", 200)
		if _, err := client(t, f.url, nil).Rerank(t.Context(), "q", in); err != nil {
			t.Fatalf("Rerank: %v", err)
		}
		d := f.requests()[0].docs[0]
		if n := utf8.RuneCountInString(d); n > 800 || !strings.HasPrefix(d, in[0].Title+"\n对符合") {
			t.Errorf("document of %d runes starting %q, want at most 800 starting with the title", n, d[:40])
		}
	})
	t.Run("no key, no Authorization", func(t *testing.T) {
		f := newFake(t, scoreBy(func(string) float64 { return 0.5 }))
		if _, err := client(t, f.url+"/", func(c *rerank.Config) { c.APIKey = "" }).Rerank(t.Context(), "q", hits(1)); err != nil {
			t.Fatalf("Rerank: %v", err)
		}
		if r := f.requests()[0]; r.auth != "" || r.path != "POST /v1/rerank" {
			t.Errorf("got %s with Authorization %q, want POST /v1/rerank and none", r.path, r.auth)
		}
	})
}

func TestRerankEmptyNotSent(t *testing.T) {
	f := newFake(t, scoreBy(func(string) float64 { return 0.5 }))
	for _, in := range [][]retrieval.Hit{nil, {}} {
		got, err := client(t, f.url, nil).Rerank(t.Context(), "q", in)
		if err != nil || len(got) != 0 {
			t.Errorf("Rerank(%v) = %v, %v; want nothing and no error", in, got, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("got %d requests, want none", n)
	}
}

// TestRerankErrors checks that each broken answer is an error that says
// what went wrong, never quotes the key, and comes within the timeout.
func TestRerankErrors(t *testing.T) {
	const timeout = 200 * time.Millisecond
	// hang answers nothing until the client gives up.
	hang := func(_ http.ResponseWriter, r *http.Request, _ []string) { <-r.Context().Done() }
	tests := []struct {
		name  string
		reply func(http.ResponseWriter, *http.Request, []string)
		ctx   time.Duration // the caller's deadline, when not zero
		want  string        // a piece of the error
		is    error         // what the error wraps, when not nil
	}{
		{"500", raw(500, `{"error":{"message":"upstream exploded"}}`), 0, "status 500: {\"error\":{\"message\":\"upstream exploded\"}}", nil},
		{"429", raw(429, `{"message":"rate limited"}`), 0, "status 429", nil},
		{"401 echoing the key", raw(401, `{"message":"invalid key `+testKey+`"}`), 0, "status 401: {\"message\":\"invalid key REDACTED\"}", nil},
		{"hang past the client's timeout", hang, 0, "after 200ms: timed out: context deadline exceeded", context.DeadlineExceeded},
		{"hang past the caller's deadline", hang, 50 * time.Millisecond, "context deadline exceeded", context.DeadlineExceeded},
		{"malformed JSON", raw(200, `{"results":[{"index":0,`), 0, "decode response", nil},
		{"HTML", raw(200, `<html>502 Bad Gateway</html>`), 0, "decode response", nil},
		{"empty body", raw(200, ``), 0, "decode response", nil},
		{"no results", raw(200, `{"id":"x"}`), 0, "got 0 scores for 3 documents", nil},
		{"too few", raw(200, `{"results":[{"index":0,"relevance_score":0.5},{"index":1,"relevance_score":0.4}]}`), 0, "got 2 scores for 3 documents", nil},
		{"index out of range", raw(200, `{"results":[{"index":0,"relevance_score":0.5},{"index":1,"relevance_score":0.4},{"index":3,"relevance_score":0.1}]}`), 0, "index 3 out of range [0, 3)", nil},
		{"negative index", raw(200, `{"results":[{"index":-1,"relevance_score":0.5},{"index":1,"relevance_score":0.4},{"index":2,"relevance_score":0.1}]}`), 0, "index -1 out of range", nil},
		{"index twice", raw(200, `{"results":[{"index":0,"relevance_score":0.5},{"index":0,"relevance_score":0.4},{"index":2,"relevance_score":0.1}]}`), 0, "index 0 scored twice", nil},
		{"no index", raw(200, `{"results":[{"relevance_score":0.5},{"index":1,"relevance_score":0.4},{"index":2,"relevance_score":0.1}]}`), 0, "result 0 has no index", nil},
		{"no score", raw(200, `{"results":[{"index":0},{"index":1,"relevance_score":0.4},{"index":2,"relevance_score":0.1}]}`), 0, "result 0 has no relevance_score", nil},
		{"score as a string", raw(200, `{"results":[{"index":0,"relevance_score":"high"},{"index":1,"relevance_score":0.4},{"index":2,"relevance_score":0.1}]}`), 0, "decode response", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.reply)
			c := client(t, f.url, func(c *rerank.Config) { c.Timeout = timeout })
			ctx := t.Context()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			start := time.Now()
			got, err := c.Rerank(ctx, "q", hits(3))
			took := time.Since(start)
			if err == nil {
				t.Fatalf("Rerank = %v, nil error; want an error", got)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "rerank 3 hits (model "+testModel+"): ") {
				t.Errorf("error %q, want it to start with what was done and hold %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error %q quotes the key", err)
			}
			if took > 2*timeout {
				t.Errorf("error after %v, want within the timeout %v", took, timeout)
			}
		})
	}
}

func TestNew(t *testing.T) {
	ok := rerank.Config{BaseURL: "https://api.siliconflow.cn/v1", Model: testModel}
	tests := []struct {
		name string
		mod  func(*rerank.Config)
		want string // a piece of the error; empty: valid
	}{
		{"valid", func(*rerank.Config) {}, ""},
		{"local server, no key", func(c *rerank.Config) { c.BaseURL = "http://localhost:9997/v1" }, ""},
		{"no base URL", func(c *rerank.Config) { c.BaseURL = "" }, "base URL"},
		{"no scheme", func(c *rerank.Config) { c.BaseURL = "api.siliconflow.cn/v1" }, "base URL"},
		{"credentials are not quoted", func(c *rerank.Config) { c.BaseURL = "ftp://user:pw-secret@host/v1" }, "base URL"},
		{"no model", func(c *rerank.Config) { c.Model = " " }, "model is required"},
		{"negative timeout", func(c *rerank.Config) { c.Timeout = -time.Second }, "timeout -1s is negative"},
		{"negative top n", func(c *rerank.Config) { c.TopN = -1 }, "top n -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			_, err := rerank.New(cfg, nil)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New error %v, want one holding %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "pw-secret"):
				t.Errorf("error %q quotes the URL's password", err)
			}
		})
	}
}
