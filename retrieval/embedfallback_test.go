package retrieval

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/policybot/policybot/llm"
)

// zeroEmbedder gives every query the zero vector, which the search takes
// as "no direction": the lexical ranking alone decides.
type zeroEmbedder struct{ model string }

func (z zeroEmbedder) Embed(_ context.Context, texts []string, _ func(int, int)) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = make([]float32, 48)
	}
	return out, nil
}

func (z zeroEmbedder) Model() string { return z.model }

// downEmbeddings is an /embeddings endpoint that is down in one way.
func downEmbeddings(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if h == nil { // hang until the client gives up
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: frees hanging handlers
	return srv.URL + "/v1"
}

func failWith(status int, hdr ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, apiError(status))
	}
}

// TestSearchEmbeddingDown builds an index through a working embeddings
// API, then takes the API down in each way it goes down, and checks that
// a search still answers, within its bound, with the lexical results,
// and that Health says why until a query embeds again.
func TestSearchEmbeddingDown(t *testing.T) {
	src := t.TempDir()
	writeSynthCorpus(t, src, 5, 4, 8)
	lib := loadDir(t, src)
	up := newFakeEmbeddings(t, nil)
	working := apiEmbedder(t, up.URL)
	ix, err := Build(context.Background(), lib, Options{Embedder: working})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	const question = "企业研发费用扣除怎么申报"
	search := func(ctx context.Context) (Result, error) { return ix.Search(ctx, Query{Question: question}) }

	if _, err := search(context.Background()); err != nil || ix.Health() != nil {
		t.Fatalf("search with the API up: err %v, health %v; want neither", err, ix.Health())
	}
	ix.emb = zeroEmbedder{working.Model()}
	lexical, err := search(context.Background())
	if err != nil || len(lexical.Hits) == 0 {
		t.Fatalf("lexical search: %d hits, err %v", len(lexical.Hits), err)
	}

	tests := []struct {
		name     string
		handler  http.HandlerFunc // nil hangs
		deadline time.Duration    // the caller's; 0: none
		within   time.Duration
		is       error // what Health's error matches
	}{
		{"500", failWith(500), 0, 3500 * time.Millisecond, llm.ErrUnavailable},
		{"429 Retry-After 3600", failWith(429, "Retry-After", "3600"), 0, 500 * time.Millisecond, llm.ErrUnavailable},
		{"401", failWith(401), 0, 500 * time.Millisecond, llm.ErrRejected},
		{"garbage", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"object":"list","data":[{"embedding":[0.1, oops]}]}`)
		}, 0, 500 * time.Millisecond, llm.ErrBadResponse},
		{"hang", nil, 0, queryEmbedBound + 500*time.Millisecond, context.DeadlineExceeded},
		{"hang, caller's deadline 1s", nil, time.Second, 800 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The program's embedding defaults: 3 retries, a 500 ms
			// backoff base, 30 s per request.
			down, err := llm.NewEmbedder(llm.EmbedConfig{
				BaseURL: downEmbeddings(t, tt.handler), Model: working.Model(), BatchSize: 16, MaxRetries: 3, Timeout: 30 * time.Second,
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ix.emb = down
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			start := time.Now()
			res, err := search(ctx)
			took := time.Since(start)
			t.Logf("search answered after %v", took.Round(time.Millisecond))
			if err != nil {
				t.Fatalf("search: %v, want the lexical results", err)
			}
			if took >= tt.within {
				t.Errorf("search took %v, want less than %v", took, tt.within)
			}
			if !reflect.DeepEqual(res, lexical) {
				t.Errorf("search = %+v\nwant the lexical results %+v", res, lexical)
			}
			health := ix.Health()
			if !errors.Is(health, tt.is) {
				t.Errorf("Health() = %v, want an error matching %v", health, tt.is)
			}

			// The next query that embeds clears it.
			ix.emb = working
			if _, err := search(context.Background()); err != nil || ix.Health() != nil {
				t.Errorf("search with the API up again: err %v, health %v; want neither", err, ix.Health())
			}
		})
	}

	t.Run("caller gives up", func(t *testing.T) {
		down, err := llm.NewEmbedder(llm.EmbedConfig{BaseURL: downEmbeddings(t, nil), Model: working.Model()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ix.emb = down
		defer func() { ix.emb = working }()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err = search(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("search after the caller gave up: err %v, want %v", err, context.Canceled)
		}
		if h := ix.Health(); h != nil {
			t.Errorf("Health() = %v after the caller gave up, want nil: the endpoint was not at fault", h)
		}
	})
}

// slowEmbedder ignores its ctx and answers after a while.
type slowEmbedder struct{ d time.Duration }

func (s slowEmbedder) Embed(_ context.Context, texts []string, _ func(int, int)) ([][]float32, error) {
	time.Sleep(s.d)
	return zeroEmbedder{}.Embed(context.Background(), texts, nil)
}

func (s slowEmbedder) Model() string { return "slow" }

// TestSearchEmbedderIgnoringCtx checks that the bound holds even for an
// embedder that does not watch its ctx.
func TestSearchEmbedderIgnoringCtx(t *testing.T) {
	src := t.TempDir()
	writeSynthCorpus(t, src, 6, 3, 6)
	ix, err := Build(context.Background(), loadDir(t, src), Options{})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	ix.emb = slowEmbedder{2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := ix.Search(ctx, Query{Question: "企业研发费用扣除怎么申报"})
	took := time.Since(start)
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("search: %d hits, err %v; want the lexical results", len(res.Hits), err)
	}
	if took >= 400*time.Millisecond {
		t.Errorf("search took %v, want it within half the caller's 400ms and some", took)
	}
	if ix.Health() == nil {
		t.Error("Health() = nil after the embedder overran its bound")
	}
}
