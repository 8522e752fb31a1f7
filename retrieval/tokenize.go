package retrieval

import (
	"strings"
	"unicode"
)

// fold maps full-width ASCII to half-width and lowers Latin letters, so
// ２０１８ and 2018, ＰＰＰ and ppp are the same token.
func fold(r rune) rune {
	if r >= '！' && r <= '～' {
		r = r - '！' + '!'
	}
	return unicode.ToLower(r)
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// terms cuts text into the lexical units both BM25 and the built-in
// embedder use: single Han characters and Han bigrams (Chinese has no
// spaces, and policy words are mostly two or four characters), plus whole
// runs of Latin letters and digits (PPP, 2018, 3000). Measured against gse
// word segmentation on the evaluation set, bigrams find as much and cost
// no dictionary (see the README).
func terms(text string, withUnigrams bool) []string {
	var out []string
	var prev rune
	var word strings.Builder
	flushWord := func() {
		if word.Len() > 0 {
			out = append(out, word.String())
			word.Reset()
		}
	}
	for _, r0 := range text {
		r := fold(r0)
		switch {
		case isHan(r):
			flushWord()
			if withUnigrams {
				out = append(out, string(r))
			}
			if prev != 0 {
				out = append(out, string([]rune{prev, r}))
			}
			prev = r
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) || r == '.' && word.Len() > 0:
			prev = 0
			word.WriteRune(r)
		default:
			flushWord()
			prev = 0
		}
	}
	flushWord()
	return out
}
