package corpus

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	zpath "path"
	"regexp"
	"strconv"
	"strings"
)

// Bounds on what a .docx may expand to. A zip bomb decompresses a few
// kilobytes into gigabytes; a real notice's document.xml is well under a
// megabyte, a long compilation's a few.
const (
	maxDOCXPartBytes  = 50 << 20 // word/document.xml
	maxDOCXStyleBytes = 10 << 20 // styles.xml, numbering.xml
)

// readDOCX returns a Word document's text: one line per paragraph in
// document order, a heading on a line of its own, each table row on one
// line with its cells separated by tabs (read as tableCells reads a table
// saved as text), and the numbers Word prints
// for automatically numbered paragraphs (一、（一）1.) written into the
// text, since the chunker finds clauses by those numbers.
func readDOCX(data []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		switch {
		case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0")):
			// An OLE compound file: Word encrypts a .docx with a password
			// into one (its streams EncryptionInfo and EncryptedPackage),
			// and Word 97–2003 .doc files are one.
			if bytes.Contains(data, utf16Name("EncryptedPackage")) {
				return "", fmt.Errorf("%w: docx is protected by a password; save an unprotected copy", ErrEncrypted)
			}
			return readDOC(data)
		case bytes.HasPrefix(data, []byte("PK\x03\x04")):
			return "", fmt.Errorf("%w: docx is truncated: its zip directory is missing or damaged (%w)", ErrDamaged, err)
		default:
			return "", fmt.Errorf("%w: docx is not a zip archive%s", ErrDamaged, formatHint(data))
		}
	}
	main := docxMainPart(zr)
	doc, err := readZipPart(zr, main, maxDOCXPartBytes)
	if err != nil {
		return "", err
	}
	if doc == nil {
		return "", fmt.Errorf("%w: docx has no %s: the zip archive is not a Word document", ErrDamaged, main)
	}
	dir := zpath.Dir(main)
	var st docxStyles
	var num *docxNumbering
	if b, err := readZipPart(zr, zpath.Join(dir, "styles.xml"), maxDOCXStyleBytes); err != nil {
		return "", err
	} else if b != nil {
		// Styles and numbering only refine the text; a document whose
		// definitions are damaged is still read, without them.
		st, _ = parseDOCXStyles(b)
	}
	if b, err := readZipPart(zr, zpath.Join(dir, "numbering.xml"), maxDOCXStyleBytes); err != nil {
		return "", err
	} else if b != nil {
		num, _ = parseDOCXNumbering(b)
	}
	w := docxWalker{styles: st, num: num, counters: map[string]*[9]int{}}
	if err := w.walk(doc); err != nil {
		return "", fmt.Errorf("%w: docx: reading %s: %w", ErrDamaged, main, err)
	}
	return strings.Join(w.lines, "\n"), nil
}

// utf16Name is name as an OLE directory stores it: UTF-16LE.
func utf16Name(name string) []byte {
	b := make([]byte, 0, 2*len(name))
	for i := 0; i < len(name); i++ {
		b = append(b, name[i], 0)
	}
	return b
}

// formatHint names what a file that is not in its expected format looks
// like, for the error: a saved web page or a PDF given another name.
func formatHint(data []byte) string {
	head := bytes.ToLower(bytes.TrimSpace(data[:min(len(data), 512)]))
	switch {
	case bytes.HasPrefix(head, []byte("%pdf-")):
		return " (it is a PDF)"
	case bytes.HasPrefix(head, []byte("<!doctype html")), bytes.HasPrefix(head, []byte("<html")):
		return " (it is a web page)"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return " (it is a zip archive)"
	}
	return ""
}

