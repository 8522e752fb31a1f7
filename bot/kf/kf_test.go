package kf

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/wxreply"
	"github.com/policybot/policybot/bot/wxreply/wxfake"
)

const (
	corpID = "ww0123456789abcdef"
	secret = "kf-secret-for-tests"
	token  = "callbacktoken"
	kfid   = "wkAbCdEf0123"
)

// answerer answers "答：<question>" after delay(question), counting calls.
type answerer struct {
	delay func(q string) time.Duration

	mu    sync.Mutex
	calls map[string]int
}

func newAnswerer(delay func(string) time.Duration) *answerer {
	return &answerer{delay: delay, calls: map[string]int{}}
}

func (a *answerer) AnswerStream(ctx context.Context, q string, _ []string, _ func(string)) (answer.Result, error) {
	a.mu.Lock()
	a.calls[q]++
	a.mu.Unlock()
	if a.delay != nil {
		t := time.NewTimer(a.delay(q))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return answer.Result{}, ctx.Err()
		}
	}
	if strings.HasPrefix(q, "长") {
		var b strings.Builder
		for i := range 7 {
			fmt.Fprintf(&b, "第%d段：%s\n\n", i+1, strings.Repeat("政策说明", 20))
		}
		return answer.Result{Text: b.String(), Found: true}, nil
	}
	return answer.Result{Text: "答：" + q, Found: true}, nil
}

func (a *answerer) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.calls {
		n += c
	}
	return n
}

type rig struct {
	api *wxfake.API
	h   *Handler
	srv *httptest.Server
	wx  *wxfake.Platform
}

