package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/journal"
)

// fakeAnswers is the shared Q&A record as another replica wrote it.
type fakeAnswers struct {
	entries map[string]journal.Entry
	err     error

	mu    sync.Mutex
	calls []string
}

func (f *fakeAnswers) Entry(_ context.Context, id string) (journal.Entry, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, id)
	if f.err != nil {
		return journal.Entry{}, false, f.err
	}
	e, ok := f.entries[id]
	return e, ok, nil
}

func (f *fakeAnswers) lookups() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// fakeCounter is a shared counter with a fixed window per minute.
type fakeCounter struct {
	mu     sync.Mutex
	err    error
	counts map[string]int
	seen   []string
}

func (f *fakeCounter) Count(_ context.Context, client string, now time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, client)
	if f.err != nil {
		return 0, f.err
	}
	if f.counts == nil {
		f.counts = map[string]int{}
	}
	k := client + "@" + now.Truncate(time.Minute).Format(time.RFC3339)
	f.counts[k]++
	return f.counts[k], nil
}

func (f *fakeCounter) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeCounter) clients() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

// TestDraftOfAnotherReplica: a draft this server did not give may be
// marked and taught when the shared record says a console gave it.
func TestDraftOfAnotherReplica(t *testing.T) {
	const (
		otherID  = "0123456789abcdef01234567"
		question = "研发费用加计扣除比例是多少"
	)
	webEntry := journal.Entry{ID: otherID, Channel: Channel, Question: question, Answer: "答", Delivered: true}
	with := func(change func(e *journal.Entry)) map[string]journal.Entry {
		e := webEntry
		change(&e)
		return map[string]journal.Entry{otherID: e}
	}
	tests := []struct {
		name    string
		answers *fakeAnswers // nil: no shared record
		status  int
		msg     string
	}{
		{"a web draft of another replica", &fakeAnswers{entries: map[string]journal.Entry{otherID: webEntry}}, http.StatusOK, ""},
		{"a WeChat answer", &fakeAnswers{entries: with(func(e *journal.Entry) { e.Channel = "wechat" })},
			http.StatusNotFound, msgUnknownAnswer},
		{"a failed answer, never shown", &fakeAnswers{entries: with(func(e *journal.Entry) { e.Answer, e.Error = "", "answer question: timeout" })},
			http.StatusNotFound, msgUnknownAnswer},
		{"not in the record", &fakeAnswers{}, http.StatusNotFound, msgUnknownAnswer},
		{"the record fails", &fakeAnswers{err: errors.New("postgres is down")}, http.StatusServiceUnavailable, msgRecordUnavailable},
		{"no shared record", nil, http.StatusNotFound, msgUnknownAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTaught(t)
			opts := Options{Taught: st}
			if tt.answers != nil {
				opts.Answers = tt.answers
			}
			f := newFixture(t, opts, false)

			w := f.do(t, request{method: "POST", path: "/api/feedback", body: `{"id":"` + otherID + `","good":false,"comment":"条款错了"}`})
			if tt.status != http.StatusOK {
				wantError(t, w, tt.status, tt.msg)
			} else if w.Code != http.StatusOK {
				t.Fatalf("feedback: got %d %s, want 200", w.Code, w.Body.String())
			}
			w = f.do(t, request{method: "POST", path: "/api/teach", body: `{"id":"` + otherID + `","none":true}`})
			if tt.status != http.StatusOK {
				wantError(t, w, tt.status, tt.msg)
				if ms, items := f.marks(t), st.List(); len(ms) != 0 || len(items) != 0 {
					t.Errorf("marks %+v, taught %+v; want none", ms, items)
				}
				if tt.status == http.StatusServiceUnavailable && !strings.Contains(f.logs.String(), "postgres is down") {
					t.Errorf("the log does not say why the lookup failed:\n%s", f.logs.String())
				}
				return
			}
			if w.Code != http.StatusOK {
				t.Fatalf("teach: got %d %s, want 200", w.Code, w.Body.String())
			}
			if ms := f.marks(t); len(ms) != 1 || ms[0] != (markCall{otherID, false, "[本机] 条款错了"}) {
				t.Errorf("marks %+v, want one on %s", ms, otherID)
			}
			items := st.List()
			if len(items) != 1 || items[0].Question != question || !items[0].None || items[0].AnswerID != otherID {
				t.Errorf("taught %+v, want %q as no answer, from %s", items, question, otherID)
			}
			// Found once, the draft is known here like this server's own.
			if n := tt.answers.lookups(); n != 1 {
				t.Errorf("%d lookups for a mark and a teach, want 1", n)
			}
		})
	}
}

