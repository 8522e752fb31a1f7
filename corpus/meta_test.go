package corpus

import (
	"strings"
	"testing"
	"time"
)

func TestPeriod(t *testing.T) {
	long := strings.Repeat("甲", 400)
	tests := []struct {
		name                string
		title, body, issued string
		header              int
		from, until         string
	}{
		{"term from issue", "某办法", "第二十四条 本办法自发布之日起施行，有效期3年。", "2016-04-26", 0, "2016-04-26", "2019-04-25"},
		{"term in Chinese numerals", "某措施", "本措施自印发之日起实施，执行期限暂定为三年。", "2018-10-21", 0, "2018-10-21", "2021-10-20"},
		{"term from a stated date", "某办法", "本办法自2016年8月1日起施行，有效期五年。", "2016-07-29", 0, "2016-08-01", "2021-07-31"},
		{"term over a leap day", "某办法", "本办法自发布之日起施行，有效期1年。", "2016-02-29", 0, "2016-02-29", "2017-02-28"},
		{"term without any date", "某办法", "本办法有效期3年。", "", 0, "", ""},
		{"trial to a year", "某办法", "本办法自发布之日起施行，试行期到2018年。", "2015-07-29", 0, "2015-07-29", "2018-12-31"},
		{"trial without issue date", "某办法", "试行期至2018年。", "", 0, "", "2018-12-31"},
		{"range in first provision", "某通知", "某通知\n各省财政厅：\n一、自2018年1月1日至2020年12月31日，将小型微利企业的年应纳税所得额上限提高至100万元。", "2018-07-11", 2, "2018-01-01", "2020-12-31"},
		{"range 在…期间", "某通知", "在2018年1月1日至2020年12月31日期间新购进的设备。", "", 0, "2018-01-01", "2020-12-31"},
		{"range deep in the text is a clause's", "某通知", long + "\n自2018年1月1日至2020年12月31日，某项减半征收。", "", 0, "", ""},
		{"range in the header is not the document's", "某通知", "自2018年1月1日至2020年12月31日\n正文。", "", 1, "", ""},
		{"start date and matching range", "某通知", "一、自2018年9月1日至2020年12月31日，免征增值税。\n二、本通知自2018年9月1日起执行。", "", 0, "2018-09-01", "2020-12-31"},
		{"start date and another range", "某通知", "一、自2018年1月1日至2020年12月31日，免征。\n二、本通知自2018年5月1日起执行。", "", 0, "2018-05-01", ""},
		{"start only", "某通知", "本通知自2018年5月1日起执行。", "2018-04-04", 0, "2018-05-01", ""},
		{"公告 start", "某公告", "本公告自2018年6月1日起施行。", "2018-04-19", 0, "2018-06-01", ""},
		{"开始执行", "某通知", "本通知自2018年11月1日开始执行。", "", 0, "2018-11-01", ""},
		{"title years", "河北省科技创新三年行动计划（2018－2020年）", "正文。", "", 0, "2018-01-01", "2020-12-31"},
		{"title years ASCII", "某计划(2018-2020年)", "本计划有效期3年。", "2018-05-01", 0, "2018-01-01", "2020-12-31"},
		{"nothing stated", "某意见", "各市人民政府：\n现提出如下意见。", "2018-01-18", 0, "", ""},
		{"impossible date", "某通知", "本通知自2018年2月30日起执行。", "", 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, until := period(tt.title, tt.body, tt.issued, tt.header)
			if from != tt.from || until != tt.until {
				t.Errorf("got %q..%q, want %q..%q", from, until, tt.from, tt.until)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name                 string
		lines                []string
		issuer, title, docNo string
		n                    int
	}{
		{
			name:   "issuer, title over two lines, number",
			lines:  []string{"河北省人民政府", "关于加快推进工业转型升级", "建设现代化工业体系的指导意见", "冀政发〔2018〕4号", "各市（含定州、辛集市）人民政府："},
			issuer: "河北省人民政府", title: "河北省人民政府关于加快推进工业转型升级建设现代化工业体系的指导意见", docNo: "冀政发〔2018〕4号", n: 4,
		},
		{
			name:   "issuers on the title line",
			lines:  []string{"财政部 税务总局关于企业职工教育经费", "税前扣除政策的通知", "财税〔2018〕51号", "各省、自治区财政厅："},
			issuer: "财政部 税务总局", title: "财政部税务总局关于企业职工教育经费税前扣除政策的通知", docNo: "财税〔2018〕51号", n: 3,
		},
		{
			name:   "two issuer lines",
			lines:  []string{"中共河北省委办公厅", "河北省人民政府办公厅", "关于印发《某方案》的通知", "冀办字〔2018〕7号"},
			issuer: "中共河北省委办公厅 河北省人民政府办公厅", title: "中共河北省委办公厅河北省人民政府办公厅关于印发《某方案》的通知", docNo: "冀办字〔2018〕7号", n: 4,
		},
		{
			name:  "title in book quotes",
			lines: []string{"《河北省财政保险合作支持首台（套）重大技术装备", "生产企业实施办法》", "冀财金〔2015〕29号"},
			title: "河北省财政保险合作支持首台（套）重大技术装备生产企业实施办法", docNo: "冀财金〔2015〕29号", n: 3,
		},
		{
			name:   "公告 number",
			lines:  []string{"国家税务总局关于调整", "增值税纳税申报有关事项的公告", "国家税务总局公告2018年第17号", "为做好增值税税率调整工作，现公告如下："},
			issuer: "国家税务总局", title: "国家税务总局关于调整增值税纳税申报有关事项的公告", docNo: "国家税务总局公告2018年第17号", n: 3,
		},
		{
			name:  "no number: ends at running text",
			lines: []string{"河北省支持中小企业融资若干措施", "为深入落实“万企转型”行动，提出如下措施。", "一、加大信贷资金投放力度。"},
			title: "河北省支持中小企业融资若干措施", n: 1,
		},
		{
			name:  "ends at a heading",
			lines: []string{"某办法", "第一章 总则", "第一条 甲。"},
			title: "某办法", n: 1,
		},
		{
			name:  "ends at a salutation",
			lines: []string{"某通知", "各市财政局："},
			title: "某通知", n: 1,
		},
		{
			name:  "ends at a date",
			lines: []string{"某通知", "2018年4月4日"},
			title: "某通知", n: 1,
		},
		{
			name:  "bracket number",
			lines: []string{"某办法", "冀政办字﹝2017﹞127号"},
			title: "某办法", docNo: "冀政办字﹝2017﹞127号", n: 2,
		},
		{
			name:  "all header",
			lines: []string{"某办法"},
			title: "某办法", n: 1,
		},
		{name: "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := parseHeader(tt.lines)
			if h.issuer != tt.issuer || h.title != tt.title || h.docNo != tt.docNo || h.lines != tt.n {
				t.Errorf("got issuer %q title %q doc_no %q lines %d,\nwant issuer %q title %q doc_no %q lines %d",
					h.issuer, h.title, h.docNo, h.lines, tt.issuer, tt.title, tt.docNo, tt.n)
			}
		})
	}
}

func TestSignature(t *testing.T) {
	tests := []struct {
		name         string
		lines        []string
		issuer, date string
	}{
		{"issuer and date", []string{"正文。", "财政部 税务总局", "2018年4月4日"}, "财政部 税务总局", "2018-04-04"},
		{"date after text", []string{"本通知自印发之日起执行。", "2018年4月4日"}, "", "2018-04-04"},
		{"first date wins", []string{"省财政厅", "2016年4月26日", "某办法", "2016年5月1日"}, "省财政厅", "2016-04-26"},
		{"date in text", []string{"2018年4月4日印发。"}, "", ""},
		{"impossible date", []string{"省财政厅", "2018年2月30日"}, "省财政厅", ""},
		{"none", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer, date := signature(tt.lines)
			if issuer != tt.issuer || date != tt.date {
				t.Errorf("got %q %q, want %q %q", issuer, date, tt.issuer, tt.date)
			}
		})
	}
}

