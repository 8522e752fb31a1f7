package retrieval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	chromem "github.com/philippgille/chromem-go"

	"github.com/policybot/policybot/corpus"
)

// Reranker reorders fused candidates, e.g. with a cross-encoder API. It is
// optional; without one the fused order stands.
type Reranker interface {
	Rerank(ctx context.Context, query string, hits []Hit) ([]Hit, error)
}

// Options configures an Index. Zero values take the documented defaults.
type Options struct {
	K          int         // results per search; default 5
	Embedder   Embedder    // nil: the built-in hashed embedder (hashed)
	Dir        string      // where embeddings persist; "" keeps them in memory only
	Vocabulary *Vocabulary // nil: the built-in vocabulary
	Reranker   Reranker    // optional
	// RerankMin, when above 0, judges the corpus not to answer when the
	// reranker scores the best clause below it (ReasonRerankLow).
	RerankMin float64
	Progress  func(done, total int)
	// VectorWeight weighs the vector ranking against the lexical one in
	// the fusion; 0 takes the default for the embedder.
	VectorWeight float64
	Now          func() time.Time // the clock Query.InForce is judged against; default time.Now
	Log          *slog.Logger
	// Added is the folder of documents added while the bot runs, where
	// Live.Add puts them and from which Live.Remove takes them.
	Added string
	// Taught, when set, holds the questions staff taught: a question very
	// like one of them is answered by its clause first, or judged not
	// answered; one resembling some has their clauses raised (see
	// applyTaught and applyAliases).
	Taught *Taught
	// Backend, when set, holds the clauses and ranks the candidates
	// instead of chromem-go in this process.
	Backend Backend
}

// entry is one searchable chunk with its document.
type entry struct {
	doc   *corpus.Document
	chunk corpus.Chunk
	text  string // what is embedded: title, path, clause
	// period marks a clause stating when something applies: 自…至…,
	// 有效期, 自…起施行.
	period bool
	// ends is the latest day the periods the clause states run to (ISO,
	// corpus.StatedEnd), "" for none.
	ends string
	// inert marks a chunk that answers nothing (corpus.Informative): it is
	// never a result.
	inert bool
	// formula marks a chunk that is only a notice's formulas — salutation,
	// 现将……通知如下, 印发给你们, signature — and no policy of its own.
	formula bool
	// gives are the kinds of answer the clause gives (answerType).
	gives answerType
	// city marks a chunk of a document a city issued, whose measures
	// apply in that city alone.
	city bool
}

// Index searches a corpus's chunks by fused lexical and vector ranking.
// It is safe for concurrent searches once built.
type Index struct {
	entries []entry
	// heldCities are the cities whose bodies issued documents of the
	// corpus (placedElsewhere).
	heldCities []string
	byID       map[string]int
	lex        *bm25
	coll       *chromem.Collection
	emb        Embedder
	vocab      *Vocabulary
	rerank     Reranker
	// rerankMin is Options.RerankMin.
	rerankMin float64
	judge     *judge // whether the corpus can answer at all
	// docNos finds the documents a question names by number: a question
	// naming 财税〔2018〕77号, in any spelling, is about that document.
	docNos *docNoIndex
	// vecWeight weighs the vector ranking against the lexical one.
	vecWeight float64
	now       func() time.Time
	k         int
	version   string // of the corpus indexed, see Version
	log       *slog.Logger
	// embedFail is the last failure to embed a query, nil after a
	// success; see Health.
	embedFail atomic.Pointer[embedFailure]
	taught    *Taught // nil: nothing taught
	// aliases is the taught questions as this index reads them, for the
	// store's state it was built at (see aliasesNow).
	aliases atomic.Pointer[aliasIndex]
	// beside is set when users' documents are loaded beside the built-in
	// ones (see builtinBesideWeight).
	beside bool
	// homophones repairs typed homophone typos (小危企业 → 小微企业).
	homophones *homophones
	backend    Backend // nil: coll ranks the vectors
	// regions are the issuing region of each document, by ID, for a
	// backend's filters.
	regions map[string]string
}

