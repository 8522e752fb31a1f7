package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ChunkSize bounds chunks, in characters. A division that fits within Max
// is one chunk; runs of divisions under Min merge with their siblings; a
// division over Max is cut at sentence ends.
type ChunkSize struct{ Min, Max int }

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
}

func (n *node) size() int {
	s := 0
	for _, l := range n.lines {
		s += utf8.RuneCountInString(l)
	}
	for _, c := range n.children {
		s += c.size()
	}
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
	if len(n.lines) == 0 {
		return ""
	}
	t := n.lines[0]
	if i := strings.IndexAny(t, "。；："); i > 0 {
		t = t[:i]
	}
	if r := []rune(t); len(r) > 40 {
		t = string(r[:40]) + "…"
	}
	return t
}

// parse builds the division tree of a document body (header excluded).
func parse(lines []string) *node {
	root := &node{level: -1}
	cur := root
	for _, l := range lines {
		lvl := headingLevel(l)
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
		n := &node{level: lvl, mark: headingMark(l, lvl), lines: []string{l}, parent: parent}
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
	root := parse(lines[h.lines:])
	// A short document is cut clause by clause, each of its numbered
	// divisions a chunk of its own, so that every clause can be cited;
	// in a long one, runs of small clauses merge, which retrieval was
	// measured to prefer.
	c := chunker{doc: d, size: size, ids: map[string]bool{}, clauses: root.size() <= size.Max}
	c.emit(root)
	return c.out
}

type chunker struct {
	clauses bool // one chunk per numbered division: no merging, down to articles
	doc     *Document
	size    ChunkSize
	out     []Chunk
	ids     map[string]bool
}

func (c *chunker) add(p []string, lbl string, lines []string) {
	text := strings.Join(lines, "\n")
	if strings.TrimSpace(text) == "" {
		return
	}
	key := c.doc.ID + "\x00" + lbl + "\x00" + text
	id := c.doc.ID + "-" + hashHex(key)[:12]
	// The same clause printed twice under one label (a repeated sentence,
	// a reprinted form) still needs an id of its own: the index keys
	// vectors by it. Numbering the repeats keeps ids stable across runs.
	for n := 2; c.ids[id]; n++ {
		id = c.doc.ID + "-" + hashHex(key + "\x00" + strconv.Itoa(n))[:12]
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
// than max stays whole: a clause is never cut mid-sentence.
func sentences(lines []string, max int) [][]string {
	var parts [][]string
	var cur []string
	size := 0
	for _, l := range lines {
		for _, s := range splitSentences(l) {
			n := utf8.RuneCountInString(s)
			if size > 0 && size+n > max {
				parts = append(parts, cur)
				cur, size = nil, 0
			}
			cur = appendSentence(cur, s)
			size += n
		}
		// Keep the line break: the next sentence starts a new line.
		cur = append(cur, "")
	}
	if size > 0 {
		parts = append(parts, cur)
	}
	for i, p := range parts {
		parts[i] = joinSentences(p)
	}
	return parts
}

// appendSentence builds lines from sentences: "" marks a line break.
func appendSentence(cur []string, s string) []string {
	if len(cur) == 0 || cur[len(cur)-1] == "" {
		return append(cur, s)
	}
	cur[len(cur)-1] += s
	return cur
}

func joinSentences(p []string) []string {
	var out []string
	for _, s := range p {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func splitSentences(line string) []string {
	var out []string
	start := 0
	for i, r := range line {
		if r == '。' || r == '；' || r == '！' || r == '？' {
			end := i + utf8.RuneLen(r)
			// Keep a closing quote or bracket with its sentence.
			for end < len(line) {
				next, w := utf8.DecodeRuneInString(line[end:])
				if !strings.ContainsRune("”’）)」", next) {
					break
				}
				end += w
			}
			if end > start {
				out = append(out, line[start:end])
				start = end
			}
		}
	}
	if start < len(line) {
		out = append(out, line[start:])
	}
	return out
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
