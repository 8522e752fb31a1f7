package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
)

// sendLog records every send with its chat and time, and the most replies
// queued at any send.
type sendLog struct {
	mu      sync.Mutex
	byChat  map[string][]string
	paced   []time.Time // sends other than the busy note
	maxQ    int
	queue   func() int
	release chan struct{} // when not nil, every send but the busy note waits on it
}

func newSendLog() *sendLog { return &sendLog{byChat: map[string][]string{}} }

func (l *sendLog) sender(chat string) Sender {
	return func(ctx context.Context, r Reply) error {
		if r.Text != msgBusy && l.release != nil {
			select {
			case <-l.release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.byChat[chat] = append(l.byChat[chat], r.Text)
		if r.Text != msgBusy {
			l.paced = append(l.paced, time.Now())
		}
		if l.queue != nil {
			l.maxQ = max(l.maxQ, l.queue())
		}
		return nil
	}
}

// TestSendUnderLoad asks 100 chats at once through a pacer of 5 ms: every
// chat gets its whole reply, parts in order, or the one busy line, never
// part of a reply, and the whole run is bounded in time.
func TestSendUnderLoad(t *testing.T) {
	const (
		chats    = 100
		interval = 5 * time.Millisecond
	)
	tests := []struct {
		name      string
		queue     int
		deadline  time.Duration // per message
		wantBusy  bool          // some chats must get the busy line
		wantWhole bool          // every chat must get the whole reply
	}{
		{name: "all fit", queue: 200, deadline: 20 * time.Second, wantWhole: true},
		{name: "queue full", queue: 10, deadline: 20 * time.Second, wantBusy: true},
		{name: "deadline before the slot", queue: 200, deadline: 150 * time.Millisecond, wantBusy: true},
		{name: "unbounded queue", queue: 0, deadline: 20 * time.Second, wantWhole: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ready := make(chan struct{})
			a := &convAnswerer{answer: func(ctx context.Context, q string) (answer.Result, error) {
				<-ready // everyone's answer is ready at once
				return convLong(), nil
			}}
			c := New(a, Options{SendInterval: interval, SendQueue: tt.queue, ReplyMaxChars: 100, MaxMessages: 3}, nil)
			want := c.messages(convLong())
			if len(want) < 2 || !strings.Contains(want[0], "来源") {
				t.Fatalf("the test answer must take several messages, the first with 来源: %q", want)
			}
			log := newSendLog()
			log.queue = c.sendq.len

			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			start := time.Now()
			errs := make([]error, chats)
			var wg sync.WaitGroup
			for i := range chats {
				chat := fmt.Sprintf("chat-%03d", i)
				run := c.Accept(Message{ID: chat, ChatID: chat, SenderID: chat, Text: "补贴", Kind: KindText})
				wg.Go(func() {
					mctx, cancel := context.WithTimeout(ctx, tt.deadline)
					defer cancel()
					errs[i] = run(mctx, log.sender(chat))
				})
			}
			close(ready)
			wg.Wait()
			elapsed := time.Since(start)

			whole, busy := 0, 0
			for i := range chats {
				chat := fmt.Sprintf("chat-%03d", i)
				got := log.byChat[chat]
				switch {
				case slices.Equal(got, want):
					whole++
					if errs[i] != nil {
						t.Errorf("%s: whole reply, but error %v", chat, errs[i])
					}
				case slices.Equal(got, []string{msgBusy}):
					busy++
					if !errors.Is(errs[i], ErrBusy) || !errors.Is(errs[i], ErrUndelivered) {
						t.Errorf("%s: busy note, but error %v; want ErrBusy and ErrUndelivered", chat, errs[i])
					}
				default:
					t.Errorf("%s: got %d messages %q, want the whole reply (%d) or the busy note", chat, len(got), got, len(want))
				}
			}
			t.Logf("%d whole, %d busy, most queued %d, %d paced sends in %v", whole, busy, log.maxQ, len(log.paced), elapsed)
			if tt.wantWhole && whole != chats {
				t.Errorf("whole replies: got %d, want %d", whole, chats)
			}
			if tt.wantBusy && (busy == 0 || whole == 0) {
				t.Errorf("got %d whole and %d busy, want some of each", whole, busy)
			}
			if tt.queue > 0 && log.maxQ > tt.queue {
				t.Errorf("queued replies: got up to %d, want at most %d", log.maxQ, tt.queue)
			}
			if n := c.sendq.len(); n != 0 {
				t.Errorf("queue after all sends: %d, want 0", n)
			}
			// Paced sends keep their distance: n sends span at least n-1
			// intervals (less a margin for timers firing late).
			if n := len(log.paced); n > 1 {
				slices.SortFunc(log.paced, time.Time.Compare)
				span := log.paced[n-1].Sub(log.paced[0])
				if min := time.Duration(n-1) * interval * 8 / 10; span < min {
					t.Errorf("%d paced sends in %v, want at least %v", n, span, min)
				}
			}
			// Bounded: all of it fits in the paced sends plus slack.
			if limit := time.Duration(chats*len(want))*interval + 10*time.Second; elapsed > limit {
				t.Errorf("took %v, want under %v", elapsed, limit)
			}
		})
	}
}

// TestPacerTimetable books slots on a fixed clock.
func TestPacerTimetable(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type step struct {
		n        int
		pause    time.Duration
		deadline time.Time
		want     []time.Time // nil: refused
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"parts of one reply in a row", []step{
			{n: 3, want: []time.Time{ms(0), ms(10), ms(20)}},
			{n: 1, want: []time.Time{ms(30)}},
		}},
		{"a gap too narrow is skipped", []step{
			{n: 2, pause: 15 * time.Millisecond, want: []time.Time{ms(0), ms(15)}},
			{n: 1, want: []time.Time{ms(25)}},
		}},
		{"a gap wide enough is used", []step{
			{n: 2, pause: 30 * time.Millisecond, want: []time.Time{ms(0), ms(30)}},
			{n: 1, want: []time.Time{ms(10)}},
			{n: 1, want: []time.Time{ms(20)}},
			{n: 1, want: []time.Time{ms(40)}},
		}},
		{"refused whole after the deadline", []step{
			{n: 2, want: []time.Time{ms(0), ms(10)}},
			{n: 3, deadline: ms(15), want: nil},
			{n: 1, want: []time.Time{ms(20)}}, // the refusal booked nothing
		}},
		{"the first slot before the deadline is enough", []step{
			{n: 1, want: []time.Time{ms(0)}},
			{n: 3, deadline: ms(10), want: []time.Time{ms(10), ms(20), ms(30)}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPacer(10 * time.Millisecond)
			p.now = func() time.Time { return t0 }
			for i, s := range tt.steps {
				got, err := p.reserve(s.n, s.pause, s.deadline)
				if s.want == nil {
					if !errors.Is(err, errPastDeadline) {
						t.Errorf("step %d: got %v, %v; want refused", i, got, err)
					}
					continue
				}
				if err != nil || !slices.Equal(got, s.want) {
					t.Errorf("step %d: got %v, %v; want %v", i, got, err, s.want)
				}
			}
		})
	}
}

func TestPacerReleaseAndPrune(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	now := t0
	p := newPacer(10 * time.Millisecond)
	p.now = func() time.Time { return now }
	slots, err := p.reserve(3, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	p.release(slots[1:])
	if got, err := p.reserve(1, 0, time.Time{}); err != nil || !got[0].Equal(t0.Add(10*time.Millisecond)) {
		t.Errorf("after release: got %v, %v; want the freed slot at 10ms", got, err)
	}
	now = t0.Add(time.Hour)
	if _, err := p.reserve(1, 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n := len(p.slots); n != 1 {
		t.Errorf("slots kept an hour later: %d, want 1 (the past ones pruned)", n)
	}
}

// TestBusyNote: with the queue full, a reply is replaced at once by the
// busy line, unpaced (the pacer would make it wait an hour), mentioning
// the asker in a group; the pending note is left out instead.
func TestBusyNote(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		mention string
		want    []Reply
		wantErr error
	}{
		{"answer", "答：补贴的细节", "", []Reply{{Text: msgBusy}}, ErrBusy},
		{"in a group", "答：补贴", "张三", []Reply{{Text: msgBusy, Mention: "张三"}}, ErrBusy},
		{"pending note", msgPending, "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(&convAnswerer{}, Options{SendInterval: time.Hour, SendQueue: 1}, nil)
			if err := c.pace.wait(t.Context()); err != nil { // the next slot is an hour away
				t.Fatal(err)
			}
			if !c.sendq.enter() {
				t.Fatal("queue of one: first enter refused")
			}
			var rec convRecorder
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			start := time.Now()
			err := outbox{c: c, send: rec.send, mention: tt.mention}.reply(ctx, tt.text)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !errors.Is(err, ErrUndelivered)) {
				t.Errorf("error: got %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(rec.replies, tt.want) {
				t.Errorf("sent %+v, want %+v", rec.replies, tt.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v: the busy line must not wait for the pacer", d)
			}
		})
	}
}

// TestBookedReplyOutlivesDeadline: once its parts are booked, a reply is
// sent whole even when its later parts fall after the message's deadline.
func TestBookedReplyOutlivesDeadline(t *testing.T) {
	c := New(&convAnswerer{}, Options{SendInterval: 40 * time.Millisecond, SendQueue: 5}, nil)
	var rec convRecorder
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	parts := []string{"一", "二", "三"} // at 0, 40 and 80 ms
	if err := (outbox{c: c, send: rec.send}).parts(ctx, parts); err != nil {
		t.Fatalf("parts: %v", err)
	}
	if got := rec.texts(); !slices.Equal(got, parts) {
		t.Errorf("sent %q, want %q", got, parts)
	}
	if ctx.Err() == nil {
		t.Errorf("the deadline has not passed: the test proves nothing")
	}
}

// TestWithoutDeadline: the context ends on cancel, not on the deadline.
func TestWithoutDeadline(t *testing.T) {
	t.Run("deadline passes", func(t *testing.T) {
		parent, cancel := context.WithTimeout(t.Context(), time.Millisecond)
		defer cancel()
		ctx, stop := withoutDeadline(parent)
		defer stop()
		<-parent.Done()
		// AfterFunc has run, or is about to: a short wait lets it act.
		time.Sleep(20 * time.Millisecond)
		if err := ctx.Err(); err != nil {
			t.Errorf("after the deadline: got %v, want nil", err)
		}
		if _, ok := ctx.Deadline(); ok {
			t.Errorf("the context has a deadline")
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		parent, cancel := context.WithTimeout(t.Context(), time.Hour)
		ctx, stop := withoutDeadline(parent)
		defer stop()
		cancel()
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("not cancelled with its parent")
		}
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
	t.Run("cancelled before", func(t *testing.T) {
		parent, cancel := context.WithCancel(t.Context())
		cancel()
		ctx, stop := withoutDeadline(parent)
		defer stop()
		// At once, not from AfterFunc's goroutine.
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}

// TestBusyRecorded: an answer replaced by the busy line is recorded as not
// delivered, saying why, and Handle's error says so too.
func TestBusyRecorded(t *testing.T) {
	j := openJournal(t)
	c := New(&convAnswerer{}, Options{SendQueue: 1, Journal: j, Channel: "wechat"}, nil)
	if !c.sendq.enter() { // another answer holds the only place
		t.Fatal("first enter refused")
	}
	var rec convRecorder
	err := c.Handle(t.Context(), convPrivate("1", "补贴"), rec.send)
	if !errors.Is(err, ErrBusy) || !errors.Is(err, ErrUndelivered) {
		t.Errorf("Handle: got %v, want ErrBusy and ErrUndelivered", err)
	}
	if got := rec.texts(); !slices.Equal(got, []string{msgBusy}) {
		t.Errorf("sent %q, want the busy line", got)
	}
	es, err := j.Entries(t.Context(), time.Time{})
	if err != nil || len(es) != 1 {
		t.Fatalf("entries: %+v, %v; want one", es, err)
	}
	if e := es[0]; e.Delivered || !strings.Contains(e.DeliveryError, "bot busy: send queue full") || e.Answer == "" {
		t.Errorf("entry: delivered %v, delivery error %q, answer %q; want not delivered because busy, the answer kept",
			e.Delivered, e.DeliveryError, e.Answer)
	}
}
