// Package config holds the settings of the whole program: their defaults,
// how they are read from a YAML file and the environment, and the rules that
// make a set of settings usable.
//
// The YAML keys are the yaml tags below; config.example.yaml at the
// repository root documents every one of them, and a test keeps the two in
// step.
package config

import (
	"log/slog"
	"path/filepath"
	"time"
)

// OpenAIBaseURL is the endpoint used when llm.api_key is set without
// llm.base_url, so that OPENAI_API_KEY alone reaches OpenAI itself.
const OpenAIBaseURL = "https://api.openai.com/v1"

// Config is the whole program's configuration. Build one with DefaultConfig
// or Load; after changing fields by hand, call Validate again.
type Config struct {
	// DataDir holds everything the program writes: the index, the Q&A
	// record and the WeChat login.
	DataDir   string    `yaml:"data_dir"`
	Log       Log       `yaml:"log"`
	Corpus    Corpus    `yaml:"corpus"`
	LLM       LLM       `yaml:"llm"`
	Embedding Embedding `yaml:"embedding"`
	Rerank    Rerank    `yaml:"rerank"`
	Retrieval Retrieval `yaml:"retrieval"`
	Weaviate  Weaviate  `yaml:"weaviate"`
	Bot       Bot       `yaml:"bot"`
	WeChat    WeChat    `yaml:"wechat"`
	Web       Web       `yaml:"web"`
	MP        MP        `yaml:"mp"`
	WeCom     WeCom     `yaml:"wecom"`
	KF        KF        `yaml:"kf"`
	// Store is where the state that replicas of serve share is kept:
	// files (under DataDir, for one process) or postgres (Postgres, for
	// several replicas behind a load balancer): chat history, the Q&A
	// record, what staff taught, rate limits and message ids.
	Store    string   `yaml:"store"`
	Postgres Postgres `yaml:"postgres"`
}

// Postgres is the database of store: postgres.
type Postgres struct {
	// DSN is a postgres:// URL or key=value connection string. It holds
	// the password, so it is a secret: use ${POLICYBOT_PG_DSN}.
	DSN            string        `yaml:"dsn"`
	MaxConns       int           `yaml:"max_conns"`       // pool size, 1..1000
	OpTimeout      time.Duration `yaml:"op_timeout"`      // one query, 10ms..1m; past it the answer goes on without
	ConnectTimeout time.Duration `yaml:"connect_timeout"` // one connection, 100ms..5m
}

// Log says how much is logged and in which shape.
type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error
	Format string `yaml:"format"` // text | json
}

// Corpus says which policy documents are searched.
type Corpus struct {
	// Builtin keeps the embedded 2018 Hebei documents. When false, Dirs
	// replaces them and must not be empty.
	Builtin bool `yaml:"builtin"`
	// Dirs are extra folders of documents (.md, .txt, .docx, .doc, .wps, .xlsx, .pdf, .html).
	// Documents added with `policybot corpus add` or the console live in
	// <data_dir>/corpus, which is always searched too.
	Dirs []string `yaml:"dirs"`
	// ScopeFile describes what the documents cover (region, years,
	// topics, cities, contacts) in corpus/scope.yaml's shape; empty means
	// the built-in corpus's scope, or what the documents themselves say.
	ScopeFile string `yaml:"scope_file"`
	// MaxFileMB bounds one document file, in MB (1..100); larger files are
	// skipped with a warning before they are read.
	MaxFileMB int `yaml:"max_file_mb"`
	// ReadTimeout bounds reading one document (> 0).
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// Watch is how often serve and wechat look for documents added,
	// changed or removed in the folders, and load them without a
	// restart; 0 never looks.
	Watch time.Duration `yaml:"watch"`
}

