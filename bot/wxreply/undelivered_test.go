package wxreply

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
)

type fakeRecorder struct {
	mu      sync.Mutex
	entries []string
}

func (f *fakeRecorder) Undelivered(_ context.Context, entry string, cause error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cause == nil {
		return errors.New("no cause")
	}
	f.entries = append(f.entries, entry)
	return nil
}

// TestMailboxRecordsDropped: the answers whose messages were still
// waiting when the bot stopped are reported, once each, so that the Q&A
// record says they never arrived.
func TestMailboxRecordsDropped(t *testing.T) {
	rec := &fakeRecorder{}
	b := NewMailbox(MailboxOptions{MaxBytes: 2048, Undelivered: RecordUndelivered(rec, slog.New(slog.DiscardHandler))}, nil)
	ctx := context.Background()
	if err := b.Put(ctx, "chat-1", "entry-a", "第一部分", "第二部分"); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "chat-2", "entry-b", "答复"); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "chat-2", "", "帮助的回复"); err != nil {
		t.Fatal(err)
	}
	b.LogUndelivered()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	got := map[string]int{}
	for _, e := range rec.entries {
		got[e]++
	}
	if len(got) != 2 || got["entry-a"] != 1 || got["entry-b"] != 1 {
		t.Errorf("reported %v, want entry-a and entry-b once each", rec.entries)
	}
}
