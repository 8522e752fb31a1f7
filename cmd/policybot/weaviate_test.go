package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeWeaviate answers what the Weaviate backend asks of a node: the
// schema, the stored documents (none), batch writes and searches (no
// candidates, so the index's own ranking decides), and readiness.
type fakeWeaviate struct {
	mu       sync.Mutex
	class    json.RawMessage
	written  int
	searches []string
}

func (f *fakeWeaviate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/v1/meta":
		io.WriteString(w, `{"version":"1.35.2"}`)
	case r.URL.Path == "/v1/.well-known/ready":
	case r.URL.Path == "/v1/nodes":
		io.WriteString(w, `{"nodes":[{"name":"weaviate-0","status":"HEALTHY"}]}`)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/schema/"):
		if f.class == nil {
			http.Error(w, `{"error":[{"message":"not found"}]}`, http.StatusNotFound)
			return
		}
		w.Write(f.class)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/schema":
		f.class, _ = io.ReadAll(r.Body)
		w.Write(f.class)
	case r.URL.Path == "/v1/batch/objects":
		var body struct{ Objects []json.RawMessage }
		json.NewDecoder(r.Body).Decode(&body)
		f.written += len(body.Objects)
		io.WriteString(w, "[]")
	case r.URL.Path == "/v1/graphql":
		var q struct{ Query string }
		json.NewDecoder(r.Body).Decode(&q)
		if strings.Contains(q.Query, "hybrid") || strings.Contains(q.Query, "bm25") {
			f.searches = append(f.searches, q.Query)
		}
		io.WriteString(w, `{"data":{"Get":{"Clauses":[]}}}`)
	default:
		http.NotFound(w, r)
	}
}

// TestWeaviateBackendWired: with retrieval.backend: weaviate, the index
// writes the corpus to the cluster's class and asks its hybrid search
// for candidates, and /healthz gets a weaviate part.
func TestWeaviateBackendWired(t *testing.T) {
	f := &fakeWeaviate{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "policybot.yaml")
	yaml := "retrieval:\n  backend: weaviate\nweaviate:\n  hosts: [" + strings.TrimPrefix(srv.URL, "http://") + "]\n  class: Clauses\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	args := []string{"--config", cfg, "--data-dir", filepath.Join(dir, "data"), "retrieve", "--json", "小型微利企业所得税优惠"}
	noEnv := func(string) string { return "" }
	if err := run(context.Background(), args, strings.NewReader(""), &out, &stderr, noEnv); err != nil {
		t.Fatalf("retrieve: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(out.String(), `"results":[{`) {
		t.Errorf("retrieve found nothing: %s", out.String())
	}
	f.mu.Lock()
	if !strings.Contains(string(f.class), `"class":"Clauses"`) || !strings.Contains(string(f.class), `"tokenization":"trigram"`) {
		t.Errorf("class created = %s", f.class)
	}
	if f.written == 0 {
		t.Error("the corpus was not written to the cluster")
	}
	if len(f.searches) != 1 || !strings.Contains(f.searches[0], "小型微利企业所得税优惠") {
		t.Errorf("searches = %q, want one hybrid search of the question", f.searches)
	}
	f.mu.Unlock()

	g := &global{}
	g.cfg.Retrieval.Backend = "weaviate"
	g.cfg.Weaviate.Hosts = []string{strings.TrimPrefix(srv.URL, "http://")}
	g.cfg.Weaviate.Class = "Clauses"
	store, err := g.backend(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := (&stack{search: store}).health()
	check, ok := h["weaviate"]
	if !ok {
		t.Fatalf("/healthz parts %v lack weaviate", h)
	}
	if err := check(); err != nil {
		t.Errorf("weaviate health = %v", err)
	}
	srv.Close()
	if err := check(); err == nil {
		t.Error("weaviate health is ok with the cluster gone")
	}
}
