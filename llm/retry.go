package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Callers branch on these with errors.Is; the wrapped cause says the rest.
var (
	// ErrUnavailable means the endpoint could not answer now: 429, 5xx,
	// transport failures or attempt timeouts that outlasted the retries.
	// Waiting or falling back to an offline answer is the right reaction.
	ErrUnavailable = errors.New("endpoint unavailable")
	// ErrRejected means the endpoint refused the request with a 4xx other
	// than 429 (bad key, unknown model, malformed request). Retrying cannot
	// help; the configuration has to change.
	ErrRejected = errors.New("request rejected")
	// ErrBadResponse means the endpoint answered 2xx with something
	// unusable: malformed JSON, no choices, empty content, wrong vector
	// count or dimensions.
	ErrBadResponse = errors.New("bad response")
)

const (
	// maxWait caps both backoff and Retry-After so a misbehaving server
	// cannot park a conversation for minutes.
	maxWait = 30 * time.Second
	// defaultRetryBase is short enough for chat latency, long enough to let
	// a 429 window pass.
	defaultRetryBase = 500 * time.Millisecond
)

// errTruncated marks a stream that ended without a finish reason, i.e. the
// connection broke; it is retried like a transport error.
var errTruncated = errors.New("stream ended without a finish reason")

// errAttemptTimeout marks an attempt cut by our per-attempt timeout while the
// caller's context was still alive.
var errAttemptTimeout = errors.New("attempt timed out")

// hint carries what the HTTP layer saw about one attempt back to the retry
// loop; go-openai's error types drop the response headers.
type hint struct {
	retryAfter string
}

type hintKey struct{}

// doer records Retry-After from failed responses into the attempt's hint.
type doer struct {
	hc *http.Client
}

// Do implements openai.HTTPDoer.
func (d doer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.hc.Do(req)
	if err == nil && resp.StatusCode >= http.StatusBadRequest {
		if h, ok := req.Context().Value(hintKey{}).(*hint); ok {
			h.retryAfter = resp.Header.Get("Retry-After")
		}
	}
	return resp, err
}

// permanentError stops the retry loop without changing how the cause is
// classified; Stream uses it once text has reached the caller.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// policy is the retry loop shared by chat and embeddings.
type policy struct {
	timeout    time.Duration
	maxRetries int
	base       time.Duration
	log        *slog.Logger
	// sleep is a field so tests can observe waits without spending them.
	sleep func(ctx context.Context, d time.Duration) error
}

