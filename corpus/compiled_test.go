package corpus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// compiledLines are the lines of a made-up compilation's parts, joined by
// the tests into files: how provinces print their 汇编, as text.
var compiledLines = map[string]string{
	"cover":          "某市惠企政策汇编\n（2024年版）\n某市营商环境建设局 编\n前言\n为方便企业及时了解和享受政策，我们将近年来出台的惠企政策汇编成册，供参考。",
	"contents":       "目录\n某市人民政府关于支持小微企业发展的若干意见\n某市财政局关于印发《某市技术改造专项资金管理办法》的通知",
	"opinions":       "某市人民政府\n关于支持小微企业发展的若干意见\n某政发〔2023〕5号\n各区县人民政府，市政府各部门：\n一、对新设立的小微企业，给予一次性开办补贴2万元。\n二、小微企业首次贷款的，按贷款利息的50%给予贴息，每家每年最高20万元。\n三、本意见自印发之日起施行，有效期3年。\n某市人民政府\n2023年3月1日",
	"notice":         "某市财政局\n关于印发《某市技术改造专项资金\n管理办法》的通知\n某财企〔2023〕12号\n各区县财政局：\n现将《某市技术改造专项资金管理办法》印发给你们，请遵照执行。\n某市财政局\n2023年6月8日\n某市技术改造专项资金管理办法\n第一条 为推动企业技术改造，制定本办法。\n第二条 对设备投资500万元以上的技术改造项目，按设备投资额的10%给予补助，最高500万元。\n第三条 本办法自2023年7月1日起施行，有效期至2025年12月31日。",
	"measures":       "某市支持企业上市若干措施\n为推动更多企业利用资本市场做大做强，结合本市实际，制定如下措施。\n一、企业在境内主板上市的，给予一次性奖励300万元。\n二、企业在新三板挂牌的，给予一次性奖励50万元。\n三、本措施自2024年1月1日起施行。",
	"interp-a":       "某市发展和改革委员会\n支持民营经济发展政策措施解读\n一、出台背景\n为贯彻落实国家关于促进民营经济发展壮大的部署，我委牵头起草了支持民营经济发展的政策措施。\n二、主要内容\n政策措施共十条，涵盖市场准入、要素保障等方面。",
	"interp-b":       "某市财政局\n支持民营经济发展政策措施解读\n一、财政支持\n市财政每年安排专项资金支持民营企业发展，对符合条件的企业给予奖励。\n二、政府采购\n预留采购份额的40%以上面向中小企业。",
	"unquoted":       "某市人民政府办公厅关于印发某市科技企业孵化器认定和管理办法的通知\n某政办函〔2022〕65号\n各区、县（市）人民政府，市政府各部门：\n《某市科技企业孵化器认定和管理办法》已经市政府同意，现印发给你们，请认真贯彻实施。\n某市人民政府办公厅\n2022年12月20日\n（此件公开发布）\n某市科技企业孵化器认定和管理办法\n第一章 总则\n第一条 为推动我市科技企业孵化器高质量发展，制定本办法。\n第二条 本办法自2023年1月1日起施行，有效期3年。",
	"numbered":       "1. 某省财政厅 某省税务局关于小微企业房产税减免的公告\n某省财政厅 某省税务局公告2023年第4号\n一、对小微企业自用房产，按50%减征房产税。\n二、本公告执行至2027年12月31日。\n2. 某省税务局关于优化办税服务的公告\n某省税务局公告2023年第9号\n一、纳税人可通过电子税务局办理全部涉税事项，不再需要到税务机关现场办理。\n二、本公告自2023年9月1日起施行。",
	"numbered-docno": "1．某省人民政府办公厅关于促进外贸稳定增长的若干意见（某政办发〔2019〕6号）\n为推动外贸稳定增长，经省人民政府同意，提出如下意见。\n一、对新开拓国际市场的企业，给予参展费用50%的补助。\n二、本意见自印发之日起施行。\n2．某省商务厅关于跨境电商发展的通知（某商发〔2019〕9号）\n为促进跨境电商发展，现就有关事项通知如下。\n一、对新建跨境电商产业园给予一次性奖励200万元。\n二、本通知自印发之日起施行。",
	"web":            "索引号：002482070/2024-00108\n发文机关：某市人民政府办公厅\n发文字号：某政办发〔2024〕8号\n成文日期：2024-01-26\n某市人民政府办公厅关于促进青年就业创业的若干措施\n各区、县（市）人民政府，市政府直属各单位：\n一、对新招用离校2年内未就业高校毕业生的企业，按每人1500元给予一次性扩岗补助。\n二、本措施自2024年2月1日起施行，有效期至2026年12月31日。\n某市人民政府办公厅\n2024年1月26日\n（此件公开发布）",
	"web2":           "索引号：002482070/2024-00215\n发文机关：某市财政局\n发文字号：某财企〔2024〕3号\n成文日期：2024-03-05\n某市财政局关于数字化改造补助的通知\n各区、县（市）财政局：\n对中小企业实施数字化改造的，按投资额的20%给予补助，最高100万元。本通知自印发之日起施行。\n某市财政局\n2024年3月5日",
	"table-end":      "某市重点产业目录的通知\n某发改〔2023〕9号\n各区县发展改革局：\n现将本市重点产业目录公布如下，请遵照执行。\n序号\n产业\n1\n集成电路\n2\n生物医药",
	"division":       "第二部分\n财政领域",
}

