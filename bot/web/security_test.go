package web

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

const goodToken = "s3cret-t0ken-0123456789"

// clock is a settable Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// openSession opens the page with the token and returns the session
// cookie as a Cookie header.
func openSession(t *testing.T, f *fixture, rq request) (string, *httptest.ResponseRecorder) {
	t.Helper()
	w := f.do(t, rq)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("GET %s: got %d %s, want 303", rq.path, w.Code, w.Body.String())
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie {
			return c.Name + "=" + c.Value, w
		}
	}
	t.Fatalf("GET %s: no session cookie in %v", rq.path, w.Result().Cookies())
	return "", w
}

// TestRedirectStaysOnSite: the redirect that takes the token out of the
// address bar never leads to another site, whatever the path.
func TestRedirectStaysOnSite(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"/?token=" + goodToken, "/"},
		{"/?token=" + goodToken + "&x=1", "/?x=1"},
		{"//evil.example/?token=" + goodToken, "/evil.example/"},
		{"///evil.example?token=" + goodToken, "/evil.example"},
		{"/%2F%2Fevil.example/?token=" + goodToken, "/evil.example/"},
		{"/%5Cevil.example/?token=" + goodToken, "/"},
		{"/assets/../?token=" + goodToken, "/"},
		{"/?token=" + goodToken + "&next=//evil.example", "/?next=%2F%2Fevil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			f := newFixture(t, Options{Token: goodToken}, true)
			_, w := openSession(t, f, request{path: tt.path})
			loc := w.Header().Get("Location")
			if loc != tt.want {
				t.Errorf("Location: got %q, want %q", loc, tt.want)
			}
			u, err := url.Parse(loc)
			if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
				t.Errorf("Location %q leaves the site", loc)
			}
			if strings.Contains(loc, goodToken) {
				t.Errorf("Location %q keeps the token", loc)
			}
		})
	}
}

// TestAuthThrottle: ten failed token checks a minute per client IP, then
// 429 without checking, even for the right token; sessions still work,
// other clients are not affected, and the log never holds a token.
func TestAuthThrottle(t *testing.T) {
	clk := newClock()
	f := newFixture(t, Options{Token: goodToken, Now: clk.Now}, true)
	const attacker, colleague = "192.0.2.66:4000", "192.0.2.7:4000"
	cookie, _ := openSession(t, f, request{path: "/?token=" + goodToken, remote: attacker})
	bearer := func(tok, remote string) *httptest.ResponseRecorder {
		return f.do(t, request{path: "/api/documents", remote: remote, header: map[string]string{"Authorization": "Bearer " + tok}})
	}
	for i := range authFailuresPerMinute {
		if w := bearer(fmt.Sprintf("guess-%02d", i), attacker); w.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d: got %d, want 401", i, w.Code)
		}
	}
	steps := []struct {
		name   string
		do     func() *httptest.ResponseRecorder
		status int
	}{
		{"one more guess", func() *httptest.ResponseRecorder { return bearer("guess-xx", attacker) }, http.StatusTooManyRequests},
		{"the right token, unchecked", func() *httptest.ResponseRecorder { return bearer(goodToken, attacker) }, http.StatusTooManyRequests},
		{"a link, unchecked", func() *httptest.ResponseRecorder {
			return f.do(t, request{path: "/?token=" + goodToken, remote: attacker})
		}, http.StatusTooManyRequests},
		{"the session opened before", func() *httptest.ResponseRecorder {
			return f.do(t, request{path: "/api/documents", remote: attacker, header: map[string]string{"Cookie": cookie}})
		}, http.StatusOK},
		{"a colleague", func() *httptest.ResponseRecorder { return bearer(goodToken, colleague) }, http.StatusOK},
		{"a minute later", func() *httptest.ResponseRecorder { clk.advance(time.Minute); return bearer(goodToken, attacker) }, http.StatusOK},
	}
	for _, s := range steps {
		w := s.do()
		if w.Code != s.status {
			t.Fatalf("%s: got %d %s, want %d", s.name, w.Code, w.Body.String(), s.status)
		}
		if s.status == http.StatusTooManyRequests {
			wantError(t, w, s.status, msgAuthThrottled)
			if w.Header().Get("Retry-After") == "" {
				t.Errorf("%s: no Retry-After", s.name)
			}
		}
	}
	logs := f.logs.String()
	if n := strings.Count(logs, "web authentication failed"); n != authFailuresPerMinute {
		t.Errorf("log: %d failures logged, want %d:\n%s", n, authFailuresPerMinute, logs)
	}
	if strings.Contains(logs, goodToken) || strings.Contains(logs, "guess-") {
		t.Errorf("log holds a token:\n%s", logs)
	}
	if !strings.Contains(logs, "ip=192.0.2.66") {
		t.Errorf("log: want the client's address:\n%s", logs)
	}
}