// LLM configures the OpenAI-compatible chat model. Without one (see
// Enabled) the bot answers with extracts of the retrieved clauses.
type LLM struct {
	// BaseURL is the OpenAI-compatible endpoint, ending in /v1 or the
	// provider's equivalent. Load sets OpenAIBaseURL when only APIKey is
	// given.
	BaseURL    string        `yaml:"base_url"`
	APIKey     string        `yaml:"api_key"`     // secret; empty for local servers such as Ollama
	Model      string        `yaml:"model"`       // required whenever BaseURL or APIKey is set
	Timeout    time.Duration `yaml:"timeout"`     // per request, > 0, at most Budget
	MaxRetries int           `yaml:"max_retries"` // 0..10, retries of transient failures
	// Budget is the time the model steps of one answer share: a
	// follow-up's rewrite, generation and their retries. When it runs
	// out the user gets the extract of the clauses instead, so an answer
	// comes within it. Bot.AnswerTimeout must exceed it by BudgetMargin.
	Budget      time.Duration `yaml:"budget"`
	Temperature float64       `yaml:"temperature"` // 0..2
	MaxTokens   int           `yaml:"max_tokens"`  // completion limit, >= 1
	// AnswerChars caps a generated answer body, in characters (100..10000).
	AnswerChars int `yaml:"answer_chars"`
	// PromptsDir, when set, is a folder whose templates override the
	// embedded ones.
	PromptsDir string `yaml:"prompts_dir"`
	// PolicyQueries is how many short search queries in the words of
	// policy documents the model is asked to restate each question as
	// (0..3, 0 = none); they are searched besides the question, within
	// the rewrite's share of Budget.
	PolicyQueries int `yaml:"policy_queries"`
	// Decline lets the model judge that none of the clauses found answers
	// the question; the reply is then the not-found one (reason
	// not_in_clauses) instead of an extract of clauses on something else.
	Decline bool `yaml:"decline"`
}

// Enabled reports whether a chat model is configured: an endpoint or a key,
// and a model. Validate rejects the half-configured cases, so after a
// successful Validate this is simply "the user asked for an LLM".
func (l LLM) Enabled() bool {
	return (l.BaseURL != "" || l.APIKey != "") && l.Model != ""
}

// Embedding configures how chunks and queries become vectors.
type Embedding struct {
	// Provider is builtin (offline, no network), openai (any
	// OpenAI-compatible /embeddings endpoint) or ollama (Ollama, through its
	// OpenAI-compatible /v1 API).
	Provider string `yaml:"provider"`
	// BaseURL of the embedding endpoint. For openai, empty means "the same
	// as llm.base_url", and then an empty APIKey also means llm.api_key.
	// For ollama, empty means Ollama's default (http://localhost:11434/v1).
	BaseURL    string        `yaml:"base_url"`
	APIKey     string        `yaml:"api_key"`     // secret
	Model      string        `yaml:"model"`       // required for openai and ollama
	Dimensions int           `yaml:"dimensions"`  // 0 = the model's default; only some openai-compatible models accept it
	BatchSize  int           `yaml:"batch_size"`  // texts per request, 1..2048
	Timeout    time.Duration `yaml:"timeout"`     // per request, > 0
	MaxRetries int           `yaml:"max_retries"` // 0..10
}

// Rerank configures an optional reranker: a cross-encoder behind the
// rerank API (POST {base_url}/rerank) that reorders the fused candidates
// of every search. Off while BaseURL is empty (see Enabled).
type Rerank struct {
	BaseURL string        `yaml:"base_url"` // e.g. https://api.siliconflow.cn/v1; empty = no reranker
	APIKey  string        `yaml:"api_key"`  // secret; empty for a local server
	Model   string        `yaml:"model"`    // required when BaseURL is set
	Timeout time.Duration `yaml:"timeout"`  // per call, > 0; on failure the fused order stands
	// TopN is how many fused candidates, best first, are sent and
	// scored (1..100, at least retrieval.top_k).
	TopN int `yaml:"top_n"`
	// MinScore, when above 0, judges the corpus not to answer when the
	// reranker scores the best clause below it (0..1); 0 leaves the
	// judgement to the offline evidence alone.
	MinScore float64 `yaml:"min_score"`
}

// Enabled reports whether a reranker is configured.
func (r Rerank) Enabled() bool { return r.BaseURL != "" }

// Retrieval tunes the search.
type Retrieval struct {
	TopK int `yaml:"top_k"` // clauses shown and given to the LLM, 1..20
	// Vocabulary is a file of extra colloquial → policy-term mappings,
	// added to the built-in vocabulary.
	Vocabulary string `yaml:"vocabulary"`
	// Backend holds the clauses and ranks the candidates of the vector
	// search: chromem (in this process) or weaviate (a Weaviate cluster,
	// see Weaviate, shared by every replica, for a corpus too big for
	// one machine).
	Backend string `yaml:"backend"`
}

