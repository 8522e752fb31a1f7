package wxfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// Sent is one message the bot sent through an API.
type Sent struct {
	API     string // "custom" (Official Account), "app" (WeCom app), "kf" (微信客服)
	To      string // openid, userid or external_userid
	From    string // agentid or open_kfid, when the API takes one
	Text    string
	Seq     int64 // the order of all events the fake saw, sends and callback replies alike
	Arrived time.Time
}

// KFMessage is one message in a 微信客服 account's log, as sync_msg
// returns it.
type KFMessage struct {
	MsgID          string `json:"msgid"`
	OpenKfID       string `json:"open_kfid"`
	ExternalUserID string `json:"external_userid"`
	SendTime       int64  `json:"send_time"`
	Origin         int    `json:"origin"`
	MsgType        string `json:"msgtype"`
	Text           *struct {
		Content string `json:"content"`
	} `json:"text,omitempty"`
}

// API fakes api.weixin.qq.com and qyapi.weixin.qq.com.
type API struct {
	// Credentials the token endpoints accept: appid → secret for the
	// Official Account, corpid → secret for WeCom (one secret per corpid
	// and agent is enough here).
	AppSecrets  map[string]string
	CorpSecrets map[string]string

	srv *httptest.Server

	mu       sync.Mutex
	seq      int64
	issued   int                // tokens issued
	valid    map[string]bool    // tokens the API accepts
	rejected int                // calls refused for their token
	fail     map[string][]int64 // path → errcodes to answer with, in turn
	sent     []Sent
	kfLog    map[string][]KFMessage // open_kfid → messages, oldest first
	kfTokens map[string]bool        // callback tokens the fake handed out
	kfSyncs  int
	changed  chan struct{} // closed and replaced at every send
	delay    time.Duration // before answering a send
}

// NewAPI starts the fake on loopback; it stops at the end of the test.
func NewAPI(t testing.TB) *API {
	a := &API{
		AppSecrets:  map[string]string{},
		CorpSecrets: map[string]string{},
		valid:       map[string]bool{},
		fail:        map[string][]int64{},
		kfLog:       map[string][]KFMessage{},
		kfTokens:    map[string]bool{},
		changed:     make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/token", a.token)
	mux.HandleFunc("GET /cgi-bin/gettoken", a.gettoken)
	mux.HandleFunc("POST /cgi-bin/message/custom/send", a.withToken(a.customSend))
	mux.HandleFunc("POST /cgi-bin/message/send", a.withToken(a.appSend))
	mux.HandleFunc("POST /cgi-bin/kf/sync_msg", a.withToken(a.kfSync))
	mux.HandleFunc("POST /cgi-bin/kf/send_msg", a.withToken(a.kfSend))
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

// Install points silenceper/wechat's util.DefaultHTTPClient at the fake
// for the rest of the test: requests to WeChat's API hosts go to the fake,
// and any other host fails, so nothing reaches the network.
func (a *API) Install(t testing.TB) {
	old := util.DefaultHTTPClient
	util.DefaultHTTPClient = &http.Client{Transport: rewrite{to: a.srv.Listener.Addr().String()}, Timeout: 10 * time.Second}
	t.Cleanup(func() { util.DefaultHTTPClient = old })
}

// rewrite sends WeChat's API hosts to the fake.
type rewrite struct{ to string }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	switch r.URL.Host {
	case "api.weixin.qq.com", "qyapi.weixin.qq.com":
	default:
		return nil, fmt.Errorf("wxfake: refusing request to %s", r.URL.Host)
	}
	r = r.Clone(r.Context())
	r.URL.Scheme = "http"
	r.URL.Host = rw.to
	r.Host = rw.to
	return http.DefaultTransport.RoundTrip(r)
}

func (a *API) writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (a *API) issue(w http.ResponseWriter) {
	a.mu.Lock()
	a.issued++
	tok := fmt.Sprintf("TOKEN-%d", a.issued)
	a.valid[tok] = true
	a.mu.Unlock()
	a.writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": 7200})
}

func (a *API) token(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" || a.AppSecrets[q.Get("appid")] == "" || a.AppSecrets[q.Get("appid")] != q.Get("secret") {
		a.writeJSON(w, map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		return
	}
	a.issue(w)
}

func (a *API) gettoken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if a.CorpSecrets[q.Get("corpid")] == "" || a.CorpSecrets[q.Get("corpid")] != q.Get("corpsecret") {
		a.writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential, more info at https://open.work.weixin.qq.com/devtool/query?e=40001"})
		return
	}
	a.issue(w)
}

