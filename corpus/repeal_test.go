package corpus

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestRepealSentences: what a sentence ends or rewrites, read by 文号
// (repealsIn), by title alone (titleRepealsIn) or as an amendment
// (amendsIn): all of a document or a part, in the wordings notices use,
// and what it names only as its basis or adjusts without naming an
// article.
func TestRepealSentences(t *testing.T) {
	byDocNo, byTitle := repealsIn, titleRepealsIn
	amends := func(s string, _ bool) []repeal { return amendsIn(s) }
	tests := []struct {
		name   string
		read   func(s string, listed bool) []repeal
		s      string
		listed bool
		want   []repeal
	}{
		{"whole, 同时废止", byDocNo, "本办法自2024年4月1日起施行。《某省财政厅关于印发〈某办法〉的通知》（某财企〔2021〕8号）同时废止。", false, []repeal{{docNo: "某财企〔2021〕8号", part: "", amended: false}}},
		{"whole, 停止执行 with 文件", byDocNo, "自2019年1月1日起，某财税〔2016〕12号文件停止执行。", false, []repeal{{docNo: "某财税〔2016〕12号", part: "", amended: false}}},
		{"whole, 不再执行", byDocNo, "《关于某事项的通知》（某财〔2014〕34号）不再执行。", false, []repeal{{docNo: "某财〔2014〕34号", part: "", amended: false}}},
		{"whole, with its attachments", byDocNo, "《某办法》（某财〔2014〕3号）及其附件同时废止。", false, []repeal{{docNo: "某财〔2014〕3号", part: "", amended: false}}},
		{"an article", byDocNo, "《国家税务总局关于某事项的公告》（国家税务总局公告2018年第6号）第七条同时废止。", false, []repeal{{docNo: "国家税务总局公告2018年第6号", part: "第七条", amended: false}}},
		{"an article's paragraph", byDocNo, "某财〔2017〕43号文件第三条第二款停止执行。", false, []repeal{{docNo: "某财〔2017〕43号", part: "第三条第二款", amended: false}}},
		{"an attachment's form", byDocNo, "国家税务总局公告2016年第13号附件1中的《某表》同时废止。", false, []repeal{{docNo: "国家税务总局公告2016年第13号", part: "附件1中的《某表》", amended: false}}},
		{"two, one whole and one part, joined by 和", byDocNo, "《甲》（某财〔2015〕1号）和《乙》（某财〔2016〕2号）第五条同时废止。", false, []repeal{{docNo: "某财〔2015〕1号", part: "", amended: false}, {docNo: "某财〔2016〕2号", part: "第五条", amended: false}}},
		{"verb before", byDocNo, "决定废止《某办法》（某政发〔2010〕9号）。", false, []repeal{{docNo: "某政发〔2010〕9号", part: "", amended: false}}},
		{"its basis is not ended", byDocNo, "根据《某条例》（某政发〔2009〕1号）规定，《某办法》（某政发〔2010〕9号）同时废止。", false, []repeal{{docNo: "某政发〔2010〕9号", part: "", amended: false}}},
		{"a document named after the verb, not by it", byDocNo, "《甲》（某财〔2015〕1号）同时废止，某财〔2016〕2号继续执行。", false, []repeal{{docNo: "某财〔2015〕1号", part: "", amended: false}}},
		{"an item of a list", byDocNo, "2.《某办法》（某财〔2012〕7号）", true, []repeal{{docNo: "某财〔2012〕7号", part: "", amended: false}}},
		{"the former measures", byTitle, "本办法自2024年4月1日起施行，原《某省风险补偿资金管理办法》同时废止。", false, []repeal{{title: "某省风险补偿资金管理办法"}}},
		{"two together", byTitle, "《甲办法》、《乙办法》同时废止。", false, []repeal{{title: "甲办法"}, {title: "乙办法"}}},
		{"the verb before", byTitle, "决定废止《某省技改贴息办法》。", false, []repeal{{title: "某省技改贴息办法"}}},
		{"an item of a list", byTitle, "2.《某省技改贴息办法》", true, []repeal{{title: "某省技改贴息办法"}}},
		{"its 文号 follows", byTitle, "《某办法》（某财企〔2021〕8号）同时废止。", false, nil},
		{"a part", byTitle, "《某办法》第七条同时废止。", false, []repeal{{title: "某办法", part: "第七条"}}},
		{"a part of one, another whole", byTitle, "《甲办法》第三条、《乙办法》同时废止。", false, []repeal{{title: "甲办法", part: "第三条"}, {title: "乙办法"}}},
		{"the basis", byTitle, "根据《某条例》，《某办法》同时废止。", false, []repeal{{title: "某办法"}}},
		{"another clause's verb", byTitle, "按《某办法》执行，违规的停止执行。", false, nil},
		{"rewritten", amends, "将《某省中小企业贷款贴息办法》（某财金〔2020〕3号）第五条修改为：“贴息比例不超过50%。”", false, []repeal{{docNo: "某财金〔2020〕3号", part: "第五条", amended: true}}},
		{"a paragraph's figure", amends, "某财金〔2020〕3号文件第三条第二款中的“50万元”调整为“100万元”。", false, []repeal{{docNo: "某财金〔2020〕3号", part: "第三条第二款", amended: true}}},
		{"struck", amends, "删去《某办法》（某财金〔2020〕3号）第七条。", false, nil},
		{"struck, article after the 文号", amends, "《某办法》（某财金〔2020〕3号）第七条删去。", false, []repeal{{docNo: "某财金〔2020〕3号", part: "第七条", amended: false}}},
		{"a rate, no article", amends, "纳税人发生增值税应税销售行为，原适用17%和11%税率的，税率分别调整为16%、10%。", false, nil},
		{"an article far from the 文号", amends, "按照《某办法》（某财金〔2020〕3号）的要求，本办法第五条修改为：…", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.read(tt.s, tt.listed); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%q (listed %v)\n got %+v\nwant %+v", tt.s, tt.listed, got, tt.want)
			}
		})
	}
}

