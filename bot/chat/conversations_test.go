package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
)

// convCall is one call the fake answerer received.
type convCall struct {
	question string
	history  []string
}

// convAnswerer answers "答：<question>" with two citations, unless answer
// is set. It records every call.
type convAnswerer struct {
	mu     sync.Mutex
	calls  []convCall
	answer func(ctx context.Context, question string) (answer.Result, error)
}

func (f *convAnswerer) AnswerStream(ctx context.Context, question string, history []string, _ func(string)) (answer.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, convCall{question, history})
	f.mu.Unlock()
	if f.answer != nil {
		return f.answer(ctx, question)
	}
	return answer.Result{Text: "答：" + question, Found: true, Citations: convCitations}, nil
}

func (f *convAnswerer) questions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var qs []string
	for _, c := range f.calls {
		qs = append(qs, c.question)
	}
	return qs
}

func (f *convAnswerer) histories() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hs []string
	for _, c := range f.calls {
		hs = append(hs, strings.Join(c.history, "|"))
	}
	return hs
}

var convCitations = []answer.Citation{
	{N: 1, DocID: "d1", Title: "关于支持企业发展的若干措施", DocNo: "冀政发〔2018〕1号", Clause: "第三条", Text: "对小微企业给予补贴。"},
	{N: 2, DocID: "d2", Title: "关于稳定就业的通知", DocNo: "冀政办〔2018〕2号", Clause: "第五条", Text: "对稳岗企业返还失业保险费。"},
}

// convRecorder is a Sender that keeps what was sent. onSend, if set, runs
// after each send with the reply.
type convRecorder struct {
	mu      sync.Mutex
	replies []Reply
	onSend  func(Reply)
}

func (r *convRecorder) send(_ context.Context, rep Reply) error {
	r.mu.Lock()
	r.replies = append(r.replies, rep)
	r.mu.Unlock()
	if r.onSend != nil {
		r.onSend(rep)
	}
	return nil
}

func (r *convRecorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ts []string
	for _, rep := range r.replies {
		ts = append(ts, rep.Text)
	}
	return ts
}

// convClock is a settable clock.
type convClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *convClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *convClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func convPrivate(id, text string) Message {
	return Message{ID: id, ChatID: "alice", SenderID: "alice", SenderName: "Alice", Text: text, Kind: KindText}
}

func convGroup(id, text string, mentioned bool) Message {
	return Message{ID: id, ChatID: "g1", SenderID: "bob", SenderName: "张三", Text: text, Kind: KindText, Group: true, Mentioned: mentioned}
}

