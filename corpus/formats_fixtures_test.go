package corpus

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The fixtures under testdata/formats are generated, not hand-edited, so
// they can be remade: go test ./corpus -run TestMakeFixtures -update.
// The PDFs need a CJK TrueType font (Debian's fonts-wqy-microhei); the
// reading tests use the committed files and need no font.
const formatsDir = "testdata/formats"

// noticeLines is the government notice every fixture prints: issuer,
// title, 文号, salutation, numbered clauses, period, signature and date.
// The PDF breaks the long clauses over several lines, so its reader must
// join them again.
var noticeLines = []string{
	"浙江省人民政府办公厅文件",
	"浙政办发〔2023〕12号",
	"浙江省人民政府办公厅关于进一步支持小微企业发展的通知",
	"各市、县（市、区）人民政府，省政府直属各单位：",
	"为进一步支持小微企业发展，激发市场主体活力，经省政府同意，现就有关事项通知如下。",
	"一、加大财政支持力度",
	"（一）对符合条件的小微企业新增贷款给予贴息，贴息比例不超过贷款市场报价利率的50%，单户企业年度贴息额最高不超过100万元。",
	"（二）对首次升级为规模以上工业企业的小微企业，由所在地政府给予一次性奖励10万元，所需资金由省、市、县（市、区）财政按现行体制分担。",
	"1.奖励资金实行先申报后拨付，申报材料包括营业执照复印件和上年度财务报表。",
	"二、减轻企业税费负担",
	"（一）对月销售额10万元以下（含本数）的增值税小规模纳税人，免征增值税。",
	"三、本通知自2023年4月1日起施行，有效期至2025年12月31日。",
	"浙江省人民政府办公厅",
	"2023年3月15日",
}

// noticeText is noticeLines as readText should return them.
func noticeText() string { return strings.Join(noticeLines, "\n") }

