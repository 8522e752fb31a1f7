package answer

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitSentencesKeep(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"plain", "甲。乙；丙", []string{"甲。", "乙；", "丙"}},
		{"a quote closes after its stop", "第五条修改为：“比例不超过50%。”本通知自发布之日起施行。", []string{"第五条修改为：“比例不超过50%。”", "本通知自发布之日起施行。"}},
		{"a bracket closes after its stop", "（详见附件。）其余不变。", []string{"（详见附件。）", "其余不变。"}},
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
