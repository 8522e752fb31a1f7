package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/corpus"
)

// TestAcceptKeepsArrivalOrder reproduces a transport that answers each
// message in a goroutine of its own, as bot/wechat does: the messages of
// 50 chats, 6 each, arrive one after the other, and each is started in a
// new goroutine. With the place in line taken by Accept, in arrival order,
// before the goroutine starts, every chat must get its answers in order,
// each answer having been given exactly the questions before it as
// history.
//
// Before Accept, the goroutine took the chat's place in line inside
// Handle, so the scheduler chose the order: the same test with
// `go c.Handle(...)` in place of Accept and run failed every run (30 of
// 30 under -race, 37 to 49 of the 50 chats out of order; 20 of 20
// without -race, 3 to 18).
func TestAcceptKeepsArrivalOrder(t *testing.T) {
	const chats, perChat = 50, 6
	a := &convAnswerer{answer: func(_ context.Context, q string) (answer.Result, error) {
		return answer.Result{Text: "答：" + q, Found: true}, nil
	}}
	c := New(a, Options{HistoryTurns: perChat}, nil)
	recs := make([]convRecorder, chats)
	var wg sync.WaitGroup
	for i := range chats {
		for k := range perChat {
			m := Message{ID: fmt.Sprintf("%d-%d", i, k), ChatID: fmt.Sprint("chat", i), SenderID: fmt.Sprint("chat", i), Kind: KindText, Text: fmt.Sprintf("%d问%d", i, k)}
			run := c.Accept(m)
			if run == nil {
				t.Fatalf("message %s not accepted", m.ID)
			}
			wg.Go(func() {
				if err := run(t.Context(), recs[i].send); err != nil {
					t.Errorf("message %s: %v", m.ID, err)
				}
			})
		}
	}
	wg.Wait()
	histories := map[string]string{}
	a.mu.Lock()
	for _, call := range a.calls {
		histories[call.question] = strings.Join(call.history, "|")
	}
	a.mu.Unlock()
	bad := 0
	for i := range chats {
		var want, asked []string
		for k := range perChat {
			q := fmt.Sprintf("%d问%d", i, k)
			want = append(want, "答："+q)
			if got, want := histories[q], strings.Join(asked, "|"); got != want {
				t.Errorf("%s: got history %q, want %q", q, got, want)
			}
			asked = append(asked, q)
		}
		if got := recs[i].texts(); fmt.Sprint(got) != fmt.Sprint(want) {
			bad++
			if bad <= 3 {
				t.Errorf("chat%d: got %q, want %q", i, got, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d chats out of order", bad, chats)
	}
}

// TestAcceptDecidesAtOnce: what gets no reply is known at Accept, before
// any goroutine or I/O, and an accepted message is answered once.
func TestAcceptDecidesAtOnce(t *testing.T) {
	self := convPrivate("1", "补贴")
	self.Self = true
	tests := []struct {
		name   string
		opts   Options
		before []Message // accepted and run first
		msg    Message
		want   []string // nil: Accept returns nil
	}{
		{"question", Options{}, nil, convPrivate("1", "补贴"), []string{"答：补贴"}},
		{"bot's own", Options{}, nil, self, nil},
		{"duplicate", Options{}, []Message{convPrivate("1", "补贴")}, convPrivate("1", "补贴"), nil},
		{"group without mention", Options{}, nil, convGroup("1", "政策这东西太难懂了，大家怎么看？", false), nil},
		{"group mention", Options{}, nil, convGroup("1", "@政策助手\u2005补贴", true), []string{"答：补贴"}},
		{"too fast, told", Options{UserPerMinute: 1, UserBurst: 1}, []Message{convPrivate("1", "一")}, convPrivate("2", "二"), []string{msgTooFast}},
		{"too fast, told already", Options{UserPerMinute: 1, UserBurst: 1}, []Message{convPrivate("1", "一"), convPrivate("2", "二")}, convPrivate("3", "三"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &convClock{t: convT0}
			tt.opts.Now = clock.now
			c := New(&convAnswerer{}, tt.opts, nil)
			for _, m := range tt.before {
				if err := c.Handle(t.Context(), m, (&convRecorder{}).send); err != nil {
					t.Fatalf("Handle %s: %v", m.ID, err)
				}
			}
			run := c.Accept(tt.msg)
			if (run == nil) != (tt.want == nil) {
				t.Fatalf("Accept: got run %v, want one %v", run != nil, tt.want != nil)
			}
			if run == nil {
				if n := c.turns.queued(tt.msg.ChatID); n != 0 {
					t.Errorf("a message not accepted holds %d places in line", n)
				}
				return
			}
			if n := c.turns.queued(tt.msg.ChatID); n != 1 {
				t.Errorf("got %d places in line after Accept, want 1", n)
			}
			var rec convRecorder
			if err := run(t.Context(), rec.send); err != nil {
				t.Fatalf("run: %v", err)
			}
			if got := rec.texts(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if err := run(t.Context(), rec.send); err == nil {
				t.Error("a second run: got nil error, want one")
			}
			if n := c.turns.queued(tt.msg.ChatID); n != 0 {
				t.Errorf("got %d places in line after the answer, want 0", n)
			}
		})
	}
}

// convLong is an answer too long for one message of 100 runes: its head
// (lead, 时效 and 来源) goes first, then the details.
func convLong() answer.Result {
	cites := []answer.Citation{{N: 1, DocID: "d1", Title: "关于支持企业发展的若干措施", DocNo: "某政发〔2018〕1号", Clause: "第三条", Issued: "2018-07-11",
		Validity: corpus.Validity{Status: corpus.StatusExpired, Until: "2020-12-31"}}}
	r := answer.Result{Lead: "奖励40万元[1]。", Body: strings.Repeat("很长的细节。", 10), Citations: cites, Found: true,
		Validity: []string{"[1]执行期限已于2020年12月31日结束。"}}
	r.Text = r.Head() + "\n\n" + r.Details()
	return r
}

// TestDeliveryRecorded: the Q&A record is written after sending and says
// whether the reply reached the user; a reply that did not is logged at
// Error with the chat's hash, never with the question, and Handle's error
// matches ErrUndelivered.
func TestDeliveryRecorded(t *testing.T) {
	boom := errors.New("webwxsendmsg: ret 1205")
	failing := func(n int) func(r Reply) error { // the n-th send fails (from 1)
		sends := 0
		return func(Reply) error {
			sends++
			if sends == n {
				return boom
			}
			return nil
		}
	}
	tests := []struct {
		name          string
		opts          Options
		answer        func(ctx context.Context, q string) (answer.Result, error)
		fail          func(r Reply) error
		wantSent      int
		wantDelivered bool
		wantDelivErr  string // in DeliveryError
		wantErr       string // in Error
	}{
		{name: "answer delivered", wantSent: 1, wantDelivered: true},
		{name: "long answer delivered", opts: Options{ReplyMaxChars: 100}, answer: func(context.Context, string) (answer.Result, error) { return convLong(), nil },
			wantSent: 2, wantDelivered: true},
		{name: "second part fails", opts: Options{ReplyMaxChars: 100}, answer: func(context.Context, string) (answer.Result, error) { return convLong(), nil },
			fail: failing(2), wantSent: 1, wantDelivErr: "part 2 of 2: webwxsendmsg: ret 1205"},
		{name: "only part fails", fail: failing(1), wantSent: 0, wantDelivErr: "part 1 of 1: webwxsendmsg"},
		{name: "apology delivered", answer: func(context.Context, string) (answer.Result, error) { return answer.Result{}, errors.New("llm down") },
			wantSent: 1, wantDelivered: true, wantErr: "llm down"},
		{name: "pending note fails", opts: Options{PendingAfter: time.Millisecond},
			answer: func(ctx context.Context, _ string) (answer.Result, error) {
				<-ctx.Done()
				return answer.Result{}, ctx.Err()
			},
			fail: failing(1), wantSent: 0, wantDelivErr: "send pending note", wantErr: "send pending note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := openJournal(t)
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
			tt.opts.Journal, tt.opts.Channel = j, "wechat"
			c := New(&convAnswerer{answer: tt.answer}, tt.opts, log)
			var sent []string
			send := func(_ context.Context, r Reply) error {
				if tt.fail != nil {
					if err := tt.fail(r); err != nil {
						return err
					}
				}
				sent = append(sent, r.Text)
				return nil
			}
			err := c.Handle(t.Context(), convPrivate("1", "我的问题"), send)
			if got := errors.Is(err, ErrUndelivered); got == tt.wantDelivered {
				t.Errorf("Handle: got error %v, want ErrUndelivered %v", err, !tt.wantDelivered)
			}
			if len(sent) != tt.wantSent {
				t.Errorf("got %d messages sent, want %d: %q", len(sent), tt.wantSent, sent)
			}
			es, jerr := j.Entries(t.Context(), time.Time{})
			if jerr != nil || len(es) != 1 {
				t.Fatalf("got entries %+v, %v; want one", es, jerr)
			}
			e := es[0]
			if e.Question != "我的问题" || e.Delivered != tt.wantDelivered || !strings.Contains(e.DeliveryError, tt.wantDelivErr) ||
				(tt.wantDelivErr == "") != (e.DeliveryError == "") || !strings.Contains(e.Error, tt.wantErr) {
				t.Errorf("got entry question %q delivered %v delivery error %q error %q; want delivered %v, delivery error with %q, error with %q",
					e.Question, e.Delivered, e.DeliveryError, e.Error, tt.wantDelivered, tt.wantDelivErr, tt.wantErr)
			}
			out := logs.String()
			if notDelivered := strings.Contains(out, "level=ERROR msg=\"answer not delivered\" chat="+journal.ChatHash("alice")); notDelivered == tt.wantDelivered {
				t.Errorf("log: got an Error line with the chat hash %v, want %v:\n%s", notDelivered, !tt.wantDelivered, out)
			}
			if strings.Contains(out, "我的问题") {
				t.Errorf("the question was logged above Debug:\n%s", out)
			}
			if tt.name == "second part fails" && (!strings.Contains(sent[0], "时效：") || !strings.Contains(sent[0], "来源：")) {
				t.Errorf("the message delivered lacks 时效 or 来源: %q", sent[0])
			}
		})
	}
}

// TestNotAnsweredIsRecorded: a message whose turn never comes (its
// deadline passes while an earlier message of the chat is answered) is
// logged at Error with the chat's hash and, being a question, recorded as
// not delivered.
func TestNotAnsweredIsRecorded(t *testing.T) {
	j := openJournal(t)
	var logs syncLog
	release := make(chan struct{})
	a := &convAnswerer{answer: func(_ context.Context, q string) (answer.Result, error) {
		if q == "慢" {
			<-release
		}
		return answer.Result{Text: "答：" + q, Found: true}, nil
	}}
	c := New(a, Options{Journal: j, Channel: "wechat"}, slog.New(slog.NewTextHandler(&logs, nil)))
	slow := c.Accept(convPrivate("1", "慢"))
	late := c.Accept(convPrivate("2", "后来的问题"))
	done := make(chan error, 1)
	go func() { done <- slow(t.Context(), (&convRecorder{}).send) }()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := late(ctx, (&convRecorder{}).send)
	if !errors.Is(err, ErrUndelivered) || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want ErrUndelivered and context.Canceled", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the earlier message: %v", err)
	}
	es, err := j.Entries(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var late0 *journal.Entry
	for i := range es {
		if es[i].Question == "后来的问题" {
			late0 = &es[i]
		}
	}
	if late0 == nil || late0.Delivered || late0.DeliveryError == "" {
		t.Errorf("got entries %+v, want the late question recorded as not delivered", es)
	}
	if out := logs.String(); !strings.Contains(out, `level=ERROR msg="message not answered" chat=`+journal.ChatHash("alice")) {
		t.Errorf("log lacks the Error line with the chat hash:\n%s", out)
	}
}

// TestQuoteIsHistory: a message quoting an earlier one is searched on the
// user's own words; the quoted text reaches the answerer as the latest
// turn of the history, after what the chat remembers, and is not
// remembered itself. A quote with nothing of one's own asks what it
// quotes.
func TestQuoteIsHistory(t *testing.T) {
	quoted := func(id, text, quote string, group bool) Message {
		m := convPrivate(id, text)
		if group {
			m = convGroup(id, text, true)
		}
		m.Quote = quote
		return m
	}
	tests := []struct {
		name        string
		opts        Options
		first       string // asked before, when not empty
		msg         Message
		wantAsked   string
		wantHistory string // joined with |
		wantLater   string // the history of a question after it
	}{
		{"private", Options{}, "", quoted("1", "申请条件呢？", "首台套保险补贴怎么算？", false), "申请条件呢？", "首台套保险补贴怎么算？", "申请条件呢？"},
		{"after the chat's own history", Options{}, "高企有什么奖励？", quoted("1", "申请条件呢？", "首台套保险补贴怎么算？", false),
			"申请条件呢？", "高企有什么奖励？|首台套保险补贴怎么算？", "高企有什么奖励？|申请条件呢？"},
		{"group, mention stripped", Options{}, "", quoted("1", "@政策助手\u2005申请条件呢？", "首台套保险补贴怎么算？", true), "申请条件呢？", "首台套保险补贴怎么算？", "申请条件呢？"},
		{"only a quote and the mention", Options{}, "", quoted("1", "@政策助手", "首台套保险补贴怎么算？", true), "首台套保险补贴怎么算？", "", "首台套保险补贴怎么算？"},
		{"long quote cut", Options{MaxInputChars: 10}, "", quoted("1", "条件呢？", strings.Repeat("长", 30), false), "条件呢？", strings.Repeat("长", 10), "条件呢？"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.HistoryTurns = 3
			a := &convAnswerer{}
			c := New(a, tt.opts, nil)
			m := tt.msg
			if tt.first != "" {
				first := m
				first.ID, first.Text, first.Quote = "0", tt.first, ""
				if err := c.Handle(t.Context(), first, (&convRecorder{}).send); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Handle(t.Context(), m, (&convRecorder{}).send); err != nil {
				t.Fatal(err)
			}
			later := m
			later.ID, later.Text, later.Quote = "9", "还有吗？", ""
			if err := c.Handle(t.Context(), later, (&convRecorder{}).send); err != nil {
				t.Fatal(err)
			}
			qs, hs := a.questions(), a.histories()
			i := len(qs) - 2
			if qs[i] != tt.wantAsked || hs[i] != tt.wantHistory {
				t.Errorf("got question %q with history %q, want %q with %q", qs[i], hs[i], tt.wantAsked, tt.wantHistory)
			}
			if got := hs[i+1]; got != tt.wantLater {
				t.Errorf("the next question got history %q, want %q (the quote is not remembered)", got, tt.wantLater)
			}
		})
	}
}

// syncLog is a log sink safe for concurrent writers.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
