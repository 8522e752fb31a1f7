package retrieval

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LSA is the built-in embedder: latent semantic analysis fitted on the
// corpus itself. Chunks are TF-IDF vectors over Han bigrams and Latin or
// digit words; a truncated SVD (randomized, so it fits in milliseconds)
// maps them to a few dozen dimensions in which words that occur in the
// same clauses lie close. It is offline and deterministic, needs no model
// download, and gives the fusion a ranking that is not merely lexical.
type LSA struct {
	dims  int
	vocab map[string]int // term → row of proj
	idf   []float64
	proj  [][]float64 // vocab × dims
	model string
}

// lsaMaxTerms bounds the vocabulary, and so fitting time and memory, on
// large corpora: the most frequent terms carry the co-occurrence signal.
const lsaMaxTerms = 8000

// lsaMaxFit bounds the chunks the SVD is fitted on; the rest are only
// projected.
const lsaMaxFit = 20000

// newLSAVocabulary chooses the terms and their weights, which is cheap and
// names the model; fit then computes the projection, which is not.
func newLSAVocabulary(texts []string, dims int) *LSA {
	df := map[string]int{}
	for _, t := range texts {
		seen := map[string]bool{}
		for _, term := range terms(t, false) {
			if !seen[term] {
				seen[term] = true
				df[term]++
			}
		}
	}
	type tc struct {
		t string
		n int
	}
	var cand []tc
	for t, n := range df {
		if n >= 2 {
			cand = append(cand, tc{t, n})
		}
	}
	sort.Slice(cand, func(i, j int) bool {
		if cand[i].n != cand[j].n {
			return cand[i].n > cand[j].n
		}
		return cand[i].t < cand[j].t
	})
	if len(cand) > lsaMaxTerms {
		cand = cand[:lsaMaxTerms]
	}
	l := &LSA{vocab: make(map[string]int, len(cand)), idf: make([]float64, len(cand))}
	n := float64(len(texts))
	h := fnv.New64a()
	for i, c := range cand {
		l.vocab[c.t] = i
		l.idf[i] = math.Log(1 + n/float64(c.n))
		h.Write([]byte(c.t))
	}
	l.dims = max(min(dims, len(cand), len(texts)-1), 1)
	fmt.Fprintf(h, "|%d|%d", l.dims, len(texts))
	l.model = fmt.Sprintf("builtin-lsa-%d-%x", l.dims, h.Sum64())
	return l
}

// fit computes the projection on an evenly spaced sample of the texts
// when the corpus is large.
func (l *LSA) fit(texts []string) {
	step := 1
	if len(texts) > lsaMaxFit {
		step = (len(texts) + lsaMaxFit - 1) / lsaMaxFit
	}
	var rows []sparse
	for i := 0; i < len(texts); i += step {
		if r := l.row(texts[i]); len(r.idx) > 0 {
			rows = append(rows, r)
		}
	}
	l.proj = fitSVD(rows, len(l.idf), l.dims)
	// A tiny corpus can leave fewer dimensions than asked for.
	if len(l.proj) > 0 {
		l.dims = len(l.proj[0])
	}
}

// Model names the embedder and the vocabulary it was fitted on.
func (l *LSA) Model() string { return l.model }

// Embed projects texts into the latent space, normalized. It never fails.
func (l *LSA) Embed(_ context.Context, texts []string, progress func(done, total int)) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		r := l.row(t)
		v := make([]float64, l.dims)
		for j, k := range r.idx {
			p := l.proj[k]
			for d := range v {
				v[d] += r.val[j] * p[d]
			}
		}
		out[i] = normalize(v)
		if progress != nil {
			progress(i+1, len(texts))
		}
	}
	return out, nil
}

// sparse is a TF-IDF row, L2-normalized.
type sparse struct {
	idx []int
	val []float64
}

