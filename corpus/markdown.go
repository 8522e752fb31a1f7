package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Markdown renders a document as a Markdown file with YAML front matter,
// the form the built-in corpus is stored in.
func Markdown(d *Document) []byte {
	var b bytes.Buffer
	b.WriteString("---\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	// Encoding a struct of strings cannot fail.
	_ = enc.Encode(d)
	_ = enc.Close()
	b.WriteString("---\n\n")
	b.WriteString(d.Body)
	b.WriteString("\n")
	return b.Bytes()
}

// ErrEmpty reports a file with no text; loaders skip it with a warning.
var ErrEmpty = errors.New("empty document")

// Parse reads one document file: Markdown with or without front matter,
// or plain text, in UTF-8 or GBK/GB18030. The title, 文号, issuer, issue
// date and stated period are read from the text as for every document
// (see FromLines); front matter overrides what is read, and a key set to
// "" there says the text prints none. name is used in errors and, without
// an id, to make one.
func Parse(name string, data []byte) (Document, error) {
	d, lines, given, err := parseFront(name, data)
	if err != nil {
		return Document{}, err
	}
	return finish(name, d, lines, given), nil
}

// parseFile reads a file as Parse does, except that a file whose front
// matter gives nothing and that prints several documents one after another (a compilation,
// see splitCompiled) yields each of them, with the file's id and its
// place: 2018-huibian-03.
func parseFile(name string, data []byte) ([]Document, error) {
	d, lines, given, err := parseFront(name, data)
	if err != nil {
		return nil, err
	}
	if len(given) == 0 {
		if front, parts := splitCompiled(lines); parts != nil {
			base := slug(name, strings.Join(lines, "\n"))
			docs := make([]Document, len(parts))
			for k, part := range parts {
				docs[k] = finish(name, Document{ID: fmt.Sprintf("%s-%02d", base, k+1)}, part, nil)
			}
			y := compiledYear(front, docs)
			for k := range docs {
				docs[k].Compiled = y
			}
			return docs, nil
		}
	}
	return []Document{finish(name, d, lines, given)}, nil
}

// parseFront decodes a file and reads its front matter: the document as
// the front matter gives it, the keys it gives, and the text's lines,
// white space folded and empty lines dropped.
func parseFront(name string, data []byte) (Document, []string, map[string]bool, error) {
	text, err := decode(data)
	if err != nil {
		return Document{}, nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var d Document
	given := map[string]bool{}
	body := text
	// fronted: the file opens with front matter, as the corpus's own
	// files do, whose text is kept as written.
	rest, fronted := strings.CutPrefix(text, "---\n")
	if fronted {
		fm, after, found := strings.Cut(rest, "\n---\n")
		if !found {
			if fm2, ok := strings.CutSuffix(rest, "\n---"); ok {
				fm, after, found = fm2, "", true
			}
		}
		if !found {
			return Document{}, nil, nil, fmt.Errorf("%s:1: front matter opened with --- is never closed", name)
		}
		dec := yaml.NewDecoder(strings.NewReader(fm))
		dec.KnownFields(true)
		if err := dec.Decode(&d); err != nil && !errors.Is(err, errEOF(err)) {
			return Document{}, nil, nil, fmt.Errorf("%s: front matter: %s", name, shiftYAMLLine(err.Error(), 1))
		}
		// The same text decoded into d, so it is a mapping (or empty).
		keys := map[string]any{}
		_ = yaml.Unmarshal([]byte(fm), &keys)
		for k := range keys {
			given[k] = true
		}
		body = after
	}
	var lines []string
	add := func(l string) {
		if l = normLine(l); l != "" {
			lines = append(lines, l)
		}
	}
	// A table's first row, unless it is numbered or has an empty cell,
	// may name its columns: it is held (first) until the next row shows
	// whether it does, by having no more cells (empty ones at a row's
	// end are dropped), and then names each row's cells (header) rather
	// than being text of its own. A form's rows, longer than its first,
	// or of labels (see tableCells), are text.
	var first, header []string
	inTable := false
	for _, l := range strings.Split(unwrap(body), "\n") {
		// A Markdown heading (## 第一章 总则) is the document's own
		// division: its marks go, its text is the heading line.
		if t := strings.TrimLeft(strings.TrimSpace(l), "#"); len(t) < len(strings.TrimSpace(l)) && (t == "" || unicode.IsSpace(rune(t[0]))) {
			l = t
		}
		// A Markdown quote (> 发布机构：…) or list item (- 发布日期：…)
		// reads as its text, and emphasis (**加大财税支持力度。**) as
		// its words.
		// Any space after the mark, as the heading's: a tab or a carriage
		// return reads as one.
		if t, ok := strings.CutPrefix(strings.TrimSpace(l), ">"); ok && t != "" && unicode.IsSpace(rune(t[0])) {
			l = t[1:]
		}
		if t := strings.TrimSpace(l); len(t) > 2 && strings.ContainsRune("-*+", rune(t[0])) && unicode.IsSpace(rune(t[1])) {
			l = strings.TrimSpace(t[2:])
		}
		l = strings.ReplaceAll(l, "**", "")
		l = pageChrome(l)
		if markdownRuleRe.MatchString(l) || !fronted && thematicBreakRe.MatchString(l) {
			// The line under a Markdown table's header (|---|:---:|), or
			// a rule across a copied page (---).
			continue
		}
		if k, v, ok := pairRow(l); ok {
			l = k + "：" + v
		}
		cells := tableCells(l)
		if cells == nil {
			if inTable && groupRow(l) {
				// A row of one cell across the table (一、减税降费类)
				// heads the rows under it; the columns stay named.
				add(l)
				continue
			}
			if first != nil {
				add(tableRow(first, nil))
				first = nil
			}
			if strings.TrimSpace(l) != "" {
				inTable, header = false, nil
			}
			add(l)
			continue
		}
		switch {
		case !inTable:
			inTable, header = true, nil
			if !rowNumberRe.MatchString(cells[0]) && !slices.Contains(cells, "") {
				first = cells
				continue
			}
		case first != nil:
			if len(cells) <= len(first) {
				header = first
			} else {
				add(tableRow(first, nil))
			}
			first = nil
		}
		add(tableRow(cells, header))
	}
	if first != nil {
		add(tableRow(first, nil))
	}
	if len(lines) == 0 {
		return Document{}, nil, nil, fmt.Errorf("%s: %w", name, ErrEmpty)
	}
	for field, v := range map[string]string{"issued": d.Issued, "effective_from": d.EffectiveFrom, "effective_until": d.EffectiveUntil} {
		if v != "" && !validDate(v) {
			return Document{}, nil, nil, fmt.Errorf("%s: front matter: %s: %q is not a date like 2018-12-31", name, field, v)
		}
	}
	return d, lines, given, nil
}

// finish reads the document d's lines say about it (see read) and gives
// it an id, from name, when it has none.
func finish(name string, d Document, lines []string, given map[string]bool) Document {
	read(&d, lines, given)
	if d.ID == "" {
		d.ID = slug(name, d.Body)
	}
	d.Origin = map[string]string{}
	for key, v := range map[string]string{"title": d.Title, "doc_no": d.DocNo, "issuer": d.Issuer, "issued": d.Issued,
		"effective_from": d.EffectiveFrom, "effective_until": d.EffectiveUntil, "domain": d.Domain, "kind": d.Kind} {
		switch {
		case given[key]:
			d.Origin[key] = OriginFrontMatter
		case v != "":
			d.Origin[key] = OriginText
		}
	}
	return d
}

func errEOF(err error) error {
	if err != nil && err.Error() == "EOF" {
		return err
	}
	return errors.New("not eof")
}

// yamlLineRe finds the line numbers in a YAML error.
var yamlLineRe = regexp.MustCompile(`\bline (\d+)`)

// shiftYAMLLine moves each "line N" in a YAML error past the opening ---,
// so the line numbers are the file's.
func shiftYAMLLine(msg string, by int) string {
	return yamlLineRe.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(strings.TrimPrefix(m, "line "))
		if err != nil {
			return m
		}
		return "line " + strconv.Itoa(n+by)
	})
}

