package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestValidateBudget checks that the timeouts of an answer with a chat
// model fit together: a request within llm.budget, and llm.budget with
// BudgetMargin within bot.answer_timeout; each bad one is named.
func TestValidateBudget(t *testing.T) {
	withLLM := func(c *Config) { c.LLM.BaseURL, c.LLM.Model = "https://llm.example/v1", "m" }
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // the whole error; empty: valid
	}{
		{"defaults with an llm", withLLM, ""},
		{"defaults without an llm", func(*Config) {}, ""},
		{"answer timeout exactly budget plus margin", func(c *Config) {
			withLLM(c)
			c.LLM.Budget, c.LLM.Timeout, c.Bot.AnswerTimeout = 10*time.Second, 10*time.Second, 15*time.Second
		}, ""},
		{"timeout equal to the budget", func(c *Config) { withLLM(c); c.LLM.Timeout = c.LLM.Budget }, ""},
		{"timeout past the budget", func(c *Config) { withLLM(c); c.LLM.Timeout = 60 * time.Second },
			`config: llm.timeout: must not exceed llm.budget (25s), the time all model steps of one answer share; got "1m0s"`},
		{"answer timeout equal to the budget", func(c *Config) { withLLM(c); c.Bot.AnswerTimeout = 25 * time.Second },
			`config: bot.answer_timeout: must exceed llm.budget (25s) by at least 5s, so that the extract arrives before the deadline when the model is down; got "25s"`},
		{"answer timeout a little short", func(c *Config) { withLLM(c); c.Bot.AnswerTimeout = 29 * time.Second },
			`config: bot.answer_timeout: must exceed llm.budget (25s) by at least 5s, so that the extract arrives before the deadline when the model is down; got "29s"`},
		{"the old defaults, both 60s", func(c *Config) {
			withLLM(c)
			c.LLM.Timeout, c.Bot.AnswerTimeout = 60*time.Second, 60*time.Second
		}, `config: llm.timeout: must not exceed llm.budget (25s), the time all model steps of one answer share; got "1m0s"`},
		{"budget zero", func(c *Config) { c.LLM.Budget = 0 }, `config: llm.budget: must be positive, got "0s"`},
		{"budget negative", func(c *Config) { withLLM(c); c.LLM.Budget = -time.Second }, `config: llm.budget: must be positive, got "-1s"`},
		{"no llm: the budget binds nothing", func(c *Config) {
			c.LLM.Timeout, c.Bot.AnswerTimeout = 60*time.Second, 10*time.Second
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			validateCase(t, tt.mutate, tt.want)
		})
	}
}

// TestBudgetFromFile reads the budget from YAML, and checks that the
// defaults leave a WeChat user an answer within 30 s.
func TestBudgetFromFile(t *testing.T) {
	def := DefaultConfig()
	if def.LLM.Budget != 25*time.Second || def.LLM.Timeout > def.LLM.Budget || def.Bot.AnswerTimeout > 30*time.Second {
		t.Errorf("defaults: llm.budget %v, llm.timeout %v, bot.answer_timeout %v; want 25s, at most the budget, at most 30s",
			def.LLM.Budget, def.LLM.Timeout, def.Bot.AnswerTimeout)
	}
	tests := []struct {
		name, body string
		budget     time.Duration
		err        string // a piece of Load's error; empty: none
	}{
		{"budget set", "llm: {base_url: https://llm.example/v1, model: m, budget: 20s, timeout: 15s}\n", 20 * time.Second, ""},
		{"budget past the answer timeout", "llm: {base_url: https://llm.example/v1, model: m, budget: 40s}\n", 0, "config: bot.answer_timeout: must exceed llm.budget (40s)"},
		{"both raised", "llm: {base_url: https://llm.example/v1, model: m, budget: 40s}\nbot: {answer_timeout: 50s}\n", 40 * time.Second, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "policybot.yaml")
			if err := os.WriteFile(path, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path, nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("got %v, want an error holding %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.LLM.Budget != tt.budget {
				t.Errorf("llm.budget = %v, want %v", c.LLM.Budget, tt.budget)
			}
		})
	}
}
