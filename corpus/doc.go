package corpus

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/richardlehane/mscfb"
	"golang.org/x/text/encoding/charmap"
)

// A Word 97–2003 .doc is an OLE compound file (read by mscfb) whose
// WordDocument stream holds the text in pieces the table stream's piece
// table locates, and the paragraph and character properties in 512-byte
// pages the same table stream indexes ([MS-DOC]). Government sites still
// publish most attachments so, and a service centre's folder is full of
// them: reading them beats asking staff to resave each one.

// Bounds on what a .doc may hold: a real notice's text is a few hundred
// kilobytes at most, a compilation's a few megabytes.
const (
	maxDOCStreamBytes = 64 << 20
	maxDOCPieces      = 1 << 16
)

// The magic numbers of [MS-DOC] this reader uses.
const (
	docIdent       = 0xA5EC // FibBase.wIdent
	docMinFib      = 0x00C1 // Word 97's nFib; Word 6 and 95 wrote less
	fibFlagsAt     = 0x0A   // FibBase's flags
	flagEncrypted  = 1 << 8 // fEncrypted
	flagTable1     = 1 << 9 // fWhichTblStm: 1Table, not 0Table
	flagObfuscated = 1 << 15
	// Indexes of the FIB's pairs (fc, lcb) used, in FibRgFcLcb97.
	fcStshf       = 1
	fcPlcfBteChpx = 12
	fcPlcfBtePapx = 13
	fcClx         = 33
	fcPlfLst      = 73
	fcPlfLfo      = 74
	// sprms read: a paragraph's list and level, in a table or ending a
	// table's row, or whose properties lie in the Data stream; text
	// deleted with changes tracked or hidden, which Word does not show;
	// a row's definition, whose operand's size is counted otherwise.
	sprmPHugePapx  = 0x6646
	sprmPIlvl      = 0x260A
	sprmPIlfo      = 0x460B
	sprmPFInTable  = 0x2416
	sprmPFTtp      = 0x2417
	sprmCFRMarkDel = 0x0800
	sprmCFVanish   = 0x083C
	sprmTDefTable  = 0xD608
)

// readDOC returns a Word 97–2003 document's main text in readDOCX's form:
// one line per paragraph, each table row on one line with its cells
// separated by tabs, fields shown as their results, and the numbers Word
// prints for paragraphs numbered directly (一、（一）1.) written into the
// text, as readDOCX writes them. Deleted revisions and hidden text are
// left out, as Word shows the document.
func readDOC(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		// A .docx saved under the old name, as sites often serve them.
		return readDOCX(data)
	case bytes.HasPrefix(bytes.TrimSpace(data), []byte("{\\rtf")):
		return "", fmt.Errorf("%w: the .doc is a Rich Text file; save it as .docx", ErrUnsupported)
	case !bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		h := formatHint(data)
		if strings.Contains(h, "web page") {
			// Word's "save as web page" under a .doc name.
			return readHTML(data)
		}
		return "", fmt.Errorf("%w: the .doc is not a Word file%s", ErrDamaged, h)
	}
	streams, err := docStreams(data)
	if err != nil {
		return "", err
	}
	wd := streams["WordDocument"]
	if wd == nil {
		if streams["EncryptedPackage"] != nil {
			return "", fmt.Errorf("%w: the file is protected by a password; save an unprotected copy", ErrEncrypted)
		}
		return "", fmt.Errorf("%w: the compound file holds no Word document (a .wps from another program, or another Office file): save it as .docx", ErrUnsupported)
	}
	if len(wd) < 0x200 || binary.LittleEndian.Uint16(wd) != docIdent {
		return "", fmt.Errorf("%w: the .doc's WordDocument stream has no Word header", ErrDamaged)
	}
	if nFib := binary.LittleEndian.Uint16(wd[2:]); nFib < docMinFib {
		return "", fmt.Errorf("%w: a Word 6 or Word 95 document (version %#x); save it as .docx", ErrUnsupported, nFib)
	}
	flags := binary.LittleEndian.Uint16(wd[fibFlagsAt:])
	if flags&(flagEncrypted|flagObfuscated) != 0 {
		return "", fmt.Errorf("%w: the .doc is protected by a password; save an unprotected copy", ErrEncrypted)
	}
	tableName := "0Table"
	if flags&flagTable1 != 0 {
		tableName = "1Table"
	}
	table := streams[tableName]
	if table == nil {
		return "", fmt.Errorf("%w: the .doc has no %s stream", ErrDamaged, tableName)
	}
	fib, err := readFIB(wd)
	if err != nil {
		return "", err
	}
	d := docReader{wd: wd, table: table, data: streams["Data"], fib: fib}
	d.lists = d.numbering()
	return d.mainText()
}