func TestMakeFixtures(t *testing.T) {
	if !*update {
		t.Skip("fixtures are remade only with -update")
	}
	if err := os.MkdirAll(formatsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(formatsDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("notice.docx", noticeDOCX())

	html, err := os.ReadFile(filepath.Join(formatsDir, "notice.html"))
	if err != nil {
		t.Fatalf("notice.html is hand-written and must exist: %v", err)
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(bytes.Replace(html, []byte(`charset="utf-8"`), []byte(`charset="gbk"`), 1))
	if err != nil {
		t.Fatalf("encoding notice.html as GBK: %v", err)
	}
	write("notice-gbk.html", gbk)

	font, err := cjkFont()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("making the PDF fixtures: %v", err)
		}
		t.Skipf("PDF fixtures not remade: %v (apt-get install -y fonts-wqy-microhei)", err)
	}
	for _, f := range []struct {
		name string
		make func([]byte) ([]byte, error)
	}{
		{"notice.pdf", func(font []byte) ([]byte, error) { return noticePDF(font, "") }},
		{"notice-owner-password.pdf", func(font []byte) ([]byte, error) { return noticePDF(font, "owner-only") }},
		{"notice-user-password.pdf", func(font []byte) ([]byte, error) { return noticePDF(font, "user") }},
		{"scanned.pdf", func([]byte) ([]byte, error) { return imageOnlyPDF() }},
	} {
		data, err := f.make(font)
		if err != nil {
			t.Fatalf("making %s: %v", f.name, err)
		}
		write(f.name, data)
	}
}

// fixtureTime pins the dates written into the fixtures, so a remake
// changes only what the code changed.
var fixtureTime = time.Date(2023, 3, 15, 9, 0, 0, 0, time.UTC)

// cjkFont returns a TrueType font with Chinese glyphs. Debian ships
// WenQuanYi Micro Hei only as a TrueType collection, which fpdf cannot
// read, so the first font is cut out of the collection.
func cjkFont() ([]byte, error) {
	const ttc = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
	data, err := os.ReadFile(ttc)
	if err != nil {
		return nil, fmt.Errorf("no CJK font: %w", err)
	}
	return firstFontOfCollection(data)
}

// firstFontOfCollection rewrites font 0 of a TTC as a standalone TTF: the
// same table directory with the tables copied after it and their offsets
// made relative to the new file.
func firstFontOfCollection(ttc []byte) ([]byte, error) {
	if len(ttc) < 16 || string(ttc[:4]) != "ttcf" {
		return nil, errors.New("not a TrueType collection")
	}
	off := int(binary.BigEndian.Uint32(ttc[12:16]))
	if off+12 > len(ttc) {
		return nil, errors.New("collection font offset out of range")
	}
	n := int(binary.BigEndian.Uint16(ttc[off+4 : off+6]))
	dir := off + 12
	if dir+16*n > len(ttc) {
		return nil, errors.New("collection table directory out of range")
	}
	head := 12 + 16*n
	out := make([]byte, head, len(ttc))
	copy(out, ttc[off:off+12])
	for i := range n {
		rec := ttc[dir+16*i : dir+16*i+16]
		toff := int(binary.BigEndian.Uint32(rec[8:12]))
		tlen := int(binary.BigEndian.Uint32(rec[12:16]))
		if toff+tlen > len(ttc) {
			return nil, errors.New("collection table out of range")
		}
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		newRec := out[12+16*i : 12+16*i+16]
		copy(newRec, rec)
		binary.BigEndian.PutUint32(newRec[8:12], uint32(len(out)))
		out = append(out, ttc[toff:toff+tlen]...)
	}
	return out, nil
}

// noticePDF lays the notice out as a GB/T 9704 page: 三号 (16 pt) text in
// a 156 mm block, paragraphs indented two characters, the title centred,
// the signature and date set right. protect is "" (none), "owner-only"
// (permissions only: anyone may open it) or "user" (needs a password).
func noticePDF(font []byte, protect string) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(fixtureTime)
	pdf.SetModificationDate(fixtureTime)
	pdf.SetCatalogSort(true)
	switch protect {
	case "owner-only":
		pdf.SetProtection(fpdf.CnProtectPrint, "", "owner")
	case "user":
		pdf.SetProtection(fpdf.CnProtectPrint, "user", "owner")
	}
	pdf.AddUTF8FontFromBytes("wqy", "", font)
	pdf.SetMargins(28, 37, 26)
	pdf.SetAutoPageBreak(true, 35)
	pdf.AddPage()
	const w, lh = 156, 8.5

	pdf.SetFont("wqy", "", 26)
	pdf.SetTextColor(200, 0, 0)
	pdf.CellFormat(w, 14, noticeLines[0], "", 1, "C", false, 0, "")
	pdf.Ln(6)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("wqy", "", 16)
	pdf.CellFormat(w, lh, noticeLines[1], "", 1, "C", false, 0, "")
	pdf.SetDrawColor(200, 0, 0)
	pdf.Line(28, pdf.GetY()+2, 28+w, pdf.GetY()+2)
	pdf.Ln(8)
	pdf.SetFont("wqy", "", 22)
	for _, l := range wrapPDF(pdf, noticeLines[2], w) {
		pdf.CellFormat(w, 11, l, "", 1, "C", false, 0, "")
	}
	pdf.Ln(4)
	pdf.SetFont("wqy", "", 16)
	pdf.CellFormat(w, lh, noticeLines[3], "", 1, "L", false, 0, "")
	for _, p := range noticeLines[4:12] {
		for _, l := range wrapPDF(pdf, "\u3000\u3000"+p, w) {
			pdf.CellFormat(w, lh, l, "", 1, "L", false, 0, "")
		}
	}
	pdf.Ln(lh * 2)
	pdf.CellFormat(w-16, lh, noticeLines[12], "", 1, "R", false, 0, "")
	pdf.CellFormat(w-22, lh, noticeLines[13], "", 1, "R", false, 0, "")
	return pdfBytes(pdf)
}

