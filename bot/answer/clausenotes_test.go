package answer_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/corpus"
)

// plChunkByLabel finds the position of a document's chunk by its label.
func plChunkByLabel(t *testing.T, lib *corpus.Library, id, label string) int {
	t.Helper()
	d, ok := lib.Document(id)
	if !ok {
		t.Fatalf("no document %s", id)
	}
	for i, c := range d.Chunks {
		if c.Label == label {
			return i
		}
	}
	t.Fatalf("no chunk %s of %s", label, id)
	return -1
}

// TestPipelineClauseNotes: a clause's own period and the documents it
// names by number or repeats without naming decide where the clause
// stands. The head's 时效 line gives that, naming the document it rests
// on; the 时效提示 add what else the clause brings in, once.
func TestPipelineClauseNotes(t *testing.T) {
	env := plSetup(t)
	const (
		ask54 = "[1]现行政策请向主管税务机关（12366纳税服务热线）确认。"
	)
	tests := []struct {
		name     string
		doc, lbl string
		now      time.Time
		// wantStatus is the 时效 line; wantBecause what the citation's
		// validity rests on ("" for its document's own period).
		wantStatus  string
		wantBecause string
		want        []string // 时效提示 lines
		wantNot     []string // pieces no 时效提示 line has
	}{
		{
			name: "interpretation naming an expired notice",
			doc:  "jiedu-shuiwu", lbl: "二（二）", now: plNow(),
			wantStatus:  "时效：[1]已于2020年12月31日失效（依财税〔2018〕54号）",
			wantBecause: "《财政部 税务总局关于设备器具扣除有关企业所得税政策的通知》（财税〔2018〕54号）",
			want:        []string{ask54},
			// The clause's 至2020年12月31日 is the named notice's period,
			// which the head says already: not again in the notes.
			wantNot: []string{"条款所述期限", "54号"},
		},
		{
			name: "interpretation naming a notice still running",
			doc:  "jiedu-shuiwu", lbl: "二（二）", now: time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC),
			wantStatus:  "时效：[1]有效至2020年12月31日（依财税〔2018〕54号）",
			wantBecause: "《财政部 税务总局关于设备器具扣除有关企业所得税政策的通知》（财税〔2018〕54号）",
			wantNot:     []string{"已于2020年12月31日", "54号"},
		},
		{
			// 二12 repeats 财税〔2018〕77号 and 财税〔2018〕54号 without
			// naming them: the head gives the first, the notes the other.
			name: "opinion repeating two notices",
			doc:  "private-economy-opinions", lbl: "二12", now: plNow(),
			wantStatus:  "时效：[1]已于2020年12月31日失效（依财税〔2018〕77号）",
			wantBecause: "《财政部 税务总局关于进一步扩大小型微利企业所得税优惠政策范围的通知》（财税〔2018〕77号）",
			want: []string{
				"[1]现行政策请向河北省发展和改革委员会确认。",
				"[1]条款与财税〔2018〕54号所载措施相同，该文件执行期限已于2020年12月31日结束。",
			},
			wantNot: []string{"77号"},
		},
		{
			// The clause states a period for each of two measures; the
			// lead quotes the first, whose period is the status, and the
			// other measure's is noted as such.
			name: "a clause extending a period",
			doc:  "private-economy-opinions", lbl: "三16", now: plNow(),
			wantStatus:  "时效：[1]已于2019年4月30日失效",
			wantBecause: corpus.BecauseClause,
			want: []string{
				"[1]现行政策请向河北省发展和改革委员会确认。",
				"[1]条款中其他措施的期限已于2020年4月30日结束。",
			},
		},
		{
			name: "the document's own period is not repeated",
			doc:  "cs-2018-77", lbl: "一、", now: plNow(),
			wantStatus: "时效：[1]已于2020年12月31日失效",
			want:       []string{ask54},
			wantNot:    []string{"条款所述", "2020年12月31日"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := plHits(t, env.lib, tt.doc, plChunkByLabel(t, env.lib, tt.doc, tt.lbl))
			now := tt.now
			p := plBuild(t, env, plSearcher{hits: hits}, nil, answer.Options{Now: func() time.Time { return now }}, nil)
			ans := plAsk(t, p, "这项政策还有效吗？", nil)
			if len(ans.Citations) != 1 {
				t.Fatalf("citations = %v, want the one clause", plNs(ans.Citations))
			}
			if got := ans.Citations[0].Validity.Because; got != tt.wantBecause {
				t.Errorf("validity rests on %q, want %q", got, tt.wantBecause)
			}
			if status, _ := plHead(t, ans); status != tt.wantStatus {
				t.Errorf("时效 line\n%s\nwant\n%s", status, tt.wantStatus)
			}
			if !reflect.DeepEqual(ans.Validity, append([]string{}, tt.want...)) {
				t.Errorf("时效提示 = %q, want %q", ans.Validity, tt.want)
			}
			notes := strings.Join(ans.Validity, "\n")
			for _, w := range tt.wantNot {
				if strings.Contains(notes, w) {
					t.Errorf("时效提示\n%s\nwant no %q", notes, w)
				}
			}
		})
	}
}
