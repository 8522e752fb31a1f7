package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"  ", 0, false},
		{"0", 0, true},
		{"3", 3 * time.Second, true},
		{" 7 ", 7 * time.Second, true},
		{"30", 30 * time.Second, true},
		{"31", maxWait, true},
		{"99999999999999999999", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{now.Add(time.Hour).Format(http.TimeFormat), maxWait, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.in, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, s := range []string{"", "0", "120", "-5", "Fri, 27 Nov 2026 10:00:05 GMT", "Monday, 02-Jan-06 15:04:05 MST", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseRetryAfter(s, now)
		if got < 0 || got > maxWait {
			t.Errorf("parseRetryAfter(%q) = %v, want within [0, %v]", s, got, maxWait)
		}
		if !ok && got != 0 {
			t.Errorf("parseRetryAfter(%q) = %v, false; want 0 when not ok", s, got)
		}
	})
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"429", &openai.APIError{HTTPStatusCode: 429}, ErrUnavailable},
		{"500", &openai.APIError{HTTPStatusCode: 500}, ErrUnavailable},
		{"503 non-JSON body", &openai.RequestError{HTTPStatusCode: 503}, ErrUnavailable},
		{"401", &openai.APIError{HTTPStatusCode: 401}, ErrRejected},
		{"403", &openai.APIError{HTTPStatusCode: 403}, ErrRejected},
		{"404 non-JSON body", &openai.RequestError{HTTPStatusCode: 404}, ErrRejected},
		{"error event in a stream", fmt.Errorf("error, %w", &openai.APIError{Message: "overloaded"}), ErrUnavailable},
		{"request error wrapping status-less api error", &openai.RequestError{HTTPStatusCode: 400, Err: &openai.APIError{}}, ErrRejected},
		{"connection refused", &url.Error{Op: "Post", URL: "http://x", Err: errors.New("connect: connection refused")}, ErrUnavailable},
		{"server hung up", &url.Error{Op: "Post", URL: "http://x", Err: io.EOF}, ErrUnavailable},
		{"truncated body", io.ErrUnexpectedEOF, ErrUnavailable},
		{"attempt timeout", fmt.Errorf("%w: %w", errAttemptTimeout, context.DeadlineExceeded), ErrUnavailable},
		{"truncated stream", errTruncated, ErrUnavailable},
		{"empty 2xx body", io.EOF, ErrBadResponse},
		{"our own bad response", fmt.Errorf("%w: no choices", ErrBadResponse), ErrBadResponse},
		{"go-openai validation", openai.ErrReasoningModelMaxTokensDeprecated, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	tests := []struct {
		base    time.Duration
		attempt int
		ceiling time.Duration
	}{
		{time.Millisecond, 1, time.Millisecond},
		{time.Millisecond, 4, 8 * time.Millisecond},
		{time.Second, 6, maxWait},
		{time.Second, 200, maxWait},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%d", tt.base, tt.attempt), func(t *testing.T) {
			p := newPolicy(time.Second, 3, tt.base, nil)
			for range 200 {
				if got := p.backoff(tt.attempt); got < 0 || got > tt.ceiling {
					t.Fatalf("backoff = %v, want within [0, %v]", got, tt.ceiling)
				}
			}
		})
	}
}
