package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/journal"
)

func TestConversationsJournal(t *testing.T) {
	j := openJournal(t)
	a := &convAnswerer{answer: func(_ context.Context, q string) (answer.Result, error) {
		if q == "坏" {
			return answer.Result{}, errors.New("llm down")
		}
		return answer.Result{Text: "答：" + q, Found: true, Citations: convCitations}, nil
	}}
	c := New(a, Options{HistoryTurns: 3, Journal: j, Channel: "cli"}, nil)
	for i, q := range []string{"好", "帮助", "坏"} {
		var rec convRecorder
		if err := c.Handle(t.Context(), convPrivate(fmt.Sprint(i), q), rec.send); err != nil {
			t.Fatalf("Handle(%q): %v", q, err)
		}
	}
	es, err := j.Entries(t.Context(), time.Time{})
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	type row struct {
		Channel, Chat, Question, Answer, Error string
		Found                                  bool
		Cites                                  int
		History                                string
	}
	var got []row
	for _, e := range es {
		got = append(got, row{e.Channel, e.Chat, e.Question, e.Answer, e.Error, e.Found, len(e.Citations), strings.Join(e.History, "|")})
	}
	want := []row{
		{"cli", journal.ChatHash("alice"), "好", "答：好", "", true, 2, ""},
		{"cli", journal.ChatHash("alice"), "坏", "", "answer question: llm down", false, 0, "好"},
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if strings.Contains(es[0].Chat, "alice") {
		t.Errorf("chat %q holds the raw chat id", es[0].Chat)
	}
}

func openJournal(t *testing.T) *journal.Files {
	t.Helper()
	j, err := journal.Open(t.TempDir(), 0, nil)
	if err != nil {
		t.Fatalf("open journal: %v", err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}