func validDate(s string) bool {
	return len(s) == 10 && isoDate(s[:4], s[5:7], s[8:]) == s
}

// decode returns the text of a UTF-8 or GB18030 (GBK) file. Government
// downloads are often GBK; a file that is neither is an error.
func decode(data []byte) (string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return string(data), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
		return "", errors.New("text is neither UTF-8 nor GBK/GB18030")
	}
	return string(out), nil
}

// slug makes a stable ASCII id from a file name: its letters and digits,
// a Han character by the first letter of its reading (鲁财税〔2020〕7号 →
// lcs-2020-7h), so that files a user names in Chinese keep apart (by
// digits alone 鲁人社发〔2020〕5号 and 青人社发〔2020〕5号 were one id, and
// the folder failed to load); falling back to a hash of the text for
// names too short for an id.
func slug(name, body string) string {
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	var b strings.Builder
	dash := false
	args := pinyin.NewArgs()
	args.Style = pinyin.FirstLetter
	for _, r := range strings.ToLower(base) {
		if unicode.Is(unicode.Han, r) {
			if py := pinyin.SinglePinyin(r, args); len(py) > 0 && py[0] != "" {
				b.WriteString(py[0])
				dash = false
				continue
			}
		}
		if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > maxSlug {
		s = strings.TrimRight(s[:maxSlug], "-")
	}
	if len(s) < 3 {
		s = "doc-" + hashHex(base + "\x00" + body)[:10]
	}
	return s
}

// maxSlug bounds an id made from a file name: a title used as a file name
// (山东省人力资源和社会保障厅 山东省财政厅关于开展以工代训工作的通知) runs
// to forty letters.
const maxSlug = 48

// markdownRuleRe is the rule under a Markdown table's header.
var markdownRuleRe = regexp.MustCompile(`^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$`)

// rowNumberRe is a table row's number: 1, 12.
var rowNumberRe = regexp.MustCompile(`^[0-9０-９]{1,3}$`)

// tableCells splits a line of a table, its cells separated by tabs (a
// 惠企政策清单 kept in a spreadsheet and saved as text, or in a Word
// document or on a web page, one policy a row: 序号, 政策名称, 政策内容,
// 政策依据, 责任单位…), into its cells; nil for a line of text.
// groupRow says whether a line within a table is a row of one cell
// heading a group of rows: short, and no sentence.
func groupRow(l string) bool {
	t := strings.TrimSpace(l)
	return t != "" && utf8.RuneCountInString(t) <= 20 && !strings.ContainsAny(t, "。；;，,：:")
}

// thematicBreakRe is a Markdown rule across the page: ---, ***, ___.
var thematicBreakRe = regexp.MustCompile(`^\s*(?:-{3,}|\*{3,}|_{3,})\s*$`)

// pairRowRe is a Markdown table's row of two cells, a short name and
// what it says: | 发文机关 | 某市人民政府办公厅 |.
var pairRowRe = regexp.MustCompile(`^\|\s*(\p{Han}(?:\s?\p{Han}){0,7})\s*\|\s*([^|]*?)\s*\|$`)

// pairRow reads a two-cell Markdown row as the label and value it is, as
// a page copied to Markdown prints its metadata (| 文号 | 某府办规〔2021〕9号
// |): read so, the labels it knows date and number the document.
func pairRow(l string) (label, value string, ok bool) {
	m := pairRowRe.FindStringSubmatch(strings.TrimSpace(l))
	if m == nil || m[2] == "" {
		return "", "", false
	}
	return m[1], m[2], true
}

func tableCells(l string) []string {
	sep := "\t"
	if t := strings.TrimSpace(l); strings.HasPrefix(t, "|") && strings.HasSuffix(t, "|") {
		// A Markdown table's row: | 序号 | 政策名称 | 政策内容 |.
		sep, l = "|", strings.Trim(t, "|")
	}
	if strings.Count(l, sep) < 2 {
		return nil
	}
	// An empty cell keeps its place, so that the cells after it stay
	// under their columns' names; empty cells at the row's end go.
	var cells []string
	filled := 0
	for _, c := range strings.Split(l, sep) {
		c = strings.Trim(normLine(c), "。；;，, ")
		if strings.HasSuffix(c, "：") || strings.HasSuffix(c, ":") {
			// A label before its value (索引号：, 企业名称：): a page's
			// metadata or a form, read as the text it is.
			return nil
		}
		if c != "" {
			filled++
		}
		cells = append(cells, c)
	}
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	if filled < 3 {
		return nil
	}
	return cells
}

// bareCountRe is a cell holding a count and nothing it says of the row
// (2, 1份, 3张): named by its column (份数：2), not read as what the row's
// name is (申请表：2).
var bareCountRe = regexp.MustCompile(`^\d+\s*(?:份|个|张|本|套|页|件|人|项)?$`)

// tableRow reads a table's row as text. Normalised as a line, its cells
// would run into one another; each is set apart by ；, named by its
// column (政策依据：…, 责任单位：…) when the header names as many, an
// empty one left out, and a
// row that opens with its number (1, 2…) reads as a numbered item (1. …),
// which the chunker keeps as a clause of its own, cited by that number.
// The first cell after the number is the row's name, and the next, under
// a header, what the row says of it (技术改造补助：按10%给予补助): one
// sentence, which an answer can quote alone.
func tableRow(cells, header []string) string {
	number := ""
	if rowNumberRe.MatchString(cells[0]) {
		number, cells = cells[0]+". ", cells[1:]
		if len(header) > 0 {
			header = header[1:]
		}
	}
	var parts []string
	if len(cells) > len(header) {
		// No header, or one naming fewer columns: the cells as they are.
		for _, c := range cells {
			if c != "" {
				parts = append(parts, c)
			}
		}
		return number + strings.Join(parts, "；") + "。"
	}
	for i, c := range cells {
		switch {
		case c == "":
		case i == 1 && cells[0] != "" && !bareCountRe.MatchString(c):
			parts[len(parts)-1] += "：" + c
		case i == 0:
			parts = append(parts, c)
		default:
			parts = append(parts, header[i]+"："+c)
		}
	}
	return number + strings.Join(parts, "；") + "。"
}
