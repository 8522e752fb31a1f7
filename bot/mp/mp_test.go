package mp

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
	appID     = "wx0123456789abcdef"
	appSecret = "app-secret-for-tests"
	original  = "gh_0123456789ab" // the account's original id, ToUserName
	token     = "callbacktoken"
)

// Timings, scaled down from WeChat's 5 s.
const (
	passiveWait = 500 * time.Millisecond
	// wechatWait is WeChat's timeout for one callback: 5 s in production,
	// here enough for a machine busy with other tests.
	wechatWait = 1500 * time.Millisecond
)

// answers returns what openid received, passively and by customer-service
// message, in order of arrival, less the core's pending note, waiting up
// to 5 s until done says it is all there.
func (r *rig) answers(t *testing.T, openid string, passive []wxfake.Result, done func([]string) bool) []string {
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
		for _, s := range r.api.SentTo(openid) {
			all = append(all, msg{s.Seq, s.Text})
		}
		sortBySeq(all, func(m msg) int64 { return m.seq })
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

// answerer answers "答：<question>" (or long text for questions starting
// with "长"), after delay(question). It counts the calls per question.
type answerer struct {
	delay func(q string) time.Duration

	mu    sync.Mutex
	calls map[string]int
	done  map[string]chan struct{}
}

func newAnswerer(delay func(string) time.Duration) *answerer {
	return &answerer{delay: delay, calls: map[string]int{}, done: map[string]chan struct{}{}}
}

func (a *answerer) finished(q string) chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	ch, ok := a.done[q]
	if !ok {
		ch = make(chan struct{})
		a.done[q] = ch
	}
	return ch
}

func (a *answerer) AnswerStream(ctx context.Context, q string, _ []string, _ func(string)) (answer.Result, error) {
	a.mu.Lock()
	a.calls[q]++
	a.mu.Unlock()
	defer func() {
		ch := a.finished(q)
		select {
		case <-ch:
		default:
			close(ch)
		}
	}()
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
		return answer.Result{Text: longAnswer(q), Found: true}, nil
	}
	return answer.Result{Text: "答：" + q, Found: true}, nil
}

func (a *answerer) count(q string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[q]
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

// longAnswer is about 1200 runes in sentences: two messages.
func longAnswer(q string) string {
	var b strings.Builder
	b.WriteString("答：" + q + "\n")
	for i := range 50 {
		fmt.Fprintf(&b, "第%02d句政策说明文字内容较长需要分条发送。", i)
	}
	return b.String()
}

type rig struct {
	api  *wxfake.API
	h    *Handler
	srv  *httptest.Server
	wx   *wxfake.Platform
	ans  *answerer
	opts Options
}

func newRig(t *testing.T, mode wxfake.Mode, verified bool, ans *answerer) *rig {
	t.Helper()
	api := wxfake.NewAPI(t)
	api.AppSecrets[appID] = appSecret
	api.Install(t)
	key := wxfake.NewAESKey()
	opts := Options{
		AppID: appID, AppSecret: appSecret, Token: token, EncodingAESKey: key,
		Verified: verified, PassiveWait: passiveWait, Welcome: "欢迎关注",
		attempts: 3, holdLimit: 10 * time.Second,
		retry: &wxreply.Retry{Attempts: 3, Backoff: 10 * time.Millisecond},
	}
	co := chat.Options{HistoryTurns: 2, MaxInputChars: 500, AnswerTimeout: 10 * time.Second, ReplyMaxChars: 600, SendInterval: 800 * time.Millisecond, PartPause: time.Second}
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
	wx := &wxfake.Platform{Kind: wxfake.OfficialAccount, Mode: mode, Token: token, AESKey: key, ReceiverID: appID, Timeout: wechatWait, Retries: 2, Seq: api.NextSeq}
	return &rig{api: api, h: h, srv: srv, wx: wx, ans: ans, opts: opts}
}

// testWriter sends the handler's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (r *rig) ask(t *testing.T, openid string, msgID int64, text string) wxfake.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := r.wx.Post(ctx, r.srv.URL, wxfake.OAText(original, openid, msgID, text))
	if res.Err != nil {
		t.Fatalf("ask %q: %v", text, res.Err)
	}
	if res.Status != http.StatusOK {
		t.Fatalf("ask %q: status %d %q", text, res.Status, res.Body)
	}
	return res
}