// Weaviate is the cluster of retrieval.backend: weaviate.
type Weaviate struct {
	// Hosts are the nodes' HTTP addresses, host:port; a request goes to
	// the next when one does not answer.
	Hosts []string `yaml:"hosts"`
	// Class is the collection holding the clauses, created if absent; a
	// capital letter, then letters, digits or _.
	Class string `yaml:"class"`
	// Replication is how many nodes hold each clause when the class is
	// created (1..100); 2 keeps every clause answered with a node down.
	Replication int `yaml:"replication"`
	// Tokenization splits clause text for the engine's keyword ranking:
	// trigram, gse or gse_ch (the gse ones need the server started with
	// ENABLE_TOKENIZER_GSE=true / ENABLE_TOKENIZER_GSE_CH=true). Fixed
	// when the class is created.
	Tokenization string        `yaml:"tokenization"`
	Alpha        float64       `yaml:"alpha"`   // weight of vectors against keywords in the engine's hybrid search, 0..1
	Timeout      time.Duration `yaml:"timeout"` // per request to one node, > 0
	APIKey       string        `yaml:"api_key"` // secret; empty for a cluster open to anonymous access
}

// Bot tunes the conversation, whatever the transport.
type Bot struct {
	HistoryTurns  int           `yaml:"history_turns"`   // turns remembered per chat, 0..50
	IdleTimeout   time.Duration `yaml:"idle_timeout"`    // a chat's memory is forgotten after this idle time, > 0
	MaxInputChars int           `yaml:"max_input_chars"` // longer questions get a polite note, 10..10000
	AnswerTimeout time.Duration `yaml:"answer_timeout"`  // deadline for one answer, > 0; with an LLM, at least llm.budget + BudgetMargin
	// PendingAfter is when "正在查询…" is sent if the answer is not ready;
	// 0 ("0s" in YAML) never sends it. Must be shorter than AnswerTimeout.
	PendingAfter  time.Duration `yaml:"pending_after"`
	UserRate      Rate          `yaml:"user_rate"`
	ReplyMaxChars int           `yaml:"reply_max_chars"` // longer replies are split into parts, 100..10000
	// MaxMessages caps the messages of one answer (0..10, 0 = no cap): the
	// first always holds the lead, validity and 来源; details that do not
	// fit are cut with a pointer to 原文 N.
	MaxMessages int           `yaml:"max_messages"`
	PartPause   time.Duration `yaml:"part_pause"` // pause between parts of one reply, 0..1m
	// SendInterval is the minimum gap between any two sends, across all
	// chats, so the account is not flagged as a bot (0..1m).
	SendInterval time.Duration `yaml:"send_interval"`
	// SendQueue bounds the answers waiting for their send slots (1..10000).
	// A reply is queued whole or not at all; when the queue is full, or
	// its first message could not go out before its deadline, the user is
	// told the bot is busy instead.
	SendQueue int    `yaml:"send_queue"`
	Record    Record `yaml:"record"`
}

// Rate is a token bucket per user: PerMinute refills, Burst is the bucket.
type Rate struct {
	PerMinute int `yaml:"per_minute"` // 1..600
	Burst     int `yaml:"burst"`      // 1..100
}

// Record keeps questions and answers as JSON lines under the data
// directory, for the staff to review.
type Record struct {
	Enabled   bool          `yaml:"enabled"`   // keep every question and answer
	Retention time.Duration `yaml:"retention"` // older records are deleted, > 0
}

// WeChat configures the personal-account transport. WeChat bans
// personal accounts that run bots; the official channels (MP, WeCom, KF)
// do not carry that risk.
type WeChat struct {
	Mode string `yaml:"mode"` // desktop | normal (the login protocol openwechat uses)
	// Storage is the hot-login file; empty means <data_dir>/wechat-login.json
	// (see Config.WeChatStorage).
	Storage string `yaml:"storage"`
	// OnLogout says what to do when WeChat ends the session: exit (the
	// default; a supervisor restarts the process) or relogin (log in
	// again, showing a new QR code if needed).
	OnLogout string `yaml:"on_logout"`
	// KickWindow: a session WeChat ends with retcode 1102 this soon after
	// login means the account is likely restricted; the bot then stops
	// rather than show a new QR code, even with on_logout relogin
	// (1m..24h).
	KickWindow time.Duration `yaml:"kick_window"`
	// GroupPrefix: in groups, texts starting with it are answered, as are
	// @-mentions. Empty (the default) means @-mentions only: a word such
	// as 政策 starts ordinary chatter too.
	GroupPrefix    string   `yaml:"group_prefix"`
	Groups         []string `yaml:"groups"`          // allow-list of group names; empty allows every group
	AcceptFriends  bool     `yaml:"accept_friends"`  // accept friend requests automatically
	FriendGreeting string   `yaml:"friend_greeting"` // sent to a newly accepted friend; empty sends nothing
}