func TestHandleRouting(t *testing.T) {
	nonText := convPrivate("1", "")
	nonText.Kind = KindImage
	groupImage := convGroup("1", "", true)
	groupImage.Kind = KindVoice
	self := convPrivate("1", "补贴怎么申请")
	self.Self = true
	onlyG2 := func(chat string) bool { return chat == "g2" }
	onlyG1 := func(chat string) bool { return chat == "g1" }
	long := strings.Repeat("长", 21)

	tests := []struct {
		name        string
		opts        Options
		msg         Message
		wantReplies []Reply
		wantAsked   []string
	}{
		{"private", Options{}, convPrivate("1", " 补贴怎么申请 "), []Reply{{Text: "答：补贴怎么申请"}}, []string{"补贴怎么申请"}},
		{"group without mention", Options{}, convGroup("1", "补贴怎么申请", false), nil, nil},
		{"group mention first", Options{}, convGroup("1", "@政策助手\u2005补贴怎么申请", true), []Reply{{Text: "答：补贴怎么申请", Mention: "张三"}}, []string{"补贴怎么申请"}},
		{"group mention with space", Options{}, convGroup("1", "@政策助手 补贴怎么申请", true), []Reply{{Text: "答：补贴怎么申请", Mention: "张三"}}, []string{"补贴怎么申请"}},
		{"group mention last", Options{}, convGroup("1", "补贴怎么申请 @政策助手", true), []Reply{{Text: "答：补贴怎么申请", Mention: "张三"}}, []string{"补贴怎么申请"}},
		{"group mention and email kept", Options{}, convGroup("1", "@政策助手\u2005发到a@b.cn可以吗", true), []Reply{{Text: "答：发到a@b.cn可以吗", Mention: "张三"}}, []string{"发到a@b.cn可以吗"}},
		{"group prefix", Options{GroupPrefix: "问："}, convGroup("1", "问：补贴怎么申请", false), []Reply{{Text: "答：补贴怎么申请", Mention: "张三"}}, []string{"补贴怎么申请"}},
		{"group prefix not configured", Options{}, convGroup("1", "问：补贴怎么申请", false), nil, nil},
		{"group other text with prefix configured", Options{GroupPrefix: "问："}, convGroup("1", "大家好", false), nil, nil},
		{"group not allowed", Options{AllowGroup: onlyG2}, convGroup("1", "@政策助手 补贴怎么申请", true), nil, nil},
		{"group allowed", Options{AllowGroup: onlyG1}, convGroup("1", "@政策助手 补贴怎么申请", true), []Reply{{Text: "答：补贴怎么申请", Mention: "张三"}}, []string{"补贴怎么申请"}},
		{"non-text private", Options{}, nonText, []Reply{{Text: msgNonText}}, nil},
		{"non-text group", Options{}, groupImage, nil, nil},
		{"self", Options{}, self, nil, nil},
		{"empty", Options{}, convPrivate("1", " \u3000 "), []Reply{{Text: msgEmpty}}, nil},
		{"only punctuation", Options{}, convPrivate("1", "？？"), []Reply{{Text: msgEmpty}}, nil},
		{"only a sticker", Options{}, convPrivate("1", "[微笑]"), []Reply{{Text: msgEmpty}}, nil},
		{"group mention only", Options{}, convGroup("1", "@政策助手", true), []Reply{{Text: msgEmpty, Mention: "张三"}}, nil},
		{"too long", Options{MaxInputChars: 20}, convPrivate("1", long), []Reply{{Text: fmt.Sprintf(msgTooLong, 21, 20)}}, nil},
		{"at max", Options{MaxInputChars: 21}, convPrivate("1", long), []Reply{{Text: "答：" + long}}, []string{long}},
		{"help", Options{}, convPrivate("1", "帮助"), []Reply{{Text: helpText(Options{}, false)}}, nil},
		{"help slash", Options{}, convPrivate("1", "/help"), []Reply{{Text: helpText(Options{}, false)}}, nil},
		{"help in group", Options{}, convGroup("1", "@政策助手 帮助", true), []Reply{{Text: helpText(Options{}, true), Mention: "张三"}}, nil},
		{"scope", Options{Scope: "只答本省政策。"}, convPrivate("1", "范围"), []Reply{{Text: "只答本省政策。"}}, nil},
		{"scope default", Options{}, convPrivate("1", "范围"), []Reply{{Text: msgScope}}, nil},
		{"source before any answer", Options{}, convPrivate("1", "原文 1"), []Reply{{Text: msgNoAnswerYet}}, nil},
		{"reset", Options{}, convPrivate("1", "重置"), []Reply{{Text: msgReset}}, nil},
		{"greeting", Options{Scope: "只答本省政策。"}, convPrivate("1", "你好，在吗？"), []Reply{{Text: greetingText(Options{Scope: "只答本省政策。"})}}, nil},
		{"greeting in group", Options{}, convGroup("1", "@政策助手 您好[微笑]", true), []Reply{{Text: greetingText(Options{}), Mention: "张三"}}, nil},
		{"thanks", Options{}, convPrivate("1", "好的，谢谢！"), []Reply{{Text: msgThanks}}, nil},
		{"greeting with a question", Options{}, convPrivate("1", "你好，补贴怎么申请"), []Reply{{Text: "答：你好，补贴怎么申请"}}, []string{"你好，补贴怎么申请"}},
		{"another language", Options{}, convPrivate("1", "What tax breaks are there for small firms?"), []Reply{{Text: msgChineseOnly}}, nil},
		{"a Latin word or two is searched", Options{}, convPrivate("1", "PPP policy"), []Reply{{Text: "答：PPP policy"}}, []string{"PPP policy"}},
		{"Latin words among Chinese are searched", Options{}, convPrivate("1", "PPP项目 how to apply"), []Reply{{Text: "答：PPP项目 how to apply"}}, []string{"PPP项目 how to apply"}},
		{"split reply", Options{ReplyMaxChars: 4}, convPrivate("1", "补贴"), []Reply{{Text: "答：补贴"}}, []string{"补贴"}},
		{"split reply in parts", Options{ReplyMaxChars: 3}, convPrivate("1", "补贴"), []Reply{{Text: "答：补"}, {Text: "贴"}}, []string{"补贴"}},
		{"split reply in group mentions each part", Options{ReplyMaxChars: 3}, convGroup("1", "@政策助手 补贴", true), []Reply{{Text: "答：补", Mention: "张三"}, {Text: "贴", Mention: "张三"}}, []string{"补贴"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &convAnswerer{}
			c := New(a, tt.opts, nil)
			var rec convRecorder
			if err := c.Handle(t.Context(), tt.msg, rec.send); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got, want := fmt.Sprintf("%+v", rec.replies), fmt.Sprintf("%+v", tt.wantReplies); got != want {
				t.Errorf("replies: got %s, want %s", got, want)
			}
			if got, want := fmt.Sprint(a.questions()), fmt.Sprint(tt.wantAsked); got != want {
				t.Errorf("asked: got %s, want %s", got, want)
			}
		})
	}
}