// compiled joins parts into a file's lines.
func compiled(parts ...string) []string {
	var lines []string
	for _, p := range parts {
		lines = append(lines, strings.Split(compiledLines[p], "\n")...)
	}
	return lines
}

func TestSplitCompiled(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
		// The first line of each document found; none when the file is
		// one document.
		want []string
	}{
		{"one notice", []string{"opinions"}, nil},
		{"one notice and the measures it issues", []string{"notice"}, nil},
		{"measures issued by a title without 《》, after a note", []string{"unquoted"}, nil},
		{"measures issued without 《》, then another document", []string{"unquoted", "opinions"}, []string{"某市人民政府办公厅关于印发某市科技企业孵化器认定和管理办法的通知", "某市人民政府"}},
		{"two documents", []string{"opinions", "notice"}, []string{"某市人民政府", "某市财政局"}},
		{"cover, preface and contents are not documents", []string{"cover", "contents", "opinions", "notice", "measures"},
			[]string{"某市人民政府", "某市财政局", "某市支持企业上市若干措施"}},
		{"a title without header, after a signature", []string{"opinions", "measures"}, []string{"某市人民政府", "某市支持企业上市若干措施"}},
		{"one title, two issuers' interpretations", []string{"interp-a", "interp-b", "opinions"},
			[]string{"某市发展和改革委员会", "某市财政局", "某市人民政府"}},
		{"titles numbered by the compilation", []string{"numbered"}, []string{"某省财政厅 某省税务局关于小微企业房产税减免的公告", "某省税务局关于优化办税服务的公告"}},
		{"numbered titles with their 文号 in brackets", []string{"numbered-docno"}, []string{"某省人民政府办公厅关于促进外贸稳定增长的若干意见（某政办发〔2019〕6号）", "某省商务厅关于跨境电商发展的通知（某商发〔2019〕9号）"}},
		{"web pages' metadata blocks", []string{"web", "web2"}, []string{"索引号：002482070/2024-00108", "索引号：002482070/2024-00215"}},
		{"the compilation's divisions between documents", []string{"opinions", "division", "notice"}, []string{"某市人民政府", "某市财政局"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, docs := splitCompiled(compiled(tt.parts...))
			var got []string
			for _, d := range docs {
				got = append(got, d[0])
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("documents start with %q, want %q", got, tt.want)
			}
			for _, d := range docs {
				if last := d[len(d)-1]; last == "财政领域" || last == "第二部分" {
					t.Errorf("a document ends with the compilation's division %q", last)
				}
			}
		})
	}
}