// Web configures the HTTP API and the staff console.
type Web struct {
	Listen string `yaml:"listen"` // host:port
	// Token is the bearer token the API requires. It is a secret, and
	// required, at least MinTokenChars long, when Listen is not a loopback
	// address (see NeedsToken).
	Token         string        `yaml:"token"`
	MaxBodyBytes  int64         `yaml:"max_body_bytes"`  // request body limit, 1 KiB..16 MiB
	RatePerMinute int           `yaml:"rate_per_minute"` // requests per client IP, 1..10000
	Timeout       time.Duration `yaml:"timeout"`         // per request, > 0
	// SecureCookie marks the session cookie Secure on plain HTTP too, for
	// a console behind a TLS-terminating proxy.
	SecureCookie bool `yaml:"secure_cookie"`
	// TrustedProxies are reverse proxies (addresses or CIDR prefixes)
	// whose X-Forwarded-Proto and X-Forwarded-For are believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// AllowedHosts are host names (or host:port) besides localhost,
	// 127.0.0.1 and [::1] by which a console without a token may be
	// opened; other Host headers are refused (DNS rebinding).
	AllowedHosts []string `yaml:"allowed_hosts"`
}

// MinTokenChars is the shortest web.token accepted on a non-loopback
// address.
const MinTokenChars = 16

// MP configures the Official Account (公众号) channel, served by
// `serve --channel mp` at Path. The values come from the account's admin
// console, 设置与开发 → 基本配置. See ValidateChannel for what it needs.
type MP struct {
	Path      string `yaml:"path"`       // callback path on the web server
	AppID     string `yaml:"app_id"`     // the account's AppID
	AppSecret string `yaml:"app_secret"` // secret; needed when Verified
	Token     string `yaml:"token"`      // secret: the server configuration's Token
	// EncodingAESKey is the 43-character key of safe and compatible mode;
	// empty serves plaintext mode only. A secret.
	EncodingAESKey string `yaml:"encoding_aes_key"`
	// Verified says the account may send customer-service messages, so
	// answers slower than PassiveWait are sent that way; otherwise they
	// come with WeChat's retries or the user's next message.
	Verified    bool          `yaml:"verified"`
	PassiveWait time.Duration `yaml:"passive_wait"` // how long a callback waits for the answer, 0.5s..4.5s
	Welcome     string        `yaml:"welcome"`      // reply to a new follower; empty sends none
}

// WeCom configures the WeCom (企业微信) self-built app channel, served by
// `serve --channel wecom` at Path. The values come from the WeCom admin
// console: 我的企业 for CorpID, 应用管理 → the app for the rest.
type WeCom struct {
	Path           string        `yaml:"path"`             // callback path on the web server
	CorpID         string        `yaml:"corp_id"`          // the corporation's CorpID
	AgentID        string        `yaml:"agent_id"`         // the app's AgentId
	Secret         string        `yaml:"secret"`           // secret: the app's Secret
	Token          string        `yaml:"token"`            // secret: 接收消息 Token
	EncodingAESKey string        `yaml:"encoding_aes_key"` // secret: 接收消息 EncodingAESKey, 43 characters
	PassiveWait    time.Duration `yaml:"passive_wait"`     // how long a callback waits for the answer, 0.5s..4.5s
}

