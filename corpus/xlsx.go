package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Bounds on a workbook. A 惠企政策清单 is a few hundred rows; a sheet of
// a hundred thousand is data, not policy, and would hold the loader up.
const (
	maxXLSXBytes   = 50 << 20 // unzipped, the whole and any one sheet
	maxXLSXRows    = 20000    // over all sheets
	maxXLSXColumns = 64
)

// readXLSX returns a workbook's text: each visible sheet's rows in order,
// a row on a line with its cells set apart by tabs, as tableCells reads a
// table saved as text, so a 惠企政策清单 kept in Excel reads as one clause
// a numbered row, each cell named by its column. A sheet's title row (a
// cell merged across the table) is a line of its own, and the first
// sheet's titles the document; each later sheet's name comes before its
// rows, unless it is a default one (Sheet2).
//
// excelize reads the workbook: it is the maintained Go reader of the
// format (shared strings, inline strings, number formats, merged cells),
// and a hand-written one would have to relearn all of it.
func readXLSX(data []byte) (text string, err error) {
	// A hostile workbook must not take the loader down with it: a panic
	// in the third-party reader is this file's error.
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("%w: xlsx: reading the workbook failed: %v", ErrDamaged, r)
		}
	}()
	if bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0")) {
		// An OLE compound file: Excel encrypts a .xlsx with a password
		// into one, and Excel 97–2003 .xls files are one.
		if bytes.Contains(data, utf16Name("EncryptedPackage")) {
			return "", fmt.Errorf("%w: xlsx is protected by a password; save an unprotected copy", ErrEncrypted)
		}
		return "", fmt.Errorf("%w: an Excel 97–2003 .xls named .xlsx; save it as .xlsx", ErrUnsupported)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxXLSXBytes, UnzipXMLSizeLimit: maxXLSXBytes})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookPassword) {
			return "", fmt.Errorf("%w: xlsx is protected by a password; save an unprotected copy", ErrEncrypted)
		}
		return "", fmt.Errorf("%w: xlsx: %w%s", ErrDamaged, err, formatHint(data))
	}
	defer f.Close()
	sheets := f.GetSheetList()
	var out []string
	rows := 0
	for _, name := range sheets {
		if visible, err := f.GetSheetVisible(name); err == nil && !visible {
			continue
		}
		lines, n, err := xlsxSheet(f, name, maxXLSXRows-rows)
		rows += n
		if err != nil {
			return "", err
		}
		if len(lines) == 0 {
			continue
		}
		if len(out) > 0 && !strings.HasPrefix(strings.ToLower(name), "sheet") {
			out = append(out, name)
		}
		out = append(out, lines...)
	}
	if len(out) == 0 {
		return "", fmt.Errorf("%w: the workbook holds no text", ErrEmpty)
	}
	return strings.Join(out, "\n"), nil
}

// xlsxSheet reads a sheet's rows as lines, at most budget rows, and says
// how many it read.
func xlsxSheet(f *excelize.File, name string, budget int) (lines []string, n int, err error) {
	rs, err := f.Rows(name)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: xlsx: reading sheet %s: %w", ErrDamaged, name, err)
	}
	defer rs.Close()
	for rs.Next() {
		if n++; n > budget {
			return nil, n, fmt.Errorf("%w: the workbook has over %d rows; a policy list is shorter", ErrUnsupported, maxXLSXRows)
		}
		cells, err := rs.Columns()
		if err != nil {
			return nil, n, fmt.Errorf("%w: xlsx: reading sheet %s row %d: %w", ErrDamaged, name, n, err)
		}
		cells = cells[:min(len(cells), maxXLSXColumns)]
		for i, c := range cells {
			// A cell's own line breaks are its text's.
			cells[i] = normLine(c)
		}
		if l := strings.TrimRight(strings.Join(cells, "\t"), "\t"); strings.Trim(l, "\t") != "" {
			lines = append(lines, l)
		}
	}
	if err := rs.Error(); err != nil {
		return nil, n, fmt.Errorf("%w: xlsx: reading sheet %s: %w", ErrDamaged, name, err)
	}
	return lines, n, nil
}
