package wxreply

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/journal"
)

// conversations is the core a Window answers through: in production
// *chat.Conversations.
type conversations interface {
	Handle(ctx context.Context, m chat.Message, send chat.Sender) error
}

// WindowOptions configures a Window. A zero field means its default.
type WindowOptions struct {
	// PassiveWait is how long a callback waits for a reply it can carry
	// (default 4 s). WeChat gives up after 5 s; the rest is margin for the
	// network and for encrypting the reply.
	PassiveWait time.Duration
	// Attempts is how many callbacks WeChat makes for one message before
	// it tells the user the account cannot answer (default 3: the first
	// and two retries). When the Mailbox cannot push, the last one carries
	// Pending if nothing else is ready.
	Attempts int
	// HoldLimit bounds how long a callback is left unanswered so that
	// WeChat retries (default 15 s); WeChat itself gives up after 5 s.
	HoldLimit time.Duration
	// HandleTimeout bounds the handling of one message (default 3 min);
	// the core's answer timeout should be shorter.
	HandleTimeout time.Duration
	// Pending is the reply to WeChat's last callback for a message whose
	// answer is not ready, when the account cannot push it: the answer
	// then waits for the user's next message. It should ask the user to
	// send “1”.
	Pending string
	// FetchRunes: while a chat has replies waiting or answers in
	// progress, a text of at most this many runes (such as “1”), or any
	// message that is not text, only fetches the next reply and is not
	// asked as a question (default 1).
	FetchRunes int
}

// Defaults of WindowOptions.
const (
	defaultPassiveWait   = 4 * time.Second
	defaultAttempts      = 3
	defaultHoldLimit     = 15 * time.Second
	defaultHandleTimeout = 3 * time.Minute
	defaultFetchRunes    = 1
	attemptsKept         = 2 * time.Minute
)

// Window answers the callbacks of a platform that carries replies in the
// callback's response (the Official Account, WeCom apps) within WeChat's
// 5-second window. The first callback for a message starts its handling
// through the conversation core; WeChat's retries of the same message id
// wait for the same replies and never ask the question again. A reply
// ready within PassiveWait is carried by the callback; otherwise the
// callback is acknowledged when the Mailbox can push, or, when it cannot,
// left unanswered so that WeChat retries, and the last retry says the
// answer is coming and asks the user to send anything to get it.
type Window struct {
	conv   conversations
	box    *Mailbox
	opts   WindowOptions
	log    *slog.Logger
	serial *Serial
	base   context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	attempts map[string]*attempt
	swept    time.Time
	closed   bool
}

// attempt is what the Window knows of one message's callbacks.
type attempt struct {
	n     int       // callbacks so far
	first time.Time // of the first callback
	reply string    // the reply a callback carried, for a retry to repeat
	given bool      // reply is set
}

// NewWindow returns a Window answering through conv and delivering
// through box. A nil log discards.
func NewWindow(conv conversations, box *Mailbox, opts WindowOptions, log *slog.Logger) *Window {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.PassiveWait <= 0 {
		opts.PassiveWait = defaultPassiveWait
	}
	if opts.Attempts <= 0 {
		opts.Attempts = defaultAttempts
	}
	if opts.HoldLimit <= 0 {
		opts.HoldLimit = defaultHoldLimit
	}
	if opts.HandleTimeout <= 0 {
		opts.HandleTimeout = defaultHandleTimeout
	}
	if opts.FetchRunes <= 0 {
		opts.FetchRunes = defaultFetchRunes
	}
	base, cancel := context.WithCancel(context.Background())
	return &Window{
		conv: conv, box: box, opts: opts, log: log,
		serial: NewSerial(), base: base, cancel: cancel,
		attempts: make(map[string]*attempt),
	}
}

// Outcome says how to answer one callback.
type Outcome struct {
	// Reply is the text to carry in the response; empty means answer
	// "success" (or an empty body), which ends WeChat's retries.
	Reply string
	// Hold means give no answer at all: call Hold, so that WeChat times
	// out and retries the message.
	Hold bool
	// Written must be called once the response is written.
	Written func()
}

func ack() Outcome { return Outcome{Written: func() {}} }