var modes = []struct {
	name string
	mode wxfake.Mode
}{
	{"plaintext", wxfake.Plain},
	{"compatible", wxfake.Compatible},
	{"safe", wxfake.Safe},
}

func TestVerifyURL(t *testing.T) {
	r := newRig(t, wxfake.Plain, false, newAnswerer(nil))
	tests := []struct {
		name   string
		tamper func(url.Values)
		status int
	}{
		{"good signature", nil, http.StatusOK},
		{"bad signature", func(q url.Values) { q.Set("signature", strings.Repeat("0", 40)) }, http.StatusForbidden},
		{"no signature", func(q url.Values) { q.Del("signature") }, http.StatusForbidden},
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

// A user asks and gets exactly one complete answer, in the callback's
// response, in every encryption mode, verified or not.
func TestAnswerInTime(t *testing.T) {
	for _, m := range modes {
		for _, verified := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s verified=%v", m.name, verified), func(t *testing.T) {
				r := newRig(t, m.mode, verified, newAnswerer(nil))
				res := r.ask(t, "openid-1", 1001, "小微企业有哪些减税政策？")
				if want := "答：小微企业有哪些减税政策？"; res.Reply != want {
					t.Errorf("reply %q, want %q", res.Reply, want)
				}
				if res.Attempts != 1 {
					t.Errorf("%d callbacks, want 1", res.Attempts)
				}
				if sent := r.api.Sent(); len(sent) != 0 {
					t.Errorf("customer-service messages %v, want none", sent)
				}
				if n := r.ans.total(); n != 1 {
					t.Errorf("answerer called %d times, want 1", n)
				}
			})
		}
	}
}

// A verified account answers at most "正在查询" in the window and sends
// the slow answer as a customer-service message.
func TestSlowAnswerVerified(t *testing.T) {
	ans := newAnswerer(func(string) time.Duration { return 2 * passiveWait })
	r := newRig(t, wxfake.Safe, true, ans)
	res := r.ask(t, "openid-1", 2001, "研发费用加计扣除比例是多少？")
	if res.Attempts != 1 || (res.Reply != "" && res.Reply != "正在查询，请稍候…") {
		t.Errorf("callback %d replied %q, want the pending note or nothing", res.Attempts, res.Reply)
	}
	got := r.answers(t, "openid-1", []wxfake.Result{res}, atLeast(1))
	if len(got) != 1 || got[0] != "答：研发费用加计扣除比例是多少？" {
		t.Fatalf("received %q, want the answer once", got)
	}
	if sent := r.api.SentTo("openid-1"); sent[len(sent)-1].API != "custom" {
		t.Errorf("answer sent as %+v, want a customer-service message", sent[len(sent)-1])
	}
	if n := ans.total(); n != 1 {
		t.Errorf("answerer called %d times, want 1", n)
	}
}

// An unverified account carries a slow answer on WeChat's retry of the
// same message, and the retry does not ask again.
func TestSlowAnswerUnverifiedOnRetry(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			// Too slow for the first callback, ready by the last.
			ans := newAnswerer(func(string) time.Duration { return wechatWait + passiveWait })
			r := newRig(t, m.mode, false, ans)
			res := r.ask(t, "openid-1", 3001, "高新技术企业所得税税率？")
			if res.Reply != "答：高新技术企业所得税税率？" {
				t.Errorf("reply %q, want the answer", res.Reply)
			}
			if res.Attempts < 2 || res.Attempts > 3 {
				t.Errorf("%d callbacks, want the answer on a retry", res.Attempts)
			}
			if n := ans.total(); n != 1 {
				t.Errorf("answerer called %d times over %d callbacks, want 1", n, res.Attempts)
			}
			if sent := r.api.Sent(); len(sent) != 0 {
				t.Errorf("customer-service messages %v, want none", sent)
			}
		})
	}
}

