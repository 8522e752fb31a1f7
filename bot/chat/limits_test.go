package chat

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
)

var convT0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.Local)

func TestSeenIDs(t *testing.T) {
	tests := []struct {
		name string
		adds []string      // ids added in order, one second apart
		at   time.Duration // when the probe is added, after the first add
		id   string        // probe
		want bool          // probe is a duplicate
		max  int           // capacity
		ttl  time.Duration // lifetime
	}{
		{name: "new", adds: []string{"a"}, at: 2 * time.Second, id: "b", want: false, max: 10, ttl: time.Hour},
		{name: "repeat", adds: []string{"a"}, at: 2 * time.Second, id: "a", want: true, max: 10, ttl: time.Hour},
		{name: "expired", adds: []string{"a"}, at: 2 * time.Hour, id: "a", want: false, max: 10, ttl: time.Hour},
		{name: "evicted by capacity", adds: []string{"a", "b", "c"}, at: 3 * time.Second, id: "a", want: false, max: 2, ttl: time.Hour},
		{name: "kept within capacity", adds: []string{"a", "b", "c"}, at: 3 * time.Second, id: "c", want: true, max: 2, ttl: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeenIDs(tt.max, tt.ttl)
			for i, id := range tt.adds {
				s.add(id, convT0.Add(time.Duration(i)*time.Second))
			}
			if got := s.add(tt.id, convT0.Add(tt.at)); got != tt.want {
				t.Errorf("add(%q) duplicate = %v, want %v", tt.id, got, tt.want)
			}
			if got := s.len(); got > tt.max {
				t.Errorf("len = %d, want at most %d", got, tt.max)
			}
		})
	}
}

func TestSeenIDsBounded(t *testing.T) {
	s := newSeenIDs(100, time.Hour)
	for i := range 1000 {
		s.add(fmt.Sprint(i), convT0)
	}
	if got := s.len(); got != 100 {
		t.Errorf("len = %d, want 100", got)
	}
}

func TestUserLimits(t *testing.T) {
	u := newUserLimits(1, 2) // one a minute, two at once
	steps := []struct {
		user string
		at   time.Duration
		want verdict
	}{
		{"a", 0, allowed},
		{"a", 0, allowed},
		{"a", 0, limitedNotify},
		{"a", time.Second, limitedSilent},
		{"b", time.Second, allowed},
		{"a", time.Minute + time.Second, allowed},
		{"a", time.Minute + time.Second, limitedNotify},
	}
	for i, s := range steps {
		if got := u.allow(s.user, convT0.Add(s.at)); got != s.want {
			t.Errorf("step %d (%s at %v): got %v, want %v", i, s.user, s.at, got, s.want)
		}
	}
}

func TestUserLimitsEvictIdle(t *testing.T) {
	u := newUserLimits(6, 3) // refills in 30 s
	for i := range 100 {
		u.allow(fmt.Sprint(i), convT0)
	}
	if got := u.len(); got != 100 {
		t.Fatalf("len = %d, want 100", got)
	}
	u.allow("late", convT0.Add(time.Minute))
	if got := u.len(); got != 1 {
		t.Errorf("len after idle = %d, want 1", got)
	}
}

func TestPacer(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		wantErr  bool // on the second wait
	}{
		{"disabled", 0, false},
		{"second send must wait", time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPacer(tt.interval)
			if err := p.wait(t.Context()); err != nil {
				t.Fatalf("first wait: got %v, want nil", err)
			}
			// The deadline is far shorter than the interval, so the limiter
			// refuses at once instead of sleeping.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			err := p.wait(ctx)
			if got := err != nil; got != tt.wantErr {
				t.Errorf("second wait error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestSleepCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if err := sleep(ctx, 0); err != nil {
		t.Errorf("zero pause: got %v, want nil", err)
	}
}

func TestTurns(t *testing.T) {
	tr := newTurns()
	first := tr.take("c")
	second := tr.take("c")
	other := tr.take("d")
	if got := tr.queued("c"); got != 2 {
		t.Fatalf("queued(c) = %d, want 2", got)
	}
	if err := first.wait(t.Context()); err != nil {
		t.Fatalf("first wait: %v", err)
	}
	if err := other.wait(t.Context()); err != nil {
		t.Fatalf("other chat wait: %v", err)
	}
	// The second ticket must not pass while the first is held.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := second.wait(ctx); err == nil {
		t.Fatal("second wait passed while the first ticket was held")
	}
	third := tr.take("c")
	first.done()
	// The abandoned second ticket releases itself after the first is done.
	if err := third.wait(t.Context()); err != nil {
		t.Fatalf("third wait: %v", err)
	}
	third.done()
	other.done()
	for _, chat := range []string{"c", "d"} {
		if got := tr.queued(chat); got != 0 {
			t.Errorf("queued(%s) after all done = %d, want 0", chat, got)
		}
	}
}

func TestMemory(t *testing.T) {
	m := newMemory(2, 30*time.Minute)
	m.touch("c", convT0)
	for i, q := range []string{"一", "二", "三"} {
		m.remember("c", q, answer.Result{Text: "答" + q}, convT0.Add(time.Duration(i)*time.Minute))
	}
	if got, want := fmt.Sprint(m.history("c")), "[二 三]"; got != want {
		t.Errorf("history = %s, want %s", got, want)
	}
	if a, ok := m.lastAnswer("c"); !ok || a.Text != "答三" {
		t.Errorf("lastAnswer = %q, %v, want 答三, true", a.Text, ok)
	}
	for i := range 50 {
		m.touch(fmt.Sprint("other", i), convT0)
	}
	m.touch("late", convT0.Add(time.Hour))
	if got := m.len(); got != 1 {
		t.Errorf("chats after idle sweep = %d, want 1", got)
	}
	if got := m.history("c"); got != nil {
		t.Errorf("history after idle = %v, want nil", got)
	}
}
