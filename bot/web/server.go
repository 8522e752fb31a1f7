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
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

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
	// "Authorization: Bearer <token>" or as the cookie that opening the page
	// with ?token=<token> sets. config.ValidateServe refuses an empty token
	// on a non-loopback address before the server starts.
	Token string
	// MaxBodyBytes caps request bodies; 0 means 64 KiB.
	MaxBodyBytes int64
	// RatePerMinute limits /api/ask and /api/retrieve (the calls that cost
	// LLM or embedding time) per client IP. 0 means 30; negative disables
	// the limit. The client IP is the connection's peer: behind a reverse
	// proxy every staff member shares one budget.
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
	// Now is the clock, for tests; nil means time.Now.
	Now func() time.Time
}

const (
	defaultMaxBody   = 64 << 10
	defaultRate      = 30
	defaultTimeout   = 60 * time.Second
	maxTimeout       = 4 * time.Minute
	maxTrackedIPs    = 4096
	maxK             = 50
	cookieName       = "policybot_token"
	cookieMaxAge     = 30 * 24 * 60 * 60
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
)

// Server is the console's http.Handler. It is safe for concurrent use.
type Server struct {
	asker    asker
	searcher searcher
	library  library
	opts     Options
	log      *slog.Logger
	limits   *limiter // nil: no rate limit
	tokenSum [sha256.Size]byte
	origin   *http.CrossOriginProtection
	handler  http.Handler
}

// NewServer builds the console over its collaborators. a answers and
// records questions (a chat.Conversations whose Channel is "web"); when it
// keeps no record, answers come without an id and /api/feedback answers
// 503. A nil log discards.
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
	srv := &Server{
		asker:    a,
		searcher: s,
		library:  l,
		opts:     opts,
		log:      log,
		tokenSum: sha256.Sum256([]byte(opts.Token)),
		origin:   http.NewCrossOriginProtection(),
	}
	if opts.RatePerMinute > 0 {
		srv.limits = newLimiter(opts.RatePerMinute, maxTrackedIPs)
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
	route(http.MethodPost, "/api/ask", s.limited(s.handleAsk))
	route(http.MethodPost, "/api/retrieve", s.limited(s.handleRetrieve))
	route(http.MethodGet, "/api/documents", s.handleDocuments)
	route(http.MethodGet, "/api/documents/{id}", s.handleDocument)
	route(http.MethodPost, "/api/feedback", s.handleFeedback)
	route(http.MethodGet, "/api/scope", s.handleScope)
	mux.HandleFunc("POST /api/documents", s.handleUpload)
	mux.HandleFunc("DELETE /api/documents/{id}", s.handleRemove)
	route(http.MethodGet, "/healthz", handleHealth)
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
// from being framed or sniffed, cross-origin protection for the cookie,
// and the token check.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", contentSecPolicy)
		api := strings.HasPrefix(r.URL.Path, "/api/")
		if api {
			h.Set("Cache-Control", "no-store")
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
			next.ServeHTTP(w, r)
			return
		}
		// A bookmarked link is handled even when a cookie exists, so that
		// the token always leaves the address bar.
		if q := r.URL.Query(); !api && q.Has("token") {
			if s.tokenOK(q.Get("token")) {
				s.setCookie(w, r)
				return
			}
		} else if s.hasToken(r) {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("WWW-Authenticate", `Bearer realm="policybot"`)
		writeError(w, http.StatusUnauthorized, msgUnauthorized)
	})
}

func (s *Server) hasToken(r *http.Request) bool {
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return s.tokenOK(strings.TrimSpace(tok))
	}
	c, err := r.Cookie(cookieName)
	return err == nil && s.tokenOK(c.Value)
}

// tokenOK compares digests so that neither the content nor the length of
// the token leaks through timing.
func (s *Server) tokenOK(got string) bool {
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], s.tokenSum[:]) == 1
}

// setCookie turns a bookmarked ?token= link into a cookie and redirects to
// the same address without the token, so that it leaves the address bar
// and the history.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    s.opts.Token,
		Path:     "/",
		MaxAge:   cookieMaxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	u := *r.URL
	q := u.Query()
	q.Del("token")
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
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

func (s *Server) limited(next http.HandlerFunc) http.HandlerFunc {
	if s.limits == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.limits.allow(clientIP(r), s.opts.Now()) {
			w.Header().Set("Retry-After", "10")
			writeError(w, http.StatusTooManyRequests, msgRate)
			return
		}
		next(w, r)
	}
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
	d, err := s.asker.Ask(ctx, chat.Request{ChatID: journal.ChatHash(clientIP(r)), Question: req.Question, History: req.History})
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
	q := retrieval.Query{Question: strings.TrimSpace(req.Question), History: cleanHistory(req.History), K: req.K}
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
	return docMeta{
		ID: d.ID, Title: d.Title, DocNo: d.DocNo, Issuer: d.Issuer, Domain: d.Domain, Kind: d.Kind,
		Issued: d.Issued, EffectiveFrom: d.EffectiveFrom, EffectiveUntil: d.EffectiveUntil,
	}
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

type feedbackRequest struct {
	ID      string `json:"id"`
	Good    *bool  `json:"good"`
	Comment string `json:"comment"`
}

func (s *Server) handleFeedback(w http.ResponseWriter, r *http.Request) {
	var req feedbackRequest
	if !s.decode(w, r, &req) {
		return
	}
	req.ID = strings.TrimSpace(req.ID)
	switch {
	case req.ID == "":
		writeError(w, http.StatusBadRequest, msgNoID)
		return
	case req.Good == nil:
		writeError(w, http.StatusBadRequest, msgNoGood)
		return
	case !validID(req.ID):
		writeError(w, http.StatusBadRequest, msgBadID)
		return
	}
	comment := strings.TrimSpace(req.Comment)
	s.log.Debug("web feedback", "id", req.ID, "good", *req.Good, "comment", comment)
	ctx, cancel := context.WithTimeout(r.Context(), journalTimeout)
	defer cancel()
	switch err := s.asker.Mark(ctx, req.ID, *req.Good, comment); {
	case errors.Is(err, chat.ErrNoRecord):
		writeError(w, http.StatusServiceUnavailable, msgNoJournal)
		return
	case err != nil:
		s.log.Error("mark web answer", "id", req.ID, "err", err)
		writeError(w, http.StatusInternalServerError, msgMarkFailed)
		return
	}
	s.log.Info("web feedback", "id", req.ID, "good", *req.Good)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

type scopeResponse struct {
	Scope string `json:"scope"`
}

// handleScope tells the page what the corpus covers, so that nothing
// about one corpus is written into the page.
func (s *Server) handleScope(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, scopeResponse{Scope: s.opts.Scope})
}

func handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok")
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

// cleanHistory drops blank lines, which the page's one-per-line textarea
// produces freely.
func cleanHistory(h []string) []string {
	out := make([]string, 0, len(h))
	for _, m := range h {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
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