// When even the last retry is too early, the user is told to send "1",
// and "1" fetches the answer without being asked as a question.
func TestAnswerAfterLastRetry(t *testing.T) {
	const q = "科技型中小企业评价办法？"
	ans := newAnswerer(func(string) time.Duration { return 3*wechatWait + 2*passiveWait })
	r := newRig(t, wxfake.Safe, false, ans)
	res := r.ask(t, "openid-1", 4001, q)
	if res.Attempts != 3 || res.Reply != msgPending {
		t.Fatalf("callback %d replied %q, want the 3rd to reply %q", res.Attempts, res.Reply, msgPending)
	}
	select {
	case <-ans.finished(q):
	case <-time.After(5 * time.Second):
		t.Fatal("answer never finished")
	}
	res = r.ask(t, "openid-1", 4002, "1")
	if res.Reply != "答："+q {
		t.Errorf("reply to 1: %q, want the answer", res.Reply)
	}
	if ans.count(q) != 1 || ans.count("1") != 0 {
		t.Errorf("answerer calls %v, want the question once and 1 never", ans.calls)
	}
}

// A long answer is cut into messages of at most 2048 bytes, none lost,
// the first in the callback: the rest by customer-service message on a
// verified account, and one per message the user sends otherwise.
func TestLongAnswer(t *testing.T) {
	const q = "长问题"
	want := strings.Join(strings.Fields(longAnswer(q)), "")
	check := func(t *testing.T, parts []string) {
		t.Helper()
		var got strings.Builder
		for i, p := range parts {
			if len(p) > maxBytes {
				t.Errorf("part %d has %d bytes, over %d", i+1, len(p), maxBytes)
			}
			got.WriteString(strings.TrimSuffix(p, "\n"+msgMore))
		}
		if g := strings.Join(strings.Fields(got.String()), ""); g != want {
			t.Errorf("parts join to\n%s\nwant\n%s", g, want)
		}
	}
	t.Run("verified", func(t *testing.T) {
		r := newRig(t, wxfake.Safe, true, newAnswerer(nil))
		res := r.ask(t, "openid-1", 5001, q)
		parts := r.answers(t, "openid-1", []wxfake.Result{res}, func(s []string) bool {
			return len(s) > 0 && strings.Contains(s[len(s)-1], "第49句")
		})
		if len(parts) != 2 {
			t.Fatalf("got %d messages, want 2", len(parts))
		}
		check(t, parts)
	})
	t.Run("unverified", func(t *testing.T) {
		r := newRig(t, wxfake.Safe, false, newAnswerer(nil))
		parts := []string{r.ask(t, "openid-1", 5101, q).Reply}
		for i := range 1 {
			if !strings.HasSuffix(parts[len(parts)-1], msgMore) {
				t.Fatalf("message %d does not say more follows: %q", len(parts), parts[len(parts)-1])
			}
			parts = append(parts, r.ask(t, "openid-1", int64(5102+i), "1").Reply)
		}
		if strings.HasSuffix(parts[1], msgMore) {
			t.Errorf("last message says more follows")
		}
		check(t, parts)
	})
}