// runConvSteps runs messages through one Conversations in order and checks
// each one's replies.
type convStep struct {
	msg     Message
	advance time.Duration // clock move before the message
	want    []string      // reply texts
}

func runConvSteps(t *testing.T, c *Conversations, clock *convClock, steps []convStep) {
	t.Helper()
	for i, s := range steps {
		if clock != nil {
			clock.advance(s.advance)
		}
		var rec convRecorder
		if err := c.Handle(t.Context(), s.msg, rec.send); err != nil {
			t.Fatalf("step %d: Handle: %v", i, err)
		}
		if got, want := fmt.Sprintf("%q", rec.texts()), fmt.Sprintf("%q", s.want); got != want {
			t.Errorf("step %d (%q): got %s, want %s", i, s.msg.Text, got, want)
		}
	}
}

func TestHandleSequences(t *testing.T) {
	source1 := "[1]《关于支持企业发展的若干措施》（冀政发〔2018〕1号）第三条\n对小微企业给予补贴。"
	source2 := "[2]《关于稳定就业的通知》（冀政办〔2018〕2号）第五条\n对稳岗企业返还失业保险费。"
	tests := []struct {
		name          string
		opts          Options
		steps         []convStep
		wantAsked     []string
		wantHistories []string // joined with |
		none          bool     // keep HistoryTurns 0; otherwise 0 means 3
	}{
		{
			name: "duplicate id",
			steps: []convStep{
				{msg: convPrivate("m1", "补贴"), want: []string{"答：补贴"}},
				{msg: convPrivate("m1", "补贴"), want: nil},
				{msg: convPrivate("", "补贴"), want: []string{"答：补贴"}},
				{msg: convPrivate("", "补贴"), want: []string{"答：补贴"}},
			},
			wantAsked:     []string{"补贴", "补贴", "补贴"},
			wantHistories: []string{"", "补贴", "补贴|补贴"},
		},
		{
			name: "history",
			opts: Options{HistoryTurns: 2},
			steps: []convStep{
				{msg: convPrivate("1", "一"), want: []string{"答：一"}},
				{msg: convPrivate("2", "二"), want: []string{"答：二"}},
				{msg: convPrivate("3", "三"), want: []string{"答：三"}},
				{msg: convPrivate("4", "四"), want: []string{"答：四"}},
			},
			wantAsked:     []string{"一", "二", "三", "四"},
			wantHistories: []string{"", "一", "一|二", "二|三"},
		},
		{
			name: "no history",
			opts: Options{HistoryTurns: 0},
			none: true,
			steps: []convStep{
				{msg: convPrivate("1", "一"), want: []string{"答：一"}},
				{msg: convPrivate("2", "二"), want: []string{"答：二"}},
			},
			wantAsked:     []string{"一", "二"},
			wantHistories: []string{"", ""},
		},
		{
			name: "reset clears history and last answer",
			steps: []convStep{
				{msg: convPrivate("1", "一"), want: []string{"答：一"}},
				{msg: convPrivate("2", "重置"), want: []string{msgReset}},
				{msg: convPrivate("3", "原文 1"), want: []string{msgNoAnswerYet}},
				{msg: convPrivate("4", "二"), want: []string{"答：二"}},
			},
			wantAsked:     []string{"一", "二"},
			wantHistories: []string{"", ""},
		},
		{
			name: "source",
			steps: []convStep{
				{msg: convPrivate("1", "一"), want: []string{"答：一"}},
				{msg: convPrivate("2", "原文 1"), want: []string{source1}},
				{msg: convPrivate("3", "原文２"), want: []string{source2}},
				{msg: convPrivate("4", "原文 3"), want: []string{fmt.Sprintf(msgNoSuchSource, 2)}},
				{msg: convPrivate("5", "原文"), want: []string{msgSourceUsage}},
				{msg: convPrivate("6", "/source 1"), want: []string{source1}},
			},
			wantAsked:     []string{"一"},
			wantHistories: []string{""},
		},
		{
			name: "source in group after mention",
			steps: []convStep{
				{msg: convGroup("1", "@政策助手 一", true), want: []string{"答：一"}},
				{msg: convGroup("2", "@政策助手\u2005原文 2", true), want: []string{source2}},
			},
			wantAsked:     []string{"一"},
			wantHistories: []string{""},
		},
		{
			name: "idle chat is forgotten",
			opts: Options{IdleTimeout: 30 * time.Minute},
			steps: []convStep{
				{msg: convPrivate("1", "一"), want: []string{"答：一"}},
				{msg: convPrivate("2", "二"), advance: 29 * time.Minute, want: []string{"答：二"}},
				{msg: convPrivate("3", "原文 1"), advance: 31 * time.Minute, want: []string{msgNoAnswerYet}},
				{msg: convPrivate("4", "三"), want: []string{"答：三"}},
			},
			wantAsked:     []string{"一", "二", "三"},
			wantHistories: []string{"", "一", ""},
		},
		{
			name: "rate limit",
			opts: Options{UserPerMinute: 1, UserBurst: 1},
			steps: []convStep{
				{msg: convPrivate("1", "一"), want: []string{"答：一"}},
				{msg: convPrivate("2", "二"), want: []string{msgTooFast}},
				{msg: convPrivate("3", "三"), want: nil},
				{msg: convPrivate("4", "帮助"), want: nil},
				{msg: convPrivate("5", "四"), advance: time.Minute, want: []string{"答：四"}},
			},
			wantAsked:     []string{"一", "四"},
			wantHistories: []string{"", "一"},
		},
		{
			name: "rate limit is per sender",
			opts: Options{UserPerMinute: 1, UserBurst: 1},
			steps: []convStep{
				{msg: convGroup("1", "@政策助手 一", true), want: []string{"答：一"}},
				{msg: convGroup("2", "@政策助手 二", true), want: []string{msgTooFast}},
				{msg: func() Message { m := convGroup("3", "@政策助手 三", true); m.SenderID = "carol"; return m }(), want: []string{"答：三"}},
			},
			wantAsked:     []string{"一", "三"},
			wantHistories: []string{"", "一"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &convClock{t: convT0}
			tt.opts.Now = clock.now
			if tt.opts.HistoryTurns == 0 && !tt.none {
				tt.opts.HistoryTurns = 3
			}
			if tt.opts.UserPerMinute == 0 {
				tt.opts.UserPerMinute = 10
			}
			if tt.opts.UserBurst == 0 {
				// The clock stands still, so only the rate-limit cases
				// should meet the limit.
				tt.opts.UserBurst = 100
			}
			a := &convAnswerer{}
			c := New(a, tt.opts, nil)
			runConvSteps(t, c, clock, tt.steps)
			if got, want := fmt.Sprintf("%q", a.questions()), fmt.Sprintf("%q", tt.wantAsked); got != want {
				t.Errorf("asked: got %s, want %s", got, want)
			}
			if got, want := fmt.Sprintf("%q", a.histories()), fmt.Sprintf("%q", tt.wantHistories); got != want {
				t.Errorf("histories: got %s, want %s", got, want)
			}
		})
	}
}

