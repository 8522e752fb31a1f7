package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/journal"
)

// answerer turns a question into a cited answer. history holds the earlier
// questions of the same chat, oldest first, so that follow-ups such as
// "那申请条件呢？" can be understood. onDelta, when not nil, is offered
// the answer's text while it is written (see answer.Revise).
type answerer interface {
	AnswerStream(ctx context.Context, question string, history []string, onDelta func(string)) (answer.Result, error)
}

// Options tunes a Conversations. The program's defaults live in config;
// here a zero field turns its feature off, as each comment says.
type Options struct {
	// HistoryTurns is how many earlier questions of a chat are passed to
	// the answerer; zero passes none.
	HistoryTurns int
	// IdleTimeout is how long a chat may be silent before its history and
	// last answer are forgotten; zero never forgets.
	IdleTimeout time.Duration
	// MaxInputChars is the longest question, in runes, that is answered;
	// longer ones get a note asking to shorten. Zero sets no limit.
	MaxInputChars int
	// AnswerTimeout bounds one call of the answerer; zero leaves it to
	// the caller's context.
	AnswerTimeout time.Duration
	// PendingAfter is how long the answerer may take before the user gets
	// "正在查询，请稍候…" once. Zero never sends the note.
	PendingAfter time.Duration
	// UserPerMinute is how many messages one sender may send per minute,
	// on average; commands count too, since each costs a send. Zero sets
	// no limit.
	UserPerMinute float64
	// UserBurst is how many messages one sender may send at once before
	// UserPerMinute applies; at least 1 when UserPerMinute is set.
	UserBurst int
	// ReplyMaxChars is the longest single message the channel takes, in
	// runes; longer replies are cut with Split. Zero never cuts.
	ReplyMaxChars int
	// MaxMessages is the most messages one answer may take; the details
	// that do not fit are cut, and the reader is pointed to 原文 N. Zero
	// sets no limit.
	MaxMessages int
	// PartPause is the pause between the parts of one split reply. Zero
	// sends them back to back (still subject to SendInterval).
	PartPause time.Duration
	// SendInterval is the least time between any two sends of this
	// Conversations, across all chats. Zero disables the pacing.
	SendInterval time.Duration
	// SendQueue bounds the replies booked for sending and not yet sent in
	// full. A reply's parts are booked together, so it goes out whole or
	// not at all; when the queue is full, or its first part could not go
	// out before the message's deadline, the user gets one short "busy"
	// line at once, unpaced, instead. Zero sets no bound.
	SendQueue int
	// GroupPrefix, when not empty, lets group members ask without an
	// @-mention by starting the message with it (for example "问：").
	GroupPrefix string
	// AllowGroup says whether the bot answers in the group with the given
	// Message.ChatID. Nil allows every group. It is a function rather than
	// a list of ids because WeChat group ids change at every login: the
	// transport resolves the configured group names to its current ids.
	AllowGroup func(chatID string) bool
	// Scope is the reply to 范围: what the bot can answer, built by the
	// caller from the corpus's scope. Empty gives a general line.
	Scope string
	// HelpText replaces the built-in reply to 帮助 when not empty.
	HelpText string
	// Channel names the transport in journal entries: "wechat", "web" or
	// "cli".
	Channel string
	// Now tells the time for idle forgetting, duplicate detection and rate
	// limits. Nil means time.Now.
	Now func() time.Time
	// Journal, when not nil, records every answered question: a
	// *journal.Files, or a record replicas share.
	Journal recorder
	// History, when not nil, keeps each chat's recent questions and last
	// answer in place of this process's memory (which HistoryTurns and
	// IdleTimeout bound): replicas share theirs, so a follow-up reaching
	// another replica is still read as one. A failing History leaves
	// the chat without history, not without answers.
	History historyStore
	// Claims, when not nil, is asked for every message id besides this
	// process's own memory of them, so that a message retried to another
	// replica is answered once.
	Claims claimer
	// Limits, when not nil, counts each sender's messages in place of
	// this process's token buckets, so that UserPerMinute holds across
	// replicas: a sender may send perMinute(UserPerMinute, UserBurst)
	// messages in each minute.
	Limits counter
}

// The bounds of the duplicate-id memory.
const (
	seenMax = 10000
	seenTTL = time.Hour
)

