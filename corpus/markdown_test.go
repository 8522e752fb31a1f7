package corpus

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode GBK: %v", err)
	}
	return b
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		file string
		data []byte
		want Document
	}{
		{
			name: "front matter",
			file: "a.md",
			data: []byte("---\nid: my-doc\ntitle: 某办法\ndoc_no: 冀财金〔2019〕12号\nissuer: 河北省财政厅\ndomain: 财政\nkind: 解读\nissued: \"2019-03-01\"\neffective_from: \"2019-03-01\"\neffective_until: \"2021-02-28\"\nsource: 自编\n---\n\n第一条　甲。\n\n第二条 乙。\n"),
			want: Document{ID: "my-doc", Title: "某办法", DocNo: "冀财金〔2019〕12号", Issuer: "河北省财政厅", Domain: "财政", Kind: "解读", Issued: "2019-03-01", EffectiveFrom: "2019-03-01", EffectiveUntil: "2021-02-28", Source: "自编", Body: "第一条 甲。\n第二条 乙。"},
		},
		{
			name: "unquoted dates",
			file: "beta.md",
			data: []byte("---\ntitle: 某办法\nissued: 2019-03-01\n---\n正文。\n"),
			want: Document{ID: "beta", Title: "某办法", Kind: "原文", Issued: "2019-03-01", Body: "正文。"},
		},
		{
			name: "no front matter",
			file: "冀财金2019-12.md",
			data: []byte("# 河北省某某奖励办法\n\n冀财金〔2019〕12号\n各市财政局：\n第一条 为了甲，制定本办法。\n河北省财政厅\n2019年3月1日\n"),
			want: Document{ID: "jcj2019-12", Title: "河北省某某奖励办法", DocNo: "冀财金〔2019〕12号", Issuer: "河北省财政厅", Kind: "原文", Issued: "2019-03-01", Body: "河北省某某奖励办法\n冀财金〔2019〕12号\n各市财政局：\n第一条 为了甲，制定本办法。\n河北省财政厅\n2019年3月1日"},
		},
		{
			name: "number on a label line",
			file: "gamma.txt",
			data: []byte("某通知\n文号：冀财金〔2019〕12号\n正文。"),
			want: Document{ID: "gamma", Title: "某通知", DocNo: "冀财金〔2019〕12号", Kind: "原文", Body: "某通知\n文号：冀财金〔2019〕12号\n正文。"},
		},
		{
			// A number quoted in running text is another document's.
			name: "quoted number is not the document's",
			file: "delta.txt",
			data: []byte("某措施\n根据《某办法》（冀财金〔2015〕30号），提出如下措施。"),
			want: Document{ID: "delta", Title: "某措施", Kind: "原文", Body: "某措施\n根据《某办法》（冀财金〔2015〕30号），提出如下措施。"},
		},
		{
			// Keys left out are read from the text: here the signer.
			name: "front matter says no number",
			file: "epsilon.md",
			data: []byte("---\ntitle: 某措施\ndoc_no: \"\"\nissued: \"\"\n---\n某措施\n冀财金〔2015〕30号\n省财政厅\n2015年7月29日\n"),
			want: Document{ID: "epsilon", Title: "某措施", Issuer: "省财政厅", Kind: "原文", Body: "某措施\n冀财金〔2015〕30号\n省财政厅\n2015年7月29日"},
		},
		{
			name: "front matter without doc_no",
			file: "zeta.md",
			data: []byte("---\ntitle: 某措施\n---\n某措施\n冀财金〔2015〕30号\n"),
			want: Document{ID: "zeta", Title: "某措施", DocNo: "冀财金〔2015〕30号", Kind: "原文", Body: "某措施\n冀财金〔2015〕30号"},
		},
		{
			name: "GBK",
			file: "eta.txt",
			data: gbk(t, "河北省支持中小企业融资若干措施\r\n为深入落实“万企转型”行动，提出如下措施。\r\n"),
			want: Document{ID: "eta", Title: "河北省支持中小企业融资若干措施", Kind: "原文", Body: "河北省支持中小企业融资若干措施\n为深入落实“万企转型”行动，提出如下措施。"},
		},
		{
			name: "BOM and CRLF",
			file: "theta.md",
			data: []byte("\xef\xbb\xbf---\r\ntitle: 甲\r\n---\r\n正文\r\n"),
			want: Document{ID: "theta", Title: "甲", Kind: "原文", Body: "正文"},
		},
		{
			name: "front matter closed at the end",
			file: "iota.md",
			data: []byte("---\ntitle: 甲\n---\n正文\n---"),
			want: Document{ID: "iota", Title: "甲", Kind: "原文", Body: "正文\n---"},
		},
		{
			name: "name in Chinese, by its readings",
			file: "鲁人社发〔2020〕5号.txt",
			data: []byte("某通知"),
			want: Document{ID: "lrsf-2020-5h", Title: "某通知", Kind: "原文", Body: "某通知"},
		},
		{
			name: "name without letters",
			file: "政策.txt",
			data: []byte("某通知"),
			want: Document{ID: "doc-" + hashHex("政策\x00某通知")[:10], Title: "某通知", Kind: "原文", Body: "某通知"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.file, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			got.Origin = nil // TestOrigin
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		data  []byte
		want  []string
		empty bool
	}{
		{"unclosed front matter", []byte("---\ntitle: 甲\n正文\n"), []string{"x.md:1", "never closed"}, false},
		{"malformed front matter", []byte("---\ntitle: 甲\nissued: [\n---\n正文\n"), []string{"x.md", "line 3"}, false},
		{"unknown key", []byte("---\ntitle: 甲\ndeadline: 2019\n---\n正文\n"), []string{"x.md", "line 3", "deadline"}, false},
		{"two unknown keys", []byte("---\nfoo: 1\nbar: 2\n---\n正文\n"), []string{"line 2: field foo", "line 3: field bar"}, false},
		{"bad date", []byte("---\nissued: \"2018-02-30\"\n---\n正文\n"), []string{"x.md", "issued", "2018-02-30"}, false},
		{"bad date form", []byte("---\neffective_until: 2018年12月31日\n---\n正文\n"), []string{"effective_until"}, false},
		{"not text", []byte("\xff\xfe\xfd\x00\x81"), []string{"x.md", "neither UTF-8 nor GBK"}, false},
		{"empty", []byte(""), []string{"x.md"}, true},
		{"blank", []byte(" \n\u3000\n\t\n"), []string{"x.md"}, true},
		{"front matter only", []byte("---\ntitle: 甲\n---\n"), []string{"x.md"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.md", tt.data)
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to contain %q", err, w)
				}
			}
			if got := errors.Is(err, ErrEmpty); got != tt.empty {
				t.Errorf("got errors.Is(err, ErrEmpty) = %v, want %v", got, tt.empty)
			}
		})
	}
}

