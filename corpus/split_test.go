package corpus

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// compilation reads the manifest the splitter uses.
func compilation(t testing.TB) Manifest {
	t.Helper()
	mb, err := os.ReadFile("compilation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest(mb)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// partsStart is the index of the line that opens Part 1.
func partsStart(t testing.TB, lines []string, m Manifest) int {
	t.Helper()
	for i, l := range lines {
		if l == m.PartsStart {
			return i
		}
	}
	t.Fatalf("line %q not found in the source", m.PartsStart)
	return -1
}

func headingSet(m Manifest) map[string]bool {
	h := map[string]bool{}
	for _, s := range m.Headings {
		h[s] = true
	}
	return h
}

// TestSplitCoversParts proves nothing of Parts 1 and 2 falls out of the
// documents and nothing is in two of them: the spans are disjoint and in
// order, and the gaps between them hold only the compilation's headings.
func TestSplitCoversParts(t *testing.T) {
	docs, spans, lines := splitSource(t)
	m := compilation(t)
	headings := headingSet(m)
	begin := partsStart(t, lines, m)
	if got, want := len(spans), len(docs); got != want {
		t.Fatalf("got %d spans, want one per document (%d)", got, want)
	}
	owner := make([]int, len(lines))
	for i := range owner {
		owner[i] = -1
	}
	prevEnd := begin
	for i, s := range spans {
		if s.Start < prevEnd || s.End <= s.Start || s.End > len(lines) {
			t.Fatalf("span %d (%s) = %+v: want disjoint, ordered, non-empty spans after line %d", i, docs[i].ID, s, prevEnd+1)
		}
		if lines[s.Start] == "" || lines[s.End-1] == "" {
			t.Errorf("span %d (%s) = %+v starts or ends on an empty line", i, docs[i].ID, s)
		}
		for j := s.Start; j < s.End; j++ {
			if owner[j] >= 0 {
				t.Fatalf("line %d is in documents %s and %s", j+1, docs[owner[j]].ID, docs[i].ID)
			}
			owner[j] = i
		}
		prevEnd = s.End
	}
	covered, gap := 0, 0
	for j := begin; j < len(lines); j++ {
		l := lines[j]
		switch {
		case l == "":
		case owner[j] >= 0:
			covered++
		case headings[l]:
			gap++
		default:
			t.Errorf("line %d %q is in no document and is no heading", j+1, l)
		}
	}
	if gap == 0 || covered == 0 {
		t.Errorf("got %d covered lines and %d heading lines, want both > 0", covered, gap)
	}
	t.Logf("%d lines in %d documents, %d heading lines between them", covered, len(docs), gap)
}

// TestSplitKeepsEveryCharacter proves the documents' bodies are the
// source's Parts 1–2 line for line: nothing dropped, reordered, duplicated
// or corrected.
func TestSplitKeepsEveryCharacter(t *testing.T) {
	docs, _, lines := splitSource(t)
	m := compilation(t)
	headings := headingSet(m)
	var want []string
	for _, l := range lines[partsStart(t, lines, m):] {
		if l != "" && !headings[l] {
			want = append(want, l)
		}
	}
	var got []string
	for _, d := range docs {
		got = append(got, strings.Split(d.Body, "\n")...)
	}
	if len(got) != len(want) {
		t.Errorf("got %d body lines, want %d source lines", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("body line %d: got %q, want %q", i+1, got[i], want[i])
		}
	}
	// The source's own typos stay: a citation quotes what was printed.
	for _, typo := range []string{"展本要求", "京津翼"} {
		n := 0
		for _, d := range docs {
			n += strings.Count(d.Body, typo)
		}
		if n == 0 {
			t.Errorf("got no body containing %q, want the source's text verbatim", typo)
		}
	}
}

// TestSplitLinesFindable checks the weaker property retrieval relies on:
// each line of the parts is found, spacing aside, in some document's
// title, 文号, issuer or body.
func TestSplitLinesFindable(t *testing.T) {
	docs, spans, lines := splitSource(t)
	m := compilation(t)
	headings := headingSet(m)
	var hay []string
	for _, d := range docs {
		hay = append(hay, squeeze(d.Title+"\n"+d.DocNo+"\n"+d.Issuer+"\n"+d.Body))
	}
	// Look in the document the line's span gives first, to stay quick.
	owner := map[int]int{}
	for i, s := range spans {
		for j := s.Start; j < s.End; j++ {
			owner[j] = i
		}
	}
	for j := partsStart(t, lines, m); j < len(lines); j++ {
		l := lines[j]
		if l == "" || headings[l] {
			continue
		}
		s := squeeze(l)
		found := false
		if i, ok := owner[j]; ok {
			found = strings.Contains(hay[i], s)
		}
		for i := 0; !found && i < len(hay); i++ {
			found = strings.Contains(hay[i], s)
		}
		if !found {
			t.Errorf("source line %d %q is in no document", j+1, l)
		}
	}
}

// TestBuiltinParsesAsSplit proves reading the stored Markdown gives back
// exactly what the splitter found: no field is re-guessed on load.
func TestBuiltinParsesAsSplit(t *testing.T) {
	docs, _, _ := splitSource(t)
	lib, err := Load(Options{Builtin: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := lib.Documents()
	if len(got) != len(docs) {
		t.Fatalf("got %d built-in documents, want %d", len(got), len(docs))
	}
	for i := range docs {
		g := got[i]
		g.Chunks = nil
		if !reflect.DeepEqual(g, docs[i]) {
			t.Errorf("built-in %s:\n got %+v\nwant %+v", docs[i].ID, metaOf(g), metaOf(docs[i]))
		}
	}
}

func metaOf(d Document) Document {
	d.Body, d.Chunks = "", nil
	return d
}

func builtinLibrary(t testing.TB) *Library {
	t.Helper()
	lib, err := Load(Options{Builtin: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func TestBuiltinKinds(t *testing.T) {
	count := map[string]int{}
	for _, d := range builtinLibrary(t).Documents() {
		count[d.Kind]++
	}
	want := map[string]int{"解读": 5, "原文": 42}
	if !reflect.DeepEqual(count, want) {
		t.Errorf("got kinds %v, want %v", count, want)
	}
}

// TestBuiltinDocNos checks every 文号 printed among a document's first
// lines is its doc_no, and that none is invented where none is printed.
func TestBuiltinDocNos(t *testing.T) {
	for _, d := range builtinLibrary(t).Documents() {
		lines := strings.Split(d.Body, "\n")
		want := ""
		for _, l := range lines[:min(len(lines), 8)] {
			if docNoRe.MatchString(l) {
				want = l
				break
			}
		}
		if d.DocNo != want {
			t.Errorf("%s: got doc_no %q, want %q", d.ID, d.DocNo, want)
		}
	}
}

func TestBuiltinMetadata(t *testing.T) {
	lib := builtinLibrary(t)
	tests := []struct {
		id                   string
		titleHas, docNo      string
		issuer, kind, domain string
		issued, from, until  string
	}{
		{id: "jzf-2018-4", titleHas: "关于加快推进工业转型升级建设现代化工业体系的指导意见", docNo: "冀政发〔2018〕4号", issuer: "河北省人民政府", kind: "原文", domain: "工信"},
		{id: "cs-2018-77", titleHas: "进一步扩大小型微利企业所得税优惠政策范围", docNo: "财税〔2018〕77号", issuer: "财政部 税务总局", kind: "原文", domain: "税务", issued: "2018-07-11", from: "2018-01-01", until: "2020-12-31"},
		{id: "cs-2018-32", titleHas: "关于调整增值税税率的通知", docNo: "财税〔2018〕32号", issuer: "财政部 税务总局", kind: "原文", domain: "税务", issued: "2018-04-04", from: "2018-05-01"},
		{id: "sat-2018-17", titleHas: "国家税务总局关于调整增值税纳税申报有关事项的公告", docNo: "国家税务总局公告2018年第17号", issuer: "国家税务总局", kind: "原文", domain: "税务", issued: "2018-04-19", from: "2018-06-01"},
		{id: "jcj-2016-27", titleHas: "河北省资产证券化奖励资金管理办法", docNo: "冀财金〔2016〕27号", issuer: "省财政厅", kind: "原文", domain: "财政", issued: "2016-04-26", from: "2016-04-26", until: "2019-04-25"},
		{id: "jcj-2015-30", titleHas: "河北省财政银行保险合作支持小微企业和农业企业实施办法", docNo: "冀财金〔2015〕30号", issuer: "省财政厅", kind: "原文", domain: "财政", issued: "2015-07-29", from: "2015-07-29", until: "2018-12-31"},
		{id: "jzf-2018-3", titleHas: "《河北省“万企转型”实施方案（2018－2020年）》", docNo: "冀政发〔2018〕3号", kind: "原文", domain: "工信", issued: "2018-08-09", from: "2018-01-01", until: "2020-12-31", issuer: "中共河北省委办公厅河北省人民政府办公厅"},
		{id: "wanqi-measures", titleHas: "河北省支持“万企转型”若干政策措施", docNo: "", issuer: "中共河北省委办公厅 河北省人民政府办公厅", kind: "原文", domain: "工信", issued: "2018-10-27"},
		{id: "private-economy-opinions", titleHas: "大力促进民营经济高质量发展的若干意见", docNo: "", issuer: "中共河北省委 河北省人民政府", kind: "原文", domain: "发改"},
		// A document that quotes another's 文号 in its text has none of its own.
		{id: "zhengyinbao-measures", titleHas: "河北省加快推广开展“政银保”融资工作的若干措施", docNo: "", kind: "原文", domain: "财政"},
		{id: "jiedu-gongxin", titleHas: "河北省工业和信息化厅支持产业转型升级", issuer: "河北省工业和信息化厅", kind: "解读", domain: "工信"},
		{id: "jiedu-fagai", titleHas: "河北省发展和改革委员会支持产业转型升级", issuer: "河北省发展和改革委员会", kind: "解读", domain: "发改"},
		{id: "jiedu-keji", titleHas: "河北省科学技术厅支持产业转型升级", issuer: "河北省科学技术厅", kind: "解读", domain: "科技"},
		{id: "jiedu-caizheng", titleHas: "河北省财政厅支持产业转型升级", issuer: "河北省财政厅", kind: "解读", domain: "财政"},
		{id: "jiedu-shuiwu", titleHas: "国家税务总局河北省税务局支持产业转型升级", issuer: "国家税务总局河北省税务局", kind: "解读", domain: "税务"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			d, ok := lib.Document(tt.id)
			if !ok {
				t.Fatalf("document %s not found", tt.id)
			}
			if !strings.Contains(d.Title, tt.titleHas) {
				t.Errorf("got title %q, want it to contain %q", d.Title, tt.titleHas)
			}
			for _, f := range []struct{ name, got, want string }{
				{"doc_no", d.DocNo, tt.docNo},
				{"issuer", d.Issuer, tt.issuer},
				{"kind", d.Kind, tt.kind},
				{"domain", d.Domain, tt.domain},
				{"issued", d.Issued, tt.issued},
				{"effective_from", d.EffectiveFrom, tt.from},
				{"effective_until", d.EffectiveUntil, tt.until},
			} {
				if f.got != f.want {
					t.Errorf("%s: got %q, want %q", f.name, f.got, f.want)
				}
			}
		})
	}
	// The 公告 that implements 财税〔2018〕32号 is a document of its own.
	a, _ := lib.Document("cs-2018-32")
	b, _ := lib.Document("sat-2018-17")
	if strings.Contains(a.Body, "增值税纳税申报有关事项的公告") || strings.Contains(b.Body, "关于调整增值税税率的通知") {
		t.Errorf("财税〔2018〕32号 and 国家税务总局公告2018年第17号 run into each other")
	}
}

func TestParseManifestErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "sources: x\n", "field sources not found"},
		{"missing start", "documents:\n  - {id: a}\n", "document 1: id and start are required"},
		{"missing id", "documents:\n  - {start: [x]}\n", "document 1: id and start are required"},
		{"duplicate id", "documents:\n  - {id: a, start: [x]}\n  - {id: a, start: [y]}\n", `document 2: duplicate id "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseManifest([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSplitSmall(t *testing.T) {
	m := Manifest{
		Source:     "test",
		PartsStart: "第一部分",
		Headings:   []string{"第一部分", "财政领域"},
		Documents: []ManifestEntry{
			{ID: "a", Start: []string{"河北省财政厅", "关于甲的通知"}},
			{ID: "b", Kind: "解读", Domain: "税务", Start: []string{"乙办法"}},
		},
	}
	src := "前言\n第一部分\n\n财政领域\n河北省财政厅\n关于甲的通知\n冀财金〔2019〕1号\n　正文　一行。 \n\n乙办法\n解读正文。\n"
	docs, spans, err := Split(src, m)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := spans, []Span{{4, 8}, {9, 11}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got spans %v, want %v", got, want)
	}
	a := docs[0]
	if a.Title != "河北省财政厅关于甲的通知" || a.DocNo != "冀财金〔2019〕1号" || a.Domain != "财政" || a.Kind != "原文" || a.Body != "河北省财政厅\n关于甲的通知\n冀财金〔2019〕1号\n正文 一行。" || a.Source != "test" {
		t.Errorf("got %+v", a)
	}
	if b := docs[1]; b.Kind != "解读" || b.Domain != "税务" || b.Body != "乙办法\n解读正文。" {
		t.Errorf("got %+v", b)
	}

	errTests := []struct{ name, src, want string }{
		{"no parts", "河北省财政厅\n关于甲的通知\n乙办法\n", "start of parts"},
		{"missing document", "第一部分\n河北省财政厅\n关于甲的通知\n", "document b: start"},
		{"stray line", "第一部分\n漏掉的一行\n河北省财政厅\n关于甲的通知\n乙办法\n", "is no heading"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Split(tt.src, m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
