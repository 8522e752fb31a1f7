package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ChunkSize bounds chunks, in characters. A division that fits within Max
// is one chunk; runs of divisions under Min merge with their siblings; a
// division over Max is cut at sentence ends. A sentence runs whole into
// its chunk unless it is longer than sentenceCap times Max (a line that
// never ends a sentence, such as a table flattened to text); then it is
// cut into pieces of at most Max at ，or 、, or hard where it has none. So
// no chunk is longer than sentenceCap times Max.
type ChunkSize struct{ Min, Max int }

// sentenceCap is how many times Max a sentence may run before it is cut
// mid-sentence. Real sentences stay whole (the longest of the built-in
// corpus is 338 characters, under Max alone); what is cut is text with no
// sentence end at all.
const sentenceCap = 4

// DefaultChunkSize was chosen by measuring retrieval on the evaluation
// set (see retrieval's README section).
var DefaultChunkSize = ChunkSize{Min: 80, Max: 500}

// node is one numbered division of a document: its heading line and the
// running text under it, then its subdivisions.
type node struct {
	level    int // heading level, -1 for the document itself
	mark     string
	lines    []string
	children []*node
	parent   *node

	// Computed on first use, after parse: the cutter asks for both again
	// and again, and recomputing them made cutting quadratic in depth and
	// in the length of a heading line.
	sz        int // size()+1; 0 before
	heading   string
	headingOK bool
}

// size is the division's length in characters, its subdivisions included.
func (n *node) size() int {
	if n.sz > 0 {
		return n.sz - 1
	}
	s := 0
	for _, l := range n.lines {
		s += utf8.RuneCountInString(l)
	}
	for _, c := range n.children {
		s += c.size()
	}
	n.sz = s + 1
	return s
}

func (n *node) all(dst []string) []string {
	dst = append(dst, n.lines...)
	for _, c := range n.children {
		dst = c.all(dst)
	}
	return dst
}

// title is the heading as shown in a path: the heading line, cut at its
// first sentence end so a heading that runs on into text stays short.
func (n *node) title() string {
	if !n.headingOK {
		lines := n.lines
		if n.level == levelQuestion && len(lines) > 0 {
			// 问：小型微利企业的标准是什么？ is shown by its question.
			lines = append([]string{headingRes[levelQuestion].ReplaceAllString(lines[0], "")}, lines[1:]...)
		}
		n.heading, n.headingOK = headingTitle(lines), true
	}
	return n.heading
}

// titleRunes is the longest title shown; a longer one ends in "…".
const titleRunes = 40

// headingTitle is the first line cut at its first 。；：, and then to 40
// characters. It reads at most 41 characters of the line, however long
// the line runs.
func headingTitle(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	t := lines[0]
	runes, end40, cut := 0, len(t), true
	for i, r := range t {
		if r == '。' || r == '；' || r == '：' {
			if i == 0 {
				// Only the first such mark is a cut, and one that
				// starts the line cuts nothing.
				cut = false
			} else if cut {
				// The cut comes before the 41st character: no ellipsis.
				return t[:i]
			}
		}
		if runes == titleRunes {
			end40 = i
			break
		}
		runes++
	}
	if end40 < len(t) {
		// Through runes, as ever: a broken byte shows as U+FFFD.
		return string([]rune(t[:end40])) + "…"
	}
	return t
}

// parse builds the division tree of a document body (header excluded).
func parse(lines []string) *node {
	root := &node{level: -1}
	cur := root
	questions := 0
	for _, l := range lines {
		lvl := headingLevel(l)
		part := lvl < 0 && partRe.MatchString(l)
		if part {
			// A part of a text numbering its items through (第一部分 税费支持,
			// then 1. to 14.) divides it as a chapter does, closing what
			// came before (a preface's 一、 to 四、).
			lvl = levelChapter
		}
		if lvl < 0 {
			cur.lines = append(cur.lines, l)
			continue
		}
		// Divisions nest in the conventional order — 附件 > 第X章 > 第X条 >
		// 一、 > （一） > 1. > （1） — so a heading closes every open division
		// at its level or below. A numbered line before the body's first
		// 一、 (an attachment list, say) cannot capture what follows.
		parent := cur
		for parent != root && parent.level >= lvl {
			parent = parent.parent
		}
		mark := headingMark(l, lvl)
		if part {
			mark = strings.ReplaceAll(partRe.FindString(l), " ", "")
		}
		if lvl == levelQuestion {
			// Questions are not numbered: they are cited by their place in
			// the text, 第3问.
			questions++
			mark = fmt.Sprintf("第%d问", questions)
		}
		n := &node{level: lvl, mark: mark, lines: []string{l}, parent: parent}
		parent.children = append(parent.children, n)
		cur = n
	}
	return root
}

