package wechat

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"

	botanswer "github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/config"
	"github.com/policybot/policybot/corpus"
)

// longAnswerer answers with more than one 100-rune message: its head
// (lead, 时效 and 来源) first, then the details.
type longAnswerer struct{}

func (longAnswerer) AnswerStream(context.Context, string, []string, func(string)) (botanswer.Result, error) {
	cites := []botanswer.Citation{{N: 1, DocID: "d1", Title: "关于支持企业发展的若干措施", DocNo: "某政发〔2018〕1号", Clause: "第三条", Issued: "2018-07-11",
		Validity: corpus.Validity{Status: corpus.StatusExpired, Until: "2020-12-31"}}}
	r := botanswer.Result{Lead: "奖励40万元[1]。", Body: strings.Repeat("很长的细节。", 10), Citations: cites, Found: true,
		Validity: []string{"[1]执行期限已于2020年12月31日结束。"}}
	r.Text = r.Head() + "\n\n" + r.Details()
	return r, nil
}

// startRun logs the real library in to f by hot login and runs it with
// h until the test ends; opts are completed with what every run needs.
func startRun(t *testing.T, f *fakeWeChat, h handler, opts Options) (logs *syncBuffer, done <-chan error, cancel context.CancelFunc) {
	t.Helper()
	opts.StoragePath = filepath.Join(t.TempDir(), "storage.json")
	writeHotStorage(t, opts.StoragePath)
	if opts.QROut == nil {
		opts.QROut = &syncBuffer{}
	}
	opts.HandleTimeout, opts.transport, opts.retryPause = time.Minute, f.transport(), time.Millisecond
	if opts.sendBackoff == nil {
		opts.sendBackoff = []time.Duration{time.Millisecond, time.Millisecond}
	}
	logs = &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return logs, runInBackground(ctx, h, opts, testLogger(logs)), cancel
}

// TestRunDeliveryTracked: a send WeChat refuses is tried again, at most
// three times, except when WeChat has ended the session; the Q&A record,
// written after sending, says whether the answer reached the user; and
// when the second message of an answer cannot be sent, the first, which
// was, holds its 时效 and 来源.
func TestRunDeliveryTracked(t *testing.T) {
	tests := []struct {
		name          string
		sendRet       func(n int) int // n-th webwxsendmsg, from 1
		wantSent      int             // messages the fake took
		wantTries     int             // webwxsendmsg requests
		wantDelivered bool
		wantErr       string // in the record's delivery_error
	}{
		{"all sent", nil, 2, 2, true, ""},
		{"first try of the first part refused", func(n int) int { return map[int]int{1: 1205}[n] }, 2, 3, true, ""},
		{"second part refused three times", func(n int) int {
			if n >= 2 {
				return 1205
			}
			return 0
		}, 1, 4, false, "part 2 of 2: send wechat text to @friend1 (3 tries): operate too often"},
		{"session gone: no retry", func(n int) int {
			if n >= 2 {
				return 1101
			}
			return 0
		}, 1, 2, false, "(1 tries): failed login check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeWeChat(t)
			f.sendRet = tt.sendRet
			j, err := journal.Open(t.TempDir(), 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			coreLogs := &syncBuffer{}
			conv := chat.New(longAnswerer{}, chat.Options{ReplyMaxChars: 100, Journal: j, Channel: "wechat"}, testLogger(coreLogs))
			_, done, cancel := startRun(t, f, conv, Options{})
			f.events <- syncEvent{msgs: []map[string]any{textFrom("7101", fakeFriend, "补贴有多少？", 1795000400)}}
			var sent []sentText
			for range tt.wantSent {
				sent = append(sent, await(t, f.sent, "a part of the answer"))
			}
			// The record is written once the answer is done with.
			deadline := time.Now().Add(30 * time.Second)
			var es []journal.Entry
			for len(es) == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
				es, err = j.Entries(t.Context(), time.Time{})
				if err != nil {
					t.Fatal(err)
				}
			}
			cancel()
			if err := await(t, done, "Run to return"); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := f.sendCount(); got != tt.wantTries {
				t.Errorf("got %d webwxsendmsg requests, want %d", got, tt.wantTries)
			}
			if len(es) != 1 {
				t.Fatalf("got %d records, want 1", len(es))
			}
			if e := es[0]; e.Delivered != tt.wantDelivered || !strings.Contains(e.DeliveryError, tt.wantErr) || (tt.wantErr == "") != (e.DeliveryError == "") {
				t.Errorf("got record delivered %v, delivery error %q; want %v, %q", e.Delivered, e.DeliveryError, tt.wantDelivered, tt.wantErr)
			}
			if first := sent[0].content; !strings.Contains(first, "时效：[1]已于2020年12月31日失效") || !strings.Contains(first, "来源：[1]《") {
				t.Errorf("the first message lacks 时效 or 来源: %q", first)
			}
			out := coreLogs.String()
			if got := strings.Contains(out, `level=ERROR msg="answer not delivered" chat=`+journal.ChatHash(fakeFriend)); got == tt.wantDelivered {
				t.Errorf("core log has the Error line with the chat hash: %v, want %v:\n%s", got, !tt.wantDelivered, out)
			}
		})
	}
}