// withToken refuses calls with a token the fake did not issue or has
// expired, and answers with an injected failure when one is due.
func (a *API) withToken(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		ok := a.valid[r.URL.Query().Get("access_token")]
		if !ok {
			a.rejected++
		}
		var code int64
		if q := a.fail[r.URL.Path]; ok && len(q) > 0 {
			code, a.fail[r.URL.Path] = q[0], q[1:]
		}
		a.mu.Unlock()
		switch {
		case !ok:
			a.writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest, more info at https://open.work.weixin.qq.com/devtool/query?e=40001"})
		case code == 500:
			http.Error(w, "bad gateway", http.StatusBadGateway)
		case code != 0:
			a.writeJSON(w, map[string]any{"errcode": code, "errmsg": fmt.Sprintf("injected failure, more info at https://open.work.weixin.qq.com/devtool/query?e=%d", code)})
		default:
			h(w, r)
		}
	}
}

// ExpireTokens makes every token issued so far invalid, as when WeChat
// expires a token early or another process fetched a new one.
func (a *API) ExpireTokens() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.valid)
}

// Fail makes the next calls to path (e.g. "/cgi-bin/message/custom/send")
// fail, one per code: a WeChat errcode, or 500 for an HTTP 502.
func (a *API) Fail(path string, codes ...int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fail[path] = append(a.fail[path], codes...)
}

// SetDelay makes every send wait d before it is answered.
func (a *API) SetDelay(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.delay = d
}

// TokensIssued is how many access tokens the fake issued.
func (a *API) TokensIssued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issued
}

// Rejected is how many calls the fake refused for their token.
func (a *API) Rejected() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rejected
}

// NextSeq numbers an event in the order the fake saw it.
func (a *API) NextSeq() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	return a.seq
}

func (a *API) record(s Sent) {
	a.mu.Lock()
	d := a.delay
	a.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	s.Seq, s.Arrived = a.seq, time.Now()
	a.sent = append(a.sent, s)
	close(a.changed)
	a.changed = make(chan struct{})
}

// Sent returns the messages sent so far, in order.
func (a *API) Sent() []Sent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Sent(nil), a.sent...)
}

// SentTo returns the texts sent to one recipient, in order.
func (a *API) SentTo(to string) []Sent {
	var out []Sent
	for _, s := range a.Sent() {
		if s.To == to {
			out = append(out, s)
		}
	}
	return out
}

// WaitSent waits until n messages were sent to to, or ctx ends, and
// returns those sent.
func (a *API) WaitSent(ctx context.Context, to string, n int) []Sent {
	for {
		a.mu.Lock()
		ch := a.changed
		a.mu.Unlock()
		got := a.SentTo(to)
		if len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got
		}
	}
}

