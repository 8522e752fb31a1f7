// Package web serves the support-staff console: a small JSON API over the
// conversation core, retrieval and corpus, and an embedded page that works
// offline. Staff paste a customer's question, check the cited clauses, fix
// the draft and paste it into WeChat. The console asks through the same
// chat.Conversations as WeChat, so both answer a question by one path,
// under the same limits, into the same Q&A record.
package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/retrieval"
)

//go:embed assets
var assetFS embed.FS

// asker answers a question under the chat limits and records it, and
// records staff's marks on the answers; chat.Conversations is one.
type asker interface {
	Ask(ctx context.Context, r chat.Request) (chat.Draft, error)
	Mark(ctx context.Context, id string, good bool, comment string) error
}

type searcher interface {
	Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error)
}

type library interface {
	Documents() []corpus.Document
	Document(id string) (corpus.Document, bool)
}

// Options tunes the server. The zero value is usable: it means no token,
// 64 KiB bodies, 30 costly requests a minute per client and a 60 s answer
// timeout.
type Options struct {
	// Token, when set, is required on every request but /healthz, as
	// "Authorization: Bearer <token>", or through the session that opening
	// the page with ?token=<token> starts (an HttpOnly cookie holding a
	// random id, not the token). Failed token checks are limited to 10 a
	// minute per client IP, then answered 429. config.ValidateServe
	// refuses a token shorter than 16 characters, or none, on a
	// non-loopback address before the server starts.
	//
	// Without a token the server must listen on loopback only, and it
	// answers only requests addressed to localhost, 127.0.0.1, [::1] or
	// AllowedHosts, so that another site's page cannot reach it through a
	// name that resolves to 127.0.0.1 (DNS rebinding).
	Token string
	// AllowedHosts are more host names (or host:port) that reach the
	// server without a token, such as the machine's own name.
	AllowedHosts []string
	// SecureCookie marks the session cookie Secure even on a plain
	// connection: for a server behind a TLS-terminating proxy. The cookie
	// is Secure anyway on a TLS connection, or when a TrustedProxies peer
	// sends "X-Forwarded-Proto: https".
	SecureCookie bool
	// TrustedProxies are the addresses or CIDR prefixes of reverse proxies
	// whose X-Forwarded-Proto and X-Forwarded-For are believed: limits
	// are then kept per client behind the proxy.
	TrustedProxies []string
	// Health names the parts /healthz reports, each with a small func
	// returning nil when the part works ("journal", "embedding", "llm").
	// A func should report a state kept elsewhere and return at once; it
	// is given 2 s.
	Health map[string]func() error
	// FeedbackPerMinute limits /api/feedback per client IP. 0 means 30;
	// negative disables the limit.
	FeedbackPerMinute float64
	// HistoryTurns and MaxInputChars bound the earlier messages passed to
	// /api/retrieve, as the conversation core bounds them for /api/ask:
	// the last HistoryTurns (0 means 6), each cut to MaxInputChars
	// characters (0 means 500).
	HistoryTurns  int
	MaxInputChars int
	// MaxBodyBytes caps request bodies; 0 means 64 KiB.
	MaxBodyBytes int64
	// RatePerMinute limits /api/ask and /api/retrieve (the calls that cost
	// LLM or embedding time) per client IP. 0 means 30; negative disables
	// the limit. The client IP is the connection's peer: behind a reverse
	// proxy every staff member shares one budget. The limit is kept per
	// process, unless Limits shares it.
	RatePerMinute float64
	// Timeout bounds one answer or search; 0 means 60 s. It is capped at
	// four minutes so that it stays below ListenAndServe's write timeout.
	// The asker's own answer timeout applies as well.
	Timeout time.Duration
	// Scope is the line the page shows under its title: what the corpus
	// covers, as the caller words it from the corpus's scope. Empty shows
	// nothing.
	Scope string
	// Documents, when set, lets staff add, replace and remove documents
	// (POST /api/documents, DELETE /api/documents/{id}).
	Documents shelf
	// Taught, when set, lets staff teach retrieval from a draft marked
	// wrong (POST /api/teach): the right clause, or that the corpus has
	// no answer.
	Taught teacher
	// Answers, when set, is the Q&A record that replicas share: a draft
	// that any replica's console gave (an entry of Channel) may then be
	// marked and taught here too. Without it only this server's drafts
	// may.
	Answers answerLookup
	// Limits, when set, counts RatePerMinute's requests per client IP
	// across replicas, so that N replicas do not give a client N budgets.
	// While it fails, this server's own limit applies.
	Limits rateCounter
	// Now is the clock, for tests; nil means time.Now.
	Now func() time.Time
}