// docStreams reads the compound file's streams by name.
func docStreams(data []byte) (map[string][]byte, error) {
	r, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the .doc's compound file: %w", ErrDamaged, err)
	}
	out := map[string][]byte{}
	for f, err := r.Next(); ; f, err = r.Next() {
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: reading the .doc's compound file: %w", ErrDamaged, err)
		}
		switch f.Name {
		case "WordDocument", "0Table", "1Table", "Data", "EncryptedPackage":
		default:
			continue
		}
		if len(f.Path) > 0 {
			// An embedded object's streams share the names.
			continue
		}
		if f.Size > int64(len(data)) {
			// A damaged directory can claim any size; following its
			// sector chain that far costs time for nothing.
			return nil, fmt.Errorf("%w: the .doc's %s stream claims %d bytes of a %d-byte file", ErrDamaged, f.Name, f.Size, len(data))
		}
		if f.Size > maxDOCStreamBytes {
			return nil, fmt.Errorf("%w: the .doc's %s stream is %d MB; files over %d MB are not read", ErrUnsupported, f.Name, f.Size>>20, maxDOCStreamBytes>>20)
		}
		b := make([]byte, f.Size)
		if _, err := io.ReadFull(f, b); err != nil {
			return nil, fmt.Errorf("%w: reading the .doc's %s stream: %w", ErrDamaged, f.Name, err)
		}
		out[f.Name] = b
	}
	return out, nil
}

// fib is what the reader needs of the File Information Block: the main
// text's length in characters and the (offset, length) pairs locating
// structures in the table stream.
type fib struct {
	// ccp are the lengths in characters of the stories, in their order
	// in the text: main, footnotes, headers, macros, comments, endnotes,
	// text boxes (FibRgLw97.ccpText…ccpTxbx).
	ccp   [7]uint32
	fcLcb []byte
}

func readFIB(wd []byte) (fib, error) {
	bad := fmt.Errorf("%w: the .doc's file information block is cut short", ErrDamaged)
	p := 32
	if len(wd) < p+2 {
		return fib{}, bad
	}
	p += 2 + 2*int(binary.LittleEndian.Uint16(wd[p:])) // csw, fibRgW
	if len(wd) < p+2 {
		return fib{}, bad
	}
	cslw := int(binary.LittleEndian.Uint16(wd[p:]))
	lw := p + 2
	p = lw + 4*cslw
	if cslw < 10 || len(wd) < p+2 {
		return fib{}, bad
	}
	var ccp [7]uint32
	for i := range ccp {
		ccp[i] = binary.LittleEndian.Uint32(wd[lw+12+4*i:])
	}
	n := int(binary.LittleEndian.Uint16(wd[p:]))
	p += 2
	if n <= fcPlfLfo || len(wd) < p+8*n {
		return fib{}, bad
	}
	return fib{ccp: ccp, fcLcb: wd[p : p+8*n]}, nil
}

// pair returns the (fc, lcb) pair i of FibRgFcLcb.
func (f fib) pair(i int) (fc, lcb uint32) {
	return binary.LittleEndian.Uint32(f.fcLcb[8*i:]), binary.LittleEndian.Uint32(f.fcLcb[8*i+4:])
}

// docReader reads one document's streams.
type docReader struct {
	wd, table, data []byte
	fib             fib
	lists           *docxNumbering
}

// piece is one run of the text: characters [cp, cpEnd) stored at fc in
// WordDocument, one byte each (compressed, Windows-1252) or two (UTF-16).
type piece struct {
	cp, cpEnd  uint32
	fc         uint32
	compressed bool
}

