package wxreply

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/journal"
)

// Pusher sends one message to a chat through the platform's send API
// (customer-service messages, WeCom app messages, 微信客服 send_msg). It
// should retry what may pass (see Call) and return an error only when the
// message was not sent.
type Pusher func(ctx context.Context, chatID, text string) error

// MailboxOptions configures a Mailbox.
type MailboxOptions struct {
	// MaxBytes is the longest message the platform takes, in bytes of
	// UTF-8 (WeChat counts bytes: 2048 for a text message). Required.
	MaxBytes int
	// Push sends a message that no callback is waiting to carry. Nil means
	// the account may not send on its own (an unverified subscription
	// account): messages wait for a callback.
	Push Pusher
	// PushQuota is how many messages Push may send for each message the
	// user sends (5 on the Official Account and 微信客服); zero sets no
	// limit. Messages beyond it wait for the user's next message.
	PushQuota int
	// More is added to a reply a callback carries when more messages wait
	// that Push cannot send, telling the user to send anything to get
	// them. Messages are cut short enough to leave room for it.
	More string
	// Keep is how long messages wait for a user who does not write again
	// (default 48 hours, WeChat's window for answering a user); they are
	// then dropped with an error in the log.
	Keep time.Duration
	// Undelivered, when set, is told the Q&A record entry of every answer
	// whose messages were dropped (the user did not write again, or the
	// bot stopped first), so that the record says it never arrived.
	Undelivered func(entry string, cause error)
}

// recorder is the part of the conversation core that corrects the Q&A
// record of an answer that never arrived.
type recorder interface {
	Undelivered(ctx context.Context, entry string, cause error) error
}

// RecordUndelivered is a MailboxOptions.Undelivered that corrects the Q&A
// record through the conversation core, logging a failure to.
func RecordUndelivered(r recorder, log *slog.Logger) func(entry string, cause error) {
	return func(entry string, cause error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Undelivered(ctx, entry, cause); err != nil {
			log.Error("record an undelivered answer", "entry", entry, "err", err)
		}
	}
}

// queued is one message waiting to be delivered, with the Q&A record
// entry of the answer it belongs to.
type queued struct {
	text, entry string
}

// Mailbox holds the replies of each chat that are not delivered yet and
// delivers them in order: to a callback waiting to carry one (Wait),
// otherwise through Push while the quota allows, otherwise on the user's
// next message. A message that could not be sent stays first in line and
// is logged at Error with the chat's hash; none is dropped silently. It is
// safe for concurrent use.
type Mailbox struct {
	opts MailboxOptions
	log  *slog.Logger

	mu        sync.Mutex
	lines     map[string]*line
	lastSweep time.Time
}

// line is one chat's state.
type line struct {
	queue   []queued  // messages not delivered yet, oldest first
	waiters []*waiter // callbacks waiting to carry a message, oldest first
	pushing bool      // a message is being pushed; the rest wait for it
	left    int       // pushes left for the user's last message, when limited
	busy    int       // answers in progress (Begin without End)
	handed  chan struct{}
	seen    time.Time
}

type waiter struct {
	ch chan Delivery // buffered: handing over never blocks
}

// Delivery is a message for a callback to carry as its reply.
type Delivery struct {
	Text    string // what to reply, with the More note when it applies
	raw     queued // the message as queued
	written func()
}

// Written tells the mailbox the reply was written to WeChat, so that the
// next message of the chat, if pushed, follows it. Call it once the
// response is written, whether or not writing succeeded.
func (d Delivery) Written() {
	if d.written != nil {
		d.written()
	}
}

// How long a push waits for the reply handed to a callback just before
// to be written, how long after it is written the push follows (WeChat
// shows what arrives first first, and a passive reply travels back with
// the callback), and how long an empty line is kept.
const (
	handoffWait = 2 * time.Second
	handoffGap  = 300 * time.Millisecond
	emptyIdle   = 10 * time.Minute
	sweepEvery  = time.Minute
)

// NewMailbox returns an empty Mailbox. A nil log discards.
func NewMailbox(opts MailboxOptions, log *slog.Logger) *Mailbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Keep <= 0 {
		opts.Keep = 48 * time.Hour
	}
	return &Mailbox{opts: opts, log: log, lines: make(map[string]*line)}
}

// line returns chat's line, creating it. Call with mu held.
func (b *Mailbox) line(chat string, now time.Time) *line {
	if now.Sub(b.lastSweep) >= sweepEvery {
		b.sweep(now)
	}
	l, ok := b.lines[chat]
	if !ok {
		l = &line{left: b.opts.PushQuota}
		b.lines[chat] = l
	}
	l.seen = now
	return l
}