// Conversations is the transport-agnostic conversation core: it decides
// which messages to answer, runs commands, applies limits, remembers each
// chat's recent questions, calls the answerer and sends the replies in
// order. It is safe for concurrent use.
type Conversations struct {
	a     answerer
	opts  Options
	log   *slog.Logger
	seen  *seenIDs
	users *userLimits
	pace  *pacer
	sendq *sendQueue
	hist  historyStore
	turns *turns
}

// New returns a Conversations answering with a. A nil log
// discards.
func New(a answerer, opts Options, log *slog.Logger) *Conversations {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	hist := opts.History
	if hist == nil {
		hist = localHistory{newMemory(opts.HistoryTurns, opts.IdleTimeout)}
	}
	users := newUserLimits(opts.UserPerMinute, opts.UserBurst)
	if opts.Limits != nil {
		users = nil // counted by Limits, when the message runs
	}
	return &Conversations{
		a:     a,
		opts:  opts,
		log:   log,
		seen:  newSeenIDs(seenMax, seenTTL),
		users: users,
		pace:  newPacer(opts.SendInterval),
		sendq: newSendQueue(opts.SendQueue),
		hist:  hist,
		turns: newTurns(),
	}
}

// Handle answers one incoming message, sending its replies through send:
// it is Accept followed by the function Accept returns. Replies of one
// chat go out in the order of the Accept calls for its messages, so a
// transport that answers each message in a goroutine of its own must call
// Accept itself, in arrival order, before starting the goroutine: calling
// Handle from those goroutines would leave the order to the scheduler.
// Different chats do not wait for each other. The error reports a failed
// send or journal write; an answerer failure is logged and answered with
// a fixed apology instead.
func (c *Conversations) Handle(ctx context.Context, m Message, send Sender) error {
	run := c.Accept(m)
	if run == nil {
		return nil
	}
	return run(ctx, send)
}

// Accept decides at once, without I/O, whether m gets a reply, and if so
// takes its place in its chat's line. It returns nil for a message that
// gets none: the bot's own, a resent duplicate, a group message not
// addressed to the bot, or one more message from a sender over the rate
// limit who has been told already. With Options.Claims or Limits, the
// function it returns asks them first, and returns nil without a reply
// for a message another replica claimed or a sender over the shared
// limit who has been told.
//
// Otherwise the caller must call the function it returns exactly once, in
// any goroutine: it waits until the chat's earlier accepted messages are
// done, then answers m, sending through send, and returns as Handle does.
// Calling Accept for each chat's messages in the order they arrived, from
// one goroutine, keeps the replies in that order however the functions
// are scheduled. A function never called holds up its chat for good.
func (c *Conversations) Accept(m Message) func(ctx context.Context, send Sender) error {
	now := c.opts.Now()
	text, ok := c.addressed(m)
	if !ok {
		return nil
	}
	if m.ID != "" && c.seen.add(m.ID, now) {
		c.log.Debug("dropped duplicate message", "id", m.ID)
		return nil
	}
	user := m.SenderID
	if user == "" {
		user = m.ChatID
	}
	limit := c.users.allow(user, now)
	if limit == limitedSilent {
		return nil
	}
	tk := c.turns.take(m.ChatID)
	var ran atomic.Bool
	return func(ctx context.Context, send Sender) error {
		if !ran.CompareAndSwap(false, true) {
			return errors.New("accepted message answered twice")
		}
		if c.opts.Claims != nil || c.opts.Limits != nil {
			// Before waiting in line: the first replica to claim answers.
			var ok bool
			if limit, ok = c.shared(ctx, m, user, now, limit); !ok {
				tk.release()
				return nil
			}
		}
		return c.run(ctx, m, text, limit, tk, send)
	}
}

// run answers an accepted message once its turn has come.
func (c *Conversations) run(ctx context.Context, m Message, text string, limit verdict, tk *ticket, send Sender) error {
	if err := tk.wait(ctx); err != nil {
		return c.notAnswered(ctx, m, text, limit, err)
	}
	defer tk.done()

	out := outbox{c: c, send: send}
	if m.Group {
		out.mention = m.SenderName
	}
	// The clock is read again: the message may have waited in line.
	c.touch(ctx, m.ChatID, c.opts.Now())
	switch {
	case limit == limitedNotify:
		return out.reply(ctx, msgTooFast)
	case m.Kind != KindText:
		return out.reply(ctx, msgNonText)
	}
	return c.text(ctx, m, text, out)
}