const (
	defaultMaxBody = 64 << 10
	defaultRate    = 30
	defaultTimeout = 60 * time.Second
	// The defaults of the conversation core's limits (config's bot.*).
	defaultHistoryTurns  = 6
	defaultMaxInputChars = 500
	// maxIssued answer ids are remembered for feedback; older drafts can
	// no longer be marked from the page.
	maxIssued        = 10000
	maxTimeout       = 4 * time.Minute
	maxTrackedIPs    = 4096
	maxK             = 50
	journalTimeout   = 5 * time.Second
	contentSecPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

// The messages staff see. They are fixed so that nothing internal (paths,
// upstream errors, keys) ever reaches the page; causes go to the log.
const (
	msgBadJSON      = "请求格式不正确，请刷新页面后重试。"
	msgNoQuestion   = "请先输入客户的问题。"
	msgBadK         = "检索条数应在 0 到 50 之间。"
	msgNoID         = "缺少答复编号，无法记录反馈。"
	msgNoGood       = "请选择“标记正确”或“标记错误”。"
	msgTooLarge     = "内容太长，请删减后再试。"
	msgRate         = "请求太频繁，请稍等片刻再试。"
	msgUnauthorized = "需要访问令牌：请使用带 ?token= 的链接打开本页。"
	msgCrossOrigin  = "拒绝跨站请求。"
	msgAnswerFailed = "暂时无法生成答复，请稍后再试。"
	msgSearchFailed = "暂时无法检索政策，请稍后再试。"
	msgTimeout      = "处理超时，请稍后再试。"
	msgInternal     = "服务器内部错误，请稍后再试。"
	msgNoDocument   = "未找到该政策文件。"
	msgNotFound     = "没有这个接口。"
	msgMethod       = "不支持该请求方法。"
	msgNoJournal    = "未启用答复记录，无法保存反馈。"
	msgMarkFailed   = "反馈保存失败，请稍后再试。"
	msgBadID        = "答复编号不正确，无法记录反馈。"
	// msgQuestionTooLong takes the question's length and the limit, in
	// characters; msgQuestionTooLongPlain is for when they are unknown.
	msgQuestionTooLong      = "问题太长（%d 字），请精简到 %d 字以内再试。"
	msgQuestionTooLongPlain = "问题太长，请精简后再试。"
	msgAuthThrottled        = "验证失败次数过多，请一分钟后再试。"
	msgForeignHost          = "拒绝访问：请通过 localhost 或 127.0.0.1 打开工作台。"
	msgUnknownAnswer        = "找不到这条答复（可能服务已重启），无法记录反馈。"
)

// Server is the console's http.Handler. It is safe for concurrent use.
type Server struct {
	asker        asker
	searcher     searcher
	library      library
	opts         Options
	log          *slog.Logger
	limits       *limiter // nil: no rate limit
	feedback     *limiter // nil: no rate limit
	authFails    *limiter // failed token checks per client IP
	refusedLog   *limiter // Warn lines about foreign hosts per client IP
	sessions     *sessions
	issued       *idSet      // the answer ids this server gave, or found in Answers
	sharedDown   atomic.Bool // the last count of Limits failed
	tokenSum     [sha256.Size]byte
	allowedHosts []string
	proxies      []netip.Prefix
	health       []*healthCheck
	origin       *http.CrossOriginProtection
	handler      http.Handler
}

// NewServer builds the console over its collaborators. a answers and
// records questions (a chat.Conversations recording under Channel); when
// it keeps no record, answers come without an id and /api/feedback
// answers 503. A nil log discards.
func NewServer(a asker, s searcher, l library, opts Options, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = defaultMaxBody
	}
	if opts.RatePerMinute == 0 {
		opts.RatePerMinute = defaultRate
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	opts.Timeout = min(opts.Timeout, maxTimeout)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FeedbackPerMinute == 0 {
		opts.FeedbackPerMinute = defaultRate
	}
	if opts.HistoryTurns <= 0 {
		opts.HistoryTurns = defaultHistoryTurns
	}
	if opts.MaxInputChars <= 0 {
		opts.MaxInputChars = defaultMaxInputChars
	}
	srv := &Server{
		asker:      a,
		searcher:   s,
		library:    l,
		opts:       opts,
		log:        log,
		authFails:  newBurstLimiter(authFailuresPerMinute, authFailuresPerMinute, maxTrackedIPs),
		refusedLog: newBurstLimiter(authFailuresPerMinute, authFailuresPerMinute, maxTrackedIPs),
		sessions:   newSessions(sessionTTL, maxSessions),
		issued:     newIDSet(maxIssued),
		tokenSum:   sha256.Sum256([]byte(opts.Token)),
		proxies:    parseProxies(opts.TrustedProxies),
		health:     newHealthChecks(opts.Health),
		origin:     http.NewCrossOriginProtection(),
	}
	for _, h := range opts.AllowedHosts {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			srv.allowedHosts = append(srv.allowedHosts, h)
		}
	}
	if opts.RatePerMinute > 0 {
		srv.limits = newLimiter(opts.RatePerMinute, maxTrackedIPs)
	}
	if opts.FeedbackPerMinute > 0 {
		srv.feedback = newLimiter(opts.FeedbackPerMinute, maxTrackedIPs)
	}
	srv.handler = srv.recoverPanics(srv.secure(srv.routes()))
	return srv
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	route := func(method, path string, h http.HandlerFunc) {
		mux.HandleFunc(method+" "+path, h)
		// The method-less twin catches the other methods, so that a 405
		// comes back as JSON with an Allow header, like everything else.
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			allow := method
			if method == http.MethodGet {
				allow = "GET, HEAD"
			}
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, msgMethod)
		})
	}
	route(http.MethodPost, "/api/ask", s.costly(s.handleAsk))
	route(http.MethodPost, "/api/retrieve", s.costly(s.handleRetrieve))
	route(http.MethodGet, "/api/documents", s.handleDocuments)
	route(http.MethodGet, "/api/documents/{id}", s.handleDocument)
	route(http.MethodPost, "/api/feedback", s.limited(s.feedback, s.handleFeedback))
	route(http.MethodPost, "/api/teach", s.limited(s.feedback, s.handleTeach))
	route(http.MethodGet, "/api/scope", s.handleScope)
	mux.HandleFunc("POST /api/documents", s.handleUpload)
	mux.HandleFunc("DELETE /api/documents/{id}", s.handleRemove)
	route(http.MethodGet, "/healthz", s.handleHealth)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, msgNotFound)
	})

	static, err := fs.Sub(assetFS, "assets")
	if err != nil {
		// fs.Sub fails only on an invalid name, and "assets" is a constant.
		panic(err)
	}
	files := http.StripPrefix("/assets/", http.FileServerFS(static))
	mux.HandleFunc("GET /assets/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, static, "index.html")
	})
	return mux
}