func (a *API) customSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ToUser == "" || req.MsgType != "text" {
		a.writeJSON(w, map[string]any{"errcode": 44002, "errmsg": "empty post data"})
		return
	}
	if len(req.Text.Content) > 2048 {
		a.writeJSON(w, map[string]any{"errcode": 45002, "errmsg": "content size out of limit"})
		return
	}
	a.record(Sent{API: "custom", To: req.ToUser, Text: req.Text.Content})
	a.writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (a *API) appSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ToUser  string          `json:"touser"`
		MsgType string          `json:"msgtype"`
		AgentID json.RawMessage `json:"agentid"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ToUser == "" || req.MsgType != "text" {
		a.writeJSON(w, map[string]any{"errcode": 44004, "errmsg": "empty content"})
		return
	}
	if len(req.Text.Content) > 2048 {
		// WeCom cuts silently; a test wants to know.
		a.writeJSON(w, map[string]any{"errcode": 45002, "errmsg": "content size out of limit"})
		return
	}
	agent, _ := strconv.Unquote(string(req.AgentID))
	if agent == "" {
		agent = string(req.AgentID)
	}
	a.record(Sent{API: "app", To: req.ToUser, From: agent, Text: req.Text.Content})
	a.writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": fmt.Sprint(a.NextSeq())})
}

func (a *API) kfSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ToUser   string `json:"touser"`
		OpenKfID string `json:"open_kfid"`
		MsgType  string `json:"msgtype"`
		Text     struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ToUser == "" || req.OpenKfID == "" || req.MsgType != "text" {
		a.writeJSON(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	if len(req.Text.Content) > 2048 {
		a.writeJSON(w, map[string]any{"errcode": 45002, "errmsg": "content size out of limit"})
		return
	}
	a.record(Sent{API: "kf", To: req.ToUser, From: req.OpenKfID, Text: req.Text.Content})
	a.writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": fmt.Sprint(a.NextSeq())})
}

// KFCustomerSays adds a customer's text to a 微信客服 account's log and
// returns the token the callback announcing it carries.
func (a *API) KFCustomerSays(openKfID, externalUserID, text string) (msgID, token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	msgID = fmt.Sprintf("kfmsg-%d", a.seq)
	m := KFMessage{MsgID: msgID, OpenKfID: openKfID, ExternalUserID: externalUserID, SendTime: time.Now().Unix(), Origin: 3, MsgType: "text"}
	m.Text = &struct {
		Content string `json:"content"`
	}{text}
	a.kfLog[openKfID] = append(a.kfLog[openKfID], m)
	token = fmt.Sprintf("ENC%d", a.seq)
	a.kfTokens[token] = true
	return msgID, token
}

// KFAdd adds any message to an account's log (an old one, an event, a
// servicer's message).
func (a *API) KFAdd(m KFMessage) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.kfLog[m.OpenKfID] = append(a.kfLog[m.OpenKfID], m)
}

// KFSyncs is how many sync_msg calls succeeded.
func (a *API) KFSyncs() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.kfSyncs
}

// kfSync serves sync_msg: the cursor is the index of the next message,
// and at most limit (default 1000) come back, with has_more.
func (a *API) kfSync(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Cursor   string `json:"cursor"`
		Token    string `json:"token"`
		Limit    int    `json:"limit"`
		OpenKfID string `json:"open_kfid"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.OpenKfID == "" {
		a.writeJSON(w, map[string]any{"errcode": 40058, "errmsg": "invalid parameter"})
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.kfTokens[req.Token] {
		// Without the callback's token the real API allows few calls.
		a.writeJSON(w, map[string]any{"errcode": 95007, "errmsg": "invalid msg token, more info at https://open.work.weixin.qq.com/devtool/query?e=95007"})
		return
	}
	from := 0
	if req.Cursor != "" {
		n, err := strconv.Atoi(req.Cursor)
		if err != nil {
			a.writeJSON(w, map[string]any{"errcode": 95002, "errmsg": "invalid cursor"})
			return
		}
		from = n
	}
	limit := req.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	log := a.kfLog[req.OpenKfID]
	from = min(from, len(log))
	to := min(from+limit, len(log))
	a.kfSyncs++
	hasMore := 0
	if to < len(log) {
		hasMore = 1
	}
	a.writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "next_cursor": strconv.Itoa(to), "has_more": hasMore, "msg_list": log[from:to]})
}

// seqTrailer carries, to the Platform, the place of a callback's response
// in the sequence of events, taken when the bot's handler has written it.
const seqTrailer = "X-Wxfake-Seq"

// Stamp wraps the bot's callback handler so that each response carries
// its place in the fake's sequence of events, taken as the handler
// returns: when the response leaves the bot, as WeChat would see it,
// rather than when a busy test machine gets round to reading it.
func (a *API) Stamp(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", seqTrailer)
		h.ServeHTTP(w, r)
		w.Header().Set(seqTrailer, strconv.FormatInt(a.NextSeq(), 10))
	})
}

// Addr is the fake's loopback address.
func (a *API) Addr() net.Addr { return a.srv.Listener.Addr() }
