package corpus

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/klippa-app/go-pdfium/responses"
)

// TestReadPDFAccuracy measures the reader on the generated notice: the
// characters it extracts, white space removed, against the text the PDF
// was made from, and the paragraphs it rebuilds.
func TestReadPDFAccuracy(t *testing.T) {
	got, err := readText(context.Background(), "notice.pdf", readFixture(t, "notice.pdf"))
	if err != nil {
		t.Fatalf("readText: %v", err)
	}
	src, out := []rune(squeezeAll(noticeText())), []rune(squeezeAll(got))
	dist := editDistance(src, out)
	t.Logf("characters: %d in the source, %d extracted, edit distance %d (%.1f%% correct)", len(src), len(out), dist, 100*(1-float64(dist)/float64(len(src))))
	if dist != 0 {
		t.Errorf("extracted characters differ from the source:\n got %s\nwant %s", string(out), string(src))
	}
	if gotLines := strings.Split(got, "\n"); len(gotLines) != len(noticeLines) {
		t.Errorf("%d lines, want the source's %d paragraphs:\n%s", len(gotLines), len(noticeLines), got)
	}
}

func squeezeAll(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func editDistance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// TestReadPDFStops: reading ends when the caller's context does, and the
// pool keeps working after an instance was killed mid-read.
func TestReadPDFStops(t *testing.T) {
	data := readFixture(t, "notice.pdf")
	// Start PDFium first, so the deadlines below fall on the reading.
	if _, err := readText(context.Background(), "a.pdf", data); err != nil {
		t.Fatalf("readText: %v", err)
	}
	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := readText(ctx, "a.pdf", data)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if errors.Is(err, ErrDamaged) {
			t.Errorf("a cancelled read blames the file: %v", err)
		}
	})
	t.Run("deadline during the read", func(t *testing.T) {
		for _, d := range []time.Duration{time.Microsecond, 100 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond} {
			ctx, cancel := context.WithTimeout(context.Background(), d)
			start := time.Now()
			_, err := readText(ctx, "a.pdf", data)
			cancel()
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("after %v: err = %v, want nil or context.DeadlineExceeded", d, err)
			}
			took := time.Since(start)
			if took > 5*time.Second {
				t.Errorf("after %v: reading took %v to stop", d, took)
			}
			t.Logf("deadline %v: stopped after %v: %v", d, took, err)
		}
	})
	t.Run("the document's own time runs out", func(t *testing.T) {
		defer func(d, p time.Duration) { pdfTimeout, pdfPageTime = d, p }(pdfTimeout, pdfPageTime)
		pdfTimeout, pdfPageTime = time.Nanosecond, 0
		_, err := readText(context.Background(), "a.pdf", data)
		if !errors.Is(err, ErrDamaged) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "took longer than") {
			t.Fatalf("err = %v, want a damaged-file error for taking too long", err)
		}
		checkReadError(t, err)
	})
	t.Run("the pool recovers", func(t *testing.T) {
		got, err := readText(context.Background(), "a.pdf", data)
		if err != nil || got != noticeText() {
			t.Fatalf("after killed reads: err = %v, text:\n%s", err, got)
		}
	})
}

