package llm

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestRetryKeepsToDeadline checks, in real time and through the real
// go-openai client, that no wait of the retry loop passes the caller's
// deadline: a Retry-After beyond it gives up at once, whatever the
// operation, and the jittered backoff shrinks so that the retries fit
// (two retries here: each backoff at most half the time left).
func TestRetryKeepsToDeadline(t *testing.T) {
	const deadline = 300 * time.Millisecond
	in := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
	complete := func(ctx context.Context, url string) error {
		_, err := testClient(t, url, func(c *Config) { c.MaxRetries = 2; c.RetryBase = time.Second }).Complete(ctx, question)
		return err
	}
	stream := func(ctx context.Context, url string) error {
		_, err := testClient(t, url, func(c *Config) { c.MaxRetries = 2; c.RetryBase = time.Second }).Stream(ctx, question, nil)
		return err
	}
	embed := func(ctx context.Context, url string) error {
		_, err := testEmbedder(t, url, func(c *EmbedConfig) { c.MaxRetries = 2; c.RetryBase = time.Second }).Embed(ctx, texts(3), nil)
		return err
	}
	tests := []struct {
		name  string
		call  func(ctx context.Context, url string) error
		reply http.HandlerFunc
		calls int
		// within bounds the time to the error; the deadline is 300 ms.
		within time.Duration
	}{
		{"chat: 429 Retry-After 3600", complete, apiError(429, "slow down", "Retry-After", "3600"), 1, 150 * time.Millisecond},
		{"chat: 503 Retry-After in an hour, as a date", complete, apiError(503, "maintenance", "Retry-After", in(time.Hour)), 1, 150 * time.Millisecond},
		{"chat: 429 Retry-After 1 past the deadline", complete, apiError(429, "slow down", "Retry-After", "1"), 1, 150 * time.Millisecond},
		{"chat: 500 every time, backoff base 1s", complete, apiError(500, "x"), 3, deadline},
		{"stream: 429 Retry-After 3600", stream, apiError(429, "slow down", "Retry-After", "3600"), 1, 150 * time.Millisecond},
		{"embeddings: 429 Retry-After 3600", embed, apiError(429, "slow down", "Retry-After", "3600"), 1, 150 * time.Millisecond},
		{"embeddings: 500 every time, backoff base 1s", embed, apiError(500, "x"), 3, deadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.reply)
			ctx, cancel := context.WithTimeout(t.Context(), deadline)
			defer cancel()
			start := time.Now()
			err := tt.call(ctx, f.URL)
			took := time.Since(start)
			t.Logf("gave up after %v and %d requests", took.Round(time.Millisecond), f.calls())
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("error: got %v, want %v", err, ErrUnavailable)
			}
			if took >= tt.within {
				t.Errorf("gave up after %v, want within %v (deadline %v)", took, tt.within, deadline)
			}
			if got := f.calls(); got != tt.calls {
				t.Errorf("requests: got %d, want %d", got, tt.calls)
			}
		})
	}
}

// TestBackoffShrinksToDeadline checks the waits the retry loop asks for
// under a deadline: its own backoff at most half the time left, and a
// Retry-After that fits kept as the server asked.
func TestBackoffShrinksToDeadline(t *testing.T) {
	tests := []struct {
		name     string
		replies  []http.HandlerFunc
		deadline time.Duration
		// most bounds each wait.
		most  time.Duration
		waits int
	}{
		{"backoff base 1m under a 2s deadline", []http.HandlerFunc{apiError(500, "x"), apiError(500, "x"), chatOK("好")}, 2 * time.Second, time.Second, 2},
		{"Retry-After that fits", []http.HandlerFunc{apiError(429, "slow down", "Retry-After", "2"), chatOK("好")}, time.Minute, 2 * time.Second, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.replies...)
			c := testClient(t, f.URL, func(c *Config) { c.RetryBase = time.Minute; c.MaxRetries = 3 })
			var s sleeps
			c.retry.sleep = s.sleep
			ctx, cancel := context.WithTimeout(t.Context(), tt.deadline)
			defer cancel()
			if _, err := c.Complete(ctx, question); err != nil {
				t.Fatalf("Complete: %v", err)
			}
			waits := s.got()
			if len(waits) != tt.waits {
				t.Fatalf("waits: got %v, want %d of them", waits, tt.waits)
			}
			for _, w := range waits {
				if w < 0 || w > tt.most {
					t.Errorf("wait %v, want within [0, %v]", w, tt.most)
				}
			}
		})
	}
}