// label renders a division's citation label: 第十二条, 三（一）1, 附件2 一、.
func label(n *node) string {
	var marks []*node
	for p := n; p != nil && p.level >= 0; p = p.parent {
		marks = append(marks, p)
	}
	var b strings.Builder
	for i := len(marks) - 1; i >= 0; i-- {
		m := marks[i]
		switch m.level {
		case levelChapter:
			// Articles are numbered through the whole text; the chapter
			// adds nothing to a citation.
			if n.level != levelChapter {
				continue
			}
			b.WriteString(m.mark)
		case levelAnnex:
			b.WriteString(m.mark)
			b.WriteString(" ")
		default:
			b.WriteString(m.mark)
		}
	}
	s := strings.TrimSpace(b.String())
	if n.level == levelCN {
		s += "、"
	}
	return s
}

func path(n *node) []string {
	var p []string
	for q := n.parent; q != nil && q.level >= 0; q = q.parent {
		p = append([]string{q.title()}, p...)
	}
	return p
}

// Cut cuts a document into clause chunks following its own numbering.
func Cut(d *Document, size ChunkSize) []Chunk {
	lines := strings.Split(d.Body, "\n")
	h := parseHeader(lines)
	root := parse(withoutContents(lines[h.lines:]))
	// A short document is cut clause by clause, each of its numbered
	// divisions a chunk of its own, so that every clause can be cited;
	// in a long one, runs of small clauses merge, which retrieval was
	// measured to prefer.
	c := chunker{doc: d, size: size, ids: map[string]bool{}, repeats: map[string]int{},
		clauses: root.size() <= size.Max}
	c.emit(root)
	return c.out
}

type chunker struct {
	clauses bool // one chunk per numbered division: no merging, down to articles
	doc     *Document
	size    ChunkSize
	out     []Chunk
	ids     map[string]bool
	// repeats holds, by a clause's first id, the last number given to
	// one of its copies, so that the k-th copy is not hashed k times.
	repeats map[string]int
	key     []byte // the id's key, reused
}

func (c *chunker) add(p []string, lbl string, lines []string) {
	text := strings.Join(lines, "\n")
	if strings.TrimSpace(text) == "" {
		return
	}
	// The id hashes doc id, label and text.
	key := c.sum(lbl, text, "")
	id := c.doc.ID + "-" + key
	// The same clause printed twice under one label (a repeated sentence,
	// a reprinted form) still needs an id of its own: the index keys
	// vectors by it. Numbering the repeats keeps ids stable across runs.
	if c.ids[id] {
		n := max(c.repeats[key], 2)
		for ; ; n++ {
			id = c.doc.ID + "-" + c.sum(lbl, text, strconv.Itoa(n))
			if !c.ids[id] {
				break
			}
		}
		c.repeats[key] = n
	}
	c.ids[id] = true
	c.out = append(c.out, Chunk{
		ID:    id,
		DocID: c.doc.ID,
		Path:  p,
		Label: lbl,
		Text:  text,
		Ord:   len(c.out),
	})
}

func (c *chunker) emit(n *node) {
	lbl := label(n)
	if n.level < 0 {
		// The text before the first numbered division; a document short
		// enough to be one chunk and numbering nothing is cited whole.
		lbl = "正文"
		if n.size() <= c.size.Max && len(n.children) == 0 {
			lbl = "全文"
		}
	}
	// A short document is still cut at its own numbering, so that each
	// clause can be cited by it.
	if n.size() <= c.size.Max && (n.level >= 0 && !(c.clauses && n.level <= levelChapter) || len(n.children) == 0) {
		if n.level == levelChapter && len(n.children) > 0 {
			// A chapter is cited by its articles: 第一条至第三条.
			lbl = label(n.children[0])
			if k := len(n.children); k > 1 {
				lbl += "至" + label(n.children[k-1])
			}
		}
		c.add(path(n), lbl, n.all(nil))
		return
	}
	// The division's own text: a bare heading lives on in its children's
	// paths; running text is kept, cut at sentence ends when long.
	own := n.lines
	if n.level >= 0 && len(own) == 1 && utf8.RuneCountInString(own[0]) < c.size.Min && len(n.children) > 0 {
		own = nil
	}
	for i, part := range sentences(own, c.size.Max) {
		p := path(n)
		if i > 0 && n.level >= 0 {
			// A later part of a long division starts mid-clause; its path
			// carries the division's own heading so it is not orphaned.
			p = append(p, n.title())
		}
		c.add(p, lbl, part)
	}
	// Merge runs of small siblings; recurse into large ones.
	var run []*node
	flush := func() {
		if len(run) == 0 {
			return
		}
		if len(run) == 1 {
			c.emit(run[0])
		} else {
			var lines []string
			for _, r := range run {
				lines = r.all(lines)
			}
			c.add(path(run[0]), label(run[0])+"至"+label(run[len(run)-1]), lines)
		}
		run = nil
	}
	total := 0
	for _, ch := range n.children {
		s := ch.size()
		if s > c.size.Max {
			flush()
			total = 0
			c.emit(ch)
			continue
		}
		if len(run) > 0 && (c.clauses || total+s > c.size.Max || total >= c.size.Min) {
			flush()
			total = 0
		}
		run = append(run, ch)
		total += s
	}
	flush()
}