// KF configures the WeCom customer-service (微信客服) channel, served by
// `serve --channel kf` at Path. The values come from the 微信客服 admin
// console: 企业信息 for CorpID, 开发配置 for the rest.
type KF struct {
	Path           string `yaml:"path"`             // callback path on the web server
	CorpID         string `yaml:"corp_id"`          // the corporation's CorpID
	Secret         string `yaml:"secret"`           // secret: the 微信客服 Secret
	Token          string `yaml:"token"`            // secret: callback Token
	EncodingAESKey string `yaml:"encoding_aes_key"` // secret: callback EncodingAESKey, 43 characters
	// Backlog: after a start, messages older than this are not answered
	// (the first fetch returns recent history), 1s..48h.
	Backlog time.Duration `yaml:"backlog"`
}

// DefaultConfig returns the settings used for every key the file and the
// environment leave out. They validate as they are: no LLM, the built-in
// corpus and embedder, the web console on loopback.
func DefaultConfig() Config {
	return Config{
		DataDir: "./data",
		Log:     Log{Level: "info", Format: "text"},
		Corpus:  Corpus{Builtin: true, Watch: 5 * time.Second, MaxFileMB: 50, ReadTimeout: time.Minute},
		LLM: LLM{
			Timeout:     20 * time.Second,
			MaxRetries:  3,
			Budget:      25 * time.Second,
			Temperature: 0.2,
			MaxTokens:   800,
			AnswerChars: 500,
			// Restating a question in policy words costs a model call
			// before the search; it lets a colloquial question reach
			// clauses that share none of its words.
			PolicyQueries: 3,
			// Word overlap cannot tell a question the clauses answer from
			// one on what they leave out; the model, reading them, can.
			Decline: true,
		},
		Embedding: Embedding{
			Provider:   "builtin",
			BatchSize:  32,
			Timeout:    30 * time.Second,
			MaxRetries: 3,
		},
		Rerank:    Rerank{Model: "BAAI/bge-reranker-v2-m3", Timeout: 5 * time.Second, TopN: 20},
		Retrieval: Retrieval{TopK: 5, Backend: "chromem"},
		// Tokenization and alpha as measured on the evaluation set (see
		// the README's "Running at scale").
		Weaviate: Weaviate{Class: "PolicyClause", Replication: 2, Tokenization: "trigram", Alpha: 0.75, Timeout: 10 * time.Second},
		Bot: Bot{
			HistoryTurns:  6,
			IdleTimeout:   30 * time.Minute,
			MaxInputChars: 500,
			AnswerTimeout: 30 * time.Second,
			PendingAfter:  4 * time.Second,
			UserRate:      Rate{PerMinute: 10, Burst: 5},
			ReplyMaxChars: 600,
			MaxMessages:   2,
			PartPause:     1200 * time.Millisecond,
			SendInterval:  800 * time.Millisecond,
			SendQueue:     200,
			Record:        Record{Enabled: true, Retention: 720 * time.Hour},
		},
		WeChat: WeChat{
			Mode:           "desktop",
			OnLogout:       "exit",
			KickWindow:     10 * time.Minute,
			FriendGreeting: "您好，我是政策助手，直接发问题给我即可。",
		},
		Web: Web{
			Listen:        "127.0.0.1:8080",
			MaxBodyBytes:  65536,
			RatePerMinute: 60,
			Timeout:       90 * time.Second,
		},
		MP: MP{
			Path:        "/wechat/mp",
			PassiveWait: 4 * time.Second,
			Welcome:     "您好，我是政策助手。直接发送您想了解的政策问题即可，发送“帮助”查看用法。",
		},
		WeCom: WeCom{Path: "/wechat/wecom", PassiveWait: 4 * time.Second},
		KF:    KF{Path: "/wechat/kf", Backlog: 2 * time.Minute},

		Store:    "files",
		Postgres: Postgres{MaxConns: 10, OpTimeout: 2 * time.Second, ConnectTimeout: 5 * time.Second},
	}
}

// SlogLevel is Level as a slog.Level; an unknown name (which Validate
// rejects) gives Info.
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// AddedDocuments is the folder of the documents added while the bot runs
// (policybot corpus add, the console's upload).
func (c Config) AddedDocuments() string { return filepath.Join(c.DataDir, "corpus") }

// WeChatStorage is the hot-login file: wechat.storage, or
// wechat-login.json under DataDir. It is computed on use, not at Load, so
// that a --data-dir given after loading moves it too.
func (c Config) WeChatStorage() string {
	if c.WeChat.Storage != "" {
		return c.WeChat.Storage
	}
	return filepath.Join(c.DataDir, "wechat-login.json")
}
