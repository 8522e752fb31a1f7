package retrieval

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/policybot/policybot/corpus"
)

// Backend is an external search engine holding the clauses instead of
// chromem-go in this process: a cluster for a corpus too big for one
// machine's memory, shared by every replica. The index keeps its own
// understanding of the question and its judgement of whether the corpus
// answers; the backend supplies the candidates its hybrid search ranks.
type Backend interface {
	// Sync makes the engine hold exactly these clauses: new ones are
	// added, changed ones replaced and the rest removed. It is idempotent,
	// so every replica may call it at start.
	Sync(ctx context.Context, clauses []Clause) error
	// Search ranks up to q.N clauses by the engine's own hybrid of its
	// keyword ranking of q.Text and nearness to q.Vector, within q's
	// filters, best first.
	Search(ctx context.Context, q BackendQuery) ([]Candidate, error)
	// Health says whether the engine answers.
	Health(ctx context.Context) error
}

// Clause is one chunk as a backend stores it.
type Clause struct {
	ID     string // the chunk's ID
	DocID  string
	Domain string
	Kind   string
	Region string // the issuing region, "" for a national document
	// Ends is the first day the document is no longer in force; zero when
	// it states no end.
	Ends   time.Time
	Text   string    // indexText: title, 文号, heading path, clause
	Vector []float32 // unit length; nil when the embedder gave none
}

// BackendQuery is one search of a backend. Empty filters match anything.
type BackendQuery struct {
	Text   string
	Vector []float32 // nil: keyword ranking alone
	N      int
	Domain string
	Kind   string
	// InForceAt keeps clauses whose document is still in force on that
	// day; zero keeps all.
	InForceAt time.Time
	DocIDs    []string // only these documents, when any
}

// Candidate is a backend's hit: the chunk's ID and the engine's score,
// higher better.
type Candidate struct {
	ID    string
	Score float64
}

// clauses are the index's entries as a backend stores them, with their
// vectors.
func (ix *Index) clauses(vecs [][]float32) []Clause {
	out := make([]Clause, len(ix.entries))
	for i, e := range ix.entries {
		out[i] = Clause{
			ID:     e.chunk.ID,
			DocID:  e.doc.ID,
			Domain: e.doc.Domain,
			Kind:   e.doc.Kind,
			Region: ix.regions[e.doc.ID],
			Ends:   ends(e.doc),
			Text:   e.text,
			Vector: vecs[i],
		}
	}
	return out
}

// ends is the first day d is no longer in force, zero when it states no
// end: its period read as if asked on the last day there is.
func ends(d *corpus.Document) time.Time {
	v := d.Validity(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC))
	if v.Status != corpus.StatusExpired {
		return time.Time{}
	}
	end, err := time.Parse(time.DateOnly, v.Until)
	if err != nil {
		return time.Time{}
	}
	return end.AddDate(0, 0, 1)
}

// backendWait bounds one backend search: a hybrid search on a loaded
// three-node cluster took under 0.5 s at its median (README, "Running at
// scale"), and a failover tries the next node within it.
const backendWait = 3 * time.Second

// searchBackend asks the backend for candidates and turns them into the
// ranking fuse takes, dropping clauses this replica's corpus lacks (a
// replica that has not yet loaded a document another has added).
func (ix *Index) searchBackend(ctx context.Context, q Query, named map[int]bool, text string, vec []float32, n int) ([]nearest, error) {
	bq := BackendQuery{Text: text, Vector: vec, N: n, Domain: q.Domain, Kind: q.Kind}
	if q.InForce {
		bq.InForceAt = ix.now()
	}
	bq.DocIDs = ix.namedDocs(named)
	// A hung cluster must not hold the answer: past backendWait the
	// lexical ranking decides alone (see search).
	ctx, cancel := context.WithTimeout(ctx, backendWait)
	defer cancel()
	cands, err := ix.backend.Search(ctx, bq)
	if err != nil {
		return nil, fmt.Errorf("search backend: %w", err)
	}
	out := make([]nearest, 0, len(cands))
	for _, c := range cands {
		if i, ok := ix.byID[c.ID]; ok {
			out = append(out, nearest{i, c.Score})
		}
	}
	return out, nil
}

// namedDocs are the documents of the chunks a question names by 文号
// (docNoResolution.chunks), nil for none.
func (ix *Index) namedDocs(chunks map[int]bool) []string {
	if chunks == nil {
		return nil
	}
	seen := map[string]bool{}
	var ids []string
	for i, in := range chunks {
		if id := ix.entries[i].doc.ID; in && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}
