package answer_test

import (
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
// names by number get notes of their own, beside its document's.
func TestPipelineClauseNotes(t *testing.T) {
	env := plSetup(t)
	tests := []struct {
		name     string
		doc, lbl string
		now      time.Time
		want     []string
		wantNot  []string
	}{
		{
			name: "interpretation naming an expired notice",
			doc:  "jiedu-shuiwu", lbl: "二（二）", now: plNow(),
			want: []string{"[1]条款所述《财政部税务总局关于设备器具扣除有关企业所得税政策的通知》（财税〔2018〕54号）的执行期限已于2020年12月31日结束。"},
			// The clause's 至2020年12月31日 is the named notice's period:
			// one note, not two.
			wantNot: []string{"[1]条款所述期限已于2020年12月31日结束。"},
		},
		{
			name: "interpretation naming a notice still running",
			doc:  "jiedu-shuiwu", lbl: "二（二）", now: time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC),
			want:    []string{"[1]条款所述《财政部税务总局关于设备器具扣除有关企业所得税政策的通知》（财税〔2018〕54号）的执行期限至2020年12月31日。"},
			wantNot: []string{"已于2020年12月31日结束"},
		},
		{
			name: "a clause extending a period",
			doc:  "private-economy-opinions", lbl: "三16", now: plNow(),
			want: []string{"[1]条款所述期限已于2020年4月30日结束。"},
		},
		{
			name: "the document's own period is not repeated",
			doc:  "cs-2018-77", lbl: "一、", now: plNow(),
			want:    []string{"[1]该文件规定的执行期限已于2020年12月31日结束"},
			wantNot: []string{"条款所述"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := plHits(t, env.lib, tt.doc, plChunkByLabel(t, env.lib, tt.doc, tt.lbl))
			now := tt.now
			p := plBuild(t, env, plSearcher{hits: hits}, nil, answer.Options{Now: func() time.Time { return now }}, nil)
			ans := plAsk(t, p, "这项政策还有效吗？", nil)
			_, notes, _ := strings.Cut(ans.Text, "时效提示：")
			for _, w := range tt.want {
				if !strings.Contains(notes, w) {
					t.Errorf("notes\n%s\nwant %q", notes, w)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(notes, w) {
					t.Errorf("notes\n%s\nwant no %q", notes, w)
				}
			}
		})
	}
}
