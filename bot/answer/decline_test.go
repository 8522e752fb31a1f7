package answer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/policybot/policybot/bot/answer"
)

// TestDecline: offered a reply of its own for a question none of the
// clauses answers, a model that gives it makes the answer not found (the
// not-found reply, whom to ask, no citations), whether the reply came
// whole or streamed, and nothing of it is streamed. A reply that only
// begins with the same words answers as usual, and without Decline the
// model is not offered the reply.
func TestDecline(t *testing.T) {
	tests := []struct {
		name      string
		decline   bool
		deltas    []string
		stream    bool
		wantFound bool
		// wantDeltas are the pieces onDelta gets when streaming.
		wantDeltas []string
	}{
		{name: "declined", decline: true, deltas: []string{"【条款未涉及】"}},
		{name: "declined with more after", decline: true, deltas: []string{"【条款未涉及】\n条款讲的是数字化车间奖励[1]。"}},
		{name: "declined without brackets", decline: true, deltas: []string{"条款未涉及。"}},
		{name: "declined streamed", decline: true, stream: true, deltas: []string{"【条款", "未涉", "及】"}},
		{name: "declined streamed after a blank", decline: true, stream: true, deltas: []string{"\n", "条款未", "涉及"}},
		{name: "an answer beginning alike", decline: true, deltas: []string{"条款未涉及自行车，省级数字化车间奖励40万元[1]。"}, wantFound: true},
		{
			name: "an answer beginning alike, streamed", decline: true, stream: true,
			deltas:     []string{"条款", "未涉及自行车，", "省级数字化车间奖励40万元[1]。"},
			wantFound:  true,
			wantDeltas: []string{"条款未涉及自行车，", "省级数字化车间奖励40万元[1]。"},
		},
		{name: "an answer", decline: true, stream: true, deltas: []string{"省级数字化车间", "奖励40万元[1]。"}, wantFound: true, wantDeltas: []string{"省级数字化车间", "奖励40万元[1]。"}},
		// Not offered the reply, a model that gives it anyway has written
		// an answer that cites nothing: the extract stands in for it.
		{name: "not offered", deltas: []string{"【条款未涉及】"}, wantFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := stNewFake(t, stReply{deltas: tt.deltas})
			p := stBuild(t, f, answer.Options{Decline: tt.decline})
			var d stDeltas
			var (
				ans answer.Result
				err error
			)
			if tt.stream {
				ans, err = p.AnswerStream(context.Background(), plBike, nil, d.add)
			} else {
				ans, err = p.Answer(context.Background(), plBike, nil)
			}
			if err != nil {
				t.Fatalf("answer: %v", err)
			}
			if sys := f.system(); len(sys) != 1 || strings.Contains(sys[0], "【条款未涉及】") != tt.decline {
				t.Errorf("offered the reply: %v, want %v (%d requests)", len(sys) == 1 && strings.Contains(sys[0], "【条款未涉及】"), tt.decline, len(sys))
			}
			if ans.Found != tt.wantFound {
				t.Fatalf("found = %v, want %v; answer:\n%s", ans.Found, tt.wantFound, ans.Text)
			}
			if got := d.all(); strings.Join(got, "|") != strings.Join(tt.wantDeltas, "|") {
				t.Errorf("streamed %q, want %q", got, tt.wantDeltas)
			}
			if tt.wantFound {
				if ans.Reason != "" || len(ans.Citations) == 0 {
					t.Errorf("answered with reason %q and %d citations", ans.Reason, len(ans.Citations))
				}
				return
			}
			if ans.Reason != answer.ReasonNotInClauses || len(ans.Citations) != 0 {
				t.Errorf("reason %q, %d citations; want %q and none", ans.Reason, len(ans.Citations), answer.ReasonNotInClauses)
			}
			for _, want := range []string{"没有找到能回答这个问题的内容", "建议咨询"} {
				if !strings.Contains(ans.Text, want) {
					t.Errorf("the reply lacks %q:\n%s", want, ans.Text)
				}
			}
			for _, not := range []string{"条款未涉及", "来源", "[1]"} {
				if strings.Contains(ans.Text, not) {
					t.Errorf("the reply holds %q:\n%s", not, ans.Text)
				}
			}
			if rev, rest := answer.Revise(ans, strings.Join(d.all(), "")); rev != answer.RevisionNone || rest != ans.Text {
				t.Errorf("Revise = %v, %q; want none and the whole reply", rev, rest)
			}
		})
	}
}