func TestHandlePending(t *testing.T) {
	tests := []struct {
		name         string
		pendingAfter time.Duration
		slow         bool
		want         []string
	}{
		// The slow answer returns only after the note was sent, so the
		// note is certain to come first.
		{"slow answer gets the note once", time.Millisecond, true, []string{msgPending, "答：补贴"}},
		{"no note when disabled", 0, false, []string{"答：补贴"}},
		{"no note for a quick answer", time.Hour, false, []string{"答：补贴"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noted := make(chan struct{})
			a := &convAnswerer{answer: func(ctx context.Context, q string) (answer.Result, error) {
				if tt.slow {
					select {
					case <-noted:
					case <-ctx.Done():
						return answer.Result{}, ctx.Err()
					}
				}
				return answer.Result{Text: "答：" + q, Found: true}, nil
			}}
			c := New(a, Options{PendingAfter: tt.pendingAfter}, nil)
			rec := convRecorder{onSend: func(r Reply) {
				if r.Text == msgPending {
					close(noted)
				}
			}}
			if err := c.Handle(t.Context(), convPrivate("1", "补贴"), rec.send); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got, want := fmt.Sprintf("%q", rec.texts()), fmt.Sprintf("%q", tt.want); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestHandleAnswerFailure(t *testing.T) {
	secret := "upstream 502 from llm.example with key sk-123"
	tests := []struct {
		name    string
		timeout time.Duration
		answer  func(ctx context.Context, q string) (answer.Result, error)
		wantLog string
	}{
		{"error", 0, func(context.Context, string) (answer.Result, error) {
			return answer.Result{}, errors.New(secret)
		}, "upstream 502"},
		{"empty answer", 0, func(context.Context, string) (answer.Result, error) {
			return answer.Result{Text: " "}, nil
		}, "empty answer"},
		{"panic", 0, func(context.Context, string) (answer.Result, error) {
			panic("nil map")
		}, "answerer panicked: nil map"},
		{"timeout", time.Millisecond, func(ctx context.Context, _ string) (answer.Result, error) {
			<-ctx.Done()
			return answer.Result{}, ctx.Err()
		}, "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
			a := &convAnswerer{answer: tt.answer}
			c := New(a, Options{AnswerTimeout: tt.timeout}, log)
			var rec convRecorder
			if err := c.Handle(t.Context(), convPrivate("1", "我的问题"), rec.send); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got, want := fmt.Sprintf("%q", rec.texts()), fmt.Sprintf("%q", []string{msgFailed}); got != want {
				t.Errorf("replies: got %s, want %s", got, want)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log: got %q, want it to contain %q", logs.String(), tt.wantLog)
			}
			if strings.Contains(logs.String(), "我的问题") {
				t.Errorf("log above Debug contains the user's question: %q", logs.String())
			}
			// A failed question is not remembered as history.
			var rec2 convRecorder
			if err := c.Handle(t.Context(), convPrivate("2", "原文 1"), rec2.send); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got, want := fmt.Sprintf("%q", rec2.texts()), fmt.Sprintf("%q", []string{msgNoAnswerYet}); got != want {
				t.Errorf("after failure: got %s, want %s", got, want)
			}
		})
	}
}

// TestHandleStopsWhenCancelled checks that the pauses between parts and
// the global pacing wait on ctx: the sender cancels after the first part,
// and the second part must not go out.
func TestHandleStopsWhenCancelled(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"part pause", Options{ReplyMaxChars: 3, PartPause: time.Hour}},
		{"send interval", Options{ReplyMaxChars: 3, SendInterval: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(&convAnswerer{}, tt.opts, nil)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			rec := convRecorder{onSend: func(Reply) { cancel() }}
			err := c.Handle(ctx, convPrivate("1", "补贴"), rec.send)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error: got %v, want context.Canceled", err)
			}
			if got, want := fmt.Sprintf("%q", rec.texts()), fmt.Sprintf("%q", []string{"答：补"}); got != want {
				t.Errorf("sent: got %s, want %s", got, want)
			}
		})
	}
}

