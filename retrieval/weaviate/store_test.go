package weaviate

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/retrieval"
)

// fakeNode is a Weaviate node as far as the Store's requests go: the
// schema, GraphQL searches answered with canned rows, and /v1/nodes.
type fakeNode struct {
	mu      sync.Mutex
	class   map[string]any // the class created, nil before
	queries []string       // GraphQL queries received
	rows    []map[string]any
	nodes   string // the /v1/nodes body
}

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/v1/meta":
		io.WriteString(w, `{"version":"1.35.2"}`)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/schema/"):
		if f.class == nil {
			http.Error(w, `{"error":[{"message":"not found"}]}`, http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(f.class)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/schema":
		json.NewDecoder(r.Body).Decode(&f.class)
		json.NewEncoder(w).Encode(f.class)
	case r.URL.Path == "/v1/graphql":
		var q struct{ Query string }
		json.NewDecoder(r.Body).Decode(&q)
		f.queries = append(f.queries, q.Query)
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"Get": map[string]any{"Clauses": f.rows}}})
	case r.URL.Path == "/v1/.well-known/ready":
	case r.URL.Path == "/v1/nodes" && f.nodes == "":
		http.Error(w, `{"error":[{"message":"node: weaviate-2: send http request: connection refused"}]}`, http.StatusInternalServerError)
	case r.URL.Path == "/v1/nodes":
		io.WriteString(w, f.nodes)
	default:
		http.NotFound(w, r)
	}
}

