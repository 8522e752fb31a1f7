package chat

import (
	"context"
	"math"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/journal"
)

// The state a Conversations keeps beyond one message. Each has a default
// kept in this process; replicas of one bot share theirs instead (package
// postgres provides them), so that a chat's follow-up, a retried message
// and a sender's rate are the same whichever replica a message reaches.

// historyStore keeps what the bot remembers of each chat: the recent
// questions, and the citations of the last answer, for 原文 N. A chat
// silent too long is forgotten on its next Touch.
type historyStore interface {
	Touch(ctx context.Context, chat string, now time.Time) error
	Recent(ctx context.Context, chat string) ([]string, error)
	Remember(ctx context.Context, chat, question string, cited []answer.Citation, now time.Time) error
	LastCited(ctx context.Context, chat string) ([]answer.Citation, bool, error)
	Forget(ctx context.Context, chat string) error
}

// claimer hands each message id to one answerer: Claim reports false when
// the id was claimed already, by this process or another.
type claimer interface {
	Claim(ctx context.Context, id string, now time.Time) (bool, error)
}

// counter counts a sender's messages: Count counts one at now and returns
// how many the sender sent in the minute that holds now, this one
// included.
type counter interface {
	Count(ctx context.Context, sender string, now time.Time) (int, error)
}

// recorder is the Q&A record: a *journal.Files, or one shared by replicas.
type recorder interface {
	Append(ctx context.Context, e journal.Entry) (string, error)
	Mark(ctx context.Context, id string, good bool, comment string) error
	Undelivered(ctx context.Context, id string, cause error) error
}

// perMinute is how many messages a sender may send in one minute's
// window of a shared counter: the bucket, or the refill when larger.
// A token bucket lets through at most about burst + perMinute in any
// minute, a fixed window up to twice its allowance across a window's
// edge; the larger of the two keeps the limits alike in the steady state.
func perMinute(rate float64, burst int) int {
	return max(burst, int(math.Ceil(rate)), 1)
}

// shared asks the shared stores, when configured, whether an accepted
// message is still answered: not when another replica claimed its id, or
// when its sender is over the limit and was told so already. It returns
// the limiter's verdict. A store that fails lets the message through, as
// the bot did before it shared anything, and is logged.
func (c *Conversations) shared(ctx context.Context, m Message, sender string, now time.Time, limit verdict) (verdict, bool) {
	if c.opts.Claims != nil && m.ID != "" {
		won, err := c.opts.Claims.Claim(ctx, m.ID, now)
		switch {
		case err != nil:
			c.log.Warn("message id not claimed; answering it here", "id", m.ID, "err", err)
		case !won:
			c.log.Debug("dropped message answered by another replica", "id", m.ID)
			return limit, false
		}
	}
	if c.opts.Limits == nil || c.opts.UserPerMinute <= 0 {
		return limit, true
	}
	n, err := c.opts.Limits.Count(ctx, sender, now)
	if err != nil {
		c.log.Warn("sender's messages not counted; not limiting", "chat", journal.ChatHash(m.ChatID), "err", err)
		return allowed, true
	}
	switch most := perMinute(c.opts.UserPerMinute, c.opts.UserBurst); {
	case n <= most:
		return allowed, true
	case n == most+1:
		return limitedNotify, true
	default:
		return limitedSilent, false
	}
}

// The conversation core's view of its history: a store that fails leaves
// the chat without history, logged, rather than without an answer.

func (c *Conversations) touch(ctx context.Context, chat string, now time.Time) {
	if err := c.hist.Touch(ctx, chat, now); err != nil {
		c.log.Warn("chat history not updated", "chat", journal.ChatHash(chat), "err", err)
	}
}

func (c *Conversations) recent(ctx context.Context, chat string) []string {
	h, err := c.hist.Recent(ctx, chat)
	if err != nil {
		c.log.Warn("chat history unavailable; answering without it", "chat", journal.ChatHash(chat), "err", err)
		return nil
	}
	return h
}

func (c *Conversations) remember(ctx context.Context, chat, question string, a answer.Result) {
	if err := c.hist.Remember(ctx, chat, question, a.Citations, c.opts.Now()); err != nil {
		c.log.Warn("answer not remembered in the chat history", "chat", journal.ChatHash(chat), "err", err)
	}
}

func (c *Conversations) lastAnswer(ctx context.Context, chat string) (answer.Result, bool) {
	cited, ok, err := c.hist.LastCited(ctx, chat)
	if err != nil {
		c.log.Warn("chat's last answer unavailable", "chat", journal.ChatHash(chat), "err", err)
		return answer.Result{}, false
	}
	return answer.Result{Citations: cited}, ok
}

func (c *Conversations) forget(ctx context.Context, chat string) {
	if err := c.hist.Forget(ctx, chat); err != nil {
		c.log.Warn("chat history not cleared", "chat", journal.ChatHash(chat), "err", err)
	}
}