// pieces reads the piece table (Clx.Pcdt.PlcPcd), skipping the Prc
// records of properties before it.
func (d docReader) pieces() ([]piece, error) {
	fc, lcb := d.fib.pair(fcClx)
	end := uint64(fc) + uint64(lcb)
	if lcb == 0 || end > uint64(len(d.table)) {
		return nil, fmt.Errorf("%w: the .doc's piece table lies outside its table stream", ErrDamaged)
	}
	clx := d.table[fc:end]
	for len(clx) > 0 && clx[0] == 0x01 {
		if len(clx) < 3 {
			return nil, fmt.Errorf("%w: the .doc's piece table is cut short", ErrDamaged)
		}
		n := int(int16(binary.LittleEndian.Uint16(clx[1:])))
		if n < 0 || len(clx) < 3+n {
			return nil, fmt.Errorf("%w: the .doc's piece table is cut short", ErrDamaged)
		}
		clx = clx[3+n:]
	}
	if len(clx) < 5 || clx[0] != 0x02 {
		return nil, fmt.Errorf("%w: the .doc has no piece table", ErrDamaged)
	}
	plc := clx[5:]
	if n := binary.LittleEndian.Uint32(clx[1:]); uint64(n) < uint64(len(plc)) {
		plc = plc[:n]
	}
	n := (len(plc) - 4) / 12
	if n <= 0 || n > maxDOCPieces {
		return nil, fmt.Errorf("%w: the .doc's piece table has %d pieces", ErrDamaged, n)
	}
	out := make([]piece, 0, n)
	for i := range n {
		cp := binary.LittleEndian.Uint32(plc[4*i:])
		cpEnd := binary.LittleEndian.Uint32(plc[4*i+4:])
		pcd := plc[4*(n+1)+8*i:]
		raw := binary.LittleEndian.Uint32(pcd[2:])
		p := piece{cp: cp, cpEnd: cpEnd, fc: raw &^ (3 << 30), compressed: raw&(1<<30) != 0}
		if p.compressed {
			p.fc /= 2
		}
		if cpEnd < cp {
			return nil, fmt.Errorf("%w: the .doc's piece table runs backwards", ErrDamaged)
		}
		out = append(out, p)
	}
	return out, nil
}

// docChar is one character of the text with the stream offset of its
// byte(s), by which its properties are found.
type docChar struct {
	r  rune
	fc uint32
}

// chars returns the characters [from, to) of the text.
func (d docReader) chars(ps []piece, from, to uint32) ([]docChar, error) {
	var out []docChar
	var units []uint16
	for _, p := range ps {
		if p.cp >= to || p.cpEnd <= from {
			continue
		}
		start := max(p.cp, from)
		n := min(p.cpEnd, to) - start
		size := uint32(2)
		if p.compressed {
			size = 1
		}
		p.fc += (start - p.cp) * size
		end := uint64(p.fc) + uint64(n)*uint64(size)
		if end > uint64(len(d.wd)) {
			return nil, fmt.Errorf("%w: the .doc's text runs past its stream", ErrDamaged)
		}
		if p.compressed {
			for i := range n {
				fc := p.fc + i
				out = append(out, docChar{cp1252(d.wd[fc]), fc})
			}
			continue
		}
		units = units[:0]
		for i := range n {
			units = append(units, binary.LittleEndian.Uint16(d.wd[p.fc+2*i:]))
		}
		// Surrogate pairs (rare Han characters beyond the BMP) are decoded
		// together; the second half's fc is its pair's.
		for i := 0; i < len(units); i++ {
			fc := p.fc + 2*uint32(i)
			if utf16.IsSurrogate(rune(units[i])) && i+1 < len(units) {
				out = append(out, docChar{utf16.DecodeRune(rune(units[i]), rune(units[i+1])), fc})
				i++
				continue
			}
			out = append(out, docChar{rune(units[i]), fc})
		}
	}
	return out, nil
}