// Callback handles one callback for m, a message with its id (WeChat's
// MsgId, the same on every retry). ctx is the callback request's context:
// it ends when WeChat gives up on the callback.
func (w *Window) Callback(ctx context.Context, m chat.Message) Outcome {
	now := time.Now()
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ack()
	}
	w.sweep(now)
	a, seen := w.attempts[m.ID]
	if !seen {
		a = &attempt{first: now}
		if m.ID != "" {
			w.attempts[m.ID] = a
		}
	}
	a.n++
	n := a.n
	if a.given {
		// WeChat did not get the reply a callback carried: repeat it.
		reply := a.reply
		w.mu.Unlock()
		w.log.Debug("callback repeated", "chat", journal.ChatHash(m.ChatID), "attempt", n)
		return Outcome{Reply: reply, Written: func() {}}
	}
	w.mu.Unlock()

	fetch := false
	if !seen {
		w.box.Received(m.ChatID)
		fetch = w.fetches(m)
	}
	// In line before the answer starts: an answer ready at once is carried.
	waiter := w.box.Expect(m.ChatID)
	switch {
	case fetch:
		w.log.Debug("message fetches a waiting reply", "chat", journal.ChatHash(m.ChatID))
	case !seen:
		w.start(m)
	default:
		w.log.Debug("callback retried", "chat", journal.ChatHash(m.ChatID), "attempt", n)
	}
	if d, ok := waiter.Wait(ctx, w.opts.PassiveWait); ok {
		w.remember(a, d.Text)
		return Outcome{Reply: d.Text, Written: d.Written}
	}
	if ctx.Err() != nil || w.box.opts.Push != nil {
		return ack()
	}
	if queued, busy := w.box.State(m.ChatID); queued == 0 && busy == 0 {
		return ack() // nothing is coming
	}
	if n < w.opts.Attempts {
		return Outcome{Hold: true, Written: func() {}}
	}
	w.log.Warn("answer not ready by the last callback: it waits for the user's next message", "chat", journal.ChatHash(m.ChatID), "waited", time.Since(a.first).Round(time.Millisecond))
	w.remember(a, w.opts.Pending)
	return Outcome{Reply: w.opts.Pending, Written: func() {}}
}

// remember keeps the reply a callback carries, for WeChat's retries.
func (w *Window) remember(a *attempt, reply string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	a.reply, a.given = reply, true
}

// start begins the handling of a new message.
func (w *Window) start(m chat.Message) {
	w.box.Begin(m.ChatID)
	ok := w.serial.Go(m.ChatID, func() {
		defer w.box.End(m.ChatID)
		ctx, cancel := context.WithTimeout(w.base, w.opts.HandleTimeout)
		defer cancel()
		w.box.Flush(ctx, m.ChatID)
		if w.box.opts.Push != nil {
			send := func(ctx context.Context, r chat.Reply) error {
				return w.box.Put(ctx, m.ChatID, r.Entry, r.Text)
			}
			if err := w.conv.Handle(ctx, m, send); err != nil {
				w.log.Error("message not fully answered", "chat", journal.ChatHash(m.ChatID), "err", err)
			}
			return
		}
		// Only callbacks carry replies: the parts of one answer are queued
		// together, so the first one knows whether more follow.
		var parts []string
		entry := ""
		send := func(_ context.Context, r chat.Reply) error {
			parts = append(parts, r.Text)
			if r.Entry != "" {
				entry = r.Entry
			}
			return nil
		}
		if err := w.conv.Handle(ctx, m, send); err != nil {
			w.log.Error("message not fully answered", "chat", journal.ChatHash(m.ChatID), "err", err)
		}
		_ = w.box.Put(ctx, m.ChatID, entry, parts...) // without Push it cannot fail
	})
	if !ok {
		w.box.End(m.ChatID)
	}
}

// fetches reports whether m only asks for a reply that waits: the chat
// has one waiting or in progress, and m is very short or not text.
func (w *Window) fetches(m chat.Message) bool {
	queued, busy := w.box.State(m.ChatID)
	if queued == 0 && busy == 0 {
		return false
	}
	return m.Kind != chat.KindText || utf8.RuneCountInString(strings.TrimSpace(m.Text)) <= w.opts.FetchRunes
}

// sweep forgets the callbacks of messages WeChat no longer retries. Call
// with mu held.
func (w *Window) sweep(now time.Time) {
	if now.Sub(w.swept) < sweepEvery {
		return
	}
	w.swept = now
	for id, a := range w.attempts {
		if now.Sub(a.first) >= attemptsKept {
			delete(w.attempts, id)
		}
	}
}

// Close stops taking messages and waits for the ones in hand until ctx
// ends, when their handling is cancelled. Replies that could not be
// delivered are logged.
func (w *Window) Close(ctx context.Context) error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	err := w.serial.Close(ctx)
	w.cancel()
	w.box.LogUndelivered()
	return err
}

// Hold leaves a callback unanswered until WeChat gives up on it (ctx
// ends), so that WeChat retries the message. Any answer, even an empty
// one, would stop the retries; so if limit passes while the connection is
// still open, Hold aborts the response with http.ErrAbortHandler, which
// net/http turns into a closed connection.
func Hold(ctx context.Context, limit time.Duration) {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
		panic(http.ErrAbortHandler)
	}
}

// HoldLimit is the Window's bound for Hold.
func (w *Window) HoldLimit() time.Duration { return w.opts.HoldLimit }
