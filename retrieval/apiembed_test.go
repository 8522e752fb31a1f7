package retrieval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/llm"
)

// fakeEmbeddings is an OpenAI-compatible /v1/embeddings endpoint. Its
// vectors are charVector's: deterministic and not unit length. fail, when
// it returns a status, answers that request with it instead.
type fakeEmbeddings struct {
	URL  string
	fail func(n int) (status int, body string)

	mu     sync.Mutex
	n      int
	inputs [][]string
}

func newFakeEmbeddings(t *testing.T, fail func(n int) (int, string)) *fakeEmbeddings {
	t.Helper()
	f := &fakeEmbeddings{fail: fail}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/v1"
	return f
}

func (f *fakeEmbeddings) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.n++
	n := f.n
	fail := f.fail
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/v1/embeddings" {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"message":"no such path","type":"invalid_request_error"}}`)
		return
	}
	if fail != nil {
		if status, body := fail(n); status != 0 {
			w.WriteHeader(status)
			io.WriteString(w, body)
			return
		}
	}
	var req struct {
		Input []string `json:"input"`
		Model string   `json:"model"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":%q,"type":"invalid_request_error"}}`, err.Error())
		return
	}
	f.mu.Lock()
	f.inputs = append(f.inputs, req.Input)
	f.mu.Unlock()
	type item struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	resp := struct {
		Object string `json:"object"`
		Model  string `json:"model"`
		Data   []item `json:"data"`
	}{Object: "list", Model: req.Model}
	for i, s := range req.Input {
		resp.Data = append(resp.Data, item{"embedding", i, charVector(s, 48)})
	}
	json.NewEncoder(w).Encode(resp)
}

func (f *fakeEmbeddings) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *fakeEmbeddings) batches() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.inputs)
}

