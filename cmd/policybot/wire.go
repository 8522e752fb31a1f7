package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/config"
	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/llm"
	"github.com/policybot/policybot/postgres"
	"github.com/policybot/policybot/prompts"
	"github.com/policybot/policybot/rerank"
	"github.com/policybot/policybot/retrieval"
	"github.com/policybot/policybot/retrieval/weaviate"
)

// global holds the flags before the command and what is built from them.
type global struct {
	env
	configPath string
	dataDir    string
	corpusDirs []string
	noBuiltin  bool

	cfg config.Config
	log *slog.Logger
	pg  *postgres.DB // the shared database, once opened (see db)

	// wv is the search cluster, once connected (see backend).
	wv *weaviate.Store
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
	if g.noBuiltin {
		cfg.Corpus.Builtin = false
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

// corpusOptions says which documents to load: the built-in ones if kept,
// the configured folders, and the documents added while the bot runs.
func (g *global) corpusOptions() corpus.Options {
	dirs := slices.Clone(g.cfg.Corpus.Dirs)
	if added := g.cfg.AddedDocuments(); !slices.Contains(dirs, added) {
		if _, err := os.Stat(added); err == nil {
			dirs = append(dirs, added)
		}
	}
	return corpus.Options{Builtin: g.cfg.Corpus.Builtin, Dirs: dirs, ScopeFile: g.cfg.Corpus.ScopeFile,
		MaxFileBytes: int64(g.cfg.Corpus.MaxFileMB) << 20, ReadTimeout: g.cfg.Corpus.ReadTimeout}
}

// library loads the corpus.
func (g *global) library() (*corpus.Library, error) {
	return corpus.Load(g.corpusOptions(), g.log)
}

// live loads the corpus and builds (or loads) its search index, which
// Reload and Watch keep up to date while the bot runs.
func (g *global) live(ctx context.Context) (*retrieval.Live, error) {
	opts, err := g.indexOptions()
	if err != nil {
		return nil, err
	}
	if opts.Taught, err = g.taught(ctx); err != nil {
		return nil, err
	}
	if g.cfg.Retrieval.Backend == "weaviate" {
		if opts.Backend, err = g.backend(ctx); err != nil {
			return nil, err
		}
	}
	return retrieval.NewLive(ctx, g.library, opts)
}

// backend connects to the Weaviate cluster of retrieval.backend: weaviate,
// creating its class if absent.
func (g *global) backend(ctx context.Context) (*weaviate.Store, error) {
	if g.wv != nil {
		return g.wv, nil
	}
	w := g.cfg.Weaviate
	s, err := weaviate.New(ctx, weaviate.Options{
		Hosts: w.Hosts, Class: w.Class, Replication: w.Replication, Tokenization: w.Tokenization,
		Alpha: w.Alpha, Timeout: w.Timeout, APIKey: w.APIKey, Log: g.log,
	})
	if err != nil {
		return nil, err
	}
	g.wv = s
	return s, nil
}

// indexOptions configures the search index: vocabulary, persistence and
// the embedder.
func (g *global) indexOptions() (retrieval.Options, error) {
	var extra [][]byte
	if p := g.cfg.Retrieval.Vocabulary; p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return retrieval.Options{}, fmt.Errorf("read vocabulary: %w", err)
		}
		extra = append(extra, b)
	}
	vocab, err := retrieval.LoadVocabulary(extra...)
	if err != nil {
		return retrieval.Options{}, err
	}
	opts := retrieval.Options{
		K:          g.cfg.Retrieval.TopK,
		Dir:        filepath.Join(g.cfg.DataDir, "index"),
		Vocabulary: vocab,
		Log:        g.log,
		Added:      g.cfg.AddedDocuments(),
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
			return retrieval.Options{}, err
		}
		opts.Embedder = emb
		opts.Progress = progressBar(g.stderr, "embedding")
	}
	if r := g.cfg.Rerank; r.Enabled() {
		rr, err := rerank.New(rerank.Config{BaseURL: r.BaseURL, APIKey: r.APIKey, Model: r.Model, Timeout: r.Timeout, TopN: r.TopN}, g.log)
		if err != nil {
			return retrieval.Options{}, err
		}
		opts.Reranker = rr
		opts.RerankMin = r.MinScore
	}
	return opts, nil
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

// pipeline wires the live index, prompts and the model into answers.
func (g *global) pipeline(ctx context.Context) (*answer.Pipeline, *retrieval.Live, error) {
	live, err := g.live(ctx)
	if err != nil {
		return nil, nil, err
	}
	pr, err := prompts.Load(g.cfg.LLM.PromptsDir)
	if err != nil {
		return nil, nil, err
	}
	gen, err := g.generator()
	if err != nil {
		return nil, nil, err
	}
	var bg answer.Generator
	if gen != nil {
		bg = gen
	}
	p := answer.New(live, live, bg, pr, answer.Options{
		K: g.cfg.Retrieval.TopK, MaxChars: g.cfg.LLM.AnswerChars, Timeout: g.cfg.LLM.Timeout, Budget: g.cfg.LLM.Budget,
		Queries: g.cfg.LLM.PolicyQueries, Decline: g.cfg.LLM.Decline,
	}, g.log)
	return p, live, nil
}