func TestSessions(t *testing.T) {
	clk := newClock()
	f := newFixture(t, Options{Token: goodToken, Now: clk.Now}, true)
	cookie, _ := openSession(t, f, request{path: "/?token=" + goodToken})
	get := func() int {
		return f.do(t, request{path: "/api/documents", header: map[string]string{"Cookie": cookie}}).Code
	}
	if got := get(); got != http.StatusOK {
		t.Fatalf("fresh session: got %d, want 200", got)
	}
	// Many browsers: the map stays bounded, and a live session is kept
	// until it is the oldest.
	clk.advance(time.Second)
	for range maxSessions + 50 {
		f.srv.sessions.open(clk.Now())
	}
	if n := f.srv.sessions.len(); n > maxSessions {
		t.Errorf("sessions: got %d, want at most %d", n, maxSessions)
	}
	if got := get(); got != http.StatusUnauthorized {
		t.Errorf("the oldest session after a flood: got %d, want 401 (evicted)", got)
	}
	cookie, _ = openSession(t, f, request{path: "/?token=" + goodToken})
	clk.advance(sessionTTL - time.Second)
	if got := get(); got != http.StatusOK {
		t.Errorf("session before expiry: got %d, want 200", got)
	}
	clk.advance(time.Second)
	if got := get(); got != http.StatusUnauthorized {
		t.Errorf("expired session: got %d, want 401", got)
	}
	// An old browser's cookie held the token: it is deleted.
	_, w := openSession(t, f, request{path: "/?token=" + goodToken, header: map[string]string{"Cookie": legacyCookie + "=" + goodToken}})
	deleted := false
	for _, c := range w.Result().Cookies() {
		deleted = deleted || c.Name == legacyCookie && c.MaxAge < 0
	}
	if !deleted {
		t.Errorf("the old token cookie was not deleted: %v", w.Result().Cookies())
	}
}

func TestSecureCookie(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		remote  string
		header  map[string]string
		tls     bool
		secure  bool
		reqHost string
	}{
		{name: "plain HTTP", secure: false},
		{name: "configured", opts: Options{SecureCookie: true}, secure: true},
		{name: "TLS", tls: true, secure: true},
		{name: "https from a trusted proxy", opts: Options{TrustedProxies: []string{"10.0.0.0/8"}}, remote: "10.1.2.3:5555",
			header: map[string]string{"X-Forwarded-Proto": "https"}, secure: true},
		{name: "https from a trusted proxy address", opts: Options{TrustedProxies: []string{"10.1.2.3"}}, remote: "10.1.2.3:5555",
			header: map[string]string{"X-Forwarded-Proto": "https"}, secure: true},
		{name: "https from anyone else", opts: Options{TrustedProxies: []string{"10.0.0.0/8"}}, remote: "192.0.2.9:5555",
			header: map[string]string{"X-Forwarded-Proto": "https"}, secure: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Token = goodToken
			f := newFixture(t, tt.opts, true)
			r := localRequest("GET", "/?token="+goodToken, nil)
			if tt.remote != "" {
				r.RemoteAddr = tt.remote
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			f.srv.ServeHTTP(w, r)
			cs := w.Result().Cookies()
			if w.Code != http.StatusSeeOther || len(cs) != 1 {
				t.Fatalf("got %d with cookies %v, want 303 with the session cookie", w.Code, cs)
			}
			if cs[0].Secure != tt.secure {
				t.Errorf("Secure: got %v, want %v", cs[0].Secure, tt.secure)
			}
		})
	}
}