// cp1252 maps a compressed piece's byte to its character in
// Windows-1252 ([MS-DOC] 2.4.1); the bytes that code page leaves undefined
// (0x81, 0x8D, 0x8F, 0x90, 0x9D) stand for themselves, as Latin-1 reads
// them.
func cp1252(b byte) rune {
	if r := charmap.Windows1252.DecodeByte(b); r != utf8.RuneError {
		return r
	}
	return rune(b)
}

// fkpRun is a run of stream offsets [fc, fcEnd) sharing one set of
// properties (grpprl) in a formatted disk page.
type fkpRun struct {
	fc, fcEnd uint32
	istd      uint16 // a paragraph's style
	grpprl    []byte
}

// fkpRuns reads the formatted disk pages a PlcBte (paragraph or character
// properties) points to. papx tells the two pages' layouts apart.
func (d docReader) fkpRuns(pairIndex int, papx bool) []fkpRun {
	fc, lcb := d.fib.pair(pairIndex)
	if lcb < 8 || uint64(fc)+uint64(lcb) > uint64(len(d.table)) {
		return nil
	}
	plc := d.table[fc : fc+lcb]
	n := (len(plc) - 4) / 8
	var out []fkpRun
	for i := range n {
		pn := binary.LittleEndian.Uint32(plc[4*(n+1)+4*i:]) & 0x3FFFFF
		off := uint64(pn) * 512
		if off+512 > uint64(len(d.wd)) {
			continue
		}
		page := d.wd[off : off+512]
		crun := int(page[511])
		if 4*(crun+1) > 511 {
			continue
		}
		for k := range crun {
			run := fkpRun{fc: binary.LittleEndian.Uint32(page[4*k:]), fcEnd: binary.LittleEndian.Uint32(page[4*k+4:])}
			var b int
			if papx {
				b = 4*(crun+1) + 13*k
			} else {
				b = 4*(crun+1) + k
			}
			if b >= 511 {
				break
			}
			at := 2 * int(page[b])
			if at == 0 || at >= 511 {
				out = append(out, run)
				continue
			}
			if papx {
				cb := int(page[at])
				size := 2*cb - 1
				at++
				if cb == 0 && at < 511 {
					size = 2 * int(page[at])
					at++
				}
				if at+size <= 511 && size >= 2 {
					run.istd = binary.LittleEndian.Uint16(page[at:])
					run.grpprl = d.hugePapx(page[at+2 : at+size])
				}
			} else {
				cb := int(page[at])
				if at+1+cb <= 511 {
					run.grpprl = page[at+1 : at+1+cb]
				}
			}
			out = append(out, run)
		}
	}
	return out
}

// hugePapx returns a paragraph's properties: those in its page, or, when
// they are too large for it (a table row's definition often is), those
// sprmPHugePapx points to in the Data stream.
func (d docReader) hugePapx(grpprl []byte) []byte {
	if len(grpprl) < 6 || binary.LittleEndian.Uint16(grpprl) != sprmPHugePapx {
		return grpprl
	}
	off := uint64(binary.LittleEndian.Uint32(grpprl[2:]))
	if off+2 > uint64(len(d.data)) {
		return nil
	}
	n := uint64(binary.LittleEndian.Uint16(d.data[off:]))
	if off+2+n > uint64(len(d.data)) {
		return nil
	}
	return d.data[off+2 : off+2+n]
}

// sprmOn says whether a grpprl sets the one-byte toggle sprm to a value
// other than 0.
func sprmOn(grpprl []byte, sprm uint16) bool {
	for len(grpprl) >= 2 {
		op := binary.LittleEndian.Uint16(grpprl)
		size := sprmOperandSize(op, grpprl[2:])
		if size < 0 || 2+size > len(grpprl) {
			return false
		}
		if op == sprm && size >= 1 && grpprl[2] != 0 {
			return true
		}
		grpprl = grpprl[2+size:]
	}
	return false
}

// sprmOperandSize is the size of a sprm's operand by its spra bits
// ([MS-DOC] 2.2.5.1); -1 when it cannot be read.
func sprmOperandSize(op uint16, rest []byte) int {
	switch op >> 13 {
	case 0, 1:
		return 1
	case 2, 4, 5:
		return 2
	case 3:
		return 4
	case 7:
		return 3
	default: // 6: variable, its size in its first byte
		switch {
		case op == sprmTDefTable && len(rest) >= 2:
			// A row's definition counts its size in two bytes, less one.
			return int(binary.LittleEndian.Uint16(rest)) + 1
		case len(rest) < 1:
			return -1
		}
		return 1 + int(rest[0])
	}
}

