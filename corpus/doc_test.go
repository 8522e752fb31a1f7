package corpus

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// docFixtures pairs each Word 97–2003 fixture with the .docx it was saved
// from (LibreOffice 7.4, "MS Word 97"; testdata/formats/doc/SOURCE.md).
var docFixtures = []struct{ doc, docx string }{
	// Word's own numbering (一、 （一）) and a red head.
	{"qingdao-3.doc", "青政办发〔2020〕3号（中小微企业若干政策措施）.docx"},
	// A title in the Title style broken over two lines.
	{"qingdao-9.doc", "青政发〔2020〕9号 进一步稳定和扩大就业的实施意见.docx"},
	// A table of contacts.
	{"qingdao-jinjian-4.doc", "中小微企业贷款延期还本付息通知（青金监发〔2020〕4号）.docx"},
	// A 清单 of 30 rows with cells merged across and down, whose row
	// definitions are too large for their pages (sprmPHugePapx).
	{"qingdao-list.doc", "青岛市2020年惠企纾困政策清单（7月15日版）.docx"},
}

func readDOCFixture(t testing.TB, name string) []byte {
	t.Helper()
	return readFixture(t, filepath.Join("doc", name))
}

// TestReadDOCMatchesDOCX: a Word 97–2003 file reads as the .docx it was
// saved from, line for line: paragraphs, Word's numbering written in,
// tables a row to a line (a cell merged down from the one above reading as
// that cell), a title's line break joined.
func TestReadDOCMatchesDOCX(t *testing.T) {
	for _, f := range docFixtures {
		t.Run(f.doc, func(t *testing.T) {
			got, err := readText(context.Background(), f.doc, readDOCFixture(t, f.doc))
			if err != nil {
				t.Fatalf("readText: %v", err)
			}
			src, err := os.ReadFile(filepath.Join("testdata/qingdao2020/docs", f.docx))
			if err != nil {
				t.Fatal(err)
			}
			want, err := readText(context.Background(), f.docx, src)
			if err != nil {
				t.Fatal(err)
			}
			gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
			if len(gl) != len(wl) {
				t.Fatalf("%d lines, want %d:\n%s", len(gl), len(wl), got)
			}
			for i := range gl {
				if gl[i] != wl[i] {
					t.Errorf("line %d:\n got %q\nwant %q", i+1, gl[i], wl[i])
				}
			}
		})
	}
}

// TestReadDOCParse: what the reader gives is read by the parser as the
// notice it is.
func TestReadDOCParse(t *testing.T) {
	for _, name := range []string{"qingdao-3.doc", "qingdao-3.wps", "qingdao-3.docx"} {
		t.Run(name, func(t *testing.T) {
			// The same bytes under the names they travel by: Kingsoft's
			// .wps, and a .doc renamed .docx.
			text, err := readText(context.Background(), name, readDOCFixture(t, "qingdao-3.doc"))
			if err != nil {
				t.Fatalf("readText: %v", err)
			}
			d, err := Parse(name, []byte(text))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if d.DocNo != "青政办发〔2020〕3号" || d.Issued != "2020-02-10" || !strings.Contains(d.Title, "若干政策措施") {
				t.Errorf("Parse read title %q, 文号 %q, issued %q", d.Title, d.DocNo, d.Issued)
			}
			for _, clause := range []string{"一、加大信贷支持力度", "二、降低贷款利率水平"} {
				if !strings.Contains(d.Body, "\n"+clause) {
					t.Errorf("body has no line starting %q", clause)
				}
			}
		})
	}
}