// TestClientBehindProxy: behind a trusted proxy, limits are kept per
// client named in X-Forwarded-For; anyone else's header is ignored.
func TestClientBehindProxy(t *testing.T) {
	tests := []struct {
		name    string
		remote  string
		xff     string
		wantKey string
	}{
		{"direct", "192.0.2.1:1000", "", "192.0.2.1"},
		{"untrusted peer's header ignored", "192.0.2.1:1000", "198.51.100.7", "192.0.2.1"},
		{"trusted proxy", "10.0.0.5:1000", "198.51.100.7", "198.51.100.7"},
		{"chain of proxies", "10.0.0.5:1000", "203.0.113.1, 198.51.100.7, 10.0.0.9", "198.51.100.7"},
		{"garbage stops the walk", "10.0.0.5:1000", "198.51.100.7, nonsense", "10.0.0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{TrustedProxies: []string{"10.0.0.0/8"}}, true)
			r := localRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := f.srv.clientIP(r); got != tt.wantKey {
				t.Errorf("client: got %q, want %q", got, tt.wantKey)
			}
		})
	}
	// Two staff behind one proxy have budgets of their own.
	clk := newClock()
	f := newFixture(t, Options{RatePerMinute: 6, TrustedProxies: []string{"10.0.0.5"}, Now: clk.Now}, true)
	ask := func(client string) int {
		return f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":"税收"}`, remote: "10.0.0.5:1000",
			header: map[string]string{"X-Forwarded-For": client}}).Code
	}
	if a, b, a2 := ask("198.51.100.1"), ask("198.51.100.2"), ask("198.51.100.1"); a != 200 || b != 200 || a2 != 429 {
		t.Errorf("asks: got %d %d %d, want 200 200 429", a, b, a2)
	}
}

// TestForeignHost: without a token, only requests addressed to the
// loopback names or the allowed hosts are answered (DNS rebinding).
func TestForeignHost(t *testing.T) {
	tests := []struct {
		host   string
		path   string
		status int
	}{
		{"localhost", "/", http.StatusOK},
		{"localhost:8080", "/api/documents", http.StatusOK},
		{"LocalHost:8080", "/api/documents", http.StatusOK},
		{"127.0.0.1:8080", "/api/documents", http.StatusOK},
		{"[::1]:8080", "/api/documents", http.StatusOK},
		{"policy.lan", "/api/documents", http.StatusOK},
		{"policy.lan:8080", "/api/documents", http.StatusOK},
		{"evil.example", "/", http.StatusForbidden},
		{"evil.example:8080", "/api/documents", http.StatusForbidden},
		{"localhost.evil.example:8080", "/api/documents", http.StatusForbidden},
		{"127.0.0.1.evil.example", "/api/documents", http.StatusForbidden},
		{"evil.example:8080", "/healthz", http.StatusForbidden},
		{"", "/api/documents", http.StatusForbidden},
	}
	f := newFixture(t, Options{AllowedHosts: []string{"Policy.LAN"}}, true)
	for _, tt := range tests {
		t.Run(tt.host+tt.path, func(t *testing.T) {
			r := localRequest("GET", tt.path, nil)
			r.Host = tt.host
			w := httptest.NewRecorder()
			f.srv.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body.String(), tt.status)
			}
			if tt.status == http.StatusForbidden {
				wantError(t, w, tt.status, msgForeignHost)
			}
		})
	}
}

