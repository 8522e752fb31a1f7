package retrieval

import (
	"slices"
	"sort"
	"strings"

	pinyin "github.com/mozillazg/go-pinyin"
)

// homophones repairs the commonest typo of typed Chinese: an input method
// offering a character that sounds like the one meant (小危企业 for
// 小微企业, 保线 for 保险, 数字话车间 for 数字化车间). It knows the corpus's
// own characters by their toneless readings and its bigrams, and replaces
// a question's character with one of its homophones when that turns
// bigrams the corpus never uses into bigrams it does. A word it lacks
// that has no such homophone, or that is a real word of the corpus, is
// left alone.
type homophones struct {
	byReading map[string][]rune // reading → corpus characters, by frequency
	readings  map[rune][]string // character → its readings
	lex       *bm25
	texts     []string // the chunks' indexed text, by position
}

// newHomophones indexes the characters of the corpus's bigrams.
func newHomophones(lex *bm25, texts []string) *homophones {
	h := &homophones{byReading: map[string][]rune{}, readings: map[rune][]string{}, lex: lex, texts: texts}
	freq := map[rune]int{}
	for t, ps := range lex.postings {
		rs := []rune(t)
		if len(rs) != 1 || !isHan(rs[0]) {
			continue
		}
		freq[rs[0]] = len(ps)
	}
	args := pinyin.NewArgs()
	args.Heteronym = true
	for r := range freq {
		h.readings[r] = pinyin.SinglePinyin(r, args)
		if len(h.readings[r]) > 0 {
			// A character is offered for its usual reading only: an input
			// method offers 和 for he, not for huo, so 或 is no typo of it.
			rd := h.readings[r][0]
			h.byReading[rd] = append(h.byReading[rd], r)
		}
	}
	for _, rs := range h.byReading {
		// Most frequent first, then by code point, so the choice is the
		// same on every run.
		sort.Slice(rs, func(i, j int) bool {
			if freq[rs[i]] != freq[rs[j]] {
				return freq[rs[i]] > freq[rs[j]]
			}
			return rs[i] < rs[j]
		})
	}
	return h
}

// repair returns text with each character that is likely a homophone typo
// replaced. A character between two Han characters is a suspect when
// neither bigram it forms with them is one the corpus uses, or one is
// and the three are not printed together (高心技术: 核心技术 prints 心技);
// its replacement is the corpus's most frequent homophone that forms, with
// both neighbours, three characters the corpus prints together (小危企 →
// 小微企), and four with the next character on either side where there is
// one (see extends). Bigrams alone are too weak: the corpus's common
// characters form known bigrams with nearly anything, and 是不是 became
// 施不是. A character at the edge of a run has one neighbour only, too
// little evidence (搞技改 would become 高技改).
// spoken are characters of the spoken language's grammar that a question
// types as meant and formal prose seldom prints beside its words: 我是科技
// 人员 is no typo of 我市科技 (which a corpus of a city's documents
// prints), nor 有吗 of anything.
const spoken = "是的了吗呢吧啊呀我你"

func (h *homophones) repair(text string) string {
	if h == nil {
		return text
	}
	rs := []rune(text)
	changed := false
	for i := 1; i+1 < len(rs); i++ {
		left, r, right := rs[i-1], rs[i], rs[i+1]
		if !isHan(left) || !isHan(r) || !isHan(right) || strings.ContainsRune(spoken, r) {
			continue
		}
		f := h.fits(left, r, right)
		if f == 2 || f == 1 && h.printed(left, r, right) {
			continue
		}
		if c, ok := h.replacement(left, r, right); ok && h.extends(rs, i, c, f == 0) {
			rs[i], changed = c, true
		}
	}
	if !changed {
		return text
	}
	return string(rs)
}

// replacement is the corpus's most frequent homophone of r that forms
// known bigrams with both neighbours.
func (h *homophones) replacement(left, r, right rune) (rune, bool) {
	readings, ok := h.readings[r]
	if !ok {
		// A character the corpus never uses; read it without remembering,
		// since searches run concurrently.
		args := pinyin.NewArgs()
		args.Heteronym = true
		readings = pinyin.SinglePinyin(r, args)
	}
	for _, rd := range readings {
		for _, c := range h.byReading[rd] {
			if c != r && h.fits(left, c, right) == 2 && h.printed(left, c, right) {
				return c, true
			}
		}
	}
	return 0, false
}

// extends says whether c in place of rs[i] is printed in four characters
// with the question's own: the three of replacement's evidence and one
// more on either side, where there is a Han character there. Three alone
// are too weak for a character of grammar: 是不是不用交 became 是不折不
// (不折不扣), 买地的话工业用地 的化工业; a typo in a policy word is
// printed with more of it (小危企业 → 小微企业). With no fourth character
// on either side, three do only for a strong suspect, one forming no
// bigram the corpus uses with either neighbour.
func (h *homophones) extends(rs []rune, i int, c rune, strong bool) bool {
	sides := 0
	for _, four := range [][2]int{{i - 2, i + 2}, {i - 1, i + 3}} {
		if four[0] < 0 || four[1] > len(rs) || !isHan(rs[four[0]]) || !isHan(rs[four[1]-1]) {
			continue
		}
		sides++
		w := slices.Clone(rs[four[0]:four[1]])
		w[i-four[0]] = c
		if h.printedRun(string(w)) {
			return true
		}
	}
	return sides == 0 && strong
}

// fits counts the bigrams c forms with its neighbours (0 for none) that
// the corpus uses.
func (h *homophones) fits(left, c, right rune) int {
	n := 0
	if left != 0 && len(h.lex.postings[string([]rune{left, c})]) > 0 {
		n++
	}
	if right != 0 && len(h.lex.postings[string([]rune{c, right})]) > 0 {
		n++
	}
	return n
}

// trigramScan bounds the chunks read to find three characters together:
// those holding the rarer of their two bigrams, at most this many.
const trigramScan = 200

// printed says whether the corpus prints a, b and c together.
func (h *homophones) printed(a, b, c rune) bool {
	return h.printedRun(string([]rune{a, b, c}))
}

// printedRun says whether the corpus prints run, of three or more Han
// characters, looking in the chunks that hold its rarest bigram.
func (h *homophones) printedRun(run string) bool {
	rs := []rune(run)
	var rarest []posting
	for i := 0; i+1 < len(rs); i++ {
		ps := h.lex.postings[string(rs[i:i+2])]
		if i == 0 || len(ps) < len(rarest) {
			rarest = ps
		}
	}
	for _, p := range rarest[:min(trigramScan, len(rarest))] {
		if strings.Contains(h.texts[p.doc], run) {
			return true
		}
	}
	return false
}