// TestSalutation: the line a notice addresses its recipients on confirms
// a title above it; a sentence of the text ending in a colon does not,
// or an interpretation's numbered heading (二、固定资产加速折旧政策) over
// 根据《…》（…96号），自2015年1月1日起： reads as a document's title.
func TestSalutation(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"各市州、县市区人民政府，省政府各厅委、各直属机构：", true},
		{"各省、自治区、直辖市、计划单列市财政厅（局）、国家税务局、地方税务局：", true},
		{"各有关单位：", true},
		{"根据《财政部 国家税务总局关于进一步完善固定资产加速折旧企业所得税政策的通知》（财税〔2015〕96号），自2015年1月1日起：", false},
		{"为加大对化解过剩产能企业稳定岗位的支持，对有关规定作如下修改：", false},
		{"申请认定的企业须同时满足以下条件：", false},
		{"一、总体要求：", false},
		{"各市州人民政府", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			if got := salutation(tt.line); got != tt.want {
				t.Errorf("salutation = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompiledYear(t *testing.T) {
	docs := []Document{{Issued: "2017-05-02"}, {DocNo: "某财〔2018〕3号"}, {}}
	tests := []struct {
		name  string
		front []string
		want  int
	}{
		{"the newest document", nil, 2018},
		{"a date in the preface", []string{"前言", "2019年12月4日，全省民营经济发展工作推进会召开。"}, 2019},
		{"a target year is no date", []string{"力争到2025年，培育一批专精特新企业。"}, 2018},
		{"a date in Chinese numerals", []string{"二〇二〇年一月"}, 2018},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compiledYear(tt.front, docs); got != tt.want {
				t.Errorf("compiledYear = %d, want %d", got, tt.want)
			}
		})
	}
}

// A document's last lines that look like a division (a table's last
// cells) stay the document's.
func TestSplitCompiledKeepsTableEnd(t *testing.T) {
	_, docs := splitCompiled(compiled("table-end", "opinions"))
	if len(docs) != 2 {
		t.Fatalf("%d documents, want 2", len(docs))
	}
	if last := docs[0][len(docs[0])-1]; last != "生物医药" {
		t.Errorf("the table's document ends with %q, want its last cell 生物医药", last)
	}
}

