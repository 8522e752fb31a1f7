package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/chat"
)

// The lines that tell the reader the streamed text above is superseded.
const (
	noteCorrected = "（以上回答经核对引用已更正，请以下面的回答为准：）"
	noteReplaced  = "（以上回答未能完成，请以下面的内容为准：）"
)

// answerStreamer is what the terminal needs from the answer pipeline.
type answerStreamer interface {
	AnswerStream(ctx context.Context, question string, history []string, onDelta func(string)) (answer.Result, error)
}

// terminal shows answers as the model writes them. It stands on both sides
// of chat.Conversations, so that commands, history and the Q&A record keep
// working: as its answerer it prints the body while it streams, and as its
// Sender it prints of each reply only what the stream has not shown.
// Conversations runs Answer in a goroutine of its own and may give up on
// it, hence the lock and the checks of the answer's ctx.
type terminal struct {
	p   answerStreamer
	out io.Writer

	mu       sync.Mutex
	ctx      context.Context // the streaming answer's; nil when none
	streamed strings.Builder // its deltas as received, for answer.Revise
	held     string          // trailing blanks not printed yet: the body may end there
	open     bool            // streamed text is on screen and its line not ended
	answer   string          // the text of the reply that completes the stream
	rest     string          // what to print for that reply
	err      error           // the first failed write of a delta
}

// Answer answers with the pipeline, printing the body as it arrives.
func (t *terminal) Answer(ctx context.Context, question string, history []string) (answer.Result, error) {
	t.mu.Lock()
	t.ctx, t.held, t.answer, t.rest = ctx, "", "", ""
	t.streamed.Reset()
	t.mu.Unlock()
	a, err := t.p.AnswerStream(ctx, question, history, func(s string) { t.delta(ctx, s) })
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx != ctx {
		// Given up on; the next question may own the screen already.
		return a, err
	}
	t.ctx = nil
	if err != nil {
		return a, err
	}
	rev, rest := answer.Revise(a, t.streamed.String())
	t.answer = strings.TrimSpace(a.Text)
	switch {
	case rev == answer.RevisionCorrected:
		t.rest = "\n\n" + noteCorrected + "\n" + rest + "\n"
	case rev == answer.RevisionReplaced:
		t.rest = "\n\n" + noteReplaced + "\n" + rest + "\n"
	case t.open:
		t.rest = rest + "\n"
	default:
		t.rest = "\n" + rest + "\n"
	}
	return a, nil
}

// delta prints a piece of the body, keeping blanks at its ends off the
// screen so that the rest of the answer follows it as in the whole text.
func (t *terminal) delta(ctx context.Context, s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx != ctx || ctx.Err() != nil {
		return
	}
	t.streamed.WriteString(s)
	s = t.held + s
	show := strings.TrimRightFunc(s, unicode.IsSpace)
	t.held = s[len(show):]
	if !t.open {
		if show = strings.TrimLeftFunc(show, unicode.IsSpace); show == "" {
			t.held = ""
			return
		}
		show, t.open = "\n"+show, true
	}
	if _, err := io.WriteString(t.out, show); err != nil && t.err == nil {
		t.err = fmt.Errorf("show the answer: %w", err)
	}
}

// send is the Sender for the chat's replies.
func (t *terminal) send(_ context.Context, r chat.Reply) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.err; err != nil {
		t.err = nil
		return err
	}
	var text string
	switch {
	case t.answer != "" && r.Text == t.answer:
		text, t.answer, t.open = t.rest, "", false
	case t.open && t.ctx != nil && t.ctx.Err() == nil:
		// While an answer streams, the only reply is the note asking to
		// wait, which the stream makes moot.
		return nil
	case t.open:
		text, t.open = "\n\n"+r.Text+"\n", false
	default:
		text = "\n" + r.Text + "\n"
	}
	_, err := io.WriteString(t.out, text)
	return err
}