// Build indexes every chunk of the library. Embeddings are loaded from
// opts.Dir when present and current; only missing chunks are embedded.
func Build(ctx context.Context, lib *corpus.Library, opts Options) (*Index, error) {
	return build(ctx, lib, Version(lib), opts)
}

// build is Build for a library whose version is known already.
func build(ctx context.Context, lib *corpus.Library, version string, opts Options) (*Index, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.K <= 0 {
		opts.K = 5
	}
	if opts.Vocabulary == nil {
		v, err := LoadVocabulary()
		if err != nil {
			return nil, err
		}
		opts.Vocabulary = v
	}
	ix := &Index{vecWeight: 1, now: opts.Now, byID: map[string]int{}, vocab: opts.Vocabulary, rerank: opts.Reranker, rerankMin: opts.RerankMin, k: opts.K, log: opts.Log, taught: opts.Taught}
	docs := lib.Documents()
	var texts []string
	for i := range docs {
		d := &docs[i]
		for _, c := range d.Chunks {
			e := entry{doc: d, chunk: c, text: indexText(d, c), period: corpus.StatesPeriod(c.Text), ends: corpus.StatedEnd(c.Text), formula: corpus.Formulaic(c.Text, d.Title), inert: corpus.Informative(c.Text, d.Title) == "", gives: gives(c.Text)}
			ix.byID[c.ID] = len(ix.entries)
			ix.entries = append(ix.entries, e)
			texts = append(texts, e.text)
		}
	}
	if len(ix.entries) == 0 {
		return nil, errors.New("build index: the corpus has no chunks")
	}
	ours := slices.IndexFunc(docs, func(d corpus.Document) bool { return d.File != "" }) >= 0
	builtin := slices.IndexFunc(docs, func(d corpus.Document) bool { return d.File == "" }) >= 0
	ix.beside = ours && builtin
	ix.docNos = newDocNoIndex(ix.entries)
	ix.version = version
	if ix.now == nil {
		ix.now = time.Now
	}
	// The title is indexed with each clause: scoring titles once per
	// document instead was measured and found worse (hit@1 0.71 vs 0.78).
	ix.lex = newBM25(texts)
	ix.homophones = newHomophones(ix.lex, texts)
	regions := lib.Regions()
	cities := lib.Cities()
	for i := range ix.entries {
		if c := cities[ix.entries[i].doc.ID]; c != "" {
			ix.entries[i].city = true
			if !slices.Contains(ix.heldCities, c) {
				ix.heldCities = append(ix.heldCities, c)
			}
		}
	}
	ix.judge = newJudge(lib.Scope(), docs, regions, ix.entries, ix.lex, ix.vocab.Topics)
	ix.emb = opts.Embedder
	if ix.emb == nil {
		ix.emb = hashed{hashedDims}
		ix.vecWeight = hashedWeight
	}
	if opts.VectorWeight > 0 {
		ix.vecWeight = opts.VectorWeight
	}
	vecs, err := loadOrEmbed(ctx, opts.Dir, ix.emb, ix.entries, opts.Progress, opts.Log)
	if err != nil {
		return nil, err
	}
	if opts.Backend != nil {
		ix.backend = opts.Backend
		ix.regions = regions
		if err := ix.backend.Sync(ctx, ix.clauses(vecs)); err != nil {
			return nil, fmt.Errorf("build index: %w", err)
		}
		return ix, nil
	}
	db := chromem.NewDB()
	// Every vector is supplied, queries included; an embedding function
	// that errors makes sure chromem never falls back to calling OpenAI.
	coll, err := db.CreateCollection("chunks", nil, func(context.Context, string) ([]float32, error) {
		return nil, errors.New("embedding is done by the index, not chromem")
	})
	if err != nil {
		return nil, fmt.Errorf("build index: create collection: %w", err)
	}
	docsC := make([]chromem.Document, len(ix.entries))
	for i, e := range ix.entries {
		docsC[i] = chromem.Document{
			ID:        e.chunk.ID,
			Content:   e.text,
			Embedding: vecs[i],
			Metadata:  map[string]string{"doc_id": e.doc.ID, "domain": e.doc.Domain, "kind": e.doc.Kind},
		}
	}
	if err := coll.AddDocuments(ctx, docsC, 2); err != nil {
		return nil, fmt.Errorf("build index: add chunks: %w", err)
	}
	ix.coll = coll
	return ix, nil
}