func newRig(t *testing.T, ans *answerer, pendingAfter time.Duration, tune ...func(*chat.Options)) *rig {
	t.Helper()
	api := wxfake.NewAPI(t)
	api.CorpSecrets[corpID] = secret
	api.Install(t)
	key := wxfake.NewAESKey()
	opts := Options{CorpID: corpID, Secret: secret, Token: token, EncodingAESKey: key, retry: &wxreply.Retry{Attempts: 3, Backoff: 10 * time.Millisecond}}
	co := chat.Options{HistoryTurns: 2, MaxInputChars: 500, AnswerTimeout: 10 * time.Second, ReplyMaxChars: 600, PendingAfter: pendingAfter, SendInterval: time.Second}
	Tune(&co)
	for _, f := range tune {
		f(&co)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, err := NewHandler(chat.New(ans, co, log), opts, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	wx := &wxfake.Platform{Kind: wxfake.WeCom, Token: token, AESKey: key, ReceiverID: corpID, Timeout: 5 * time.Second}
	return &rig{api: api, h: h, srv: srv, wx: wx}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// say has a customer write text, and WeChat announce it with a callback,
// which must be answered at once with success.
func (r *rig) say(t *testing.T, user, text string) {
	t.Helper()
	_, tok := r.api.KFCustomerSays(kfid, user, text)
	res := r.wx.Post(context.Background(), r.srv.URL, wxfake.KFEvent(corpID, tok, kfid))
	if res.Err != nil || res.Status != http.StatusOK || res.Body != "success" || res.Attempts != 1 {
		t.Fatalf("callback for %q: %d %q after %d tries (%v)", text, res.Status, res.Body, res.Attempts, res.Err)
	}
}

// texts waits until user received n messages, or 5 s passed.
func (r *rig) texts(user string, n int) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []string
	for _, s := range r.api.WaitSent(ctx, user, n) {
		out = append(out, s.Text)
	}
	return out
}

func TestVerifyURL(t *testing.T) {
	r := newRig(t, newAnswerer(nil), 0)
	tests := []struct {
		name   string
		tamper func(url.Values)
		status int
	}{
		{"good signature", nil, http.StatusOK},
		{"bad signature", func(q url.Values) { q.Set("msg_signature", strings.Repeat("0", 40)) }, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, want, err := r.wx.Verify(context.Background(), r.srv.URL, tt.tamper)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || (status == http.StatusOK && body != want) {
				t.Errorf("got %d %q, want %d %q", status, body, tt.status, want)
			}
		})
	}
}

// A customer asks and gets exactly one complete answer; the next message
// is fetched from the cursor, so the first is not answered again.
func TestAnswer(t *testing.T) {
	ans := newAnswerer(nil)
	r := newRig(t, ans, 0)
	r.say(t, "wmCustomer1", "小微企业有哪些减税政策？")
	if got := r.texts("wmCustomer1", 1); len(got) != 1 || got[0] != "答：小微企业有哪些减税政策？" {
		t.Fatalf("received %q, want the answer", got)
	}
	r.say(t, "wmCustomer1", "那申请条件呢？")
	got := r.texts("wmCustomer1", 2)
	if len(got) != 2 || got[1] != "答：那申请条件呢？" {
		t.Fatalf("received %q, want both answers", got)
	}
	time.Sleep(100 * time.Millisecond)
	if n := ans.total(); n != 2 {
		t.Errorf("answerer called %d times, want 2", n)
	}
	for _, s := range r.api.SentTo("wmCustomer1") {
		if s.API != "kf" || s.From != kfid {
			t.Errorf("sent %+v, want send_msg from %s", s, kfid)
		}
	}
}

// A slow answer: the core's "正在查询" note, then the answer, both by
// send_msg, the question asked once.
func TestSlowAnswer(t *testing.T) {
	ans := newAnswerer(func(string) time.Duration { return 500 * time.Millisecond })
	r := newRig(t, ans, 200*time.Millisecond)
	r.say(t, "wmCustomer1", "研发费用加计扣除？")
	got := r.texts("wmCustomer1", 2)
	if len(got) != 2 || got[0] != "正在查询，请稍候…" || got[1] != "答：研发费用加计扣除？" {
		t.Fatalf("received %q, want the note and the answer", got)
	}
	if n := ans.total(); n != 1 {
		t.Errorf("answerer called %d times, want 1", n)
	}
}

// A forged callback gets 403, and nothing is fetched or asked.
func TestBadSignature(t *testing.T) {
	ans := newAnswerer(nil)
	r := newRig(t, ans, 0)
	_, tok := r.api.KFCustomerSays(kfid, "wmCustomer1", "问题")
	res := r.wx.PostTampered(context.Background(), r.srv.URL, wxfake.KFEvent(corpID, tok, kfid), func(q url.Values) {
		q.Set("msg_signature", strings.Repeat("c", 40))
	})
	if res.Status != http.StatusForbidden {
		t.Errorf("status %d, want 403", res.Status)
	}
	time.Sleep(200 * time.Millisecond)
	if n := r.api.KFSyncs(); n != 0 {
		t.Errorf("%d fetches, want 0", n)
	}
	if n := ans.total(); n != 0 {
		t.Errorf("answerer called %d times, want 0", n)
	}
}

// A token WeCom no longer accepts is fetched again once and the call
// retried, for sync_msg, whose error the library reports by message only.
func TestExpiredToken(t *testing.T) {
	r := newRig(t, newAnswerer(nil), 0)
	r.say(t, "wmCustomer1", "问题一")
	if got := r.texts("wmCustomer1", 1); len(got) != 1 {
		t.Fatalf("first answer not sent: %q", got)
	}
	r.api.ExpireTokens()
	r.say(t, "wmCustomer1", "问题二")
	if got := r.texts("wmCustomer1", 2); len(got) != 2 || got[1] != "答：问题二" {
		t.Fatalf("received %q, want both answers", got)
	}
	if n := r.api.TokensIssued(); n != 2 {
		t.Errorf("%d tokens fetched, want 2", n)
	}
	if n := r.api.Rejected(); n != 1 {
		t.Errorf("%d calls rejected, want 1", n)
	}
}

// After a start, the account's old history is not answered again; what
// came while the bot was briefly down is.
func TestBacklog(t *testing.T) {
	ans := newAnswerer(nil)
	r := newRig(t, ans, 0)
	old := wxfake.KFMessage{MsgID: "old-1", OpenKfID: kfid, ExternalUserID: "wmOld", SendTime: time.Now().Add(-time.Hour).Unix(), Origin: 3, MsgType: "text"}
	old.Text = &struct {
		Content string `json:"content"`
	}{"昨天的问题"}
	r.api.KFAdd(old)
	servicer := wxfake.KFMessage{MsgID: "srv-1", OpenKfID: kfid, ExternalUserID: "wmCustomer1", SendTime: time.Now().Unix(), Origin: 5, MsgType: "text"}
	servicer.Text = &struct {
		Content string `json:"content"`
	}{"人工客服说的话"}
	r.api.KFAdd(servicer)
	r.say(t, "wmCustomer1", "今天的问题")
	if got := r.texts("wmCustomer1", 1); len(got) != 1 || got[0] != "答：今天的问题" {
		t.Fatalf("received %q, want today's answer", got)
	}
	time.Sleep(100 * time.Millisecond)
	if n := ans.total(); n != 1 || len(r.api.SentTo("wmOld")) != 0 {
		t.Errorf("answerer called %d times (%v), want only today's question", n, ans.calls)
	}
}

// Of an answer in seven messages, five go out, as one customer message
// allows; the other two wait for the next message and go out before its
// answer.
func TestQuota(t *testing.T) {
	r := newRig(t, newAnswerer(nil), 0, func(c *chat.Options) { c.ReplyMaxChars = 100 })
	r.say(t, "wmCustomer1", "长问题")
	if got := r.texts("wmCustomer1", 5); len(got) != 5 {
		t.Fatalf("received %d messages, want 5", len(got))
	}
	time.Sleep(300 * time.Millisecond)
	if got := r.api.SentTo("wmCustomer1"); len(got) != 5 {
		t.Fatalf("sent %d messages for one customer message, want 5", len(got))
	}
	r.say(t, "wmCustomer1", "问题二")
	got := r.texts("wmCustomer1", 8)
	if len(got) != 8 {
		t.Fatalf("received %d messages, want 8", len(got))
	}
	for i := range 7 {
		if !strings.HasPrefix(got[i], fmt.Sprintf("第%d段", i+1)) {
			t.Errorf("message %d is %.20q…, want part %d", i+1, got[i], i+1)
		}
	}
	if got[7] != "答：问题二" {
		t.Errorf("last message %q, want the second answer", got[7])
	}
}

// A send that fails for good waits for the customer's next message.
func TestFailedSendWaits(t *testing.T) {
	r := newRig(t, newAnswerer(nil), 0)
	r.api.Fail("/cgi-bin/kf/send_msg", 95018) // the session does not allow it now
	r.say(t, "wmCustomer1", "问题一")
	time.Sleep(300 * time.Millisecond)
	if n := r.h.box.Undelivered(); n != 1 {
		t.Fatalf("%d replies wait, want 1", n)
	}
	r.say(t, "wmCustomer1", "问题二")
	got := r.texts("wmCustomer1", 2)
	if len(got) != 2 || got[0] != "答：问题一" || got[1] != "答：问题二" {
		t.Fatalf("received %q, want both answers in order", got)
	}
}

// 50 customers send 6 messages each, all at once; each gets every answer
// once, in the order sent.
func TestManyChats(t *testing.T) {
	const users, questions = 50, 6
	ans := newAnswerer(func(q string) time.Duration { return time.Duration(len(q)%7) * time.Millisecond })
	r := newRig(t, ans, 0)
	var wg sync.WaitGroup
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("wmUser%02d", u)
			for q := range questions {
				_, tok := r.api.KFCustomerSays(kfid, user, fmt.Sprintf("客户%02d问题#%d", u, q))
				res := r.wx.Post(context.Background(), r.srv.URL, wxfake.KFEvent(corpID, tok, kfid))
				if res.Err != nil || res.Status != http.StatusOK {
					t.Errorf("%s callback %d: %d %v", user, q, res.Status, res.Err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for u := range users {
		user := fmt.Sprintf("wmUser%02d", u)
		got := r.texts(user, questions)
		if len(got) != questions {
			t.Errorf("%s received %d answers, want %d", user, len(got), questions)
			continue
		}
		for q, g := range got {
			if want := fmt.Sprintf("答：客户%02d问题#%d", u, q); g != want {
				t.Errorf("%s answer %d is %q, want %q", user, q+1, g, want)
			}
		}
	}
	if n := ans.total(); n != users*questions {
		t.Errorf("answerer called %d times, want %d", n, users*questions)
	}
}

func TestNewHandlerChecksOptions(t *testing.T) {
	good := Options{CorpID: corpID, Secret: secret, Token: token, EncodingAESKey: wxfake.NewAESKey()}
	tests := []struct {
		name   string
		change func(*Options)
	}{
		{"no corp id", func(o *Options) { o.CorpID = "" }},
		{"no secret", func(o *Options) { o.Secret = "" }},
		{"no token", func(o *Options) { o.Token = "" }},
		{"short aes key", func(o *Options) { o.EncodingAESKey = "short" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.change(&o)
			if _, err := NewHandler(chat.New(newAnswerer(nil), chat.Options{}, nil), o, nil); err == nil {
				t.Error("NewHandler accepted it")
			}
		})
	}
}