func newPolicy(timeout time.Duration, maxRetries int, base time.Duration, log *slog.Logger) policy {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if base <= 0 {
		base = defaultRetryBase
	}
	return policy{timeout: timeout, maxRetries: maxRetries, base: base, log: log, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run calls attempt until it succeeds, fails for good, the caller's context
// ends, or the retries are spent. op names the operation for errors and logs.
func (p policy) run(ctx context.Context, op string, attempt func(ctx context.Context) error) error {
	total := p.maxRetries + 1
	for n := 1; ; n++ {
		h := &hint{}
		p.log.Debug("llm attempt", "op", op, "attempt", n, "of", total)
		err := attempt(context.WithValue(ctx, hintKey{}, h))
		if err == nil {
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			if errors.Is(err, cerr) {
				return fmt.Errorf("%s: attempt %d/%d: %w", op, n, total, err)
			}
			return fmt.Errorf("%s: attempt %d/%d: %w: %w", op, n, total, cerr, err)
		}
		kind := classify(err)
		status := statusOf(err)
		var perm permanentError
		if kind != ErrUnavailable || errors.As(err, &perm) || n == total {
			if kind == nil {
				return fmt.Errorf("%s: attempt %d/%d: %w", op, n, total, err)
			}
			if errors.Is(err, kind) {
				return fmt.Errorf("%s: attempt %d/%d: %w", op, n, total, err)
			}
			return fmt.Errorf("%s: attempt %d/%d: %w: %w", op, n, total, kind, err)
		}
		ceiling := p.ceiling(n)
		ra, told := parseRetryAfter(h.retryAfter, time.Now())
		// The caller's deadline caps every wait. A server's Retry-After
		// that passes it means no retry can be in time: give up now, so
		// the caller can fall back at once. Our own backoff is only a
		// guess: its ceiling shrinks to half the time left, keeping the
		// other half for the retry.
		if dl, ok := ctx.Deadline(); ok {
			left := time.Until(dl)
			if told && left < ra {
				return fmt.Errorf("%s: attempt %d/%d: retry in %s would pass the deadline: %w: %w",
					op, n, total, ra.Round(time.Millisecond), ErrUnavailable, err)
			}
			ceiling = max(min(ceiling, left/2), 0)
		}
		wait := ra
		if !told {
			wait = jitter(ceiling)
		}
		p.log.Warn("llm attempt failed, retrying", "op", op, "attempt", n, "of", total,
			"status", status, "wait", wait, "err", err)
		if serr := p.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%s: waiting to retry after attempt %d/%d: %w: %w", op, n, total, serr, err)
		}
	}
}

// backoff is exponential with full jitter, so that many sessions hitting the
// same 429 do not retry in lockstep.
func (p policy) backoff(n int) time.Duration { return jitter(p.ceiling(n)) }

// ceiling is the longest backoff after attempt n: base doubled per
// attempt, at most maxWait.
func (p policy) ceiling(n int) time.Duration {
	c := p.base << min(n-1, 20)
	if c <= 0 || c > maxWait {
		c = maxWait
	}
	return c
}

// jitter is a wait drawn evenly from [0, ceiling].
func jitter(ceiling time.Duration) time.Duration {
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// attemptError turns an error seen inside one attempt into errAttemptTimeout
// when our own attempt context, not the caller's, cut it short.
func attemptError(parent, attempt context.Context, timeout time.Duration, err error) error {
	if parent.Err() == nil && attempt.Err() != nil {
		return fmt.Errorf("%w after %s: %w", errAttemptTimeout, timeout, err)
	}
	return err
}

// classify returns the sentinel the error belongs to, or nil when it is
// none of ours (e.g. go-openai's own request validation).
func classify(err error) error {
	switch {
	case errors.Is(err, ErrBadResponse):
		return ErrBadResponse
	case errors.Is(err, ErrRejected):
		return ErrRejected
	case errors.Is(err, ErrUnavailable), errors.Is(err, errAttemptTimeout), errors.Is(err, errTruncated):
		return ErrUnavailable
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return classifyStatus(reqErr.HTTPStatusCode)
	}
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		if apiErr.HTTPStatusCode == 0 {
			// An error event inside a 200 stream: the server failed mid-way.
			return ErrUnavailable
		}
		return classifyStatus(apiErr.HTTPStatusCode)
	}
	// Transport before JSON: a *url.Error may wrap a bare io.EOF (the server
	// hung up), which is worth a retry, unlike an empty 2xx body.
	var uerr *url.Error
	var nerr net.Error
	if errors.As(err, &uerr) || errors.As(err, &nerr) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, openai.ErrTooManyEmptyStreamMessages) {
		return ErrUnavailable
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, io.EOF) {
		return ErrBadResponse
	}
	return nil
}

func classifyStatus(code int) error {
	switch {
	case code == http.StatusTooManyRequests || code >= 500:
		return ErrUnavailable
	case code >= 400:
		return ErrRejected
	default:
		return ErrBadResponse
	}
}

// statusOf digs the HTTP status out of go-openai's errors; 0 when none.
func statusOf(err error) int {
	// RequestError first: it may wrap an APIError that carries no status.
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode
	}
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode
	}
	return 0
}

// parseRetryAfter reads delay-seconds or an HTTP-date, capped at maxWait.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxWait/time.Second) {
			return maxWait, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	switch {
	case d < 0:
		return 0, true
	case d > maxWait:
		return maxWait, true
	}
	return d, true
}
