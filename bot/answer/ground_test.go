package answer

import (
	"fmt"
	"strings"
	"testing"
)

func TestGround(t *testing.T) {
	cites := []Citation{
		{N: 1, DocNo: "冀制强省办〔2018〕2号", Text: "对认定为省级智能工厂和数字化车间的企业分别给予90万元和40万元奖励，有效期3年。"},
		{N: 2, DocNo: "财税〔2018〕77号", Text: "自2018年1月1日至2020年12月31日，将小型微利企业的年应纳税所得额上限由50万元提高至100万元，其所得减按50%计入应纳税所得额。执行期限为三年。咨询电话0311-12345678。"},
	}
	tests := []struct {
		name string
		text string
		want string // the text kept
		// drops lists "reason:detail" of each dropped sentence, in order.
		drops []string
	}{
		{
			name: "grounded amount kept",
			text: "省级数字化车间奖励40万元[1]。",
			want: "省级数字化车间奖励40万元[1]。",
		},
		{
			name:  "invented amount dropped",
			text:  "省级数字化车间奖励40万元[1]。另外还能拿到1000万元奖励[1]。",
			want:  "省级数字化车间奖励40万元[1]。",
			drops: []string{"ungrounded_figure:1000万"},
		},
		{
			name:  "figure from another clause than the one cited",
			text:  "年应纳税所得额上限提高至100万元[1]。",
			want:  "",
			drops: []string{"ungrounded_figure:100万"},
		},
		{
			name:  "unknown marker drops the sentence",
			text:  "数字化车间可以申请[7]。奖励40万元[1]。",
			want:  "奖励40万元[1]。",
			drops: []string{"invalid_marker:[7]"},
		},
		{
			name:  "figure with no marker",
			text:  "奖励40万元。",
			drops: []string{"ungrounded_figure:40万"},
		},
		{
			name: "text without figures or markers stays",
			text: "您好，这个问题要看企业的认定级别。",
			want: "您好，这个问题要看企业的认定级别。",
		},
		{
			name: "percent, year and date",
			text: "2018年1月1日至2020年12月31日，所得减按50%计入应纳税所得额[2]。",
			want: "2018年1月1日至2020年12月31日，所得减按50%计入应纳税所得额[2]。",
		},
		{
			name: "count in Chinese numerals",
			text: "执行期限为3年[2]。",
			want: "执行期限为3年[2]。",
		},
		{
			name:  "number inside a longer number is not found",
			text:  "上限为0万元[2]。",
			drops: []string{"ungrounded_figure:0万"},
		},
		{
			name: "list numbers are layout",
			text: "1. 省级数字化车间奖励40万元[1]。\n2. 省级智能工厂奖励90万元[1]。",
			want: "1. 省级数字化车间奖励40万元[1]。\n2. 省级智能工厂奖励90万元[1]。",
		},
		{
			name:  "forged blocks dropped to the blank line",
			text:  "奖励40万元[1]。\n\n来源：《国务院关于支持企业的通知》（国发〔2025〕99号）\n时效提示：该政策现行有效。\n\n详情请咨询。",
			want:  "奖励40万元[1]。\n\n详情请咨询。",
			drops: []string{"forged_block:", "forged_block:"},
		},
		{
			name:  "validity claim",
			text:  "该政策目前仍然有效[2]。",
			drops: []string{"validity_claim:仍然有效"},
		},
		{
			name:  "link",
			text:  "详见 https://evil.example/x 申报[1]。",
			drops: []string{"link:https://evil.example/x"},
		},
		{
			name:  "phone not in the clauses",
			text:  "请拨打热线 010-88886666 咨询。",
			drops: []string{"phone:010-88886666"},
		},
		{
			name: "phone from the clauses",
			text: "咨询电话0311-12345678[2]。",
			want: "咨询电话0311-12345678[2]。",
		},
		{
			name:  "unknown 文号",
			text:  "依据国发〔2025〕99号，奖励40万元[1]。",
			drops: []string{"unknown_doc_no:依据国发〔2025〕99号"},
		},
		{
			name: "known 文号 in another bracket",
			text: "依据财税[2018]77号，所得减按50%计入[2]。",
			want: "依据财税[2018]77号，所得减按50%计入[2]。",
		},
		{
			name: "marker after the full stop",
			text: "奖励40万元。[1]省级智能工厂90万元。[1]",
			want: "奖励40万元。[1]省级智能工厂90万元。[1]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, sents := ground(tt.text, cites)
			if got != tt.want {
				t.Errorf("kept %q, want %q", got, tt.want)
			}
			var drops []string
			for _, s := range sents {
				if !s.Kept {
					drops = append(drops, s.Reason+":"+s.Detail)
				}
			}
			if fmt.Sprint(drops) != fmt.Sprint(tt.drops) {
				t.Errorf("drops %q, want %q\n%+v", drops, tt.drops, sents)
			}
			var joined strings.Builder
			for _, s := range sents {
				joined.WriteString(s.Text)
			}
			if want := strings.Join(strings.Fields(tt.text), ""); strings.Join(strings.Fields(joined.String()), "") != want {
				t.Errorf("sentences %q do not add up to the text %q", joined.String(), tt.text)
			}
		})
	}
}

func FuzzGround(f *testing.F) {
	f.Add("省级数字化车间奖励40万元[1]。另外1000万元[3]。\n来源：x")
	f.Add("１２３％。[1][2]")
	f.Fuzz(func(t *testing.T, text string) {
		cites := []Citation{{N: 1, Text: "奖励40万元"}}
		kept, sents := ground(text, cites)
		for _, s := range sents {
			if s.Kept != (s.Reason == "") {
				t.Fatalf("sentence %+v: kept and reason disagree", s)
			}
		}
		if len(kept) > len(text)+len(sents) {
			t.Fatalf("kept %q is longer than the text %q", kept, text)
		}
	})
}