// notAnswered reports a message whose turn never came: the log says so at
// Error, and a question is recorded as not delivered, so that it is not
// lost without a trace.
func (c *Conversations) notAnswered(ctx context.Context, m Message, text string, limit verdict, err error) error {
	err = fmt.Errorf("%w: %w", ErrUndelivered, err)
	c.log.Error("message not answered", "chat", journal.ChatHash(m.ChatID), "err", err)
	question, history := text, c.recent(ctx, m.ChatID)
	if q := c.quote(m); q != "" && text == "" {
		question = q
	} else if q != "" {
		history = append(history, q)
	}
	if cmd, _ := parseCommand(question); limit != allowed || m.Kind != KindText || question == "" || cmd != cmdNone {
		return err // not a question: the log line is its trace
	}
	_, jErr := c.record(ctx, m.ChatID, question, history, answer.Result{}, 0, errors.New("not answered"), err)
	return errors.Join(err, jErr)
}

// ErrUndelivered is matched (with errors.Is) by the error of Handle, or of
// the function Accept returns, when a reply could not be sent in full, or
// a message was never answered. For a question the conversation core has
// then logged it at Error with the chat's hash and recorded it as not
// delivered.
var ErrUndelivered = errors.New("reply not delivered")

// text handles a text message that is meant for the bot.
func (c *Conversations) text(ctx context.Context, m Message, text string, out outbox) error {
	if wordless(text) {
		// Only punctuation or stickers' codes (？？, [微笑]): nothing to
		// search for.
		text = ""
	}
	if text == "" {
		if q := c.quote(m); q != "" {
			// Only a quote and the mention: the quoted message is the
			// question.
			m.Quote = ""
			return c.ask(ctx, m, q, out)
		}
		return out.reply(ctx, msgEmpty)
	}
	switch cmd, n := parseCommand(text); cmd {
	case cmdHelp:
		return out.reply(ctx, helpText(c.opts, m.Group))
	case cmdReset:
		c.forget(ctx, m.ChatID)
		return out.reply(ctx, msgReset)
	case cmdScope:
		if c.opts.Scope == "" {
			return out.reply(ctx, msgScope)
		}
		return out.reply(ctx, c.opts.Scope)
	case cmdSource:
		last, ok := c.lastAnswer(ctx, m.ChatID)
		return out.reply(ctx, sourceText(last, ok, n))
	case cmdGreeting:
		return out.reply(ctx, greetingText(c.opts))
	case cmdThanks:
		return out.reply(ctx, msgThanks)
	}
	if foreign(text) {
		return out.reply(ctx, msgChineseOnly)
	}
	if n := utf8.RuneCountInString(text); c.opts.MaxInputChars > 0 && n > c.opts.MaxInputChars {
		return out.reply(ctx, fmt.Sprintf(msgTooLong, n, c.opts.MaxInputChars))
	}
	return c.ask(ctx, m, text, out)
}

// ask gets an answer for question and sends it, or the apology, then
// records what was asked, answered and delivered.
func (c *Conversations) ask(ctx context.Context, m Message, question string, out outbox) error {
	history := c.recent(ctx, m.ChatID)
	if q := c.quote(m); q != "" {
		// What the user quoted is what the question follows up.
		history = append(history, q)
	}
	hash := journal.ChatHash(m.ChatID)
	c.log.Debug("question", "chat", hash, "question", question, "history", len(history))
	if c.opts.Journal != nil {
		// Named now, so that a channel that delivers after the record is
		// written can still say the answer never arrived (Undelivered).
		out.entry = journal.NewID()
	}
	start := time.Now()
	a, shown, err := c.answer(ctx, question, history, m.Show, out)
	latency := time.Since(start)
	var sendErr error
	switch {
	case errors.Is(err, errSendPending):
		// The chat is unreachable; an apology would fail the same way.
		sendErr = err
	case err != nil:
		c.log.Error("answer failed", "chat", hash, "latency", latency, "err", err)
		c.log.Debug("failed question", "chat", hash, "question", question)
		out.shown = shown != ""
		sendErr = out.reply(ctx, msgFailed)
	default:
		c.remember(ctx, m.ChatID, question, a)
		if shown != "" {
			out.shown = true
			sendErr = out.reply(ctx, afterShown(a, shown))
		} else {
			sendErr = out.parts(ctx, c.messages(a))
		}
	}
	if sendErr != nil {
		c.log.Error("answer not delivered", "chat", hash, "err", sendErr)
	}
	_, jErr := c.recordAs(ctx, out.entry, m.ChatID, question, history, a, latency, err, sendErr)
	return errors.Join(sendErr, jErr)
}

