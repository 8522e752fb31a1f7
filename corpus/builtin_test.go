package corpus

import (
	"reflect"
	"strings"
	"testing"
)

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
