package postgres

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/retrieval"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func TestHistoryShared(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0].History(2, 30*time.Minute), rs[1].History(2, 30*time.Minute)
	ctx := t.Context()
	cited := []answer.Citation{{N: 1, DocID: "d1", Title: "关于支持中小企业的若干措施", DocNo: "某发〔2024〕1号", Clause: "第三条", Text: "给予补助"}}
	steps := []struct {
		name string
		do   func() error
	}{
		{"A touches", func() error { return a.Touch(ctx, "chat", t0) }},
		{"A remembers 一", func() error { return a.Remember(ctx, "chat", "一", nil, t0) }},
		{"B touches", func() error { return b.Touch(ctx, "chat", t0.Add(time.Minute)) }},
		{"B remembers 二", func() error { return b.Remember(ctx, "chat", "二", nil, t0.Add(time.Minute)) }},
		{"A remembers 三", func() error { return a.Remember(ctx, "chat", "三", cited, t0.Add(2*time.Minute)) }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	for name, h := range map[string]*History{"A": a, "B": b} {
		got, err := h.Recent(ctx, "chat")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, []string{"二", "三"}) {
			t.Errorf("%s: Recent = %q, want the last two turns [二 三]", name, got)
		}
		last, ok, err := h.LastCited(ctx, "chat")
		if err != nil {
			t.Fatal(err)
		}
		if !ok || len(last) != 1 || last[0].DocNo != cited[0].DocNo || last[0].Text != cited[0].Text {
			t.Errorf("%s: LastCited = %+v, %v; want the citations of 三", name, last, ok)
		}
	}

	tests := []struct {
		name      string
		do        func() error
		chat      string
		wantQs    []string
		wantLast  bool
		wantCited int
	}{
		{"an answer without citations is still an answer", func() error { return b.Remember(ctx, "bare", "问", nil, t0) }, "bare", []string{"问"}, true, 0},
		{"a chat never seen", func() error { return nil }, "nobody", nil, false, 0},
		{"idle too long is forgotten on touch", func() error { return b.Touch(ctx, "chat", t0.Add(2*time.Minute+30*time.Minute)) }, "chat", nil, false, 0},
		{"forget", func() error { return a.Forget(ctx, "bare") }, "bare", nil, false, 0},
		{"no turns kept, last answer still", func() error { return rs[0].History(0, 0).Remember(ctx, "zero", "问", cited, t0) }, "zero", nil, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); err != nil {
				t.Fatal(err)
			}
			got, err := a.Recent(ctx, tt.chat)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.wantQs) {
				t.Errorf("Recent = %q, want %q", got, tt.wantQs)
			}
			last, ok, err := a.LastCited(ctx, tt.chat)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantLast || len(last) != tt.wantCited {
				t.Errorf("LastCited = %d citations, %v; want %d, %v", len(last), ok, tt.wantCited, tt.wantLast)
			}
		})
	}

	t.Run("idle chats are swept", func(t *testing.T) {
		h := rs[1].History(2, 30*time.Minute)
		for i := range 5 {
			if err := h.Touch(ctx, fmt.Sprint("other", i), t0); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.Touch(ctx, "late", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := rs[0].pool.QueryRow(ctx, `SELECT count(*) FROM chat_history WHERE seen <= $1`, t0.Add(30*time.Minute)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d chats idle for 30 minutes are kept, want none", n)
		}
	})

	t.Run("two replicas remembering one chat at once keep every question", func(t *testing.T) {
		const each = 20
		ha, hb := rs[0].History(50, time.Hour), rs[1].History(50, time.Hour)
		var wg sync.WaitGroup
		errs := make(chan error, 2*each)
		for i := range each {
			for j, h := range []*History{ha, hb} {
				wg.Go(func() {
					if err := h.Remember(context.Background(), "busy", fmt.Sprintf("%c%d", 'A'+j, i), nil, t0); err != nil {
						errs <- err
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got, err := ha.Recent(ctx, "busy")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2*each {
			t.Errorf("kept %d questions of %d remembered at once", len(got), 2*each)
		}
	})

	var raw int
	if err := rs[0].pool.QueryRow(ctx, `SELECT count(*) FROM chat_history WHERE chat = 'chat' OR chat = 'bare'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if raw != 0 {
		t.Error("chat_history keeps chat ids as they are, want hashes")
	}
}

// recordOps writes the same exchanges, marks and corrections to a record.
func recordOps(t *testing.T, r interface {
	Append(ctx context.Context, e journal.Entry) (string, error)
	Mark(ctx context.Context, id string, good bool, comment string) error
	Undelivered(ctx context.Context, id string, cause error) error
}, now time.Time) {
	t.Helper()
	ctx := t.Context()
	entries := []journal.Entry{
		{ID: "e1", Time: now.Add(-2 * time.Hour), Channel: "mp", Chat: journal.ChatHash("u1"), Question: "小微企业有什么减税政策？",
			Answer: "答一", Found: true, LatencyMS: 120, Corpus: "v1", Delivered: true,
			Citations: []journal.Citation{{N: 1, DocID: "d1", Title: "措施", DocNo: "某发〔2024〕1号", Clause: "第一条", Issued: "2024-01-01", ChunkID: "d1#1"}}},
		{ID: "e2", Time: now.Add(-time.Hour), Channel: "web", Chat: journal.ChatHash("u2"), Question: "那申请条件呢？",
			History: []string{"小微企业有什么减税政策？"}, Error: "answer question: deadline exceeded", DeliveryError: "not answered"},
		{ID: "e3", Time: now, Channel: "wechat", Chat: journal.ChatHash("u1"), Question: "研发费用加计扣除比例", Answer: "答三", Found: true, Delivered: true},
	}
	for _, e := range entries {
		if id, err := r.Append(ctx, e); err != nil || id != e.ID {
			t.Fatalf("Append %s: %q, %v", e.ID, id, err)
		}
	}
	for _, m := range []journal.Mark{{Ref: "e1", Good: true, Comment: "对"}, {Ref: "e1", Good: false, Comment: "条款错了"}, {Ref: "e3", Good: true}} {
		if err := r.Mark(ctx, m.Ref, m.Good, m.Comment); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Undelivered(ctx, "e3", errors.New("dropped: the user did not write again")); err != nil {
		t.Fatal(err)
	}
}

// TestRecordAsFiles writes the same record to files and to the database
// (through two replicas) and reads the same back.
func TestRecordAsFiles(t *testing.T) {
	files, err := journal.Open(filepath.Join(t.TempDir(), "qa"), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	rs := replicas(t, 2)
	// The database keeps microseconds.
	now := time.Now().UTC().Truncate(time.Microsecond)
	recordOps(t, files, now)
	recordOps(t, rs[0].Record(0), now)
	db := rs[1].Record(0) // the other replica reads what the first wrote
	ctx := t.Context()
	for _, since := range []time.Time{{}, now.Add(-90 * time.Minute), now.Add(time.Hour)} {
		want, err := files.Entries(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Entries(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("since %s: %d entries, files have %d", since.Format(time.TimeOnly), len(got), len(want))
		}
		for i := range got {
			if !got[i].Time.Equal(want[i].Time) {
				t.Errorf("entry %s at %s, files say %s", got[i].ID, got[i].Time, want[i].Time)
			}
			got[i].Time, want[i].Time = time.Time{}, time.Time{}
			if g, w := fmt.Sprintf("%+v", got[i]), fmt.Sprintf("%+v", want[i]); g != w {
				t.Errorf("since %s: entry\n%s\nfiles have\n%s", since.Format(time.TimeOnly), g, w)
			}
		}
	}
	entries, _ := db.Entries(ctx, time.Time{})
	if e := entries[2]; e.Delivered || e.DeliveryError == "" {
		t.Errorf("e3 after Undelivered: delivered %v, %q; want false and the cause", e.Delivered, e.DeliveryError)
	}
	for _, since := range []time.Time{{}, now.Add(-time.Minute), now.Add(time.Hour)} {
		want, _ := files.Marks(ctx, since)
		got, err := db.Marks(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("since %s: %d marks, files have %d", since.Format(time.TimeOnly), len(got), len(want))
		}
		for i := range got {
			if got[i].Ref != want[i].Ref || got[i].Good != want[i].Good || got[i].Comment != want[i].Comment {
				t.Errorf("mark %d = %+v, files have %+v", i, got[i], want[i])
			}
		}
	}
	if err := db.Undelivered(ctx, "no-such-entry", errors.New("x")); err == nil {
		t.Error("Undelivered of an unknown entry: nil, want an error")
	}
	if err := db.Healthy(); err != nil {
		t.Errorf("Healthy = %v after writes that succeeded", err)
	}
	rs[1].Close()
	if _, err := db.Append(ctx, journal.Entry{Question: "关闭后"}); err == nil {
		t.Error("Append on a closed pool succeeded")
	}
	if err := db.Healthy(); err == nil {
		t.Error("Healthy = nil after a failed write")
	}
}

// TestTaughtAcrossReplicas: what is taught through one replica is used by
// another within about a second of its Watch, and removed likewise.
func TestTaughtAcrossReplicas(t *testing.T) {
	rs := replicas(t, 2)
	ctx := t.Context()
	a, err := retrieval.OpenTaughtStore(ctx, rs[0].Taught())
	if err != nil {
		t.Fatal(err)
	}
	b, err := retrieval.OpenTaughtStore(ctx, rs[1].Taught())
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go b.Watch(wctx, time.Second, nil)

	seen := func(tt *retrieval.Taught, id string) bool {
		return slices.ContainsFunc(tt.List(), func(it retrieval.TaughtItem) bool { return it.ID == id })
	}
	waitFor := func(what string, cond func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > 3*time.Second {
				t.Fatalf("%s: not seen within 3 s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return time.Since(start)
	}
	it, err := a.Add(ctx, retrieval.TaughtItem{Question: "首台套保险补偿，保费补贴多少", ChunkID: "d7#3"})
	if err != nil {
		t.Fatal(err)
	}
	if !seen(a, it.ID) {
		t.Fatal("A does not list what it was taught at once")
	}
	d := waitFor("B sees what A was taught", func() bool { return seen(b, it.ID) })
	t.Logf("B saw A's teaching after %s", d.Round(time.Millisecond))
	if d > 1500*time.Millisecond {
		t.Errorf("B saw A's teaching after %s, want within about a second", d)
	}
	got := b.List()
	if len(got) != 1 || got[0].Question != it.Question || got[0].ChunkID != "d7#3" || !got[0].Added.Equal(it.Added.Truncate(time.Microsecond)) {
		t.Errorf("B lists %+v, want %+v", got, it)
	}

	// Teaching it again replaces, on both.
	again, err := a.Add(ctx, retrieval.TaughtItem{Question: "首台套保险补偿，保费补贴多少？", None: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor("B sees the teaching replaced", func() bool { l := b.List(); return len(l) == 1 && l[0].None })
	if again.ID != it.ID {
		t.Errorf("re-taught id %s, want %s", again.ID, it.ID)
	}

	if err := b.Remove(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if changed, err := a.Refresh(ctx); err != nil || !changed {
		t.Fatalf("A's Refresh after B's remove: %v, %v; want a reload", changed, err)
	}
	if seen(a, it.ID) {
		t.Error("A still lists what B removed")
	}
	if changed, err := a.Refresh(ctx); err != nil || changed {
		t.Errorf("A's second Refresh: %v, %v; want nothing to reload", changed, err)
	}
	if err := a.Remove(ctx, it.ID); !errors.Is(err, retrieval.ErrNoTaught) {
		t.Errorf("removing it twice: %v, want ErrNoTaught", err)
	}
}
