package config

import (
	"strings"
	"testing"
	"time"
)

// TestValidateRerank checks the reranker's keys and the restated
// queries' count: each bad value is refused naming its key, and nothing
// about the reranker is checked while it is off.
func TestValidateRerank(t *testing.T) {
	on := func(c *Config) { c.Rerank.BaseURL = "https://api.siliconflow.cn/v1" }
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // the error after "config: "; empty: valid
	}{
		{"defaults: off", func(*Config) {}, ""},
		{"on with the defaults", on, ""},
		{"off: other keys unchecked", func(c *Config) { c.Rerank.Model, c.Rerank.Timeout, c.Rerank.TopN = "", 0, 0 }, ""},
		{"bad base URL", func(c *Config) { c.Rerank.BaseURL = "api.siliconflow.cn/v1" }, "rerank.base_url: must be an http:// or https:// URL with a host"},
		{"no model", func(c *Config) { on(c); c.Rerank.Model = " " }, "rerank.model: must be set when rerank.base_url is set"},
		{"zero timeout", func(c *Config) { on(c); c.Rerank.Timeout = 0 }, `rerank.timeout: must be positive, got "0s"`},
		{"top n zero", func(c *Config) { on(c); c.Rerank.TopN = 0 }, "rerank.top_n: must be between 1 and 100, got 0"},
		{"top n too large", func(c *Config) { on(c); c.Rerank.TopN = 101 }, "rerank.top_n: must be between 1 and 100, got 101"},
		{"top n below top k", func(c *Config) { on(c); c.Rerank.TopN, c.Retrieval.TopK = 8, 10 }, "rerank.top_n: must be at least retrieval.top_k (10), got 8"},
		{"min score above 1", func(c *Config) { on(c); c.Rerank.MinScore = 1.5 }, "rerank.min_score: must be between 0 and 1, got 1.5"},
		{"min score negative", func(c *Config) { on(c); c.Rerank.MinScore = -0.1 }, "rerank.min_score: must be between 0 and 1, got -0.1"},
		{"top n equal to top k", func(c *Config) { on(c); c.Rerank.TopN, c.Retrieval.TopK = 10, 10 }, ""},
		{"policy queries off", func(c *Config) { c.LLM.PolicyQueries = 0 }, ""},
		{"policy queries too many", func(c *Config) { c.LLM.PolicyQueries = 4 }, "llm.policy_queries: must be between 0 and 3, got 4"},
		{"policy queries negative", func(c *Config) { c.LLM.PolicyQueries = -1 }, "llm.policy_queries: must be between 0 and 3, got -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want != "" {
				want = "config: " + want
			}
			validateCase(t, tt.mutate, want)
		})
	}
}

func TestLoadRerank(t *testing.T) {
	tests := []struct {
		name, body string
		env        env
		want       Rerank
	}{
		{"defaults", "", nil, Rerank{Model: "BAAI/bge-reranker-v2-m3", Timeout: 5 * time.Second, TopN: 20}},
		{"key from ${VAR}", "rerank:\n  base_url: https://api.siliconflow.cn/v1\n  api_key: \"${SF_KEY}\"\n  timeout: 2s\n  top_n: 10\n",
			env{"SF_KEY": "sk-file"}, Rerank{BaseURL: "https://api.siliconflow.cn/v1", APIKey: "sk-file", Model: "BAAI/bge-reranker-v2-m3", Timeout: 2 * time.Second, TopN: 10}},
		{"key from POLICYBOT_RERANK_KEY", "rerank:\n  base_url: http://localhost:9997/v1\n  model: bge-reranker-v2-m3\n",
			env{"POLICYBOT_RERANK_KEY": " sk-env\n"}, Rerank{BaseURL: "http://localhost:9997/v1", APIKey: "sk-env", Model: "bge-reranker-v2-m3", Timeout: 5 * time.Second, TopN: 20}},
		{"the example's ${POLICYBOT_RERANK_KEY}", "rerank:\n  api_key: \"${POLICYBOT_RERANK_KEY}\"\n",
			env{"POLICYBOT_RERANK_KEY": "sk-env"}, Rerank{APIKey: "sk-env", Model: "BAAI/bge-reranker-v2-m3", Timeout: 5 * time.Second, TopN: 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeConfig(t, tt.body), tt.env.get)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Rerank != tt.want {
				t.Errorf("rerank = %+v, want %+v", c.Rerank, tt.want)
			}
			if c.Rerank.Enabled() != (tt.want.BaseURL != "") {
				t.Errorf("Enabled() = %v with base_url %q", c.Rerank.Enabled(), c.Rerank.BaseURL)
			}
		})
	}
}

func TestRedactedRerank(t *testing.T) {
	c := DefaultConfig()
	c.Rerank.BaseURL = "https://rr-user:rr-pass@rerank.example/v1"
	c.Rerank.APIKey = "sk-rerank-secret"
	out := c.String()
	for _, s := range []string{"rr-user", "rr-pass", "sk-rerank-secret"} {
		if strings.Contains(out, s) {
			t.Errorf("printed config contains secret %q", s)
		}
	}
	if r := c.Redacted().Rerank; r.APIKey != redactedMark || r.BaseURL != "https://"+redactedMark+"@rerank.example/v1" || r.Model != c.Rerank.Model {
		t.Errorf("redacted rerank = %+v", r)
	}
	if c.Rerank.APIKey != "sk-rerank-secret" {
		t.Error("Redacted changed the original")
	}
}
