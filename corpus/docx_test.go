package corpus

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"hash/crc32"
	"io"
	"sort"
	"strings"
	"testing"
)

// makeZip zips files, in name order.
func makeZip(files map[string]string) []byte {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: fixtureTime})
		_, _ = io.WriteString(w, files[n])
	}
	_ = zw.Close()
	return buf.Bytes()
}

// truncateEntry copies a zip with entry's compressed data cut in half but
// its directory intact, as a download broken off and patched up by an
// archiver leaves it.
func truncateEntry(t testing.TB, data []byte, entry string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		raw, err := f.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(raw)
		if f.Name == entry {
			b = b[:len(b)/2]
		}
		fh := f.FileHeader
		w, err := zw.CreateRaw(&fh)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(b)
	}
	_ = zw.Close()
	return buf.Bytes()
}

func wp(text string) string {
	return `<w:p><w:r><w:t xml:space="preserve">` + text + `</w:t></w:r></w:p>`
}

func wnum(numID string, ilvl int, text string) string {
	return `<w:p><w:pPr><w:numPr><w:ilvl w:val="` + string(rune('0'+ilvl)) + `"/><w:numId w:val="` + numID + `"/></w:numPr></w:pPr><w:r><w:t>` + text + `</w:t></w:r></w:p>`
}