// A compilation in a corpus folder is loaded as its documents, each read
// as any document is: title, 文号, dates, period.
func TestLoadCompilation(t *testing.T) {
	dir := t.TempDir()
	text := strings.Join(compiled("cover", "contents", "opinions", "notice", "measures"), "\n")
	text += "\n" + strings.Join(compiled("numbered", "web", "web2"), "\n")
	want := []struct{ id, title, docNo, issued, until string }{
		{"huibian-2024-01", "某市人民政府关于支持小微企业发展的若干意见", "某政发〔2023〕5号", "2023-03-01", "2026-02-28"},
		{"huibian-2024-02", "某市财政局关于印发《某市技术改造专项资金管理办法》的通知", "某财企〔2023〕12号", "2023-06-08", "2025-12-31"},
		{"huibian-2024-03", "某市支持企业上市若干措施", "", "", ""},
		{"huibian-2024-04", "某省财政厅 某省税务局关于小微企业房产税减免的公告", "某省财政厅 某省税务局公告2023年第4号", "", "2027-12-31"},
		{"huibian-2024-05", "某省税务局关于优化办税服务的公告", "某省税务局公告2023年第9号", "", ""},
		{"huibian-2024-06", "某市人民政府办公厅关于促进青年就业创业的若干措施", "某政办发〔2024〕8号", "2024-01-26", "2026-12-31"},
		{"huibian-2024-07", "某市财政局关于数字化改造补助的通知", "某财企〔2024〕3号", "2024-03-05", ""},
	}
	if err := os.WriteFile(filepath.Join(dir, "huibian-2024.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	lib, err := Load(Options{Dirs: []string{dir}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs := lib.Documents()
	if len(docs) != len(want) {
		t.Fatalf("%d documents, want %d", len(docs), len(want))
	}
	for i, w := range want {
		d := docs[i]
		if d.ID != w.id || d.Title != w.title || d.DocNo != w.docNo || d.Issued != w.issued || d.EffectiveUntil != w.until {
			t.Errorf("document %d = %s %q %q issued %q until %q, want %s %q %q issued %q until %q",
				i+1, d.ID, d.Title, d.DocNo, d.Issued, d.EffectiveUntil, w.id, w.title, w.docNo, w.issued, w.until)
		}
	}
	for _, d := range docs {
		if d.Compiled != 2024 {
			t.Errorf("%s: compiled %d, want 2024, its newest document's year", d.ID, d.Compiled)
		}
	}
	if strings.Contains(docs[0].Body, "前言") || strings.Contains(docs[0].Body, "目录") {
		t.Error("the compilation's preface or contents landed in its first document")
	}
}

// The built-in compilation, loaded as a user's file with no manifest,
// gives the built-in documents: the ones its hand-made manifest splits
// out, read the same.
func TestCompiledBuiltinSource(t *testing.T) {
	const source = "../../shared/sources/000_995e29078fff7534.txt"
	data, err := os.ReadFile(source)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("read source: %v", err)
		}
		t.Skipf("source not available: %v", err)
	}
	got, err := parseFile(source, data)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := Load(Options{Builtin: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameDocuments(t, got, lib.Documents())
}

// sameDocuments says where documents read from a compilation differ from
// the same documents read otherwise: in number, or in what each prints
// about itself and its text.
func sameDocuments(t *testing.T, got, want []Document) {
	t.Helper()
	if len(got) != len(want) {
		var titles []string
		for _, g := range got {
			titles = append(titles, g.Title)
		}
		t.Fatalf("%d documents %q, want %d", len(got), titles, len(want))
	}
	for i, w := range want {
		g := got[i]
		for _, f := range []struct{ field, got, want string }{
			{"title", g.Title, w.Title}, {"文号", g.DocNo, w.DocNo}, {"issuer", g.Issuer, w.Issuer},
			{"kind", g.Kind, w.Kind}, {"issued", g.Issued, w.Issued},
			{"effective_from", g.EffectiveFrom, w.EffectiveFrom}, {"effective_until", g.EffectiveUntil, w.EffectiveUntil},
			{"body", g.Body, w.Body},
		} {
			if f.got != f.want {
				t.Errorf("document %d (%s): %s = %.60q, want %.60q", i+1, w.ID, f.field, f.got, f.want)
			}
		}
	}
}

// FuzzSplitCompiled holds the splitter to its shape on any text: the
// documents are the file's lines, in order, none empty, none overlapping.
func FuzzSplitCompiled(f *testing.F) {
	for _, p := range []string{"opinions", "notice", "measures", "interp-a", "table-end"} {
		f.Add(compiledLines[p] + "\n" + compiledLines["opinions"])
	}
	f.Add("")
	f.Add("关于\n《\n2023年1月1日\n附件")
	f.Add(compiledLines["numbered"])
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		front, docs := splitCompiled(lines)
		if len(docs) == 1 {
			t.Fatal("one document found: a single document is nil")
		}
		// Each document is a run of the file's lines, after the one
		// before and the front; its first line may have lost the
		// compilation's number.
		at := len(front)
		for _, d := range docs {
			if len(d) == 0 {
				t.Fatal("an empty document")
			}
			k := at
			for k+len(d) <= len(lines) && !(strings.HasSuffix(lines[k], d[0]) && slices.Equal(lines[k+1:k+len(d)], d[1:])) {
				k++
			}
			if k+len(d) > len(lines) {
				t.Fatalf("document %q is not a run of the file's lines after line %d", d, at)
			}
			at = k + len(d)
		}
	})
}

