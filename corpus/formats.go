package corpus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/text/encoding/unicode"
)

// What can go wrong reading a file, so the loader can word its warning:
// every error readText returns about the file wraps exactly one of these
// (or ErrEmpty), followed by what was found. The others are the caller's
// context ending (wrapping ctx.Err()) and PDFium failing to start.
var (
	// ErrUnsupported: a format no reader handles (.doc, .xlsx, .ofd …)
	// or a file too large to read.
	ErrUnsupported = errors.New("unsupported format")
	// ErrDamaged: the file is not what its extension says, or is cut
	// short or corrupt.
	ErrDamaged = errors.New("damaged file")
	// ErrNoText: a PDF whose pages are images, as scanners make them;
	// reading it needs OCR.
	ErrNoText = errors.New("no text layer")
	// ErrEncrypted: a file that needs a password to open.
	ErrEncrypted = errors.New("encrypted")
)

// maxFileBytes bounds what readText accepts. A policy document is well
// under a megabyte of text; a larger file is a scan or something else,
// and reading it would hold the loader up.
const maxFileBytes = 100 << 20

// readableExts are the extensions readText reads, for messages.
const readableExts = ".md, .txt, .docx, .doc, .wps, .xlsx, .pdf, .html, .htm"

// readText returns the text of a document file with one paragraph per
// line, in the form FromLines and Parse read: title lines, 文号, numbered
// clauses, signature and date. The reader is chosen by name's extension.
// .md and .txt are decoded as they are (front matter included), the other
// formats give normalized, non-empty lines. ctx bounds the PDF reader,
// the only one that can take long.
func readText(ctx context.Context, name string, data []byte) (string, error) {
	ext := strings.ToLower(filepath.Ext(name))
	var read func() (string, error)
	switch ext {
	case ".md", ".markdown", ".txt":
		read = func() (string, error) { return readPlainText(data) }
	case ".docx":
		read = func() (string, error) { return readDOCX(data) }
	case ".xlsx":
		read = func() (string, error) { return readXLSX(data) }
	case ".pdf":
		read = func() (string, error) { return readPDF(ctx, data) }
	case ".html", ".htm", ".shtml", ".xhtml":
		read = func() (string, error) { return readHTML(data) }
	case ".xls", ".et":
		return "", fmt.Errorf("%w: %s is a legacy spreadsheet format; save it as .xlsx", ErrUnsupported, ext)
	case ".doc", ".wps", ".dot":
		// Kingsoft's .wps is Word's binary format under its own name.
		read = func() (string, error) { return readDOC(data) }
	case ".ofd":
		return "", fmt.Errorf("%w: .ofd; export it as PDF", ErrUnsupported)
	case "":
		return "", fmt.Errorf("%w: the file name has no extension (readable: %s)", ErrUnsupported, readableExts)
	default:
		return "", fmt.Errorf("%w: %s (readable: %s)", ErrUnsupported, ext, readableExts)
	}
	if len(data) > maxFileBytes {
		return "", fmt.Errorf("%w: the file is %d MB; files over %d MB are not read", ErrUnsupported, len(data)>>20, maxFileBytes>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return "", fmt.Errorf("%w: the file has no content", ErrEmpty)
	}
	text, err := read()
	if err != nil {
		return "", err
	}
	if ext == ".md" || ext == ".markdown" || ext == ".txt" {
		return text, nil // as written: front matter and all
	}
	text = formatLines(text)
	if text == "" {
		return "", fmt.Errorf("%w: the %s file holds no text", ErrEmpty, strings.TrimPrefix(ext, "."))
	}
	return text, nil
}

// readPlainText decodes a .md or .txt file as Parse does, and also UTF-16
// with a byte-order mark, which Windows Notepad writes as "Unicode".
func readPlainText(data []byte) (string, error) {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return "", fmt.Errorf("%w: decoding UTF-16 text: %w", ErrDamaged, err)
		}
		data = out
	}
	// Text never holds NUL bytes; a binary file given a text name does.
	if bytes.IndexByte(data, 0) >= 0 {
		return "", fmt.Errorf("%w: the file holds binary data, not text", ErrDamaged)
	}
	text, err := decode(data)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	if strings.TrimSpace(strings.TrimPrefix(text, "\ufeff")) == "" {
		return "", fmt.Errorf("%w: the file holds only white space", ErrEmpty)
	}
	return strings.ReplaceAll(text, "\r\n", "\n"), nil
}

// formatLines normalizes each line as the corpus does and drops the empty
// ones.
func formatLines(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = formatLine(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// formatLine normalises a line; a table's row (a Word or web page table's,
// its cells separated by tabs) keeps its non-empty cells apart by tabs, for
// tableCells to read.
func formatLine(l string) string {
	if !strings.Contains(l, "\t") {
		return normLine(l)
	}
	// An empty cell keeps its place (one a merged cell above spans);
	// empty cells at the row's end go.
	cells := strings.Split(l, "\t")
	for i, c := range cells {
		cells[i] = normLine(c)
	}
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	return strings.Join(cells, "\t")
}