// docxMainPart finds the document part through the package relationships,
// falling back to the name Word gives it.
func docxMainPart(zr *zip.Reader) string {
	const fallback = "word/document.xml"
	b, err := readZipPart(zr, "_rels/.rels", maxDOCXStyleBytes)
	if err != nil || b == nil {
		return fallback
	}
	var rels struct {
		Rel []struct {
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if xml.Unmarshal(b, &rels) != nil {
		return fallback
	}
	for _, r := range rels.Rel {
		if strings.HasSuffix(r.Type, "/officeDocument") && r.Target != "" {
			return strings.TrimPrefix(zpath.Clean("/"+r.Target), "/")
		}
	}
	return fallback
}

// readZipPart returns the named entry, nil if there is none, or an error
// if it is larger than limit once inflated or cannot be inflated.
func readZipPart(zr *zip.Reader, name string, limit int64) ([]byte, error) {
	for _, f := range zr.File {
		if !strings.EqualFold(f.Name, name) {
			continue
		}
		if f.UncompressedSize64 > uint64(limit) {
			return nil, fmt.Errorf("%w: docx: %s inflates to %d MB, over the %d MB limit", ErrDamaged, name, f.UncompressedSize64>>20, limit>>20)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: docx: opening %s: %w", ErrDamaged, name, err)
		}
		defer rc.Close()
		// The size in the header may lie; the reader is bounded anyway.
		b, err := io.ReadAll(io.LimitReader(rc, limit+1))
		if err != nil {
			// A download broken off leaves the deflate stream cut short,
			// or running on into whatever follows it.
			return nil, fmt.Errorf("%w: docx is truncated or corrupt: %s cannot be inflated (%w)", ErrDamaged, name, err)
		}
		if int64(len(b)) > limit {
			return nil, fmt.Errorf("%w: docx: %s inflates to over the %d MB limit", ErrDamaged, name, limit>>20)
		}
		return b, nil
	}
	return nil, nil
}

// docxVal is an element whose value is its w:val attribute.
type docxVal struct {
	Val string `xml:"val,attr"`
}

// docxStyle is what a paragraph style says that matters here: whether it
// is a heading, and the numbering it applies.
type docxStyle struct {
	basedOn string
	heading bool
	numID   string // "" if the style sets none
	ilvl    string
}

type docxStyles struct {
	byID map[string]docxStyle
	def  string // the default paragraph style
}

// docxHeadingRe matches heading style names and ids as English and
// Chinese Word write them: heading 1, Heading1, 标题 1, 标题1, Title.
var docxHeadingRe = regexp.MustCompile(`(?i)^(heading\s*\d|title|标题\s*\d?)$`)

func parseDOCXStyles(b []byte) (docxStyles, error) {
	var x struct {
		Styles []struct {
			Type    string  `xml:"type,attr"`
			ID      string  `xml:"styleId,attr"`
			Default string  `xml:"default,attr"`
			Name    docxVal `xml:"name"`
			BasedOn docxVal `xml:"basedOn"`
			PPr     docxPPr `xml:"pPr"`
		} `xml:"style"`
	}
	if err := xml.Unmarshal(b, &x); err != nil {
		return docxStyles{}, err
	}
	st := docxStyles{byID: map[string]docxStyle{}}
	for _, s := range x.Styles {
		if s.Type != "" && s.Type != "paragraph" {
			continue
		}
		d := docxStyle{
			basedOn: s.BasedOn.Val,
			heading: docxHeadingRe.MatchString(s.Name.Val) || docxHeadingRe.MatchString(s.ID),
		}
		if s.PPr.NumPr != nil {
			// numId "0" removes a parent's numbering; an ilvl alone keeps
			// the parent's list at another level.
			d.numID, d.ilvl = s.PPr.NumPr.NumID.Val, s.PPr.NumPr.Ilvl.Val
		}
		st.byID[s.ID] = d
		if s.Default == "1" || s.Default == "true" {
			st.def = s.ID
		}
	}
	return st, nil
}

type docxPPr struct {
	NumPr *struct {
		NumID docxVal `xml:"numId"`
		Ilvl  docxVal `xml:"ilvl"`
	} `xml:"numPr"`
}

// resolve follows a style's basedOn chain: it is a heading if any style in
// the chain is, and takes the nearest numbering.
func (st docxStyles) resolve(id string) (heading bool, numID, ilvl string) {
	if id == "" {
		id = st.def
	}
	for range 16 { // a cycle in basedOn must not hang the reader
		s, ok := st.byID[id]
		if !ok {
			break
		}
		heading = heading || s.heading
		if numID == "" {
			numID = s.numID
		}
		if ilvl == "" {
			ilvl = s.ilvl
		}
		id = s.basedOn
	}
	return heading, numID, ilvl
}

// docxLevel is one level of a list: how its number is written.
type docxLevel struct {
	start  int
	format string // numFmt: decimal, chineseCounting, bullet …
	text   string // lvlText: "%1、", "（%2）", "%1.%2."
	suff   string // tab (Word's default), space or nothing
	legal  bool   // isLgl: every level's number written in decimal
}

type docxNum struct {
	abstract string
	levels   map[int]docxLevel // lvlOverride/lvl: replaces the abstract level
	starts   map[int]int       // lvlOverride/startOverride: restarts the level
}

type docxNumbering struct {
	abstract map[string]map[int]docxLevel
	nums     map[string]docxNum
}

type docxXMLLevel struct {
	Ilvl    string   `xml:"ilvl,attr"`
	Start   *docxVal `xml:"start"`
	NumFmt  docxVal  `xml:"numFmt"`
	LvlText *docxVal `xml:"lvlText"`
	Suff    *docxVal `xml:"suff"`
	IsLgl   *docxVal `xml:"isLgl"`
}

func (l docxXMLLevel) level() (int, docxLevel, bool) {
	i, err := strconv.Atoi(l.Ilvl)
	if err != nil || i < 0 || i > 8 {
		return 0, docxLevel{}, false
	}
	d := docxLevel{start: 1, format: l.NumFmt.Val, suff: "tab"}
	if l.Start != nil {
		if n, err := strconv.Atoi(l.Start.Val); err == nil && n >= 0 && n < 1e6 {
			d.start = n
		}
	}
	if d.format == "" {
		d.format = "decimal"
	}
	if l.LvlText != nil {
		d.text = l.LvlText.Val
	}
	if l.Suff != nil {
		d.suff = l.Suff.Val
	}
	d.legal = l.IsLgl != nil && l.IsLgl.Val != "0" && l.IsLgl.Val != "false"
	return i, d, true
}

func parseDOCXNumbering(b []byte) (*docxNumbering, error) {
	var x struct {
		Abstract []struct {
			ID     string         `xml:"abstractNumId,attr"`
			Levels []docxXMLLevel `xml:"lvl"`
		} `xml:"abstractNum"`
		Nums []struct {
			ID        string  `xml:"numId,attr"`
			Abstract  docxVal `xml:"abstractNumId"`
			Overrides []struct {
				Ilvl  string        `xml:"ilvl,attr"`
				Start *docxVal      `xml:"startOverride"`
				Lvl   *docxXMLLevel `xml:"lvl"`
			} `xml:"lvlOverride"`
		} `xml:"num"`
	}
	if err := xml.Unmarshal(b, &x); err != nil {
		return nil, err
	}
	n := &docxNumbering{abstract: map[string]map[int]docxLevel{}, nums: map[string]docxNum{}}
	for _, a := range x.Abstract {
		lv := map[int]docxLevel{}
		for _, l := range a.Levels {
			if i, d, ok := l.level(); ok {
				lv[i] = d
			}
		}
		n.abstract[a.ID] = lv
	}
	for _, m := range x.Nums {
		d := docxNum{abstract: m.Abstract.Val, levels: map[int]docxLevel{}, starts: map[int]int{}}
		for _, o := range m.Overrides {
			i, err := strconv.Atoi(o.Ilvl)
			if err != nil || i < 0 || i > 8 {
				continue
			}
			if o.Lvl != nil {
				lv := *o.Lvl
				lv.Ilvl = o.Ilvl // the override's level number is the one that counts
				if _, l, ok := lv.level(); ok {
					d.levels[i] = l
				}
			}
			if o.Start != nil {
				if s, err := strconv.Atoi(o.Start.Val); err == nil && s >= 0 && s < 1e6 {
					d.starts[i] = s
				}
			}
		}
		n.nums[m.ID] = d
	}
	return n, nil
}

// level returns list numID's definition of level i.
func (n *docxNumbering) level(numID string, i int) (docxLevel, bool) {
	m, ok := n.nums[numID]
	if !ok {
		return docxLevel{}, false
	}
	if l, ok := m.levels[i]; ok {
		return l, true
	}
	l, ok := n.abstract[m.abstract][i]
	return l, ok
}

// docxWalker reads document.xml token by token, so a large document is
// never held as a tree.
type docxWalker struct {
	styles docxStyles
	num    *docxNumbering
	// counters holds each list's current number per level (0: not yet
	// used). Word counts per abstract list, so two w:num of one
	// abstractNum continue each other unless one restarts.
	counters  map[string]*[9]int
	restarted map[string]bool

	lines  []string
	paras  []*docxPara  // open paragraphs: a text box nests one in another
	rows   [][]string   // open table rows, their finished cells
	cells  [][]string   // open table cells, their finished paragraphs
	tables []*docxTable // open tables, innermost last
}

// docxTable follows a table's grid, so that a cell merged down from the
// one above (w:vMerge, as a 清单 prints one 责任部门 beside several rows)
// reads as that cell: Word stores the text once, in the first row.
type docxTable struct {
	above, row map[int]string // by grid column: the row above, this row
	col, span  int            // the open cell's grid column and width
	continued  bool           // the open cell continues the one above
}

type docxPara struct {
	text   strings.Builder
	style  string
	numID  string
	ilvl   string
	hasNum bool
	hidden bool // the current run is hidden (w:vanish)
}

func (w *docxWalker) walk(doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack []xml.Name // open elements
	inPPr := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			switch name {
			case "Fallback", "pPrChange", "rPrChange", "moveFrom", "delText", "instrText", "del":
				// Fallback repeats mc:Choice's content (a text box twice);
				// the others are revisions and field codes, not text.
				if err := dec.Skip(); err != nil {
					return err
				}
				continue
			}
			stack = append(stack, t.Name)
			p := w.para()
			switch name {
			case "p":
				w.paras = append(w.paras, &docxPara{})
			case "pPr":
				inPPr++
			case "pStyle":
				if p != nil && inPPr > 0 {
					p.style = docxAttr(t, "val")
				}
			case "numId":
				if p != nil && inPPr > 0 {
					p.numID, p.hasNum = docxAttr(t, "val"), true
				}
			case "ilvl":
				if p != nil && inPPr > 0 {
					p.ilvl, p.hasNum = docxAttr(t, "val"), true
				}
			case "r":
				if p != nil {
					p.hidden = false
				}
			case "vanish":
				if p != nil && inPPr == 0 && docxAttr(t, "val") != "0" && docxAttr(t, "val") != "false" {
					p.hidden = true
				}
			case "tab", "ptab":
				// A space: a tab inside a paragraph is layout, and a tab
				// in a line sets a table's cells apart (tableCells).
				if p != nil && inPPr == 0 && !p.hidden {
					p.text.WriteByte(' ')
				}
			case "br", "cr":
				if p != nil && !p.hidden {
					p.text.WriteByte('\n')
				}
			case "noBreakHyphen", "softHyphen":
				if p != nil && name == "noBreakHyphen" && !p.hidden {
					p.text.WriteByte('-')
				}
			case "tbl":
				w.tables = append(w.tables, &docxTable{above: map[int]string{}, row: map[int]string{}})
			case "tr":
				w.rows = append(w.rows, nil)
				if t := w.table(); t != nil {
					t.col = 0
				}
			case "tc":
				w.cells = append(w.cells, nil)
				if t := w.table(); t != nil {
					t.span, t.continued = 1, false
				}
			case "gridSpan":
				if n, err := strconv.Atoi(docxAttr(t, "val")); err == nil && n > 1 && w.table() != nil {
					w.table().span = n
				}
			case "vMerge":
				if v := docxAttr(t, "val"); (v == "" || v == "continue") && w.table() != nil {
					w.table().continued = true
				}
			}
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			name := stack[len(stack)-1].Local
			stack = stack[:len(stack)-1]
			switch name {
			case "pPr":
				inPPr--
			case "p":
				p := w.paras[len(w.paras)-1]
				w.paras = w.paras[:len(w.paras)-1]
				w.emit(w.render(p))
			case "tbl":
				if len(w.tables) > 0 {
					w.tables = w.tables[:len(w.tables)-1]
				}
			case "tc":
				c := w.cells[len(w.cells)-1]
				w.cells = w.cells[:len(w.cells)-1]
				text := strings.Join(c, " ")
				if t := w.table(); t != nil {
					if t.continued && strings.TrimSpace(text) == "" {
						text = t.above[t.col]
					}
					t.row[t.col] = text
					t.col += t.span
				}
				if len(w.rows) > 0 {
					w.rows[len(w.rows)-1] = append(w.rows[len(w.rows)-1], text)
				}
			case "tr":
				if t := w.table(); t != nil {
					t.above, t.row = t.row, map[int]string{}
				}
				r := w.rows[len(w.rows)-1]
				w.rows = w.rows[:len(w.rows)-1]
				// An empty cell keeps its place under its column.
				for i, c := range r {
					r[i] = strings.TrimSpace(c)
				}
				w.emit(strings.Join(r, "\t"))
			}
		case xml.CharData:
			// Only w:t (and math's m:t) hold text; the rest is layout, and
			// DrawingML's a:t is a chart's or a diagram's labels.
			if top := len(stack) - 1; top >= 0 && stack[top].Local == "t" && !strings.Contains(stack[top].Space, "drawingml") {
				if p := w.para(); p != nil && !p.hidden {
					p.text.Write(t)
				}
			}
		}
	}
	return nil
}