// TestCompiledThirdCorpus reads a compilation of another province and
// period (corpus/testdata/hunan2016, written for the purpose by someone
// who had not seen this code) against its writer's own list: six
// departments' interpretations, then twenty documents with their 文号,
// issue dates and stated ends, and the articles one amends of another.
func TestCompiledThirdCorpus(t *testing.T) {
	lib := loadFolder(t, "testdata/hunan2016/docs")
	want := []compiledDoc{
		{"国发〔2016〕45号", "2016-08-05", ""},
		{"湘政发〔2016〕23号", "2016-09-26", "2018-12-31"},
		{"湘政办发〔2016〕51号", "2016-07-18", ""},
		{"湘财综〔2016〕15号", "2016-04-22", ""},
		{"财税〔2015〕27号", "2015-03-13", "2017-12-31"},
		{"财税〔2015〕86号", "2015-09-02", "2017-12-31"},
		{"财税〔2015〕96号", "2015-09-17", ""},
		{"财税〔2015〕107号", "2015-11-02", ""},
		{"湖南省国家税务局公告2016年第4号", "2016-04-25", ""},
		{"湘科发〔2016〕61号", "2016-05-20", ""},
		{"湘财企〔2016〕18号", "2016-06-12", "2021-06-30"},
		{"湘财金〔2015〕41号", "2015-11-20", "2018-11-30"},
		{"湘政金发〔2016〕19号", "2016-08-22", "2019-08-31"},
		// Its two years are each measure's own, from 2016-05-01.
		{"人社部发〔2016〕31号", "2016-04-14", ""},
		{"湘人社发〔2016〕38号", "2016-04-28", "2018-04-30"},
		{"湘人社发〔2015〕40号", "2015-07-10", "2020-12-31"},
		{"湘人社发〔2016〕52号", "2016-07-26", ""},
		{"湘人社发〔2016〕58号", "2016-08-16", "2020-12-31"},
		{"湘经信投资〔2016〕112号", "2016-04-18", ""},
		{"湘政办发〔2016〕29号", "2016-04-06", "2017-12-31"},
	}
	byNo := checkCompiled(t, lib.Documents(), 6, "湖南省", want)
	parts := func(d Document) []string {
		var out []string
		for _, p := range d.PartsChanged {
			out = append(out, p.Part+" by "+p.By)
		}
		return out
	}
	for _, c := range []struct {
		doc, by string
		parts   []string
	}{
		{"湘人社发〔2015〕40号", "湘人社发〔2016〕52号", []string{"第五条第（二）项", "第六条"}},
		{"财税〔2015〕27号", "财税〔2015〕86号", []string{"第一条"}},
	} {
		var w []string
		by := byNo[c.by]
		for _, p := range c.parts {
			w = append(w, p+" by "+by.Cite())
		}
		if got := parts(byNo[c.doc]); !slices.Equal(got, w) {
			t.Errorf("%s: parts changed %q, want %q", c.doc, got, w)
		}
	}
}

// Documents printed as other provinces and earlier years print them
// (corpus/testdata/olderperiod), put one after another in one file, read
// as they do one to a file.
func TestCompiledOlderPeriod(t *testing.T) {
	files, err := filepath.Glob("testdata/olderperiod/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixture: %v", err)
	}
	var all []string
	var want []Document
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Parse(f, data)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, d)
		all = append(all, string(data))
	}
	got, err := parseFile("olderperiod.txt", []byte(strings.Join(all, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	sameDocuments(t, got, want)
}

// BenchmarkSplitCompiled reads the built-in compilation's source, one,
// four and sixteen copies of it one after another (47 documents and
// 1,900 lines a copy), into its documents:
//
//	go test ./corpus -run '^$' -bench SplitCompiled
func BenchmarkSplitCompiled(b *testing.B) {
	src, err := os.ReadFile("../../shared/sources/000_995e29078fff7534.txt")
	if err != nil {
		b.Skipf("source not available: %v", err)
	}
	for _, n := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("copies=%d", n), func(b *testing.B) {
			data := []byte(strings.Repeat(string(src)+"\n", n))
			b.SetBytes(int64(len(data)))
			var docs []Document
			for b.Loop() {
				docs, err = parseFile("compilation.txt", data)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(docs)), "documents")
		})
	}
}

