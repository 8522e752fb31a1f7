package weaviate

import (
	"context"
	"fmt"
	"strconv"
	"time"

	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/policybot/policybot/retrieval"
)

// readConsistency is what a search waits for: one replica. With the
// default two replicas a quorum is both, so a search at QUORUM fails
// whenever one node is down; and a write at QUORUM has reached both, so
// a read at ONE still sees every finished sync.
const readConsistency = "ONE"

// Search ranks up to q.N clauses by the engine's hybrid of BM25 over the
// clause text and nearness to q.Vector (BM25 alone when there is no
// vector), within q's filters, best first.
func (s *Store) Search(ctx context.Context, q retrieval.BackendQuery) ([]retrieval.Candidate, error) {
	if q.N <= 0 || (q.Text == "" && vector(q.Vector) == nil) {
		return nil, nil
	}
	var out []retrieval.Candidate
	err := s.do(ctx, "search", func(ctx context.Context, c *wv.Client) error {
		g := s.query(c, q)
		resp, err := g.Do(ctx)
		if err != nil {
			return err
		}
		rows, err := s.rows(resp)
		if err != nil {
			return err
		}
		out, err = candidates(rows)
		return err
	})
	return out, err
}

// query is the GraphQL Get for q.
func (s *Store) query(c *wv.Client, q retrieval.BackendQuery) *graphql.GetBuilder {
	vec := vector(q.Vector)
	score := graphql.Field{Name: "score"}
	g := c.GraphQL().Get().WithClassName(s.class).WithLimit(q.N).WithConsistencyLevel(readConsistency)
	switch {
	case vec == nil:
		g = g.WithBM25(c.GraphQL().Bm25ArgBuilder().WithQuery(q.Text).WithProperties(propText))
	case q.Text == "":
		g = g.WithNearVector(c.GraphQL().NearVectorArgBuilder().WithVector(vec))
		score = graphql.Field{Name: "distance"}
	default:
		g = g.WithHybrid(c.GraphQL().HybridArgumentBuilder().WithQuery(q.Text).WithVector(vec).
			WithAlpha(s.alpha).WithProperties([]string{propText}))
	}
	if f := where(q); f != nil {
		g = g.WithWhere(f)
	}
	return g.WithFields(graphql.Field{Name: propChunk}, graphql.Field{Name: "_additional", Fields: []graphql.Field{score}})
}

// where is the filter q asks for, nil for none.
func where(q retrieval.BackendQuery) *filters.WhereBuilder {
	var and []*filters.WhereBuilder
	eq := func(prop, v string) {
		and = append(and, filters.Where().WithPath([]string{prop}).WithOperator(filters.Equal).WithValueText(v))
	}
	if q.Domain != "" {
		eq(propDomain, q.Domain)
	}
	if q.Kind != "" {
		eq(propKind, q.Kind)
	}
	if !q.InForceAt.IsZero() {
		// In force on a day means the day is before the first day it is
		// not, compared as dates: the day the caller's clock shows, at
		// midnight UTC as Ends is.
		y, m, d := q.InForceAt.Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		and = append(and, filters.Where().WithOperator(filters.Or).WithOperands([]*filters.WhereBuilder{
			filters.Where().WithPath([]string{propEnds}).WithOperator(filters.IsNull).WithValueBoolean(true),
			filters.Where().WithPath([]string{propEnds}).WithOperator(filters.GreaterThan).WithValueDate(day),
		}))
	}
	if len(q.DocIDs) > 0 {
		and = append(and, filters.Where().WithPath([]string{propDoc}).WithOperator(filters.ContainsAny).WithValueText(q.DocIDs...))
	}
	switch len(and) {
	case 0:
		return nil
	case 1:
		return and[0]
	}
	return filters.Where().WithOperator(filters.And).WithOperands(and)
}

// candidates reads the chunk IDs and scores of a search's rows. A
// distance becomes a similarity, so that higher is better throughout.
func candidates(rows []map[string]any) ([]retrieval.Candidate, error) {
	out := make([]retrieval.Candidate, 0, len(rows))
	for _, r := range rows {
		id, _ := r[propChunk].(string)
		add, _ := r["_additional"].(map[string]any)
		var sc float64
		switch {
		case add["score"] != nil:
			v, err := number(add["score"])
			if err != nil {
				return nil, fmt.Errorf("score of %s: %w", id, err)
			}
			sc = v
		case add["distance"] != nil:
			v, err := number(add["distance"])
			if err != nil {
				return nil, fmt.Errorf("distance of %s: %w", id, err)
			}
			sc = 1 - v
		}
		if id != "" {
			out = append(out, retrieval.Candidate{ID: id, Score: sc})
		}
	}
	return out, nil
}

// number reads a score GraphQL gives as a string or a number.
func number(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case string:
		return strconv.ParseFloat(x, 64)
	}
	return 0, fmt.Errorf("unexpected %T", v)
}