// journal opens the Q&A record when it is enabled, else returns nil. A
// data directory that cannot be written does not stop the bot: it answers
// without a record, and says so loudly.
// unkept, when not nil, is why a record that should be kept is not:
// /healthz reports it.
func (g *global) journal() (j *journal.Files, unkept, err error) {
	if !g.cfg.Bot.Record.Enabled || g.cfg.Store == "postgres" {
		return nil, nil, nil
	}
	j, err = journal.Open(filepath.Join(g.cfg.DataDir, "qa"), g.cfg.Bot.Record.Retention, g.log)
	if errors.Is(err, journal.ErrNotWritable) {
		g.log.Error("the Q&A record cannot be written; answering without it", "err", err)
		return nil, err, nil
	}
	return j, nil, err
}

// stack is what every channel of a command answers with: one pipeline
// over the live index, and one Q&A record.
type stack struct {
	p       *answer.Pipeline
	live    *retrieval.Live
	journal *journal.Files // nil when no record is kept in files
	unkept  error          // why a record that should be kept is not
	shared  *shared        // nil unless store: postgres
	cfg     config.Config
	log     *slog.Logger

	// search is the search cluster, nil unless retrieval.backend:
	// weaviate.
	search *weaviate.Store
}

// stack builds the pipeline and opens the Q&A record.
func (g *global) stack(ctx context.Context) (*stack, error) {
	p, live, err := g.pipeline(ctx)
	if err != nil {
		return nil, err
	}
	j, unkept, err := g.journal()
	if err != nil {
		return nil, err
	}
	sh, err := g.shared(ctx)
	if err != nil {
		return nil, err
	}
	return &stack{p: p, live: live, journal: j, unkept: unkept, shared: sh, search: g.wv, cfg: g.cfg, log: g.log}, nil
}

// core is the conversation core of one channel; tune adjusts the options
// the config gives, for the channel's own limits.
func (s *stack) core(channel string, tune func(*chat.Options)) *chat.Conversations {
	opts := chatOptions(s.cfg, s.live.Scope().Summary(), channel)
	if tune != nil {
		tune(&opts)
	}
	if s.journal != nil {
		opts.Journal = s.journal
	}
	s.shared.apply(&opts)
	return chat.New(s.p, opts, s.log)
}

// health is what /healthz reports on: the Q&A record, when it is kept,
// the embedding endpoint the index searches with, and the Weaviate
// cluster when the clauses are held there.
func (s *stack) health() map[string]func() error {
	h := map[string]func() error{"embedding": s.live.Health}
	switch {
	case s.journal != nil:
		h["journal"] = s.journal.Healthy
	case s.unkept != nil:
		h["journal"] = func() error { return s.unkept }
	}
	s.shared.health(h)
	if s.search != nil {
		h["weaviate"] = func() error {
			// Within the 2 s /healthz gives a part.
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			return s.search.Health(ctx)
		}
	}
	return h
}

// watch keeps what staff taught up to date with its store, and the live
// index with the corpus folders when the config asks for it, until ctx
// ends.
func (s *stack) watch(ctx context.Context, opts corpus.Options) {
	go s.live.Taught().Watch(ctx, taughtEvery, s.log)
	if s.cfg.Corpus.Watch <= 0 {
		return
	}
	dirs := append(slices.Clone(opts.Dirs), s.cfg.AddedDocuments())
	go s.live.Watch(ctx, dirs, s.cfg.Corpus.Watch)
}

// chatOptions maps the config onto the conversation core's options, as
// they are: a zero there turns the feature off here too.
func chatOptions(cfg config.Config, scope, channel string) chat.Options {
	b := cfg.Bot
	return chat.Options{
		HistoryTurns:  b.HistoryTurns,
		IdleTimeout:   b.IdleTimeout,
		MaxInputChars: b.MaxInputChars,
		AnswerTimeout: b.AnswerTimeout,
		PendingAfter:  b.PendingAfter,
		UserPerMinute: float64(b.UserRate.PerMinute),
		UserBurst:     b.UserRate.Burst,
		ReplyMaxChars: b.ReplyMaxChars,
		MaxMessages:   b.MaxMessages,
		SendQueue:     b.SendQueue,
		PartPause:     b.PartPause,
		SendInterval:  b.SendInterval,
		GroupPrefix:   cfg.WeChat.GroupPrefix,
		// AllowGroup stays nil: the WeChat transport keeps to
		// wechat.groups itself. HelpText stays empty: the core's help
		// names the scope.
		Scope:   scope,
		Channel: channel,
	}
}

// Close ends the Q&A record, logging a failure: by then the command's
// work is done.
func (s *stack) Close() {
	if s.journal == nil {
		return
	}
	if err := s.journal.Close(); err != nil {
		s.log.Warn("close the Q&A record", "err", err)
	}
}