// TestFeedbackSigned: a mark is accepted only on an answer this server
// gave, and signed with who made it.
func TestFeedbackSigned(t *testing.T) {
	tests := []struct {
		name        string
		token       string
		auth        string // "session" or "bearer" when token is set
		body        func(id string) string
		status      int
		wantComment string // "" with status 200: the author alone
		wantPrefix  string // the comment starts with it, when wantComment is empty
	}{
		{name: "loopback", body: func(id string) string { return `{"id":"` + id + `","good":false,"comment":"应引用第三条"}` },
			status: 200, wantComment: "[本机] 应引用第三条"},
		{name: "staff name", body: func(id string) string {
			return `{"id":"` + id + `","good":true,"comment":"","staff":"  王芳\n[管理员] "}`
		}, status: 200, wantComment: "[王芳 管理员]"},
		{name: "a long staff name is cut", body: func(id string) string {
			return `{"id":"` + id + `","good":true,"staff":"` + strings.Repeat("名", 30) + `"}`
		}, status: 200, wantComment: "[" + strings.Repeat("名", maxStaffName) + "]"},
		{name: "bearer", token: goodToken, auth: "bearer", body: func(id string) string { return `{"id":"` + id + `","good":true,"comment":"好"}` },
			status: 200, wantComment: "[令牌] 好"},
		{name: "session", token: goodToken, auth: "session", body: func(id string) string { return `{"id":"` + id + `","good":true,"comment":"好"}` },
			status: 200, wantPrefix: "[会话"},
		{name: "another answer's id", body: func(string) string { return `{"id":"0123456789abcdef01234567","good":true}` },
			status: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{Token: tt.token}, false)
			header := map[string]string{}
			switch tt.auth {
			case "bearer":
				header["Authorization"] = "Bearer " + tt.token
			case "session":
				cookie, _ := openSession(t, f, request{path: "/?token=" + tt.token})
				header["Cookie"] = cookie
			}
			w := f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":"税收优惠"}`, header: header})
			id := decodeBody[askResponse](t, w).ID
			if id == "" {
				t.Fatalf("ask: got %d %s, want an id", w.Code, w.Body.String())
			}
			w = f.do(t, request{method: "POST", path: "/api/feedback", body: tt.body(id), header: header})
			if w.Code != tt.status {
				t.Fatalf("feedback: got %d %s, want %d", w.Code, w.Body.String(), tt.status)
			}
			marks := f.marks(t)
			if tt.status != http.StatusOK {
				wantError(t, w, tt.status, msgUnknownAnswer)
				if len(marks) != 0 {
					t.Errorf("marks: got %+v, want none", marks)
				}
				return
			}
			if len(marks) != 1 || marks[0].Ref != id {
				t.Fatalf("marks: got %+v, want one on %s", marks, id)
			}
			got := marks[0].Comment
			if tt.wantComment != "" && got != tt.wantComment || tt.wantPrefix != "" && !strings.HasPrefix(got, tt.wantPrefix) {
				t.Errorf("comment: got %q, want %q%q", got, tt.wantComment, tt.wantPrefix)
			}
		})
	}
}

func TestFeedbackRateLimit(t *testing.T) {
	clk := newClock()
	// 6 a minute: a burst of one.
	f := newFixture(t, Options{FeedbackPerMinute: 6, Now: clk.Now}, false)
	id := decodeBody[askResponse](t, f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":"税收"}`})).ID
	mark := func() *httptest.ResponseRecorder {
		return f.do(t, request{method: "POST", path: "/api/feedback", body: `{"id":"` + id + `","good":true}`})
	}
	if w := mark(); w.Code != http.StatusOK {
		t.Fatalf("first mark: got %d", w.Code)
	}
	wantError(t, mark(), http.StatusTooManyRequests, msgRate)
	clk.advance(10 * time.Second)
	// Unknown ids spend the budget too: guessing is limited.
	guess := f.do(t, request{method: "POST", path: "/api/feedback", body: `{"id":"0123456789abcdef01234567","good":true}`})
	wantError(t, guess, http.StatusNotFound, msgUnknownAnswer)
	wantError(t, mark(), http.StatusTooManyRequests, msgRate)
	clk.advance(10 * time.Second)
	if w := mark(); w.Code != http.StatusOK {
		t.Errorf("after another 10 s: got %d, want 200", w.Code)
	}
}

func TestIssuedIDsBounded(t *testing.T) {
	s := newIDSet(3)
	for i := range 10 {
		s.add(fmt.Sprint(i))
	}
	s.add("9") // again: no effect
	if n := s.len(); n != 3 {
		t.Errorf("len: got %d, want 3", n)
	}
	for id, want := range map[string]bool{"6": false, "7": true, "8": true, "9": true} {
		if got := s.has(id); got != want {
			t.Errorf("has(%s): got %v, want %v", id, got, want)
		}
	}
}

// TestHugeHistory: a 10,000-message history (108 KB) is refused by the
// body limit, and, with the limit raised, cut to the chat's limits before
// the answerer (the model) or the search sees it.
func TestHugeHistory(t *testing.T) {
	history := make([]string, 10000)
	for i := range history {
		history[i] = fmt.Sprintf("第%05d条消息", i) // 10 characters, 20 bytes
	}
	history[len(history)-1] = strings.Repeat("长", testMaxInputChars+100)
	body := func(extra string) string {
		b, err := json.Marshal(map[string]any{"question": "那申请条件呢？", "history": history})
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(string(b), "}") + extra + "}"
	}
	if n := len(body("")); n < 100_000 {
		t.Fatalf("body: %d bytes, want over 100 KB", n)
	}
	tests := []struct {
		name   string
		path   string
		extra  string
		opts   Options
		status int
	}{
		{"ask, default body limit", "/api/ask", "", Options{}, http.StatusRequestEntityTooLarge},
		{"ask, body limit raised", "/api/ask", "", Options{MaxBodyBytes: 1 << 20}, http.StatusOK},
		{"retrieve, default body limit", "/api/retrieve", "", Options{}, http.StatusRequestEntityTooLarge},
		{"retrieve, body limit raised", "/api/retrieve", `,"k":5`, Options{MaxBodyBytes: 1 << 20, HistoryTurns: testHistoryTurns, MaxInputChars: testMaxInputChars}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts, true)
			w := f.do(t, request{method: "POST", path: tt.path, body: body(tt.extra)})
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body.String(), tt.status)
			}
			var got []string
			switch {
			case tt.status != http.StatusOK:
				if n := len(f.answerer.Calls()) + len(f.searcher.queries); n != 0 {
					t.Errorf("%d calls reached the answerer or the search, want none", n)
				}
				return
			case tt.path == "/api/ask":
				calls := f.answerer.Calls()
				if len(calls) != 1 {
					t.Fatalf("answerer calls: got %d, want 1", len(calls))
				}
				got = calls[0].History
			default:
				if len(f.searcher.queries) != 1 {
					t.Fatalf("queries: got %d, want 1", len(f.searcher.queries))
				}
				got = f.searcher.queries[0].History
			}
			want := append(append([]string(nil), history[len(history)-testHistoryTurns:len(history)-1]...),
				strings.Repeat("长", testMaxInputChars))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("history passed on: %d messages, want the last %d, the last cut to %d characters", len(got), len(want), testMaxInputChars)
			}
			size := 0
			for _, m := range got {
				size += len(m)
				if n := utf8.RuneCountInString(m); n > testMaxInputChars {
					t.Errorf("a message of %d characters passed on", n)
				}
			}
			if size > 2000 {
				t.Errorf("history passed on: %d bytes, want under 2 KB", size)
			}
		})
	}
}