// TestOwnDraftNotLookedUp: this server's own drafts need no lookup, so
// they can be marked and taught while the shared record fails.
func TestOwnDraftNotLookedUp(t *testing.T) {
	st := newTaught(t)
	answers := &fakeAnswers{err: errors.New("postgres is down")}
	f := newFixture(t, Options{Taught: st, Answers: answers}, false)
	id := decodeBody[askResponse](t, f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":" 税收优惠有哪些 "}`})).ID
	if id == "" {
		t.Fatal("ask: no id")
	}
	for _, rq := range []request{
		{method: "POST", path: "/api/feedback", body: `{"id":"` + id + `","good":false}`},
		{method: "POST", path: "/api/teach", body: `{"id":"` + id + `","none":true}`},
	} {
		if w := f.do(t, rq); w.Code != http.StatusOK {
			t.Errorf("%s: got %d %s, want 200", rq.path, w.Code, w.Body.String())
		}
	}
	if n := answers.lookups(); n != 0 {
		t.Errorf("%d lookups, want none", n)
	}
	if items := st.List(); len(items) != 1 || items[0].Question != "税收优惠有哪些" {
		t.Errorf("taught %+v, want the trimmed question", items)
	}
}

// TestSharedRateLimit: two replicas sharing one counter give a client one
// budget of RatePerMinute a minute, across /api/ask and /api/retrieve.
func TestSharedRateLimit(t *testing.T) {
	clk := newClock()
	counter := &fakeCounter{}
	// 2 a minute: the local bucket's burst would be one.
	opts := Options{RatePerMinute: 2, Limits: counter, Now: clk.Now}
	a, b := newFixture(t, opts, false), newFixture(t, opts, false)
	steps := []struct {
		name    string
		advance time.Duration
		f       *fixture
		path    string
		ip      string
		status  int
		retry   string
	}{
		{"first on A", 0, a, "/api/ask", "192.0.2.1", http.StatusOK, ""},
		{"second on A at once, past the local burst", 0, a, "/api/retrieve", "192.0.2.1", http.StatusOK, ""},
		{"third on B, which it never reached", 15 * time.Second, b, "/api/retrieve", "192.0.2.1", http.StatusTooManyRequests, "45"},
		{"fourth on A", 0, a, "/api/ask", "192.0.2.1", http.StatusTooManyRequests, "45"},
		{"another client", 0, b, "/api/ask", "192.0.2.2", http.StatusOK, ""},
		{"the next minute", 45 * time.Second, b, "/api/ask", "192.0.2.1", http.StatusOK, ""},
	}
	for _, s := range steps {
		clk.advance(s.advance)
		w := postFrom(s.f, s.path, s.ip)
		if w.Code != s.status {
			t.Fatalf("%s: got %d %s, want %d", s.name, w.Code, w.Body.String(), s.status)
		}
		if s.status == http.StatusTooManyRequests {
			wantError(t, w, s.status, msgRate)
			if got := w.Header().Get("Retry-After"); got != s.retry {
				t.Errorf("%s: Retry-After %q, want %q (the window's end)", s.name, got, s.retry)
			}
		}
	}
	if n := len(a.answerer.Calls()) + len(b.answerer.Calls()); n != 3 {
		t.Errorf("answerer calls: got %d, want 3 (limited requests must not reach it)", n)
	}
	for _, c := range counter.clients() {
		if c != "192.0.2.1" && c != "192.0.2.2" {
			t.Errorf("counted client %q, want the client's IP", c)
		}
	}
	if got := len(counter.clients()); got != len(steps) {
		t.Errorf("%d counts, want one per costly request (%d)", got, len(steps))
	}
}

// TestSharedRateLimitFallsBack: while the shared counter fails, requests
// are limited by this server's buckets, not refused; a Warn says so once,
// and counting across replicas resumes when the counter answers again.
func TestSharedRateLimitFallsBack(t *testing.T) {
	clk := newClock()
	counter := &fakeCounter{}
	// 6 a minute: locally a burst of one, then one every 10 s.
	f := newFixture(t, Options{RatePerMinute: 6, Limits: counter, Now: clk.Now}, false)
	retrieve := func() int {
		return f.do(t, request{method: "POST", path: "/api/retrieve", body: `{"question":"税收"}`}).Code
	}
	counter.fail(errors.New("postgres is down"))
	steps := []struct {
		name    string
		advance time.Duration
		status  int
	}{
		{"first, counter down", 0, http.StatusOK},
		{"second at once: the local burst is spent", 0, http.StatusTooManyRequests},
		{"after 10 s locally", 10 * time.Second, http.StatusOK},
	}
	for _, s := range steps {
		clk.advance(s.advance)
		if got := retrieve(); got != s.status {
			t.Fatalf("%s: got %d, want %d", s.name, got, s.status)
		}
	}
	logs := f.logs.String()
	if n := strings.Count(logs, "not counted across replicas"); n != 1 || !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "postgres is down") {
		t.Errorf("want one Warn naming the cause, got:\n%s", logs)
	}
	counter.fail(nil)
	// Back: the shared window allows 6 at once, which the local bucket
	// would not.
	for i := range 6 {
		if got := retrieve(); got != http.StatusOK {
			t.Fatalf("request %d after the counter came back: got %d, want 200", i, got)
		}
	}
	if got := retrieve(); got != http.StatusTooManyRequests {
		t.Errorf("7th request in the minute: got %d, want 429", got)
	}
	if !strings.Contains(f.logs.String(), "counted across replicas again") {
		t.Errorf("the log does not say counting resumed:\n%s", f.logs.String())
	}
}
