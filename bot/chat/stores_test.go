package chat

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/journal"
)

// fakeClaims hands each id out once, like a store replicas share; err,
// when set, is every claim's failure.
type fakeClaims struct {
	mu      sync.Mutex
	claimed map[string]bool
	err     error
}

func (f *fakeClaims) Claim(_ context.Context, id string, _ time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return false, f.err
	}
	if f.claimed == nil {
		f.claimed = map[string]bool{}
	}
	if f.claimed[id] {
		return false, nil
	}
	f.claimed[id] = true
	return true, nil
}

// fakeCounts counts per sender per minute, like a store replicas share.
type fakeCounts struct {
	mu  sync.Mutex
	n   map[string]int
	err error
}

func (f *fakeCounts) Count(_ context.Context, sender string, now time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	if f.n == nil {
		f.n = map[string]int{}
	}
	k := sender + now.Truncate(time.Minute).String()
	f.n[k]++
	return f.n[k], nil
}

// brokenHistory fails every call, like a database that went away.
type brokenHistory struct{}

var errGone = errors.New("database gone")

func (brokenHistory) Touch(context.Context, string, time.Time) error   { return errGone }
func (brokenHistory) Recent(context.Context, string) ([]string, error) { return nil, errGone }
func (brokenHistory) Forget(context.Context, string) error             { return errGone }
func (brokenHistory) Remember(context.Context, string, string, []answer.Citation, time.Time) error {
	return errGone
}
func (brokenHistory) LastCited(context.Context, string) ([]answer.Citation, bool, error) {
	return nil, false, errGone
}

// TestSharedClaims: two cores sharing claims, as two replicas do, answer
// a message delivered to both once; the chat's next message is answered
// as usual, and a claim store that fails lets messages through.
func TestSharedClaims(t *testing.T) {
	tests := []struct {
		name      string
		claims    *fakeClaims
		wantCalls int // answers of the message delivered to both cores
	}{
		{"shared claims", &fakeClaims{}, 1},
		{"claims failing", &fakeClaims{err: errGone}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ans convAnswerer
			a := New(&ans, Options{Claims: tt.claims}, nil)
			b := New(&ans, Options{Claims: tt.claims}, nil)
			var rec convRecorder
			m := convPrivate("mp:1", "小微企业有什么补贴？")
			for _, c := range []*Conversations{a, b} {
				if err := c.Handle(t.Context(), m, rec.send); err != nil {
					t.Fatal(err)
				}
			}
			if got := len(ans.questions()); got != tt.wantCalls {
				t.Errorf("answered %d times, want %d", got, tt.wantCalls)
			}
			// B dropped one message of the chat; its next one is not held
			// up behind it.
			next := convPrivate("mp:2", "那申请条件呢？")
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			if err := b.Handle(ctx, next, rec.send); err != nil {
				t.Fatalf("the next message: %v", err)
			}
			if qs := ans.questions(); qs[len(qs)-1] != next.Text {
				t.Errorf("last question answered %q, want %q", qs[len(qs)-1], next.Text)
			}
		})
	}
}

// TestSharedLimits: a sender's messages count across cores sharing the
// counter, with one note when over the limit and silence after it.
func TestSharedLimits(t *testing.T) {
	clock := &convClock{t: convT0}
	counts := &fakeCounts{}
	opts := Options{UserPerMinute: 2, UserBurst: 1, Limits: counts, Now: clock.now}
	var ans convAnswerer
	cores := []*Conversations{New(&ans, opts, nil), New(&ans, opts, nil)}
	var rec convRecorder
	for i := range 4 {
		if err := cores[i%2].Handle(t.Context(), convPrivate(fmt.Sprint("m", i), fmt.Sprint("问题", i)), rec.send); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"答：问题0", "答：问题1", msgTooFast}
	got := rec.texts()
	if len(got) != len(want) {
		t.Fatalf("replies %q, want %d: two answers, one note, then silence", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("reply %d = %q, want it to start %q", i, got[i], want[i])
		}
	}
	clock.advance(time.Minute)
	if err := cores[1].Handle(t.Context(), convPrivate("m4", "下一分钟"), rec.send); err != nil {
		t.Fatal(err)
	}
	if got := rec.texts(); !strings.HasPrefix(got[len(got)-1], "答：下一分钟") {
		t.Errorf("the next minute's message got %q, want an answer", got[len(got)-1])
	}
	counts.err = errGone
	if err := cores[0].Handle(t.Context(), convPrivate("m5", "计数失败"), rec.send); err != nil {
		t.Fatal(err)
	}
	if got := rec.texts(); !strings.HasPrefix(got[len(got)-1], "答：计数失败") {
		t.Errorf("with the counter failing got %q, want an answer", got[len(got)-1])
	}
	for _, tt := range []struct {
		rate  float64
		burst int
		want  int
	}{{10, 5, 10}, {2, 5, 5}, {0.5, 0, 1}, {2.5, 1, 3}} {
		if got := perMinute(tt.rate, tt.burst); got != tt.want {
			t.Errorf("perMinute(%v, %d) = %d, want %d", tt.rate, tt.burst, got, tt.want)
		}
	}
}

// TestSharedHistory: cores sharing a history read a follow-up with the
// questions asked through the other; a history that fails leaves answers
// without history, still recorded.
func TestSharedHistory(t *testing.T) {
	t.Run("shared", func(t *testing.T) {
		shared := localHistory{newMemory(6, time.Hour)}
		var ans convAnswerer
		a := New(&ans, Options{History: shared}, nil)
		b := New(&ans, Options{History: shared}, nil)
		var rec convRecorder
		if err := a.Handle(t.Context(), convPrivate("m1", "小微企业有什么补贴？"), rec.send); err != nil {
			t.Fatal(err)
		}
		if err := b.Handle(t.Context(), convPrivate("m2", "那申请条件呢？"), rec.send); err != nil {
			t.Fatal(err)
		}
		if got := ans.histories(); !slices.Equal(got, []string{"", "小微企业有什么补贴？"}) {
			t.Errorf("histories %q, want the follow-up read with the first question", got)
		}
		if err := b.Handle(t.Context(), convPrivate("m3", "原文 2"), rec.send); err != nil {
			t.Fatal(err)
		}
		if got := rec.texts(); !strings.Contains(got[len(got)-1], convCitations[1].Text) {
			t.Errorf("原文 2 on the other core = %q, want clause 2 of the last answer", got[len(got)-1])
		}
	})
	t.Run("failing", func(t *testing.T) {
		j, err := journal.Open(filepath.Join(t.TempDir(), "qa"), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		var ans convAnswerer
		c := New(&ans, Options{History: brokenHistory{}, Journal: j, Channel: "mp"}, nil)
		var rec convRecorder
		for i, q := range []string{"小微企业有什么补贴？", "那申请条件呢？", "原文 1", "重置"} {
			if err := c.Handle(t.Context(), convPrivate(fmt.Sprint("m", i), q), rec.send); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		got := rec.texts()
		want := []string{"答：小微企业有什么补贴？", "答：那申请条件呢？", msgNoAnswerYet, msgReset}
		for i := range want {
			if i >= len(got) || !strings.HasPrefix(got[i], want[i]) {
				t.Errorf("reply %d = %q, want it to start %q", i, got, want[i])
			}
		}
		if h := ans.histories(); !slices.Equal(h, []string{"", ""}) {
			t.Errorf("histories %q, want none", h)
		}
		es, err := j.Entries(t.Context(), time.Time{})
		if err != nil || len(es) != 2 {
			t.Errorf("recorded %d entries (%v), want 2", len(es), err)
		}
	})
}