// TestPartRepealed: a document that loses one article to a later one
// keeps its period and its other articles; that article reads as repealed
// from the day the later one takes effect, a whole repeal worded 停止执行
// ends the whole document, and a list after 下列文件同时废止 ends every
// document it names.
func TestPartRepealed(t *testing.T) {
	lib := loadFiles(t, map[string][]byte{
		"old.txt":    []byte("某省税务局关于某事项的公告\n某省税务局公告2022年第3号\n一、纳税人可按季度申报。\n二、小型企业可享受减免。\n三、本公告自2022年3月1日起施行，有效期至2027年12月31日。\n某省税务局\n2022年2月20日\n"),
		"gone.txt":   []byte("某省财政厅关于某补助的通知\n某财企〔2020〕4号\n一、对企业给予补助。\n二、本通知自发布之日起施行。\n某省财政厅\n2020年5月6日\n"),
		"listed.txt": []byte("某省财政厅关于某奖励的通知\n某财企〔2019〕2号\n一、对企业给予奖励。\n某省财政厅\n2019年5月6日\n"),
		"new.txt":    []byte("某省税务局关于调整某事项的公告\n某省税务局公告2025年第1号\n一、纳税人按月申报。\n二、本公告自2025年7月1日起施行。《某省税务局关于某事项的公告》（某省税务局公告2022年第3号）第一条同时废止。某财企〔2020〕4号文件停止执行。下列文件同时废止：\n1.《某省财政厅关于某奖励的通知》（某财企〔2019〕2号）；\n2.《某省财政厅关于另一奖励的通知》（某财企〔2018〕9号）。\n某省税务局\n2025年6月1日\n"),
	})
	newDoc, _ := lib.Document("new")
	if want := []string{"某省税务局公告2022年第3号第一条", "某财企〔2020〕4号", "某财企〔2019〕2号", "某财企〔2018〕9号"}; !reflect.DeepEqual(newDoc.Repeals, want) {
		t.Errorf("repeals %q, want %q", newDoc.Repeals, want)
	}
	old, _ := lib.Document("old")
	if old.RepealedBy != "" {
		t.Errorf("a document losing one article is repealed by %q", old.RepealedBy)
	}
	by := newDoc.Cite()
	if want := []PartChange{{Part: "第一条", By: by, On: "2025-07-01"}}; !reflect.DeepEqual(old.PartsChanged, want) {
		t.Errorf("parts repealed %+v, want %+v", old.PartsChanged, want)
	}
	for _, id := range []string{"gone", "listed"} {
		if d, _ := lib.Document(id); d.RepealedBy != by {
			t.Errorf("%s repealed by %q, want %q", id, d.RepealedBy, by)
		}
	}
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	before := time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)
	repealed := Validity{Status: StatusExpired, Until: "2025-07-01", Because: by, Repealed: true, Part: "第一条"}
	tests := []struct {
		label string
		now   time.Time
		want  bool
	}{
		{"一、", now, true},
		{"第一条", now, true},
		{"一（二）", now, true},
		{"二、", now, false},
		{"十一、", now, false},
		{"一、", before, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s on %s", tt.label, tt.now.Format(time.DateOnly)), func(t *testing.T) {
			vs := lib.ClauseValidity(Chunk{DocID: "old", Label: tt.label, Text: "纳税人可按季度申报。"}, tt.now)
			got := len(vs) > 0 && vs[0] == repealed
			if got != tt.want {
				t.Errorf("clause validity %+v; want the article repealed: %v", vs, tt.want)
			}
		})
	}
	if v := old.Validity(now); v.Status != StatusInForce || v.Repealed {
		t.Errorf("the document's own validity %+v, want in force to its end", v)
	}
}

