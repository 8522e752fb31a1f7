package retrieval

import (
	"context"
	"math"
)

// Embedder turns texts into vectors. The built-in one is offline; API
// embedders (llm.Embedder) reach an OpenAI-compatible /embeddings.
// Model names the model so that a persisted index built with another one
// is rebuilt rather than mixed.
type Embedder interface {
	Embed(ctx context.Context, texts []string, progress func(done, total int)) ([][]float32, error)
	Model() string
}

// normalize returns v scaled to unit length. The index normalizes every
// vector itself, so persisted vectors are unit length whatever the
// embedder returned, and a zero vector stays zero (chromem-go would turn
// it into NaN) so the search can tell it has no direction.
func normalize(v []float64) []float32 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	out := make([]float32, len(v))
	if s == 0 {
		return out
	}
	n := math.Sqrt(s)
	for i, x := range v {
		out[i] = float32(x / n)
	}
	return out
}

// normalize32 is normalize for vectors an API returned.
func normalize32(v []float32) []float32 {
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return normalize(f)
}