// TestMarkdownRoundTrip proves the stored form keeps every field.
func TestMarkdownRoundTrip(t *testing.T) {
	docs := []Document{
		{ID: "a", Title: "甲: 乙 #丙", DocNo: "冀财金〔2019〕12号", Issuer: "财政部 税务总局", Domain: "税务", Kind: "原文", Issued: "2019-03-01", EffectiveFrom: "2019-01-01", EffectiveUntil: "2020-12-31", Source: "汇编", Body: "甲\n---\n乙"},
		{ID: "b", Title: "no", Kind: "解读", Body: "一行"},
	}
	for _, d := range docs {
		t.Run(d.ID, func(t *testing.T) {
			got, err := Parse(d.ID+".md", Markdown(&d))
			if err != nil {
				t.Fatal(err)
			}
			got.Origin = nil // where the fields came from differs by design
			if !reflect.DeepEqual(got, d) {
				t.Errorf("got  %+v\nwant %+v", got, d)
			}
		})
	}
}

func TestShiftYAMLLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"yaml: line 2: did not find expected node content", "yaml: line 3: did not find expected node content"},
		{"yaml: unmarshal errors:\n  line 1: a\n  line 9: b", "yaml: unmarshal errors:\n  line 2: a\n  line 10: b"},
		{"EOF", "EOF"},
		{"ab", "ab"},
		{"field deadline not found", "field deadline not found"},
		{"yaml: line", "yaml: line"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := shiftYAMLLine(tt.in, 1); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("---\nid: x\ntitle: 某办法\ndoc_no: 冀财金〔2016〕27号\nissued: \"2016-04-26\"\n---\n\n第一条 甲。\n"))
	f.Add([]byte("---\ntitle: 甲\nissued: [\n---\n正文\n"))
	f.Add([]byte("---\nfoo: 1\n---\n"))
	f.Add([]byte("---\n- a\n---\nb"))
	f.Add([]byte("---\ntitle: |\n  多行\n  标题\n---\n正文\n---"))
	f.Add([]byte("# 河北省资产证券化奖励资金管理办法\n冀财金〔2016〕27号\n第一章 总 则\n第一条 为发挥财政资金引导和扶持作用。\n省财政厅\n2016年4月26日\n"))
	f.Add([]byte("国家税务总局关于调整\n增值税纳税申报有关事项的公告\n国家税务总局公告2018年第17号\n"))
	f.Add(gbk(f, "河北省人民政府\r\n关于加快推进工业转型升级\r\n冀政发〔2018〕4号\r\n一、总体要求\r\n"))
	f.Add([]byte("\xef\xbb\xbf\u3000\u00a0正文\t\u3000"))
	f.Add([]byte("某市惠企政策清单\n序号\t名称\t内容\t依据\n1\t甲\t乙。\t某发〔2021〕1号\n2\t\t\t\n\t\t\t\n"))
	f.Add([]byte("\xff\xfe\xfd"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("fuzz.md", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.md") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if d.Body == "" || !utf8.ValidString(d.Body) {
			t.Fatalf("got body %q, want non-empty UTF-8", d.Body)
		}
		for _, l := range strings.Split(d.Body, "\n") {
			if l == "" || l != normLine(l) {
				t.Fatalf("got body line %q, want normalized non-empty lines", l)
			}
		}
		if d.ID == "" || d.Kind == "" {
			t.Fatalf("got id %q kind %q, want both set", d.ID, d.Kind)
		}
		for _, v := range []string{d.Issued, d.EffectiveFrom, d.EffectiveUntil} {
			if v != "" && !validDate(v) {
				t.Fatalf("got date %q", v)
			}
		}
		// What is stored is what was read.
		again, err := Parse("fuzz.md", Markdown(&d))
		if err != nil {
			t.Fatalf("re-reading the rendered document: %v", err)
		}
		// Read again, every field comes from the front matter.
		again.Origin, d.Origin = nil, nil
		if !reflect.DeepEqual(again, d) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", again, d)
		}
	})
}