func TestArticleNumber(t *testing.T) {
	tests := []struct {
		label string
		want  int
	}{
		{"第七条", 7}, {"第 12 条", 12}, {"第二十一条", 21}, {"第一百零五条", 105}, {"第一百二十条", 120},
		{"七、", 7}, {"三（一）1", 3}, {"十一、", 11}, {"附件2 一、", 0}, {"第1问", 0}, {"正文", 0}, {"", 0},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			if got := articleNumber(tt.label); got != tt.want {
				t.Errorf("articleNumber(%q) = %d, want %d", tt.label, got, tt.want)
			}
		})
	}
}

func FuzzRepealsIn(f *testing.F) {
	for _, s := range []string{
		"《某办法》（某财〔2014〕3号）及其附件同时废止。",
		"国家税务总局公告2016年第13号附件1中的《某表》同时废止。",
		"根据《某条例》（某政发〔2009〕1号）规定，《某办法》（某政发〔2010〕9号）第一百零五条停止执行。",
		"和国家税务总局公告2016年第13号）第（三",
		"将《某办法》（某财金〔2020〕3号）第五条修改为：“贴息比例不超过50%。”",
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, listed bool) {
		for _, r := range repealsIn(s, listed) {
			if !strings.Contains(s, r.docNo) {
				t.Errorf("文号 %q is not in %q", r.docNo, s)
			}
			if utf8.RuneCountInString(r.part) > 41 {
				t.Errorf("part %q longer than kept", r.part)
			}
		}
		for _, r := range titleRepealsIn(s, listed) {
			if r.title == "" || !strings.Contains(s, "《"+r.title+"》") {
				t.Errorf("title %q not quoted in %q", r.title, s)
			}
		}
		for _, r := range amendsIn(s) {
			if !strings.Contains(s, r.docNo) || !partArticleRe.MatchString(r.part) {
				t.Errorf("amendment %+v not read from %q", r, s)
			}
		}
		articleNumber(s)
	})
}

// TestPartAmended: an article another document rewrote reads as changed
// from that document's start, its siblings and its document stand.
func TestPartAmended(t *testing.T) {
	lib := loadFiles(t, map[string][]byte{
		"old.txt": []byte("某省财政厅关于印发某省中小企业贷款贴息办法的通知\n某财金〔2020〕3号\n第一条 为支持中小企业融资，制定本办法。\n第五条 贴息比例不超过30%。\n第六条 本办法自2020年3月1日起施行，有效期至2027年12月31日。\n某省财政厅\n2020年2月20日\n"),
		"new.txt": []byte("某省财政厅关于修改某省中小企业贷款贴息办法的通知\n某财金〔2025〕8号\n一、将《某省中小企业贷款贴息办法》（某财金〔2020〕3号）第五条修改为：“贴息比例不超过50%。”\n二、本通知自2025年9月1日起施行。\n某省财政厅\n2025年8月1日\n"),
	})
	old, _ := lib.Document("old")
	newDoc, _ := lib.Document("new")
	if want := []PartChange{{Part: "第五条", By: newDoc.Cite(), On: "2025-09-01", Amended: true}}; !reflect.DeepEqual(old.PartsChanged, want) {
		t.Fatalf("parts changed %+v, want %+v", old.PartsChanged, want)
	}
	if len(newDoc.Repeals) != 0 || old.RepealedBy != "" {
		t.Errorf("an amendment read as a repeal: repeals %q, repealed by %q", newDoc.Repeals, old.RepealedBy)
	}
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	want := Validity{Status: StatusExpired, Until: "2025-09-01", Because: newDoc.Cite(), Amended: true, Part: "第五条"}
	if vs := lib.ClauseValidity(Chunk{DocID: "old", Label: "第五条", Text: "第五条 贴息比例不超过30%。"}, now); len(vs) == 0 || vs[0] != want {
		t.Errorf("the amended article's validity %+v, want first %+v", vs, want)
	}
	if vs := lib.ClauseValidity(Chunk{DocID: "old", Label: "第一条", Text: "第一条 为支持中小企业融资，制定本办法。"}, now); len(vs) != 0 {
		t.Errorf("another article's validity %+v, want nothing of its own", vs)
	}
}