// secure applies what every response needs: headers that keep the page
// from being framed or sniffed, the host check of a console without a
// token, cross-origin protection for the cookie, and authentication.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", contentSecPolicy)
		if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/healthz" {
			h.Set("Cache-Control", "no-store")
		}
		if s.opts.Token == "" && !s.hostAllowed(r) {
			// A page rebinding its name to us may ask many times: the
			// first few a minute are worth a Warn, the rest a Debug.
			ip, level := s.clientIP(r), slog.LevelDebug
			if s.refusedLog.allow(ip, s.opts.Now()) {
				level = slog.LevelWarn
			}
			s.log.Log(r.Context(), level, "web request for a foreign host refused", "host", clip(r.Host, 100), "ip", ip)
			writeError(w, http.StatusForbidden, msgForeignHost)
			return
		}
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		// The cookie would otherwise let another site's form post to us
		// with the staff member's credentials.
		if err := s.origin.Check(r); err != nil {
			writeError(w, http.StatusForbidden, msgCrossOrigin)
			return
		}
		if s.opts.Token == "" {
			next.ServeHTTP(w, withAuthor(r, authorLoopback))
			return
		}
		s.authenticate(w, r, next)
	})
}

// clip cuts s to n bytes at most, for logging what a client sent.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// recoverPanics keeps one bad request from taking the console down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("web handler panicked", "method", r.Method, "path", r.URL.Path,
				"panic", v, "stack", string(debug.Stack()))
			writeError(w, http.StatusInternalServerError, msgInternal)
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) limited(l *limiter, next http.HandlerFunc) http.HandlerFunc {
	if l == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if !l.allow(s.clientIP(r), s.opts.Now()) {
			tooMany(w, 10)
			return
		}
		next(w, r)
	}
}

// tooMany refuses a request over a client's limit, saying in how many
// seconds to try again.
func tooMany(w http.ResponseWriter, retry int) {
	w.Header().Set("Retry-After", strconv.Itoa(retry))
	writeError(w, http.StatusTooManyRequests, msgRate)
}

type askRequest struct {
	Question string   `json:"question"`
	History  []string `json:"history"`
}