// TestOrigin: corpus show says where each field came from.
func TestOrigin(t *testing.T) {
	d, err := Parse("x.md", []byte("---\ntitle: 某办法\nissued: \"\"\n---\n某办法\n某财〔2023〕5号\n一、甲。\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"title": OriginFrontMatter, "issued": OriginFrontMatter, "doc_no": OriginText, "kind": OriginText}
	if !reflect.DeepEqual(d.Origin, want) {
		t.Errorf("Origin = %v, want %v", d.Origin, want)
	}
}

// TestTableRows: a table saved as text, its cells separated by tabs (a
// 惠企政策清单, one policy a row), reads as one clause a numbered row,
// each cell named by its column, cited by the row's number; its header
// is neither text nor part of the title; a table without a header keeps
// its first row.
func TestTableRows(t *testing.T) {
	list := "某市惠企政策清单\n\n序号\t政策名称\t政策内容\t政策依据\t责任单位\n" +
		"1\t技术改造补助\t对设备投资500万元以上的项目按10%给予补助。\t某政发〔2021〕8号\t市经信局\n" +
		"2\t高新技术企业奖励\t对首次认定的高新技术企业奖励30万元。\t某科发〔2021〕6号\t市科技局\n" +
		"3\t首台套奖励\t\t某经信发〔2021〕3号\t市经信局\n" +
		"4\t人才公寓\t租金减半\t\t\n" +
		"说明：以上政策以原文为准。\n" +
		"\n序号\t材料名称\t份数\t要求\n" +
		"5\t营业执照副本\t1份\t复印件加盖公章\n"
	docs, err := parseFile("qingdan.txt", []byte(list))
	if err != nil || len(docs) != 1 {
		t.Fatalf("%d documents, err %v", len(docs), err)
	}
	d := docs[0]
	if d.Title != "某市惠企政策清单" {
		t.Errorf("title %q, want the list's own", d.Title)
	}
	want := map[string]string{
		"1": "1. 技术改造补助：对设备投资500万元以上的项目按10%给予补助；政策依据：某政发〔2021〕8号；责任单位：市经信局。",
		"2": "2. 高新技术企业奖励：对首次认定的高新技术企业奖励30万元；政策依据：某科发〔2021〕6号；责任单位：市科技局。",
		// An empty cell keeps the cells after it under their columns.
		"3": "3. 首台套奖励；政策依据：某经信发〔2021〕3号；责任单位：市经信局。",
		"4": "4. 人才公寓：租金减半。",
		// A count is named by its column, not read as what the row's
		// name is (营业执照副本：1份).
		"5": "5. 营业执照副本；份数：1份；要求：复印件加盖公章。",
	}
	checkClauses(t, d, want)
	if strings.Contains(d.Body, "序号") {
		t.Errorf("the header was read as text:\n%s", d.Body)
	}

	bare, err := parseFile("bare.txt", []byte("某市惠企政策清单\n1\t技术改造补助\t按10%给予补助\n2\t人才奖励\t奖励30万元\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bare[0].Body, "1. 技术改造补助；按10%给予补助。") {
		t.Errorf("a table without a header lost its first row:\n%s", bare[0].Body)
	}
	if tableCells("一句话\t两格") != nil {
		t.Error("a line of two cells read as a table row")
	}
}

// TestTableRowsFormats: a 清单 kept as a Word table or a web page's table
// reads as the one saved with tabs does, a clause a numbered row, each
// cell named by its column; a form's first row, which no row of as many
// cells follows, and a row of labels (索引号：…), stay text.
func TestTableRowsFormats(t *testing.T) {
	cell := func(s string) string { return `<w:tc>` + wp(s) + `</w:tc>` }
	row := func(cs ...string) string {
		var b strings.Builder
		b.WriteString(`<w:tr>`)
		for _, c := range cs {
			b.WriteString(cell(c))
		}
		b.WriteString(`</w:tr>`)
		return b.String()
	}
	htmlRow := func(cs ...string) string { return "<tr><td>" + strings.Join(cs, "</td><td>") + "</td></tr>" }
	header := []string{"序号", "政策名称", "政策内容", "政策依据"}
	r1 := []string{"1", "技术改造补助", "对设备投资500万元以上的项目按10%给予补助。", "某政发〔2021〕8号"}
	r2 := []string{"2", "高新技术企业奖励", "对首次认定的高新技术企业奖励30万元。", "某科发〔2021〕6号"}
	want := map[string]string{
		"1": "1. 技术改造补助：对设备投资500万元以上的项目按10%给予补助；政策依据：某政发〔2021〕8号。",
		"2": "2. 高新技术企业奖励：对首次认定的高新技术企业奖励30万元；政策依据：某科发〔2021〕6号。",
	}
	tests := []struct {
		name, file string
		data       []byte
	}{
		{"word", "qingdan.docx", makeDOCX(wp("某市惠企政策清单")+`<w:tbl>`+row(header...)+row(r1...)+row(r2...)+`</w:tbl>`+wp("说明：以上政策以原文为准。"), "", "")},
		{"web page", "qingdan.html", []byte(govPage(`<meta charset="utf-8">`, `<p>某市惠企政策清单</p><p>　　为便于企业了解和享受各项惠企政策，现将我市现行有效的主要惠企政策整理成清单，予以公布。</p><table>`+
			"<tr><th>"+strings.Join(header, "</th><th>")+"</th></tr>"+htmlRow(r1...)+htmlRow(r2...)+`</table><p>说明：以上政策以原文为准。</p>`))},
	}
	var md strings.Builder
	md.WriteString("# 某市惠企政策清单\n\n| " + strings.Join(header, " | ") + " |\n|---|---|:---:|---|\n")
	for _, r := range [][]string{r1, r2} {
		md.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	tests = append(tests, struct {
		name, file string
		data       []byte
	}{"markdown", "qingdan.md", []byte(md.String())})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := readDocument(context.Background(), tt.file, tt.data)
			if err != nil || len(docs) != 1 {
				t.Fatalf("%d documents, err %v", len(docs), err)
			}
			checkClauses(t, docs[0], want)
		})
	}

	// A Word table grouping its rows under a row of one cell across it
	// (w:gridSpan), and naming one department once beside two rows
	// (w:vMerge): the columns stay named under the group, and the merged
	// cell reads in each row it spans.
	span := `<w:tc><w:tcPr><w:gridSpan w:val="4"/></w:tcPr>` + wp("一、减税降费类") + `</w:tc>`
	merged := func(first bool, s string) string {
		if first {
			return `<w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr>` + wp(s) + `</w:tc>`
		}
		return `<w:tc><w:tcPr><w:vMerge/></w:tcPr>` + wp("") + `</w:tc>`
	}
	grouped := makeDOCX(wp("某市惠企政策清单")+`<w:tbl>`+row("序号", "政策名称", "政策内容", "责任部门")+`<w:tr>`+span+`</w:tr>`+
		`<w:tr>`+cell("1")+cell("技术改造补助")+cell("对设备投资500万元以上的项目按10%给予补助。")+merged(true, "市工信局")+`</w:tr>`+
		`<w:tr>`+cell("2")+cell("高新技术企业奖励")+cell("对首次认定的高新技术企业奖励30万元。")+merged(false, "")+`</w:tr>`+`</w:tbl>`, "", "")
	t.Run("word, grouped and merged", func(t *testing.T) {
		docs, err := readDocument(context.Background(), "grouped.docx", grouped)
		if err != nil || len(docs) != 1 {
			t.Fatalf("%d documents, err %v", len(docs), err)
		}
		for _, w := range []string{
			"一、减税降费类\n1. 技术改造补助：对设备投资500万元以上的项目按10%给予补助；责任部门：市工信局。",
			"2. 高新技术企业奖励：对首次认定的高新技术企业奖励30万元；责任部门：市工信局。",
		} {
			if !strings.Contains(docs[0].Body, w) {
				t.Errorf("read:\n%s\nwant it to hold %q", docs[0].Body, w)
			}
		}
	})

	form := "某市补助申请表\n项目名称\t申报单位\t申报金额\n企业名称\t统一社会信用代码\n索引号：\t11500000\t发布机构：\t某市财政局\n"
	docs, err := parseFile("form.txt", []byte(form))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"项目名称；申报单位；申报金额。", "索引号： 11500000 发布机构： 某市财政局"} {
		if !strings.Contains(docs[0].Body, w) {
			t.Errorf("a form's row %q was lost or misread:\n%s", w, docs[0].Body)
		}
	}
}

// checkClauses checks that each clause of d, by its label, holds the text
// want gives for it.
func checkClauses(t *testing.T, d Document, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, c := range Cut(&d, DefaultChunkSize) {
		got[c.Label] = c.Text
	}
	for label, text := range want {
		if !strings.Contains(got[label], text) {
			t.Errorf("clause %s is %q, want it to hold %q", label, got[label], text)
		}
	}
}
