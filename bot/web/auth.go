package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"sync"
	"time"
)

// Sessions: opening the page with ?token= trades the token for a random
// session id in an HttpOnly cookie, so that the token itself is never
// stored in the browser. Sessions live in memory: a restart asks staff to
// open the ?token= link again.
const (
	sessionCookie = "policybot_session"
	// legacyCookie held the token itself in earlier versions; it is
	// deleted when seen.
	legacyCookie = "policybot_token"
	sessionTTL   = 7 * 24 * time.Hour
	maxSessions  = 1000
	// authFailuresPerMinute failed token checks are allowed per client IP,
	// all at once if need be; after that the IP's token checks answer 429
	// until the budget refills.
	authFailuresPerMinute = 10
)

// The authors a feedback mark is signed with when the page sends no name.
const (
	authorToken    = "令牌"
	authorLoopback = "本机"
	authorSession  = "会话"
)

// session is one browser that opened the page with the token.
type session struct {
	label   string // how marks made in it are signed: 会话 and a short hash
	created time.Time
}

// sessions maps session ids to sessions. It holds at most max of them;
// when full it forgets the expired ones, then the oldest.
type sessions struct {
	ttl time.Duration
	max int

	mu sync.Mutex
	m  map[[sha256.Size]byte]session // keyed by the id's digest
}

func newSessions(ttl time.Duration, max int) *sessions {
	return &sessions{ttl: ttl, max: max, m: make(map[[sha256.Size]byte]session)}
}

// open starts a session at now and returns its id and label.
func (s *sessions) open(now time.Time) (id, label string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	id = base64.RawURLEncoding.EncodeToString(b[:])
	key := sha256.Sum256([]byte(id))
	label = authorSession + hex.EncodeToString(key[:3])
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= s.max {
		s.evict(now)
	}
	s.m[key] = session{label: label, created: now}
	return id, label
}

// lookup returns the label of the live session id names.
func (s *sessions) lookup(id string, now time.Time) (string, bool) {
	if id == "" || len(id) > 100 {
		return "", false
	}
	key := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[key]
	if !ok {
		return "", false
	}
	if now.Sub(ss.created) >= s.ttl {
		delete(s.m, key)
		return "", false
	}
	return ss.label, true
}

// evict runs only when the map is full, so its O(n) is rare.
func (s *sessions) evict(now time.Time) {
	var oldest [sha256.Size]byte
	var when time.Time
	for k, ss := range s.m {
		if now.Sub(ss.created) >= s.ttl {
			delete(s.m, k)
			continue
		}
		if when.IsZero() || ss.created.Before(when) {
			oldest, when = k, ss.created
		}
	}
	if len(s.m) >= s.max {
		delete(s.m, oldest)
	}
}

func (s *sessions) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

type authorKey struct{}

// withAuthor tells the handlers who is asking, for signing feedback.
func withAuthor(r *http.Request, author string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), authorKey{}, author))
}

func authorOf(ctx context.Context) string {
	a, _ := ctx.Value(authorKey{}).(string)
	return a
}

// authenticate lets r through to next when it carries the token (as a
// bearer header, or, for a page, as ?token=, which is traded for a
// session) or a live session cookie. Failed token checks are counted per
// client IP; past the budget, the IP's token checks answer 429 unchecked,
// so that guessing stays slow. A stale session cookie is not a guess (ids
// are random 256-bit numbers) and does not count.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, next http.Handler) {
	now := s.opts.Now()
	ip := s.clientIP(r)
	api := strings.HasPrefix(r.URL.Path, "/api/")
	cred, how := "", ""
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		cred, how = strings.TrimSpace(tok), "bearer"
	} else if q := r.URL.Query(); !api && q.Has("token") {
		// A bookmarked link is handled even when a session exists, so
		// that the token always leaves the address bar.
		cred, how = q.Get("token"), "link"
	}
	// Other schemes (a proxy's Basic credentials, say) are not ours to
	// judge: they neither let a request in nor count as a failure.
	if how == "" {
		if c, err := r.Cookie(sessionCookie); err == nil {
			if label, ok := s.sessions.lookup(c.Value, now); ok {
				next.ServeHTTP(w, withAuthor(r, label))
				return
			}
		}
		s.unauthorized(w)
		return
	}
	if s.authFails.blocked(ip, now) {
		s.log.Debug("web authentication throttled", "ip", ip, "method", r.Method, "path", r.URL.Path)
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusTooManyRequests, msgAuthThrottled)
		return
	}
	if s.tokenOK(cred) {
		if how == "link" {
			s.openSession(w, r, now, ip)
			return
		}
		next.ServeHTTP(w, withAuthor(r, authorToken))
		return
	}
	s.authFails.allow(ip, now)
	// The path only: the query may hold the token that failed.
	s.log.Warn("web authentication failed", "ip", ip, "method", r.Method, "path", r.URL.Path, "via", how,
		"throttled", s.authFails.blocked(ip, now))
	s.unauthorized(w)
}

