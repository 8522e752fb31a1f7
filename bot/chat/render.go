package chat

import (
	"unicode/utf8"

	"github.com/policybot/policybot/bot/answer"
)

// msgMore ends an answer whose details were cut to the channel's message
// count.
const msgMore = "……（内容较长，发送“原文 1”可查看第1条出处的全文）"

// messages lays an answer out for the channel: one message when it fits;
// otherwise its head first, whole — the lead, the validity of what it
// cites and its sources, so that a reader or a forwarder of the first
// message alone is never misled — then the details, cut to the channel's
// message count.
func (c *Conversations) messages(a answer.Result) []string {
	size := c.opts.ReplyMaxChars
	if size <= 0 || utf8.RuneCountInString(a.Text) <= size || a.Lead == "" {
		// One message, or an answer that is text only.
		return Split(a.Text, size)
	}
	out := Split(a.Head(), size)
	rest := Split(a.Details(), size)
	if n := c.opts.MaxMessages; n > 0 && len(out)+len(rest) > n {
		keep := n - len(out)
		if keep <= 0 {
			return out[:max(n, 1)]
		}
		rest = rest[:keep]
		last := []rune(rest[keep-1])
		more := []rune(msgMore)
		if len(last)+len(more) > size {
			last = last[:max(size-len(more), 0)]
		}
		rest[keep-1] = string(last) + msgMore
	}
	return append(out, rest...)
}