// askResponse is answer.Result's contract plus the record id that
// /api/feedback refers to; the id is empty when nothing was recorded.
type askResponse struct {
	answer.Result
	ID string `json:"id"`
}

func (s *Server) handleAsk(w http.ResponseWriter, r *http.Request) {
	var req askRequest
	if !s.decode(w, r, &req) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	start := s.opts.Now()
	// The chat is the client's address, hashed here so that the raw
	// address goes nowhere, not even to the asker.
	d, err := s.asker.Ask(ctx, chat.Request{ChatID: journal.ChatHash(s.clientIP(r)), Question: req.Question, History: req.History})
	latency := s.opts.Now().Sub(start)
	switch {
	case errors.Is(err, chat.ErrEmpty):
		writeError(w, http.StatusBadRequest, msgNoQuestion)
		return
	case errors.Is(err, chat.ErrTooLong):
		s.log.Debug("web question too long", "err", err)
		writeError(w, http.StatusRequestEntityTooLarge, tooLongMessage(err))
		return
	case err != nil:
		s.upstreamFailed(ctx, w, r, "answer question", err, msgAnswerFailed)
		return
	}
	if d.ID != "" {
		s.issued.put(d.ID, readAs(strings.TrimSpace(req.Question), req.History, d.Answer.Query))
	}
	s.log.Info("web answer", "id", d.ID, "found", d.Answer.Found, "citations", len(d.Answer.Citations),
		"latency_ms", latency.Milliseconds())
	writeJSON(w, http.StatusOK, askResponse{Result: d.Answer, ID: d.ID})
}

// tooLongMessage words a chat.ErrTooLong for staff, naming the limit.
func tooLongMessage(err error) string {
	var tl *chat.TooLongError
	if !errors.As(err, &tl) {
		return msgQuestionTooLongPlain
	}
	return fmt.Sprintf(msgQuestionTooLong, tl.Chars, tl.Max)
}

// upstreamFailed maps an asker or searcher error to a status and a fixed
// message; the cause is only logged. A deadline is a timeout whether it
// was this server's (ctx) or the asker's own answer timeout.
func (s *Server) upstreamFailed(ctx context.Context, w http.ResponseWriter, r *http.Request, doing string, err error, msg string) {
	switch {
	case r.Context().Err() != nil:
		// The client left; nobody reads the response.
		s.log.Info("web client went away", "doing", doing, "err", err)
		return
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("web request timed out", "doing", doing, "timeout", s.opts.Timeout, "deadline_here", ctx.Err() != nil, "err", err)
		writeError(w, http.StatusGatewayTimeout, msgTimeout)
	default:
		s.log.Error("web request failed", "doing", doing, "err", err)
		writeError(w, http.StatusBadGateway, msg)
	}
}

type retrieveRequest struct {
	Question string   `json:"question"`
	History  []string `json:"history"`
	K        int      `json:"k"`
}

