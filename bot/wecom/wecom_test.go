package wecom

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
	corpID  = "ww0123456789abcdef"
	agentID = "1000002"
	secret  = "app-secret-for-tests"
	token   = "callbacktoken"
)

// Timings, scaled down from WeChat's 5 s.
const (
	passiveWait = 500 * time.Millisecond
	// wechatWait is WeChat's timeout for one callback: 5 s in production,
	// here enough for a machine busy with other tests.
	wechatWait = 1500 * time.Millisecond
)

// answers returns what user received, passively and by app message, in
// order of arrival, waiting up to 5 s until done says it is all there.
func (r *rig) answers(t *testing.T, user string, passive []wxfake.Result, done func([]string) bool) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		type msg struct {
			seq  int64
			text string
		}
		var all []msg
		for _, p := range passive {
			if p.Reply != "" {
				all = append(all, msg{p.Seq, p.Reply})
			}
		}
		for _, s := range r.api.SentTo(user) {
			all = append(all, msg{s.Seq, s.Text})
		}
		for i := 1; i < len(all); i++ {
			for j := i; j > 0 && all[j].seq < all[j-1].seq; j-- {
				all[j], all[j-1] = all[j-1], all[j]
			}
		}
		var texts []string
		for _, m := range all {
			if m.text != "正在查询，请稍候…" {
				texts = append(texts, m.text)
			}
		}
		if done(texts) || time.Now().After(deadline) {
			return texts
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func atLeast(n int) func([]string) bool {
	return func(s []string) bool { return len(s) >= n }
}

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
		b.WriteString("答：" + q + "\n")
		for i := range 60 {
			fmt.Fprintf(&b, "第%02d句企业微信的说明文字较长需要分条发送。", i)
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

func newRig(t *testing.T, ans *answerer) *rig {
	t.Helper()
	api := wxfake.NewAPI(t)
	api.CorpSecrets[corpID] = secret
	api.Install(t)
	key := wxfake.NewAESKey()
	opts := Options{
		CorpID: corpID, AgentID: agentID, Secret: secret, Token: token, EncodingAESKey: key,
		PassiveWait: passiveWait, attempts: 3, holdLimit: 10 * time.Second,
		retry: &wxreply.Retry{Attempts: 3, Backoff: 10 * time.Millisecond},
	}
	co := chat.Options{HistoryTurns: 2, MaxInputChars: 500, AnswerTimeout: 10 * time.Second, ReplyMaxChars: 600, SendInterval: time.Second, PartPause: time.Second}
	Tune(opts)(&co)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, err := NewHandler(chat.New(ans, co, log), opts, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Stamp(h))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	wx := &wxfake.Platform{Kind: wxfake.WeCom, Token: token, AESKey: key, ReceiverID: corpID, Timeout: wechatWait, Retries: 2, Seq: api.NextSeq}
	return &rig{api: api, h: h, srv: srv, wx: wx}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (r *rig) ask(t *testing.T, user string, msgID int64, text string) wxfake.Result {
	t.Helper()
	res := r.wx.Post(context.Background(), r.srv.URL, wxfake.WeComText(corpID, user, agentID, msgID, text))
	if res.Err != nil || res.Status != http.StatusOK {
		t.Fatalf("ask %q: %d %q %v", text, res.Status, res.Body, res.Err)
	}
	return res
}

func TestVerifyURL(t *testing.T) {
	r := newRig(t, newAnswerer(nil))
	tests := []struct {
		name   string
		tamper func(url.Values)
		status int
	}{
		{"good signature", nil, http.StatusOK},
		{"bad signature", func(q url.Values) { q.Set("msg_signature", strings.Repeat("0", 40)) }, http.StatusForbidden},
		{"echostr changed", func(q url.Values) { q.Set("echostr", q.Get("echostr")+"A") }, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, want, err := r.wx.Verify(context.Background(), r.srv.URL, tt.tamper)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			if status == http.StatusOK && body != want {
				t.Errorf("body %q, want %q", body, want)
			}
		})
	}
}

// A member asks and gets one complete answer, encrypted in the callback's
// response; a retry of the same message repeats it without asking again.
func TestAnswerInTime(t *testing.T) {
	ans := newAnswerer(nil)
	r := newRig(t, ans)
	res := r.ask(t, "zhangsan", 1001, "研发费用加计扣除比例？")
	if res.Reply != "答：研发费用加计扣除比例？" || res.Attempts != 1 {
		t.Errorf("callback %d replied %q, want the answer at once", res.Attempts, res.Reply)
	}
	// WeChat did not get that reply and posts the message again.
	again := r.ask(t, "zhangsan", 1001, "研发费用加计扣除比例？")
	if again.Reply != res.Reply {
		t.Errorf("repeated callback replied %q, want %q", again.Reply, res.Reply)
	}
	if n := ans.total(); n != 1 {
		t.Errorf("answerer called %d times, want 1", n)
	}
	if sent := r.api.Sent(); len(sent) != 0 {
		t.Errorf("app messages %v, want none", sent)
	}
}

// A slow answer: at most "正在查询" in the window, then the answer as an
// app message; the answer is asked once.
func TestSlowAnswer(t *testing.T) {
	ans := newAnswerer(func(string) time.Duration { return 2 * passiveWait })
	r := newRig(t, ans)
	res := r.ask(t, "zhangsan", 2001, "小规模纳税人标准？")
	if res.Attempts != 1 || (res.Reply != "" && res.Reply != "正在查询，请稍候…") {
		t.Errorf("callback %d replied %q, want the pending note or nothing", res.Attempts, res.Reply)
	}
	got := r.answers(t, "zhangsan", []wxfake.Result{res}, atLeast(1))
	if len(got) != 1 || got[0] != "答：小规模纳税人标准？" {
		t.Fatalf("received %q, want the answer once", got)
	}
	sent := r.api.SentTo("zhangsan")
	if last := sent[len(sent)-1]; last.From != agentID || last.API != "app" {
		t.Errorf("answer sent as %+v, want an app message from agent %s", last, agentID)
	}
	if n := ans.total(); n != 1 {
		t.Errorf("answerer called %d times, want 1", n)
	}
}

// A long answer goes out in messages of at most 2048 bytes: the first in
// the callback, the rest as app messages.
func TestLongAnswer(t *testing.T) {
	r := newRig(t, newAnswerer(nil))
	res := r.ask(t, "zhangsan", 3001, "长问题")
	parts := r.answers(t, "zhangsan", []wxfake.Result{res}, func(s []string) bool {
		return len(s) > 0 && strings.Contains(s[len(s)-1], "第59句")
	})
	if len(parts) < 2 {
		t.Fatalf("got %d messages, want the answer split", len(parts))
	}
	for i, p := range parts {
		if len(p) > maxBytes {
			t.Errorf("message %d has %d bytes", i+1, len(p))
		}
	}
	if !strings.HasPrefix(parts[0], "答：长问题") || !strings.HasSuffix(parts[len(parts)-1], "第59句企业微信的说明文字较长需要分条发送。") {
		t.Errorf("messages do not start and end the answer: %q", parts)
	}
}

func TestBadSignature(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(url.Values)
	}{
		{"forged msg_signature", func(q url.Values) { q.Set("msg_signature", strings.Repeat("b", 40)) }},
		{"no msg_signature", func(q url.Values) { q.Del("msg_signature") }},
		{"other nonce", func(q url.Values) { q.Set("nonce", "1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans := newAnswerer(nil)
			r := newRig(t, ans)
			res := r.wx.PostTampered(context.Background(), r.srv.URL, wxfake.WeComText(corpID, "zhangsan", agentID, 4001, "问题"), tt.tamper)
			if res.Status != http.StatusForbidden {
				t.Errorf("status %d, want 403", res.Status)
			}
			time.Sleep(2 * passiveWait)
			if n := ans.total(); n != 0 {
				t.Errorf("answerer called %d times, want 0", n)
			}
		})
	}
}

// A token WeCom no longer accepts is fetched again once, and the send
// retried.
func TestExpiredToken(t *testing.T) {
	ans := newAnswerer(func(string) time.Duration { return 2 * passiveWait })
	r := newRig(t, ans)
	first := r.ask(t, "zhangsan", 5001, "问题一")
	if got := r.answers(t, "zhangsan", []wxfake.Result{first}, atLeast(1)); len(got) != 1 {
		t.Fatalf("first answer not sent: %q", got)
	}
	issued := r.api.TokensIssued()
	r.api.ExpireTokens()
	second := r.ask(t, "zhangsan", 5002, "问题二")
	got := r.answers(t, "zhangsan", []wxfake.Result{first, second}, atLeast(2))
	if len(got) != 2 || got[1] != "答：问题二" {
		t.Fatalf("received %q, want both answers", got)
	}
	if n := r.api.TokensIssued(); issued != 1 || n != 2 {
		t.Errorf("tokens fetched: %d, then %d in all; want 1 then 2", issued, n)
	}
	if n := r.api.Rejected(); n != 1 {
		t.Errorf("%d calls rejected, want 1", n)
	}
}

// 50 members ask 6 questions each at once, some slow; each gets every
// answer once, in order.
func TestManyChats(t *testing.T) {
	const users, questions = 50, 6
	ans := newAnswerer(func(q string) time.Duration {
		if strings.HasSuffix(q, "#2") {
			return 250 * time.Millisecond
		}
		return time.Duration(len(q)%3) * time.Millisecond
	})
	r := newRig(t, ans)
	r.wx.Timeout = 5 * time.Second // WeChat's own: the test is about order, not speed
	type got struct {
		seq  int64
		text string
	}
	var (
		mu      sync.Mutex
		replies = map[string][]got{}
		wg      sync.WaitGroup
	)
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("user%02d", u)
			for q := range questions {
				res := r.wx.Post(context.Background(), r.srv.URL, wxfake.WeComText(corpID, user, agentID, int64(u*100+q+1), fmt.Sprintf("成员%02d问题#%d", u, q)))
				if res.Err != nil || res.Status != http.StatusOK {
					t.Errorf("%s question %d: %d %v", user, q, res.Status, res.Err)
					return
				}
				if res.Reply != "" {
					mu.Lock()
					replies[user] = append(replies[user], got{res.Seq, res.Reply})
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for u := range users {
		user := fmt.Sprintf("user%02d", u)
		var answers []got
		for {
			var all []got
			mu.Lock()
			all = append(all, replies[user]...)
			mu.Unlock()
			for _, s := range r.api.SentTo(user) {
				all = append(all, got{s.Seq, s.Text})
			}
			answers = answers[:0]
			for _, g := range all {
				if strings.HasPrefix(g.text, "答：") {
					answers = append(answers, g)
				}
			}
			if len(answers) >= questions || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		for i := 1; i < len(answers); i++ {
			for j := i; j > 0 && answers[j].seq < answers[j-1].seq; j-- {
				answers[j], answers[j-1] = answers[j-1], answers[j]
			}
		}
		if len(answers) != questions {
			t.Errorf("%s got %d answers, want %d", user, len(answers), questions)
			continue
		}
		for q, a := range answers {
			if w := fmt.Sprintf("答：成员%02d问题#%d", u, q); a.text != w {
				t.Errorf("%s answer %d is %q, want %q", user, q+1, a.text, w)
			}
		}
	}
	if n := ans.total(); n != users*questions {
		t.Errorf("answerer called %d times, want %d", n, users*questions)
	}
}

func TestNewHandlerChecksOptions(t *testing.T) {
	good := Options{CorpID: corpID, AgentID: agentID, Secret: secret, Token: token, EncodingAESKey: wxfake.NewAESKey()}
	tests := []struct {
		name   string
		change func(*Options)
	}{
		{"no corp id", func(o *Options) { o.CorpID = "" }},
		{"no agent id", func(o *Options) { o.AgentID = "" }},
		{"no secret", func(o *Options) { o.Secret = "" }},
		{"no token", func(o *Options) { o.Token = "" }},
		{"no aes key", func(o *Options) { o.EncodingAESKey = "" }},
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
	if _, err := NewHandler(chat.New(newAnswerer(nil), chat.Options{}, nil), good, nil); err != nil {
		t.Errorf("NewHandler(good) = %v", err)
	}
}