// TestCompilationFixtures reads compilations written by hand as provinces
// and tax bureaus print them (corpus/testdata/compilations), against
// their answer key, written from the text before the splitter saw them:
// where each document starts and ends, its title, 文号 and issue date.
func TestCompilationFixtures(t *testing.T) {
	kb, err := os.ReadFile("testdata/compilations/want.json")
	if err != nil {
		t.Fatal(err)
	}
	var key struct {
		Files []struct {
			File      string `json:"file"`
			Documents []struct {
				Title     string `json:"title"`
				DocNo     string `json:"doc_no"`
				Issued    string `json:"issued"`
				FirstLine string `json:"first_line"`
				LastLine  string `json:"last_line"`
			} `json:"documents"`
		} `json:"files"`
	}
	if err := json.Unmarshal(kb, &key); err != nil {
		t.Fatal(err)
	}
	for _, f := range key.Files {
		t.Run(f.File, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/compilations", f.File))
			if err != nil {
				t.Fatal(err)
			}
			docs, err := parseFile(f.File, data)
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != len(f.Documents) {
				var titles []string
				for _, d := range docs {
					titles = append(titles, d.Title)
				}
				t.Errorf("%d documents, want %d: %q", len(docs), len(f.Documents), titles)
			}
			for i, w := range f.Documents {
				if i >= len(docs) {
					break
				}
				d := docs[i]
				lines := strings.Split(d.Body, "\n")
				// Two conventions the key does not follow: a document's
				// first line is without the compilation's number before
				// it, and an interpretation is titled under its issuer.
				first := normLine(w.FirstLine)
				if m := numberMarkRe.FindStringIndex(first); m != nil && !strings.Contains(d.Body, first) {
					first = first[m[1]:]
				}
				title := squeeze(w.Title)
				if d.Kind == "解读" {
					title = squeeze(d.Issuer) + title
				}
				// A key may give a title wrapped over lines as one line;
				// the body keeps it as printed, over at most three.
				firstGot := lines[0]
				for k := 2; k <= min(maxTitleLines, len(lines)) && firstGot != first; k++ {
					if joined := strings.Join(lines[:k], ""); squeeze(joined) == squeeze(first) {
						firstGot = first
					}
				}
				for _, c := range []struct{ field, got, want string }{
					{"first line", firstGot, first},
					{"last line", lines[len(lines)-1], normLine(w.LastLine)},
					{"title", squeeze(d.Title), title},
					{"文号", squeeze(d.DocNo), squeeze(w.DocNo)},
					{"issued", d.Issued, w.Issued},
				} {
					if c.got != c.want {
						t.Errorf("document %d: %s %q, want %q", i+1, c.field, c.got, c.want)
					}
				}
			}
		})
	}
}