// sentences groups lines into parts of at most max characters, cutting
// only at sentence ends (。；！？ or a line end). A single sentence longer
// than max stays whole: a clause is cut mid-sentence only when a sentence
// runs past sentenceCap times max, and then into pieces of at most max
// (see eachSentence). The parts' lines are substrings of lines: nothing
// is copied, and the work is linear in the text.
func sentences(lines []string, max int) [][]string {
	var parts [][]string
	var cur []string
	size := 0
	for _, l := range lines {
		open := -1 // start in l of cur's last line, while it continues on l
		eachSentence(l, max, func(start, end, n int) {
			if size > 0 && size+n > max {
				parts = append(parts, cur)
				cur, size, open = nil, 0, -1
			}
			if open >= 0 {
				cur[len(cur)-1] = l[open:end]
			} else {
				cur = append(cur, l[start:end])
				open = start
			}
			size += n
		})
		// The next line's sentences start a new line of the part.
	}
	if size > 0 {
		parts = append(parts, cur)
	}
	return parts
}

// eachSentence calls fn with the byte range and the length in characters
// of each sentence of line, in order: a run ending in 。；！？ and the
// closing quotes or brackets after it, or the line's rest. A sentence
// over sentenceCap times max characters (max > 0) is given as pieces of
// at most max instead, each ending after the last ，or 、 of its window
// that leaves it at least a quarter of max long, else cut hard at max.
func eachSentence(line string, max int, fn func(start, end, n int)) {
	limit := sentenceCap * max
	emit := func(start, end, n int) {
		if max <= 0 || n <= limit {
			fn(start, end, n)
			return
		}
		piecewise(line, start, end, max, fn)
	}
	start, n := 0, 0
	for i := 0; i < len(line); {
		r, w := utf8.DecodeRuneInString(line[i:])
		i += w
		n++
		if r != '。' && r != '；' && r != '！' && r != '？' {
			continue
		}
		// Keep a closing quote or bracket with its sentence.
		for i < len(line) {
			next, w := utf8.DecodeRuneInString(line[i:])
			if !strings.ContainsRune("”’）)」", next) {
				break
			}
			i += w
			n++
		}
		emit(start, i, n)
		start, n = i, 0
	}
	if start < len(line) {
		emit(start, len(line), n)
	}
}

// piecewise gives line[start:end] to fn in pieces of at most max
// characters, cut after a ，or 、 when the window has one at least a
// quarter of max in, else hard at max. Each window is scanned once.
func piecewise(line string, start, end, max int, fn func(start, end, n int)) {
	least := (max + 3) / 4
	for start < end {
		i, n := start, 0
		soft, softN := -1, 0 // the latest cut after ，、 and its length
		for i < end && n < max {
			r, w := utf8.DecodeRuneInString(line[i:end])
			i += w
			n++
			if (r == '，' || r == '、' || r == ',') && n >= least {
				soft, softN = i, n
			}
		}
		if i < end && soft > 0 {
			i, n = soft, softN
		}
		fn(start, i, n)
		start = i
	}
}

// splitSentences is line cut into sentences, as sentences reads it.
func splitSentences(line string) []string {
	var out []string
	eachSentence(line, 0, func(start, end, _ int) { out = append(out, line[start:end]) })
	return out
}

// sum is the first 12 hex digits of the SHA-256 of doc id, label and
// text joined by NULs, and of the repeat number after one more when n is
// not empty: hashHex of that key, built in a buffer kept across chunks
// rather than as a new string each time.
func (c *chunker) sum(lbl, text, n string) string {
	k := append(c.key[:0], c.doc.ID...)
	k = append(k, 0)
	k = append(k, lbl...)
	k = append(k, 0)
	k = append(k, text...)
	if n != "" {
		k = append(k, 0)
		k = append(k, n...)
	}
	c.key = k
	sum := sha256.Sum256(k)
	return hex.EncodeToString(sum[:6])
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// contentsHeadRe is the heading of a table of contents: 目录, 目　录.
var contentsHeadRe = regexp.MustCompile(`^目[\s\x{3000}]*录$`)

// contentsEntryRe is an entry of a table of contents: a short line ending
// in its page's number, after a tab, spaces or dot leaders.
var contentsEntryRe = regexp.MustCompile(`^\S.{0,60}?(?:[\t \x{3000}]+|[.．…·‥]{2,}\s*)\d{1,4}$`)

// withoutContents returns a body without its table of contents: the 目录
// line and the run of entries under it, each ending in a page number. A
// document's own contents (a compilation of items prints one before them)
// answer nothing and repeat every item's name; cut into chunks, they came
// first for any question naming an item. A 目录 line over fewer than
// three entries is kept, whatever it is.
func withoutContents(lines []string) []string {
	for i, l := range lines {
		if !contentsHeadRe.MatchString(strings.TrimSpace(l)) {
			continue
		}
		end := i + 1
		for end < len(lines) && (strings.TrimSpace(lines[end]) == "" || contentsEntryRe.MatchString(strings.TrimSpace(lines[end]))) {
			end++
		}
		if end-i-1 < 3 {
			continue
		}
		return append(lines[:i:i], withoutContents(lines[end:])...)
	}
	return lines
}