// sweep forgets lines nobody used for a while. Call with mu held.
func (b *Mailbox) sweep(now time.Time) {
	b.lastSweep = now
	for chat, l := range b.lines {
		if l.busy > 0 || l.pushing || len(l.waiters) > 0 {
			continue
		}
		idle := now.Sub(l.seen)
		switch {
		case len(l.queue) == 0 && idle >= emptyIdle:
			delete(b.lines, chat)
		case len(l.queue) > 0 && idle >= b.opts.Keep:
			b.log.Error("replies dropped: the user did not write again", "chat", journal.ChatHash(chat), "messages", len(l.queue), "idle", idle.Round(time.Minute))
			b.dropped(l, errors.New("dropped: the user did not write again within the reply window"))
			delete(b.lines, chat)
		}
	}
}

// Received notes that the user of chat sent a message: the push quota
// starts again.
func (b *Mailbox) Received(chat string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.line(chat, time.Now()).left = b.opts.PushQuota
}

// Begin notes that an answer for chat is in progress; End that it is done.
func (b *Mailbox) Begin(chat string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.line(chat, time.Now()).busy++
}

// End notes that an answer Begin announced is done.
func (b *Mailbox) End(chat string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.line(chat, time.Now()).busy--
}

// State reports how many messages of chat wait and how many answers are
// in progress.
func (b *Mailbox) State(chat string) (queued, busy int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.lines[chat]; ok {
		return len(l.queue), l.busy
	}
	return 0, 0
}

// Put queues texts for chat, each cut to the platform's size, and
// delivers what it can: to waiting callbacks first, then through Push. A
// message that cannot be pushed is logged and waits for the user's next
// message, so Put fails only when ctx has ended: the conversation core
// goes on with the next part.
func (b *Mailbox) Put(ctx context.Context, chat, entry string, texts ...string) error {
	var parts []queued
	for _, t := range texts {
		for _, f := range Fit(t, b.room()) {
			parts = append(parts, queued{text: f, entry: entry})
		}
	}
	if len(parts) == 0 {
		return nil
	}
	b.mu.Lock()
	l := b.line(chat, time.Now())
	l.queue = append(l.queue, parts...)
	b.match(l)
	b.drain(ctx, chat, l)
	return ctx.Err()
}

// Flush pushes what waits for chat, as far as the quota allows.
func (b *Mailbox) Flush(ctx context.Context, chat string) {
	b.mu.Lock()
	b.drain(ctx, chat, b.line(chat, time.Now()))
}

// room is the size messages are cut to: MaxBytes less the More note.
func (b *Mailbox) room() int {
	if b.opts.More == "" {
		return b.opts.MaxBytes
	}
	return b.opts.MaxBytes - len(b.opts.More) - 1
}

// canPush reports whether l's next message may be pushed now. Call with
// mu held.
func (b *Mailbox) canPush(l *line) bool {
	return b.opts.Push != nil && (b.opts.PushQuota == 0 || l.left > 0)
}

// match hands waiting messages to waiting callbacks. Call with mu held.
func (b *Mailbox) match(l *line) {
	for len(l.waiters) > 0 && len(l.queue) > 0 && !l.pushing {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		w.ch <- b.take(l)
	}
}

// take removes l's first message as a Delivery. Call with mu held and the
// queue not empty.
func (b *Mailbox) take(l *line) Delivery {
	raw := l.queue[0]
	l.queue = l.queue[1:]
	text := raw.text
	if len(l.queue) > 0 && !b.canPush(l) && b.opts.More != "" {
		text += "\n" + b.opts.More
	}
	done := make(chan struct{})
	l.handed = done
	return Delivery{Text: text, raw: raw, written: sync.OnceFunc(func() { close(done) })}
}

