package corpus

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text a PDF converter wrote (pdftotext, a viewer's "save as text") is
// cut into lines of the page's width, mid-sentence, with each page's
// number and running head between the pages. Read as it is, every cut
// line looks like a short title and every page break like a division, so
// the file would split into documents at random and no clause would hold
// a whole sentence. unwrap puts the paragraphs back together before
// anything else reads the text; text whose lines are paragraphs (saved
// from Word, or written by hand) is left as it is.

// Limits of wrapped text, in display columns (a Han character is two, as
// on the page): lines cut at one width, most of them full.
const (
	// A wrapped line is at least this wide: narrower pages (a table's
	// cells) are not worth rejoining.
	minWrapWidth = 40
	// A full line falls short of the width by at most this much: a
	// line's last character may not fit, a paragraph's first is indented.
	wrapSlack = 6
	// Among lines of some length, at least this share is full, and at
	// least minWrapLines of them, for the text to be wrapped.
	minFullShare = 0.4
	minWrapLines = 10
	// A line printed on this many pages, after each page break, is the
	// running head.
	minRunningPages = 3
	maxRunningHead  = 40
)

// pageNumberRe is a page's number alone on its line: — 7 —, - 12 -, 第3页,
// 第3页 共20页, 3/20, or a bare number.
var pageNumberRe = regexp.MustCompile(`^(?:[-—–－~～\s]*\d{1,4}[-—–－~～\s]*|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})$`)

// tocEntryRe is an entry of a table of contents: dot leaders, then the
// page.
var tocEntryRe = regexp.MustCompile(`[.．…·‥]{2,}\s*\d{1,4}$`)

// lineEnds is what a paragraph's last line ends with.
const lineEnds = "。；！？：!?;:"

// unwrap returns text with the lines a converter wrapped joined into
// their paragraphs and its pages' numbers and running heads dropped, or
// text unchanged when it is not wrapped.
func unwrap(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\f", "\n\f"), "\n")
	width := wrapWidth(lines)
	if width == 0 {
		return text
	}
	lines = dropPageLines(lines)
	var out []string
	var para strings.Builder
	flush := func() {
		if para.Len() > 0 {
			out = append(out, para.String())
			para.Reset()
		}
	}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			flush()
			out = append(out, "")
			continue
		}
		joinASCII(&para, t)
		// A table of contents' entry (…的通知………12) ends its line.
		full := columns(t) >= width-wrapSlack && !tocEntryRe.MatchString(t)
		if !full || i+1 == len(lines) {
			flush()
			continue
		}
		next := strings.TrimSpace(lines[i+1])
		// A full line ending a sentence, before a heading, ends its
		// paragraph: it just reached the margin.
		if next == "" || strings.ContainsAny(lastRune(t), lineEnds) && headingLevel(next) >= 0 {
			flush()
		}
	}
	flush()
	return strings.Join(out, "\n")
}

// joinASCII appends t to a paragraph, with a space where a cut fell
// between two Latin words (the converter dropped it at the margin).
func joinASCII(para *strings.Builder, t string) {
	if para.Len() > 0 {
		prev, _ := utf8.DecodeLastRuneInString(para.String())
		next, _ := utf8.DecodeRuneInString(t)
		if prev < utf8.RuneSelf && next < utf8.RuneSelf && isASCIIWord(prev) && isASCIIWord(next) {
			para.WriteByte(' ')
		}
	}
	para.WriteString(t)
}

func lastRune(s string) string {
	r, _ := utf8.DecodeLastRuneInString(s)
	return string(r)
}

// columns is how wide s prints: two columns for a Han character or a
// full-width mark, one for anything else.
func columns(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x30ff || r >= 0xff00 && r <= 0xff60) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// wrapWidth is the width text was wrapped at, 0 when it was not: the
// commonest width of its wide lines, which enough of its lines reach
// without ending a sentence there.
func wrapWidth(lines []string) int {
	counts := map[int]int{}
	widths := make([]int, len(lines))
	long := 0
	for i, l := range lines {
		w := columns(strings.TrimSpace(l))
		widths[i] = w
		if w >= minWrapWidth/2 {
			long++
		}
		if w >= minWrapWidth {
			counts[w]++
		}
	}
	width, most := 0, 0
	for w, c := range counts {
		// Ties go to the wider, so that the result is the same on every run.
		if c > most || c == most && w > width {
			width, most = w, c
		}
	}
	if width == 0 {
		return 0
	}
	// A line of ASCII digits may run a column or two past the width.
	full, open := 0, 0
	for i, w := range widths {
		if w >= width-wrapSlack && w <= width+2 {
			full++
			if !strings.ContainsAny(lastRune(strings.TrimSpace(lines[i])), lineEnds) {
				open++
			}
		}
	}
	if full < minWrapLines || float64(full) < minFullShare*float64(long) || 2*open < full {
		return 0
	}
	return width
}

// dropPageLines removes what a page prints around the text: the page
// numbers, and the running head — a short line printed at the top of
// several pages, after their page break — and the blank lines about them,
// so that a paragraph a page break cut reads on.
func dropPageLines(lines []string) []string {
	afterBreak := map[string]int{}
	pageTop := true
	for _, l := range lines {
		t := strings.TrimSpace(strings.TrimPrefix(l, "\f"))
		if strings.HasPrefix(l, "\f") {
			pageTop = true
		}
		switch {
		case t == "":
		case pageNumberRe.MatchString(t):
			pageTop = true
		default:
			if pageTop {
				afterBreak[t]++
			}
			pageTop = false
		}
	}
	var out []string
	trim := func() {
		for len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
	}
	pageTop, skipBlank := true, false
	for _, l := range lines {
		t := strings.TrimSpace(strings.TrimPrefix(l, "\f"))
		if strings.HasPrefix(l, "\f") {
			pageTop, skipBlank = true, true
			trim()
		}
		switch {
		case t == "":
			if !skipBlank {
				out = append(out, "")
			}
			continue
		case pageNumberRe.MatchString(t):
			pageTop, skipBlank = true, true
			trim()
			continue
		case pageTop && afterBreak[t] >= minRunningPages && utf8.RuneCountInString(t) <= maxRunningHead:
			skipBlank = true
			trim()
			continue
		}
		pageTop, skipBlank = false, false
		out = append(out, t)
	}
	return out
}