// wrapPDF breaks text into lines no wider than w at any character, as
// Chinese is set. (fpdf's MultiCell drops the character at a break in
// text without spaces.)
func wrapPDF(pdf *fpdf.Fpdf, text string, w float64) []string {
	var lines []string
	var cur []rune
	for _, r := range text {
		if len(cur) > 0 && pdf.GetStringWidth(string(append(cur, r))) > w {
			lines = append(lines, string(cur))
			cur = cur[:0]
		}
		cur = append(cur, r)
	}
	return append(lines, string(cur))
}

// imageOnlyPDF is a scan: one page with a picture of text and no text
// layer.
func imageOnlyPDF() ([]byte, error) {
	img := image.NewGray(image.Rect(0, 0, 120, 160))
	for y := range 160 {
		for x := range 120 {
			c := uint8(255)
			if y%12 < 3 && x > 10 && x < 110 {
				c = 40 // lines of "text"
			}
			img.SetGray(x, y, color.Gray{Y: c})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(fixtureTime)
	pdf.SetModificationDate(fixtureTime)
	pdf.SetCatalogSort(true)
	pdf.AddPage()
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader("scan", opt, &buf)
	pdf.ImageOptions("scan", 10, 10, 190, 0, false, opt, 0, "")
	return pdfBytes(pdf)
}

func pdfBytes(pdf *fpdf.Fpdf) ([]byte, error) {
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Word's XML namespaces, as Word writes them.
const (
	docxNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ` +
		`xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" ` +
		`xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" ` +
		`xmlns:v="urn:schemas-microsoft-com:vml" ` +
		`xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" ` +
		`xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"`
)

// govNumbering is the list a Chinese government template defines: 一、
// then （一） then 1. then （1）, each restarting under its parent.
const govNumbering = `<w:abstractNum w:abstractNumId="0">
<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="nothing"/><w:lvlText w:val="%1、"/></w:lvl>
<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="nothing"/><w:lvlText w:val="（%2）"/></w:lvl>
<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>
<w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="（%4）"/></w:lvl>
</w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>`

// govStyles names the heading styles as Chinese Word does: ids "1", "2"
// with the built-in names "heading 1", "heading 2"; 标题 2 carries the
// list's second level.
const govStyles = `<w:style w:type="paragraph" w:default="1" w:styleId="a"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/><w:basedOn w:val="a"/></w:style>
<w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 2"/><w:basedOn w:val="a"/><w:pPr><w:numPr><w:numId w:val="1"/><w:ilvl w:val="0"/></w:numPr></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="20"><w:name w:val="标题 2 字符"/><w:basedOn w:val="2"/></w:style>`

// noticeDOCX is the notice as a Word file: the title is a heading broken
// by a soft return, the 文号 is split over runs, the clauses are numbered
// by Word, a deleted revision and a text box's fallback copy must not
// show, and a table sits between the clauses.
func noticeDOCX() []byte {
	p := func(text string) string { return `<w:p><w:r><w:t>` + text + `</w:t></w:r></w:p>` }
	num := func(ilvl int, text string) string {
		return fmt.Sprintf(`<w:p><w:pPr><w:numPr><w:ilvl w:val="%d"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>%s</w:t></w:r></w:p>`, ilvl, text)
	}
	// Word prints the numbers, so the typed ones are dropped.
	strip := func(l string) string { return typedNumber.ReplaceAllString(l, "") }
	L := noticeLines
	body := p(L[0]) +
		`<w:p><w:r><w:t>浙政办发〔</w:t></w:r><w:r><w:rPr><w:rFonts w:ascii="Times New Roman"/></w:rPr><w:t>2023</w:t></w:r><w:r><w:t>〕12号</w:t></w:r></w:p>` +
		`<w:p><w:pPr><w:pStyle w:val="1"/><w:jc w:val="center"/></w:pPr><w:r><w:t>浙江省人民政府办公厅关于进一步支持</w:t></w:r><w:r><w:br/><w:t>小微企业发展的通知</w:t></w:r></w:p>` +
		p(L[3]) +
		`<w:p><w:r><w:tab/><w:t>为进一步支持小微企业发展，</w:t></w:r><w:del w:id="1" w:author="x"><w:r><w:delText>旧的措辞，</w:delText></w:r></w:del><w:ins w:id="2" w:author="x"><w:r><w:t>激发市场主体活力，</w:t></w:r></w:ins><w:r><w:t xml:space="preserve">经省政府同意，现就有关事项通知如下。</w:t></w:r></w:p>` +
		`<w:p><w:pPr><w:pStyle w:val="20"/></w:pPr><w:r><w:t>` + strip(L[5]) + `</w:t></w:r></w:p>` +
		num(1, strip(L[6])) + num(1, strip(L[7])) + num(2, strip(L[8])) +
		`<w:p><w:pPr><w:pStyle w:val="2"/></w:pPr><w:r><w:t>` + strip(L[9]) + `</w:t></w:r></w:p>` +
		num(1, strip(L[10])) +
		`<w:tbl><w:tblPr/><w:tr><w:tc><w:p><w:r><w:t>项目</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>标准</w:t></w:r></w:p></w:tc></w:tr>` +
		`<w:tr><w:tc><w:p><w:r><w:t>贷款贴息</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>最高100万元</w:t></w:r></w:p><w:p><w:r><w:t>按年度核定</w:t></w:r></w:p></w:tc></w:tr></w:tbl>` +
		num(0, strip(L[11])) +
		`<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>（此件公开发布）</w:t></w:r></w:p></w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>` +
		`<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>（此件公开发布）</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>` +
		`<w:p><w:pPr><w:jc w:val="right"/></w:pPr><w:r><w:t>` + L[12] + `</w:t></w:r></w:p>` +
		`<w:p><w:pPr><w:jc w:val="right"/></w:pPr><w:r><w:t>` + L[13] + `</w:t></w:r></w:p>`
	return makeDOCX(body, govStyles, govNumbering)
}

var typedNumber = regexp.MustCompile(`^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.)`)

// noticeDOCXText is what readText returns for noticeDOCX: the notice
// with the table's rows and the text box added where they stand.
func noticeDOCXText() string {
	L := noticeLines
	lines := append([]string{}, L[:11]...)
	lines = append(lines, "项目\t标准", "贷款贴息\t最高100万元 按年度核定", L[11], "（此件公开发布）", L[12], L[13])
	return strings.Join(lines, "\n")
}

// makeDOCX zips a minimal Word document around body (the children of
// w:body), with optional styles and numbering definitions. The entries
// carry a fixed time so the bytes are reproducible.
func makeDOCX(body, styles, numbering string) []byte {
	files := []struct{ name, data string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document ` + docxNS + `><w:body>` + body + `<w:sectPr/></w:body></w:document>`},
	}
	if styles != "" {
		files = append(files, struct{ name, data string }{"word/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles ` + docxNS + `>` + styles + `</w:styles>`})
	}
	if numbering != "" {
		files = append(files, struct{ name, data string }{"word/numbering.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering ` + docxNS + `>` + numbering + `</w:numbering>`})
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: fixtureTime})
		if err != nil {
			panic(err) // writing to memory cannot fail
		}
		_, _ = w.Write([]byte(f.data))
	}
	_ = zw.Close()
	return buf.Bytes()
}

// TestCurrentPolicyFolder reads a service centre's folder of current
// policies (corpus/testdata/wuxi2026, written for the purpose by someone
// who had not seen this code: web pages, one in GBK, with their metadata
// outside the article; Word files, one with a table; PDFs a browser
// printed; text and Markdown copied from pages with their breadcrumbs and
// tool bars) against its writer's list, and what its documents do to one
// another on 2026-11-30: one repealed from 2026-04-01, one extended to
// 2027-06-30, one yet to start. Two ends differ from the writer's, each
// of a document stating no single period of its own: 人社部发〔2024〕40号
// ends its measures on two days, each the period of its own clause, and
// 锡人社发〔2026〕28号 extends another's.
func TestCurrentPolicyFolder(t *testing.T) {
	lib := loadFolder(t, "testdata/wuxi2026/docs")
	want := map[string]listed{
		"xiaowei-shuifei-2023-12":             {"财政部 税务总局公告2023年第12号", "2023-08-02", "2023-01-01", "2027-12-31", "原文"},
		"yanfa-jiakou-2023-7":                 {"财政部 税务总局公告2023年第7号", "2023-03-26", "2023-01-01", "", "原文"},
		"xiaoguimo-zengzhishui-2023-19":       {"财政部 税务总局公告2023年第19号", "2023-08-01", "", "2027-12-31", "原文"},
		"wengang-fanhuan-2024":                {"人社部发〔2024〕40号", "2024-04-28", "", "", "原文"},
		"shebei-gengxin-tiexi-2024":           {"财金〔2024〕54号", "2024-06-20", "2024-06-20", "2024-12-31", "原文"},
		"sheng-shebei-gengxin-fangan-2024":    {"苏政办发〔2024〕41号", "2024-07-15", "", "", "原文"},
		"sheng-daikuan-fengxian-buchang-2025": {"苏财规〔2025〕3号", "2025-02-12", "2025-03-01", "2030-02-28", "原文"},
		"sheng-minying-jingji-2025":           {"苏政发〔2025〕18号", "2025-05-16", "2025-06-01", "", "原文"},
		"sheng-wengang-kuojiuye-2026":         {"苏人社发〔2026〕9号", "2026-02-10", "2026-01-01", "2026-12-31", "原文"},
		"wuxi-zhongxiao-jiekun-2023":          {"锡政办发〔2023〕45号", "2023-06-20", "2023-07-01", "2026-06-30", "原文"},
		"wuxi-shebei-tiexi-xize-2025":         {"锡财工贸〔2025〕16号", "2025-04-10", "2025-05-01", "2026-12-31", "原文"},
		"wuxi-qingnian-jianxi-2025":           {"锡人社发〔2025〕22号", "2025-06-25", "2025-07-01", "2026-06-30", "原文"},
		"wuxi-zhuanjingtexin-2026":            {"锡政办发〔2026〕12号", "2026-03-18", "2026-04-01", "2028-12-31", "原文"},
		"wuxi-zhuanjingtexin-jiedu":           {"", "2026-03-25", "", "", "解读"},
		"wuxi-jianxi-yanchang-2026":           {"锡人社发〔2026〕28号", "2026-06-15", "2026-07-01", "", "原文"},
		"wuxi-zhigai-shuzhuan-2027":           {"锡政发〔2026〕41号", "2026-11-12", "2027-01-01", "2029-12-31", "原文"},
	}
	checkListed(t, lib, want)
	for _, d := range lib.Documents() {
		for _, chrome := range []string{"当前位置", "字体", "｜", "规范性文件", "文号："} {
			if strings.Contains(d.Title, chrome) {
				t.Errorf("%s is titled %q", d.ID, d.Title)
			}
		}
	}
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for id, w := range map[string]Validity{
		"wuxi-zhongxiao-jiekun-2023":  {Status: StatusExpired, Until: "2026-04-01", Repealed: true},
		"wuxi-qingnian-jianxi-2025":   {Status: StatusInForce, Until: "2027-06-30", Extended: true},
		"wuxi-zhigai-shuzhuan-2027":   {Status: StatusInForce, Until: "2029-12-31", Starts: "2027-01-01"},
		"sheng-wengang-kuojiuye-2026": {Status: StatusInForce, Until: "2026-12-31", EndsSoon: true},
	} {
		d, _ := lib.Document(id)
		got := d.Validity(now)
		got.Because = ""
		if got != w {
			t.Errorf("%s on 2026-11-30: %+v, want %+v", id, got, w)
		}
	}
}

// TestItemCompilationFolder reads a 厦门 centre's late-2022 folder
// (corpus/testdata/xiamen2022, written for the purpose by someone who had
// not seen this code) against its writer's list: a Word 汇编 of 55 policy
// items in five parts, each item's fields labelled in brackets
// (【政策内容】…【政策依据】《…的通知》（厦府办规〔2022〕7号）), under a cover,
// a preface numbered 一、 to 四、 and a table of contents; a 热点问答
// compiled by a service centre and a hotline (…　整理, （更新至…）); an
// interpretation copied to Markdown, its metadata as list items; a
// province's page under its site's name; a city's page saved in GBK with
// its title in a block holding its date line; a page copied to Markdown
// with its metadata in a two-column table under a rule. First read, the
// 汇编 was four documents titled by its items' bases, its items cited as
// the preface's 四1 to 四55 and its contents a clause of their own; the
// others' titles held the site's name, a link, a table or a 文号.
func TestItemCompilationFolder(t *testing.T) {
	lib := loadFolder(t, "testdata/xiamen2022/docs")
	// The writer's list; two ends differ: 厦人社〔2022〕56号 states each
	// measure's period and none of its own, and the 汇编 and the
	// interpretation state none.
	want := map[string]listed{
		"huibian-2022":                             {"", "2022-11-10", "", "", "原文"},
		"minzheng-2022-5-kejixing-zhongxiaoqiye":   {"闽政〔2022〕5号", "2022-02-25", "2022-03-01", "2025-02-28", "原文"},
		"xiafubangui-2022-4-zhongxiaowei-shukun":   {"厦府办规〔2022〕4号", "2022-05-31", "2022-05-31", "2022-12-31", "原文"},
		"xiafubangui-2021-9-zhongxiaowei-wending":  {"厦府办规〔2021〕9号", "2021-09-28", "2021-09-28", "2022-12-31", "原文"},
		"xiarenshe-2022-56-shiyebaoxian-wengang":   {"厦人社〔2022〕56号", "2022-06-15", "2022-06-15", "", "原文"},
		"mincaishui-2022-6-liushuiliangfei":        {"闽财税〔2022〕6号", "2022-03-25", "2022-01-01", "2024-12-31", "原文"},
		"mincaishui-2023-12-liushuiliangfei-yanxu": {"闽财税〔2023〕12号", "2023-08-18", "2023-01-01", "2027-12-31", "原文"},
		"wenda-2022-huiqi-redian":                  {"", "2022-11-15", "", "", "解读"},
		"jiedu-xiafubangui-2022-4":                 {"", "2022-06-01", "", "", "解读"},
	}
	checkListed(t, lib, want)
	checkTitles(t, lib, map[string]string{
		"huibian-2022":                             "厦门市2022年惠企政策汇编",
		"minzheng-2022-5-kejixing-zhongxiaoqiye":   "福建省人民政府关于印发福建省进一步促进科技型中小企业高质量发展若干措施的通知",
		"xiafubangui-2022-4-zhongxiaowei-shukun":   "厦门市人民政府办公厅关于印发厦门市进一步支持中小微企业纾困发展若干措施的通知",
		"xiafubangui-2021-9-zhongxiaowei-wending":  "厦门市人民政府办公厅关于印发厦门市支持中小微企业稳定发展若干措施的通知",
		"xiarenshe-2022-56-shiyebaoxian-wengang":   "厦门市人力资源和社会保障局 厦门市财政局 国家税务总局厦门市税务局关于做好2022年失业保险稳岗位提技能防失业工作的通知",
		"mincaishui-2022-6-liushuiliangfei":        "福建省财政厅 国家税务总局福建省税务局 厦门市财政局 国家税务总局厦门市税务局关于进一步实施小微企业“六税两费”减免政策的通知",
		"mincaishui-2023-12-liushuiliangfei-yanxu": "福建省财政厅 国家税务总局福建省税务局 厦门市财政局 国家税务总局厦门市税务局关于延续实施小微企业和个体工商户“六税两费”减征政策的通知",
		"wenda-2022-huiqi-redian":                  "厦门市2022年惠企政策热点问答",
		"jiedu-xiafubangui-2022-4":                 "厦门市发展和改革委员会《厦门市进一步支持中小微企业纾困发展若干措施》政策解读",
	})
	// Under the 问答's title, a labelled line of sentences is its text,
	// not metadata.
	if qa, _ := lib.Document("wenda-2022-huiqi-redian"); len(qa.Chunks) == 0 || !strings.HasPrefix(qa.Chunks[0].Text, "说明：本问答根据") {
		t.Errorf("the 问答's first clause does not hold its 说明")
	}
	// The 汇编's items are its clauses, cited by their numbers; neither
	// its contents nor its preface holds them.
	d, _ := lib.Document("huibian-2022")
	items := map[string]bool{}
	for _, c := range d.Chunks {
		if strings.Contains(c.Text, "政策咨询电话一览表 17") || strings.Contains(c.Text, "增值税期末留抵退税 1\n") {
			t.Errorf("clause %s holds the table of contents:\n%s", c.Label, c.Text)
		}
		if _, err := strconv.Atoi(c.Label); err == nil {
			items[c.Label] = true
		}
	}
	if len(items) != 55 {
		t.Errorf("%d items cited by their numbers, want 55", len(items))
	}
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	// An item's own 【执行期限】 is its period, though its 适用对象 repeats
	// the definition of 小型微利企业 that the extended 六税两费 notice
	// prints too.
	for _, c := range d.Chunks {
		if c.Label != "4" {
			continue
		}
		want := []Validity{{Status: StatusExpired, Until: "2024-12-31", Because: BecauseClause}}
		if got := lib.ClauseValidity(c, now); !slices.Equal(got, want) {
			t.Errorf("item 4 on 2026-11-30: %+v, want %+v", got, want)
		}
	}
	for id, w := range map[string]Validity{
		"xiafubangui-2021-9-zhongxiaowei-wending": {Status: StatusExpired, Until: "2022-05-31", Repealed: true},
		"mincaishui-2022-6-liushuiliangfei":       {Status: StatusInForce, Until: "2027-12-31", Extended: true},
	} {
		d, _ := lib.Document(id)
		got := d.Validity(now)
		got.Because = ""
		if got != w {
			t.Errorf("%s on 2026-11-30: %+v, want %+v", id, got, w)
		}
	}
}

// listed is what a corpus's writer lists of a document: its 文号, issue
// date, start, stated end and kind.
type listed struct{ docNo, issued, from, until, kind string }

// checkTitles holds documents, by id, to the titles their writer lists.
func checkTitles(t *testing.T, lib *Library, want map[string]string) {
	t.Helper()
	for id, title := range want {
		if d, _ := lib.Document(id); d.Title != title {
			t.Errorf("%s is titled %q, want %q", id, d.Title, title)
		}
	}
}

// checkListed holds a folder's documents to its writer's list.
func checkListed(t *testing.T, lib *Library, want map[string]listed) {
	t.Helper()
	docs := lib.Documents()
	if len(docs) != len(want) {
		t.Fatalf("%d documents, want %d", len(docs), len(want))
	}
	for _, d := range docs {
		w, ok := want[d.ID]
		if !ok {
			t.Errorf("document %s not in the writer's list", d.ID)
			continue
		}
		if got := (listed{d.DocNo, d.Issued, d.EffectiveFrom, d.EffectiveUntil, d.Kind}); got != w {
			t.Errorf("%s: %+v, want %+v", d.ID, got, w)
		}
	}
}

// TestWordFolder reads a 青岛 centre's 2020 Word folder
// (corpus/testdata/qingdao2020, written for the purpose by someone who had
// not seen this code) against its writer's list: files named in Chinese
// (by digits alone, 青人社发〔2020〕5号 and a 鲁…5号 would be one id), joint
// red heads with a name spaced out to the others' width (青　岛　市　财　政
// 局) and 文件 on a line of its own, joint issuers wrapped over two title
// lines, a 清单 as a Word table with group rows across it and a merged
// 责任部门, and a notice whose file carries its interpretation after its
// 版记 (read as two documents, the writer's one). First read, four titles
// were 文件 or a spaced name, three 文号 were lost, and the 清单's rows lost
// their columns' names under its first group row.
func TestWordFolder(t *testing.T) {
	lib := loadFolder(t, "testdata/qingdao2020/docs")
	// The writer's list: 青金监发〔2020〕4号's period is the window of the
	// loans it applies to (本通知适用于2020年1月25日至2020年6月30日期间到期的…).
	checkListed(t, lib, map[string]listed{
		"zxwqydkyqhbfxtz-qjjf-2020-4h":         {"青金监发〔2020〕4号", "2020-03-10", "2020-01-25", "2020-06-30", "原文"},
		"sdsrlzyhshbzt-sdscztgykzygdxgzdtz":    {"鲁人社发〔2020〕15号", "2020-05-11", "2020-05-11", "2020-12-31", "原文"},
		"qrsf-2020-19hyzjmsbfqx":               {"青人社发〔2020〕19号", "2020-06-29", "2020-06-29", "2020-12-31", "原文"},
		"qrsf-2020-5h-jdxjmsbf":                {"青人社发〔2020〕5号", "2020-03-02", "2020-02-01", "2020-06-30", "原文"},
		"qds2020nhqskzcqd-7y15rb":              {"", "2020-07-15", "", "", "原文"},
		"qzbf-2020-11h-xg3hwdwtdjt-01":         {"青政办发〔2020〕11号", "2020-04-24", "2020-04-24", "", "原文"},
		"qzbf-2020-11h-xg3hwdwtdjt-02":         {"", "", "", "", "解读"},
		"qzbf-2020-3h-zxwqyrgzccs":             {"青政办发〔2020〕3号", "2020-02-10", "2020-02-10", "2020-12-31", "原文"},
		"qzf-2020-9h-jybwdhkdjydssyj":          {"青政发〔2020〕9号", "2020-05-18", "2020-06-01", "2022-12-31", "原文"},
		"lzbf-2020-6h-gyydyqzczxqypwjkfzdrgyj": {"鲁政办发〔2020〕6号", "2020-02-05", "2020-02-05", "2020-06-30", "原文"},
		"lcs-2020-7h":                          {"鲁财税〔2020〕7号", "2020-03-06", "2020-01-01", "2020-12-31", "原文"},
	})
	checkTitles(t, lib, map[string]string{
		"qrsf-2020-5h-jdxjmsbf":        "青岛市人力资源和社会保障局 青岛市财政局 国家税务总局青岛市税务局关于贯彻落实阶段性减免企业社会保险费政策的通知",
		"lcs-2020-7h":                  "山东省财政厅 国家税务总局山东省税务局关于落实疫情防控期间税费支持政策有关事项的通知",
		"zxwqydkyqhbfxtz-qjjf-2020-4h": "青岛市地方金融监督管理局 中国人民银行青岛市中心支行 中国银行保险监督管理委员会青岛监管局关于做好中小微企业贷款临时性延期还本付息工作的通知",
		"qds2020nhqskzcqd-7y15rb":      "青岛市2020年惠企纾困政策清单",
	})
	d, _ := lib.Document("qds2020nhqskzcqd-7y15rb")
	if !strings.Contains(d.Body, "执行期限：2020年1月1日至2020年12月31日；政策依据：财政部 税务总局公告2020年第8号") {
		t.Errorf("the 清单's rows lost their columns' names:\n%s", d.Body[:min(len(d.Body), 800)])
	}
	checkExtended(t, lib, "qrsf-2020-5h-jdxjmsbf", "2020-12-31")
}

// checkExtended holds a document, on 2026-11-30, to have ended on until
// as another document extended it.
func checkExtended(t *testing.T, lib *Library, id, until string) {
	t.Helper()
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	d, _ := lib.Document(id)
	if got := d.Validity(now); got != (Validity{Status: StatusExpired, Until: until, Because: d.ExtendedBy, Extended: true}) || d.ExtendedBy == "" {
		t.Errorf("%s (%s) on 2026-11-30: %+v, want extended to %s", id, d.DocNo, got, until)
	}
}
