package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Split cuts text into parts of at most max runes so that a transport can
// send a long reply as several messages. It prefers to cut after a
// paragraph (a blank line) in the second half of the part, then after the
// last sentence end (。！？；!?; or a line break, keeping closing quotes and
// brackets with their sentence), then at the last space, and cuts hard at
// max runes only when a stretch has none of these.
//
// Whitespace around cut points and at both ends is dropped; everything else
// is kept, so joining the parts gives back the text modulo that whitespace.
// Split never returns empty or whitespace-only parts; for a blank text it
// returns nil. A max of zero or less means no limit.
func Split(text string, max int) []string {
	rest := strings.TrimSpace(text)
	var parts []string
	for rest != "" {
		// Scanning only max runes keeps long texts linear.
		if max <= 0 || hardCut(rest, max) == len(rest) {
			parts = append(parts, rest)
			break
		}
		cut := cutPoint(rest, max)
		part := strings.TrimRightFunc(rest[:cut], unicode.IsSpace)
		if part == "" {
			// rest starts with text, so this cannot happen; the guard keeps
			// the loop finite if cutPoint ever changes.
			cut = hardCut(rest, max)
			part = rest[:cut]
		}
		parts = append(parts, part)
		rest = strings.TrimLeftFunc(rest[cut:], unicode.IsSpace)
	}
	return parts
}

// cutPoint returns the byte offset in s (which is longer than max runes and
// starts with a non-space) at which the next part should end.
func cutPoint(s string, max int) int {
	limit := hardCut(s, max)
	var (
		para, sentence int  // latest cut points, byte offsets
		space          int  // start of the latest space, for text without punctuation
		paraRunes      int  // para as a rune count
		closing        bool // inside a run of closing marks after a sentence end
		afterBreak     bool // only spaces since the last line break
	)
	for i, runes := 0, 0; i < limit; {
		r, w := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			space = i
		}
		i += w
		runes++
		switch {
		case closing && isCloser(r):
			// A closing mark right after a sentence end belongs to it.
			sentence = i
		case r == '\n' && afterBreak:
			para, paraRunes, sentence = i, runes, i
			closing = false
		case r == '\n':
			sentence = i
			closing = false
		case isSentenceEnd(r):
			sentence = i
			closing = true
		default:
			closing = false
		}
		if r == '\n' {
			afterBreak = true
		} else if !unicode.IsSpace(r) {
			afterBreak = false
		}
	}
	if r, _ := utf8.DecodeRuneInString(s[limit:]); r == '\n' {
		// The part ends exactly at a line end.
		sentence = limit
	}
	switch {
	case para > 0 && paraRunes >= max/2:
		return para
	case sentence > 0:
		// Any sentence end beats cutting inside a sentence, even when it
		// leaves a short part.
		return sentence
	case space > 0:
		return space
	}
	return limit
}

// hardCut returns the byte offset just after the first max runes of s.
func hardCut(s string, max int) int {
	i := 0
	for n := 0; n < max && i < len(s); n++ {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return i
}

func isSentenceEnd(r rune) bool {
	switch r {
	case '。', '！', '？', '；', '!', '?', ';':
		return true
	}
	return false
}

func isCloser(r rune) bool {
	switch r {
	case '”', '’', '」', '』', '）', '》', '】', ')':
		return true
	}
	return false
}