// fkpIndex is a set of formatted disk page runs sorted by offset.
type fkpIndex []fkpRun

func newFKPIndex(runs []fkpRun) fkpIndex {
	slices.SortFunc(runs, func(a, b fkpRun) int { return cmp.Compare(a.fc, b.fc) })
	return runs
}

// at returns the properties of the run holding stream offset fc, nil for
// none.
func (x fkpIndex) at(fc uint32) []byte {
	if r := x.run(fc); r != nil {
		return r.grpprl
	}
	return nil
}

// istd returns the style of the paragraph holding stream offset fc.
func (x fkpIndex) istd(fc uint32) uint16 {
	if r := x.run(fc); r != nil {
		return r.istd
	}
	return 0
}

func (x fkpIndex) run(fc uint32) *fkpRun {
	// The first run starting after fc; the one before may hold it.
	i, _ := slices.BinarySearchFunc(x, fc, func(r fkpRun, fc uint32) int {
		if r.fc <= fc {
			return -1
		}
		return 1
	})
	if i > 0 && fc < x[i-1].fcEnd {
		return &x[i-1]
	}
	return nil
}

// docProps are the document's paragraph and character properties and its
// heading styles, read once for all its stories.
type docProps struct {
	paras, runs fkpIndex
	headings    map[uint16]bool
}

// mainText renders the document's text as lines: the main story, then
// its footnotes, endnotes and text boxes (an official document sets its
// 此件公开发布 or its 版记 in one), not its running heads and comments.
func (d docReader) mainText() (string, error) {
	ps, err := d.pieces()
	if err != nil {
		return "", err
	}
	props := docProps{
		paras:    newFKPIndex(d.fkpRuns(fcPlcfBtePapx, true)),
		runs:     newFKPIndex(d.fkpRuns(fcPlcfBteChpx, false)),
		headings: d.headingStyles(),
	}
	var stories []string
	var cp uint32
	for i, n := range d.fib.ccp {
		if n > maxDOCStreamBytes {
			return "", fmt.Errorf("%w: the .doc's text is %d characters long", ErrDamaged, n)
		}
		from := cp
		cp += n
		switch i {
		case 0, 1, 5, 6: // main, footnotes, endnotes, text boxes
		default:
			continue
		}
		chars, err := d.chars(ps, from, cp)
		if err != nil {
			return "", err
		}
		if t := strings.TrimSpace(d.render(chars, props)); t != "" {
			stories = append(stories, t)
		}
	}
	return strings.Join(stories, "\n"), nil
}

