package corpus

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(formatsDir, name))
	if err != nil {
		t.Fatalf("reading fixture (remake with -run TestMakeFixtures -update): %v", err)
	}
	return data
}

// noticeHTMLText is what the saved web page gives: the page prints the
// title above its date and source (its type-size tool taken out) and the
// 文号, and has no red header; its last line is the publication mark.
func noticeHTMLText() string {
	L := noticeLines
	lines := append([]string{L[2], "发布日期：2023-03-20 10:30 来源：省政府办公厅", L[1]}, L[3:]...)
	return strings.Join(append(lines, "（此件公开发布）"), "\n")
}

// TestReadFormatsGolden reads each fixture and compares the text with its
// golden file (remade with -update) and with the text the fixture was
// made from.
func TestReadFormatsGolden(t *testing.T) {
	tests := []struct {
		file string
		want string // the source text; "" to compare with the golden file only
	}{
		{"notice.docx", noticeDOCXText()},
		{"notice.pdf", noticeText()},
		{"notice-owner-password.pdf", noticeText()},
		{"notice.html", noticeHTMLText()},
		{"notice-gbk.html", noticeHTMLText()},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := readText(context.Background(), tt.file, readFixture(t, tt.file))
			if err != nil {
				t.Fatalf("readText: %v", err)
			}
			golden := filepath.Join(formatsDir, tt.file+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden file (remake with -update): %v", err)
			}
			if got+"\n" != string(want) {
				t.Errorf("text differs from %s:\n got:\n%s\nwant:\n%s", golden, got, want)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("text differs from the source:\n got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestReadFormatsParse checks that what the readers give is read by the
// corpus parser as the notice it is: title, 文号, issuer, dates, period
// and numbered clauses.
func TestReadFormatsParse(t *testing.T) {
	for _, file := range []string{"notice.docx", "notice.pdf", "notice.html", "notice-gbk.html"} {
		t.Run(file, func(t *testing.T) {
			text, err := readText(context.Background(), file, readFixture(t, file))
			if err != nil {
				t.Fatalf("readText: %v", err)
			}
			d, err := Parse(file, []byte(text))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if d.Title != noticeLines[2] || d.DocNo != "浙政办发〔2023〕12号" || d.Issued != "2023-03-15" || d.EffectiveUntil != "2025-12-31" {
				t.Errorf("Parse read title %q, 文号 %q, issued %q, until %q", d.Title, d.DocNo, d.Issued, d.EffectiveUntil)
			}
			for _, clause := range []string{"一、加大财政支持力度", "（二）对首次升级", "1.奖励资金", "三、本通知自"} {
				if !strings.Contains(d.Body, "\n"+clause) {
					t.Errorf("body has no line starting %q", clause)
				}
			}
		})
	}
}

// readErrors are the sentinels every error about a file wraps.
var readErrors = []error{ErrUnsupported, ErrDamaged, ErrNoText, ErrEncrypted, ErrEmpty}

// checkReadError fails unless err wraps exactly one of readErrors and
// says something beyond it.
func checkReadError(t testing.TB, err error) {
	t.Helper()
	n := 0
	for _, s := range readErrors {
		if errors.Is(err, s) {
			n++
			if err.Error() == s.Error() {
				t.Errorf("error %q says no more than its kind", err)
			}
		}
	}
	if n != 1 {
		t.Errorf("error %q wraps %d of the read errors, want 1", err, n)
	}
}

// TestReadDamagedFiles feeds readText the files a service centre's folder
// really holds besides documents: each must give a clear error of the
// right kind, neither text nor a crash or a hang.
func TestReadDamagedFiles(t *testing.T) {
	docx := readFixture(t, "notice.docx")
	pdf := readFixture(t, "notice.pdf")
	var notDOCX bytes.Buffer
	{
		// A zip archive with no Word document in it: an .xlsx, say.
		notDOCX.Write(makeZip(map[string]string{"xl/workbook.xml": "<workbook/>"}))
	}
	binary := []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00\x01\x00\x00\x00\xff\xfe\x80\x81")
	tests := []struct {
		name, file string
		data       []byte
		want       error
		says       string
	}{
		{"truncated docx", "a.docx", docx[:len(docx)*2/3], ErrDamaged, "truncated"},
		{"docx cut inside its document", "a.docx", truncateEntry(t, docx, "word/document.xml"), ErrDamaged, "truncated"},
		{"zip that is not a docx", "a.docx", notDOCX.Bytes(), ErrDamaged, "not a Word document"},
		{"pdf named docx", "a.docx", pdf, ErrDamaged, "it is a PDF"},
		{"damaged legacy doc named docx", "a.docx", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), append(make([]byte, 504), utf16Name("WordDocument")...)...), ErrDamaged, "compound file"},
		{"password-protected docx", "a.docx", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), append(make([]byte, 504), utf16Name("EncryptedPackage")...)...), ErrEncrypted, "password"},
		{"random bytes docx", "a.docx", binary, ErrDamaged, "not a zip archive"},
		{"empty docx", "a.docx", nil, ErrEmpty, "no content"},
		{"pdf needing a password", "a.pdf", readFixture(t, "notice-user-password.pdf"), ErrEncrypted, "password"},
		{"scanned pdf", "a.pdf", readFixture(t, "scanned.pdf"), ErrNoText, "OCR"},
		{"truncated pdf", "a.pdf", pdf[:len(pdf)/3], ErrDamaged, "truncated or corrupt"},
		{"pdf header only", "a.pdf", []byte("%PDF-1.7\n"), ErrDamaged, "truncated or corrupt"},
		{"random bytes pdf", "a.pdf", binary, ErrDamaged, "not a pdf"},
		{"web page saved as pdf", "a.pdf", []byte("<!DOCTYPE html><html><body>404 页面不存在</body></html>"), ErrDamaged, "web page"},
		{"empty pdf", "a.pdf", []byte{}, ErrEmpty, "no content"},
		{"blank html", "a.html", []byte("<html><body>  \n</body></html>"), ErrEmpty, "no"},
		{"empty html", "a.htm", []byte("\n\n"), ErrEmpty, "no content"},
		{"html declared gbk that is not", "a.html", []byte(`<meta charset="gbk"><p>` + "\x81\x20\xff\xfe" + `</p>`), ErrDamaged, "gbk"},
		{"binary renamed txt", "a.txt", binary, ErrDamaged, "binary"},
		{"binary without NUL renamed md", "a.md", []byte("\x89PNG\r\n\x1a\n\xff\xd8\xff\xe0\x80\x81"), ErrDamaged, "neither UTF-8 nor GBK"},
		{"empty txt", "a.txt", []byte{}, ErrEmpty, "no content"},
		{"utf-16 txt with only a BOM", "a.txt", []byte{0xff, 0xfe, 0x20, 0x00}, ErrEmpty, "white space"},
		{"a Word file named as a workbook", "a.xlsx", docx, ErrDamaged, "xlsx"},
		{"empty workbook", "a.xlsx", nil, ErrEmpty, "no content"},
		{"legacy spreadsheet", "a.xls", docx, ErrUnsupported, "save it as .xlsx"},
		{"rich text named doc", "a.DOC", []byte("{\\rtf1\\ansi 政策}"), ErrUnsupported, "Rich Text"},
		{"ofd", "a.ofd", docx, ErrUnsupported, "PDF"},
		{"no extension", "README", []byte("text"), ErrUnsupported, "no extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, err := readText(context.Background(), tt.file, tt.data)
			if err == nil {
				t.Fatalf("readText gave no error and %q", text)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %q is not %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
			checkReadError(t, err)
		})
	}
}