func TestYear(t *testing.T) {
	tests := []struct {
		name          string
		issued, docNo string
		want          int
	}{
		{"issue date", "2016-04-26", "冀财金〔2016〕27号", 2016},
		{"issue date over number", "2019-01-02", "冀财金〔2018〕1号", 2019},
		{"number", "", "冀政发〔2018〕4号", 2018},
		{"公告 number", "", "国家税务总局公告2017年第52号", 2017},
		{"neither", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Document{Issued: tt.issued, DocNo: tt.docNo}
			if got := d.Year(); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestExpired(t *testing.T) {
	day := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		until string
		now   time.Time
		want  bool
	}{
		{"ended long ago", "2019-04-25", day("2026-11-27T09:00:00Z"), true},
		{"last day", "2019-04-25", day("2019-04-25T23:59:59Z"), false},
		{"day after", "2019-04-25", day("2019-04-26T00:00:01Z"), true},
		{"before", "2020-12-31", day("2018-07-11T00:00:00Z"), false},
		{"no period stated", "", day("2026-11-27T09:00:00Z"), false},
		{"unreadable period", "2020年", day("2026-11-27T09:00:00Z"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Document{EffectiveUntil: tt.until}
			if got := d.Expired(tt.now); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCite(t *testing.T) {
	tests := []struct {
		d    Document
		want string
	}{
		{Document{Title: "河北省资产证券化奖励资金管理办法", DocNo: "冀财金〔2016〕27号"}, "《河北省资产证券化奖励资金管理办法》（冀财金〔2016〕27号）"},
		{Document{Title: "大力促进民营经济高质量发展的若干意见"}, "《大力促进民营经济高质量发展的若干意见》"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.d.Cite(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNormLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"　　第一条　为了\t甲，  制定本办法。 ", "第一条 为了 甲， 制定本办法。"},
		{"\ufeff\u00a0甲\r", "甲"},
		{" \u3000 ", ""},
		{"财政部  税务总局", "财政部 税务总局"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := normLine(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if got, want := squeeze(tt.in), strings.ReplaceAll(tt.want, " ", ""); got != want {
				t.Errorf("squeeze: got %q, want %q", got, want)
			}
		})
	}
}