// The built-in embedder's size and fusion weight, set by measurement on
// the fresh question sets (see the README): at 0.1 it is within a
// question of no vectors on every set; at 0.2 and 0.4 it cost up to 0.07
// hit@1 on the follow-up and topic-switch pairs. A real embedding model
// gets equal weight.
const (
	hashedDims   = 512
	hashedWeight = 0.1
)

// indexText is what represents a chunk to search: its document's title
// and number, its heading path and the clause itself.
func indexText(d *corpus.Document, c corpus.Chunk) string {
	var b strings.Builder
	b.WriteString(d.Title)
	if d.DocNo != "" {
		b.WriteString(" ")
		b.WriteString(d.DocNo)
	}
	b.WriteString("\n")
	if len(c.Path) > 0 {
		b.WriteString(strings.Join(c.Path, " "))
		b.WriteString("\n")
	}
	b.WriteString(c.Text)
	return b.String()
}

// count is the number of indexed chunks.
func (ix *Index) count() int { return len(ix.entries) }

// Search finds the clauses answering q, as taught when staff taught a
// question very like it.
func (ix *Index) Search(ctx context.Context, q Query) (Result, error) {
	res, err := ix.search(ctx, q)
	if err != nil {
		return res, err
	}
	return ix.applyTaught(q, res), nil
}

// search finds the clauses answering q from the corpus alone.
func (ix *Index) search(ctx context.Context, q Query) (Result, error) {
	k := q.K
	if k <= 0 {
		k = ix.k
	}
	dn := ix.docNos.resolve(q.Question)
	if dn.reason != "" {
		return ix.docNoResult(q, dn), nil
	}
	const pool = 50
	allow := ix.allow(q)
	// Whether the history belongs to the question is decided on the
	// evidence of the question searched alone (see understand).
	pq, lex := ix.understand(dn.question, q.History, ix.lexical(q.Question, allow, pool))
	res := Result{Question: q.Question, Query: pq.text, Hits: []Hit{}, Version: ix.version, Terms: map[string]float64{}}
	for t, w := range pq.weights {
		if idf := ix.lex.idf(t); idf > 0 && utf8.RuneCountInString(t) == 2 {
			res.Terms[t] = w * idf
		}
	}
	if len(pq.weights) == 0 {
		res.Reason = ReasonNoMatch
		return res, nil
	}
	// An embedder that fails or is slow leaves no vector: the lexical
	// ranking alone decides, as it does for a question the embedder
	// cannot place, and whether the corpus answers is judged on it anyway.
	qv, err := ix.embedQuery(ctx, pq.embedText)
	if err != nil {
		return Result{}, err
	}
	var vec []nearest
	qvec := normalize32(qv)
	if isZero(qvec) {
		// A question with no word the embedder knows has no direction; the
		// lexical ranking alone decides.
		qvec = nil
	}
	switch {
	case ix.backend != nil:
		vec, err = ix.searchBackend(ctx, q, dn.chunks, pq.text, qvec, pool)
		if err != nil {
			// A cluster that is down or slow leaves the lexical ranking
			// alone, as a failing embedder does; /healthz names it.
			ix.log.Warn("search backend failed; ranking by keywords alone", "err", err)
			vec, err = nil, nil
		}
	case qvec != nil:
		found, err := ix.coll.QueryEmbedding(ctx, qvec, min(pool, ix.coll.Count()), nil, nil)
		if err != nil {
			return Result{}, fmt.Errorf("search: query vectors: %w", err)
		}
		for _, v := range found {
			vec = append(vec, nearest{ix.byID[v.ID], float64(v.Similarity)})
		}
	}
	if allow != nil {
		kept := vec[:0]
		for _, v := range vec {
			if allow(v.doc) {
				kept = append(kept, v)
			}
		}
		vec = kept
	}
	fused := fuse(lex, vec, ix.vecWeight)
	kept := fused[:0]
	for _, f := range fused {
		if !ix.entries[f.doc].inert {
			kept = append(kept, f)
		}
	}
	fused = kept
	ix.demote(fused, ix.placedElsewhere(q.Question))
	if len(fused) > k*4 {
		fused = fused[:k*4]
	}
	hits := make([]Hit, 0, len(fused))
	for _, f := range fused {
		e := ix.entries[f.doc]
		hits = append(hits, Hit{
			Score:   f.score,
			DocID:   e.doc.ID,
			Title:   e.doc.Title,
			DocNo:   e.doc.DocNo,
			Issuer:  e.doc.Issuer,
			Kind:    e.doc.Kind,
			Clause:  e.chunk.Label,
			Text:    e.chunk.Text,
			ChunkID: e.chunk.ID,
		})
	}
	reranked := false
	if ix.rerank != nil && len(hits) > 0 {
		// A reranker that fails leaves the fused order: it refines the
		// ranking, and the answer must not wait on it.
		if rr, err := ix.rerank.Rerank(ctx, pq.text, hits); err != nil {
			ix.log.Warn("rerank failed; keeping the fused order", "err", err)
		} else {
			hits = rr
			reranked = len(hits) > 0 && hits[0].Reranked
		}
	}
	if len(hits) > k {
		hits = hits[:k]
	}
	for i := range hits {
		hits[i].Rank = i + 1
	}
	res.Hits = hits
	evidence := ix.judge.evidence(pq, lex)
	res.Reason = ix.judge.reason(q.Question, pq, lex, evidence, ix.now().Year())
	if dn.chunks == nil {
		// A question naming its document by 文号 asks about that one,
		// whatever words it shares with it.
		res.Coverage = evidence
	}
	if res.Reason == "" && reranked && ix.rerankMin > 0 && hits[0].Score < ix.rerankMin {
		// The reranker reads the question and the clause together: a low
		// score for the best clause is evidence the corpus does not
		// answer, which word overlap cannot give (see minCoverage).
		res.Reason = ReasonRerankLow
	}
	res.Found = res.Reason == ""
	return res, nil
}

