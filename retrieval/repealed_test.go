package retrieval

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/policybot/policybot/corpus"
)

// TestRepealedRanksBelow: a clause of a document another loaded one has
// repealed ranks below the repealing document's clause on the same
// measure, once the repeal has taken effect, and stays findable; before
// it takes effect the ranking is the words'.
func TestRepealedRanksBelow(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"old.txt": "某省财政厅关于印发《某省融资担保风险补偿资金管理办法》的通知\n某财企〔2021〕8号\n第一条 为规范融资担保风险补偿资金管理，制定本办法。\n第二条 风险补偿资金用于对融资担保机构为中小企业提供融资担保发生的代偿损失给予补偿，补偿比例不超过代偿损失的30%。\n第三条 本办法自2021年5月1日起施行。\n某省财政厅\n2021年3月15日\n",
		"new.txt": "某省财政厅关于印发《某省融资担保风险补偿资金管理办法》的通知\n某财企〔2024〕5号\n第一条 为规范风险补偿资金管理，制定本办法。\n第二条 风险补偿资金对政府性融资担保机构开展的支小支农担保业务发生的代偿损失给予补偿，比例不超过40%。\n第三条 本办法自2024年4月1日起施行。《某省财政厅关于印发〈某省融资担保风险补偿资金管理办法〉的通知》（某财企〔2021〕8号）同时废止。\n某省财政厅\n2024年3月20日\n",
	})
	lib := loadDir(t, dir)
	const q = "融资担保代偿损失补偿比例是多少"
	tests := []struct {
		name    string
		now     time.Time
		wantTop string // the document of the first hit
	}{
		{"after the repeal", time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), "new"},
		{"before the repeal", time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := Build(context.Background(), lib, Options{Now: func() time.Time { return tt.now }})
			if err != nil {
				t.Fatal(err)
			}
			res, err := ix.Search(context.Background(), Query{Question: q})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) < 2 {
				t.Fatalf("%d hits, want both documents", len(res.Hits))
			}
			if res.Hits[0].DocID != tt.wantTop {
				t.Errorf("first hit from %s %s, want %s", res.Hits[0].DocID, res.Hits[0].Clause, tt.wantTop)
			}
			found := false
			for _, h := range res.Hits {
				found = found || h.DocID == "old"
			}
			if !found {
				t.Errorf("the repealed document's clause is not among the hits")
			}
		})
	}
}

// TestEndedRanksBelowCurrent: where a document in force and one whose
// period has ended say nearly the same (last year's 稳岗返还 beside this
// year's), the one in force comes first; asked while both were in force,
// or once both have ended, the words decide.
func TestEndedRanksBelowCurrent(t *testing.T) {
	const current = "某省人力资源和社会保障厅关于做好2026年度援企稳岗工作的通知\n某人社发〔2026〕9号\n一、继续实施稳岗返还：中小微企业按上年度实际缴纳失业保险费的60%返还，大型企业按30%返还，由经办机构免申即享。\n二、本通知执行期限至2026年12月31日。\n某省人力资源和社会保障厅\n2026年2月10日\n"
	tests := []struct{ name, old string }{
		{"its document's period ended", "某部关于延续实施失业保险稳岗返还政策的通知\n某人社发〔2024〕40号\n一、失业保险稳岗返还：中小微企业按企业及其职工上年度实际缴纳失业保险费的60%返还，大型企业按30%返还。\n二、本通知执行期限至2024年12月31日。\n某部\n2024年4月28日\n"},
		// The notice states no period; the measure states its own.
		{"its own period ended", "某部关于延续实施失业保险稳岗返还政策的通知\n某人社发〔2024〕40号\n一、失业保险稳岗返还：中小微企业按企业及其职工上年度实际缴纳失业保险费的60%返还，大型企业按30%返还。本项政策执行期限至2024年12月31日。\n二、各地要做好宣传解读。\n某部\n2024年4月28日\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"old.txt": tt.old, "new.txt": current})
			lib := loadDir(t, dir)
			const q = "稳岗返还中小微企业按什么比例返还 大企业一样吗"
			first := func(now time.Time) string {
				ix, err := Build(context.Background(), lib, Options{Now: func() time.Time { return now }})
				if err != nil {
					t.Fatal(err)
				}
				res, err := ix.Search(context.Background(), Query{Question: q})
				if err != nil || len(res.Hits) < 2 {
					t.Fatalf("%d hits, err %v", len(res.Hits), err)
				}
				return res.Hits[0].DocID
			}
			// Both ended in 2027: the words' order.
			if byWords := first(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)); byWords != "old" {
				t.Fatalf("the fixture needs the ended clause first by its words; %s came first", byWords)
			}
			if got := first(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)); got != "new" {
				t.Errorf("with one in force, first hit from %s, want the one in force", got)
			}
		})
	}
}

// TestUsersDocumentsBesideTheBuiltin: a user's clause about as relevant as
// a built-in one ranks first when the user's documents are loaded beside
// the built-in corpus; the built-in one stays findable.
func TestUsersDocumentsBesideTheBuiltin(t *testing.T) {
	dir := t.TempDir()
	const text = "某省财政厅 某省税务局关于小型微利企业所得税优惠政策的公告\n某财税〔2023〕6号\n一、对小型微利企业年应纳税所得额不超过100万元的部分，减按25%计入应纳税所得额，按20%的税率缴纳企业所得税。\n二、本公告执行期限为2023年1月1日至2027年12月31日。\n某省财政厅 某省税务局\n2023年3月26日\n"
	if err := os.WriteFile(filepath.Join(dir, "ours.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	lib, err := corpus.Load(corpus.Options{Builtin: true, Dirs: []string{dir}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Build(context.Background(), lib, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(context.Background(), Query{Question: "小型微利企业所得税优惠", K: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].DocID != "ours" {
		t.Fatalf("first hit %+v, want the user's document", res.Hits[:min(1, len(res.Hits))])
	}
	builtin := false
	for _, h := range res.Hits {
		builtin = builtin || h.DocID == "jiedu-shuiwu"
	}
	if !builtin {
		t.Error("the built-in interpretation, first alone, is not among the hits")
	}
}