// table is the innermost open table, nil outside any.
func (w *docxWalker) table() *docxTable {
	if len(w.tables) == 0 {
		return nil
	}
	return w.tables[len(w.tables)-1]
}

func (w *docxWalker) para() *docxPara {
	if len(w.paras) == 0 {
		return nil
	}
	return w.paras[len(w.paras)-1]
}

// emit adds a finished paragraph or row to the innermost open table cell,
// or to the document's lines.
func (w *docxWalker) emit(s string) {
	if strings.TrimSpace(s) == "" {
		return
	}
	if len(w.cells) > 0 {
		// A nested table's row is text of its cell.
		c := &w.cells[len(w.cells)-1]
		*c = append(*c, strings.Join(strings.Fields(s), " "))
		return
	}
	w.lines = append(w.lines, s)
}

func docxAttr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// render returns a paragraph's line: its number, if Word numbers it, then
// its text. A heading broken by soft returns is one title, so it is
// joined.
func (w *docxWalker) render(p *docxPara) string {
	heading, numID, ilvl := w.styles.resolve(p.style)
	if p.hasNum {
		// Direct numbering overrides the style's; an ilvl alone keeps
		// the style's list.
		if p.numID != "" {
			numID = p.numID
		}
		if p.ilvl != "" {
			ilvl = p.ilvl
		}
	}
	text := p.text.String()
	if heading {
		text = strings.ReplaceAll(text, "\n", "")
	}
	label := w.number(numID, ilvl)
	if label == "" || strings.HasPrefix(strings.TrimSpace(text), label) {
		return text
	}
	return label + strings.TrimLeft(text, " \t")
}

