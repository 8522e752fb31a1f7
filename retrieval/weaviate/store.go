// Package weaviate holds the clauses in a Weaviate cluster instead of this
// process, for a corpus too big for one machine's memory and shared by
// every replica: it owns the class's schema, keeping the class in step
// with the corpus, and the hybrid search the index asks for candidates.
// Store is a retrieval.Backend.
package weaviate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate/entities/models"
)

// Options configures a Store. Zero values take the defaults below.
type Options struct {
	// Hosts are the nodes' HTTP addresses, host:port. Every request goes
	// to one of them and moves on to the next when that one does not
	// answer.
	Hosts  []string
	Scheme string // http (default) or https
	APIKey string // sent as a bearer token when set
	// Class is the collection holding the clauses; it starts with a
	// capital letter.
	Class string
	// Replication is how many nodes hold each clause (default 2): with
	// 2, one node may be down and every clause is still answered.
	Replication int
	// Tokenization splits the clause text for the engine's keyword
	// ranking: trigram (default), gse or gse_ch (the gse ones need the
	// server started with ENABLE_TOKENIZER_GSE / ENABLE_TOKENIZER_GSE_CH).
	Tokenization string
	// Alpha weighs the vector ranking in the engine's hybrid search: 0
	// is keywords alone, 1 vectors alone (default DefaultAlpha).
	Alpha   float64
	Timeout time.Duration // per request to one node (default 10 s)
	Log     *slog.Logger
}

// Defaults, set by measurement on the evaluation set (see the README's
// "Running at scale").
const (
	DefaultClass        = "PolicyClause"
	DefaultReplication  = 2
	DefaultTokenization = "trigram"
	DefaultAlpha        = 0.75
	DefaultTimeout      = 10 * time.Second
)

// tokenizations are the tokenizations Options.Tokenization accepts.
func tokenizations() []string { return []string{"trigram", "gse", "gse_ch"} }

// classRe is what Weaviate accepts as a class name.
var classRe = regexp.MustCompile(`^[A-Z][_0-9A-Za-z]*$`)

// Store is a Weaviate class holding the clauses. It is safe for
// concurrent use.
type Store struct {
	nodes []node
	// preferred is the node that answered last: requests start there, so
	// a node that is down costs one refused connection, not one per
	// request.
	preferred atomic.Int64
	class     string
	replicas  int
	tok       string
	alpha     float32
	timeout   time.Duration
	log       *slog.Logger
	// written and deleted count the objects the last Sync wrote and the
	// documents it removed, for its log line and the tests.
	written, deleted atomic.Int64
}

// node is one host with its own client: the client talks to a single
// host, so failing over means using another client.
type node struct {
	host string
	c    *wv.Client
}

// New connects to the cluster and creates the class if it is absent. It
// fails when no host answers or when the class exists with another
// tokenization, which would silently rank differently.
func New(ctx context.Context, opts Options) (*Store, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	s := &Store{class: opts.Class, replicas: opts.Replication, tok: opts.Tokenization,
		alpha: float32(opts.Alpha), timeout: opts.Timeout, log: opts.Log}
	headers := map[string]string{}
	if opts.APIKey != "" {
		// A header rather than the client's AuthConfig, which asks the
		// server for its OIDC setup while connecting.
		headers["Authorization"] = "Bearer " + opts.APIKey
	}
	// Contexts bound each request; the transport's limits are for the
	// client library's own calls without one (its version check while
	// connecting), so that a node that accepts and never answers cannot
	// hang the start.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: opts.Timeout}).DialContext
	tr.ResponseHeaderTimeout = max(opts.Timeout, syncTimeout)
	hc := &http.Client{Transport: tr}
	for _, h := range opts.Hosts {
		// Each client keeps its connection for the life of the process:
		// the client library blocks the finalizer of a connection that is
		// dropped.
		c, err := wv.NewClient(wv.Config{Host: h, Scheme: opts.Scheme, Headers: headers, Timeout: opts.Timeout, ConnectionClient: hc})
		if err != nil {
			return nil, fmt.Errorf("weaviate: connect to %s: %w", h, err)
		}
		s.nodes = append(s.nodes, node{host: h, c: c})
	}
	// A schema request in flight when the cluster's leader is lost waits
	// for a new one: a few tries ride out an election.
	for try := 1; ; try++ {
		err := s.ensureClass(ctx)
		if err == nil {
			return s, nil
		}
		if try == classTries || !nodeFailure(err) || ctx.Err() != nil {
			return nil, err
		}
		s.log.Warn("weaviate schema not reached; trying again", "err", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Second):
		}
	}
}

// classTries bounds the attempts to read or create the class at start.
const classTries = 3