// render turns a story's characters into lines.
func (d docReader) render(chars []docChar, props docProps) string {
	paras, runs, headings := props.paras, props.runs, props.headings
	rowEnd := func(fc uint32) bool { return sprmOn(paras.at(fc), sprmPFTtp) }
	inTable := func(fc uint32) bool { return sprmOn(paras.at(fc), sprmPFInTable) }
	hidden := func(fc uint32) bool {
		g := runs.at(fc)
		return sprmOn(g, sprmCFRMarkDel) || sprmOn(g, sprmCFVanish)
	}
	lists := docxWalker{num: d.lists, counters: map[string]*[9]int{}}
	// number returns the number Word prints before the paragraph whose
	// mark is at fc.
	number := func(fc uint32) string {
		g := paras.at(fc)
		ilfo, ok := sprmValue(g, sprmPIlfo)
		if !ok || ilfo <= 0 {
			return ""
		}
		ilvl, _ := sprmValue(g, sprmPIlvl)
		return lists.number(strconv.Itoa(ilfo), strconv.Itoa(ilvl))
	}
	var lines []string
	var line, cell strings.Builder
	var row, above []string
	var fields []bool // per open field: whether its result has begun
	// put adds a character to the open table cell or to the line.
	put := func(fc uint32, r rune) {
		if inTable(fc) {
			cell.WriteRune(r)
		} else {
			line.WriteRune(r)
		}
	}
	for _, c := range chars {
		switch c.r {
		case 0x13: // a field begins: its instructions are no text
			fields = append(fields, false)
			continue
		case 0x14:
			if len(fields) > 0 {
				fields[len(fields)-1] = true
			}
			continue
		case 0x15:
			if len(fields) > 0 {
				fields = fields[:len(fields)-1]
			}
			continue
		}
		if len(fields) > 0 && !fields[len(fields)-1] || hidden(c.fc) {
			continue
		}
		switch {
		case c.r == 0x07 && rowEnd(c.fc):
			// A cell merged down from the one above reads as that cell, as
			// readDOCX reads it: Word stores the text once, in the first.
			for i, merged := range cellsMergedDown(paras.at(c.fc)) {
				if merged && i < len(row) && i < len(above) && row[i] == "" {
					row[i] = above[i]
				}
			}
			above = append(above[:0], row...)
			lines = append(lines, strings.Join(row, "\t"))
			row = row[:0]
			cell.Reset()
		case c.r == 0x07:
			row = append(row, strings.TrimSpace(cell.String()))
			cell.Reset()
		case c.r == '\r' && inTable(c.fc):
			// A cell's paragraphs are one line, as readDOCX reads them.
			cell.WriteByte(' ')
		case c.r == 0x0B || c.r == 0x0C || c.r == 0x0E:
			// A line, page, section or column break: a title broken over
			// two lines is one line, as readDOCX reads a heading.
			switch {
			case inTable(c.fc):
				cell.WriteByte(' ')
			case !headings[paras.istd(c.fc)]:
				line.WriteByte('\n')
			}
		case c.r == '\r':
			text := line.String()
			if label := number(c.fc); label != "" && !strings.HasPrefix(strings.TrimSpace(text), label) {
				text = label + strings.TrimLeft(text, " \t")
			}
			lines = append(lines, text)
			line.Reset()
		case c.r == 0x1E:
			put(c.fc, '-')
		case c.r == '\t':
			// A space, as readDOCX writes one: a tab inside a paragraph
			// is layout, and in a line it sets a table's cells apart.
			put(c.fc, ' ')
		case c.r < 0x20 || c.r == 0x1F:
			// Anchors of pictures, drawings, footnote and comment marks,
			// optional hyphens: nothing to read.
		default:
			put(c.fc, c.r)
		}
	}
	if line.Len() > 0 {
		lines = append(lines, line.String())
	}
	return strings.Join(lines, "\n")
}

// docNFC names Word's binary number formats (MSONFC) as readDOCX's
// numFmt values, for docxNumberText; a format not listed is decimal.
var docNFC = map[byte]string{
	0x00: "decimal", 0x01: "upperRoman", 0x02: "lowerRoman", 0x03: "upperLetter", 0x04: "lowerLetter",
	0x0A: "ideographDigital", 0x0B: "japaneseCounting", 0x0E: "decimalFullWidth", 0x12: "decimalEnclosedCircle",
	0x13: "decimalFullWidth2", 0x16: "decimalZero", 0x17: "bullet", 0x1A: "decimalEnclosedFullstop",
	0x1B: "decimalEnclosedParen", 0x1C: "decimalEnclosedCircleChinese", 0x1E: "ideographTraditional",
	0x1F: "ideographZodiac", 0x21: "taiwaneseCounting", 0x22: "ideographLegalTraditional",
	0x23: "taiwaneseCountingThousand", 0x24: "taiwaneseDigital", 0x25: "chineseCounting",
	0x26: "chineseLegalSimplified", 0x27: "chineseCountingThousand", 0xFF: "none",
}

