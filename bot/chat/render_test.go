package chat

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/corpus"
)

func TestMessages(t *testing.T) {
	cites := []answer.Citation{{N: 1, Title: "关于支持企业发展的若干措施", DocNo: "某政发〔2018〕1号", Clause: "第三条", Issued: "2018-07-11",
		Validity: corpus.Validity{Status: corpus.StatusExpired, Until: "2020-12-31"}}}
	short := answer.Result{Lead: "奖励40万元[1]。", Body: "详情。", Citations: cites}
	long := answer.Result{Lead: "奖励40万元[1]。", Body: strings.Repeat("很长的细节。", 150), Citations: cites}
	for _, r := range []*answer.Result{&short, &long} {
		r.Text = r.Head() + "\n\n" + r.Details()
	}
	tests := []struct {
		name      string
		a         answer.Result
		size, max int
		want      int // messages
	}{
		{"fits one", short, 600, 2, 1},
		{"head first, then details", long, 600, 0, 3},
		{"at most two", long, 600, 2, 2},
		{"no limit", long, 0, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(&convAnswerer{}, Options{ReplyMaxChars: tt.size, MaxMessages: tt.max}, nil)
			got := c.messages(tt.a)
			if len(got) != tt.want {
				t.Fatalf("got %d messages, want %d: %q", len(got), tt.want, got)
			}
			if !strings.HasPrefix(got[0], tt.a.Lead) || !strings.Contains(got[0], "时效：[1]已于2020年12月31日失效") || !strings.Contains(got[0], "来源：[1]") {
				t.Errorf("first message %q lacks lead, validity or 来源", got[0])
			}
			for _, m := range got {
				if tt.size > 0 && utf8.RuneCountInString(m) > tt.size {
					t.Errorf("message of %d characters, over %d", utf8.RuneCountInString(m), tt.size)
				}
			}
			if tt.max > 0 && len(got) == tt.max && tt.want < 3 && len(got) > 1 && !strings.HasSuffix(got[len(got)-1], msgMore) {
				t.Errorf("cut answer does not end with %q", msgMore)
			}
		})
	}
}
