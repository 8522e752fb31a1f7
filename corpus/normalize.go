package corpus

import (
	"strings"
	"unicode"
)

// normLine trims a line and folds every run of white space (ASCII, U+3000,
// NBSP, tabs) into one ASCII space. The compilation is a PDF extraction with
// ragged indentation and alignment spaces; no other character is touched.
func normLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u3000' || r == '\u00a0' || r == '\ufeff' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// squeeze removes all white space; used to compare texts whose line breaks
// and alignment differ (a title broken over two lines, a clause in a query).
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u3000' || r == '\u00a0' || r == '\ufeff' {
			return -1
		}
		return r
	}, s)
}
