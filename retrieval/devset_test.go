package retrieval

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/policybot/policybot/corpus"
)

// devSetPath is the development evaluation set beside the clone.
const devSetPath = "../../shared/eval/dev.jsonl"

// TestDevSetTargets holds retrieval to a floor on the development set
// with the offline defaults. Run it with -v to see the table and the
// questions whose gold clause was not first. The floor is below the
// retrieval issue's first targets (0.80 / 0.95 / 0.85, at most one
// answerable refused): those were met with vocabulary entries that mapped
// dev questions phrase by phrase (温室, 大棚, 帮着出…), which were removed
// because they helped only the questions they were written for. Fresh
// sets written without the corpus in view judge retrieval now (the
// README's "Measured on unseen questions").
func TestDevSetTargets(t *testing.T) {
	f, err := os.Open(devSetPath)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("open dev set: %v", err)
		}
		t.Skipf("dev set not here: %v", err)
	}
	defer f.Close()
	items, err := ReadEval(f)
	if err != nil {
		t.Fatal(err)
	}
	checkTargets(t, loadBuiltin(t), items, targets{hit1: 0.75, hit5: 0.90, mrr: 0.80, unansweredMin: 5, answerableMax: 2})
}

// targets are the floors (and the ceiling on answerable items judged not
// found) an evaluation set is held to.
type targets struct {
	hit1, hit5, mrr              float64
	unansweredMin, answerableMax float64 // counts of items
}

// checkTargets evaluates the offline defaults over lib on items and fails
// below the targets, logging the table and the questions whose gold was
// not first.
func checkTargets(t *testing.T, lib *corpus.Library, items []EvalItem, want targets) {
	t.Helper()
	ix, err := Build(context.Background(), lib, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(context.Background(), ix, items, 10)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	if err := rep.Write(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s\nnot first: %v", table.String(), rep.Overall.Misses)
	m := rep.Overall
	checks := []struct {
		name      string
		got, want float64
		atMost    bool
	}{
		{"clause hit@1", m.ClauseHit1, want.hit1, false},
		{"clause hit@5", m.ClauseHit5, want.hit5, false},
		{"MRR@10", m.MRR10, want.mrr, false},
		{"unanswerable not found", m.NotFoundUnanswerable * float64(m.Unanswerable), want.unansweredMin, false},
		{"answerable not found", m.NotFoundAnswerable * float64(m.Answerable), want.answerableMax, true},
	}
	for _, c := range checks {
		if (!c.atMost && c.got < c.want-1e-9) || (c.atMost && c.got > c.want+1e-9) {
			bound := "at least"
			if c.atMost {
				bound = "at most"
			}
			t.Errorf("%s = %.2f, want %s %.2f", c.name, c.got, bound, c.want)
		}
	}
}

// TestSecondCorpusFloor holds retrieval to a floor on a corpus it was
// never tuned on: a service centre's own Zhejiang, Hangzhou and national
// documents of 2020–2025 (corpus/testdata/otherregion), with the blind
// set zj_a written before its documents were read (testdata/ZJ.md). The
// floor is its first measurement less a question.
func TestSecondCorpusFloor(t *testing.T) {
	checkTargets(t, loadDir(t, "../corpus/testdata/otherregion/docs"), readSet(t, "testdata/zj_a.jsonl"), targets{hit1: 0.54, hit5: 0.90, mrr: 0.75, unansweredMin: 8, answerableMax: 1})
}

// TestThirdCorpusFloor holds hn.jsonl, written blind and labelled apart
// on a compilation of another province and period
// (corpus/testdata/hunan2016), to its first measurement less a question
// (retrieval/testdata/HN.md).
func TestThirdCorpusFloor(t *testing.T) {
	checkTargets(t, loadDir(t, "../corpus/testdata/hunan2016/docs"), readSet(t, "testdata/hn.jsonl"), targets{hit1: 0.57, hit5: 0.90, mrr: 0.72, unansweredMin: 4, answerableMax: 3})
}

// TestFourthCorpusFloor holds cq.jsonl, written blind and labelled apart
// on a compilation laid out as pasted from government sites
// (corpus/testdata/chongqing2021), to its first measurement less a
// question (retrieval/testdata/CQ.md).
func TestFourthCorpusFloor(t *testing.T) {
	checkTargets(t, loadDir(t, "../corpus/testdata/chongqing2021/docs"), readSet(t, "testdata/cq.jsonl"), targets{hit1: 0.58, hit5: 0.92, mrr: 0.73, unansweredMin: 6, answerableMax: 3})
}

// TestFifthCorpusFloor holds wx.jsonl, written blind and labelled apart
// on a service centre's folder of current policies in mixed formats
// (corpus/testdata/wuxi2026), to its first measurement less a question
// (retrieval/testdata/WX.md).
func TestFifthCorpusFloor(t *testing.T) {
	checkTargets(t, loadDir(t, "../corpus/testdata/wuxi2026/docs"), readSet(t, "testdata/wx.jsonl"), targets{hit1: 0.71, hit5: 0.95, mrr: 0.82, unansweredMin: 11, answerableMax: 1})
}

// readSet reads an evaluation set that ships with the tests.
func readSet(t *testing.T, path string) []EvalItem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := ReadEval(f)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// TestSixthCorpusFloor holds xm.jsonl, written blind and labelled apart
// on a 厦门 centre's late-2022 folder with a compilation of policy items
// (corpus/testdata/xiamen2022), to its first measurement less a question
// for ranking, and to today's refusals less one: reading the folder
// right found clauses for three unanswerable questions the misread folder
// had refused (retrieval/testdata/XM.md).
func TestSixthCorpusFloor(t *testing.T) {
	checkTargets(t, loadDir(t, "../corpus/testdata/xiamen2022/docs"), readSet(t, "testdata/xm.jsonl"), targets{hit1: 0.65, hit5: 0.84, mrr: 0.73, unansweredMin: 6, answerableMax: 3})
}

// TestSeventhCorpusFloor holds qd.jsonl, written blind and labelled apart
// on a 青岛 centre's 2020 Word folder (corpus/testdata/qingdao2020), to its
// first measurement less a question (retrieval/testdata/QD.md).
func TestSeventhCorpusFloor(t *testing.T) {
	checkTargets(t, loadDir(t, "../corpus/testdata/qingdao2020/docs"), readSet(t, "testdata/qd.jsonl"), targets{hit1: 0.59, hit5: 0.88, mrr: 0.73, unansweredMin: 9, answerableMax: 4})
}

// TestEighthCorpusFloor holds gx.jsonl, written blind and labelled apart
// on a 广西 2023 compilation in the built-in source's shape
// (corpus/testdata/guangxi2023), to its first measurement less a question
// (retrieval/testdata/GX.md).
func TestEighthCorpusFloor(t *testing.T) {
	checkTargets(t, loadDir(t, "../corpus/testdata/guangxi2023/docs"), readSet(t, "testdata/gx.jsonl"), targets{hit1: 0.55, hit5: 0.89, mrr: 0.71, unansweredMin: 7, answerableMax: 4})
}

// TestNinthCorpusFloor holds hf.jsonl, written blind and labelled apart
// on a 合肥 centre's PDFs in the official document layout
// (corpus/testdata/hefei2025), to its first measurement less a question
// (retrieval/testdata/HF.md).
func TestNinthCorpusFloor(t *testing.T) {
	checkTargets(t, loadDir(t, "../corpus/testdata/hefei2025/docs"), readSet(t, "testdata/hf.jsonl"), targets{hit1: 0.59, hit5: 0.81, mrr: 0.70, unansweredMin: 9, answerableMax: 4})
}
