package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/journal"
)

// answerer turns a question into a cited answer. history holds the earlier
// questions of the same chat, oldest first, so that follow-ups such as
// "那申请条件呢？" can be understood.
type answerer interface {
	Answer(ctx context.Context, question string, history []string) (answer.Result, error)
}

// Options tunes a Conversations. A zero field takes the default named in
// its comment; where none is named, zero turns the feature off.
type Options struct {
	// HistoryTurns is how many earlier questions of a chat are passed to
	// the answerer. Default 3; negative keeps no history.
	HistoryTurns int
	// IdleTimeout is how long a chat may be silent before its history and
	// last answer are forgotten. Default 30 minutes.
	IdleTimeout time.Duration
	// MaxInputChars is the longest question, in runes, that is answered;
	// longer ones get a note asking to shorten. Default 500.
	MaxInputChars int
	// AnswerTimeout bounds one call of the answerer. Default 90 seconds.
	AnswerTimeout time.Duration
	// PendingAfter is how long the answerer may take before the user gets
	// "正在查询，请稍候…" once. Zero never sends the note.
	PendingAfter time.Duration
	// UserPerMinute is how many messages one sender may send per minute,
	// on average; commands count too, since each costs a send. Default 10.
	UserPerMinute float64
	// UserBurst is how many messages one sender may send at once before
	// UserPerMinute applies. Default 5.
	UserBurst int
	// ReplyMaxChars is the longest single reply, in runes; longer replies
	// are cut with Split. Default 1000.
	ReplyMaxChars int
	// PartPause is the pause between the parts of one split reply. Zero
	// sends them back to back (still subject to SendInterval).
	PartPause time.Duration
	// SendInterval is the least time between any two sends of this
	// Conversations, across all chats. Zero disables the pacing.
	SendInterval time.Duration
	// GroupPrefix, when not empty, lets group members ask without an
	// @-mention by starting the message with it (for example "问：").
	GroupPrefix string
	// AllowGroup says whether the bot answers in the group with the given
	// Message.ChatID. Nil allows every group. It is a function rather than
	// a list of ids because WeChat group ids change at every login: the
	// transport resolves the configured group names to its current ids.
	AllowGroup func(chatID string) bool
	// Scope is the reply to 范围: what the bot can answer, usually built by
	// the caller from the corpus. Default: a generic description of the
	// 2018 Hebei enterprise-support policies.
	Scope string
	// HelpText replaces the built-in reply to 帮助 when not empty.
	HelpText string
	// Channel names the transport in journal entries: "wechat", "web" or
	// "cli". Default "wechat".
	Channel string
	// Now tells the time for idle forgetting, duplicate detection and rate
	// limits. Default time.Now.
	Now func() time.Time
	// Journal, when not nil, records every answered question.
	Journal *journal.Files
}

// Defaults of Options, and the bounds of the duplicate-id memory.
const (
	defaultHistoryTurns  = 3
	defaultIdleTimeout   = 30 * time.Minute
	defaultMaxInputChars = 500
	defaultAnswerTimeout = 90 * time.Second
	defaultUserPerMinute = 10
	defaultUserBurst     = 5
	defaultReplyMaxChars = 1000
	defaultChannel       = "wechat"
	seenMax              = 10000
	seenTTL              = time.Hour
)