// A forged callback gets 403 and nothing is asked.
func TestBadSignature(t *testing.T) {
	tests := []struct {
		name   string
		mode   wxfake.Mode
		tamper func(url.Values)
	}{
		{"plaintext signature", wxfake.Plain, func(q url.Values) { q.Set("signature", strings.Repeat("a", 40)) }},
		{"safe signature", wxfake.Safe, func(q url.Values) { q.Set("signature", strings.Repeat("a", 40)) }},
		{"safe msg_signature", wxfake.Safe, func(q url.Values) { q.Set("msg_signature", strings.Repeat("a", 40)) }},
		{"replayed with another timestamp", wxfake.Safe, func(q url.Values) { q.Set("timestamp", "1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans := newAnswerer(nil)
			r := newRig(t, tt.mode, true, ans)
			res := r.wx.PostTampered(context.Background(), r.srv.URL, wxfake.OAText(original, "openid-1", 6001, "问题"), tt.tamper)
			if res.Status != http.StatusForbidden {
				t.Errorf("status %d %q, want 403", res.Status, res.Body)
			}
			time.Sleep(2 * passiveWait)
			if n := ans.total(); n != 0 {
				t.Errorf("answerer called %d times, want 0", n)
			}
			if sent := r.api.Sent(); len(sent) != 0 {
				t.Errorf("sent %v, want nothing", sent)
			}
		})
	}
}

// An access token WeChat no longer accepts is fetched again once, and the
// send is retried with it.
func TestExpiredToken(t *testing.T) {
	ans := newAnswerer(func(string) time.Duration { return 2 * passiveWait })
	r := newRig(t, wxfake.Safe, true, ans)
	first := r.ask(t, "openid-1", 7001, "问题一")
	if got := r.answers(t, "openid-1", []wxfake.Result{first}, atLeast(1)); len(got) != 1 {
		t.Fatalf("first answer not sent: %q", got)
	}
	issued := r.api.TokensIssued()
	r.api.ExpireTokens()
	second := r.ask(t, "openid-1", 7002, "问题二")
	got := r.answers(t, "openid-1", []wxfake.Result{first, second}, atLeast(2))
	if len(got) != 2 || got[1] != "答：问题二" {
		t.Fatalf("received %q, want both answers", got)
	}
	if n := r.api.TokensIssued(); issued != 1 || n != 2 {
		t.Errorf("tokens fetched: %d, then %d in all; want 1 then 2", issued, n)
	}
	if n := r.api.Rejected(); n != 1 {
		t.Errorf("%d calls rejected for their token, want 1", n)
	}
}

// A send that fails for a passing reason is tried again.
func TestSendRetried(t *testing.T) {
	ans := newAnswerer(func(string) time.Duration { return 2 * passiveWait })
	r := newRig(t, wxfake.Safe, true, ans)
	r.api.Fail("/cgi-bin/message/custom/send", -1, 500)
	res := r.ask(t, "openid-1", 8001, "问题")
	if got := r.answers(t, "openid-1", []wxfake.Result{res}, atLeast(1)); len(got) != 1 || got[0] != "答：问题" {
		t.Fatalf("received %q, want the answer after the failures", got)
	}
}

// Sends that keep failing leave the replies waiting (the pending note
// too, if it missed the window), and the user's next messages carry them.
func TestFailedSendWaitsForNextMessage(t *testing.T) {
	ans := newAnswerer(func(q string) time.Duration { return 2 * passiveWait })
	r := newRig(t, wxfake.Safe, true, ans)
	r.api.Fail("/cgi-bin/message/custom/send", 45015, 45015, 45015) // out of the 48-hour window
	first := r.ask(t, "openid-1", 9001, "问题")
	select {
	case <-ans.finished("问题"):
	case <-time.After(5 * time.Second):
		t.Fatal("answer never finished")
	}
	for deadline := time.Now().Add(5 * time.Second); r.h.box.Undelivered() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the send never failed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := []string{first.Reply}
	for i := range 3 {
		if r.h.box.Undelivered() == 0 {
			break
		}
		got = append(got, r.ask(t, "openid-1", int64(9002+i), "1").Reply)
	}
	if last := got[len(got)-1]; last != "答：问题" {
		t.Errorf("replies %q, want the answer that could not be sent last", got)
	}
	if ans.count("1") != 0 {
		t.Errorf("1 was asked as a question")
	}
	if sent := r.api.Sent(); len(sent) != 0 {
		t.Errorf("sent %v, want every send failed", sent)
	}
}

func TestWelcome(t *testing.T) {
	r := newRig(t, wxfake.Safe, false, newAnswerer(nil))
	res := r.wx.Post(context.Background(), r.srv.URL, wxfake.OAEvent(original, "openid-1", "subscribe"))
	if res.Err != nil || res.Reply != "欢迎关注" {
		t.Errorf("reply %q (%v), want the welcome", res.Reply, res.Err)
	}
}

// 50 users ask 6 questions each at once; every user gets every answer
// once, in the order asked, some of them slow.
func TestManyChats(t *testing.T) {
	const users, questions = 50, 6
	slow := func(q string) time.Duration {
		if strings.HasSuffix(q, "#3") {
			return 250 * time.Millisecond
		}
		return time.Duration(len(q)%3) * time.Millisecond
	}
	for _, verified := range []bool{true, false} {
		t.Run(fmt.Sprintf("verified=%v", verified), func(t *testing.T) {
			ans := newAnswerer(slow)
			r := newRig(t, wxfake.Safe, verified, ans)
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
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for u := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					openid := fmt.Sprintf("openid-%02d", u)
					for q := range questions {
						res := r.wx.Post(ctx, r.srv.URL, wxfake.OAText(original, openid, int64(u*100+q+1), fmt.Sprintf("用户%02d问题#%d", u, q)))
						if res.Err != nil || res.Status != http.StatusOK {
							t.Errorf("%s question %d: %d %v", openid, q, res.Status, res.Err)
							return
						}
						if res.Reply != "" {
							mu.Lock()
							replies[openid] = append(replies[openid], got{res.Seq, res.Reply})
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			for u := range users {
				openid := fmt.Sprintf("openid-%02d", u)
				var answers []got
				mu.Lock()
				all := append([]got(nil), replies[openid]...)
				mu.Unlock()
				want := questions
				if verified {
					// Slow answers come by customer-service message.
					deadline := time.Now().Add(5 * time.Second)
					for {
						all = all[:0]
						mu.Lock()
						all = append(all, replies[openid]...)
						mu.Unlock()
						for _, s := range r.api.SentTo(openid) {
							all = append(all, got{s.Seq, s.Text})
						}
						if countAnswers(all) >= want || time.Now().After(deadline) {
							break
						}
						time.Sleep(20 * time.Millisecond)
					}
				}
				sortBySeq(all, func(g got) int64 { return g.seq })
				for _, g := range all {
					if strings.HasPrefix(g.text, "答：") {
						answers = append(answers, g)
					}
				}
				if len(answers) != want {
					t.Errorf("%s got %d answers, want %d: %v", openid, len(answers), want, all)
					continue
				}
				for q, a := range answers {
					if w := fmt.Sprintf("答：用户%02d问题#%d", u, q); a.text != w {
						t.Errorf("%s answer %d is %q, want %q", openid, q+1, a.text, w)
					}
				}
			}
			if n := ans.total(); n != users*questions {
				t.Errorf("answerer called %d times, want %d", n, users*questions)
			}
		})
	}
}

func countAnswers[T any](all []T) int {
	n := 0
	for _, g := range all {
		if strings.Contains(fmt.Sprint(g), "答：") {
			n++
		}
	}
	return n
}

func sortBySeq[T any](s []T, key func(T) int64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && key(s[j]) < key(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestTune(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		in          chat.Options
		wantMax     int
		wantPending time.Duration
	}{
		{"unverified never sends the pending note", Options{}, chat.Options{ReplyMaxChars: 600, PendingAfter: 4 * time.Second, SendInterval: time.Second}, 600, 0},
		{"verified sends it within the window", Options{Verified: true}, chat.Options{ReplyMaxChars: 2000}, replyRunes, 3500 * time.Millisecond},
		{"no limit becomes the platform's", Options{}, chat.Options{}, replyRunes, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.in
			Tune(tt.opts)(&c)
			if c.ReplyMaxChars != tt.wantMax || c.PendingAfter != tt.wantPending || c.SendInterval != 0 || c.Channel != "mp" || c.MaxMessages < 1 || c.MaxMessages > pushQuota {
				t.Errorf("got max %d pending %s interval %s channel %q messages %d", c.ReplyMaxChars, c.PendingAfter, c.SendInterval, c.Channel, c.MaxMessages)
			}
		})
	}
}

func TestNewHandlerChecksOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no app id", Options{Token: "t"}},
		{"no token", Options{AppID: "a"}},
		{"verified without secret", Options{AppID: "a", Token: "t", Verified: true}},
		{"short aes key", Options{AppID: "a", Token: "t", EncodingAESKey: "abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewHandler(chat.New(newAnswerer(nil), chat.Options{}, nil), tt.opts, nil); err == nil {
				t.Error("NewHandler accepted it")
			}
		})
	}
}