// TestSendRetry: a failed send is tried again after each pause, three
// tries in all, not when WeChat has ended the session, and not beyond the
// answer's context.
func TestSendRetry(t *testing.T) {
	refused, gone := openwechat.Ret(1205), openwechat.Ret(1101)
	tests := []struct {
		name      string
		fails     []error // the n-th try's error; nil or past the end: success
		backoff   []time.Duration
		timeout   time.Duration
		wantTries int
		wantErr   []error
	}{
		{"first try", nil, nil, time.Minute, 1, nil},
		{"second try", []error{refused}, nil, time.Minute, 2, nil},
		{"third try", []error{refused, refused}, nil, time.Minute, 3, nil},
		{"three refusals", []error{refused, refused, refused, nil}, nil, time.Minute, 3, []error{refused}},
		{"session gone", []error{gone, nil}, nil, time.Minute, 1, []error{gone}},
		{"context ends in the pause", []error{refused, nil}, []time.Duration{time.Hour, time.Hour}, 20 * time.Millisecond, 1,
			[]error{refused, context.DeadlineExceeded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.backoff == nil {
				tt.backoff = []time.Duration{time.Millisecond, time.Millisecond}
			}
			o := &outbox{backoff: tt.backoff, log: testLogger(&syncBuffer{})}
			ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
			defer cancel()
			tries := 0
			err := o.retry(ctx, func(context.Context) error {
				tries++
				if tries <= len(tt.fails) {
					return tt.fails[tries-1]
				}
				return nil
			})
			if tries != tt.wantTries {
				t.Errorf("got %d tries, want %d", tries, tt.wantTries)
			}
			if (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("got error %v, want it to match %v", err, want)
				}
			}
		})
	}
}

// TestRunStopsWhenKickedSoonAfterLogin: WeChat ending the session with
// retcode 1102 soon after login means the account is likely restricted;
// Run stops with ErrRestricted and a clear message, showing no QR code,
// even with on_logout relogin. Other endings, or a 1102 later than the
// window, go on as OnLogout says.
func TestRunStopsWhenKickedSoonAfterLogin(t *testing.T) {
	tests := []struct {
		name           string
		retcode        string
		onLogout       string
		window         time.Duration
		wantRestricted bool
		wantRelogin    bool
	}{
		{"1102 soon after login, relogin", "1102", onLogoutRelogin, 0, true, false},
		{"1102 soon after login, exit", "1102", onLogoutExit, 0, true, false},
		{"1102 after the window, relogin", "1102", onLogoutRelogin, time.Nanosecond, false, true},
		{"window off, relogin", "1102", onLogoutRelogin, -1, false, true},
		{"1101 soon after login, relogin", "1101", onLogoutRelogin, 0, false, true},
		{"1101 soon after login, exit", "1101", onLogoutExit, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeWeChat(t)
			qr := &syncBuffer{}
			logs, done, cancel := startRun(t, f, &fakeHandler{}, Options{OnLogout: tt.onLogout, KickWindow: tt.window, QROut: qr})
			await(t, f.polling, "the first poll")
			f.events <- syncEvent{retcode: tt.retcode}
			var err error
			if tt.wantRelogin {
				await(t, f.polling, "the poll after logging in again")
				cancel()
				err = await(t, done, "Run to return")
				if err != nil {
					t.Fatalf("got %v, want nil after cancel", err)
				}
			} else {
				err = await(t, done, "Run to return")
			}
			if got := errors.Is(err, ErrRestricted); got != tt.wantRestricted {
				t.Errorf("got error %v, want ErrRestricted %v", err, tt.wantRestricted)
			}
			if !tt.wantRelogin && err == nil {
				t.Error("got nil error, want one")
			}
			f.mu.Lock()
			inits := f.inits
			f.mu.Unlock()
			if want := map[bool]int{false: 1, true: 2}[tt.wantRelogin]; inits != want {
				t.Errorf("got %d logins, want %d", inits, want)
			}
			out := qr.String()
			if strings.Contains(out, "二维码") || f.sawPath("/jslogin") {
				t.Errorf("a QR code was shown:\n%s", out)
			}
			if got := strings.Contains(out, "请不要现在重新扫码登录"); got != tt.wantRestricted {
				t.Errorf("login screen says not to rescan: got %v, want %v:\n%s", got, tt.wantRestricted, out)
			}
			if tt.wantRestricted {
				for _, want := range []string{"do not scan a new QR code now", "policybot serve --channel mp,wecom,kf", "retcode 1102"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
				if !strings.Contains(logs.String(), "level=ERROR") {
					t.Error("no Error line in the log")
				}
			}
		})
	}
}