// numbering reads the document's lists (PlfLst and the LVLs after it,
// PlfLfo) into readDOCX's form: a list (abstract) per LSTF by its lsid,
// and a w:num per LFO, by its 1-based index, which paragraphs name by
// sprmPIlfo. A list that cannot be read is no list; the text is still
// read, without its numbers.
func (d docReader) numbering() *docxNumbering {
	n := &docxNumbering{abstract: map[string]map[int]docxLevel{}, nums: map[string]docxNum{}}
	fc, lcb := d.fib.pair(fcPlfLst)
	if lcb < 2 || uint64(fc)+uint64(lcb) > uint64(len(d.table)) {
		return nil
	}
	t := d.table
	cLst := int(int16(binary.LittleEndian.Uint16(t[fc:])))
	if cLst <= 0 || 2+28*cLst > int(lcb) {
		return nil
	}
	at := int(fc + lcb) // the LVLs follow PlfLst
	for i := range cLst {
		lstf := t[int(fc)+2+28*i:]
		lsid := strconv.FormatUint(uint64(binary.LittleEndian.Uint32(lstf)), 10)
		nLevels := 9
		if lstf[26]&1 != 0 { // fSimpleList
			nLevels = 1
		}
		levels := map[int]docxLevel{}
		for k := range nLevels {
			lvl, next, ok := readLVL(t, at)
			if !ok {
				return nil
			}
			at = next
			levels[k] = lvl
		}
		n.abstract[lsid] = levels
	}
	fc, lcb = d.fib.pair(fcPlfLfo)
	if lcb < 4 || uint64(fc)+uint64(lcb) > uint64(len(d.table)) {
		return n
	}
	lfoMac := int(binary.LittleEndian.Uint32(t[fc:]))
	if lfoMac < 0 || 4+16*lfoMac > int(lcb) {
		return n
	}
	// Each LFO's data follows the LFOs, in their order (PlfLfo's
	// rgLfoData): a character position, then the overrides of its levels
	// (LFOLVL): a level restarting at a number, or defined anew.
	at = int(fc) + 4 + 16*lfoMac
	for i := range lfoMac {
		lfo := t[int(fc)+4+16*i:]
		num := docxNum{abstract: strconv.FormatUint(uint64(binary.LittleEndian.Uint32(lfo)), 10), levels: map[int]docxLevel{}, starts: map[int]int{}}
		at += 4                  // cp
		for range int(lfo[12]) { // clfolvl
			if at+8 > len(t) {
				break
			}
			start := int(int32(binary.LittleEndian.Uint32(t[at:])))
			flags := binary.LittleEndian.Uint32(t[at+4:])
			at += 8
			ilvl := int(flags & 0x0F)
			if flags&0x20 != 0 { // fFormatting: a level defined anew
				lvl, next, ok := readLVL(t, at)
				if !ok {
					break
				}
				at = next
				num.levels[ilvl] = lvl
			}
			if flags&0x10 != 0 && start >= 0 && start < 1e6 { // fStartAt
				num.starts[ilvl] = start
			}
		}
		n.nums[strconv.Itoa(i+1)] = num
	}
	return n
}

// readLVL reads one list level (LVL: its LVLF, the paragraph's and the
// number's properties, then its number text) at t[at:], returning it in
// readDOCX's form and where the next begins.
func readLVL(t []byte, at int) (docxLevel, int, bool) {
	if at < 0 || at+28 > len(t) {
		return docxLevel{}, 0, false
	}
	lvlf := t[at:]
	lvl := docxLevel{start: int(int32(binary.LittleEndian.Uint32(lvlf))), format: "decimal", suff: "tab"}
	if f, ok := docNFC[lvlf[4]]; ok {
		lvl.format = f
	}
	lvl.legal = lvlf[5]&0x04 != 0
	switch lvlf[15] { // ixchFollow
	case 1:
		lvl.suff = "space"
	case 2:
		lvl.suff = "nothing"
	}
	at += 28 + int(lvlf[25]) + int(lvlf[24]) // grpprlPapx, grpprlChpx
	if at+2 > len(t) {
		return docxLevel{}, 0, false
	}
	cch := int(binary.LittleEndian.Uint16(t[at:]))
	at += 2
	if at+2*cch > len(t) {
		return docxLevel{}, 0, false
	}
	var b strings.Builder
	for j := range cch {
		c := binary.LittleEndian.Uint16(t[at+2*j:])
		if c < 9 {
			// A level's place holder: %1 … %9 in lvlText.
			b.WriteString("%" + strconv.Itoa(int(c)+1))
			continue
		}
		b.WriteRune(rune(c))
	}
	lvl.text = b.String()
	if lvl.start < 0 || lvl.start >= 1e6 {
		lvl.start = 1
	}
	return lvl, at + 2*cch, true
}

