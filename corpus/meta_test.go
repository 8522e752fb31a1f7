package corpus

import (
	"slices"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name                 string
		lines                []string
		issuer, title, docNo string
		n                    int
		issued               string // from the header, not the signature
	}{
		{
			name:   "issuer, title over two lines, number",
			lines:  []string{"河北省人民政府", "关于加快推进工业转型升级", "建设现代化工业体系的指导意见", "冀政发〔2018〕4号", "各市（含定州、辛集市）人民政府："},
			issuer: "河北省人民政府", title: "河北省人民政府关于加快推进工业转型升级建设现代化工业体系的指导意见", docNo: "冀政发〔2018〕4号", n: 4,
		},
		{
			name:   "issuers on the title line",
			lines:  []string{"财政部 税务总局关于企业职工教育经费", "税前扣除政策的通知", "财税〔2018〕51号", "各省、自治区财政厅："},
			issuer: "财政部 税务总局", title: "财政部 税务总局关于企业职工教育经费税前扣除政策的通知", docNo: "财税〔2018〕51号", n: 3,
		},
		{
			name:   "two issuer lines",
			lines:  []string{"中共河北省委办公厅", "河北省人民政府办公厅", "关于印发《某方案》的通知", "冀办字〔2018〕7号"},
			issuer: "中共河北省委办公厅 河北省人民政府办公厅", title: "中共河北省委办公厅 河北省人民政府办公厅关于印发《某方案》的通知", docNo: "冀办字〔2018〕7号", n: 4,
		},
		{
			name:  "title in book quotes",
			lines: []string{"《河北省财政保险合作支持首台（套）重大技术装备", "生产企业实施办法》", "冀财金〔2015〕29号"},
			title: "河北省财政保险合作支持首台（套）重大技术装备生产企业实施办法", docNo: "冀财金〔2015〕29号", n: 3,
		},
		{
			name:   "文号 in brackets after the title",
			lines:  []string{"某省人民政府办公厅关于促进小微企业发展的通知（某政办发〔2012〕45号）", "各市、县人民政府："},
			issuer: "某省人民政府办公厅", title: "某省人民政府办公厅关于促进小微企业发展的通知", docNo: "某政办发〔2012〕45号", n: 1,
		},
		{
			name:   "a question and answer text",
			lines:  []string{"小型微利企业所得税优惠政策问答", "某省税务局", "问：小型微利企业的标准是什么", "答：从事国家非限制和禁止行业的企业。"},
			issuer: "某省税务局", title: "小型微利企业所得税优惠政策问答", n: 2,
		},
		{
			name:   "issuer under the title",
			lines:  []string{"《关于进一步扶持中小企业发展的意见》政策解读", "某省经济和信息化委员会", "一、出台背景"},
			issuer: "某省经济和信息化委员会", title: "《关于进一步扶持中小企业发展的意见》政策解读", n: 2,
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
		{
			name:  "joint 公告 number above the title",
			lines: []string{"财政部 税务总局公告2023年第12号", "关于进一步支持小微企业和个体工商户发展有关税费政策的公告", "为进一步支持小微企业和个体工商户发展，现将有关税费政策公告如下："},
			title: "关于进一步支持小微企业和个体工商户发展有关税费政策的公告", docNo: "财政部 税务总局公告2023年第12号", n: 2,
		},
		{
			name:   "red head",
			lines:  []string{"浙江省人民政府办公厅文件", "浙政办发〔2023〕12号", "浙江省人民政府办公厅关于印发某措施的通知", "各市、县（市、区）人民政府："},
			issuer: "浙江省人民政府办公厅", title: "浙江省人民政府办公厅关于印发某措施的通知", docNo: "浙政办发〔2023〕12号", n: 3,
		},
		{
			name:   "metadata block",
			lines:  []string{"索引号：113300/2023-00123", "发布机构：某省财政厅", "发文字号：某财企〔2023〕8号", "标题：某省财政厅关于甲的通知", "各市财政局："},
			issuer: "某省财政厅", title: "某省财政厅关于甲的通知", docNo: "某财企〔2023〕8号", n: 4,
		},
		{
			name:   "labels spaced to align, or in brackets",
			lines:  []string{"索 引 号：11500000/2020-00087", "【发布机构】某市科学技术局", "文 号：某科局发〔2020〕68号", "【成文日期】2020年08月10日", "某市科学技术局关于甲的通知", "各区县科技主管部门："},
			issuer: "某市科学技术局", title: "某市科学技术局关于甲的通知", docNo: "某科局发〔2020〕68号", n: 5, issued: "2020-08-10",
		},
		{
			name:   "a page's date and source only when nothing else gives them",
			lines:  []string{"某政策解读", "来源：某市税务局 发布时间：2021年04月08日 【字体：大 中 小】", "近日，某公告发布。"},
			issuer: "某市税务局", title: "某政策解读", n: 2, issued: "2021-04-08",
		},
		{
			name:   "an author and date under the title",
			lines:  []string{"某市稳岗就业政策问答", "（某市人力资源和社会保障局 2021年4月20日）", "问：稳岗返还怎么申请？"},
			issuer: "某市人力资源和社会保障局", title: "某市稳岗就业政策问答", n: 2, issued: "2021-04-20",
		},
		{
			name:   "a joint red head printed again over the title",
			lines:  []string{"某市财政局", "某市税务局", "某财规〔2019〕3号", "某市财政局 某市税务局", "关于甲的通知", "各区县财政局："},
			issuer: "某市财政局 某市税务局", title: "某市财政局 某市税务局关于甲的通知", docNo: "某财规〔2019〕3号", n: 5,
		},
		{
			name:   "a joint red head's shorter name spaced out, with 文件 after it",
			lines:  []string{"某省人力资源和社会保障厅", "某 省 财 政 厅 文件", "某人社发〔2017〕28号", "某省人力资源和社会保障厅 某省财政厅", "关于甲的通知", "各市人社局："},
			issuer: "某省人力资源和社会保障厅 某省财政厅", title: "某省人力资源和社会保障厅 某省财政厅关于甲的通知", docNo: "某人社发〔2017〕28号", n: 5,
		},
		{
			name:  "number on a label line",
			lines: []string{"某通知", "文号：某财金〔2019〕12号", "正文。"},
			title: "某通知", docNo: "某财金〔2019〕12号", n: 2,
		},
		{
			name:  "a regulation's note of issue under its title",
			lines: []string{"某省中小企业公共服务示范平台认定管理办法", "（2021年3月18日某省工业和信息化厅印发 某工信规字〔2021〕2号）", "第一条 为推动平台规范发展，制定本办法。"},
			title: "某省中小企业公共服务示范平台认定管理办法", docNo: "某工信规字〔2021〕2号", n: 2, issued: "2021-03-18",
		},
		{
			name:  "Markdown heading",
			lines: []string{"# 某办法", "第一条 甲。"},
			title: "某办法", n: 1,
		},
		{name: "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := parseHeader(tt.lines)
			if h.issuer != tt.issuer || h.title != tt.title || h.docNo != tt.docNo || h.lines != tt.n || h.issued != tt.issued {
				t.Errorf("got issuer %q title %q doc_no %q lines %d issued %q,\nwant issuer %q title %q doc_no %q lines %d issued %q",
					h.issuer, h.title, h.docNo, h.lines, h.issued, tt.issuer, tt.title, tt.docNo, tt.n, tt.issued)
			}
		})
	}
}