// TestAmendmentList: a notice that names a document once and then lists
// its changes item by item (作如下修改：（一）第五条第（二）项修改为：“…”；
// （二）第六条增加一款…) changes each article it lists, and nothing after
// the list ends.
func TestAmendmentList(t *testing.T) {
	lib := loadFiles(t, map[string][]byte{
		"old.txt": []byte("某省人力资源和社会保障厅关于印发某省稳岗补贴办法的通知\n某人社发〔2015〕40号\n第五条 企业应当符合以下条件。\n第六条 补贴不超过50%。\n第七条 由经办机构审核。\n第八条 本办法自印发之日起施行。\n某省人力资源和社会保障厅\n2015年7月10日\n"),
		"new.txt": []byte("某省人力资源和社会保障厅关于做好职工安置工作的通知\n某人社发〔2016〕52号\n一、做好安置。各地要妥善安置职工。\n二、修改稳岗补贴有关规定\n为加大支持，对《某省稳岗补贴办法》（某人社发〔2015〕40号）作如下修改：（一）第五条第（二）项修改为：“（二）上年度未裁员；化解过剩产能的企业，裁员率不高于2倍的，视为符合本项条件；”\n（二）第六条增加一款，作为第二款：“化解过剩产能的企业，补贴可以提高到60%。”\n三、第七条规定的审核由各地统筹。\n本通知自印发之日起执行。\n某省人力资源和社会保障厅\n2016年7月26日\n"),
	})
	old, _ := lib.Document("old")
	newDoc, _ := lib.Document("new")
	want := []PartChange{
		{Part: "第五条第（二）项", By: newDoc.Cite(), On: "2016-07-26", Amended: true},
		{Part: "第六条", By: newDoc.Cite(), On: "2016-07-26", Amended: true},
	}
	if !reflect.DeepEqual(old.PartsChanged, want) {
		t.Errorf("parts changed %+v, want %+v", old.PartsChanged, want)
	}
	if len(newDoc.Repeals) != 0 || old.RepealedBy != "" {
		t.Errorf("an amendment read as a repeal: repeals %q, repealed by %q", newDoc.Repeals, old.RepealedBy)
	}
}

// TestRepealedByTitle: the earlier version of measures a later notice
// repeals by title alone is repealed; the later one, and a still later
// one of the same title, are not; an article taken by title is that
// article only.
func TestRepealedByTitle(t *testing.T) {
	lib := loadFiles(t, map[string][]byte{
		"v2021.txt": []byte("某省风险补偿资金管理办法\n第一条 风险补偿比例不超过30%。\n某省财政厅\n2021年3月15日\n"),
		"v2024.txt": []byte("某省财政厅关于印发《某省风险补偿资金管理办法》的通知\n第一条 风险补偿比例不超过40%。\n第二条 本办法自2024年4月1日起施行，原《某省风险补偿资金管理办法》同时废止，《某省技改贴息办法》第三条同时废止。\n某省财政厅\n2024年3月20日\n"),
		"tech.txt":  []byte("某省技改贴息办法\n第一条 对技改项目贷款贴息。\n第三条 贴息比例不超过30%。\n某省工业和信息化厅\n2022年6月1日\n"),
		"v2026.txt": []byte("某省风险补偿资金管理办法\n第一条 风险补偿比例不超过50%。\n某省财政厅\n2026年5月1日\n"),
	})
	by, _ := lib.Document("v2024")
	for _, tt := range []struct {
		id, want string
	}{{"v2021", by.Cite()}, {"v2024", ""}, {"v2026", ""}} {
		if d, _ := lib.Document(tt.id); d.RepealedBy != tt.want {
			t.Errorf("%s repealed by %q, want %q", tt.id, d.RepealedBy, tt.want)
		}
	}
	if want := []string{"《某省风险补偿资金管理办法》", "《某省技改贴息办法》第三条"}; !reflect.DeepEqual(by.Repeals, want) {
		t.Errorf("repeals %q, want %q", by.Repeals, want)
	}
	tech, _ := lib.Document("tech")
	if want := []PartChange{{Part: "第三条", By: by.Cite(), On: "2024-04-01"}}; tech.RepealedBy != "" || !reflect.DeepEqual(tech.PartsChanged, want) {
		t.Errorf("repealed by %q, parts changed %+v; want only %+v", tech.RepealedBy, tech.PartsChanged, want)
	}
}