// TestHealthCheckFinished: a check that has returned is never reported as
// still running to the next request, however soon it comes (a replica
// asked twice in a row once saw "check still running" for a ping that
// had answered, and kept the database for down).
func TestHealthCheckFinished(t *testing.T) {
	for _, tt := range []struct {
		name  string
		check func() error
	}{
		{"ok", func() error { return nil }},
		{"fails", func() error { return errors.New("down") }},
		{"panics", func() error { panic("boom") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &healthCheck{name: tt.name, check: tt.check}
			for i := range 2000 {
				if err := h.run(); err != nil && strings.Contains(err.Error(), "still running") {
					t.Fatalf("run %d: %v", i, err)
				}
			}
		})
	}
}

func TestHealth(t *testing.T) {
	old := healthTimeout
	healthTimeout = 50 * time.Millisecond
	t.Cleanup(func() { healthTimeout = old })
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	ok := func() error { return nil }
	tests := []struct {
		name   string
		parts  map[string]func() error
		want   healthResponse
		header map[string]string
	}{
		{"no parts", nil, healthResponse{Status: "ok", Parts: map[string]string{}}, nil},
		{"all ok", map[string]func() error{"journal": ok, "embedding": ok, "llm": ok},
			healthResponse{Status: "ok", Parts: map[string]string{"journal": "ok", "embedding": "ok", "llm": "ok"}}, nil},
		{"one down", map[string]func() error{
			"journal":   func() error { return errors.New("journal write failed:\n  disk full") },
			"embedding": ok, "llm": ok,
		}, healthResponse{Status: "degraded", Parts: map[string]string{"journal": "journal write failed: disk full", "embedding": "ok", "llm": "ok"}}, nil},
		{"a check panics", map[string]func() error{"llm": func() error { panic("boom") }},
			healthResponse{Status: "degraded", Parts: map[string]string{"llm": "check panicked: boom"}}, nil},
		{"a check hangs", map[string]func() error{"embedding": func() error { <-release; return nil }, "llm": ok},
			healthResponse{Status: "degraded", Parts: map[string]string{"embedding": "check timed out after 50ms", "llm": "ok"}}, nil},
		{"no token needed", map[string]func() error{"llm": ok},
			healthResponse{Status: "ok", Parts: map[string]string{"llm": "ok"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Health: tt.parts}
			if tt.name == "no token needed" {
				opts.Token = goodToken
			}
			f := newFixture(t, opts, true)
			w := f.do(t, request{path: "/healthz"})
			if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("got %d %q, want 200 JSON", w.Code, w.Header().Get("Content-Type"))
			}
			if got := decodeBody[healthResponse](t, w); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