// cellsMergedDown reads a table row's definition (sprmTDefTable, in the
// properties of the paragraph ending the row) for the cells merged with
// the cell above them: each TC80's vertMerge is 1 for such a cell, 3 for
// the first of a merged set, 0 for a cell of its own.
func cellsMergedDown(grpprl []byte) []bool {
	for len(grpprl) >= 2 {
		op := binary.LittleEndian.Uint16(grpprl)
		size := sprmOperandSize(op, grpprl[2:])
		if size < 0 || 2+size > len(grpprl) {
			return nil
		}
		if op == sprmTDefTable && size >= 3 {
			def := grpprl[4 : 2+size] // after the operand's size
			n := int(def[0])          // itcMac
			tcs := def[min(len(def), 1+2*(n+1)):]
			out := make([]bool, 0, n)
			for i := 0; i < n && 20*(i+1) <= len(tcs); i++ {
				out = append(out, binary.LittleEndian.Uint16(tcs[20*i:])>>5&3 == 1)
			}
			return out
		}
		grpprl = grpprl[2+size:]
	}
	return nil
}

// sprmValue returns the operand of the last sprm of the given one-byte
// or two-byte operand in a grpprl, and whether there is one.
func sprmValue(grpprl []byte, sprm uint16) (int, bool) {
	v, ok := 0, false
	for len(grpprl) >= 2 {
		op := binary.LittleEndian.Uint16(grpprl)
		size := sprmOperandSize(op, grpprl[2:])
		if size < 0 || 2+size > len(grpprl) {
			break
		}
		if op == sprm {
			switch size {
			case 1:
				v, ok = int(grpprl[2]), true
			case 2:
				v, ok = int(int16(binary.LittleEndian.Uint16(grpprl[2:]))), true
			}
		}
		grpprl = grpprl[2+size:]
	}
	return v, ok
}

// Built-in styles' identifiers (sti) that are headings: heading 1–9 and
// Title.
const (
	stiHeading1 = 1
	stiHeading9 = 9
	stiTitle    = 62
)

// headingStyles reads the style sheet (STSH) for the paragraph styles
// that are headings: the built-in headings and Title, and styles named as
// readDOCX recognizes them (标题 1). A style sheet that cannot be read
// gives none; the text is read all the same.
func (d docReader) headingStyles() map[uint16]bool {
	out := map[uint16]bool{}
	fc, lcb := d.fib.pair(fcStshf)
	if lcb < 6 || uint64(fc)+uint64(lcb) > uint64(len(d.table)) {
		return out
	}
	st := d.table[fc : fc+lcb]
	cbStshi := int(binary.LittleEndian.Uint16(st))
	if 2+cbStshi > len(st) || cbStshi < 4 {
		return out
	}
	cstd := int(binary.LittleEndian.Uint16(st[2:]))
	cbBase := int(binary.LittleEndian.Uint16(st[4:]))
	at := 2 + cbStshi
	for istd := 0; istd < cstd && at+2 <= len(st); istd++ {
		cb := int(binary.LittleEndian.Uint16(st[at:]))
		at += 2
		if at+cb > len(st) {
			break
		}
		std := st[at : at+cb]
		at += cb
		if cb < 10 || cbBase < 10 || cbBase+2 > cb {
			continue
		}
		sti := binary.LittleEndian.Uint16(std) & 0x0FFF
		heading := sti >= stiHeading1 && sti <= stiHeading9 || sti == stiTitle
		if !heading {
			cch := int(binary.LittleEndian.Uint16(std[cbBase:]))
			if cbBase+2+2*cch <= cb {
				u := make([]uint16, cch)
				for i := range u {
					u[i] = binary.LittleEndian.Uint16(std[cbBase+2+2*i:])
				}
				heading = docxHeadingRe.MatchString(string(utf16.Decode(u)))
			}
		}
		if heading {
			out[uint16(istd)] = true
		}
	}
	return out
}