// TestCompiledFourthCorpus reads a compilation laid out as pasted from
// government sites (corpus/testdata/chongqing2021, written for the purpose
// by someone who had not seen this code) against its writer's list: web
// metadata blocks with spaced or bracketed labels (文　　号：, 【发文字号】),
// joint red heads over a title that names its issuers again, parts
// numbered as items are (二、稳岗就业) and listed in its table of contents,
// a 清单 table, and an interpretation and two question-and-answer texts
// with their author and date under their titles. Two ends differ from the
// writer's: 财税〔2019〕21号 states its own, which 公告2021年第6号
// extends, and 第6号 states none of its own.
func TestCompiledFourthCorpus(t *testing.T) {
	lib := loadFolder(t, "testdata/chongqing2021/docs")
	want := []struct{ docNo, issued, until string }{
		{"财政部 税务总局公告2021年第12号", "2021-04-02", "2022-12-31"},
		{"财政部 税务总局公告2021年第7号", "2021-03-17", "2021-12-31"},
		{"财税〔2019〕21号", "2019-03-05", "2020-12-31"},
		{"财政部 税务总局公告2021年第6号", "2021-03-15", ""},
		{"渝财规〔2019〕3号", "2019-02-01", "2021-12-31"},
		{"国家税务总局重庆市税务局公告2020年第3号", "2020-03-10", "2020-12-31"},
		{"人社部发〔2020〕11号", "2020-02-20", "2020-06-30"},
		{"渝人社发〔2020〕21号", "2020-03-20", "2020-12-31"},
		{"渝人社发〔2020〕35号", "2020-06-05", "2021-12-31"},
		{"渝府办发〔2021〕12号", "2021-03-15", "2024-03-14"},
		{"渝两江管发〔2020〕8号", "2020-02-12", "2020-12-31"},
		{"国办发〔2019〕6号", "2019-02-14", ""},
		{"渝财规〔2020〕5号", "2020-04-28", "2025-04-30"},
		{"渝府办发〔2020〕56号", "2020-05-20", "2022-05-31"},
		{"渝财规〔2021〕4号", "2021-02-26", "2023-12-31"},
		{"渝北府办发〔2021〕15号", "2021-04-12", ""},
		{"财政部 税务总局公告2021年第13号", "2021-03-31", ""},
		{"渝科局发〔2020〕68号", "2020-08-10", "2025-08-09"},
		{"渝府发〔2020〕23号", "2020-09-18", "2023-09-30"},
		{"渝经信发〔2021〕8号", "2021-01-25", "2025-12-31"},
		{"渝经信发〔2021〕19号", "2021-03-30", ""},
		{"渝商务发〔2021〕9号", "2021-03-05", "2021-12-31"},
		{"渝经信发〔2021〕31号", "2021-05-20", ""},
		{"", "2021-04-08", ""},
		{"", "2021-04-20", ""},
		{"", "2021-05-10", ""},
	}
	docs := lib.Documents()
	if len(docs) != len(want) {
		var titles []string
		for _, d := range docs {
			titles = append(titles, d.Title)
		}
		t.Fatalf("%d documents, want %d: %q", len(docs), len(want), titles)
	}
	for i, w := range want {
		d := docs[i]
		if d.DocNo != w.docNo || d.Issued != w.issued || d.EffectiveUntil != w.until {
			t.Errorf("document %d is %q issued %q until %q, want %q issued %q until %q", i, d.DocNo, d.Issued, d.EffectiveUntil, w.docNo, w.issued, w.until)
		}
		// No issuer twice in a title, nor an author's line.
		if before, _, ok := strings.Cut(d.Title, "关于"); ok && strings.Count(d.Title, before[:min(len(before), len("重庆市财政局"))]) > 1 || dateRe.MatchString(d.Title) {
			t.Errorf("document %d is titled %q", i, d.Title)
		}
		for _, l := range strings.Split(d.Body, "\n") {
			if slices.Contains([]string{"二、稳岗就业", "三、融资支持", "四、科技创新", "五、制造业和外贸", "六、政策解读"}, l) {
				t.Errorf("document %d holds the compilation's part %s", i, l)
			}
		}
	}
	for i, title := range map[int]string{
		4:  "重庆市财政局 国家税务总局重庆市税务局关于落实增值税小规模纳税人地方税费减征政策的通知",
		8:  "重庆市人力资源和社会保障局 重庆市财政局关于开展以工代训支持企业稳岗扩岗的通知",
		24: "重庆市稳岗就业和社会保险政策问答（2021年）",
	} {
		if docs[i].Title != title {
			t.Errorf("document %d is titled %q, want %q", i, docs[i].Title, title)
		}
	}
}