// downHost is an address nothing listens on: a node that is down.
func downHost(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func fakeStore(t *testing.T, hosts ...string) *Store {
	t.Helper()
	s, err := New(context.Background(), Options{Hosts: hosts, Class: "Clauses", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string // in the error; "" for none
	}{
		{"defaults", Options{Hosts: []string{"127.0.0.1:8080"}}, ""},
		{"no hosts", Options{}, "no hosts"},
		{"host without port", Options{Hosts: []string{"localhost"}}, `host "localhost"`},
		{"class", Options{Hosts: []string{"h:1"}, Class: "clauses"}, `class "clauses"`},
		{"tokenization", Options{Hosts: []string{"h:1"}, Tokenization: "word"}, `tokenization "word"`},
		{"alpha", Options{Hosts: []string{"h:1"}, Alpha: 1.5}, "alpha 1.5"},
		{"replication", Options{Hosts: []string{"h:1"}, Replication: -1}, "replication -1"},
		{"timeout", Options{Hosts: []string{"h:1"}, Timeout: -time.Second}, "timeout -1s"},
		{"scheme", Options{Hosts: []string{"h:1"}, Scheme: "ftp"}, `scheme "ftp"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := withDefaults(tt.opts)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if o.Class != DefaultClass || o.Replication != DefaultReplication || o.Tokenization != DefaultTokenization || o.Alpha != DefaultAlpha || o.Timeout != DefaultTimeout {
					t.Errorf("defaults not filled: %+v", o)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to name %s", err, tt.want)
			}
		})
	}
}

func TestNewCreatesClass(t *testing.T) {
	f := &fakeNode{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	fakeStore(t, strings.TrimPrefix(srv.URL, "http://"))
	b, _ := json.Marshal(f.class)
	for _, want := range []string{`"class":"Clauses"`, `"vectorizer":"none"`, `"tokenization":"trigram"`, `"factor":2`, `"indexNullState":true`, `"name":"doc_hash"`, `"dataType":["date"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("class lacks %s: %s", want, b)
		}
	}
	// A class made with another tokenization is refused, not used.
	_, err := New(context.Background(), Options{Hosts: []string{strings.TrimPrefix(srv.URL, "http://")}, Class: "Clauses", Tokenization: "gse"})
	if err == nil || !strings.Contains(err.Error(), "trigram tokenization, not gse") {
		t.Errorf("err = %v, want the tokenization mismatch", err)
	}
}

func TestSearchFailsOver(t *testing.T) {
	f := &fakeNode{rows: []map[string]any{
		{"chunk_id": "a-1", "_additional": map[string]any{"score": "0.9"}},
		{"chunk_id": "b-2", "_additional": map[string]any{"score": "0.4"}},
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	up := strings.TrimPrefix(srv.URL, "http://")
	f.class = map[string]any{"class": "Clauses"} // skip creation
	s := fakeStore(t, downHost(t), up)
	got, err := s.Search(context.Background(), retrieval.BackendQuery{Text: "小微企业", Vector: []float32{1, 0}, N: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []retrieval.Candidate{{ID: "a-1", Score: 0.9}, {ID: "b-2", Score: 0.4}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v, want %v", got, want)
	}
	if s.preferred.Load() != 1 {
		t.Errorf("preferred node = %d, want 1: the next search should start at the node that answered", s.preferred.Load())
	}
	// Every node down: the error says so.
	s2 := fakeStore(t, up)
	s2.nodes[0].host = downHost(t)
	s2.nodes = append(s2.nodes, node{host: "x", c: s2.nodes[0].c})
	srv.Close()
	if _, err := s2.Search(context.Background(), retrieval.BackendQuery{Text: "x", N: 1}); err == nil || !strings.Contains(err.Error(), "no node answered") {
		t.Errorf("err = %v, want no node answered", err)
	}
}

func TestSearchQuery(t *testing.T) {
	day := time.Date(2024, 3, 1, 23, 0, 0, 0, time.FixedZone("CST", 8*3600))
	tests := []struct {
		name       string
		q          retrieval.BackendQuery
		want, not  []string
		noQueryAtN bool
	}{
		{"hybrid", retrieval.BackendQuery{Text: "研发费用", Vector: []float32{0.6, 0.8}, N: 7},
			[]string{`hybrid:{query: "研发费用", vector: [0.6,0.8], alpha: 0.75, properties: ["text"]}`, "limit: 7", "consistencyLevel: ONE", "score"}, []string{"where"}, false},
		{"keywords alone", retrieval.BackendQuery{Text: "研发费用", N: 3},
			[]string{`bm25:{query: "研发费用", properties: ["text"]}`}, []string{"hybrid", "vector"}, false},
		{"zero vector is none", retrieval.BackendQuery{Text: "研发费用", Vector: []float32{0, 0}, N: 3},
			[]string{`bm25:`}, []string{"hybrid"}, false},
		{"vector alone", retrieval.BackendQuery{Vector: []float32{1, 0}, N: 3},
			[]string{`nearVector:{vector: [1,0]}`, "distance"}, []string{"bm25", "hybrid"}, false},
		{"filters", retrieval.BackendQuery{Text: "研发", N: 3, Domain: "财政", Kind: "原文", InForceAt: day, DocIDs: []string{"d1", "d2"}},
			[]string{`operator: And`, `operator: Equal path: ["domain"] valueText: "财政"`, `operator: Equal path: ["kind"] valueText: "原文"`,
				`operator: IsNull path: ["ends"] valueBoolean: true`, `operator: GreaterThan path: ["ends"] valueDate: "2024-03-01T00:00:00Z"`,
				`operator: ContainsAny path: ["doc_id"] valueText: ["d1","d2"]`}, nil, false},
		{"nothing to search", retrieval.BackendQuery{N: 3}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeNode{class: map[string]any{"class": "Clauses"}}
			srv := httptest.NewServer(f)
			defer srv.Close()
			s := fakeStore(t, strings.TrimPrefix(srv.URL, "http://"))
			if _, err := s.Search(context.Background(), tt.q); err != nil {
				t.Fatal(err)
			}
			if tt.noQueryAtN {
				if len(f.queries) != 0 {
					t.Errorf("queried %v, want nothing", f.queries)
				}
				return
			}
			if len(f.queries) != 1 {
				t.Fatalf("%d queries", len(f.queries))
			}
			q := strings.Join(strings.Fields(f.queries[0]), " ")
			for _, w := range tt.want {
				if !strings.Contains(q, w) {
					t.Errorf("query lacks %s:\n%s", w, q)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(q, n) {
					t.Errorf("query has %s:\n%s", n, q)
				}
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	got, err := candidates([]map[string]any{
		{"chunk_id": "a", "_additional": map[string]any{"score": "0.75"}},
		{"chunk_id": "b", "_additional": map[string]any{"distance": 0.25}},
		{"chunk_id": "", "_additional": map[string]any{"score": "1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (retrieval.Candidate{ID: "a", Score: 0.75}) || got[1] != (retrieval.Candidate{ID: "b", Score: 0.75}) {
		t.Errorf("got %v", got)
	}
	if _, err := candidates([]map[string]any{{"chunk_id": "a", "_additional": map[string]any{"score": "x"}}}); err == nil {
		t.Error("a score that is no number was accepted")
	}
}

func TestHealth(t *testing.T) {
	const healthy = `{"nodes":[{"name":"weaviate-0","status":"HEALTHY"},{"name":"weaviate-1","status":"HEALTHY"}]}`
	tests := []struct {
		name, nodes string
		down        bool // the second host does not answer
		want        string
	}{
		{"all healthy", healthy, false, ""},
		{"one unavailable", `{"nodes":[{"name":"weaviate-0","status":"HEALTHY"},{"name":"weaviate-1","status":"UNAVAILABLE"}]}`, false, "weaviate degraded: weaviate-1 UNAVAILABLE"},
		{"one missing", `{"nodes":[{"name":"weaviate-0","status":"HEALTHY"}]}`, false, "weaviate degraded: 1 of 2 configured nodes"},
		{"node status fails", "", false, "weaviate degraded: node status: status code: 500"},
		{"a host down", healthy, true, "does not answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeNode{class: map[string]any{"class": "Clauses"}, nodes: tt.nodes}
			srv := httptest.NewServer(f)
			defer srv.Close()
			up := strings.TrimPrefix(srv.URL, "http://")
			second := up
			if tt.down {
				second = downHost(t)
			}
			s := fakeStore(t, up, second)
			err := s.Health(context.Background())
			if tt.want == "" {
				if err != nil {
					t.Errorf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
	t.Run("every host down", func(t *testing.T) {
		f := &fakeNode{class: map[string]any{"class": "Clauses"}}
		srv := httptest.NewServer(f)
		s := fakeStore(t, strings.TrimPrefix(srv.URL, "http://"))
		srv.Close()
		if err := s.Health(context.Background()); err == nil || !strings.Contains(err.Error(), "no node answers") {
			t.Errorf("err = %v, want no node answers", err)
		}
	})
}

func TestDocHash(t *testing.T) {
	a := retrieval.Clause{ID: "d-1", DocID: "d", Text: "第一条", Vector: []float32{1, 0}}
	b := retrieval.Clause{ID: "d-2", DocID: "d", Text: "第二条", Vector: []float32{0, 1}}
	base := docHash([]retrieval.Clause{a, b})
	if docHash([]retrieval.Clause{b, a}) != base {
		t.Error("the hash depends on the clauses' order")
	}
	changes := map[string]func(c *retrieval.Clause){
		"text":   func(c *retrieval.Clause) { c.Text = "第一条 修订" },
		"vector": func(c *retrieval.Clause) { c.Vector = []float32{0.8, 0.6} },
		"ends":   func(c *retrieval.Clause) { c.Ends = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) },
		"kind":   func(c *retrieval.Clause) { c.Kind = "解读" },
		"region": func(c *retrieval.Clause) { c.Region = "某省" },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			c := a
			change(&c)
			if docHash([]retrieval.Clause{c, b}) == base {
				t.Errorf("a change of %s keeps the hash", name)
			}
		})
	}
	if objectID("d-1") != objectID("d-1") || objectID("d-1") == objectID("d-2") {
		t.Error("object IDs are not a function of the chunk ID")
	}
}

func TestStoredDocCurrent(t *testing.T) {
	d := doc{hash: "h", clauses: make([]retrieval.Clause, 3)}
	tests := []struct {
		name string
		st   storedDoc
		want bool
	}{
		{"whole", storedDoc{"h": 3}, true},
		{"absent", nil, false},
		{"cut short", storedDoc{"h": 2}, false},
		{"old version", storedDoc{"g": 3}, false},
		{"both versions", storedDoc{"h": 3, "g": 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.st.current(d); got != tt.want {
				t.Errorf("current = %v, want %v", got, tt.want)
			}
		})
	}
}
