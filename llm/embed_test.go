package llm

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

type embedItem struct {
	Object    string    `json:"object"`
	Index     int       `json:"index"`
	Embedding []float32 `json:"embedding"`
}

func embedJSON(items []embedItem) string {
	b, _ := json.Marshal(map[string]any{"object": "list", "model": "m", "data": items})
	return string(b)
}

// embedReply answers each text "tN" with a vector whose first value is N, so
// the test can check the order; mangle may reshape the data before sending.
func embedReply(dim int, mangle func([]embedItem) []embedItem) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			respond(400, `{"error":{"message":"bad json"}}`)(w, r)
			return
		}
		items := make([]embedItem, len(req.Input))
		for i, in := range req.Input {
			n, _ := strconv.Atoi(strings.TrimPrefix(in, "t"))
			v := make([]float32, dim)
			v[0] = float32(n)
			items[i] = embedItem{Object: "embedding", Index: i, Embedding: v}
		}
		if mangle != nil {
			items = mangle(items)
		}
		respond(200, embedJSON(items))(w, r)
	}
}

func reversed(items []embedItem) []embedItem {
	slices.Reverse(items)
	return items
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%d", i)
	}
	return out
}

func testEmbedder(t *testing.T, url string, mod func(*EmbedConfig)) *Embedder {
	t.Helper()
	cfg := EmbedConfig{
		BaseURL: url, APIKey: testKey, Model: "text-embedding-v3",
		Dimensions: 4, BatchSize: 32, Timeout: 5 * time.Second,
		MaxRetries: 2, RetryBase: time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	e, err := NewEmbedder(cfg, nil)
	if err != nil {
		t.Fatalf("NewEmbedder: %v", err)
	}
	return e
}

func TestNewEmbedder(t *testing.T) {
	ok := EmbedConfig{BaseURL: "https://dashscope.aliyuncs.com/compatible-mode/v1", Model: "text-embedding-v3"}
	tests := []struct {
		name      string
		mod       func(*EmbedConfig)
		wantErr   bool
		wantBatch int
	}{
		{"defaults", func(*EmbedConfig) {}, false, defaultBatchSize},
		{"batch size kept", func(c *EmbedConfig) { c.BatchSize = 64 }, false, 64},
		{"missing model", func(c *EmbedConfig) { c.Model = "" }, true, 0},
		{"bad base url", func(c *EmbedConfig) { c.BaseURL = "localhost:11434" }, true, 0},
		{"negative dimensions", func(c *EmbedConfig) { c.Dimensions = -1 }, true, 0},
		{"negative batch", func(c *EmbedConfig) { c.BatchSize = -1 }, true, 0},
		{"negative retries", func(c *EmbedConfig) { c.MaxRetries = -1 }, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			e, err := NewEmbedder(cfg, nil)
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("NewEmbedder error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if e.batch != tt.wantBatch {
				t.Errorf("batch: got %d, want %d", e.batch, tt.wantBatch)
			}
			if e.Model() != cfg.Model {
				t.Errorf("Model: got %q, want %q", e.Model(), cfg.Model)
			}
		})
	}
}

