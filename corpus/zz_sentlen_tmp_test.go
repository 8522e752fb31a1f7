package corpus

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestZZSentLenTmp(t *testing.T) {
	mx, over := 0, 0
	var longest string
	for _, d := range builtinLibrary(t).Documents() {
		for _, l := range strings.Split(d.Body, "\n") {
			for _, s := range splitSentences(l) {
				n := utf8.RuneCountInString(s)
				if n > 500 {
					over++
				}
				if n > mx {
					mx, longest = n, d.ID+": "+s
				}
			}
		}
		for _, c := range d.Chunks {
			if n := utf8.RuneCountInString(c.Text); n > 700 {
				t.Logf("big chunk %s %s %d", d.ID, c.Label, n)
			}
		}
	}
	t.Logf("max sentence %d runes, %d over 500: %.200s", mx, over, longest)
}
