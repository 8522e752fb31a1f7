package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/journal"
)

// Request is one question asked outside a stream of messages, as the
// staff console asks on a customer's behalf: the customer's earlier
// messages come with it instead of from the chat's memory.
type Request struct {
	ChatID   string   // who asks, for the record (which keeps only a hash)
	Question string   // the question
	History  []string // the earlier user messages, oldest first
}

// Draft is the answer to a Request.
type Draft struct {
	// ID names the exchange in the Q&A record, for Mark; empty when no
	// record is kept or writing it failed.
	ID     string
	Answer answer.Result
}

// Errors of Ask that the caller words for its user. A question over the
// length limit is a *TooLongError, which also matches ErrTooLong.
var (
	ErrEmpty   = errors.New("empty question")
	ErrTooLong = errors.New("question too long")
)

// TooLongError says how long a question was and how long it may be.
type TooLongError struct{ Chars, Max int }

func (e *TooLongError) Error() string {
	return fmt.Sprintf("question too long: %d characters, at most %d", e.Chars, e.Max)
}

// Is makes a TooLongError match ErrTooLong.
func (e *TooLongError) Is(target error) bool { return target == ErrTooLong }

// Ask answers one Request under the same limits as a chat message: the
// question's length, the number of earlier messages kept (each cut to the
// same length) and the answer's deadline. The exchange is recorded like
// any other; a failure to record it is logged, since the answer is still
// good.
func (c *Conversations) Ask(ctx context.Context, r Request) (Draft, error) {
	question := strings.TrimSpace(r.Question)
	switch n := utf8.RuneCountInString(question); {
	case n == 0:
		return Draft{}, ErrEmpty
	case c.opts.MaxInputChars > 0 && n > c.opts.MaxInputChars:
		return Draft{}, &TooLongError{Chars: n, Max: c.opts.MaxInputChars}
	}
	history := c.limitHistory(r.History)
	c.log.Debug("question", "chat", journal.ChatHash(r.ChatID), "question", question, "history", len(history))
	start := time.Now()
	a, _, err := c.answer(ctx, question, history, nil, outbox{c: c, send: func(context.Context, Reply) error { return nil }})
	// The draft is returned, not sent: it is delivered unless there is
	// none.
	// A record that cannot be written is logged by record; the draft is
	// still good, and goes out without an id.
	id, _ := c.record(ctx, r.ChatID, question, history, a, time.Since(start), err, err)
	if err != nil {
		return Draft{}, err
	}
	return Draft{ID: id, Answer: a}, nil
}

// limitHistory keeps the last HistoryTurns messages that are not blank,
// each cut to MaxInputChars.
func (c *Conversations) limitHistory(history []string) []string {
	var out []string
	for _, h := range history {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if r := []rune(h); c.opts.MaxInputChars > 0 && len(r) > c.opts.MaxInputChars {
			h = string(r[:c.opts.MaxInputChars])
		}
		out = append(out, h)
	}
	if n := len(out) - c.opts.HistoryTurns; n > 0 {
		out = out[n:]
	}
	return out
}

// ErrNoRecord is Mark's error when no Q&A record is kept.
var ErrNoRecord = errors.New("no Q&A record is kept")

// Mark records a staff member's judgement of an answer in the Q&A record.
func (c *Conversations) Mark(ctx context.Context, id string, good bool, comment string) error {
	if c.opts.Journal == nil {
		return ErrNoRecord
	}
	return c.opts.Journal.Mark(ctx, id, good, comment)
}