func (o Options) withDefaults() Options {
	switch {
	case o.HistoryTurns == 0:
		o.HistoryTurns = defaultHistoryTurns
	case o.HistoryTurns < 0:
		o.HistoryTurns = 0
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = defaultIdleTimeout
	}
	if o.MaxInputChars <= 0 {
		o.MaxInputChars = defaultMaxInputChars
	}
	if o.AnswerTimeout <= 0 {
		o.AnswerTimeout = defaultAnswerTimeout
	}
	if o.UserPerMinute <= 0 {
		o.UserPerMinute = defaultUserPerMinute
	}
	if o.UserBurst <= 0 {
		o.UserBurst = defaultUserBurst
	}
	if o.ReplyMaxChars <= 0 {
		o.ReplyMaxChars = defaultReplyMaxChars
	}
	if o.Scope == "" {
		o.Scope = defaultScope
	}
	if o.Channel == "" {
		o.Channel = defaultChannel
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

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
	mem   *memory
	turns *turns
}

// New returns a Conversations answering with a. A nil log
// discards.
func New(a answerer, opts Options, log *slog.Logger) *Conversations {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts = opts.withDefaults()
	return &Conversations{
		a:     a,
		opts:  opts,
		log:   log,
		seen:  newSeenIDs(seenMax, seenTTL),
		users: newUserLimits(opts.UserPerMinute, opts.UserBurst),
		pace:  newPacer(opts.SendInterval),
		mem:   newMemory(opts.HistoryTurns, opts.IdleTimeout),
		turns: newTurns(),
	}
}

// Handle answers one incoming message, sending its replies through send.
// Transports call it in a goroutine per message. Replies of one chat go out
// in the order Handle was called for its messages; different chats do not
// wait for each other. The error reports a failed send or journal write;
// an answerer failure is logged and answered with a fixed apology instead.
func (c *Conversations) Handle(ctx context.Context, m Message, send Sender) error {
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
	if err := tk.wait(ctx); err != nil {
		return err
	}
	defer tk.done()

	out := outbox{c: c, send: send}
	if m.Group {
		out.mention = m.SenderName
	}
	// The clock is read again: the message may have waited in line.
	c.mem.touch(m.ChatID, c.opts.Now())
	switch {
	case limit == limitedNotify:
		return out.reply(ctx, msgTooFast)
	case m.Kind != KindText:
		return out.reply(ctx, msgNonText)
	}
	return c.text(ctx, m, text, out)
}

// text handles a text message that is meant for the bot.
func (c *Conversations) text(ctx context.Context, m Message, text string, out outbox) error {
	if text == "" {
		return out.reply(ctx, msgEmpty)
	}
	switch cmd, n := parseCommand(text); cmd {
	case cmdHelp:
		return out.reply(ctx, helpText(c.opts, m.Group))
	case cmdReset:
		c.mem.forget(m.ChatID)
		return out.reply(ctx, msgReset)
	case cmdScope:
		return out.reply(ctx, c.opts.Scope)
	case cmdSource:
		last, ok := c.mem.lastAnswer(m.ChatID)
		return out.reply(ctx, sourceText(last, ok, n))
	}
	if n := utf8.RuneCountInString(text); n > c.opts.MaxInputChars {
		return out.reply(ctx, fmt.Sprintf(msgTooLong, n, c.opts.MaxInputChars))
	}
	return c.ask(ctx, m, text, out)
}

// ask gets an answer for question and sends it, or the apology.
func (c *Conversations) ask(ctx context.Context, m Message, question string, out outbox) error {
	history := c.mem.history(m.ChatID)
	c.log.Debug("question", "chat", journal.ChatHash(m.ChatID), "question", question, "history", len(history))
	start := time.Now()
	a, err := c.answer(ctx, question, history, out)
	latency := time.Since(start)
	var sendErr error
	if err != nil {
		if errors.Is(err, errSendPending) {
			// The chat is unreachable; an apology would fail the same way.
			return err
		}
		c.log.Error("answer failed", "chat", journal.ChatHash(m.ChatID), "latency", latency, "err", err)
		c.log.Debug("failed question", "chat", journal.ChatHash(m.ChatID), "question", question)
		sendErr = out.reply(ctx, msgFailed)
	} else {
		c.mem.remember(m.ChatID, question, a, c.opts.Now())
		sendErr = out.reply(ctx, a.Text)
	}
	var jErr error
	if c.opts.Journal != nil {
		e := journal.Entry{
			Channel:   c.opts.Channel,
			Chat:      journal.ChatHash(m.ChatID),
			Question:  question,
			History:   history,
			Answer:    a.Text,
			Found:     a.Found,
			Citations: Recorded(a.Citations),
			LatencyMS: latency.Milliseconds(),
		}
		if err != nil {
			e.Error = err.Error()
		}
		// The reply may have failed because ctx ended; the record is
		// still worth keeping.
		jErr = c.opts.Journal.Append(context.WithoutCancel(ctx), e)
	}
	return errors.Join(sendErr, jErr)
}

// errSendPending marks a failure to send the "please wait" note, which is
// not the answerer's fault.
var errSendPending = errors.New("send pending note")

// answer calls the answerer under AnswerTimeout, sending the pending note
// if it takes longer than PendingAfter.
func (c *Conversations) answer(ctx context.Context, question string, history []string, out outbox) (answer.Result, error) {
	actx, cancel := context.WithTimeout(ctx, c.opts.AnswerTimeout)
	defer cancel()
	type result struct {
		a   answer.Result
		err error
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
		a, err := c.a.Answer(actx, question, history)
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
			switch {
			case r.err != nil:
				return answer.Result{}, fmt.Errorf("answer question: %w", r.err)
			case strings.TrimSpace(r.a.Text) == "":
				return answer.Result{}, errors.New("answer question: empty answer")
			}
			return r.a, nil
		case <-pending:
			pending = nil
			if err := out.reply(ctx, msgPending); err != nil {
				return answer.Result{}, fmt.Errorf("%w: %w", errSendPending, err)
			}
		case <-actx.Done():
			return answer.Result{}, fmt.Errorf("answer question: %w", actx.Err())
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
}

func (o outbox) reply(ctx context.Context, text string) error {
	for i, part := range Split(text, o.c.opts.ReplyMaxChars) {
		if i > 0 {
			if err := sleep(ctx, o.c.opts.PartPause); err != nil {
				return err
			}
		}
		if err := o.c.pace.wait(ctx); err != nil {
			return err
		}
		if err := o.send(ctx, Reply{Text: part, Mention: o.mention}); err != nil {
			return fmt.Errorf("send reply part %d: %w", i+1, err)
		}
	}
	return nil
}

// Recorded is how the Q&A record keeps citations: without their text,
// which the corpus holds.
func Recorded(cs []answer.Citation) []journal.Citation {
	if len(cs) == 0 {
		return nil
	}
	out := make([]journal.Citation, len(cs))
	for i, c := range cs {
		out[i] = journal.Citation{N: c.N, DocID: c.DocID, Title: c.Title, DocNo: c.DocNo, Clause: c.Clause, Issued: c.Issued, Expired: c.Expired, ChunkID: c.ChunkID}
	}
	return out
}