// TestExtended: a document naming another by 文号 and extending its
// period moves that one's end, and its validity says by whom; one naming
// an article, an interpretation, or an extension to an earlier day does
// not.
func TestExtended(t *testing.T) {
	lib := loadFiles(t, map[string][]byte{
		"loan.txt":  []byte("某部关于小微企业融资税收政策的通知\n某财税〔2019〕21号\n一、对小额贷款利息收入免征增值税。\n二、本通知执行期限为2019年1月1日至2020年12月31日。\n某部\n2019年3月5日\n"),
		"rent.txt":  []byte("某部关于房租减免的通知\n某财税〔2019〕30号\n一、对减免租金的出租人免征房产税。\n二、本通知执行期限为2019年1月1日至2020年12月31日。\n某部\n2019年4月1日\n"),
		"long.txt":  []byte("某部关于设备扣除的通知\n某财税〔2019〕40号\n一、设备一次性扣除。\n二、本通知执行期限为2019年1月1日至2023年12月31日。\n某部\n2019年5月1日\n"),
		"ext.txt":   []byte("某部关于延长部分税收优惠政策执行期限的公告\n某部公告2021年第6号\n一、《某部关于小微企业融资税收政策的通知》（某财税〔2019〕21号）规定的免征增值税政策，执行期限延长至2022年12月31日。\n二、某财税〔2019〕30号第一条规定的政策，执行期限延长至2022年12月31日。\n三、某财税〔2019〕40号规定的政策，执行期限延长至2021年12月31日。\n某部\n2021年3月15日\n"),
		"jiedu.txt": []byte("某政策解读\n某部有关负责人就延长政策答记者问。\n某财税〔2019〕30号规定的政策，执行期限延长至2023年12月31日。\n某部\n2021年3月20日\n"),
	})
	ext, _ := lib.Document("ext")
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		id   string
		want Validity
	}{
		{"loan", Validity{Status: StatusExpired, Until: "2022-12-31", Because: ext.Cite(), Extended: true}},
		{"rent", Validity{Status: StatusExpired, Until: "2020-12-31"}},
		{"long", Validity{Status: StatusExpired, Until: "2023-12-31"}},
	} {
		d, _ := lib.Document(tt.id)
		if got := d.Validity(now); got != tt.want {
			t.Errorf("%s: validity %+v, want %+v", tt.id, got, tt.want)
		}
	}
	// A clause naming the extended document (a question-and-answer text
	// quoting it) takes its extended period, resting on the document
	// that extends it, not on the one it names.
	faq := Chunk{DocID: "jiedu", Label: "正文", Text: "按某财税〔2019〕21号规定，小额贷款利息收入免征增值税。"}
	if got := lib.ClauseValidity(faq, now); len(got) != 1 || got[0].Because != ext.Cite() || !got[0].Extended {
		t.Errorf("clause naming an extended document: %+v, want it extended by %s", got, ext.Cite())
	}
}