func TestHandleSendError(t *testing.T) {
	c := New(&convAnswerer{}, Options{}, nil)
	boom := errors.New("wechat offline")
	err := c.Handle(t.Context(), convPrivate("1", "补贴"), func(context.Context, Reply) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want %v", err, boom)
	}
}

// TestHandleOrderWithinChat sends a slow question and then a fast one to
// the same chat; the fast one's reply must still come second.
func TestHandleOrderWithinChat(t *testing.T) {
	slowCalled := make(chan struct{})
	release := make(chan struct{})
	a := &convAnswerer{answer: func(_ context.Context, q string) (answer.Result, error) {
		if q == "慢" {
			close(slowCalled)
			<-release
		}
		return answer.Result{Text: "答：" + q, Found: true}, nil
	}}
	c := New(a, Options{HistoryTurns: 3}, nil)
	var rec convRecorder
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Go(func() { errs <- c.Handle(t.Context(), convPrivate("1", "慢"), rec.send) })
	<-slowCalled
	wg.Go(func() { errs <- c.Handle(t.Context(), convPrivate("2", "快"), rec.send) })
	for c.turns.queued("alice") < 2 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	if got, want := fmt.Sprintf("%q", rec.texts()), fmt.Sprintf("%q", []string{"答：慢", "答：快"}); got != want {
		t.Errorf("replies: got %s, want %s", got, want)
	}
	if got, want := fmt.Sprintf("%q", a.histories()), fmt.Sprintf("%q", []string{"", "慢"}); got != want {
		t.Errorf("histories: got %s, want %s", got, want)
	}
}