// TestCompiledEighthCorpus checks the 广西 2023 compilation written blind
// for the purpose (corpus/testdata/guangxi2023, whose README is its
// writer's list) against that list: its 24 documents, their 文号, dates
// and ends, and what they do to one another. Two ends the list gives are
// no document's own: 人社部发〔2023〕19号 extends each of its two measures
// to 2024年底, which is each clause's period, and 桂工信中小〔2023〕212号
// extends another's, whose period it moves.
func TestCompiledEighthCorpus(t *testing.T) {
	lib := loadFolder(t, "testdata/guangxi2023/docs")
	want := []compiledDoc{
		{"财政部 税务总局公告2023年第7号", "2023-03-26", ""},
		{"财政部 税务总局公告2023年第19号", "2023-08-01", "2027-12-31"},
		{"财政部 税务总局公告2023年第12号", "2023-08-02", "2027-12-31"},
		{"人社部发〔2023〕19号", "2023-03-24", ""},
		{"国办发〔2023〕11号", "2023-04-19", "2023-12-31"},
		{"桂政发〔2023〕27号", "2023-09-28", "2025-12-31"},
		{"桂政办发〔2023〕35号", "2023-05-10", "2024-12-31"},
		{"桂财税〔2023〕9号", "2023-04-12", "2023-12-31"},
		{"桂工信规〔2023〕2号", "2023-02-20", "2023-12-31"},
		{"桂工信中小〔2023〕212号", "2023-11-27", ""},
		{"桂财金规〔2023〕4号", "2023-06-26", "2028-06-30"},
		{"桂人社发〔2023〕18号", "2023-05-22", "2024-12-31"},
		{"桂工信规〔2023〕1号", "2023-01-16", "2027-12-31"},
		{"桂工信规〔2023〕5号", "2023-08-21", ""},
		{"桂科规〔2023〕3号", "2023-11-15", "2025-12-31"},
		// Its one period is a measure's restating the national reliefs'.
		{"桂市监发〔2023〕31号", "2023-10-30", ""},
		{"南府规〔2023〕9号", "2023-06-12", "2025-06-30"},
		{"南工信通〔2023〕68号", "2023-07-20", ""},
		{"柳政办〔2023〕52号", "2023-11-08", "2026-12-31"},
	}
	// Four departments' 解读 and a tax bureau's 问答 come first.
	byNo := checkCompiled(t, lib.Documents(), 5, "广西壮族自治区", want)
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	fee, ext := byNo["桂工信规〔2023〕2号"], byNo["桂工信中小〔2023〕212号"]
	if v := fee.Validity(now); v.Until != "2025-12-31" || v.Because != ext.Cite() || fee.Newer != "" {
		t.Errorf("the extended 办法: validity %+v, newer %q; want to 2025-12-31 by %s, no newer version", v, fee.Newer, ext.Cite())
	}
	rules, amend := byNo["桂工信规〔2023〕1号"], byNo["桂工信规〔2023〕5号"]
	if len(rules.PartsChanged) != 1 || rules.PartsChanged[0].Part != "第九条" || rules.PartsChanged[0].By != amend.Cite() || rules.Newer != "" {
		t.Errorf("the amended 办法: parts changed %+v, newer %q; want 第九条 by %s", rules.PartsChanged, rules.Newer, amend.Cite())
	}
	if want := []string{"桂政办发〔2022〕17号"}; !slices.Equal(byNo["桂政办发〔2023〕35号"].Repeals, want) {
		t.Errorf("repeals %q, want %q", byNo["桂政办发〔2023〕35号"].Repeals, want)
	}
	for _, c := range byNo["人社部发〔2023〕19号"].Chunks {
		if strings.Contains(c.Text, "实施期限延长至2024年底") {
			if v := lib.ClauseValidity(c, now); len(v) == 0 || v[0].Until != "2024-12-31" || v[0].Status != StatusExpired {
				t.Errorf("clause %s: validity %+v, want ended 2024-12-31", c.Label, v)
			}
		}
	}
	// The 稳岗返还 section's own period, shorter than its notice's, stated
	// under its last item: every clause of the section ends then.
	for _, c := range byNo["桂人社发〔2023〕18号"].Chunks {
		if strings.HasPrefix(c.Label, "三") {
			if v := lib.ClauseValidity(c, now); !slices.ContainsFunc(v, func(v Validity) bool { return v.Until == "2023-12-31" }) {
				t.Errorf("clause %s: validity %+v, want the section's end 2023-12-31", c.Label, v)
			}
		}
	}
}

// compiledDoc is a document as a compilation's writer lists it.
type compiledDoc struct{ docNo, issued, until string }

// checkCompiled checks a compilation's documents against its writer's list:
// first its interpretations (解读 or 问答 of the region named by region),
// then the listed documents in order, each with its 文号, date of issue
// and end. It returns the listed documents by 文号.
func checkCompiled(t *testing.T, docs []Document, interpretations int, region string, want []compiledDoc) map[string]Document {
	t.Helper()
	if len(docs) != interpretations+len(want) {
		var titles []string
		for _, d := range docs {
			titles = append(titles, d.Title)
		}
		t.Fatalf("%d documents, want %d: %q", len(docs), interpretations+len(want), titles)
	}
	for i, d := range docs[:interpretations] {
		if d.Kind != "解读" || d.DocNo != "" || !strings.Contains(d.Title, region) {
			t.Errorf("document %d is %s %q (%s), want an interpretation of %s's", i, d.Kind, d.Title, d.DocNo, region)
		}
	}
	byNo := map[string]Document{}
	for i, w := range want {
		d := docs[interpretations+i]
		byNo[w.docNo] = d
		if d.DocNo != w.docNo || d.Issued != w.issued || d.EffectiveUntil != w.until {
			t.Errorf("document %d is %s issued %q until %q, want %s issued %q until %q", interpretations+i, d.DocNo, d.Issued, d.EffectiveUntil, w.docNo, w.issued, w.until)
		}
	}
	return byNo
}