func (s *Server) handleRetrieve(w http.ResponseWriter, r *http.Request) {
	var req retrieveRequest
	if !s.decode(w, r, &req) {
		return
	}
	q := retrieval.Query{Question: strings.TrimSpace(req.Question), History: s.limitHistory(req.History), K: req.K}
	if q.Question == "" {
		writeError(w, http.StatusBadRequest, msgNoQuestion)
		return
	}
	if q.K < 0 || q.K > maxK {
		writeError(w, http.StatusBadRequest, msgBadK)
		return
	}
	s.log.Debug("web retrieve", "question", q.Question, "k", q.K)
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	res, err := s.searcher.Search(ctx, q)
	if err != nil {
		s.upstreamFailed(ctx, w, r, "search", err, msgSearchFailed)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// docMeta is the metadata the page shows in the list and above the text.
type docMeta struct {
	ID             string `json:"id"`
	Title          string `json:"title"`
	DocNo          string `json:"doc_no"`
	Issuer         string `json:"issuer"`
	Domain         string `json:"domain"`
	Kind           string `json:"kind"`
	Issued         string `json:"issued"`
	EffectiveFrom  string `json:"effective_from"`
	EffectiveUntil string `json:"effective_until"`
	// What other loaded documents did to this one: repealed it, repealed
	// or rewrote parts of it, extended its period, or followed it as a
	// later version (see corpus.Document), for staff reading it to see
	// beside its period.
	RepealedBy   string     `json:"repealed_by,omitempty"`
	RepealedOn   string     `json:"repealed_on,omitempty"`
	ExtendedBy   string     `json:"extended_by,omitempty"`
	ExtendedTo   string     `json:"extended_to,omitempty"`
	PartsChanged []partJSON `json:"parts_changed,omitempty"`
	Newer        string     `json:"newer,omitempty"`
	NewerIssued  string     `json:"newer_issued,omitempty"`
}

// partJSON is a part of a document another repealed or rewrote.
type partJSON struct {
	Part    string `json:"part"`
	By      string `json:"by"`
	On      string `json:"on,omitempty"`
	Amended bool   `json:"amended,omitempty"`
}

type docSummary struct {
	docMeta
	Chunks int `json:"chunks"`
}

type docDetail struct {
	docMeta
	Source string      `json:"source"`
	Chunks []chunkJSON `json:"chunks"`
}

// chunkJSON is one clause of the document text; its id is the anchor a
// citation is matched and scrolled to.
type chunkJSON struct {
	ID    string   `json:"id"`
	Label string   `json:"label"`
	Path  []string `json:"path"`
	Text  string   `json:"text"`
}

func meta(d corpus.Document) docMeta {
	m := docMeta{
		ID: d.ID, Title: d.Title, DocNo: d.DocNo, Issuer: d.Issuer, Domain: d.Domain, Kind: d.Kind,
		Issued: d.Issued, EffectiveFrom: d.EffectiveFrom, EffectiveUntil: d.EffectiveUntil,
		RepealedBy: d.RepealedBy, RepealedOn: d.RepealedOn, ExtendedBy: d.ExtendedBy, ExtendedTo: d.ExtendedTo,
		Newer: d.Newer, NewerIssued: d.NewerIssued,
	}
	for _, p := range d.PartsChanged {
		m.PartsChanged = append(m.PartsChanged, partJSON{Part: p.Part, By: p.By, On: p.On, Amended: p.Amended})
	}
	return m
}

func (s *Server) handleDocuments(w http.ResponseWriter, r *http.Request) {
	docs := s.library.Documents()
	out := make([]docSummary, 0, len(docs))
	for _, d := range docs {
		out = append(out, docSummary{docMeta: meta(d), Chunks: len(d.Chunks)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleDocument(w http.ResponseWriter, r *http.Request) {
	d, ok := s.library.Document(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, msgNoDocument)
		return
	}
	out := docDetail{docMeta: meta(d), Source: d.Source, Chunks: make([]chunkJSON, 0, len(d.Chunks))}
	for _, c := range d.Chunks {
		path := c.Path
		if path == nil {
			path = []string{}
		}
		out.Chunks = append(out.Chunks, chunkJSON{ID: c.ID, Label: c.Label, Path: path, Text: c.Text})
	}
	writeJSON(w, http.StatusOK, out)
}

type scopeResponse struct {
	Scope string `json:"scope"`
}

// handleScope tells the page what the corpus covers, so that nothing
// about one corpus is written into the page.
func (s *Server) handleScope(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, scopeResponse{Scope: s.opts.Scope})
}

// decode reads one JSON value from the body, answering 413 or 400 itself
// when it cannot; it reports whether the handler should go on.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength > s.opts.MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, msgTooLarge)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	dec := json.NewDecoder(r.Body)
	err := dec.Decode(v)
	if err == nil {
		// Exactly one value: trailing bytes mean a broken client.
		if extra := dec.Decode(&struct{}{}); extra != io.EOF {
			err = errors.Join(errors.New("trailing data after JSON body"), extra)
		}
	}
	if err == nil {
		return true
	}
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, msgTooLarge)
		return false
	}
	s.log.Debug("web bad request body", "path", r.URL.Path, "err", err)
	writeError(w, http.StatusBadRequest, msgBadJSON)
	return false
}

type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	// A failed write means the client is gone; there is no one left to
	// tell, and the status is already sent.
	_ = enc.Encode(v)
}

// limitHistory keeps the last HistoryTurns messages that are not blank
// (the page's one-per-line textarea produces blank ones freely), each cut
// to MaxInputChars, as the conversation core does for /api/ask. It walks
// from the end, so a huge history costs no more than a short one.
func (s *Server) limitHistory(h []string) []string {
	out := make([]string, 0, min(len(h), s.opts.HistoryTurns))
	for i := len(h) - 1; i >= 0 && len(out) < s.opts.HistoryTurns; i-- {
		m := strings.TrimSpace(h[i])
		if m == "" {
			continue
		}
		if utf8.RuneCountInString(m) > s.opts.MaxInputChars {
			m = string([]rune(m)[:s.opts.MaxInputChars])
		}
		out = append(out, m)
	}
	slices.Reverse(out)
	return out
}

// validID accepts the Q&A record's ids (of web and WeChat entries alike),
// but keeps odd bytes out of the record and the log.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
