package weaviate

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/google/uuid"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/policybot/policybot/retrieval"
)

// Writes go in batches of batchSize objects, batchWorkers at a time;
// reads of what is stored page through pageSize objects at a time.
const (
	batchSize    = 200
	batchWorkers = 4
	pageSize     = 5000
	// deleteDocs is how many documents one delete names.
	deleteDocs = 100
	// consistency is what writes wait for: a quorum of the replicas.
	writeConsistency = "QUORUM"
)

// doc is one document's clauses as the corpus has them now.
type doc struct {
	hash    string
	clauses []retrieval.Clause
}

// storedDoc is what the class holds of one document: how many objects
// carry each version hash.
type storedDoc map[string]int

// current says whether the stored objects are exactly d: all of its
// version and as many as it has clauses. A sync cut short leaves fewer,
// or two versions, and the next one writes the document again.
func (st storedDoc) current(d doc) bool {
	return len(st) == 1 && st[d.hash] == len(d.clauses)
}

// Sync makes the class hold exactly these clauses, document by document:
// a document whose version is stored whole is left alone, a new or
// changed one is written (objects keep their ID, derived from the chunk
// ID, so a changed clause replaces itself) and then its leftover clauses
// are deleted, and a document no longer in the corpus is deleted. A
// second Sync of the same clauses writes nothing.
func (s *Store) Sync(ctx context.Context, clauses []retrieval.Clause) error {
	t0 := time.Now()
	want := documents(clauses)
	have, err := s.stored(ctx)
	if err != nil {
		return err
	}
	var write []*models.Object
	var changed, gone []string
	for id, d := range want {
		st := have[id]
		if st.current(d) {
			continue
		}
		for _, c := range d.clauses {
			write = append(write, s.object(c, d.hash))
		}
		if len(st) > 0 {
			changed = append(changed, id)
		}
	}
	for id := range have {
		if _, ok := want[id]; !ok {
			gone = append(gone, id)
		}
	}
	sort.Strings(changed)
	sort.Strings(gone)
	if err := s.write(ctx, write); err != nil {
		return err
	}
	for _, id := range changed {
		// What is left of the document's earlier version: clauses it no
		// longer has.
		f := filters.Where().WithOperator(filters.And).WithOperands([]*filters.WhereBuilder{
			filters.Where().WithPath([]string{propDoc}).WithOperator(filters.Equal).WithValueText(id),
			filters.Where().WithPath([]string{propDocHash}).WithOperator(filters.NotEqual).WithValueText(want[id].hash),
		})
		if err := s.deleteWhere(ctx, f); err != nil {
			return err
		}
	}
	for ids := range slices.Chunk(gone, deleteDocs) {
		f := filters.Where().WithPath([]string{propDoc}).WithOperator(filters.ContainsAny).WithValueText(ids...)
		if err := s.deleteWhere(ctx, f); err != nil {
			return err
		}
	}
	s.written.Store(int64(len(write)))
	s.deleted.Store(int64(len(gone)))
	s.log.Info("weaviate sync", "class", s.class, "documents", len(want), "clauses", len(clauses),
		"written", len(write), "replaced_documents", len(changed), "removed_documents", len(gone), "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

// documents groups the clauses by document, with each document's
// version hash.
func documents(clauses []retrieval.Clause) map[string]doc {
	out := map[string]doc{}
	for _, c := range clauses {
		d := out[c.DocID]
		d.clauses = append(d.clauses, c)
		out[c.DocID] = d
	}
	for id, d := range out {
		d.hash = docHash(d.clauses)
		out[id] = d
	}
	return out
}

// docHash is a document's version: everything stored of its clauses, in
// chunk ID order. The vectors are part of it, since a refitted embedder
// moves every vector though no text changed.
func docHash(cs []retrieval.Clause) string {
	cs = slices.Clone(cs)
	slices.SortFunc(cs, func(a, b retrieval.Clause) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	h := sha256.New()
	var num [4]byte
	for _, c := range cs {
		for _, f := range []string{c.ID, c.DocID, c.Domain, c.Kind, c.Region, endsText(c.Ends), c.Text} {
			h.Write([]byte(f))
			h.Write([]byte{0})
		}
		for _, x := range vector(c.Vector) {
			binary.LittleEndian.PutUint32(num[:], math.Float32bits(x))
			h.Write(num[:])
		}
		h.Write([]byte{1})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// objectID is a clause's object ID: a name-based (v5) UUID of its chunk
// ID, the same on every replica and every run.
func objectID(chunkID string) strfmt.UUID {
	return strfmt.UUID(uuid.NewSHA1(uuid.NameSpaceURL, []byte("policybot:chunk:"+chunkID)).String())
}

func endsText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// vector is v as stored: nil for none or for a zero vector, which has no
// direction to compare.
func vector(v []float32) []float32 {
	for _, x := range v {
		if x != 0 {
			return v
		}
	}
	return nil
}

// object is a clause as the class stores it.
func (s *Store) object(c retrieval.Clause, hash string) *models.Object {
	props := map[string]any{
		propChunk: c.ID, propDoc: c.DocID, propDomain: c.Domain, propKind: c.Kind,
		propRegion: c.Region, propText: c.Text, propDocHash: hash,
	}
	if e := endsText(c.Ends); e != "" {
		props[propEnds] = e
	}
	return &models.Object{Class: s.class, ID: objectID(c.ID), Properties: props, Vector: vector(c.Vector)}
}

// stored reads, page by page, which version of each document the class
// holds.
func (s *Store) stored(ctx context.Context) (map[string]storedDoc, error) {
	out := map[string]storedDoc{}
	after := ""
	for {
		var page []map[string]any
		err := s.doSync(ctx, "read the stored documents", func(ctx context.Context, c *wv.Client) error {
			g := c.GraphQL().Get().WithClassName(s.class).WithLimit(pageSize).WithFields(
				graphql.Field{Name: propDoc}, graphql.Field{Name: propDocHash},
				graphql.Field{Name: "_additional", Fields: []graphql.Field{{Name: "id"}}})
			if after != "" {
				g = g.WithAfter(after)
			}
			resp, err := g.Do(ctx)
			if err != nil {
				return err
			}
			page, err = s.rows(resp)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			id, _ := r[propDoc].(string)
			h, _ := r[propDocHash].(string)
			if out[id] == nil {
				out[id] = storedDoc{}
			}
			out[id][h]++
		}
		if len(page) < pageSize {
			return out, nil
		}
		add, _ := page[len(page)-1]["_additional"].(map[string]any)
		after, _ = add["id"].(string)
		if after == "" {
			return nil, fmt.Errorf("weaviate: read the stored documents: an object without an id")
		}
	}
}

// rows are the objects of a GraphQL Get answer for the class.
func (s *Store) rows(resp *models.GraphQLResponse) ([]map[string]any, error) {
	if err := gqlErr(resp); err != nil {
		return nil, err
	}
	get, _ := resp.Data["Get"].(map[string]any)
	list, ok := get[s.class].([]any)
	if !ok && get[s.class] != nil {
		return nil, fmt.Errorf("unexpected answer shape %T", get[s.class])
	}
	out := make([]map[string]any, 0, len(list))
	for _, o := range list {
		if m, ok := o.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// write stores the objects in batches, several at a time. Object IDs are
// fixed, so a batch tried again on another node, or written twice,
// leaves the same objects.
func (s *Store) write(ctx context.Context, objs []*models.Object) error {
	if len(objs) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan []*models.Object)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range batchWorkers {
		wg.Go(func() {
			for b := range jobs {
				if err := s.writeBatch(ctx, b); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		})
	}
	for b := range slices.Chunk(objs, batchSize) {
		select {
		case jobs <- b:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func (s *Store) writeBatch(ctx context.Context, b []*models.Object) error {
	return s.doSync(ctx, "write clauses", func(ctx context.Context, c *wv.Client) error {
		res, err := c.Batch().ObjectsBatcher().WithObjects(b...).WithConsistencyLevel(writeConsistency).Do(ctx)
		if err != nil {
			return err
		}
		var msgs []string
		for _, r := range res {
			if r.Result == nil || r.Result.Errors == nil {
				continue
			}
			for _, e := range r.Result.Errors.Error {
				if e != nil {
					msgs = append(msgs, fmt.Sprintf("%s: %s", r.ID, e.Message))
				}
			}
		}
		if len(msgs) > 0 {
			// Per-object failures are the replicas' (too few answered):
			// another node may do better.
			return &serverError{what: "batch", msgs: msgs[:min(len(msgs), 3)], n: len(msgs)}
		}
		return nil
	})
}

// deleteWhere deletes every object f matches, in as many requests as the
// server's limit on one delete needs.
func (s *Store) deleteWhere(ctx context.Context, f *filters.WhereBuilder) error {
	for {
		var matches, limit int64
		err := s.doSync(ctx, "delete clauses", func(ctx context.Context, c *wv.Client) error {
			r, err := c.Batch().ObjectsBatchDeleter().WithClassName(s.class).WithWhere(f).
				WithOutput("minimal").WithConsistencyLevel(writeConsistency).Do(ctx)
			if err != nil {
				return err
			}
			if r.Results == nil {
				return nil
			}
			matches, limit = r.Results.Matches, r.Results.Limit
			if r.Results.Failed > 0 {
				return &serverError{what: "delete", msgs: []string{fmt.Sprintf("%d of %d objects not deleted", r.Results.Failed, matches)}, n: int(r.Results.Failed)}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if limit <= 0 || matches < limit {
			return nil
		}
	}
}