// TestShortNamed: a text naming a document by its 文号 once, under a
// short name for the rest (以下简称《办法》), extends or amends it by that
// name; and the later text, titled after the one it acts on, is no newer
// version of it.
func TestShortNamed(t *testing.T) {
	lib := loadFiles(t, map[string][]byte{
		"fee.txt":    []byte("某厅关于印发《某省融资担保降费奖补实施办法》的通知\n某工信规〔2023〕2号\n第一条 对降费业务给予奖补。\n第十一条 本办法自2023年3月1日起施行，有效期至2023年12月31日。\n某厅\n2023年2月20日\n"),
		"extend.txt": []byte("某厅关于延长《某省融资担保降费奖补实施办法》有效期的通知\n某工信中小〔2023〕212号\n《某厅关于印发〈某省融资担保降费奖补实施办法〉的通知》（某工信规〔2023〕2号，以下简称《办法》）将于2023年12月31日到期。现就有关事项通知如下：\n一、《办法》有效期延长至2025年12月31日。\n二、延长期间，《办法》各项规定继续执行。\n某厅\n2023年11月27日\n"),
		"rules.txt":  []byte("某厅关于印发《某省专精特新中小企业认定管理办法》的通知\n某工信规〔2023〕1号\n第九条 每年组织一次认定。\n第十条 认定有效期3年。\n某厅\n2023年1月16日\n"),
		"amend.txt":  []byte("某厅关于修改《某省专精特新中小企业认定管理办法》第九条的通知\n某工信规〔2023〕5号\n经研究，决定对《某省专精特新中小企业认定管理办法》（某工信规〔2023〕1号）作如下修改：\n将第九条修改为：“每年分两批组织认定。”\n本通知自印发之日起施行。\n某厅\n2023年8月21日\n"),
	})
	ext, _ := lib.Document("extend")
	fee, _ := lib.Document("fee")
	if fee.ExtendedTo != "2025-12-31" || fee.ExtendedBy != ext.Cite() {
		t.Errorf("extended to %q by %q, want 2025-12-31 by %s", fee.ExtendedTo, fee.ExtendedBy, ext.Cite())
	}
	amend, _ := lib.Document("amend")
	rules, _ := lib.Document("rules")
	if want := []PartChange{{Part: "第九条", By: amend.Cite(), On: "2023-08-21", Amended: true}}; !reflect.DeepEqual(rules.PartsChanged, want) {
		t.Errorf("parts changed %+v, want %+v", rules.PartsChanged, want)
	}
	if fee.Newer != "" || rules.Newer != "" {
		t.Errorf("newer %q and %q, want none: the later texts extend and amend them", fee.Newer, rules.Newer)
	}
}

// TestNewer: each earlier version of measures a later one follows without
// repealing it is marked with the newest; the newest, and measures of the
// same title by another issuer, are not.
func TestNewer(t *testing.T) {
	lib := loadFiles(t, map[string][]byte{
		"v2019.txt":  []byte("某市稳岗补贴实施办法\n第一条 补贴比例为上年度失业保险费的50%。\n某市人力资源和社会保障局\n2019年4月1日\n"),
		"v2022.txt":  []byte("某市人力资源和社会保障局关于印发《某市稳岗补贴实施办法》的通知\n第一条 补贴比例为上年度失业保险费的60%。\n某市人力资源和社会保障局\n2022年5月1日\n"),
		"v2025.txt":  []byte("某市稳岗补贴实施办法\n第一条 补贴比例为上年度失业保险费的75%。\n某市人力资源和社会保障局\n2025年6月1日\n"),
		"other.txt":  []byte("某市创业担保贷款实施办法\n第一条 贷款额度最高30万元。\n某市人力资源和社会保障局\n2020年1月1日\n"),
		"county.txt": []byte("某市稳岗补贴实施办法\n第一条 补贴比例为上年度失业保险费的40%。\n某县人力资源和社会保障局\n2018年1月1日\n"),
	})
	newest, _ := lib.Document("v2025")
	for _, tt := range []struct{ id, want string }{
		{"v2019", newest.Cite()}, {"v2022", newest.Cite()}, {"v2025", ""}, {"other", ""}, {"county", ""},
	} {
		if d, _ := lib.Document(tt.id); d.Newer != tt.want {
			t.Errorf("%s: newer %q, want %q", tt.id, d.Newer, tt.want)
		}
	}
}

// loadFiles loads a users' folder holding files (name → text), without
// the built-in corpus.
func loadFiles(t *testing.T, files map[string][]byte) *Library {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	return loadFolder(t, dir)
}

// loadFolder loads the documents of one folder, failing the test if it
// cannot.
func loadFolder(t *testing.T, dir string) *Library {
	t.Helper()
	lib, err := Load(Options{Dirs: []string{dir}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}
