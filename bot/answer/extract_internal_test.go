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
