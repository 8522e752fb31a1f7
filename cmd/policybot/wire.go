package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/config"
	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/llm"
	"github.com/policybot/policybot/prompts"
	"github.com/policybot/policybot/retrieval"
)

// global holds the flags before the command and what is built from them.
type global struct {
	env
	configPath string
	dataDir    string
	corpusDirs []string

	cfg config.Config
	log *slog.Logger
}

// load reads the config (file, ${ENV}, environment), applies the global
// flags and validates. An invalid config is one clear line.
func (g *global) load() error {
	path := g.configPath
	if path == "" {
		path = g.getenv("POLICYBOT_CONFIG")
	}
	cfg, err := config.Read(path, g.getenv)
	if err != nil {
		return err
	}
	if g.dataDir != "" {
		cfg.DataDir = g.dataDir
	}
	for _, d := range g.corpusDirs {
		// The same folder in the file and on the command line is one
		// folder, not a clash of every document with itself.
		if !slices.Contains(cfg.Corpus.Dirs, d) {
			cfg.Corpus.Dirs = append(cfg.Corpus.Dirs, d)
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	g.cfg = cfg
	opts := &slog.HandlerOptions{Level: cfg.Log.SlogLevel()}
	var h slog.Handler = slog.NewTextHandler(g.stderr, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(g.stderr, opts)
	}
	g.log = slog.New(h)
	return nil
}

// library loads the corpus.
func (g *global) library() (*corpus.Library, error) {
	return corpus.Load(corpus.Options{Builtin: g.cfg.Corpus.Builtin, Dirs: g.cfg.Corpus.Dirs}, g.log)
}

// searchIndex loads the corpus and builds (or loads) its search index.
func (g *global) searchIndex(ctx context.Context) (*retrieval.Index, *corpus.Library, error) {
	lib, err := g.library()
	if err != nil {
		return nil, nil, err
	}
	ix, err := g.index(ctx, lib)
	return ix, lib, err
}

// index builds (or loads) the search index of a corpus.
func (g *global) index(ctx context.Context, lib *corpus.Library) (*retrieval.Index, error) {
	var extra [][]byte
	if p := g.cfg.Retrieval.Vocabulary; p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read vocabulary: %w", err)
		}
		extra = append(extra, b)
	}
	vocab, err := retrieval.LoadVocabulary(extra...)
	if err != nil {
		return nil, err
	}
	opts := retrieval.Options{
		K:          g.cfg.Retrieval.TopK,
		Dir:        filepath.Join(g.cfg.DataDir, "index"),
		Vocabulary: vocab,
		Log:        g.log,
	}
	if e := g.cfg.Embedding; e.Provider != "builtin" {
		base, key := e.BaseURL, e.APIKey
		if e.Provider == "openai" && base == "" {
			base, key = g.cfg.LLM.BaseURL, g.cfg.LLM.APIKey
		}
		if e.Provider == "ollama" && base == "" {
			// Ollama serves the OpenAI-compatible API under /v1.
			base = "http://localhost:11434/v1"
		}
		// An Ollama URL written for its native API (…/api) means the same
		// server; its OpenAI-compatible API is under /v1.
		if e.Provider == "ollama" {
			base = strings.TrimSuffix(strings.TrimSuffix(base, "/"), "/api")
			if !strings.HasSuffix(base, "/v1") {
				base += "/v1"
			}
		}
		emb, err := llm.NewEmbedder(llm.EmbedConfig{
			BaseURL: base, APIKey: key, Model: e.Model, Dimensions: e.Dimensions,
			BatchSize: e.BatchSize, Timeout: e.Timeout, MaxRetries: e.MaxRetries,
		}, g.log)
		if err != nil {
			return nil, err
		}
		opts.Embedder = emb
		opts.Progress = progressBar(g.stderr, "embedding")
	}
	return retrieval.Build(ctx, lib, opts)
}

// generator adapts the llm client to what bot needs, or returns nil when
// no chat model is configured.
func (g *global) generator() (*chatModel, error) {
	l := g.cfg.LLM
	if !l.Enabled() {
		return nil, nil
	}
	c, err := llm.New(llm.Config{
		BaseURL: l.BaseURL, APIKey: l.APIKey, Model: l.Model, Timeout: l.Timeout,
		MaxRetries: l.MaxRetries, Temperature: float32(l.Temperature), MaxTokens: l.MaxTokens,
	}, g.log)
	if err != nil {
		return nil, err
	}
	return &chatModel{c: c}, nil
}

// chatModel is the llm client seen as answer.StreamGenerator.
type chatModel struct{ c *llm.Client }

func (m *chatModel) Complete(ctx context.Context, system, user string) (string, error) {
	return m.c.Complete(ctx, chatMessages(system, user))
}

func (m *chatModel) Stream(ctx context.Context, system, user string, onDelta func(string)) (string, error) {
	return m.c.Stream(ctx, chatMessages(system, user), onDelta)
}

func chatMessages(system, user string) []llm.Message {
	return []llm.Message{{Role: "system", Content: system}, {Role: "user", Content: user}}
}

// pipeline wires corpus, index, prompts and the model into answers.
func (g *global) pipeline(ctx context.Context) (*answer.Pipeline, *retrieval.Index, *corpus.Library, error) {
	ix, lib, err := g.searchIndex(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	pr, err := prompts.Load(g.cfg.LLM.PromptsDir)
	if err != nil {
		return nil, nil, nil, err
	}
	gen, err := g.generator()
	if err != nil {
		return nil, nil, nil, err
	}
	var bg answer.Generator
	if gen != nil {
		bg = gen
	}
	p := answer.New(ix, lib, bg, pr, answer.Options{
		K: g.cfg.Retrieval.TopK, MaxChars: g.cfg.LLM.AnswerChars, Timeout: g.cfg.LLM.Timeout,
	}, g.log)
	return p, ix, lib, nil
}