// nearest is one entry of the vector (or a backend's) ranking, with its
// similarity.
type nearest struct {
	doc int
	sim float64
}

// fuse combines the two rankings by their scores, each scaled to [0,1]
// over the query's candidates. Reciprocal rank fusion was measured too: it
// ties on the evaluation set but lets a small vector preference overturn
// a clear lexical winner (a word found only through the vocabulary lost
// rank 1 to clauses sharing a common character).
func fuse(lex []scored, vec []nearest, wv float64) []scored {
	acc := map[int]float64{}
	if len(lex) > 0 && lex[0].score > 0 {
		top := lex[0].score
		for _, s := range lex {
			acc[s.doc] += s.score / top
		}
	}
	if len(vec) > 0 {
		hi, lo := vec[0].sim, vec[0].sim
		for _, v := range vec {
			hi, lo = max(hi, v.sim), min(lo, v.sim)
		}
		if hi > lo {
			for _, v := range vec {
				acc[v.doc] += wv * (v.sim - lo) / (hi - lo)
			}
		}
	}
	out := make([]scored, 0, len(acc))
	for d, s := range acc {
		out = append(out, scored{d, s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].doc < out[j].doc
	})
	return out
}

// allow is the filter a query asks for: the documents its question names
// by number, and its domain, kind and in-force filters; nil for none.
func (ix *Index) allow(q Query) func(int) bool {
	named := ix.named(q.Question)
	if named == nil && q.Domain == "" && q.Kind == "" && !q.InForce {
		return nil
	}
	now := ix.now()
	return func(i int) bool {
		d := ix.entries[i].doc
		return (named == nil || named(i)) &&
			(q.Domain == "" || d.Domain == q.Domain) &&
			(q.Kind == "" || d.Kind == q.Kind) &&
			(!q.InForce || !d.Expired(now))
	}
}

// validityRe spots a question about whether or until when a policy
// applies.
var validityRe = regexp.MustCompile(`有效|过期|失效|还执行|还能享受|到什么时候|到哪年|期限|截止|哪天起|什么时候起|何时起|什么时候开始|哪天开始|从什么时候|何时施行|开始执行|开始实施`)