func TestReadDOCX(t *testing.T) {
	// A second list: 第一条 in Chinese counting, then 1. and (1) as a
	// lawyer's template numbers them, and a bullet level.
	articles := govNumbering + `<w:abstractNum w:abstractNumId="1">
<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCountingThousand"/><w:lvlText w:val="第%1条"/></w:lvl>
<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:isLgl/><w:lvlText w:val="%1.%2."/></w:lvl>
<w:lvl w:ilvl="2"><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl>
</w:abstractNum>
<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>
<w:num w:numId="3"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="5"/></w:lvlOverride></w:num>`
	tests := []struct {
		name              string
		body, styles, num string
		want              string
	}{
		{
			name: "paragraphs, runs and tabs",
			body: wp("第一行") + `<w:p><w:r><w:t>浙政</w:t></w:r><w:r><w:t>办发</w:t></w:r><w:r><w:tab/><w:t>〔2023〕</w:t></w:r></w:p>` + wp("   ") + wp("末行"),
			want: "第一行\n浙政办发 〔2023〕\n末行",
		},
		{
			name: "a soft return breaks a paragraph, not a heading",
			body: `<w:p><w:r><w:t>浙江省人民政府办公厅</w:t><w:br/><w:t>2023年3月15日</w:t></w:r></w:p>` +
				`<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>关于进一步支持</w:t><w:br/><w:t>小微企业发展的通知</w:t></w:r></w:p>`,
			styles: `<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>`,
			want:   "浙江省人民政府办公厅\n2023年3月15日\n关于进一步支持小微企业发展的通知",
		},
		{
			name: "Chinese government numbering restarts under its parent",
			body: wnum("1", 0, "总体要求") + wnum("1", 1, "目标") + wnum("1", 1, "原则") + wnum("1", 2, "坚持") + wnum("1", 3, "细项") +
				wnum("1", 0, "主要任务") + wnum("1", 1, "任务") + wnum("1", 2, "第一项"),
			num:  govNumbering,
			want: "一、总体要求\n（一）目标\n（二）原则\n1.坚持\n（1）细项\n二、主要任务\n（一）任务\n1.第一项",
		},
		{
			name: "articles, legal numbering and bullets",
			body: wnum("2", 0, "为了规范资金管理，制定本办法。") + wnum("2", 1, "适用范围") + wnum("2", 2, "要点") + wnum("2", 0, "本办法自发布之日起施行。"),
			num:  articles,
			want: "第一条 为了规范资金管理，制定本办法。\n1.1.适用范围\n要点\n第二条 本办法自发布之日起施行。",
		},
		{
			name: "numId 0 removes a style's numbering; a restart override starts at 5",
			body: `<w:p><w:pPr><w:pStyle w:val="L"/><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:t>不编号</w:t></w:r></w:p>` +
				`<w:p><w:pPr><w:pStyle w:val="L"/></w:pPr><w:r><w:t>编号</w:t></w:r></w:p>` +
				wnum("3", 0, "第五项"),
			styles: `<w:style w:type="paragraph" w:styleId="L"><w:name w:val="List"/><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>`,
			num:    articles,
			want:   "不编号\n一、编号\n五、第五项",
		},
		{
			name: "a number typed as well as numbered is written once",
			body: wnum("1", 0, "一、总则"),
			num:  govNumbering,
			want: "一、总则",
		},
		{
			name: "numbering without numbering.xml keeps the text",
			body: wnum("1", 0, "总则"),
			want: "总则",
		},
		{
			name: "tables: a row per line, cells apart by tabs, nested tables inline",
			body: `<w:tbl><w:tr><w:tc><w:p><w:r><w:t>序号</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>事项</w:t></w:r></w:p></w:tc><w:tc><w:p/></w:tc></w:tr>` +
				`<w:tr><w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc><w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>甲</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>乙</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p><w:r><w:t>备注</w:t></w:r></w:p></w:tc></w:tr></w:tbl>` + wp("表后"),
			want: "序号\t事项\n1\t甲 乙 备注\n表后",
		},
		{
			name: "revisions, hidden text, field codes and drawings' labels are not text",
			body: `<w:p><w:r><w:t>保留</w:t></w:r><w:del><w:r><w:delText>删除</w:delText></w:r></w:del><w:moveFrom><w:r><w:t>移走</w:t></w:r></w:moveFrom>` +
				`<w:r><w:rPr><w:vanish/></w:rPr><w:t>隐藏</w:t></w:r><w:r><w:instrText>PAGE \* MERGEFORMAT</w:instrText></w:r>` +
				`<w:r><w:drawing><a:graphic><a:p><a:r><a:t>图表标签</a:t></a:r></a:p></a:graphic></w:drawing><w:t>文字</w:t></w:r></w:p>`,
			want: "保留文字",
		},
		{
			name:   "damaged styles and numbering are ignored",
			body:   wnum("1", 0, "总则"),
			styles: `<w:style><unclosed>`,
			num:    `<w:abstractNum>&bad;`,
			want:   "总则",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readText(context.Background(), "a.docx", makeDOCX(tt.body, tt.styles, tt.num))
			if err != nil {
				t.Fatalf("readText: %v", err)
			}
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestDOCXNumberText(t *testing.T) {
	tests := []struct {
		n      int
		format string
		want   string
	}{
		{1, "chineseCounting", "一"},
		{10, "chineseCounting", "十"},
		{11, "chineseCounting", "十一"},
		{20, "chineseCounting", "二十"},
		{21, "chineseCounting", "二十一"},
		{100, "chineseCounting", "一百"},
		{105, "chineseCounting", "一百〇五"},
		{110, "chineseCountingThousand", "一百一十"},
		{1005, "chineseCountingThousand", "一千零五"},
		{10001, "chineseCountingThousand", "一万零一"},
		{12, "chineseLegalSimplified", "拾贰"},
		{305, "ideographDigital", "三〇五"},
		{3, "ideographTraditional", "丙"},
		{13, "ideographZodiac", "子"},
		{12, "decimalFullWidth", "１２"},
		{7, "decimalZero", "07"},
		{3, "decimalEnclosedCircle", "③"},
		{21, "decimalEnclosedCircle", "21"},
		{2, "decimalEnclosedParen", "⑵"},
		{28, "upperLetter", "BB"},
		{4, "lowerRoman", "iv"},
		{1994, "upperRoman", "MCMXCIV"},
		{5, "none", ""},
		{5, "cardinalText", "5"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			if got := docxNumberText(tt.n, tt.format); got != tt.want {
				t.Errorf("docxNumberText(%d, %s) = %q, want %q", tt.n, tt.format, got, tt.want)
			}
		})
	}
}

// TestReadDOCXBomb: a document.xml that would inflate past the limit is
// refused, whether its header says so or lies about its size.
func TestReadDOCXBomb(t *testing.T) {
	// rawZip stores data deflated under a header claiming size bytes.
	rawZip := func(data string, size uint64) []byte {
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestCompression)
		_, _ = io.WriteString(fw, data)
		_ = fw.Close()
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: "word/document.xml", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE([]byte(data)),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: size,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(comp.Bytes())
		_ = zw.Close()
		return buf.Bytes()
	}
	big := strings.Repeat(" ", 4096)
	t.Run("header says it is too large", func(t *testing.T) {
		_, err := readText(context.Background(), "bomb.docx", rawZip(big, maxDOCXPartBytes+1))
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "limit") {
			t.Fatalf("err = %v, want a damaged-file error naming the limit", err)
		}
		checkReadError(t, err)
	})
	t.Run("header lies", func(t *testing.T) {
		data := rawZip(big, 100)
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		// The limit under test is readZipPart's own; a small one stands
		// in for the 50 MB a real bomb would need.
		_, err = readZipPart(zr, "word/document.xml", 1024)
		if !errors.Is(err, ErrDamaged) {
			t.Fatalf("err = %v, want a damaged-file error", err)
		}
		data = rawZip(big, 1024)
		zr, _ = zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if _, err = readZipPart(zr, "word/document.xml", 1024); !errors.Is(err, ErrDamaged) {
			t.Fatalf("err = %v, want a damaged-file error", err)
		}
	})
}

func FuzzReadDOCX(f *testing.F) {
	docx := readFixture(f, "notice.docx")
	f.Add(docx)
	f.Add(docx[:len(docx)/2])
	f.Add(truncateEntry(f, docx, "word/document.xml"))
	f.Add(makeDOCX(wnum("1", 0, "总则")+`<w:tbl><w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl>`, govStyles, govNumbering))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, "f.docx", data) })
}

// FuzzReadDOCXXML fuzzes the document XML itself, which FuzzReadDOCX
// rarely reaches through the zip's checksums.
func FuzzReadDOCXXML(f *testing.F) {
	f.Add(wnum("1", 1, "目标")+wp("正文"), govStyles, govNumbering)
	f.Add(`<w:tbl><w:tr><w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>甲</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tc></w:tr></w:tbl>`, "", "")
	f.Add(`<w:p><w:pPr><w:pStyle w:val="20"/></w:pPr><w:r><w:t>标题</w:t><w:br/></w:r></w:p>`, govStyles, govNumbering)
	f.Fuzz(func(t *testing.T, body, styles, num string) {
		text, err := readText(context.Background(), "f.docx", makeDOCX(body, styles, num))
		if err != nil {
			checkReadError(t, err)
			return
		}
		checkReadText(t, text)
	})
}