// drain pushes l's messages in order while Push and its quota allow, and
// stops at the first that fails. Call with mu held; it returns with mu
// released.
func (b *Mailbox) drain(ctx context.Context, chat string, l *line) {
	for {
		if len(l.queue) == 0 || l.pushing || !b.canPush(l) {
			if len(l.queue) > 0 && b.opts.Push != nil && !l.pushing && len(l.waiters) == 0 {
				b.log.Warn("send quota used up: replies wait for the user's next message", "chat", journal.ChatHash(chat), "messages", len(l.queue))
			}
			b.mu.Unlock()
			return
		}
		item := l.queue[0]
		text := item.text
		l.queue = l.queue[1:]
		l.pushing = true
		if b.opts.PushQuota > 0 {
			l.left--
		}
		handed := l.handed
		b.mu.Unlock()

		if handed != nil {
			// The reply a callback carries goes first.
			t := time.NewTimer(handoffWait)
			select {
			case <-handed:
				t.Reset(handoffGap)
				select {
				case <-t.C:
				case <-ctx.Done():
				}
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
		err := b.opts.Push(ctx, chat, text)

		b.mu.Lock()
		l.pushing = false
		if err != nil {
			l.queue = append([]queued{item}, l.queue...)
			if b.opts.PushQuota > 0 {
				l.left++
			}
			b.match(l)
			b.mu.Unlock()
			b.log.Error("reply not delivered: it waits for the user's next message", "chat", journal.ChatHash(chat), "err", err)
			return
		}
		b.match(l)
	}
}

// Waiter is a callback's place in line for a message of its chat. Take
// it before the answer can be ready, so that an answer that comes at once
// goes to the callback and is not pushed.
type Waiter struct {
	b    *Mailbox
	l    *line
	w    *waiter
	now  Delivery // a message that was waiting already
	have bool
}

// Expect puts a callback in line for chat's next message. Messages
// already waiting come first.
func (b *Mailbox) Expect(chat string) *Waiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.line(chat, time.Now())
	if len(l.queue) > 0 && !l.pushing {
		return &Waiter{b: b, l: l, now: b.take(l), have: true}
	}
	w := &waiter{ch: make(chan Delivery, 1)}
	l.waiters = append(l.waiters, w)
	return &Waiter{b: b, l: l, w: w}
}

// Wait waits up to d for the message and reports whether one came. If
// ctx ends (WeChat gave up on the callback) a message handed over
// meanwhile goes back to the head of the line. Call it once.
func (x *Waiter) Wait(ctx context.Context, d time.Duration) (Delivery, bool) {
	b, l := x.b, x.l
	if x.have {
		if ctx.Err() != nil {
			b.giveBack(l, x.now)
			return Delivery{}, false
		}
		return x.now, true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case dl := <-x.w.ch:
		if ctx.Err() == nil {
			return dl, true
		}
		b.giveBack(l, dl)
		return Delivery{}, false
	case <-t.C:
	case <-ctx.Done():
	}
	b.mu.Lock()
	for i, w := range l.waiters {
		if w == x.w {
			l.waiters = append(l.waiters[:i:i], l.waiters[i+1:]...)
			b.mu.Unlock()
			return Delivery{}, false
		}
	}
	b.mu.Unlock()
	dl := <-x.w.ch // handed over just now
	if ctx.Err() != nil {
		b.giveBack(l, dl)
		return Delivery{}, false
	}
	return dl, true
}

// Wait is Expect and Waiter.Wait in one, for a callback that starts no
// answer.
func (b *Mailbox) Wait(ctx context.Context, chat string, d time.Duration) (Delivery, bool) {
	return b.Expect(chat).Wait(ctx, d)
}

// giveBack puts a message a callback could not carry back first in line.
func (b *Mailbox) giveBack(l *line, dl Delivery) {
	b.mu.Lock()
	l.queue = append([]queued{dl.raw}, l.queue...)
	b.match(l)
	b.mu.Unlock()
	dl.Written()
}

// dropped tells Undelivered, once per answer, of the answers whose
// messages are still queued in l. Call with mu held.
func (b *Mailbox) dropped(l *line, cause error) {
	if b.opts.Undelivered == nil {
		return
	}
	told := map[string]bool{}
	for _, q := range l.queue {
		if q.entry != "" && !told[q.entry] {
			told[q.entry] = true
			b.opts.Undelivered(q.entry, cause)
		}
	}
}

// Undelivered reports how many messages wait, over all chats.
func (b *Mailbox) Undelivered() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, l := range b.lines {
		n += len(l.queue)
	}
	return n
}

// LogUndelivered logs, at Error, each chat whose messages still wait; call
// it at shutdown.
func (b *Mailbox) LogUndelivered() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for chat, l := range b.lines {
		if len(l.queue) > 0 {
			b.log.Error("replies not delivered at shutdown", "chat", journal.ChatHash(chat), "messages", len(l.queue))
			b.dropped(l, errors.New("not delivered: the bot stopped first"))
		}
	}
}

// Fit cuts text into messages of at most maxBytes bytes of UTF-8, at the
// places chat.Split would cut. A text that fits comes back whole, so the
// conversation core's own parts, cut to fewer runes than the byte limit
// allows, are never cut again.
func Fit(text string, maxBytes int) []string {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return nil
	case maxBytes <= 0 || len(text) <= maxBytes:
		return []string{text}
	}
	var out []string
	// Chinese takes 3 bytes a rune; anything else at most 4.
	for _, p := range chat.Split(text, max(maxBytes/3, 1)) {
		if len(p) <= maxBytes {
			out = append(out, p)
			continue
		}
		out = append(out, chat.Split(p, max(maxBytes/4, 1))...)
	}
	return out
}