// applyRe is what one does to obtain a measure: when a question's words
// of time are said of it (什么时候开始申报, 申请截止到哪天), it asks when
// to apply, which a period does not answer.
var applyRe = regexp.MustCompile(`^(?:申报|申请|报名|受理|办理|报送|提交|兑现|拨付|领取)|(?:申报|申请|报名|受理|办理|报送|提交|兑现|拨付|领取)$`)

// asksValidity says whether a question asks whether, or until when, a
// policy applies: words of validity not said of applying for it.
func asksValidity(q string) bool {
	for _, m := range validityRe.FindAllStringIndex(q, -1) {
		before := q[:m[0]]
		if r := []rune(before); len(r) > 2 {
			before = string(r[len(r)-2:])
		}
		after := q[m[1]:]
		if r := []rune(after); len(r) > 2 {
			after = string(r[:2])
		}
		if !applyRe.MatchString(after) && !applyRe.MatchString(before) {
			return true
		}
	}
	return false
}

// periodBoost favours, for a question about validity, the clauses that
// state a period over those that only share its words.
const periodBoost = 1.5

func (ix *Index) favourPeriods(i int) float64 {
	if ix.entries[i].period {
		return periodBoost
	}
	return 1
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// repealedWeight scales the fused score of a clause whose document, or
// article, another loaded document has repealed or rewritten: that one
// usually states the measures as they now stand, and a user asking today
// wants those first. The repealed clause stays findable, marked as repealed in
// the answer.
const repealedWeight = 0.5

// endedWeight scales the fused score of a clause whose document's period
// has ended, or whose own stated periods have, when a clause of a
// document in force is among the first
// endedAmong: a folder of current policies keeps the ones they replaced,
// which often say the same (last year's 稳岗返还 beside this year's), and
// a user asking today wants the one that holds. In a corpus of ended
// policies alone it does nothing: there, an ended period says nothing of
// which clause is current.
const (
	endedWeight = 0.85
	endedAmong  = 10
)

// ended says whether every period the clause states has ended before
// today (ISO): a notice's measure that ran to a day (本项政策执行期限至
// 2024年12月31日) has ended though the notice states no period of its own.
func (e *entry) ended(today string) bool {
	return e.ends != "" && today > e.ends
}

// builtinBesideWeight scales the fused score of a built-in clause when
// users' documents are loaded beside the built-in ones: those are the
// user's own current policy, and the built-in corpus a demonstration of
// one region and year; among clauses about as relevant, theirs come
// first.
const builtinBesideWeight = 0.8

// demote scales the scores of clauses of repealed documents, or of
// articles repealed or rewritten by another document, by repealedWeight,
// of built-in ones beside users' by builtinBesideWeight, and, for a
// question placed elsewhere (placedElsewhere), of the held cities' own by
// elsewhereWeight, and puts the ranking back in order. The judge reads
// the lexical ranking, before any of it: what a clause holds of the
// question does not change with where it applies.
func (ix *Index) demote(fused []scored, elsewhere bool) {
	now := ix.now()
	moved := false
	current := false
	today := now.Format(time.DateOnly)
	for _, f := range fused[:min(len(fused), endedAmong)] {
		if ix.entries[f.doc].doc.Validity(now).Status == corpus.StatusInForce {
			current = true
			break
		}
	}
	for i, f := range fused {
		e := &ix.entries[f.doc]
		d := e.doc
		_, partChanged := d.PartChanged(e.chunk.Label, now)
		v := d.Validity(now)
		if partChanged || d.RepealedBy != "" && v.Repealed {
			fused[i].score *= repealedWeight
			moved = true
		} else if current && (v.Status == corpus.StatusExpired || e.ended(today)) {
			fused[i].score *= endedWeight
			moved = true
		}
		if ix.beside && d.File == "" {
			fused[i].score *= builtinBesideWeight
			moved = true
		}
		if elsewhere && e.city {
			fused[i].score *= elsewhereWeight
			moved = true
		}
	}
	if moved {
		sort.SliceStable(fused, func(a, b int) bool { return better(fused[a], fused[b]) })
	}
}

// formulaWeight scales the lexical score of a chunk holding only a
// notice's formulas: they repeat the title's words and, being short,
// would outrank the clauses that answer.
const formulaWeight = 0.5
