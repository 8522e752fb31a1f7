package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

const (
	// defaultBatchSize is DashScope's limit for text-embedding-v3/v4, the
	// smallest among the usual providers.
	defaultBatchSize = 10
	// defaultEmbedTimeout bounds one batch request when EmbedConfig.Timeout
	// is zero.
	defaultEmbedTimeout = 30 * time.Second
)

// EmbedConfig describes an OpenAI-compatible /embeddings endpoint.
type EmbedConfig struct {
	BaseURL string // required
	APIKey  string // may be empty for local servers
	Model   string // required
	// Dimensions is sent when positive (text-embedding-v3/v4, embedding-3
	// accept it) and then every vector must have that length.
	Dimensions int
	// BatchSize is the number of texts per request; zero means 10.
	BatchSize int
	// Timeout bounds one batch request; zero means 30s.
	Timeout time.Duration
	// MaxRetries and RetryBase work as in Config.
	MaxRetries int
	RetryBase  time.Duration
}

// Embedder turns texts into vectors. It is safe for concurrent use.
type Embedder struct {
	api        *openai.Client
	model      string
	dimensions int
	batch      int
	retry      policy
}

// NewEmbedder validates cfg and builds an embedder. log may be nil.
func NewEmbedder(cfg EmbedConfig, log *slog.Logger) (*Embedder, error) {
	model := strings.TrimSpace(cfg.Model)
	if model == "" {
		return nil, errors.New("embed config: model is required")
	}
	if cfg.Dimensions < 0 {
		return nil, fmt.Errorf("embed config: dimensions %d is negative", cfg.Dimensions)
	}
	if cfg.BatchSize < 0 {
		return nil, fmt.Errorf("embed config: batch size %d is negative", cfg.BatchSize)
	}
	timeout, err := checkRetry(cfg.Timeout, cfg.MaxRetries, cfg.RetryBase, defaultEmbedTimeout)
	if err != nil {
		return nil, fmt.Errorf("embed config: %w", err)
	}
	api, err := newAPI(cfg.BaseURL, cfg.APIKey)
	if err != nil {
		return nil, fmt.Errorf("embed config: %w", err)
	}
	batch := cfg.BatchSize
	if batch == 0 {
		batch = defaultBatchSize
	}
	return &Embedder{
		api:        api,
		model:      model,
		dimensions: cfg.Dimensions,
		batch:      batch,
		retry:      newPolicy(timeout, cfg.MaxRetries, cfg.RetryBase, log),
	}, nil
}

// Model names the embedding model and, when one was asked for, the
// dimension, so an index can tell when either changed: the same model at
// another dimension gives vectors that cannot be mixed.
func (e *Embedder) Model() string {
	if e.dimensions > 0 {
		return fmt.Sprintf("%s@%d", e.model, e.dimensions)
	}
	return e.model
}

// Embed returns one vector per text, in the order of texts. Requests go out
// in batches, one after another; progress (may be nil) is told after each.
// All vectors have the same length. Errors match ErrUnavailable, ErrRejected
// or ErrBadResponse like Client's.
func (e *Embedder) Embed(ctx context.Context, texts []string, progress func(done, total int)) ([][]float32, error) {
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			// Providers reject empty input with a 400 that names no index.
			return nil, fmt.Errorf("embed (model %s): text %d is empty", e.model, i)
		}
	}
	out := make([][]float32, 0, len(texts))
	dim := e.dimensions
	for start := 0; start < len(texts); start += e.batch {
		end := min(start+e.batch, len(texts))
		op := fmt.Sprintf("embed texts %d-%d of %d (model %s)", start, end-1, len(texts), e.model)
		var vecs [][]float32
		err := e.retry.run(ctx, op, func(ctx context.Context) error {
			var err error
			vecs, err = e.embedBatch(ctx, texts[start:end], dim)
			return err
		})
		if err != nil {
			return nil, err
		}
		if dim == 0 {
			dim = len(vecs[0])
		}
		out = append(out, vecs...)
		if progress != nil {
			progress(end, len(texts))
		}
	}
	return out, nil
}

// embedBatch is one request. dim, when positive, is the length every vector
// must have.
func (e *Embedder) embedBatch(ctx context.Context, batch []string, dim int) ([][]float32, error) {
	actx, cancel := context.WithTimeout(ctx, e.retry.timeout)
	defer cancel()
	resp, err := e.api.CreateEmbeddings(actx, openai.EmbeddingRequestStrings{
		Input:      batch,
		Model:      openai.EmbeddingModel(e.model),
		Dimensions: e.dimensions,
	})
	if err != nil {
		return nil, attemptError(ctx, actx, e.retry.timeout, err)
	}
	if len(resp.Data) != len(batch) {
		return nil, fmt.Errorf("%w: got %d vectors for %d texts", ErrBadResponse, len(resp.Data), len(batch))
	}
	vecs, err := order(resp.Data)
	if err != nil {
		return nil, err
	}
	if dim == 0 {
		dim = len(vecs[0])
	}
	for i, v := range vecs {
		if len(v) == 0 || len(v) != dim {
			return nil, fmt.Errorf("%w: vector %d has %d dimensions, want %d", ErrBadResponse, i, len(v), dim)
		}
	}
	return vecs, nil
}

// order places each vector at its returned index, which the API does not
// promise to keep in input order.
func order(data []openai.Embedding) ([][]float32, error) {
	vecs := make([][]float32, len(data))
	allZero := true
	for _, d := range data {
		allZero = allZero && d.Index == 0
	}
	if allZero {
		// The index field is missing altogether (every value decodes to
		// 0); the only order left to trust is the array's.
		for i, d := range data {
			vecs[i] = d.Embedding
		}
		return vecs, nil
	}
	for _, d := range data {
		if d.Index < 0 || d.Index >= len(data) {
			return nil, fmt.Errorf("%w: index %d out of range [0, %d)", ErrBadResponse, d.Index, len(data))
		}
		if vecs[d.Index] != nil {
			return nil, fmt.Errorf("%w: index %d returned twice", ErrBadResponse, d.Index)
		}
		vecs[d.Index] = d.Embedding
	}
	return vecs, nil
}