// TestRunIgnoresChatterByDefault: with the program's default config, a
// group message that happens to start with 政策 is chatter, not a
// question; one that @-mentions the bot is answered.
func TestRunIgnoresChatterByDefault(t *testing.T) {
	cfg := config.DefaultConfig()
	f := newFakeWeChat(t)
	a := &recordingAnswerer{}
	conv := chat.New(a, chat.Options{GroupPrefix: cfg.WeChat.GroupPrefix, UserPerMinute: float64(cfg.Bot.UserRate.PerMinute), UserBurst: cfg.Bot.UserRate.Burst}, nil)
	_, done, cancel := startRun(t, f, conv, Options{OnLogout: cfg.WeChat.OnLogout, Groups: cfg.WeChat.Groups})
	const chatter = "政策这东西太难懂了，大家怎么看？"
	f.events <- syncEvent{msgs: []map[string]any{
		groupText("7201", fakeGroup, fakeMember, chatter, 1795000500),
		groupText("7202", fakeGroup, fakeMember, "政策：高企有什么奖励？", 1795000501),
		groupText("7203", fakeGroup, fakeMember, "@"+fakeSelfNick+"\u2005高企有什么奖励？", 1795000502),
	}}
	s := await(t, f.sent, "the answer to the mention")
	cancel()
	if err := await(t, done, "Run to return"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := a.questions(); len(got) != 1 || got[0] != "高企有什么奖励？" {
		t.Errorf("got questions %q, want only the mention's", got)
	}
	if !strings.HasPrefix(s.content, "@李会计\u2005答：高企有什么奖励？") {
		t.Errorf("got %q, want the answer to the mention", s.content)
	}
	select {
	case s := <-f.sent:
		t.Errorf("got another send %q, want none", s.content)
	default:
	}
}

// recordingAnswerer answers "答：<question>" and keeps every question with
// its history.
type recordingAnswerer struct {
	mu    sync.Mutex
	calls [][2]string // question, history joined with |
}

func (r *recordingAnswerer) AnswerStream(_ context.Context, q string, history []string, _ func(string)) (botanswer.Result, error) {
	r.mu.Lock()
	r.calls = append(r.calls, [2]string{q, strings.Join(history, "|")})
	r.mu.Unlock()
	return botanswer.Result{Text: "答：" + q, Found: true}, nil
}

func (r *recordingAnswerer) questions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var qs []string
	for _, c := range r.calls {
		qs = append(qs, c[0])
	}
	return qs
}

func (r *recordingAnswerer) asked(q string) (history string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if c[0] == q {
			return c[1], true
		}
	}
	return "", false
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		endpoint string
		ok       bool
	}{
		{"http://127.0.0.1:8081", true},
		{"https://fake.example", true},
		{"127.0.0.1:8081", false},
		{"ftp://127.0.0.1", false},
		{"http://", false},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			o, err := Options{StoragePath: "x", Endpoint: tt.endpoint}.withDefaults()
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok %v", err, tt.ok)
			}
			if tt.ok && o.transport == nil {
				t.Error("no transport to the endpoint")
			}
		})
	}
}