// TestReadPDFConcurrent reads from several goroutines at once, more than
// there are instances.
func TestReadPDFConcurrent(t *testing.T) {
	data := readFixture(t, "notice.pdf")
	var wg sync.WaitGroup
	errs := make([]error, 2*pdfInstances+1)
	for i := range errs {
		wg.Go(func() {
			got, err := readText(context.Background(), "a.pdf", data)
			if err == nil && got != noticeText() {
				err = errors.New("wrong text: " + got)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("reader %d: %v", i, err)
		}
	}
}

func TestPDFJoinLines(t *testing.T) {
	// A page as PDFium reports it: 16 pt body in a block from x 80 to
	// 520, paragraphs indented by position rather than by spaces.
	line := func(top, left, right, h float64, text string) pdfLine {
		return pdfLine{left: left, right: right, top: top, bottom: top - h, text: text}
	}
	tests := []struct {
		name  string
		lines []pdfLine
		want  string
	}{
		{
			name: "paragraph indented by position",
			lines: []pdfLine{
				line(700, 112, 519, 16, "为进一步支持小微企业发展，激发市场主体活力，经省政"),
				line(676, 80, 300, 16, "府同意，现就有关事项通知如下。"),
				line(652, 112, 520, 16, "（一）对符合条件的小微企业新增贷款给予贴息，贴息比"),
				line(628, 80, 518, 16, "例不超过贷款市场报价利率的50%，单户企业年度贴息额最高"),
				line(604, 80, 200, 16, "不超过100万元。"),
			},
			want: "为进一步支持小微企业发展，激发市场主体活力，经省政府同意，现就有关事项通知如下。\n" +
				"（一）对符合条件的小微企业新增贷款给予贴息，贴息比例不超过贷款市场报价利率的50%，单户企业年度贴息额最高不超过100万元。",
		},
		{
			name: "an unindented clause after a full line starts a paragraph",
			lines: []pdfLine{
				line(700, 80, 519, 16, "一、总体要求。坚持稳中求进工作总基调，完整准确全面贯"),
				line(676, 80, 519, 16, "彻新发展理念，着力推动高质量发展，全面落实各项政策措"),
				line(652, 80, 520, 16, "二、主要任务。加快建设现代化产业体系，推动传统产业转"),
				line(628, 80, 300, 16, "型升级。"),
			},
			want: "一、总体要求。坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，着力推动高质量发展，全面落实各项政策措\n二、主要任务。加快建设现代化产业体系，推动传统产业转型升级。",
		},
		{
			name: "a gap, a larger size and a right-set signature break",
			lines: []pdfLine{
				line(760, 80, 520, 22, "浙江省人民政府办公厅关于进一步支持小微企"),
				line(730, 230, 370, 22, "业发展的通知"),
				line(690, 80, 519, 16, "各市、县（市、区）人民政府，省政府直属各单位：正文正好"),
				line(620, 80, 519, 16, "写满一行之后隔了很大的空白才有下一行文字，不是续行文字"),
				line(596, 360, 519, 16, "浙江省人民政府办公厅"),
				line(572, 400, 500, 16, "2023年3月15日"),
			},
			want: "浙江省人民政府办公厅关于进一步支持小微企业发展的通知\n各市、县（市、区）人民政府，省政府直属各单位：正文正好\n写满一行之后隔了很大的空白才有下一行文字，不是续行文字\n浙江省人民政府办公厅\n2023年3月15日",
		},
		{
			// Each one-line item starts at the indent, more lines than the
			// paragraph's later ones start at the margin.
			name: "many indented one-line items; a paragraph runs on at the margin",
			lines: []pdfLine{
				line(700, 112, 519, 16, "第七条 审核流程：企业向注册地工业和信息化部门申报；注"),
				line(676, 80, 300, 16, "册地部门在15个工作日内完成初审。"),
				line(652, 112, 300, 16, "1. 设备更新贷款贴息申请表；"),
				line(628, 112, 260, 16, "2. 营业执照；"),
				line(604, 112, 300, 16, "3. 贷款合同及借款借据；"),
				line(580, 112, 280, 16, "4. 银行出具的付息凭证。"),
				line(556, 112, 519, 16, "第八条 企业以虚假材料骗取贴息资金的，追回已拨付资金，"),
				line(532, 80, 360, 16, "三年内不得申报市级财政专项资金。"),
			},
			want: "第七条 审核流程：企业向注册地工业和信息化部门申报；注册地部门在15个工作日内完成初审。\n" +
				"1. 设备更新贷款贴息申请表；\n2. 营业执照；\n3. 贷款合同及借款借据；\n4. 银行出具的付息凭证。\n" +
				"第八条 企业以虚假材料骗取贴息资金的，追回已拨付资金，三年内不得申报市级财政专项资金。",
		},
		{
			name: "a paragraph runs on across a page; page numbers go",
			lines: []pdfLine{
				line(120, 112, 519, 16, "（二）对首次升级为规模以上工业企业的小微企业，由所"),
				line(60, 440, 520, 12, "— 1 —"),
				{page: 1, left: 80, right: 300, top: 760, bottom: 744, text: "在地政府给予奖励。"},
				{page: 1, left: 110, right: 200, top: 60, bottom: 48, text: "- 2 -"},
			},
			want: "（二）对首次升级为规模以上工业企业的小微企业，由所在地政府给予奖励。",
		},
		{
			name: "a book's running head goes, a paragraph runs on under it",
			lines: []pdfLine{
				{page: 0, left: 200, right: 400, top: 800, bottom: 788, text: "某市惠企政策汇编"},
				line(120, 112, 519, 16, "（二）对首次升级为规模以上工业企业的小微企业，由所"),
				{page: 1, left: 200, right: 400, top: 800, bottom: 788, text: "某市惠企政策汇编"},
				{page: 1, left: 80, right: 519, top: 760, bottom: 744, text: "在地政府给予奖励，奖励资金由市、区两级财政按比例分担"},
				{page: 1, left: 80, right: 300, top: 736, bottom: 720, text: "某市惠企政策汇编的说明。"},
				{page: 2, left: 200, right: 400, top: 800, bottom: 788, text: "某市惠企政策汇编"},
				{page: 2, left: 112, right: 300, top: 760, bottom: 744, text: "（三）其他。"},
			},
			want: "（二）对首次升级为规模以上工业企业的小微企业，由所在地政府给予奖励，奖励资金由市、区两级财政按比例分担某市惠企政策汇编的说明。\n（三）其他。",
		},
		{
			name: "Latin words across a break keep a space",
			lines: []pdfLine{
				line(700, 80, 519, 16, "依据 Regulation (EU) 2016/679 General Data Protection"),
				line(676, 80, 200, 16, "Regulation 执行。"),
				line(652, 80, 519, 16, "第二行正好写满一行之后紧接着的一行从左边开始但是数字"),
				line(628, 80, 300, 16, "2023年起施行。"),
			},
			want: "依据 Regulation (EU) 2016/679 General Data Protection Regulation 执行。\n第二行正好写满一行之后紧接着的一行从左边开始但是数字2023年起施行。",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pages [][]pdfLine
			for _, l := range tt.lines {
				for len(pages) <= l.page {
					pages = append(pages, nil)
				}
				pages[l.page] = append(pages[l.page], l)
			}
			got, err := pdfText(pages)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// FuzzReadPDF feeds PDFium damaged files: each must give text or an
// error within the deadline, never a crash or a hang.
func FuzzReadPDF(f *testing.F) {
	pdf := readFixture(f, "notice.pdf")
	f.Add(pdf)
	f.Add(pdf[:len(pdf)/2])
	f.Add(readFixture(f, "scanned.pdf"))
	f.Add(readFixture(f, "notice-user-password.pdf"))
	f.Add([]byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		text, err := readText(ctx, "f.pdf", data)
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("reading took %v", took)
		}
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				checkReadError(t, err)
			}
			return
		}
		checkReadText(t, text)
	})
}

// TestReadPDFTiming measures what the first and later PDFs cost, with the
// compiled module cached or not. It runs alone, on request, in a fresh
// process: PDF_MEASURE=cold or warm go test ./corpus -run TestReadPDFTiming -v
func TestReadPDFTiming(t *testing.T) {
	mode := os.Getenv("PDF_MEASURE")
	if mode == "" {
		t.Skip("set PDF_MEASURE=cold (no compilation cache) or warm (the user cache) to measure")
	}
	if mode == "cold" {
		none := ""
		pdfCacheDir = &none
	}
	data := readFixture(t, "notice.pdf")
	for i := range 6 {
		start := time.Now()
		if _, err := readText(context.Background(), "a.pdf", data); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: document %d: %v", mode, i+1, time.Since(start))
	}
}

// TestPDFPageLines: runs as PDFium gives them for a page a browser
// printed, one box per glyph, each as tight as its ink: 一 a thin stroke,
// 、 and ， set low. They are one line, and full-width punctuation's
// narrow box makes no space.
func TestPDFPageLines(t *testing.T) {
	glyph := func(left, right, bottom, top float64, text string) *responses.GetPageTextStructuredRect {
		return &responses.GetPageTextStructuredRect{Text: text, PointPosition: responses.CharPosition{Left: left, Right: right, Bottom: bottom, Top: top}}
	}
	rects := []*responses.GetPageTextStructuredRect{
		glyph(93.0, 103.4, 583.60, 584.86, "一"),
		glyph(104.2, 107.9, 577.73, 581.45, "、"),
		glyph(116.6, 127.8, 578.20, 589.31, "对"),
		glyph(128.6, 138.3, 578.04, 589.03, "月"),
		glyph(139.0, 142.5, 576.90, 580.10, "，"),
		glyph(152.6, 163.6, 578.16, 589.44, "免"),
		glyph(164.5, 175.9, 578.04, 589.36, "征"),
		glyph(176.4, 179.9, 577.10, 580.30, "。"),
		glyph(93.0, 104.4, 555.20, 566.40, "二"),
		glyph(105.2, 108.9, 554.73, 558.45, "、"),
		glyph(116.6, 127.8, 555.20, 566.31, "本"),
		glyph(160.0, 171.2, 555.20, 566.31, "号"),
	}
	var got []string
	for _, l := range pdfPageLines(0, rects) {
		got = append(got, l.text)
	}
	if want := []string{"一、对月，免征。", "二、本 号"}; !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
}