// TestReadPlainText covers the text files readText passes through: as
// decode reads them, plus Notepad's UTF-16.
func TestReadPlainText(t *testing.T) {
	const text = "---\ntitle: 测试\n---\n\n关于支持小微企业的通知\r\n一、总则\n"
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(text)
	utf16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(text)
	tests := []struct {
		name, file, data string
	}{
		{"utf-8 markdown keeps its front matter", "a.md", text},
		{"utf-8 with BOM", "a.md", "\ufeff" + text},
		{"gbk text", "a.TXT", gbk},
		{"utf-16 from Notepad", "a.txt", utf16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readText(context.Background(), tt.file, []byte(tt.data))
			if err != nil {
				t.Fatalf("readText: %v", err)
			}
			if want := strings.ReplaceAll(text, "\r\n", "\n"); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// checkReadText holds for every text readText returns from a document
// format: valid UTF-8, normalized lines, none empty.
// checkRead reads data as a file called name, as the readers' fuzzers
// do: the text must be well formed, or the error say why by its kind.
func checkRead(t *testing.T, name string, data []byte) {
	t.Helper()
	text, err := readText(context.Background(), name, data)
	if err != nil {
		checkReadError(t, err)
		return
	}
	checkReadText(t, text)
}

func checkReadText(t testing.TB, text string) {
	t.Helper()
	if !utf8.ValidString(text) {
		t.Errorf("text is not valid UTF-8: %q", text)
	}
	if text == "" {
		t.Errorf("text is empty without an error")
	}
	for _, l := range strings.Split(text, "\n") {
		// A table's row keeps its cells apart by tabs.
		if l == "" || formatLine(l) != l {
			t.Errorf("line %q is empty or not normalized", l)
		}
	}
}
