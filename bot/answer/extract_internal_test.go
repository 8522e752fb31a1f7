package answer

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitSentencesKeep(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"plain", "甲。乙；丙", []string{"甲。", "乙；", "丙"}},
		{"a quote closes after its stop", "第五条修改为：“比例不超过50%。”本通知自发布之日起施行。", []string{"第五条修改为：“比例不超过50%。”", "本通知自发布之日起施行。"}},
		{"a bracket closes after its stop", "（详见附件。）其余不变。", []string{"（详见附件。）", "其余不变。"}},
		{"a table row's fields are one", "中小企业技术改造：无偿资助；支持标准：按投资额的8%给予补助；上限：200万元。其余不变。", []string{"中小企业技术改造：无偿资助；支持标准：按投资额的8%给予补助；上限：200万元。", "其余不变。"}},
		{"a row named by its first cell", "《申请表》；份数：2；要求：原件。", []string{"《申请表》；份数：2；要求：原件。"}},
		{"a sentence then a label", "对企业给予补助，比例为10%；其中：小微企业提高至20%。", []string{"对企业给予补助，比例为10%；", "其中：小微企业提高至20%。"}},
		{"a field then a sentence", "支持方式：无偿资助；对符合条件的企业给予补助。", []string{"支持方式：无偿资助；", "对符合条件的企业给予补助。"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitSentencesKeep(tt.text)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitSentencesKeep(%q) = %q, want %q", tt.text, got, tt.want)
			}
			if strings.Join(got, "") != tt.text {
				t.Errorf("the sentences %q do not make up %q", got, tt.text)
			}
		})
	}
}

func TestCutAtSentence(t *testing.T) {
	tests := []struct {
		name, text string
		max        int
		want       string
	}{
		{"short enough", "甲乙丙。", 10, "甲乙丙。"},
		{"at a sentence end", "甲乙丙丁。戊己庚辛壬癸", 7, "甲乙丙丁。"},
		{"not inside an amount", "对年应纳税所得额低于100万元的", 11, "对年应纳税所得额低于…"},
		{"not inside a rate", "按实际发生额的75.5%扣除", 10, "按实际发生额的…"},
		{"not inside a Chinese numeral", "期限为二十四个月", 6, "期限为…"},
		{"after a whole amount", "奖励50万元并给予补助", 8, "奖励50万元并…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cutAtSentence(tt.text, tt.max)
			if got != tt.want {
				t.Errorf("cutAtSentence(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
			}
			if n := len([]rune(got)); n > tt.max {
				t.Errorf("cutAtSentence(%q, %d) has %d runes", tt.text, tt.max, n)
			}
		})
	}
}

func TestShortenLead(t *testing.T) {
	const deduction = "《关于提高研究开发费用税前加计扣除比例的通知》（财税〔2018〕99号）规定：企业实际发生的研发费用，在2018年1月1日至2020年12月31日期间，再按照实际发生额的75%在税前加计扣除；"
	tests := []struct {
		name, lead, query string
		max               int
		want              string
	}{
		{"short enough", "奖励50万元。", "奖励多少", 20, "奖励50万元。"},
		{"the title gives way to its 文号", deduction, "研发费用加计扣除比例是多少", 80,
			"财税〔2018〕99号规定：企业实际发生的研发费用，在2018年1月1日至2020年12月31日期间，再按照实际发生额的75%在税前加计扣除；"},
		{"a title in brackets that are no 文号 stays", "《某某办法》（试行版本）规定：企业可以申请补助，补助不超过100万元，按季度拨付，由财政部门审核。", "某某办法规定补助多少", 40,
			"《某某办法》（试行版本）规定：企业可以申请补助，补助不超过100万元…"},
		{"the parts holding the answer, not the opening", "按照国家要求，本地积极探索实施承诺制改革，确定在东区、西区、南区开展试点工作，对目录外的备案项目实行承诺制。", "承诺制在哪几个地方试点", 36,
			"…确定在东区、西区、南区开展试点工作，对目录外的备案项目实行承诺制。"},
		{"one part too long falls back to a cut", "对年应纳税所得额低于100万元的小型微利企业其所得减按50%计入应纳税所得额", "小微企业所得税", 12, "对年应纳税所得额低于…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shortenLead(tt.lead, tt.query, tt.max)
			if got != tt.want {
				t.Errorf("shortenLead(%q, %q, %d) =\n%q, want\n%q", tt.lead, tt.query, tt.max, got, tt.want)
			}
			if n := len([]rune(got)); n > tt.max {
				t.Errorf("got %d runes, more than %d", n, tt.max)
			}
		})
	}
}

