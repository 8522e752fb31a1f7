package answer_test

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/retrieval"
)

// TestExtractHoldsGold measures what an offline answer shows of the
// clauses it cites. The first thing a reader gets is the lead: of the
// answerable questions of the evaluation sets whose first citation is a
// gold clause, the share whose lead is a gold sentence of it (holds at
// least half of its character pairs). Then the quotes: of the further
// citations that are gold clauses, the share whose quote holds the gold
// sentence. The gold sentence is the one the set's writer marked as
// answering; another sentence of the clause may answer too, so the shares
// are floors, not targets. With -v it prints each set.
func TestExtractHoldsGold(t *testing.T) {
	env := plSetup(t)
	p := plBuild(t, env, nil, nil, answer.Options{}, nil)
	sets := []string{
		"../../../shared/eval/dev.jsonl",
		"../../retrieval/testdata/probe.jsonl",
		"../../retrieval/testdata/fresh_a.jsonl",
		"../../retrieval/testdata/fresh_b.jsonl",
		"../../retrieval/testdata/fresh_c.jsonl",
		"../../retrieval/testdata/fresh_d.jsonl",
		"../../retrieval/testdata/fresh_e.jsonl",
		"../../retrieval/testdata/fresh_f.jsonl",
		"../../retrieval/testdata/switch.jsonl",
		"../../retrieval/testdata/switch_c.jsonl",
		"../../retrieval/testdata/ellipsis.jsonl",
	}
	var held, asked, quoted, cited int
	for _, path := range sets {
		f, err := os.Open(path)
		if err != nil {
			if os.Getenv("CI") != "" || !os.IsNotExist(err) {
				t.Fatal(err)
			}
			t.Logf("%s not here: %v", path, err)
			continue
		}
		items, err := retrieval.ReadEval(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var h, n, q, c int
		for _, it := range items {
			if !it.Answerable {
				continue
			}
			a := plAsk(t, p, it.Question, it.History)
			if !a.Found || len(a.Citations) == 0 {
				continue
			}
			quotes := map[int]string{}
			for _, m := range quoteRe.FindAllStringSubmatch(a.Body, -1) {
				n, _ := strconv.Atoi(m[1])
				quotes[n] = m[2]
			}
			for _, cite := range a.Citations[1:] {
				if gold, shows := retrieval.ShowsGold(it, cite.Text, quotes[cite.N]); gold {
					c++
					if shows {
						q++
					}
				}
			}
			gold, shows := retrieval.ShowsGold(it, a.Citations[0].Text, a.Lead)
			if !gold {
				continue
			}
			n++
			if shows {
				h++
			} else {
				t.Logf("%s %s: lead %q", path, it.ID, a.Lead)
			}
		}
		t.Logf("%s: the lead is the gold sentence for %d of %d, the quote of a further gold clause for %d of %d", path, h, n, q, c)
		held += h
		asked += n
		quoted += q
		cited += c
	}
	if asked == 0 {
		t.Skip("no evaluation set here")
	}
	// The README gives the figures, before and after leads and quotes
	// weighed words as ranking does; the floors sit a little below them.
	if share := float64(held) / float64(asked); share < 0.8 {
		t.Errorf("the lead is the gold sentence for %d of %d (%.2f), want at least 0.80", held, asked, share)
	}
	if share := float64(quoted) / float64(cited); share < 0.7 {
		t.Errorf("the quote of a further gold clause holds its gold sentence for %d of %d (%.2f), want at least 0.70", quoted, cited, share)
	}
}

// quoteRe is one quote of an extract: [2]“…”.
var quoteRe = regexp.MustCompile(`\[(\d+)\]“(.*)”`)
