// Package wxreply delivers the bot's replies on WeChat's official
// platforms (the Official Account, WeCom apps and 微信客服), whose
// channels bot/mp, bot/wecom and bot/kf share it:
//
//   - Window answers WeChat's callbacks within their 5-second window: a
//     reply carried by the callback itself when the answer is ready in time,
//     otherwise an acknowledgement and delivery through the platform's send
//     API, or, where the account may not use one, on WeChat's retries of
//     the same message and then on the user's next message. Retries of one
//     message never ask the question twice.
//   - Mailbox keeps each chat's replies in order, within the platform's
//     message size and per-message send quota, and never drops one silently.
//   - TokenCache and Call keep silenceper/wechat's access token and refresh
//     it once when WeChat says it expired, and retry transient failures
//     with backoff.
//   - Serial runs the messages of one chat in the order they came.
package wxreply

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/kf"
)

// TokenCache is the cache.Cache to give silenceper/wechat for one
// client's access token. The library stores the token for expires_in
// minus 25 minutes, so it is fetched again well before WeChat expires it;
// Call empties the cache when WeChat rejects a token early (40001, 40014,
// 42001). Unlike the library's cache.Memory it is safe for concurrent use.
// Give every client its own: two clients of one corporation with
// different secrets would otherwise share a cache key.
type TokenCache struct {
	mu    sync.Mutex
	items map[string]tokenItem
	gen   uint64 // counts the times the cache was emptied
}

type tokenItem struct {
	val   any
	until time.Time
}

// NewTokenCache returns an empty TokenCache.
func NewTokenCache() *TokenCache {
	return &TokenCache{items: make(map[string]tokenItem)}
}

// Get returns the value stored under key, or nil when there is none or it
// has expired.
func (c *TokenCache) Get(key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok {
		return nil
	}
	if !time.Now().Before(it.until) {
		delete(c.items, key)
		return nil
	}
	return it.val
}

// Set stores val under key for timeout. A timeout that is not positive
// stores nothing, so the value is fetched again next time.
func (c *TokenCache) Set(key string, val any, timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if timeout <= 0 {
		delete(c.items, key)
		return nil
	}
	c.items[key] = tokenItem{val: val, until: time.Now().Add(timeout)}
	return nil
}

// IsExist reports whether key holds a value that has not expired.
func (c *TokenCache) IsExist(key string) bool {
	return c.Get(key) != nil
}

// Delete forgets key.
func (c *TokenCache) Delete(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, key)
	return nil
}

// generation says how often the cache was emptied; a call that fails
// with an expired token empties it only if nobody did since the call
// began, so that many calls failing together fetch one new token.
func (c *TokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// invalidate empties the cache if it was not emptied since gen.
func (c *TokenCache) invalidate(gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	c.gen++
	clear(c.items)
}

// Retry bounds how a call that failed for a passing reason is tried again.
type Retry struct {
	// Attempts is how many times a call is made in all, at least 1.
	Attempts int
	// Backoff is the pause after the first failure; it doubles after each
	// further one, with jitter.
	Backoff time.Duration
}

// DefaultRetry is three tries, 0.5 s then 1 s apart.
func DefaultRetry() Retry {
	return Retry{Attempts: 3, Backoff: 500 * time.Millisecond}
}

// Call runs call, one request to WeChat through silenceper/wechat, whose
// access token lives in tokens. When WeChat says the token is invalid or
// expired, the cache is emptied (once, however many calls fail together)
// and the call is made once more with a new token. A failure that may pass
// (the network, a 5xx, WeChat's "system busy" or a frequency limit) is
// tried again with backoff within r; any other is returned at once. The
// library does not take a context, so ctx is checked between tries only:
// bound each request with util.DefaultHTTPClient's timeout. The error
// returned never shows an access token or a secret, which the library
// puts in its URLs and so in its errors.
func Call(ctx context.Context, tokens *TokenCache, r Retry, call func() error) error {
	attempts := max(r.Attempts, 1)
	pause := r.Backoff
	refreshed := false
	for try := 1; ; try++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		gen := tokens.generation()
		err := call()
		if err == nil {
			return nil
		}
		code, coded := Code(err)
		switch {
		case coded && tokenRejected(code) && !refreshed:
			refreshed = true
			tokens.invalidate(gen)
			try-- // the retry with a new token is not one of r's attempts
			continue
		case try >= attempts || !transient(code, coded):
			return &apiError{code: code, coded: coded, err: err}
		}
		if err := sleep(ctx, jitter(pause)); err != nil {
			return errors.Join(&apiError{code: code, coded: coded, err: err}, err)
		}
		pause *= 2
	}
}

// tokenRejected reports whether WeChat's code says the access token was
// not accepted: 40001 invalid credential, 40014 invalid access_token,
// 42001 access_token expired.
func tokenRejected(code int64) bool {
	return code == 40001 || code == 40014 || code == 42001
}

// transient reports whether a failure may pass if the call is tried
// again: a failure without WeChat's code (the network, an HTTP status, a
// garbled body), -1 system busy, 45009 and 45011 frequency limits.
func transient(code int64, coded bool) bool {
	return !coded || code == -1 || code == 45009 || code == 45011
}

// jitter returns d ± 20%.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d - d/5 + rand.N(d*2/5+1)
}

// sleep pauses for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// codeInText finds WeChat's error code in the text of an error that the
// library built by hand ("errcode=40001") or that carries WeCom's errmsg
// ("… more info at https://open.work.weixin.qq.com/devtool/query?e=40001").
var codeInText = regexp.MustCompile(`errcode\s*[=:]\s*(-?\d+)|[?&]e=(-?\d+)`)

// Code returns WeChat's errcode carried by err, whichever way the library
// reported it, and whether there was one.
func Code(err error) (int64, bool) {
	if err == nil {
		return 0, false
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.code, ae.coded
	}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return ce.ErrCode, true
	}
	var ke kf.Error
	if errors.As(err, &ke) {
		switch ke {
		case kf.SDKInvalidCredential:
			return 40001, true
		case kf.SDKAccessTokenInvalid:
			return 40014, true
		case kf.SDKAccessTokenExpired:
			return 42001, true
		case kf.SDKApiFreqOutOfLimit:
			return 45009, true
		}
	}
	if m := codeInText.FindStringSubmatch(err.Error()); m != nil {
		s := m[1]
		if s == "" {
			s = m[2]
		}
		if n, perr := strconv.ParseInt(s, 10, 64); perr == nil {
			return n, true
		}
	}
	return 0, false
}

// apiError is a failed call, with its text cleaned of credentials.
type apiError struct {
	code  int64
	coded bool
	err   error
}

func (e *apiError) Error() string {
	if e.coded {
		return fmt.Sprintf("wechat api errcode %d: %s", e.code, Redact(e.err.Error()))
	}
	return "wechat api: " + Redact(e.err.Error())
}

func (e *apiError) Unwrap() error { return e.err }

// secretInURL matches the credentials silenceper/wechat puts in query
// strings, which end up in its errors.
var secretInURL = regexp.MustCompile(`((?:access_token|corpsecret|secret|appsecret)=)[^&\s"']*`)

// Redact hides access tokens and secrets in s.
func Redact(s string) string {
	return secretInURL.ReplaceAllString(s, "${1}REDACTED")
}