// TestHandleManyChats runs 50 chats with several messages each at once.
// Every chat's first answer is held until all 50 are in the answerer at the
// same time, so a lock shared by chats would hang the test; then each chat
// must get its replies in the order its messages arrived.
func TestHandleManyChats(t *testing.T) {
	const chats, perChat = 50, 6
	gate := make(chan struct{})
	var (
		mu       sync.Mutex
		inFlight int
	)
	a := &convAnswerer{answer: func(_ context.Context, q string) (answer.Result, error) {
		mu.Lock()
		inFlight++
		mu.Unlock()
		if strings.HasSuffix(q, "#0") {
			<-gate
		}
		runtime.Gosched()
		mu.Lock()
		inFlight--
		mu.Unlock()
		return answer.Result{Text: "答：" + q, Found: true}, nil
	}}
	c := New(a, Options{UserBurst: perChat, ReplyMaxChars: 5}, nil)
	recs := make([]convRecorder, chats)
	errs := make(chan error, chats*perChat)
	var wg sync.WaitGroup
	for i := range chats {
		chat := fmt.Sprint("chat", i)
		for k := range perChat {
			m := Message{ID: fmt.Sprintf("%s-%d", chat, k), ChatID: chat, SenderID: chat, Kind: KindText, Text: fmt.Sprintf("问%d#%d", i, k)}
			wg.Go(func() { errs <- c.Handle(t.Context(), m, recs[i].send) })
			// Arrival order is the order Handle takes tickets; wait for
			// this message's ticket before sending the next one.
			for c.turns.queued(chat) < k+1 {
				runtime.Gosched()
			}
		}
	}
	for {
		mu.Lock()
		n := inFlight
		mu.Unlock()
		if n == chats {
			break
		}
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	for i := range chats {
		var want []string
		for k := range perChat {
			// ReplyMaxChars 5 splits each answer in two parts.
			want = append(want, Split(fmt.Sprintf("答：问%d#%d", i, k), 5)...)
		}
		if got := recs[i].texts(); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Errorf("chat%d: got %q, want %q", i, got, want)
		}
	}
}

func TestStripMentions(t *testing.T) {
	tests := []struct{ in, want string }{
		{"@政策助手\u2005补贴怎么申请", "补贴怎么申请"},
		{"@政策助手 补贴怎么申请", "补贴怎么申请"},
		{"@政策助手\u3000补贴怎么申请", "补贴怎么申请"},
		{"@张三 @政策助手\u2005补贴", "补贴"},
		{"补贴怎么申请 @政策助手", "补贴怎么申请"},
		{"补贴怎么申请\u2005@政策助手\u2005", "补贴怎么申请"},
		{"@政策助手", ""},
		{"补贴发到a@b.cn吗", "补贴发到a@b.cn吗"},
		{"问 @张三 的补贴", "问 @张三 的补贴"},
		{"@政策助手补贴", ""}, // without a separator it all reads as a name
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := stripMentions(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