// TestReadDOCDeletedAndBoxed: text deleted with changes tracked is left
// out, and a text box (the notice's 此件公开发布) is read after the body.
func TestReadDOCDeletedAndBoxed(t *testing.T) {
	text, err := readText(context.Background(), "notice.doc", readDOCFixture(t, "notice.doc"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "旧的措辞") {
		t.Errorf("deleted text read: %q", text)
	}
	for _, want := range []string{"浙政办发〔2023〕12号", "项目\t标准", "贷款贴息\t最高100万元 按年度核定", "（此件公开发布）"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

// wordStream returns the offset of the WordDocument stream in a .doc
// fixture: the sector that starts with the Word header.
func wordStream(t *testing.T, data []byte) int {
	t.Helper()
	for off := 512; off+512 <= len(data); off += 512 {
		if binary.LittleEndian.Uint16(data[off:]) == docIdent {
			return off
		}
	}
	t.Fatal("no WordDocument stream found")
	return 0
}

// TestReadDOCErrors: every .doc that cannot be read says why, by kind.
func TestReadDOCErrors(t *testing.T) {
	doc := readDOCFixture(t, "qingdao-3.doc")
	patched := func(at int, b ...byte) []byte {
		out := bytes.Clone(doc)
		copy(out[wordStream(t, out)+at:], b)
		return out
	}
	flags := binary.LittleEndian.Uint16(doc[wordStream(t, doc)+fibFlagsAt:])
	encrypted := binary.LittleEndian.AppendUint16(nil, flags|flagEncrypted)
	renamed := bytes.Clone(doc)
	// The directory names its streams in UTF-16: another name leaves a
	// compound file with no Word document, as an .xls or a .ppt is.
	i := bytes.Index(renamed, utf16Name("WordDocument"))
	copy(renamed[i:], utf16Name("WordDocumenX"))
	tests := []struct {
		name string
		data []byte
		want error
		says string
	}{
		{"truncated", doc[:len(doc)/2], ErrDamaged, ".doc"},
		{"another Office file", renamed, ErrUnsupported, "no Word document"},
		{"Word 95", patched(2, 0x65, 0x00), ErrUnsupported, "Word 95"},
		{"password", patched(fibFlagsAt, encrypted...), ErrEncrypted, "password"},
		{"no piece table", patched(0x1A2, 0xFF, 0xFF, 0xFF, 0x7F), ErrDamaged, "piece table"},
		{"random bytes", []byte("\x7fELF\x02\x01\x01\x00 not a document at all"), ErrDamaged, "not a Word file"},
		{"rich text", []byte("{\\rtf1\\ansi 政策}"), ErrUnsupported, "Rich Text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, err := readText(context.Background(), "a.doc", tt.data)
			if err == nil {
				t.Fatalf("no error, text %q", text)
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("err = %v, want %v saying %q", err, tt.want, tt.says)
			}
			checkReadError(t, err)
		})
	}
}

// TestReadDOCOtherContent: files named .doc that are not Word 97–2003 —
// a .docx and a web page, as government sites serve them — are read as
// what they are.
func TestReadDOCOtherContent(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"a docx", readFixture(t, "notice.docx"), "浙政办发〔2023〕12号"},
		{"a web page", []byte("<!DOCTYPE html><html><body><p>关于支持小微企业的通知</p><p>一、免征增值税。</p></body></html>"), "一、免征增值税。"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text, err := readText(context.Background(), "a.doc", tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("text %q lacks %q", text, tt.want)
			}
		})
	}
}

func FuzzReadDOC(f *testing.F) {
	for _, fx := range docFixtures {
		doc := readDOCFixture(f, fx.doc)
		f.Add(doc)
		f.Add(doc[:len(doc)*3/4])
	}
	f.Add(readDOCFixture(f, "notice.doc"))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, "f.doc", data) })
}