// Undelivered records that the answer a Reply belonged to (Reply.Entry)
// never reached its user, for a channel that delivers after Handle has
// returned: the record, written when the reply was handed over, is
// corrected. Without a Q&A record it does nothing.
func (c *Conversations) Undelivered(ctx context.Context, entry string, cause error) error {
	if c.opts.Journal == nil || entry == "" {
		return nil
	}
	return c.opts.Journal.Undelivered(ctx, entry, cause)
}

// quote is the text m quotes, cut to MaxInputChars like the history the
// console passes.
func (c *Conversations) quote(m Message) string {
	q := strings.TrimSpace(m.Quote)
	if r := []rune(q); c.opts.MaxInputChars > 0 && len(r) > c.opts.MaxInputChars {
		q = string(r[:c.opts.MaxInputChars])
	}
	return q
}

// The lines that tell a reader who saw an answer being written that what
// they saw does not stand.
const (
	msgCorrected = "（以上回答经核对引用已更正，请以下面的回答为准：）"
	msgReplaced  = "（以上回答未能完成，请以下面的内容为准：）"
)

// afterShown is what completes an answer whose text was shown while it
// was written: the rest of it when what was shown stands, else a line
// saying so and the whole answer.
func afterShown(a answer.Result, shown string) string {
	switch rev, rest := answer.Revise(a, shown); rev {
	case answer.RevisionCorrected:
		return msgCorrected + "\n" + rest
	case answer.RevisionReplaced:
		return msgReplaced + "\n" + rest
	default:
		return rest
	}
}

// record writes one exchange to the Q&A record, if it is kept, and
// returns its id: err is why there is no answer, sendErr why the reply
// did not reach the user (nil when it did).
func (c *Conversations) record(ctx context.Context, chatID, question string, history []string, a answer.Result, latency time.Duration, err, sendErr error) (string, error) {
	return c.recordAs(ctx, "", chatID, question, history, a, latency, err, sendErr)
}

// ErrNotRecorded marks the failure to write the Q&A record: the answer
// itself went out, so a channel carries on.
var ErrNotRecorded = errors.New("not recorded")

// recordAs is record under a given id; "" lets the journal make one.
func (c *Conversations) recordAs(ctx context.Context, id, chatID, question string, history []string, a answer.Result, latency time.Duration, err, sendErr error) (string, error) {
	if c.opts.Journal == nil {
		return "", nil
	}
	id, jErr := c.appendRecord(ctx, id, chatID, question, history, a, latency, err, sendErr)
	if jErr != nil {
		c.log.Error("the Q&A record could not be written", "chat", journal.ChatHash(chatID), "err", jErr)
		return id, fmt.Errorf("%w: %w", ErrNotRecorded, jErr)
	}
	return id, nil
}

func (c *Conversations) appendRecord(ctx context.Context, id, chatID, question string, history []string, a answer.Result, latency time.Duration, err, sendErr error) (string, error) {
	e := journal.Entry{
		ID:        id,
		Channel:   c.opts.Channel,
		Chat:      journal.ChatHash(chatID),
		Question:  question,
		History:   history,
		Answer:    a.Text,
		Found:     a.Found,
		Citations: recorded(a.Citations),
		LatencyMS: latency.Milliseconds(),
		Corpus:    a.Corpus,
		Delivered: sendErr == nil,
	}
	if err != nil {
		e.Error = err.Error()
	}
	if sendErr != nil {
		e.DeliveryError = sendErr.Error()
	}
	// The reply may have failed because ctx ended; the record is still
	// worth keeping.
	return c.opts.Journal.Append(context.WithoutCancel(ctx), e)
}

// errSendPending marks a failure to send the "please wait" note, which is
// not the answerer's fault.
var errSendPending = errors.New("send pending note")

