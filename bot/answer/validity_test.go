package answer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/prompts"
	"github.com/policybot/policybot/retrieval"
)

// vtSearcher finds the given clauses whatever is asked.
type vtSearcher []retrieval.Hit

func (s vtSearcher) Search(_ context.Context, q retrieval.Query) (retrieval.Result, error) {
	return retrieval.Result{Question: q.Question, Query: q.Question, Found: true, Hits: s}, nil
}

// vtCorpus is a users' corpus loaded without the built-in one: recent
// notices with no compilation, no scope file and no interpretations. Files
// load in name order, which is the order named documents are noted in.
func vtCorpus(t *testing.T) *corpus.Library {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"opinions.md": "浙江省人民政府办公厅关于进一步减负纾困助力中小微企业发展的若干意见\n浙政办发〔2022〕25号\n各市、县（市、区）人民政府，省政府直属各单位：\n一、对符合条件的小微企业贷款给予贴息。\n二、本意见自2022年5月1日起施行，有效期至2025年12月31日。\n浙江省人民政府办公厅\n2022年4月18日\n",
		"notice.txt":  "财政部 税务总局公告2023年第12号\n关于进一步支持小微企业和个体工商户发展有关税费政策的公告\n为进一步支持小微企业和个体工商户发展，现将有关税费政策公告如下：\n一、自2023年1月1日至2027年12月31日，对个体工商户年应纳税所得额不超过200万元的部分，减半征收个人所得税。\n二、本公告相关政策执行至2027年12月31日。\n财政部 税务总局\n2023年8月2日\n",
		"bare.txt":    "关于做好企业服务工作的意见\n一、各部门要做好服务，及时回应企业诉求。\n",
		"guide.md":    "某市惠企政策问答\n一、贷款贴息按浙政办发〔2022〕25号执行，贴息期限延长至2023年6月30日。\n二、个体工商户减半征收个人所得税，按财政部 税务总局公告2023年第12号执行。\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lib, err := corpus.Load(corpus.Options{Dirs: []string{dir}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// TestValidityAnyCorpus: the 时效提示 word the corpus's facts alone. For
// users' documents nothing is said of a compilation they are not in, and
// whom to ask is read from the documents.
func TestValidityAnyCorpus(t *testing.T) {
	lib := vtCorpus(t)
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 10, 0, 0, 0, time.UTC) }
	tests := []struct {
		name       string
		doc        string
		clause     int
		now        time.Time
		wantIssued string
		wantNotes  []string
	}{
		{
			name: "ended", doc: "opinions", clause: 0, now: at(2026, 11, 27), wantIssued: "2022年4月18日",
			wantNotes: []string{"[1]该文件规定的执行期限已于2025年12月31日结束，现行政策请向浙江省人民政府办公厅确认。"},
		},
		{
			name: "still running", doc: "notice", clause: 0, now: at(2026, 11, 27), wantIssued: "2023年8月2日",
			wantNotes: []string{"[1]该文件规定的执行期限至2027年12月31日。"},
		},
		{
			name: "no period, no date", doc: "bare", clause: 0, now: at(2026, 11, 27), wantIssued: "未载明日期",
			wantNotes: []string{"[1]该文件未载明发布日期，未写明有效期，距今已久，请向发文部门确认是否仍然有效。"},
		},
		{
			name: "clause naming documents and extending a period", doc: "guide", clause: 0, now: at(2026, 11, 27), wantIssued: "未载明日期",
			wantNotes: []string{
				"[1]该文件未载明发布日期，未写明有效期，距今已久，请向发文部门确认是否仍然有效。",
				"[1]条款所述期限已于2023年6月30日结束。",
				"[1]条款所述《关于进一步支持小微企业和个体工商户发展有关税费政策的公告》（财政部 税务总局公告2023年第12号）的执行期限至2027年12月31日。",
				"[1]条款所述《浙江省人民政府办公厅关于进一步减负纾困助力中小微企业发展的若干意见》（浙政办发〔2022〕25号）的执行期限已于2025年12月31日结束。",
			},
		},
		{
			// A period the clause states is worded once it has ended;
			// while it runs the clause says so itself.
			name: "clause period still running", doc: "guide", clause: 0, now: at(2023, 1, 1), wantIssued: "未载明日期",
			wantNotes: []string{
				"[1]该文件未载明发布日期，未写明有效期，距今已久，请向发文部门确认是否仍然有效。",
				"[1]条款所述《关于进一步支持小微企业和个体工商户发展有关税费政策的公告》（财政部 税务总局公告2023年第12号）的执行期限至2027年12月31日。",
				"[1]条款所述《浙江省人民政府办公厅关于进一步减负纾困助力中小微企业发展的若干意见》（浙政办发〔2022〕25号）的执行期限至2025年12月31日。",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := lib.Document(tt.doc)
			if !ok || tt.clause >= len(d.Chunks) {
				t.Fatalf("corpus has no chunk %d of %q", tt.clause, tt.doc)
			}
			c := d.Chunks[tt.clause]
			hits := vtSearcher{{Rank: 1, Score: 1, DocID: d.ID, Title: d.Title, DocNo: d.DocNo, Issuer: d.Issuer, Kind: d.Kind, Clause: c.Label, Text: c.Text, ChunkID: c.ID}}
			now := tt.now
			p := answer.New(hits, lib, nil, set, answer.Options{Now: func() time.Time { return now }}, nil)
			ans, err := p.Answer(context.Background(), "这项政策还有效吗？", nil)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("\n\n来源：\n[1]%s%s，发布于%s\n\n时效提示：\n%s", d.Cite(), c.Label, tt.wantIssued, strings.Join(tt.wantNotes, "\n"))
			if !strings.HasSuffix(ans.Text, want) {
				t.Errorf("text ends\n%s\nwant it to end\n%s", ans.Text, want)
			}
		})
	}
}
