package chat

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestHistoryTurnsZero shows that HistoryTurns 0 passes no history, both
// for messages and for Ask, as config's bot.history_turns: 0 documents.
func TestHistoryTurnsZero(t *testing.T) {
	a := &convAnswerer{}
	c := New(a, Options{HistoryTurns: 0}, nil)
	for i, q := range []string{"一", "二", "三"} {
		var rec convRecorder
		if err := c.Handle(t.Context(), convPrivate(fmt.Sprint(i), q), rec.send); err != nil {
			t.Fatalf("Handle(%q): %v", q, err)
		}
	}
	if _, err := c.Ask(t.Context(), Request{ChatID: "web", Question: "四", History: []string{"一", "二"}}); err != nil {
		t.Fatalf("Ask: %v", err)
	}
	if got, want := fmt.Sprintf("%q", a.histories()), fmt.Sprintf("%q", []string{"", "", "", ""}); got != want {
		t.Errorf("histories: got %s, want %s", got, want)
	}
}

func TestAsk(t *testing.T) {
	long := strings.Repeat("长", 11)
	tests := []struct {
		name        string
		req         Request
		wantErr     error
		wantHistory string // joined with |
	}{
		{"plain", Request{Question: " 补贴 "}, nil, ""},
		{"history kept to the last turns", Request{Question: "补贴", History: []string{"一", "二", "三"}}, nil, "二|三"},
		{"blank history dropped", Request{Question: "补贴", History: []string{"一", " ", ""}}, nil, "一"},
		{"long history entry cut", Request{Question: "补贴", History: []string{long}}, nil, strings.Repeat("长", 10)},
		{"empty", Request{Question: " \u3000"}, ErrEmpty, ""},
		{"too long", Request{Question: long}, ErrTooLong, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &convAnswerer{}
			j := openJournal(t)
			c := New(a, Options{HistoryTurns: 2, MaxInputChars: 10, Journal: j, Channel: "web"}, nil)
			d, err := c.Ask(t.Context(), tt.req)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Ask: got error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if n := len(a.questions()); n != 0 {
					t.Errorf("the answerer was called %d times, want 0", n)
				}
				return
			}
			if got := a.histories(); len(got) != 1 || got[0] != tt.wantHistory {
				t.Errorf("history: got %q, want %q", got, tt.wantHistory)
			}
			if d.ID == "" || d.Answer.Text != "答："+strings.TrimSpace(tt.req.Question) {
				t.Errorf("draft = %+v, want an id and the answer", d)
			}
			es, err := j.Entries(t.Context(), time.Time{})
			if err != nil || len(es) != 1 || es[0].ID != d.ID || es[0].Channel != "web" {
				t.Fatalf("record: %+v, %v; want one web entry with the draft's id", es, err)
			}
			if err := c.Mark(t.Context(), d.ID, false, "条款不对"); err != nil {
				t.Fatalf("Mark: %v", err)
			}
		})
	}
}

func TestMarkWithoutRecord(t *testing.T) {
	c := New(&convAnswerer{}, Options{}, nil)
	if err := c.Mark(t.Context(), "x", true, ""); !errors.Is(err, ErrNoRecord) {
		t.Errorf("Mark: got %v, want ErrNoRecord", err)
	}
}