// answer calls the answerer under AnswerTimeout, sending the pending note
// if it takes longer than PendingAfter and nothing is being shown. show,
// when not nil, is given the text as the model writes it; what it was
// given is returned with the answer.
func (c *Conversations) answer(ctx context.Context, question string, history []string, show func(string), out outbox) (answer.Result, string, error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.opts.AnswerTimeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.opts.AnswerTimeout)
	}
	defer cancel()
	type result struct {
		a   answer.Result
		err error
	}
	var (
		mu       sync.Mutex
		shown    strings.Builder
		finished bool // after the answer came back or was given up on
	)
	var onDelta func(string)
	if show != nil {
		onDelta = func(d string) {
			mu.Lock()
			defer mu.Unlock()
			if finished || actx.Err() != nil {
				return
			}
			shown.WriteString(d)
			show(d)
		}
	}
	stop := func() string {
		mu.Lock()
		defer mu.Unlock()
		finished = true
		return shown.String()
	}
	done := make(chan result, 1) // buffered: an abandoned call must not block
	go func() {
		// A panic here would take down every chat of the process, not
		// just this question.
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("answerer panicked: %v", p)}
			}
		}()
		a, err := c.a.AnswerStream(actx, question, history, onDelta)
		done <- result{a, err}
	}()
	var pending <-chan time.Time
	if c.opts.PendingAfter > 0 {
		t := time.NewTimer(c.opts.PendingAfter)
		defer t.Stop()
		pending = t.C
	}
	for {
		select {
		case r := <-done:
			streamed := stop()
			switch {
			case r.err != nil:
				return answer.Result{}, streamed, fmt.Errorf("answer question: %w", r.err)
			case strings.TrimSpace(r.a.Text) == "":
				return answer.Result{}, streamed, errors.New("answer question: empty answer")
			}
			return r.a, streamed, nil
		case <-pending:
			pending = nil
			mu.Lock()
			streaming := shown.Len() > 0
			mu.Unlock()
			if streaming {
				// The answer is appearing already.
				continue
			}
			if err := out.reply(ctx, msgPending); err != nil {
				return answer.Result{}, stop(), fmt.Errorf("%w: %w", errSendPending, err)
			}
		case <-actx.Done():
			return answer.Result{}, stop(), fmt.Errorf("answer question: %w", actx.Err())
		}
	}
}

// addressed reports whether m is for the bot and returns its text with
// any group mention or prefix removed.
func (c *Conversations) addressed(m Message) (string, bool) {
	if m.Self {
		return "", false
	}
	text := strings.TrimSpace(m.Text)
	if !m.Group {
		return text, true
	}
	if m.Kind != KindText {
		return "", false
	}
	if c.opts.AllowGroup != nil && !c.opts.AllowGroup(m.ChatID) {
		return "", false
	}
	if m.Mentioned {
		text = stripMentions(text)
		if p := c.opts.GroupPrefix; p != "" {
			text = strings.TrimSpace(strings.TrimPrefix(text, p))
		}
		return text, true
	}
	if p := c.opts.GroupPrefix; p != "" && strings.HasPrefix(text, p) {
		return strings.TrimSpace(strings.TrimPrefix(text, p)), true
	}
	return "", false
}

// WeChat writes a mention as "@Name" followed by U+2005 (or a space, maybe
// full-width, when typed by hand), at the start or the end of the text.
var (
	leadingMentions  = regexp.MustCompile(`^(?:@[^ \x{2005}\x{3000}\n]+[ \x{2005}\x{3000}]+)+`)
	trailingMentions = regexp.MustCompile(`(?:^|[ \x{2005}\x{3000}]+)@[^ \x{2005}\x{3000}\n]+[ \x{2005}\x{3000}]*$`)
)

// stripMentions removes @-mentions at the start and the end of text.
func stripMentions(text string) string {
	text = leadingMentions.ReplaceAllString(text, "")
	for {
		t := trailingMentions.ReplaceAllString(text, "")
		if t == text {
			break
		}
		text = t
	}
	return strings.TrimSpace(text)
}

// outbox sends the replies of one message: split, paced and mentioning the
// asker in a group.
type outbox struct {
	c       *Conversations
	send    Sender
	mention string
	shown   bool   // the first part completes an answer shown while written
	entry   string // the answer's id in the Q&A record, if kept
}

// sendTimeout bounds one call of the Sender once its slot has come: the
// parts of a booked reply no longer wait on the message's deadline.
const sendTimeout = time.Minute