func FuzzShortenLead(f *testing.F) {
	f.Add("《关于某事的通知》（财税〔2018〕99号）规定：企业实际发生的研发费用，再按照实际发生额的75%在税前加计扣除；", "比例是多少", 30)
	f.Add("甲，乙，丙，丁", "乙", 3)
	f.Fuzz(func(t *testing.T, lead, query string, max int) {
		if max < 2 || max > 500 || !utf8.ValidString(lead) {
			return
		}
		got := shortenLead(lead, query, max)
		if n := utf8.RuneCountInString(got); n > max {
			t.Errorf("shortenLead(%q, %q, %d) = %q: %d runes", lead, query, max, got, n)
		}
		if !utf8.ValidString(got) {
			t.Errorf("shortenLead(%q, %q, %d) = %q: not UTF-8", lead, query, max, got)
		}
	})
}

func TestLeadSentence(t *testing.T) {
	const listing = "对沪、深交易所和境外主板首发上市企业，给予奖励300万元。对在“新三板”挂牌的企业，一次性奖励50万元，并按首次融资额1‰进行奖励，转入主板的按照主板奖励标准进行补差。"
	tests := []struct {
		name, query string
		terms       map[string]float64
		text        string
		want        string
	}{
		{
			// 奖励 three times does not outweigh the rarer 上市 once: each
			// word counts once, by the weight ranking gave it.
			name:  "a rare word over a common one repeated",
			query: "我们想去香港上市，有没有奖励",
			terms: map[string]float64{"上市": 3, "奖励": 1, "有没": 0.5},
			text:  listing,
			want:  "对沪、深交易所和境外主板首发上市企业，给予奖励300万元。",
		},
		{
			// Without the index's weights, the question's bigrams count
			// alike.
			name:  "the question's words when ranking gave none",
			query: "新三板挂牌有奖励吗",
			text:  listing,
			want:  "对在“新三板”挂牌的企业，一次性奖励50万元，并按首次融资额1‰进行奖励，转入主板的按照主板奖励标准进行补差。",
		},
		{
			// The heading holds more of the question's words than the
			// measure under it, and says nothing of it.
			name:  "a heading does not lead",
			query: "用人成本能降吗，社保呢",
			terms: map[string]float64{"用人": 2, "成本": 2, "保险": 1},
			text:  "16. 降低用人成本。继续执行国家和省阶段性降低社会保险和公积金政策。",
			want:  "继续执行国家和省阶段性降低社会保险和公积金政策。",
		},
		{
			name:  "a heading on its own line does not lead",
			query: "涉企收费取消了哪些",
			terms: map[string]float64{"涉企": 3, "收费": 2},
			text:  "14. 清理规范涉企收费。\n贯彻国家行政事业性收费停征政策，巩固涉企“零收费”成果。",
			want:  "贯彻国家行政事业性收费停征政策，巩固涉企“零收费”成果。",
		},
		{
			// The contact line shares the issuer's name with the
			// question; the period answers it.
			name:  "whether it still holds, the period leads",
			query: "南岭市促进民营经济发展若干措施现在还有效吗",
			text:  "17.咨询电话：南岭市发展和改革委员会 0772-2866731。\n18.本措施自印发之日起施行，有效期至2026年12月31日。",
			want:  "本措施自印发之日起施行，有效期至2026年12月31日。",
		},
		{
			// The sentence answering 首贷贴息 says 贴息 only; its item's
			// heading names the measure, and the next item's 比例 is
			// another measure's.
			name:  "a sentence read with its item's heading",
			query: "首贷贴息 贴息比例是多少 最高多少",
			terms: map[string]float64{"首贷": 2, "贴息": 1, "比例": 2, "最高": 0.5},
			text:  "二、强化融资服务\n（三）实施首贷贴息。对首次获得银行贷款的中小微企业，按照贷款实际支付利息的50%给予贴息，单户企业最高10万元。（四）降低担保费用。对符合条件的代偿损失，风险补偿资金按照40%的比例分担。",
			want:  "对首次获得银行贷款的中小微企业，按照贷款实际支付利息的50%给予贴息，单户企业最高10万元。",
		},
		{
			name:  "a clause that is only a heading leads with it",
			query: "涉企收费",
			terms: map[string]float64{"涉企": 3, "收费": 2},
			text:  "14. 清理规范涉企收费。",
			want:  "清理规范涉企收费。",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := leadSentence(tt.query, tt.terms, []Citation{{Text: tt.text, Title: "某通知"}})
			if got != tt.want {
				t.Errorf("leadSentence(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}
