package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// rrFake is a rerank endpoint that prefers the documents it is sent last:
// document i of n scores (i+1)/n.
type rrFake struct {
	mu    sync.Mutex
	auth  []string
	query []string
	docs  [][]string
}

func (f *rrFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model     string   `json:"model"`
		Query     string   `json:"query"`
		Documents []string `json:"documents"`
		TopN      int      `json:"top_n"`
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/rerank" || json.NewDecoder(r.Body).Decode(&req) != nil || req.Model != "bge-reranker-v2-m3" || req.TopN != len(req.Documents) {
		http.Error(w, `{"message":"bad request"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.query = append(f.query, req.Query)
	f.docs = append(f.docs, req.Documents)
	f.mu.Unlock()
	type result struct {
		Index int     `json:"index"`
		Score float64 `json:"relevance_score"`
	}
	n := len(req.Documents)
	var rs []result
	for i := n - 1; i >= 0; i-- {
		rs = append(rs, result{i, float64(i+1) / float64(n)})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"results": rs})
}

// TestRetrieveReranked checks the wiring of rerank: with a reranker
// configured, a search's results follow its scores, carry them, and say
// they were reranked; the key comes from POLICYBOT_RERANK_KEY and is
// never printed.
func TestRetrieveReranked(t *testing.T) {
	t.Parallel()
	const (
		key      = "sk-rerank-wire-secret"
		question = "做自行车的，评上省级数字化车间能奖多少钱？"
	)
	fake := &rrFake{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg := configFile(t, "log:\n  level: debug\nretrieval:\n  top_k: 3\nrerank:\n  base_url: "+srv.URL+"/v1\n  model: bge-reranker-v2-m3\n  top_n: 10\n")
	c := indexedCLI().with("POLICYBOT_RERANK_KEY", key)
	out, stderr := c.mustRun(t, "", "--config", cfg, "retrieve", "--json", question)
	if strings.Contains(out, key) || strings.Contains(stderr, key) {
		t.Errorf("the rerank key appears in the output; stderr:\n%s", stderr)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.docs) != 1 {
		t.Fatalf("got %d rerank requests, want 1", len(fake.docs))
	}
	docs := fake.docs[0]
	if len(docs) != 10 || fake.auth[0] != "Bearer "+key || fake.query[0] == "" {
		t.Fatalf("got %d documents, Authorization %q, query %q; want rerank.top_n's 10, the bearer key and the query", len(docs), fake.auth[0], fake.query[0])
	}
	obj := object(t, []byte(strings.TrimSpace(out)))
	var res struct {
		Found   bool `json:"found"`
		Results []struct {
			Rank     int     `json:"rank"`
			Score    float64 `json:"score"`
			Title    string  `json:"title"`
			Text     string  `json:"text"`
			Reranked bool    `json:"reranked"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	var hits []map[string]json.RawMessage
	if err := json.Unmarshal(obj["results"], &hits); err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		checkKeys(t, "result", h, hitKeys, append(slices.Clone(hitAllowed), "reranked"))
	}
	if !res.Found || len(res.Results) != 3 {
		t.Fatalf("got found %v with %d results, want 3 found", res.Found, len(res.Results))
	}
	// The fake scores the last document sent highest: the results are
	// the last three sent, last first.
	for j, h := range res.Results {
		want := docs[len(docs)-1-j]
		if !strings.HasPrefix(h.Title+"\n"+h.Text, want) || h.Rank != j+1 || !h.Reranked {
			t.Errorf("result %d: rank %d, reranked %v, %q; want the document %q", j, h.Rank, h.Reranked, h.Title, want)
		}
		if wantScore := float64(len(docs)-j) / float64(len(docs)); h.Score != wantScore {
			t.Errorf("result %d: score %v, want the reranker's %v", j, h.Score, wantScore)
		}
	}
}

// TestAskRestatesInPolicyTerms checks that with a chat model configured,
// the question is restated in policy words before the answer is
// generated, by default.
func TestAskRestatesInPolicyTerms(t *testing.T) {
	t.Parallel()
	const question = "做自行车的，评上省级数字化车间能奖多少钱？"
	var (
		mu      sync.Mutex
		systems []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct {
				Content string `json:"content"`
			} `json:"messages"`
		}
		if json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Messages) != 2 {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		mu.Lock()
		systems = append(systems, req.Messages[0].Content)
		mu.Unlock()
		content := "评上省级数字化车间的企业可获得40万元奖励[1]。"
		if strings.Contains(req.Messages[0].Content, "检索语句") {
			if !strings.Contains(req.Messages[1].Content, "<question>\n"+question+"\n</question>") {
				t.Errorf("restatement prompt lacks the question:\n%s", req.Messages[1].Content)
			}
			content = "省级数字化车间认定奖励"
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "c", "object": "chat.completion", "model": "fake",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": content}}}})
	}))
	defer srv.Close()
	c := indexedCLI().with("OPENAI_BASE_URL", srv.URL+"/v1", "OPENAI_API_KEY", "test-key", "POLICYBOT_LLM_MODEL", "fake")
	out, stderr := c.mustRun(t, "", "ask", "--json", question)
	a := decodeAnswer(t, out)
	if !a.Found || !strings.HasPrefix(a.Answer, "评上省级数字化车间的企业可获得40万元奖励[1]。") {
		t.Errorf("got found %v, answer:\n%s\nwant the model's", a.Found, a.Answer)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(systems) != 2 || !strings.Contains(systems[0], "检索语句") || strings.Contains(systems[1], "检索语句") {
		t.Errorf("got %d model calls, want the restatement then the answer; stderr:\n%s", len(systems), stderr)
	}
}
