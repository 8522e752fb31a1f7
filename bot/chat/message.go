// Package chat is the conversation core every channel answers through:
// sessions and history, commands, limits, per-chat order, the Q&A record,
// and laying an answer out as messages within a channel's limits.
package chat

import (
	"context"
	"time"
)

// Kind says what a message carries. Only text is a question; the rest gets
// a polite note in a private chat and is ignored in a group.
type Kind int

// Message kinds a transport can report.
const (
	KindText Kind = iota
	KindImage
	KindVoice
	KindVideo
	KindFile
	KindSticker
	KindLink
	KindOther
)

// Message is one incoming message, already translated out of the
// transport's own types.
type Message struct {
	ID         string // transport message id, used to drop resent duplicates
	ChatID     string // the private chat or group the reply goes to
	SenderID   string // who wrote it (in a group, the member)
	SenderName string // display name, used to @-mention the asker in groups
	Text       string // message text; for groups, as received (mention not yet stripped)
	// Quote is the text of the earlier message this one quotes (WeChat's
	// 引用), without the quoting; Text then holds only the user's own
	// words. The quote is given to the answerer as the latest turn of the
	// history, not searched as the question; a message that is only a
	// quote (and a mention) asks what it quotes.
	Quote     string
	Kind      Kind      // what the message carries
	Group     bool      // true in a group chat
	Mentioned bool      // true when the bot was @-mentioned in a group
	Self      bool      // true when the bot's own account sent it
	Time      time.Time // when it was received
	// Show, when not nil, is given the answer's text while the model
	// writes it, for a channel that can display text as it grows (the
	// terminal). The reply that completes such an answer has Shown set.
	Show func(delta string)
}

// Reply is one message to send back to Message.ChatID.
type Reply struct {
	Text    string // plain text, already split to the transport's size
	Mention string // display name to @-mention in a group, or empty
	// Shown is set on the reply that completes an answer whose text was
	// given to Message.Show: Text then continues what was shown, or, when
	// what was shown did not stand, says so and gives the whole answer.
	Shown bool
	// Entry names the answer in the Q&A record, so that a channel that
	// delivers it later can record that it never arrived
	// (Conversations.Undelivered); empty when no record is kept.
	Entry string
}

// Sender delivers one reply to the chat a message came from. Transports
// implement it; the conversation core calls it in order.
type Sender func(ctx context.Context, r Reply) error