func (f *fakeEmbeddings) setFail(fail func(n int) (int, string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

func apiEmbedder(t *testing.T, url string) *llm.Embedder {
	t.Helper()
	e, err := llm.NewEmbedder(llm.EmbedConfig{BaseURL: url, Model: "fake-embed", BatchSize: 16, RetryBase: time.Millisecond, MaxRetries: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func apiError(status int) string {
	return fmt.Sprintf(`{"error":{"message":"status %d from the fake","type":"test_error"}}`, status)
}

func TestAPIEmbedderBuildAndSearch(t *testing.T) {
	src := t.TempDir()
	writeSynthCorpus(t, src, 3, 5, 8)
	lib := loadDir(t, src)
	n := chunkCount(lib)
	if n%16 == 0 {
		t.Fatalf("the test corpus has %d chunks; want a partial last batch", n)
	}
	srv := newFakeEmbeddings(t, nil)
	ix, err := Build(context.Background(), lib, Options{Dir: storeDirOf(t, src), Embedder: apiEmbedder(t, srv.URL)})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	wantReqs := int(math.Ceil(float64(n) / 16))
	if got := srv.requests(); got != wantReqs {
		t.Errorf("build made %d requests for %d chunks, want %d", got, n, wantReqs)
	}
	var sent []string
	for i, b := range srv.batches() {
		if len(b) > 16 {
			t.Errorf("batch %d holds %d texts, want at most 16", i, len(b))
		}
		sent = append(sent, b...)
	}
	want := indexTexts(lib)
	slices.Sort(sent)
	slices.Sort(want)
	if !slices.Equal(sent, want) {
		t.Errorf("sent %d texts, want each of the %d chunk texts once", len(sent), len(want))
	}
	// The API's vectors are not unit length; the index's must be.
	for _, e := range ix.entries {
		d, err := ix.coll.GetByID(context.Background(), e.chunk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := norm(d.Embedding); math.Abs(got-1) > 1e-3 {
			t.Fatalf("vector of %s has length %.4f, want 1", e.chunk.ID, got)
		}
	}

	res, err := ix.Search(context.Background(), Query{Question: "企业研发费用扣除怎么申报"})
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	if len(res.Hits) == 0 {
		t.Error("search through the API embedder found nothing")
	}
	if got := srv.requests(); got != wantReqs+1 {
		t.Errorf("%d requests after one search, want %d (one for the query)", got, wantReqs+1)
	}

	// A restart reads the store and asks the API nothing.
	before := srv.requests()
	if _, err := Build(context.Background(), lib, Options{Dir: storeDirOf(t, src), Embedder: apiEmbedder(t, srv.URL)}); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests() - before; got != 0 {
		t.Errorf("restart made %d requests, want 0", got)
	}

	// An endpoint failing at query time does not fail the search: it
	// ranks by words alone, and Health says why (see embedfallback_test.go).
	srv.setFail(func(int) (int, string) { return 500, apiError(500) })
	res, err = ix.Search(context.Background(), Query{Question: "企业研发费用扣除怎么申报"})
	if err != nil || len(res.Hits) == 0 || !errors.Is(ix.Health(), llm.ErrUnavailable) {
		t.Errorf("search with a failing endpoint: %d hits, err %v, health %v; want hits, no error, health ErrUnavailable", len(res.Hits), err, ix.Health())
	}
}

func TestAPIEmbedderFailures(t *testing.T) {
	src := t.TempDir()
	writeSynthCorpus(t, src, 3, 2, 10)
	lib := loadDir(t, src)
	batches := (chunkCount(lib) + 15) / 16
	tests := []struct {
		name     string
		fail     func(n int) (int, string)
		ok       bool
		requests int
		is       error
	}{
		{"429 then success", func(n int) (int, string) {
			if n == 1 {
				return 429, apiError(429)
			}
			return 0, ""
		}, true, batches + 1, nil},
		{"500 until retries run out", func(int) (int, string) { return 500, apiError(500) }, false, 4, llm.ErrUnavailable},
		{"malformed JSON", func(int) (int, string) { return 200, `{"object":"list","data":[{"embedding":[0.1, oops]}]}` }, false, 1, llm.ErrBadResponse},
		{"JSON of the wrong shape", func(int) (int, string) { return 200, `{"object":"list","data":"none"}` }, false, 1, llm.ErrBadResponse},
		{"bad key", func(int) (int, string) { return 401, apiError(401) }, false, 1, llm.ErrRejected},
		{"second batch fails", func(n int) (int, string) {
			if n > 1 {
				return 503, apiError(503)
			}
			return 0, ""
		}, false, 5, llm.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeEmbeddings(t, tt.fail)
			dir := storeDirOf(t, t.TempDir())
			ix, err := Build(context.Background(), lib, Options{Dir: dir, Embedder: apiEmbedder(t, srv.URL)})
			if got := srv.requests(); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
			if tt.ok {
				if err != nil {
					t.Fatalf("build: %v", err)
				}
				if ix.count() != chunkCount(lib) {
					t.Errorf("index has %d chunks, want %d", ix.count(), chunkCount(lib))
				}
				return
			}
			if err == nil {
				t.Fatal("build succeeded, want an error")
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v, want one matching %v", err, tt.is)
			}
			for _, w := range []string{"fake-embed", "chunks"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if files := storeFiles(t, dir); len(files) != 0 {
				t.Errorf("a failed build left store files %v", files)
			}
		})
	}
}

func TestNormalize32(t *testing.T) {
	tests := []struct {
		in, want []float32
	}{
		{[]float32{3, 4}, []float32{0.6, 0.8}},
		{[]float32{0, 0, 0}, []float32{0, 0, 0}},
		{[]float32{-2}, []float32{-1}},
		{[]float32{1, 1, 1, 1}, []float32{0.5, 0.5, 0.5, 0.5}},
		{[]float32{}, []float32{}},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.in)
		got := normalize32(tt.in)
		if len(got) != len(tt.want) {
			t.Fatalf("normalize32(%v) = %v, want %v", in, got, tt.want)
		}
		for i := range got {
			if math.Abs(float64(got[i]-tt.want[i])) > 1e-6 {
				t.Errorf("normalize32(%v) = %v, want %v", in, got, tt.want)
				break
			}
		}
		if !slices.Equal(tt.in, in) {
			t.Errorf("normalize32 changed its argument to %v", tt.in)
		}
	}
}