// BenchmarkReadDOC reads .doc files of three sizes: a one-page notice, a
// 30-row 清单 table, and a compilation of 26 documents (read as the
// .docx it was saved from, for the ratio).
func BenchmarkReadDOC(b *testing.B) {
	for _, f := range []string{"notice.doc", "qingdao-list.doc", "xiamen-compilation.doc", "../../xiamen2022/docs/huibian-2022.docx"} {
		data := readDOCFixture(b, f)
		b.Run(filepath.Base(f), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := readText(context.Background(), f, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLegacyWordFolder reads a 西安 centre's 2016–2018 folder
// (testdata/xian2017, written for the purpose by someone who had not seen
// this code: official-layout HTML saved as Word 97–2003 by LibreOffice,
// one file named .wps, an interpretation left as its web page) against its
// writer's list. First read, four titles were a joint red head's spaced
// name (陕 西 省 财 政 厅 文件), and the interpretation, whose page dates and
// signs it only in the line under its title, had neither.
func TestLegacyWordFolder(t *testing.T) {
	lib := loadFolder(t, "testdata/xian2017/docs")
	checkListed(t, lib, map[string]listed{
		"wmwzzrgcs2018":                      {"市商发〔2018〕21号", "2018-04-16", "2018-01-01", "2018-12-31", "原文"},
		"szbf-2017-25h-xwqyrzrgcs":           {"市政办发〔2017〕25号", "2017-04-10", "2017-04-10", "2018-12-31", "原文"},
		"szf-2018-30h-myjjrgcs":              {"市政发〔2018〕30号", "2018-12-05", "2018-12-05", "2020-12-31", "原文"},
		"yffybzssbfzcjd":                     {"", "2017-07-25", "", "", "解读"},
		"kjxzxqyyffyjjkc":                    {"财税〔2017〕34号", "2017-05-02", "2017-01-01", "2019-12-31", "原文"},
		"kjxzxqyyffybzssbf":                  {"市科发〔2017〕46号", "2017-07-20", "2017-07-20", "2019-07-19", "原文"},
		"wgbtbszn":                           {"", "2017-06-01", "", "", "原文"},
		"cs-2017-43h-gykdxxwlqysdsyhzcfwdtz": {"财税〔2017〕43号", "2017-06-06", "2017-01-01", "2019-12-31", "原文"},
		"cs-2017-76h-xwqyzzs":                {"财税〔2017〕76号", "2017-10-20", "2018-01-01", "2020-12-31", "原文"},
		"srsf-2017-28h-sybxwgbt":             {"陕人社发〔2017〕28号", "2017-04-20", "2017-04-20", "2020-12-31", "原文"},
		"srsf-2018-96h-wjy":                  {"陕人社发〔2018〕96号", "2018-12-20", "2019-01-01", "", "原文"},
		"szf-2017-12h-jdstjjqycb":            {"陕政发〔2017〕12号", "2017-03-15", "2017-03-15", "2019-12-31", "原文"},
		"scbq-2017-45h-zxqyfzzxzjglbf":       {"陕财办企〔2017〕45号", "2017-06-12", "2017-07-01", "2020-06-30", "原文"},
	})
	checkTitles(t, lib, map[string]string{
		"wmwzzrgcs2018":          "西安市商务局 西安市财政局关于促进外贸稳定增长的若干措施",
		"kjxzxqyyffybzssbf":      "西安市科学技术局 西安市财政局关于印发《西安市科技型中小企业研发费用补助实施办法》的通知",
		"srsf-2017-28h-sybxwgbt": "陕西省人力资源和社会保障厅 陕西省财政厅关于做好失业保险支持企业稳定岗位工作的通知",
		"srsf-2018-96h-wjy":      "陕西省人力资源和社会保障厅 陕西省财政厅关于做好当前稳就业工作有关问题的通知",
		"yffybzssbfzcjd":         "西安市科学技术局《西安市科技型中小企业研发费用补助实施办法》政策解读",
	})
	if d, _ := lib.Document("yffybzssbfzcjd"); d.Issuer != "西安市科学技术局" {
		t.Errorf("the interpretation is signed %q, want 西安市科学技术局", d.Issuer)
	}
	checkExtended(t, lib, "szbf-2017-25h-xwqyrzrgcs", "2020-12-31")
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	if d, _ := lib.Document("srsf-2017-28h-sybxwgbt"); !slices.ContainsFunc(d.Chunks, func(c Chunk) bool { _, changed := d.PartChanged(c.Label, now); return changed }) {
		t.Errorf("陕人社发〔2017〕28号: no article marked amended by 陕人社发〔2018〕96号")
	}
}

// TestDOCListOverrides: a list's levels and its overrides (LFOLVL) are
// read from the table stream: one list of one level, 一、 from 1, and two
// uses of it, the second restarting at 5 and the third redefining the
// level as （一） — laid out as Word writes PlfLst, the LVLs after it, and
// PlfLfo with its data.
func TestDOCListOverrides(t *testing.T) {
	le16 := func(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
	le32 := func(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
	lvl := func(start uint32, nfc byte, text string) []byte {
		b := le32(nil, start)
		b = append(b, nfc, 0)             // nfc, flags
		b = append(b, make([]byte, 9)...) // rgbxchNums
		b = append(b, 2)                  // ixchFollow: nothing
		b = append(b, make([]byte, 8)...) // dxaIndentSav, unused
		b = append(b, 0, 0, 0, 0)         // cbGrpprlChpx, cbGrpprlPapx, ilvlRestartLim, grfhic
		var u []uint16
		for _, r := range text {
			if r == '%' {
				continue
			}
			if r >= '1' && r <= '9' {
				u = append(u, uint16(r-'1'))
				continue
			}
			u = append(u, uint16(r))
		}
		b = le16(b, uint16(len(u)))
		for _, c := range u {
			b = le16(b, c)
		}
		return b
	}
	// PlfLst: one LSTF (lsid 77), a simple list.
	lst := le16(nil, 1)
	lstf := le32(nil, 77)
	lstf = append(lstf, make([]byte, 4+18)...) // tplc, rgistdPara
	lstf = append(lstf, 1, 0)                  // fSimpleList, grfhic
	lst = append(lst, lstf...)
	table := append([]byte{}, lst...)
	lvls := lvl(1, 0x25, "%1、") // chineseCounting
	table = append(table, lvls...)
	lfoAt := len(table)
	lfos := le32(nil, 3)
	for _, n := range []byte{0, 1, 1} { // clfolvl of each LFO
		l := le32(nil, 77)
		l = append(l, make([]byte, 8)...)
		l = append(l, n, 0, 0, 0)
		lfos = append(lfos, l...)
	}
	lfos = le32(lfos, 0)                      // first LFO's data: cp
	lfos = le32(le32(le32(lfos, 0), 5), 0x10) // second: cp; LFOLVL start 5, fStartAt, level 0
	lfos = le32(le32(le32(lfos, 0), 1), 0x20) // third: cp; LFOLVL fFormatting, level 0
	lfos = append(lfos, lvl(1, 0x25, "（%1）")...)
	table = append(table, lfos...)
	fcLcb := make([]byte, 8*(fcPlfLfo+1))
	binary.LittleEndian.PutUint32(fcLcb[8*fcPlfLst:], 0)
	binary.LittleEndian.PutUint32(fcLcb[8*fcPlfLst+4:], uint32(len(lst)))
	binary.LittleEndian.PutUint32(fcLcb[8*fcPlfLfo:], uint32(lfoAt))
	binary.LittleEndian.PutUint32(fcLcb[8*fcPlfLfo+4:], uint32(len(lfos)))
	d := docReader{table: table, fib: fib{fcLcb: fcLcb}}
	n := d.numbering()
	if n == nil {
		t.Fatal("no lists read")
	}
	w := docxWalker{num: n, counters: map[string]*[9]int{}}
	var got []string
	for _, ilfo := range []string{"1", "1", "2", "3"} {
		got = append(got, w.number(ilfo, "0"))
	}
	if want := []string{"一、", "二、", "五、", "（一）"}; !slices.Equal(got, want) {
		t.Errorf("numbers %q, want %q", got, want)
	}
}
