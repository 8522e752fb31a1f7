package llm

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

const testKey = "sk-test-secret-0123456789"

func testClient(t *testing.T, url string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL: url, APIKey: testKey, Model: "deepseek-chat",
		Timeout: 5 * time.Second, MaxRetries: 2, RetryBase: time.Millisecond,
		Temperature: 0.3, MaxTokens: 800,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

var question = []Message{
	{Role: "system", Content: "你是政策助手。"},
	{Role: "user", Content: "小微企业有什么补贴？"},
}

func TestNew(t *testing.T) {
	ok := Config{BaseURL: "https://api.deepseek.com/v1", Model: "deepseek-chat"}
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr bool
	}{
		{"valid", func(*Config) {}, false},
		{"no api key is fine for ollama", func(c *Config) { c.BaseURL = "http://localhost:11434/v1"; c.APIKey = "" }, false},
		{"missing model", func(c *Config) { c.Model = " " }, true},
		{"missing base url", func(c *Config) { c.BaseURL = "" }, true},
		{"base url without scheme", func(c *Config) { c.BaseURL = "api.deepseek.com/v1" }, true},
		{"base url wrong scheme", func(c *Config) { c.BaseURL = "ftp://api.deepseek.com/v1" }, true},
		{"negative retries", func(c *Config) { c.MaxRetries = -1 }, true},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, true},
		{"negative retry base", func(c *Config) { c.RetryBase = -time.Second }, true},
		{"temperature too high", func(c *Config) { c.Temperature = 2.5 }, true},
		{"negative max tokens", func(c *Config) { c.MaxTokens = -1 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			_, err := New(cfg, nil)
			if got := err != nil; got != tt.wantErr {
				t.Errorf("New error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Config{BaseURL: "http://localhost:8000/v1", Model: "m"}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.retry.timeout != defaultTimeout {
		t.Errorf("timeout: got %v, want %v", c.retry.timeout, defaultTimeout)
	}
	if c.retry.base != defaultRetryBase {
		t.Errorf("retry base: got %v, want %v", c.retry.base, defaultRetryBase)
	}
}

func TestCompleteRequest(t *testing.T) {
	f := newFake(t, chatOK("可申请创业担保贷款。"))
	c := testClient(t, f.URL, nil)
	got, err := c.Complete(t.Context(), question)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if want := "可申请创业担保贷款。"; got != want {
		t.Errorf("answer: got %q, want %q", got, want)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("requests: got %d, want 1", len(reqs))
	}
	r := reqs[0]
	if want := "/v1/chat/completions"; r.path != want {
		t.Errorf("path: got %q, want %q", r.path, want)
	}
	if want := "Bearer " + testKey; r.auth != want {
		t.Errorf("Authorization: got %q, want %q", r.auth, want)
	}
	var body struct {
		Model       string    `json:"model"`
		Messages    []Message `json:"messages"`
		MaxTokens   int       `json:"max_tokens"`
		Temperature float32   `json:"temperature"`
		Stream      bool      `json:"stream"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("decode request body %s: %v", r.body, err)
	}
	if body.Model != "deepseek-chat" {
		t.Errorf("model: got %q, want %q", body.Model, "deepseek-chat")
	}
	if !slices.Equal(body.Messages, question) {
		t.Errorf("messages: got %v, want %v", body.Messages, question)
	}
	if body.MaxTokens != 800 {
		t.Errorf("max_tokens: got %d, want 800", body.MaxTokens)
	}
	if body.Temperature != 0.3 {
		t.Errorf("temperature: got %v, want 0.3", body.Temperature)
	}
	if body.Stream {
		t.Errorf("stream: got true, want false")
	}
}

func TestCompleteInvalidMessages(t *testing.T) {
	tests := []struct {
		name string
		msgs []Message
	}{
		{"none", nil},
		{"unknown role", []Message{{Role: "tool", Content: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, chatOK("x"))
			c := testClient(t, f.URL, nil)
			if _, err := c.Complete(t.Context(), tt.msgs); err == nil {
				t.Errorf("Complete error: got nil, want an error")
			}
			if got := f.calls(); got != 0 {
				t.Errorf("requests: got %d, want 0", got)
			}
		})
	}
}

func TestCompleteOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		replies    []http.HandlerFunc
		retries    int
		wantCalls  int
		wantErr    error // nil: success
		notErr     error
		wantAnswer string
	}{
		{name: "429 then success", replies: seq(apiError(429, "rate limited"), chatOK("好")), retries: 2, wantCalls: 2, wantAnswer: "好"},
		{name: "502 plain text then success", replies: seq(respond(502, "<html>bad gateway</html>"), chatOK("好")), retries: 2, wantCalls: 2, wantAnswer: "好"},
		{name: "500 exhausts retries", replies: seq(apiError(500, "internal")), retries: 2, wantCalls: 3, wantErr: ErrUnavailable},
		{name: "no retries configured", replies: seq(apiError(503, "busy")), retries: 0, wantCalls: 1, wantErr: ErrUnavailable},
		{name: "401 fails at once", replies: seq(apiError(401, "invalid api key")), retries: 2, wantCalls: 1, wantErr: ErrRejected, notErr: ErrUnavailable},
		{name: "400 fails at once", replies: seq(apiError(400, "bad request")), retries: 2, wantCalls: 1, wantErr: ErrRejected, notErr: ErrUnavailable},
		{name: "404 fails at once", replies: seq(respond(404, "not found")), retries: 2, wantCalls: 1, wantErr: ErrRejected, notErr: ErrUnavailable},
		{name: "malformed JSON", replies: seq(respond(200, `{"choices": [`+"\x00")), retries: 2, wantCalls: 1, wantErr: ErrBadResponse},
		{name: "wrong JSON shape", replies: seq(respond(200, `{"choices": "many"}`)), retries: 2, wantCalls: 1, wantErr: ErrBadResponse},
		{name: "empty body", replies: seq(respond(200, "")), retries: 2, wantCalls: 1, wantErr: ErrBadResponse},
		{name: "no choices", replies: seq(respond(200, `{"id":"x","choices":[]}`)), retries: 2, wantCalls: 1, wantErr: ErrBadResponse},
		{name: "empty content", replies: seq(respond(200, chatJSON("  \n", "stop"))), retries: 2, wantCalls: 1, wantErr: ErrBadResponse},
		{name: "cut at max tokens still answers", replies: seq(respond(200, chatJSON("半句", "length"))), retries: 2, wantCalls: 1, wantAnswer: "半句"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.replies...)
			c := testClient(t, f.URL, func(c *Config) { c.MaxRetries = tt.retries })
			got, err := c.Complete(t.Context(), question)
			if n := f.calls(); n != tt.wantCalls {
				t.Errorf("requests: got %d, want %d", n, tt.wantCalls)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Complete: %v", err)
				}
				if got != tt.wantAnswer {
					t.Errorf("answer: got %q, want %q", got, tt.wantAnswer)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error: got %v, want %v", err, tt.wantErr)
			}
			if tt.notErr != nil && errors.Is(err, tt.notErr) {
				t.Errorf("error: got %v, want it not to match %v", err, tt.notErr)
			}
			if !strings.Contains(err.Error(), "model deepseek-chat") {
				t.Errorf("error %q: want it to name the model", err)
			}
		})
	}
}

func TestCompleteAttemptTimeout(t *testing.T) {
	f := newFake(t, hang(t))
	c := testClient(t, f.URL, func(c *Config) { c.Timeout = 20 * time.Millisecond; c.MaxRetries = 1 })
	_, err := c.Complete(t.Context(), question)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("error: got %v, want %v", err, ErrUnavailable)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error: got %v, want it to wrap %v", err, context.DeadlineExceeded)
	}
	if got := f.calls(); got != 2 {
		t.Errorf("requests: got %d, want 2", got)
	}
}

func TestCompleteSlowThenFast(t *testing.T) {
	f := newFake(t, hang(t), chatOK("好"))
	c := testClient(t, f.URL, func(c *Config) { c.Timeout = 20 * time.Millisecond })
	got, err := c.Complete(t.Context(), question)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if got != "好" {
		t.Errorf("answer: got %q, want %q", got, "好")
	}
}

func TestCompleteCallerCancel(t *testing.T) {
	tests := []struct {
		name  string
		reply func(cancel context.CancelFunc) http.HandlerFunc
	}{
		{"cancelled during the attempt", func(cancel context.CancelFunc) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				cancel()
				apiError(500, "internal")(w, r)
			}
		}},
		{"cancelled during the retry wait", func(cancel context.CancelFunc) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				apiError(429, "slow down", "Retry-After", "20")(w, r)
				w.(http.Flusher).Flush()
				cancel()
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			f := newFake(t, tt.reply(cancel))
			c := testClient(t, f.URL, func(c *Config) { c.MaxRetries = 5 })
			_, err := c.Complete(ctx, question)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error: got %v, want %v", err, context.Canceled)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("error: got %v, want it not to match %v", err, ErrUnavailable)
			}
			if got := f.calls(); got != 1 {
				t.Errorf("requests: got %d, want 1", got)
			}
		})
	}
}

func TestCompleteConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/v1"
	srv.Close()
	var logs syncBuffer
	c, err := New(Config{BaseURL: url, Model: "m", MaxRetries: 2, RetryBase: time.Millisecond},
		slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = c.Complete(t.Context(), question)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("error: got %v, want %v", err, ErrUnavailable)
	}
	if got := strings.Count(logs.String(), "retrying"); got != 2 {
		t.Errorf("retry warnings: got %d, want 2\n%s", got, logs.String())
	}
}

func TestRetryWaits(t *testing.T) {
	tests := []struct {
		name      string
		replies   []http.HandlerFunc
		deadline  time.Duration // 0: none
		wantCalls int
		wantErr   error
		check     func(t *testing.T, waits []time.Duration)
	}{
		{
			name:      "Retry-After seconds honoured",
			replies:   seq(apiError(429, "slow down", "Retry-After", "2"), chatOK("好")),
			wantCalls: 2,
			check: func(t *testing.T, waits []time.Duration) {
				if want := []time.Duration{2 * time.Second}; !slices.Equal(waits, want) {
					t.Errorf("waits: got %v, want %v", waits, want)
				}
			},
		},
		{
			name:      "Retry-After capped",
			replies:   seq(apiError(503, "maintenance", "Retry-After", "3600"), chatOK("好")),
			wantCalls: 2,
			check: func(t *testing.T, waits []time.Duration) {
				if want := []time.Duration{maxWait}; !slices.Equal(waits, want) {
					t.Errorf("waits: got %v, want %v", waits, want)
				}
			},
		},
		{
			name:      "backoff without Retry-After stays under its ceiling",
			replies:   seq(apiError(500, "x"), apiError(500, "x"), chatOK("好")),
			wantCalls: 3,
			check: func(t *testing.T, waits []time.Duration) {
				if len(waits) != 2 {
					t.Fatalf("waits: got %v, want 2 of them", waits)
				}
				for i, w := range waits {
					if ceiling := time.Second << i; w < 0 || w > ceiling {
						t.Errorf("wait %d: got %v, want within [0, %v]", i, w, ceiling)
					}
				}
			},
		},
		{
			name:      "Retry-After beyond the caller's deadline gives up at once",
			replies:   seq(apiError(429, "slow down", "Retry-After", "25"), chatOK("好")),
			deadline:  10 * time.Second,
			wantCalls: 1,
			wantErr:   ErrUnavailable,
			check: func(t *testing.T, waits []time.Duration) {
				if len(waits) != 0 {
					t.Errorf("waits: got %v, want none", waits)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.replies...)
			c := testClient(t, f.URL, func(c *Config) { c.RetryBase = time.Second; c.MaxRetries = 3 })
			var s sleeps
			c.retry.sleep = s.sleep
			ctx := t.Context()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, err := c.Complete(ctx, question)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error: got %v, want %v", err, tt.wantErr)
			}
			if got := f.calls(); got != tt.wantCalls {
				t.Errorf("requests: got %d, want %d", got, tt.wantCalls)
			}
			tt.check(t, s.got())
		})
	}
}

func TestLogsNeverHoldKey(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFake(t, apiError(429, "slow down"), apiError(500, "x"), apiError(401, "bad key"))
	c, err := New(Config{BaseURL: f.URL, APIKey: testKey, Model: "m", MaxRetries: 3, RetryBase: time.Millisecond}, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = c.Complete(t.Context(), question)
	if !errors.Is(err, ErrRejected) {
		t.Errorf("error: got %v, want %v", err, ErrRejected)
	}
	out := logs.String()
	if !strings.Contains(out, "status=429") || !strings.Contains(out, "status=500") {
		t.Errorf("logs: want the retried status codes, got\n%s", out)
	}
	if strings.Contains(out, testKey) || strings.Contains(err.Error(), testKey) {
		t.Errorf("the API key leaked into logs or error:\n%s\n%v", out, err)
	}
}

func TestStream(t *testing.T) {
	f := newFake(t, sse(chunk("", ""), chunk("第一", ""), chunk("条", ""), chunk("。", ""), chunk("", "stop"), "[DONE]"))
	c := testClient(t, f.URL, nil)
	var deltas []string
	got, err := c.Stream(t.Context(), question, func(s string) { deltas = append(deltas, s) })
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if want := "第一条。"; got != want {
		t.Errorf("answer: got %q, want %q", got, want)
	}
	if want := []string{"第一", "条", "。"}; !slices.Equal(deltas, want) {
		t.Errorf("deltas: got %q, want %q", deltas, want)
	}
	r := f.requests()[0]
	var body struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("decode request body: %v", err)
	}
	if !body.Stream || body.Model != "deepseek-chat" {
		t.Errorf("request: got stream=%v model=%q, want stream=true model=%q", body.Stream, body.Model, "deepseek-chat")
	}
	if want := "text/event-stream"; r.accept != want {
		t.Errorf("Accept: got %q, want %q", r.accept, want)
	}
}

func TestStreamOutcomes(t *testing.T) {
	ok := sse(chunk("好", ""), chunk("", "stop"), "[DONE]")
	tests := []struct {
		name       string
		replies    func(t *testing.T) []http.HandlerFunc
		wantCalls  int
		wantErr    error
		wantDeltas []string
		wantAnswer string
	}{
		{
			name:      "429 before the stream is retried",
			replies:   func(*testing.T) []http.HandlerFunc { return seq(apiError(429, "slow down"), ok) },
			wantCalls: 2, wantDeltas: []string{"好"}, wantAnswer: "好",
		},
		{
			name:      "cut before any content is retried",
			replies:   func(*testing.T) []http.HandlerFunc { return seq(sse(chunk("", "")), ok) },
			wantCalls: 2, wantDeltas: []string{"好"}, wantAnswer: "好",
		},
		{
			name: "error event before any content is retried",
			replies: func(*testing.T) []http.HandlerFunc {
				return seq(sse(`{"error":{"message":"overloaded","type":"server_error"}}`), ok)
			},
			wantCalls: 2, wantDeltas: []string{"好"}, wantAnswer: "好",
		},
		{
			name:      "silent before any content is retried",
			replies:   func(t *testing.T) []http.HandlerFunc { return seq(hang(t), ok) },
			wantCalls: 2, wantDeltas: []string{"好"}, wantAnswer: "好",
		},
		{
			name:      "cut after content is not retried",
			replies:   func(*testing.T) []http.HandlerFunc { return seq(sse(chunk("半", "")), ok) },
			wantCalls: 1, wantErr: ErrUnavailable, wantDeltas: []string{"半"},
		},
		{
			name:      "silent after content is not retried",
			replies:   func(t *testing.T) []http.HandlerFunc { return seq(then(sse(chunk("半", "")), hang(t)), ok) },
			wantCalls: 1, wantErr: ErrUnavailable, wantDeltas: []string{"半"},
		},
		{
			name:      "401 fails at once",
			replies:   func(*testing.T) []http.HandlerFunc { return seq(apiError(401, "bad key"), ok) },
			wantCalls: 1, wantErr: ErrRejected,
		},
		{
			name:      "malformed chunk",
			replies:   func(*testing.T) []http.HandlerFunc { return seq(sse(`{"choices":[`), ok) },
			wantCalls: 1, wantErr: ErrBadResponse,
		},
		{
			name:      "finished without content",
			replies:   func(*testing.T) []http.HandlerFunc { return seq(sse(chunk("", "stop"), "[DONE]"), ok) },
			wantCalls: 1, wantErr: ErrBadResponse,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.replies(t)...)
			c := testClient(t, f.URL, func(c *Config) { c.Timeout = 50 * time.Millisecond })
			var deltas []string
			got, err := c.Stream(t.Context(), question, func(s string) { deltas = append(deltas, s) })
			if n := f.calls(); n != tt.wantCalls {
				t.Errorf("requests: got %d, want %d", n, tt.wantCalls)
			}
			if !slices.Equal(deltas, tt.wantDeltas) {
				t.Errorf("deltas: got %q, want %q", deltas, tt.wantDeltas)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Stream: %v", err)
				}
				if got != tt.wantAnswer {
					t.Errorf("answer: got %q, want %q", got, tt.wantAnswer)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error: got %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestStreamNilOnDelta(t *testing.T) {
	f := newFake(t, sse(chunk("好", ""), chunk("", "stop"), "[DONE]"))
	c := testClient(t, f.URL, nil)
	got, err := c.Stream(t.Context(), question, nil)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if got != "好" {
		t.Errorf("answer: got %q, want %q", got, "好")
	}
}
