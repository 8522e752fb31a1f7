package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const examplePath = "../config.example.yaml"

// env is a fake environment for getenv.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// writeConfig writes a config file into a fresh temporary directory.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policybot.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaultConfigValidates(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	if err := c.ValidateServe(); err != nil {
		t.Fatalf("ValidateServe() = %v, want nil", err)
	}
	if c.LLM.Enabled() {
		t.Errorf("LLM.Enabled() = true, want false by default")
	}
}

func TestLoadNoFileIsDefaults(t *testing.T) {
	got, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// The example documents the defaults, so loading it must change nothing.
func TestExampleLoadsAsDefaults(t *testing.T) {
	got, err := Load(examplePath, env{}.get)
	if err != nil {
		t.Fatalf("Load(example) = %v", err)
	}
	// Compared as YAML: the example's "dirs: []" is an empty slice where
	// the default is nil, which means the same.
	if got, want := got.String(), DefaultConfig().String(); got != want {
		t.Errorf("example differs from defaults:\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// Every key of Config must appear in the example, with a comment, so the
// documentation cannot drift from the struct. (The reverse, a key in the
// example that Config lacks, already fails Load.)
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{} // dotted key → has a comment
	var walk func(m *yaml.Node, prefix string)
	walk = func(m *yaml.Node, prefix string) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			documented[path] = k.HeadComment != "" || k.LineComment != "" || v.LineComment != ""
			if v.Kind == yaml.MappingNode {
				walk(v, path)
			}
		}
	}
	walk(doc.Content[0], "")

	var keys []string
	err = leaves(reflect.ValueOf(&Config{}).Elem(), "", func(path string, _ reflect.Value) error {
		keys = append(keys, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 40 {
		t.Fatalf("found %d keys in Config, want at least 40: the walk is broken", len(keys))
	}
	for _, key := range keys {
		t.Run(key, func(t *testing.T) {
			commented, ok := documented[key]
			if !ok {
				t.Fatalf("key %s is missing from %s", key, examplePath)
			}
			if !commented {
				t.Errorf("key %s has no comment in %s", key, examplePath)
			}
		})
	}
}

// Each provider preset, uncommented, must load as a working LLM setup.
func TestExamplePresetsLoad(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	_, presets, ok := strings.Cut(string(data), "# Provider presets.")
	if !ok {
		t.Fatal("the example has no provider presets section")
	}
	blocks := strings.Split(presets, "\n#\n")[1:] // [0] is the introduction
	if got, want := len(blocks), 7; got != want {
		t.Fatalf("got %d presets, want %d", got, want)
	}
	providerKeys := func(name string) string {
		if strings.HasSuffix(name, "_API_KEY") && !strings.HasPrefix(name, "OPENAI") && !strings.HasPrefix(name, "POLICYBOT") {
			return "sk-test"
		}
		return ""
	}
	for _, block := range blocks {
		title, _, _ := strings.Cut(strings.TrimPrefix(block, "# "), "\n")
		t.Run(title, func(t *testing.T) {
			var yml strings.Builder
			for line := range strings.Lines(block) {
				if strings.HasPrefix(line, "# llm:") || strings.HasPrefix(line, "# embedding:") || strings.HasPrefix(line, "#   ") {
					yml.WriteString(strings.TrimPrefix(line, "# "))
				}
			}
			c, err := Load(writeConfig(t, yml.String()), providerKeys)
			if err != nil {
				t.Fatalf("Load(preset) = %v\n%s", err, yml.String())
			}
			if !c.LLM.Enabled() {
				t.Errorf("LLM.Enabled() = false, want true")
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(Config) (got, want any)
	}{
		{
			name:  "empty file keeps defaults",
			body:  "",
			check: func(c Config) (any, any) { return c.String(), DefaultConfig().String() },
		},
		{
			name:  "comments only keeps defaults",
			body:  "# nothing here\n",
			check: func(c Config) (any, any) { return c.String(), DefaultConfig().String() },
		},
		{
			name:  "partial section keeps sibling defaults",
			body:  "llm:\n  base_url: http://localhost:11434/v1\n  model: qwen2.5:7b\n",
			check: func(c Config) (any, any) { return c.LLM.Timeout, 20 * time.Second },
		},
		{
			name: "durations are strings",
			body: "bot:\n  part_pause: 1.5s\n  idle_timeout: 2h\n",
			check: func(c Config) (any, any) {
				return c.Bot.PartPause + c.Bot.IdleTimeout, 2*time.Hour + 1500*time.Millisecond
			},
		},
		{
			name:  "zero duration needs a unit too",
			body:  "bot:\n  pending_after: 0s\n",
			check: func(c Config) (any, any) { return c.Bot.PendingAfter, time.Duration(0) },
		},
		{
			name:  "flow mapping",
			body:  "bot: {user_rate: {per_minute: 10, burst: 5}}\n",
			check: func(c Config) (any, any) { return c.Bot.UserRate, Rate{PerMinute: 10, Burst: 5} },
		},
		{
			name:  "explicit empty string clears a default",
			body:  "wechat:\n  friend_greeting: \"\"\n",
			check: func(c Config) (any, any) { return c.WeChat.FriendGreeting, "" },
		},
		{
			name:  "null keeps a default",
			body:  "wechat:\n  friend_greeting:\n",
			check: func(c Config) (any, any) { return c.WeChat.FriendGreeting, DefaultConfig().WeChat.FriendGreeting },
		},
		{
			name:  "lists",
			body:  "corpus:\n  builtin: false\n  dirs: [./a, ./b]\n",
			check: func(c Config) (any, any) { return strings.Join(c.Corpus.Dirs, ","), "./a,./b" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeConfig(t, tt.body), nil)
			if err != nil {
				t.Fatalf("Load = %v", err)
			}
			if got, want := tt.check(c); !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // substrings of the error
	}{
		{"unknown top-level key", "data_dir: ./d\nlogg:\n  level: info\n", []string{"line 2", "logg"}},
		{"unknown nested key", "llm:\n  timeout: 5s\n  modle: x\n", []string{"line 3", "modle"}},
		{"misspelled deep key", "bot:\n  record:\n    retension: 1h\n", []string{"line 3", "retension"}},
		{"duration without unit", "llm:\n  timeout: 60\n", []string{"line 2", "time.Duration"}},
		{"bad duration", "llm:\n  timeout: soon\n", []string{"line 2", "soon"}},
		{"wrong type", "retrieval:\n  top_k: many\n", []string{"line 2", "many"}},
		{"syntax error", "llm: [\n", []string{"yaml"}},
		{"duplicate key", "data_dir: a\ndata_dir: b\n", []string{"data_dir", "already defined"}},
		{"second document", "data_dir: a\n---\ndata_dir: b\n", []string{"line 2", "second YAML document"}},
		{"top level is a list", "- a\n", []string{"line 1"}},
		{"bad variable", "llm:\n  api_key: \"${1X}\"\n", []string{"llm.api_key", "1X"}},
		{"unterminated variable", "wechat:\n  groups: [\"a\", \"${X\"]\n", []string{"wechat.groups[1]", "closing"}},
		{"validation after decode", "retrieval:\n  top_k: 0\n", []string{"config: retrieval.top_k:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.body)
			_, err := Load(path, nil)
			if err == nil {
				t.Fatalf("Load = nil error, want one containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("got %q, want prefix %q", err, "config: ")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("got %q, want one line", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(path, nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("got %q, want it to name %s", err, path)
	}
}

func TestExpand(t *testing.T) {
	e := env{"HOST": "example.com", "EMPTY": "", "KEY": "sk-1", "NESTED": "${HOST}"}
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "", want: ""},
		{in: "plain $HOME text", want: "plain $HOME text"},
		{in: "${HOST}", want: "example.com"},
		{in: "https://${HOST}/v1", want: "https://example.com/v1"},
		{in: "${HOST}${KEY}", want: "example.comsk-1"},
		{in: "${UNSET}", want: ""},
		{in: "${UNSET:-fallback}", want: "fallback"},
		{in: "${EMPTY:-fallback}", want: "fallback"},
		{in: "${HOST:-fallback}", want: "example.com"},
		{in: "${UNSET:-}", want: ""},
		{in: "${UNSET:-a:-b}", want: "a:-b"},
		{in: "${NESTED}", want: "${HOST}"},
		{in: "$${HOST}", want: "${HOST}"},
		{in: "cost $5 {x}", want: "cost $5 {x}"},
		{in: "政策${HOST}", want: "政策example.com"},
		{in: "${HOST", wantErr: true},
		{in: "${}", wantErr: true},
		{in: "${1A}", wantErr: true},
		{in: "${A-B}", wantErr: true},
		{in: "${ HOST }", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := expand(tt.in, e.get)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadExpandsStrings(t *testing.T) {
	body := `
data_dir: "${STATE:-/var/lib/policybot}"
llm:
  base_url: "https://${LLM_HOST}/v1"
  api_key: "${DEEPSEEK_API_KEY}"
  model: deepseek-chat
wechat:
  groups: ["${GROUP}", "literal $${GROUP}"]
`
	e := env{"LLM_HOST": "api.deepseek.com", "DEEPSEEK_API_KEY": "sk-x", "GROUP": "企业群"}
	c, err := Load(writeConfig(t, body), e.get)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, got, want string }{
		{"data_dir default", c.DataDir, "/var/lib/policybot"},
		{"llm.base_url", c.LLM.BaseURL, "https://api.deepseek.com/v1"},
		{"llm.api_key", c.LLM.APIKey, "sk-x"},
		{"wechat.groups[0]", c.WeChat.Groups[0], "企业群"},
		{"wechat.groups[1]", c.WeChat.Groups[1], "literal ${GROUP}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	file := `
data_dir: ./from-file
llm:
  base_url: https://file.example/v1
  api_key: file-key
  model: file-model
embedding:
  api_key: file-embed-key
web:
  token: file-token
`
	tests := []struct {
		name string
		env  env
		get  func(Config) string
		want string
	}{
		{"file wins without env", env{}, func(c Config) string { return c.LLM.Model }, "file-model"},
		{"OPENAI_API_KEY", env{"OPENAI_API_KEY": "env-key"}, func(c Config) string { return c.LLM.APIKey }, "env-key"},
		{"OPENAI_BASE_URL", env{"OPENAI_BASE_URL": "https://env.example/v1"}, func(c Config) string { return c.LLM.BaseURL }, "https://env.example/v1"},
		{"POLICYBOT_LLM_MODEL", env{"POLICYBOT_LLM_MODEL": "env-model"}, func(c Config) string { return c.LLM.Model }, "env-model"},
		{"POLICYBOT_DATA_DIR", env{"POLICYBOT_DATA_DIR": "/srv/pb"}, func(c Config) string { return c.DataDir }, "/srv/pb"},
		{"POLICYBOT_TOKEN", env{"POLICYBOT_TOKEN": "env-token"}, func(c Config) string { return c.Web.Token }, "env-token"},
		{"POLICYBOT_EMBEDDING_API_KEY", env{"POLICYBOT_EMBEDDING_API_KEY": "env-embed"}, func(c Config) string { return c.Embedding.APIKey }, "env-embed"},
		{"empty env does not clear", env{"OPENAI_API_KEY": ""}, func(c Config) string { return c.LLM.APIKey }, "file-key"},
		{"surrounding space trimmed", env{"OPENAI_API_KEY": " env-key\n"}, func(c Config) string { return c.LLM.APIKey }, "env-key"},
	}
	path := writeConfig(t, file)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(path, tt.env.get)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(c); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLLMEnvOnly(t *testing.T) {
	tests := []struct {
		name        string
		env         env
		wantErr     string // substring; empty means success
		wantBaseURL string
		wantEnabled bool
	}{
		{name: "nothing", env: env{}},
		{name: "key without model", env: env{"OPENAI_API_KEY": "sk"}, wantErr: "config: llm.model:"},
		{name: "base url without model", env: env{"OPENAI_BASE_URL": "http://localhost:11434/v1"}, wantErr: "config: llm.model:"},
		{name: "model alone", env: env{"POLICYBOT_LLM_MODEL": "gpt-4o-mini"}, wantErr: "config: llm.base_url:"},
		{
			name:        "key and model mean OpenAI",
			env:         env{"OPENAI_API_KEY": "sk", "POLICYBOT_LLM_MODEL": "gpt-4o-mini"},
			wantBaseURL: OpenAIBaseURL, wantEnabled: true,
		},
		{
			name:        "local server without key",
			env:         env{"OPENAI_BASE_URL": "http://localhost:11434/v1", "POLICYBOT_LLM_MODEL": "qwen2.5:7b"},
			wantBaseURL: "http://localhost:11434/v1", wantEnabled: true,
		},
		{name: "base url not http", env: env{"OPENAI_BASE_URL": "localhost:11434", "POLICYBOT_LLM_MODEL": "m"}, wantErr: "config: llm.base_url:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("", tt.env.get)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want error starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.LLM.BaseURL != tt.wantBaseURL {
				t.Errorf("base_url: got %q, want %q", c.LLM.BaseURL, tt.wantBaseURL)
			}
			if got := c.LLM.Enabled(); got != tt.wantEnabled {
				t.Errorf("Enabled(): got %v, want %v", got, tt.wantEnabled)
			}
		})
	}
}

func TestLLMEnabled(t *testing.T) {
	tests := []struct {
		llm  LLM
		want bool
	}{
		{LLM{}, false},
		{LLM{Model: "m"}, false},
		{LLM{BaseURL: "http://x/v1"}, false},
		{LLM{APIKey: "k"}, false},
		{LLM{BaseURL: "http://x/v1", Model: "m"}, true},
		{LLM{APIKey: "k", Model: "m"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.llm.BaseURL+"|"+tt.llm.APIKey+"|"+tt.llm.Model, func(t *testing.T) {
			if got := tt.llm.Enabled(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEmbeddingSharesLLMEndpoint(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		env         env
		wantBaseURL string
		wantKey     string
	}{
		{
			name:        "openai without base_url shares endpoint and key",
			body:        "llm: {base_url: https://llm.example/v1, api_key: llm-key, model: m}\nembedding: {provider: openai, model: e}\n",
			wantBaseURL: "https://llm.example/v1", wantKey: "llm-key",
		},
		{
			name:        "own key kept",
			body:        "llm: {base_url: https://llm.example/v1, api_key: llm-key, model: m}\nembedding: {provider: openai, model: e}\n",
			env:         env{"POLICYBOT_EMBEDDING_API_KEY": "embed-key"},
			wantBaseURL: "https://llm.example/v1", wantKey: "embed-key",
		},
		{
			name:        "own endpoint never gets the llm key",
			body:        "llm: {base_url: https://llm.example/v1, api_key: llm-key, model: m}\nembedding: {provider: openai, base_url: https://other.example/v1, model: e}\n",
			wantBaseURL: "https://other.example/v1", wantKey: "",
		},
		{
			name:        "ollama keeps its own default",
			body:        "llm: {base_url: https://llm.example/v1, api_key: llm-key, model: m}\nembedding: {provider: ollama, model: bge-m3}\n",
			wantBaseURL: "", wantKey: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeConfig(t, tt.body), tt.env.get)
			if err != nil {
				t.Fatal(err)
			}
			if c.Embedding.BaseURL != tt.wantBaseURL {
				t.Errorf("base_url: got %q, want %q", c.Embedding.BaseURL, tt.wantBaseURL)
			}
			if c.Embedding.APIKey != tt.wantKey {
				t.Errorf("api_key: got %q, want %q", c.Embedding.APIKey, tt.wantKey)
			}
		})
	}
}

func TestValidateNamesField(t *testing.T) {
	tests := []struct {
		field  string
		mutate func(*Config)
		want   string // the message after "config: <field>: "; empty checks only the field
	}{
		{"data_dir", func(c *Config) { c.DataDir = " " }, "must not be empty"},
		{"log.level", func(c *Config) { c.Log.Level = "verbose" }, `must be one of debug, info, warn, error; got "verbose"`},
		{"log.format", func(c *Config) { c.Log.Format = "xml" }, ""},
		{"corpus.dirs", func(c *Config) { c.Corpus.Builtin = false }, ""},
		{"corpus.dirs[1]", func(c *Config) { c.Corpus.Dirs = []string{"a", ""} }, "must not be empty"},
		{"llm.base_url", func(c *Config) { c.LLM.BaseURL = "ftp://x"; c.LLM.Model = "m" }, ""},
		{"llm.model", func(c *Config) { c.LLM.BaseURL = "http://x/v1" }, ""},
		{"llm.base_url", func(c *Config) { c.LLM.Model = "m" }, ""},
		{"llm.timeout", func(c *Config) { c.LLM.Timeout = -time.Second }, `must be positive, got "-1s"`},
		{"llm.timeout", func(c *Config) { c.LLM.Timeout = 0 }, `must be positive, got "0s"`},
		{"llm.max_retries", func(c *Config) { c.LLM.MaxRetries = -1 }, "must be between 0 and 10, got -1"},
		{"llm.temperature", func(c *Config) { c.LLM.Temperature = 2.5 }, ""},
		{"llm.max_tokens", func(c *Config) { c.LLM.MaxTokens = 0 }, ""},
		{"llm.answer_chars", func(c *Config) { c.LLM.AnswerChars = 99 }, "must be between 100 and 10000, got 99"},
		{"embedding.provider", func(c *Config) { c.Embedding.Provider = "cohere" }, ""},
		{"embedding.base_url", func(c *Config) { c.Embedding.Provider = "openai"; c.Embedding.Model = "e" }, ""},
		{"embedding.base_url", func(c *Config) { c.Embedding.BaseURL = "not a url" }, ""},
		{"embedding.model", func(c *Config) { c.Embedding.Provider = "ollama" }, "must be set when embedding.provider is ollama"},
		{"embedding.dimensions", func(c *Config) { c.Embedding.Dimensions = -1 }, ""},
		{"embedding.batch_size", func(c *Config) { c.Embedding.BatchSize = 0 }, ""},
		{"embedding.timeout", func(c *Config) { c.Embedding.Timeout = 0 }, ""},
		{"embedding.max_retries", func(c *Config) { c.Embedding.MaxRetries = 11 }, ""},
		{"retrieval.top_k", func(c *Config) { c.Retrieval.TopK = 21 }, "must be between 1 and 20, got 21"},
		{"bot.history_turns", func(c *Config) { c.Bot.HistoryTurns = -1 }, ""},
		{"bot.idle_timeout", func(c *Config) { c.Bot.IdleTimeout = 0 }, ""},
		{"bot.max_input_chars", func(c *Config) { c.Bot.MaxInputChars = 0 }, ""},
		{"bot.answer_timeout", func(c *Config) { c.Bot.AnswerTimeout = -time.Minute }, ""},
		{"bot.pending_after", func(c *Config) { c.Bot.PendingAfter = -time.Second }, ""},
		{"bot.pending_after", func(c *Config) { c.Bot.PendingAfter = c.Bot.AnswerTimeout }, ""},
		{"bot.user_rate.per_minute", func(c *Config) { c.Bot.UserRate.PerMinute = 0 }, ""},
		{"bot.user_rate.burst", func(c *Config) { c.Bot.UserRate.Burst = 0 }, ""},
		{"bot.reply_max_chars", func(c *Config) { c.Bot.ReplyMaxChars = 50 }, ""},
		{"bot.part_pause", func(c *Config) { c.Bot.PartPause = -time.Millisecond }, ""},
		{"bot.send_interval", func(c *Config) { c.Bot.SendInterval = 2 * time.Minute }, ""},
		{"bot.record.retention", func(c *Config) { c.Bot.Record.Retention = 0 }, ""},
		{"wechat.mode", func(c *Config) { c.WeChat.Mode = "web" }, ""},
		{"wechat.on_logout", func(c *Config) { c.WeChat.OnLogout = "retry" }, ""},
		{"wechat.groups[0]", func(c *Config) { c.WeChat.Groups = []string{""} }, ""},
		{"web.listen", func(c *Config) { c.Web.Listen = "8080" }, ""},
		{"web.listen", func(c *Config) { c.Web.Listen = "127.0.0.1:http" }, ""},
		{"web.listen", func(c *Config) { c.Web.Listen = "127.0.0.1:70000" }, ""},
		{"web.max_body_bytes", func(c *Config) { c.Web.MaxBodyBytes = 10 }, ""},
		{"web.rate_per_minute", func(c *Config) { c.Web.RatePerMinute = 0 }, ""},
		{"web.timeout", func(c *Config) { c.Web.Timeout = 0 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %s", tt.field)
			}
			prefix := "config: " + tt.field + ": "
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Fatalf("got %q, want prefix %q", err, prefix)
			}
			if tt.want != "" {
				if got := strings.TrimPrefix(err.Error(), prefix); got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			}
		})
	}
}

// The URL may hold credentials, so a bad one is not echoed back.
func TestValidateDoesNotEchoURL(t *testing.T) {
	c := DefaultConfig()
	c.LLM.BaseURL = "ftp://user:s3cret@host"
	c.LLM.Model = "m"
	err := c.Validate()
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("got %v, want an error without the URL", err)
	}
}

func TestNeedsToken(t *testing.T) {
	tests := []struct {
		listen string
		want   bool
	}{
		{"127.0.0.1:8080", false},
		{"127.1.2.3:8080", false},
		{"localhost:8080", false},
		{"LOCALHOST:8080", false},
		{"[::1]:8080", false},
		{"0.0.0.0:8080", true},
		{":8080", true},
		{"[::]:8080", true},
		{"192.168.1.10:8080", true},
		{"policybot.example.com:443", true},
		{"garbage", true},
	}
	for _, tt := range tests {
		t.Run(tt.listen, func(t *testing.T) {
			if got := (Web{Listen: tt.listen}).NeedsToken(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateServe(t *testing.T) {
	tests := []struct {
		name, listen, token string
		wantErr             bool
	}{
		{"loopback without token", "127.0.0.1:8080", "", false},
		{"public without token", "0.0.0.0:8080", "", true},
		{"public with token", "0.0.0.0:8080", "t0ken-0123456789", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Web.Listen, c.Web.Token = tt.listen, tt.token
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate() = %v, want nil: the token rule belongs to ValidateServe", err)
			}
			err := c.ValidateServe()
			if (err != nil) != tt.wantErr {
				t.Fatalf("got %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "config: web.token: ") {
				t.Errorf("got %q, want it to name web.token", err)
			}
		})
	}
	c := DefaultConfig()
	c.Retrieval.TopK = 0
	if err := c.ValidateServe(); err == nil {
		t.Errorf("ValidateServe() = nil for an invalid config, want Validate's error")
	}
}

// secretConfig returns a config holding secrets, and the secrets.
func secretConfig() (Config, []string) {
	c := DefaultConfig()
	c.LLM.BaseURL = "https://gateway:gw-pass@llm.example/v1"
	c.LLM.APIKey = "sk-llm-secret"
	c.LLM.Model = "m"
	c.Embedding.APIKey = "sk-embed-secret"
	c.Embedding.BaseURL = "https://embed-user@embed.example/v1"
	c.Web.Token = "web-token-secret"
	return c, []string{"gw-pass", "gateway", "sk-llm-secret", "sk-embed-secret", "embed-user", "web-token-secret"}
}

func TestRedacted(t *testing.T) {
	c, _ := secretConfig()
	r := c.Redacted()
	tests := []struct{ name, got, want string }{
		{"llm.api_key", r.LLM.APIKey, redactedMark},
		{"llm.base_url", r.LLM.BaseURL, "https://" + redactedMark + "@llm.example/v1"},
		{"embedding.api_key", r.Embedding.APIKey, redactedMark},
		{"embedding.base_url", r.Embedding.BaseURL, "https://" + redactedMark + "@embed.example/v1"},
		{"web.token", r.Web.Token, redactedMark},
		{"model kept", r.LLM.Model, "m"},
		{"original untouched", c.LLM.APIKey, "sk-llm-secret"},
		{"unset secret stays empty", DefaultConfig().Redacted().LLM.APIKey, ""},
		{"plain URL kept", redactURL("https://api.deepseek.com/v1"), "https://api.deepseek.com/v1"},
		{"unparsable URL with @ hidden", redactURL("http://u:p@ss%zz@host"), redactedMark},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// Whatever way a Config is printed or logged, no secret appears.
func TestPrintingHidesSecrets(t *testing.T) {
	c, secrets := secretConfig()
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("loaded", "config", c)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("loaded", "config", c)
	outputs := map[string]string{
		"String":    c.String(),
		"%v":        fmt.Sprintf("%v", c),
		"%+v":       fmt.Sprintf("%+v", c),
		"slog text": text.String(),
		"slog json": js.String(),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("output contains secret %q:\n%s", s, out)
				}
			}
			if !strings.Contains(out, redactedMark) {
				t.Errorf("output lacks %s:\n%s", redactedMark, out)
			}
		})
	}
	if !strings.Contains(text.String(), "config.llm.model=m") {
		t.Errorf("slog text output: got %q, want a config.llm.model=m attribute", text.String())
	}
}

// String is YAML the loader reads back to the same redacted settings.
func TestStringRoundTrips(t *testing.T) {
	c := DefaultConfig()
	c.WeChat.Groups = []string{"企业服务群"}
	back, err := Load(writeConfig(t, c.String()), nil)
	if err != nil {
		t.Fatalf("Load(String()) = %v", err)
	}
	if got, want := back.String(), c.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestWeChatStorage(t *testing.T) {
	tests := []struct {
		name, dataDir, storage, want string
	}{
		{"default under data_dir", "/srv/pb", "", filepath.Join("/srv/pb", "wechat-login.json")},
		{"explicit", "/srv/pb", "/tmp/login.json", "/tmp/login.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.DataDir, c.WeChat.Storage = tt.dataDir, tt.storage
			if got := c.WeChatStorage(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSlogLevel(t *testing.T) {
	tests := []struct {
		level string
		want  slog.Level
	}{
		{"debug", slog.LevelDebug},
		{"info", slog.LevelInfo},
		{"warn", slog.LevelWarn},
		{"error", slog.LevelError},
		{"bogus", slog.LevelInfo},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			if got := (Log{Level: tt.level}).SlogLevel(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	if data, err := os.ReadFile(examplePath); err == nil {
		f.Add(data)
	}
	for _, seed := range []string{
		"",
		"llm: {base_url: http://x/v1, model: m}\n",
		"llm:\n  api_key: \"${K:-x}\"\n  model: m\n",
		"bot: {part_pause: 1s, user_rate: {per_minute: 1, burst: 1}}\n",
		"a: &a [*a]\n",
		"---\n---\n",
		"corpus: {builtin: false, dirs: [\"${D}\"]}\n",
		"web: {listen: \"[::1]:0\"}\n",
		"llm: {temperature: .nan}\n",
	} {
		f.Add([]byte(seed))
	}
	// One file per fuzz process, rewritten each time: a directory per input
	// would make the fuzzer measure the file system.
	path := filepath.Join(f.TempDir(), "c.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path, env{"K": "secret-value", "D": "dir"}.get)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Load succeeded but Validate() = %v", err)
		}
		_ = c.String()
		if c.LLM.APIKey == "secret-value" && strings.Contains(c.String(), "secret-value") {
			t.Errorf("String() leaks the API key")
		}
	})
}