// withDefaults fills the zero options and checks the rest, naming the bad
// one.
func withDefaults(o Options) (Options, error) {
	if len(o.Hosts) == 0 {
		return o, errors.New("weaviate: no hosts")
	}
	for _, h := range o.Hosts {
		if _, _, err := net.SplitHostPort(h); err != nil {
			return o, fmt.Errorf("weaviate: host %q: want host:port: %w", h, err)
		}
	}
	if o.Scheme == "" {
		o.Scheme = "http"
	}
	if o.Scheme != "http" && o.Scheme != "https" {
		return o, fmt.Errorf("weaviate: scheme %q: want http or https", o.Scheme)
	}
	if o.Class == "" {
		o.Class = DefaultClass
	}
	if !classRe.MatchString(o.Class) {
		return o, fmt.Errorf("weaviate: class %q: want a capital letter, then letters, digits or _", o.Class)
	}
	if o.Replication == 0 {
		o.Replication = DefaultReplication
	}
	if o.Replication < 1 {
		return o, fmt.Errorf("weaviate: replication %d: want at least 1", o.Replication)
	}
	if o.Tokenization == "" {
		o.Tokenization = DefaultTokenization
	}
	if !slices.Contains(tokenizations(), o.Tokenization) {
		return o, fmt.Errorf("weaviate: tokenization %q: want one of %s", o.Tokenization, strings.Join(tokenizations(), ", "))
	}
	if o.Alpha == 0 {
		o.Alpha = DefaultAlpha
	}
	if o.Alpha < 0 || o.Alpha > 1 {
		return o, fmt.Errorf("weaviate: alpha %v: want 0..1", o.Alpha)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Timeout < 0 {
		return o, fmt.Errorf("weaviate: timeout %s: want positive", o.Timeout)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// The class's properties. Only text is searched by keywords; the others
// are matched whole by the filters.
const (
	propChunk   = "chunk_id"
	propDoc     = "doc_id"
	propDomain  = "domain"
	propKind    = "kind"
	propRegion  = "region"
	propEnds    = "ends"
	propText    = "text"
	propDocHash = "doc_hash" // the document's version, see docHash
)

// classSchema is the class as New creates it.
func (s *Store) classSchema() *models.Class {
	no := false
	field := func(name string) *models.Property {
		return &models.Property{Name: name, DataType: []string{"text"}, Tokenization: "field", IndexSearchable: &no}
	}
	return &models.Class{
		Class:       s.class,
		Description: "policy clauses searched by policybot",
		// Every vector is supplied, queries' included.
		Vectorizer: "none",
		Properties: []*models.Property{
			field(propChunk), field(propDoc), field(propDomain), field(propKind), field(propRegion), field(propDocHash),
			{Name: propEnds, DataType: []string{"date"}},
			// The text is searched by BM25 and never filtered on: a
			// filterable index of its tokens would only slow writing
			// (20k synthetic clauses, trigram: 160 a second with it,
			// 250–260 without).
			{Name: propText, DataType: []string{"text"}, Tokenization: s.tok, IndexFilterable: &no},
		},
		// The in-force filter keeps clauses with no end: it needs the
		// null state indexed.
		InvertedIndexConfig: &models.InvertedIndexConfig{IndexNullState: true},
		// Async replication brings a node that was down back in step
		// without waiting for a read to repair each object.
		ReplicationConfig: &models.ReplicationConfig{Factor: int64(s.replicas), AsyncEnabled: true},
	}
}

// ensureClass creates the class unless it exists, and checks an existing
// one was made with the same tokenization.
func (s *Store) ensureClass(ctx context.Context) error {
	var have *models.Class
	err := s.do(ctx, "read the schema", func(ctx context.Context, c *wv.Client) error {
		cl, err := c.Schema().ClassGetter().WithClassName(s.class).Do(ctx)
		if status(err) == http.StatusNotFound {
			have = nil
			return nil
		}
		have = cl
		return err
	})
	if err != nil {
		return err
	}
	if have == nil {
		err = s.do(ctx, "create the class", func(ctx context.Context, c *wv.Client) error {
			err := c.Schema().ClassCreator().WithClass(s.classSchema()).Do(ctx)
			if err != nil && strings.Contains(err.Error(), "already exists") {
				// Another replica created it first.
				return nil
			}
			return err
		})
		if err != nil {
			return err
		}
		s.log.Info("weaviate class created", "class", s.class, "replication", s.replicas, "tokenization", s.tok)
		return nil
	}
	for _, p := range have.Properties {
		if p.Name == propText && p.Tokenization != s.tok {
			return fmt.Errorf("weaviate: class %s exists with %s tokenization, not %s: name another class or drop it", s.class, p.Tokenization, s.tok)
		}
	}
	if rc := have.ReplicationConfig; rc != nil && rc.Factor != int64(s.replicas) {
		s.log.Warn("weaviate class has another replication factor; keeping it", "class", s.class, "has", rc.Factor, "configured", s.replicas)
	}
	return nil
}

// do runs f against one node after another, from the preferred one,
// until one answers, giving each the request timeout. A node that
// refuses, times out or fails inside is skipped; a request the server
// rejects is not tried again.
func (s *Store) do(ctx context.Context, what string, f func(ctx context.Context, c *wv.Client) error) error {
	return s.try(ctx, what, s.timeout, f)
}

// doSync is do for the requests of a sync, which move many objects: a
// batch of them waits while a loaded node indexes it.
func (s *Store) doSync(ctx context.Context, what string, f func(ctx context.Context, c *wv.Client) error) error {
	return s.try(ctx, what, max(s.timeout, syncTimeout), f)
}

// syncTimeout is the least time one request of a sync is given: on two
// shared cores a node indexed some 60 clauses a second, so a batch of
// batchSize, batchWorkers at a time, took tens of seconds.
const syncTimeout = 2 * time.Minute

func (s *Store) try(ctx context.Context, what string, timeout time.Duration, f func(ctx context.Context, c *wv.Client) error) error {
	n := int64(len(s.nodes))
	start := s.preferred.Load()
	var errs []error
	for i := range n {
		at := (start + i) % n
		nd := s.nodes[at]
		actx, cancel := context.WithTimeout(ctx, timeout)
		err := f(actx, nd.c)
		cancel()
		if err == nil {
			if at != start {
				s.preferred.Store(at)
			}
			return nil
		}
		err = fmt.Errorf("%s: %w", nd.host, err)
		if ctx.Err() != nil || !nodeFailure(err) {
			return fmt.Errorf("weaviate: %s: %w", what, err)
		}
		s.log.Warn("weaviate node failed; trying the next", "op", what, "host", nd.host, "err", err)
		errs = append(errs, err)
	}
	return fmt.Errorf("weaviate: %s: no node answered: %w", what, errors.Join(errs...))
}

// nodeFailure says whether err is the node's rather than the request's:
// no answer, a timeout, a 5xx, or errors in its answer (a shard whose
// replicas that node cannot reach).
func nodeFailure(err error) bool {
	var we *fault.WeaviateClientError
	if errors.As(err, &we) {
		return !we.IsUnexpectedStatusCode || we.StatusCode >= 500 || we.StatusCode == http.StatusTooManyRequests
	}
	var se *serverError
	return errors.As(err, &se) || errors.Is(err, context.DeadlineExceeded)
}

// status is the HTTP status of a client error, 0 for none.
func status(err error) int {
	var we *fault.WeaviateClientError
	if errors.As(err, &we) && we.IsUnexpectedStatusCode {
		return we.StatusCode
	}
	return 0
}

// serverError is what a node answered with besides a failed status:
// the errors of a GraphQL answer, the objects of a batch it did not write.
type serverError struct {
	what string
	msgs []string
	n    int // how many errors, of which msgs are the first
}

func (e *serverError) Error() string {
	s := e.what + ": " + strings.Join(e.msgs, "; ")
	if e.n > len(e.msgs) {
		s += fmt.Sprintf(" (%d errors)", e.n)
	}
	return s
}

// gqlErr turns the errors of a GraphQL answer into an error.
func gqlErr(resp *models.GraphQLResponse) error {
	if resp == nil || len(resp.Errors) == 0 {
		return nil
	}
	var msgs []string
	for _, e := range resp.Errors {
		if e != nil {
			msgs = append(msgs, e.Message)
		}
	}
	return &serverError{what: "graphql", msgs: msgs, n: len(msgs)}
}

// Health reports whether the cluster answers: an error when no node
// does, and a "degraded" one naming what is wrong when some node is down
// or the cluster reports a node unhealthy.
func (s *Store) Health(ctx context.Context) error {
	ready := make([]error, len(s.nodes))
	var wg sync.WaitGroup
	for i, nd := range s.nodes {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, s.timeout)
			defer cancel()
			ok, err := nd.c.Misc().ReadyChecker().Do(ctx)
			if err == nil && !ok {
				err = errors.New("not ready")
			}
			ready[i] = err
		})
	}
	wg.Wait()
	var bad []string
	var errs []error
	up := -1
	for i, err := range ready {
		if err != nil {
			bad = append(bad, s.nodes[i].host+" does not answer")
			errs = append(errs, fmt.Errorf("%s: %w", s.nodes[i].host, err))
		} else if up < 0 {
			up = i
		}
	}
	if up < 0 {
		return fmt.Errorf("weaviate: no node answers: %w", errors.Join(errs...))
	}
	// The cluster's own view, from a node that answers: /v1/nodes fails
	// while a node it still counts is unreachable, and leaves out one it
	// has given up on.
	nctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	st, err := s.nodes[up].c.Cluster().NodesStatusGetter().Do(nctx)
	switch {
	case err != nil:
		bad = append(bad, "node status: "+err.Error())
	default:
		for _, nd := range st.Nodes {
			if nd != nil && nd.Status != nil && *nd.Status != models.NodeStatusStatusHEALTHY {
				bad = append(bad, nd.Name+" "+*nd.Status)
			}
		}
		if want := len(s.nodes); len(st.Nodes) < want {
			bad = append(bad, fmt.Sprintf("%d of %d configured nodes in the cluster", len(st.Nodes), want))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("weaviate degraded: %s", strings.Join(bad, "; "))
	}
	return nil
}
