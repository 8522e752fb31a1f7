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

// TestBlindCorpusFloors holds retrieval to a floor on each further corpus
// it was never tuned on, each with a question set written blind, before
// its documents were read, and labelled apart (retrieval/testdata/*.md):
// the floor is the set's first measurement less a question, and for xm
// today's refusals less one, since reading its folder right found clauses
// for three unanswerable questions the misread folder had refused.
func TestBlindCorpusFloors(t *testing.T) {
	tests := []struct {
		set, dir string
		want     targets
	}{
		// A service centre's own Zhejiang, Hangzhou and national documents of 2020–2025 (ZJ.md).
		{"zj_a", "otherregion", targets{hit1: 0.54, hit5: 0.90, mrr: 0.75, unansweredMin: 8, answerableMax: 1}},
		// A compilation of another province and period (HN.md).
		{"hn", "hunan2016", targets{hit1: 0.57, hit5: 0.90, mrr: 0.72, unansweredMin: 4, answerableMax: 3}},
		// A compilation laid out as pasted from government sites (CQ.md).
		{"cq", "chongqing2021", targets{hit1: 0.58, hit5: 0.92, mrr: 0.73, unansweredMin: 6, answerableMax: 3}},
		// A centre's folder of current policies in mixed formats (WX.md).
		{"wx", "wuxi2026", targets{hit1: 0.71, hit5: 0.95, mrr: 0.82, unansweredMin: 11, answerableMax: 1}},
		// A 厦门 centre's late-2022 folder with a compilation of policy items (XM.md).
		{"xm", "xiamen2022", targets{hit1: 0.65, hit5: 0.84, mrr: 0.73, unansweredMin: 6, answerableMax: 3}},
		// A 青岛 centre's 2020 Word folder (QD.md).
		{"qd", "qingdao2020", targets{hit1: 0.59, hit5: 0.88, mrr: 0.73, unansweredMin: 9, answerableMax: 4}},
		// A 广西 2023 compilation in the built-in source's shape (GX.md).
		{"gx", "guangxi2023", targets{hit1: 0.55, hit5: 0.89, mrr: 0.71, unansweredMin: 7, answerableMax: 4}},
		// A 合肥 centre's PDFs in the official document layout (HF.md).
		{"hf", "hefei2025", targets{hit1: 0.59, hit5: 0.81, mrr: 0.70, unansweredMin: 9, answerableMax: 4}},
		// A 西安 centre's 2016–2018 Word 97–2003 folder (XA.md).
		{"xa", "xian2017", targets{hit1: 0.62, hit5: 0.95, mrr: 0.76, unansweredMin: 10, answerableMax: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			checkTargets(t, loadDir(t, "../corpus/testdata/"+tt.dir+"/docs"), readSet(t, "testdata/"+tt.set+".jsonl"), tt.want)
		})
	}
}