func (l *LSA) row(text string) sparse {
	tf := map[int]float64{}
	for _, t := range terms(text, false) {
		if k, ok := l.vocab[t]; ok {
			tf[k]++
		}
	}
	// Sorted, so that every sum over the row runs in the same order and
	// the same text always gets bit-identical vectors.
	keys := make([]int, 0, len(tf))
	for k := range tf {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var r sparse
	var norm float64
	for _, k := range keys {
		f := tf[k]
		w := (1 + math.Log(f)) * l.idf[k]
		r.idx = append(r.idx, k)
		r.val = append(r.val, w)
		norm += w * w
	}
	if norm > 0 {
		norm = math.Sqrt(norm)
		for i := range r.val {
			r.val[i] /= norm
		}
	}
	return r
}

// fitSVD returns the top-k right singular vectors of the rows × terms
// matrix A, as a terms × k matrix, by a randomized range finder with power
// iterations (Halko, Martinsson and Tropp). The range is found in the row
// space, which is the smaller side for a corpus of clauses, and dense
// matrices are kept column by column so the work runs over contiguous
// memory.
func fitSVD(rows []sparse, nTerms, k int) [][]float64 {
	p := min(k+10, len(rows), nTerms)
	k = min(k, p)
	rng := rand.New(rand.NewPCG(1, 2)) // fixed seed: the embedder is deterministic
	omega := make([][]float64, p)      // p columns over the terms
	for c := range omega {
		omega[c] = make([]float64, nTerms)
		for i := range omega[c] {
			omega[c][i] = rng.NormFloat64()
		}
	}
	q := mulRows(rows, omega) // p columns over the rows
	orthonormalize(q)
	for iter := 0; iter < 2; iter++ {
		q = mulRows(rows, mulRowsT(rows, q, nTerms))
		orthonormalize(q)
	}
	// B = QᵀA (given as Bᵀ: p columns over the terms). The eigenvectors W
	// of BBᵀ = Qᵀ(AAᵀQ) give the right singular vectors BᵀW·Λ^-½.
	bt := mulRowsT(rows, q, nTerms)
	c := mulRows(rows, bt)
	g := make([][]float64, p)
	for i := range g {
		g[i] = make([]float64, p)
	}
	for i := 0; i < p; i++ {
		for j := 0; j <= i; j++ {
			g[i][j] = dot(q[i], c[j])
			g[j][i] = g[i][j]
		}
	}
	vals, vecs := jacobiEigen(g)
	order := make([]int, p)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	proj := make([][]float64, nTerms)
	flat := make([]float64, nTerms*k)
	for t := range proj {
		proj[t] = flat[t*k : (t+1)*k : (t+1)*k]
	}
	col := make([]float64, nTerms)
	for d := 0; d < k; d++ {
		clear(col)
		e := order[d]
		scale := 0.0
		if vals[e] > 1e-12 {
			scale = 1 / math.Sqrt(vals[e])
		}
		for j := 0; j < p; j++ {
			w := vecs[j][e] * scale
			if w == 0 {
				continue
			}
			for t, v := range bt[j] {
				col[t] += w * v
			}
		}
		for t, v := range col {
			proj[t][d] = v
		}
	}
	return proj
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// mulRows computes A·Y for sparse rows A and Y given as columns; the
// result is given as columns over the rows.
func mulRows(rows []sparse, y [][]float64) [][]float64 {
	out := make([][]float64, len(y))
	for c, col := range y {
		o := make([]float64, len(rows))
		for i, r := range rows {
			var s float64
			for j, k := range r.idx {
				s += r.val[j] * col[k]
			}
			o[i] = s
		}
		out[c] = o
	}
	return out
}

// mulRowsT computes Aᵀ·B for sparse rows A and B given as columns over
// the rows; the result is given as columns over the terms.
func mulRowsT(rows []sparse, b [][]float64, nTerms int) [][]float64 {
	out := make([][]float64, len(b))
	for c, col := range b {
		o := make([]float64, nTerms)
		for i, r := range rows {
			v := col[i]
			if v == 0 {
				continue
			}
			for j, k := range r.idx {
				o[k] += r.val[j] * v
			}
		}
		out[c] = o
	}
	return out
}

// orthonormalize makes the columns orthonormal (modified Gram–Schmidt);
// a column that collapses is left at zero.
func orthonormalize(y [][]float64) {
	for c := range y {
		col := y[c]
		for prev := 0; prev < c; prev++ {
			d := dot(col, y[prev])
			if d == 0 {
				continue
			}
			pv := y[prev]
			for i := range col {
				col[i] -= d * pv[i]
			}
		}
		n := math.Sqrt(dot(col, col))
		if n < 1e-10 {
			clear(col)
			continue
		}
		for i := range col {
			col[i] /= n
		}
	}
}

// jacobiEigen diagonalizes a small symmetric matrix by cyclic Jacobi
// rotations, returning eigenvalues and eigenvectors (as columns).
func jacobiEigen(a [][]float64) ([]float64, [][]float64) {
	n := len(a)
	v := make([][]float64, n)
	for i := range v {
		v[i] = make([]float64, n)
		v[i][i] = 1
	}
	for sweep := 0; sweep < 50; sweep++ {
		var off float64
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				off += a[i][j] * a[i][j]
			}
		}
		if off < 1e-18 {
			break
		}
		for pi := 0; pi < n; pi++ {
			for q := pi + 1; q < n; q++ {
				if math.Abs(a[pi][q]) < 1e-15 {
					continue
				}
				theta := (a[q][q] - a[pi][pi]) / (2 * a[pi][q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := 0; k < n; k++ {
					akp, akq := a[k][pi], a[k][q]
					a[k][pi] = c*akp - s*akq
					a[k][q] = s*akp + c*akq
				}
				for k := 0; k < n; k++ {
					apk, aqk := a[pi][k], a[q][k]
					a[pi][k] = c*apk - s*aqk
					a[q][k] = s*apk + c*aqk
				}
				for k := 0; k < n; k++ {
					vkp, vkq := v[k][pi], v[k][q]
					v[k][pi] = c*vkp - s*vkq
					v[k][q] = s*vkp + c*vkq
				}
			}
		}
	}
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = a[i][i]
	}
	return vals, v
}

// loadOrFitLSA returns the built-in embedder for the corpus, reading its
// projection from dir when one was saved for the same vocabulary, else
// fitting and saving it, so a restart skips the SVD.
func loadOrFitLSA(texts []string, dims int, dir string, log *slog.Logger) (*LSA, error) {
	l := newLSAVocabulary(texts, dims)
	if dir == "" {
		l.fit(texts)
		return l, nil
	}
	path := filepath.Join(dir, "lsa-"+l.model+".gob")
	var saved lsaFile
	err := readGob(path, &saved)
	if err == nil && saved.Version == storeVersion && saved.Model == l.model && len(saved.Proj) == len(l.idf)*saved.Dims && saved.Dims > 0 {
		l.dims = saved.Dims
		l.proj = make([][]float64, len(l.idf))
		for t := range l.proj {
			row := make([]float64, l.dims)
			for d := range row {
				row[d] = float64(saved.Proj[t*l.dims+d])
			}
			l.proj[t] = row
		}
		return l, nil
	}
	if err != nil && !os.IsNotExist(err) {
		log.Warn("saved LSA model unreadable; fitting again", "file", path, "err", err)
	}
	l.fit(texts)
	out := lsaFile{Version: storeVersion, Model: l.model, Dims: l.dims, Proj: make([]float32, 0, len(l.proj)*l.dims)}
	for _, row := range l.proj {
		for _, v := range row {
			out.Proj = append(out.Proj, float32(v))
		}
	}
	if err := writeGob(path, out); err != nil {
		return nil, fmt.Errorf("save LSA model: %w", err)
	}
	// A changed corpus makes a new built-in model: its old files would
	// only pile up.
	pruneBuiltin(dir, l.model, log)
	return l, nil
}

// lsaFile is the saved projection of the built-in embedder.
type lsaFile struct {
	Version int
	Model   string
	Dims    int
	Proj    []float32
}

// pruneBuiltin removes the saved projections and embeddings of earlier
// built-in models; other embedders' files are kept, so switching back to
// one costs nothing.
func pruneBuiltin(dir, current string, log *slog.Logger) {
	for _, pattern := range []string{"lsa-builtin-lsa-*.gob", "embeddings-builtin-lsa-*.gob"} {
		old, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, f := range old {
			if strings.Contains(filepath.Base(f), current) {
				continue
			}
			if err := os.Remove(f); err != nil {
				log.Warn("remove an old built-in index file", "file", f, "err", err)
			}
		}
	}
}