func TestEmbedBatching(t *testing.T) {
	f := newFake(t, embedReply(4, reversed))
	e := testEmbedder(t, f.URL, nil)
	var progress [][2]int
	got, err := e.Embed(t.Context(), texts(70), func(done, total int) {
		progress = append(progress, [2]int{done, total})
	})
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if len(got) != 70 {
		t.Fatalf("vectors: got %d, want 70", len(got))
	}
	for i, v := range got {
		if len(v) != 4 || v[0] != float32(i) {
			t.Errorf("vector %d: got %v, want [%d 0 0 0]", i, v, i)
		}
	}
	if want := [][2]int{{32, 70}, {64, 70}, {70, 70}}; !slices.Equal(progress, want) {
		t.Errorf("progress: got %v, want %v", progress, want)
	}
	reqs := f.requests()
	var sizes []int
	for _, r := range reqs {
		var body struct {
			Input      []string `json:"input"`
			Model      string   `json:"model"`
			Dimensions int      `json:"dimensions"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("decode request body: %v", err)
		}
		sizes = append(sizes, len(body.Input))
		if body.Model != "text-embedding-v3" || body.Dimensions != 4 {
			t.Errorf("request: got model %q dimensions %d, want %q 4", body.Model, body.Dimensions, "text-embedding-v3")
		}
		if want := "/v1/embeddings"; r.path != want {
			t.Errorf("path: got %q, want %q", r.path, want)
		}
	}
	if want := []int{32, 32, 6}; !slices.Equal(sizes, want) {
		t.Errorf("batch sizes: got %v, want %v", sizes, want)
	}
}

func TestEmbedWithoutDimensions(t *testing.T) {
	f := newFake(t, embedReply(3, nil))
	e := testEmbedder(t, f.URL, func(c *EmbedConfig) { c.Dimensions = 0 })
	got, err := e.Embed(t.Context(), texts(3), nil)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if len(got) != 3 || len(got[2]) != 3 {
		t.Errorf("vectors: got %v, want 3 of length 3", got)
	}
	if body := string(f.requests()[0].body); strings.Contains(body, "dimensions") {
		t.Errorf("request %s: want no dimensions field", body)
	}
}

func TestEmbedOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		replies   []http.HandlerFunc
		dims      int
		batch     int
		n         int
		wantCalls int
		wantErr   error
	}{
		{name: "429 then success", replies: seq(apiError(429, "slow down"), embedReply(4, nil)), dims: 4, n: 5, wantCalls: 2},
		{name: "500 exhausts retries", replies: seq(apiError(500, "x")), dims: 4, n: 5, wantCalls: 3, wantErr: ErrUnavailable},
		{name: "401 fails at once", replies: seq(apiError(401, "bad key")), dims: 4, n: 5, wantCalls: 1, wantErr: ErrRejected},
		{name: "malformed JSON", replies: seq(respond(200, `{"data":[oops]}`)), dims: 4, n: 5, wantCalls: 1, wantErr: ErrBadResponse},
		// A body that stops mid-JSON looks like a cut connection: retried.
		{name: "truncated JSON", replies: seq(respond(200, `{"data":[{"embedding":[0.1,`)), dims: 4, n: 5, wantCalls: 3, wantErr: ErrUnavailable},
		{name: "too few vectors", replies: seq(embedReply(4, func(it []embedItem) []embedItem { return it[1:] })), dims: 4, n: 5, wantCalls: 1, wantErr: ErrBadResponse},
		{name: "too many vectors", replies: seq(embedReply(4, func(it []embedItem) []embedItem { return append(it, it[0]) })), dims: 4, n: 5, wantCalls: 1, wantErr: ErrBadResponse},
		{name: "wrong dimensions", replies: seq(embedReply(3, nil)), dims: 4, n: 5, wantCalls: 1, wantErr: ErrBadResponse},
		{
			name: "dimensions change between batches", replies: seq(embedReply(3, nil), embedReply(4, nil)),
			dims: 0, batch: 2, n: 4, wantCalls: 2, wantErr: ErrBadResponse,
		},
		{name: "index twice", replies: seq(embedReply(4, func(it []embedItem) []embedItem { it[1].Index = 2; return it })), dims: 4, n: 5, wantCalls: 1, wantErr: ErrBadResponse},
		{name: "index out of range", replies: seq(embedReply(4, func(it []embedItem) []embedItem { it[1].Index = 9; return it })), dims: 4, n: 5, wantCalls: 1, wantErr: ErrBadResponse},
		{name: "empty vector", replies: seq(embedReply(4, func(it []embedItem) []embedItem { it[3].Embedding = nil; return it })), dims: 0, n: 5, wantCalls: 1, wantErr: ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.replies...)
			e := testEmbedder(t, f.URL, func(c *EmbedConfig) {
				c.Dimensions = tt.dims
				if tt.batch > 0 {
					c.BatchSize = tt.batch
				}
			})
			got, err := e.Embed(t.Context(), texts(tt.n), nil)
			if n := f.calls(); n != tt.wantCalls {
				t.Errorf("requests: got %d, want %d", n, tt.wantCalls)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Embed: %v", err)
				}
				if len(got) != tt.n {
					t.Errorf("vectors: got %d, want %d", len(got), tt.n)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error: got %v, want %v", err, tt.wantErr)
			}
			if got != nil {
				t.Errorf("vectors on error: got %d, want none", len(got))
			}
		})
	}
}

func TestEmbedMissingIndexKeepsArrayOrder(t *testing.T) {
	zero := func(it []embedItem) []embedItem {
		for i := range it {
			it[i].Index = 0
		}
		return it
	}
	f := newFake(t, embedReply(4, zero))
	e := testEmbedder(t, f.URL, nil)
	got, err := e.Embed(t.Context(), texts(3), nil)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	for i, v := range got {
		if v[0] != float32(i) {
			t.Errorf("vector %d: got %v, want first value %d", i, v, i)
		}
	}
}

func TestEmbedInputs(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		wantErr bool
	}{
		{"nothing to embed", nil, false},
		{"empty text", []string{"t0", " ", "t2"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, embedReply(4, nil))
			e := testEmbedder(t, f.URL, nil)
			got, err := e.Embed(t.Context(), tt.in, nil)
			if (err != nil) != tt.wantErr {
				t.Errorf("Embed error = %v, want error %v", err, tt.wantErr)
			}
			if len(got) != 0 {
				t.Errorf("vectors: got %d, want 0", len(got))
			}
			if n := f.calls(); n != 0 {
				t.Errorf("requests: got %d, want 0", n)
			}
		})
	}
}