// ErrBusy is matched (with errors.Is), beside ErrUndelivered, by the error
// of a reply that was not sent because the send queue was full or its
// first part could not go out before the message's deadline; the user was
// sent msgBusy instead.
var ErrBusy = errors.New("bot busy")

func (o outbox) reply(ctx context.Context, text string) error {
	return o.parts(ctx, Split(text, o.c.opts.ReplyMaxChars))
}

// parts sends the parts of one reply in order. The reply takes a place in
// the send queue and books the send slots of all its parts at once, so
// that it goes out whole or not at all, its first part (the lead, the
// validity and 来源) first: once booked, its parts wait for their slots
// whatever the message's deadline, and stop only when ctx is cancelled or
// a send fails. A reply that cannot be booked is replaced by msgBusy.
// The error matches ErrUndelivered and says which part did not go out.
func (o outbox) parts(ctx context.Context, parts []string) error {
	if len(parts) == 0 {
		return nil
	}
	c := o.c
	// The pending note is a courtesy: when the bot is busy it is left out,
	// not replaced, and the answer takes its chance as usual.
	optional := len(parts) == 1 && parts[0] == msgPending
	if !c.sendq.enter() {
		return o.busy(ctx, optional, fmt.Errorf("send queue full (%d replies)", c.opts.SendQueue))
	}
	defer c.sendq.leave()
	var slots []time.Time
	if c.pace != nil {
		deadline, _ := ctx.Deadline()
		var err error
		if slots, err = c.pace.reserve(len(parts), c.opts.PartPause, deadline); err != nil {
			return o.busy(ctx, optional, err)
		}
	}
	sctx, cancel := withoutDeadline(ctx)
	defer cancel()
	for i, part := range parts {
		sent, err := o.part(sctx, i, part, slots)
		if err != nil {
			if slots != nil {
				unused := i + 1
				if !sent {
					unused = i
				}
				c.pace.release(slots[unused:])
			}
			return fmt.Errorf("%w: part %d of %d: %w", ErrUndelivered, i+1, len(parts), err)
		}
	}
	return nil
}

// part sends part i of a reply when its time has come: at its booked
// slot, or, unpaced, PartPause after the part before. sent reports
// whether the Sender was called.
func (o outbox) part(ctx context.Context, i int, text string, slots []time.Time) (sent bool, err error) {
	switch {
	case slots != nil:
		if err := sleepUntil(ctx, slots[i]); err != nil {
			return false, fmt.Errorf("wait for send slot: %w", err)
		}
	case i > 0:
		if err := sleep(ctx, o.c.opts.PartPause); err != nil {
			return false, err
		}
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	return true, o.send(sctx, Reply{Text: text, Mention: o.mention, Shown: o.shown && i == 0, Entry: o.entry})
}

// busy tells the user the bot is busy, in place of a reply that could not
// be booked: at once, unpaced, so that under load nobody is left with
// nothing. An optional reply is just left out.
func (o outbox) busy(ctx context.Context, optional bool, why error) error {
	if optional {
		o.c.log.Debug("busy: pending note left out", "why", why)
		return nil
	}
	o.c.log.Warn("busy: reply not queued, user told", "queued", o.c.sendq.len(), "why", why)
	err := fmt.Errorf("%w: %w: %w", ErrUndelivered, ErrBusy, why)
	sctx, cancel := withoutDeadline(ctx)
	defer cancel()
	sctx, cancelSend := context.WithTimeout(sctx, sendTimeout)
	defer cancelSend()
	if sendErr := o.send(sctx, Reply{Text: msgBusy, Mention: o.mention}); sendErr != nil {
		return errors.Join(err, fmt.Errorf("send busy note: %w", sendErr))
	}
	return err
}

// recorded is how the Q&A record keeps citations: without their text,
// which the corpus holds.
func recorded(cs []answer.Citation) []journal.Citation {
	if len(cs) == 0 {
		return nil
	}
	out := make([]journal.Citation, len(cs))
	for i, c := range cs {
		out[i] = journal.Citation{N: c.N, DocID: c.DocID, Title: c.Title, DocNo: c.DocNo, Clause: c.Clause, Issued: c.Issued, Expired: c.Expired, ChunkID: c.ChunkID}
	}
	return out
}
