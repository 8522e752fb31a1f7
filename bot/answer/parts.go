package answer

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// A message may hold several questions (小微企业所得税有什么优惠？另外研发
// 费用加计扣除比例是多少？). Searched as one, the words of one question
// outweigh the other's, and the answer speaks to one. So each question of
// it is searched too, a later one with the earlier ones as its history
// (有奖励吗 after 高企认定了吗 is a follow-up), and the best clause of each
// that is found is cited besides the message's own.

// minPartHan is how many Han characters a question of a message must hold
// to be searched on its own: fewer (是吗？对吧？) says nothing by itself.
const minPartHan = 4

// maxParts bounds the questions of one message searched on their own:
// each is one more search.
const maxParts = 4

// questionParts splits a message into its questions at question marks,
// each keeping its mark; nil when it holds fewer than two that say
// enough (minPartHan). What follows the last mark is a question too when
// it asks (asksRe: people leave the mark off), and otherwise what the
// asker says of himself (…？我们是做软件的小公司), which is no question to
// search alone.
func questionParts(message string) []string {
	var parts []string
	start := 0
	rs := []rune(message)
	for i, r := range rs {
		last := i == len(rs)-1
		if r != '？' && r != '?' && !last {
			continue
		}
		part := strings.TrimSpace(string(rs[start : i+1]))
		start = i + 1
		switch {
		case part == "":
		case hanCount(part) < minPartHan:
			// A short tail (是吗？) belongs to the question before it.
			if n := len(parts); n > 0 {
				parts[n-1] += part
			}
		case r == '？' || r == '?' || asksRe.MatchString(part):
			parts = append(parts, part)
		}
	}
	if len(parts) < 2 {
		return nil
	}
	return parts[:min(len(parts), maxParts)]
}

// byQuestion is a conversation as retrieval reads it: of a last message
// that asked several questions, a follow-up (最高给多少) follows the last
// one asked. Kept as an earlier turn, at a quarter of the question's
// weight, the first question of 研发费用加计扣除比例是多少？新三板挂牌有奖励吗？
// still outweighed the second with its many words.
func byQuestion(history []string) []string {
	if len(history) == 0 {
		return history
	}
	parts := questionParts(history[len(history)-1])
	if parts == nil {
		return history
	}
	return append(slices.Clone(history[:len(history)-1]), parts[len(parts)-1])
}

// asksRe finds the words that make a sentence a question without its
// mark: particles and question words of everyday Chinese.
// 几 asks (要几天), 好几 counts (申请了好几个).
var asksRe = regexp.MustCompile(`吗|呢|么|多少|什么|怎么|咋|哪|(?:^|[^好])几|是否|能否|可否|有没有|能不能|可不可以|是不是|要不要`)

func hanCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			n++
		}
	}
	return n
}
