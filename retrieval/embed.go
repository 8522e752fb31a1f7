package retrieval

import (
	"context"
	"fmt"
	"hash/fnv"
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

// Hashing is the built-in embedder: IDF-weighted Han unigrams, bigrams and
// Latin/digit words hashed into a fixed number of signed dimensions, then
// L2-normalized. It needs no model download, is deterministic, and learns
// its weights from the corpus it is built on.
type Hashing struct {
	dims  int
	idf   map[string]float64
	unk   float64
	model string
}

// NewHashing fits the embedder's term weights on the corpus texts.
func NewHashing(texts []string, dims int) *Hashing {
	df := map[string]int{}
	for _, t := range texts {
		seen := map[string]bool{}
		for _, term := range terms(t, true) {
			if !seen[term] {
				seen[term] = true
				df[term]++
			}
		}
	}
	n := float64(len(texts))
	h := &Hashing{dims: dims, idf: make(map[string]float64, len(df)), unk: math.Log(1 + n)}
	sum := fnv.New64a()
	for term, d := range df {
		h.idf[term] = math.Log(1 + n/float64(d))
	}
	for _, t := range texts {
		sum.Write([]byte(t))
	}
	h.model = fmt.Sprintf("builtin-hash-%d-%x", dims, sum.Sum64())
	return h
}

// Model names the embedder and the corpus it was fitted on.
func (h *Hashing) Model() string { return h.model }

// Embed computes normalized vectors; it never fails and ignores ctx,
// being pure computation.
func (h *Hashing) Embed(_ context.Context, texts []string, progress func(done, total int)) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = h.vector(t)
		if progress != nil {
			progress(i+1, len(texts))
		}
	}
	return out, nil
}

func (h *Hashing) vector(text string) []float32 {
	tf := map[string]float64{}
	for _, term := range terms(text, true) {
		w := 1.0
		if len([]rune(term)) == 1 && isHan([]rune(term)[0]) {
			w = 0.3
		}
		tf[term] += w
	}
	v := make([]float64, h.dims)
	for term, f := range tf {
		idf, ok := h.idf[term]
		if !ok {
			idf = h.unk
		}
		hs := fnv.New64a()
		hs.Write([]byte(term))
		x := hs.Sum64()
		sign := 1.0
		if x&(1<<63) != 0 {
			sign = -1
		}
		v[x%uint64(h.dims)] += sign * (1 + math.Log(f)) * idf
	}
	return normalize(v)
}

// normalize returns v scaled to unit length. chromem-go assumes unit
// vectors and does not normalize what an embedding function returns.
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