func (s *Server) unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="policybot"`)
	writeError(w, http.StatusUnauthorized, msgUnauthorized)
}

// tokenOK compares digests so that neither the content nor the length of
// the token leaks through timing.
func (s *Server) tokenOK(got string) bool {
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], s.tokenSum[:]) == 1
}

// openSession trades a bookmarked ?token= link for a session cookie and
// redirects to the same page of this site without the token, so that it
// leaves the address bar and the history.
func (s *Server) openSession(w http.ResponseWriter, r *http.Request, now time.Time, ip string) {
	id, label := s.sessions.open(now)
	secure := s.secureRequest(r)
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		MaxAge:   int(sessionTTL / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteStrictMode,
	})
	if _, err := r.Cookie(legacyCookie); err == nil {
		// It held the token itself.
		http.SetCookie(w, &http.Cookie{Name: legacyCookie, Value: "", Path: "/", MaxAge: -1,
			HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	}
	s.log.Info("web session opened", "ip", ip, "session", label)
	q := r.URL.Query()
	q.Del("token")
	target := localPath(r.URL.Path)
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}

// localPath makes p a path on this site: one leading slash, cleaned, no
// backslash. A path such as //evil.example/ would otherwise be read by
// the browser as another host.
func localPath(p string) string {
	if strings.ContainsAny(p, "\\\x00\r\n") {
		return "/"
	}
	c := path.Clean("/" + p)
	if strings.HasPrefix(c, "//") {
		return "/"
	}
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// secureRequest says whether the browser reached us over TLS: directly,
// or through a trusted proxy that says so, or as configured.
func (s *Server) secureRequest(r *http.Request) bool {
	if s.opts.SecureCookie || r.TLS != nil {
		return true
	}
	return s.peerTrusted(r) && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// hostAllowed says whether r is addressed to a host this server answers
// for without a token: the loopback names and Options.AllowedHosts. A
// page on another name that resolves to 127.0.0.1 (DNS rebinding) must
// not reach an open console.
func (s *Server) hostAllowed(r *http.Request) bool {
	host := strings.ToLower(r.Host)
	if host == "" {
		return false
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.Trim(name, "[]"), ".")
	switch name {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	for _, a := range s.allowedHosts {
		if a == host || a == name {
			return true
		}
	}
	return false
}

// parseProxies reads trusted proxies: addresses or CIDR prefixes. Bad
// entries (config validation refuses them) are skipped.
func parseProxies(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range list {
		p = strings.TrimSpace(p)
		if pfx, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pfx.Masked())
		} else if a, err := netip.ParseAddr(p); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) peerTrusted(r *http.Request) bool {
	a, err := netip.ParseAddr(peerAddr(r))
	return err == nil && s.trusted(a)
}

// clientIP is the address limits and records are kept by: the peer, or,
// when the peer is a trusted proxy, the last address in X-Forwarded-For
// that is not one.
func (s *Server) clientIP(r *http.Request) string {
	peer := peerAddr(r)
	if !s.peerTrusted(r) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = a.Unmap().String()
		if !s.trusted(a) {
			break
		}
	}
	return client
}
