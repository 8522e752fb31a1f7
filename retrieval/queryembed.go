package retrieval

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// queryEmbedBound is the longest a search waits for its query's vector,
// unless the ctx has less than twice as long left: an embedding endpoint
// that is down or slow must not cost the user the answer, since the
// lexical ranking alone answers well enough.
const queryEmbedBound = 3 * time.Second

// embedFailure is the last query embedding that failed.
type embedFailure struct {
	err error
	at  time.Time
}

// Health reports whether the last search could embed its query: nil when
// it could (or none has run), else why not. While it fails, searches rank
// by BM25 alone.
func (ix *Index) Health() error {
	if f := ix.embedFail.Load(); f != nil {
		return fmt.Errorf("query embedding with %s failing since %s, searching by words alone: %w",
			ix.emb.Model(), f.at.Format(time.RFC3339), f.err)
	}
	return nil
}

// Health is the current index's Health.
func (l *Live) Health() error { return l.cur.Load().ix.Health() }

// embedQuery embeds a search's query within queryEmbedBound, or half the
// time ctx has left when that is shorter. When the embedder fails or is
// too slow, the vector is nil: the failure is logged and kept for Health,
// and the search goes on without vectors. err is set only when ctx itself
// ended, for then the caller has given up.
func (ix *Index) embedQuery(ctx context.Context, text string) ([]float32, error) {
	bound := queryEmbedBound
	if dl, has := ctx.Deadline(); has {
		bound = min(bound, time.Until(dl)/2)
	}
	ectx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	type embedded struct {
		vs  [][]float32
		err error
	}
	// An embedder that ignores its ctx is still waited for no longer
	// than the bound; the channel's buffer lets it finish alone.
	done := make(chan embedded, 1)
	go func() {
		vs, err := ix.emb.Embed(ectx, []string{text}, nil)
		done <- embedded{vs, err}
	}()
	var got embedded
	select {
	case got = <-done:
	case <-ectx.Done():
		got.err = ectx.Err()
	}
	if got.err == nil && len(got.vs) != 1 {
		got.err = fmt.Errorf("got %d vectors for one query", len(got.vs))
	}
	if got.err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("search: embed query: %w", cerr)
		}
		if errors.Is(got.err, context.DeadlineExceeded) {
			got.err = fmt.Errorf("no vector within %s: %w", bound.Round(time.Millisecond), got.err)
		}
		ix.embedFail.Store(&embedFailure{err: got.err, at: time.Now()})
		ix.log.Warn("embedding the query failed; ranking by BM25 alone", "model", ix.emb.Model(), "err", got.err)
		return nil, nil
	}
	ix.embedFail.Store(nil)
	return got.vs[0], nil
}
