package answer

import (
	"reflect"
	"testing"
)

func TestQuestionParts(t *testing.T) {
	tests := []struct {
		name, message string
		want          []string
	}{
		{"one question", "小微企业所得税有什么优惠？", nil},
		{"two", "小微企业所得税有什么优惠？另外研发费用加计扣除比例是多少？", []string{"小微企业所得税有什么优惠？", "另外研发费用加计扣除比例是多少？"}},
		{"the last without its mark", "高企认定了有奖励吗？申请条件是什么", []string{"高企认定了有奖励吗？", "申请条件是什么"}},
		{"a question and who asks", "研发费用加计扣除现在比例是多少？我们是做软件的小公司", nil},
		{"a question and what the asker did", "申请发明专利有资助吗？我们今年申请了好几个", nil},
		{"the last asks how many days", "小微企业有什么优惠？营业执照要几天", []string{"小微企业有什么优惠？", "营业执照要几天"}},
		{"a short tail goes with its question", "小规模纳税人标准是500万吗？是吧？出口退税多久能到账？", []string{"小规模纳税人标准是500万吗？是吧？", "出口退税多久能到账？"}},
		{"half-width marks", "技改有补贴吗?贴息比例是多少?", []string{"技改有补贴吗?", "贴息比例是多少?"}},
		{"no mark at all", "小微企业所得税有什么优惠", nil},
		{"empty", "", nil},
		{"at most four", "甲企业有补贴吗？乙企业有补贴吗？丙企业有补贴吗？丁企业有补贴吗？戊企业有补贴吗？",
			[]string{"甲企业有补贴吗？", "乙企业有补贴吗？", "丙企业有补贴吗？", "丁企业有补贴吗？"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := questionParts(tt.message); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("questionParts(%q) = %q, want %q", tt.message, got, tt.want)
			}
		})
	}
}

func TestByQuestion(t *testing.T) {
	tests := []struct {
		name          string
		history, want []string
	}{
		{"none", nil, nil},
		{"one question a message", []string{"高企有奖励吗？", "要什么条件？"}, []string{"高企有奖励吗？", "要什么条件？"}},
		{"the last message asked several", []string{"高企有奖励吗？", "研发费用加计扣除比例是多少？新三板挂牌有奖励吗？"}, []string{"高企有奖励吗？", "新三板挂牌有奖励吗？"}},
		{"an earlier message asked several", []string{"研发费用加计扣除比例是多少？新三板挂牌有奖励吗？", "上市呢"}, []string{"研发费用加计扣除比例是多少？新三板挂牌有奖励吗？", "上市呢"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := byQuestion(tt.history); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("byQuestion(%q) = %q, want %q", tt.history, got, tt.want)
			}
		})
	}
}

func FuzzQuestionParts(f *testing.F) {
	for _, s := range []string{"小微企业所得税有什么优惠？另外研发费用加计扣除比例是多少？", "？？？", "a?b?", "高企认定了有奖励吗？申请条件是什么"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts := questionParts(s)
		if len(parts) == 1 || len(parts) > maxParts {
			t.Errorf("questionParts(%q) = %q: one, or more than %d", s, parts, maxParts)
		}
		for _, p := range parts {
			if hanCount(p) < minPartHan {
				t.Errorf("part %q says too little", p)
			}
		}
	})
}