// number advances list numID at level ilvl and returns the number Word
// prints there, e.g. "（二）", or "" for no list, a bullet or an
// undefined list.
func (w *docxWalker) number(numID, ilvlS string) string {
	if w.num == nil || numID == "" || numID == "0" {
		return ""
	}
	ilvl, err := strconv.Atoi(ilvlS)
	if ilvlS == "" {
		ilvl, err = 0, nil
	}
	if err != nil || ilvl < 0 || ilvl > 8 {
		return ""
	}
	lvl, ok := w.num.level(numID, ilvl)
	if !ok {
		return ""
	}
	m := w.num.nums[numID]
	key := m.abstract
	if len(m.starts) > 0 || len(m.levels) > 0 {
		key = "num:" + numID // an override makes the w:num a list of its own
	}
	c := w.counters[key]
	if c == nil {
		c = &[9]int{}
		w.counters[key] = c
	}
	if w.restarted == nil {
		w.restarted = map[string]bool{}
	}
	if s, ok := m.starts[ilvl]; ok && !w.restarted[numID+"/"+strconv.Itoa(ilvl)] {
		w.restarted[numID+"/"+strconv.Itoa(ilvl)] = true
		c[ilvl] = 0
		lvl.start = s
	}
	if c[ilvl] == 0 {
		c[ilvl] = lvl.start + 1 // stored off by one: 0 is "not yet used"
	} else {
		c[ilvl]++
	}
	for i := ilvl + 1; i < len(c); i++ {
		c[i] = 0
	}
	if lvl.format == "bullet" || lvl.format == "none" && !strings.Contains(lvl.text, "%") {
		return ""
	}
	var b strings.Builder
	rest := lvl.text
	for {
		i := strings.IndexByte(rest, '%')
		if i < 0 || i+1 >= len(rest) {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		k := int(rest[i+1] - '1')
		rest = rest[i+2:]
		if k < 0 || k > 8 {
			continue
		}
		l, ok := w.num.level(numID, k)
		if !ok {
			l = docxLevel{start: 1, format: "decimal"}
		}
		v := l.start
		if c[k] > 0 {
			v = c[k] - 1
		}
		f := l.format
		if lvl.legal && k < ilvl {
			f = "decimal"
		}
		b.WriteString(docxNumberText(v, f))
	}
	label := b.String()
	if label != "" && lvl.suff != "nothing" {
		if r := []rune(label); strings.ContainsRune("、.．）)：:", r[len(r)-1]) {
			return label // Chinese style writes the text right after the mark
		}
		label += " "
	}
	return label
}

// docxNumberText writes n in a Word numFmt. Formats not listed are written
// in decimal, which the chunker still reads.
func docxNumberText(n int, format string) string {
	switch format {
	case "none":
		return ""
	case "chineseCounting", "japaneseCounting", "taiwaneseCounting":
		return docxChinese(n, '〇')
	case "chineseCountingThousand", "taiwaneseCountingThousand", "japaneseDigitalTenThousand":
		return docxChinese(n, '零')
	case "ideographDigital", "taiwaneseDigital":
		return strings.Map(func(r rune) rune { return []rune("〇一二三四五六七八九")[r-'0'] }, strconv.Itoa(n))
	case "chineseLegalSimplified", "japaneseLegal":
		return strings.NewReplacer("一", "壹", "二", "贰", "三", "叁", "四", "肆", "五", "伍", "六", "陆", "七", "柒", "八", "捌", "九", "玖", "十", "拾", "百", "佰", "千", "仟", "〇", "零").Replace(docxChinese(n, '〇'))
	case "ideographTraditional":
		return docxCycle(n, "甲乙丙丁戊己庚辛壬癸")
	case "ideographZodiac":
		return docxCycle(n, "子丑寅卯辰巳午未申酉戌亥")
	case "decimalFullWidth", "decimalFullWidth2":
		return strings.Map(func(r rune) rune { return r - '0' + '０' }, strconv.Itoa(n))
	case "decimalZero":
		return fmt.Sprintf("%02d", n)
	case "decimalEnclosedCircle", "decimalEnclosedCircleChinese":
		if n >= 1 && n <= 20 {
			return string(rune('①' + n - 1))
		}
	case "decimalEnclosedParen":
		if n >= 1 && n <= 20 {
			return string(rune('⑴' + n - 1))
		}
	case "decimalEnclosedFullstop":
		if n >= 1 && n <= 20 {
			return string(rune('⒈' + n - 1))
		}
	case "upperLetter", "lowerLetter":
		if n >= 1 {
			// Word repeats the letter: A … Z, AA … ZZ, AAA …
			s := strings.Repeat(string(rune('A'+(n-1)%26)), (n-1)/26+1)
			if format == "lowerLetter" {
				s = strings.ToLower(s)
			}
			return s
		}
	case "upperRoman", "lowerRoman":
		if n >= 1 && n < 4000 {
			s := docxRoman(n)
			if format == "lowerRoman" {
				s = strings.ToLower(s)
			}
			return s
		}
	}
	return strconv.Itoa(n)
}

func docxCycle(n int, chars string) string {
	r := []rune(chars)
	if n < 1 {
		return strconv.Itoa(n)
	}
	return string(r[(n-1)%len(r)])
}

func docxRoman(n int) string {
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	return b.String()
}

// docxChinese writes n as Chinese counts: 十, 十一, 二十, 一百〇五
// (zero is the character for an inner zero: 〇 in Word's chineseCounting,
// 零 in chineseCountingThousand). Numbers from 10^8 on are written in
// digits; no list reaches them.
func docxChinese(n int, zero rune) string {
	if n < 0 || n >= 1e8 {
		return strconv.Itoa(n)
	}
	if n == 0 {
		return string(zero)
	}
	if n >= 1e4 {
		hi, lo := n/1e4, n%1e4
		s := docxChinese(hi, zero) + "万"
		if lo == 0 {
			return s
		}
		if lo < 1000 {
			s += string(zero)
		}
		return s + docxChineseBelow10k(lo, zero, false)
	}
	return docxChineseBelow10k(n, zero, true)
}

func docxChineseBelow10k(n int, zero rune, leading bool) string {
	digits := []rune("〇一二三四五六七八九")
	units := []string{"千", "百", "十", ""}
	var b strings.Builder
	pending := false
	for i, p := range []int{1000, 100, 10, 1} {
		d := n / p % 10
		if d == 0 {
			if b.Len() > 0 {
				pending = true
			}
			continue
		}
		if pending {
			b.WriteRune(zero)
			pending = false
		}
		// 十一, not 一十一, when the number starts with its tens.
		if !(leading && b.Len() == 0 && p == 10 && d == 1) {
			b.WriteRune(digits[d])
		}
		b.WriteString(units[i])
	}
	return b.String()
}