func TestSignature(t *testing.T) {
	tests := []struct {
		name         string
		lines        []string
		from         int // lines of header
		issuer, date string
	}{
		{"issuer and date", []string{"正文。", "财政部 税务总局", "2018年4月4日"}, 0, "财政部 税务总局", "2018-04-04"},
		{"date after text", []string{"本通知自印发之日起执行。", "2018年4月4日"}, 0, "", "2018-04-04"},
		{"first date wins", []string{"省财政厅", "2016年4月26日", "某办法", "2016年5月1日"}, 0, "省财政厅", "2016-04-26"},
		{"date in text", []string{"2018年4月4日印发。"}, 0, "", ""},
		{"impossible date", []string{"省财政厅", "2018年2月30日"}, 0, "省财政厅", ""},
		// A date printed under the title dates the text; the title is no signer.
		{"date under the title", []string{"某办法", "2023年3月10日", "第一条 甲。"}, 1, "", "2023-03-10"},
		{"none", nil, 0, "", ""},
		{"date in Chinese numerals", []string{"正文。", "广东省人民政府办公厅", "二〇一二年五月八日"}, 0, "广东省人民政府办公厅", "2012-05-08"},
		{"date in Chinese numerals with ○", []string{"正文。", "某省财政厅", "二○○九年十二月二十一日"}, 0, "某省财政厅", "2009-12-21"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer, date := signature(tt.lines, tt.from)
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

func TestDateNumber(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"2012", 2012}, {"08", 8}, {"二〇一二", 2012}, {"二○○九", 2009}, {"二零一五", 2015},
		{"八", 8}, {"十", 10}, {"十二", 12}, {"二十", 20}, {"二十一", 21}, {"三十一", 31},
		{"二二", 0}, {"十十", 0}, {"二十一十", 0}, {"二〇一", 0}, {"甲", 0}, {"", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := dateNumber(tt.in); got != tt.want {
				t.Errorf("dateNumber(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestYears(t *testing.T) {
	tests := []struct {
		text string
		want []int
	}{
		{"自2018年1月1日至2020年12月31日", []int{2018, 2020}},
		{"二〇一二年五月八日印发，到一九九八年", []int{2012, 1998}},
		{"二○○九年", []int{2009}},
		{"冀政发〔2018〕3号", nil},
		{"三〇一二年、1800年、十二年", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := Years(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Years(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

// TestKindFromTitle: a document titled as an interpretation is one, unless
// its front matter says otherwise; it then states no period of its own.
func TestKindFromTitle(t *testing.T) {
	tests := []struct {
		name, title, kind string
		want              string
	}{
		{"政策解读", "《关于扶持中小企业发展的意见》政策解读", "", "解读"},
		{"答记者问", "省财政厅负责人就小微企业贷款贴息政策答记者问", "", "解读"},
		{"问答 with a note", "小微企业税收优惠问答（2014年版）", "", "解读"},
		{"a measure", "关于扶持中小企业发展的意见", "", "原文"},
		{"given kind wins", "某政策解读", "原文", "原文"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := FromLines([]string{tt.title, "一、本意见自2014年1月1日起施行，有效期3年。"}, tt.kind)
			if d.Kind != tt.want {
				t.Errorf("kind %q, want %q", d.Kind, tt.want)
			}
			if d.Kind == "解读" && d.EffectiveUntil != "" {
				t.Errorf("an interpretation states period until %s, want none of its own", d.EffectiveUntil)
			}
		})
	}
}
