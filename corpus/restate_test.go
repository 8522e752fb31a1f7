package corpus

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestRestated checks the clause the threshold was chosen for and that a
// clause does not restate its own document or an interpretation.
func TestRestated(t *testing.T) {
	lib := builtinLibrary(t)
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, doc, label string
		want             []string // 文号 of the documents restated, in corpus order
	}{
		// 二12 repeats 财税〔2018〕77号's rate for small low-profit firms,
		// and the equipment and R&D measures of other national notices.
		{"opinion restating national tax notices", "private-economy-opinions", "二12", []string{"财税〔2018〕77号"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := lib.Document(tt.doc)
			if !ok {
				t.Fatalf("no document %s", tt.doc)
			}
			var c Chunk
			for _, ch := range d.Chunks {
				if ch.Label == tt.label {
					c = ch
				}
			}
			if c.ID == "" {
				t.Fatalf("no clause %s in %s", tt.label, tt.doc)
			}
			var got []string
			for _, v := range lib.ClauseValidity(c, now) {
				if v.Restates {
					got = append(got, v.Because)
				}
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					found = found || strings.Contains(g, w)
				}
				if !found {
					t.Errorf("restated %q, want one naming %s", got, w)
				}
			}
			for _, v := range lib.ClauseValidity(c, now) {
				if v.Restates && strings.Contains(v.Because, "财税〔2018〕77号") && v.Status != StatusExpired {
					t.Errorf("inherited %+v, want expired", v)
				}
			}
		})
	}
	// No chunk restates its own document.
	for _, d := range lib.Documents() {
		for _, c := range d.Chunks {
			for _, r := range lib.restated(d.ID, c.Text) {
				if r.ID == d.ID || r.Kind == "解读" {
					t.Fatalf("%s %s restates %s", d.ID, c.Label, r.ID)
				}
			}
		}
	}
}

// TestRestatedMemo: what restated remembers is what a scan finds, for
// every clause, and the memory stays bounded however many texts are asked.
func TestRestatedMemo(t *testing.T) {
	lib := builtinLibrary(t)
	targets := lib.restateTargets()
	for _, d := range lib.Documents() {
		for _, c := range d.Chunks {
			want := lib.scanRestated(targets, d.ID, c.Text)
			for range 2 {
				got := lib.restated(d.ID, c.Text)
				if len(got) != len(want) {
					t.Fatalf("%s %s: restated %d documents, the scan %d", d.ID, c.Label, len(got), len(want))
				}
				for i := range got {
					if got[i] != &lib.docs[want[i]] {
						t.Fatalf("%s %s: restated %s, the scan %s", d.ID, c.Label, got[i].ID, lib.docs[want[i]].ID)
					}
				}
			}
		}
	}
	for i := range restateMemoMax + 10 {
		lib.restated("x", fmt.Sprintf("对小型微利企业减按%d%%计算应纳税所得额，按20%%的税率缴纳企业所得税。", i))
	}
	lib.restate.mu.Lock()
	n := len(lib.restate.memo)
	lib.restate.mu.Unlock()
	if n > restateMemoMax {
		t.Errorf("memo holds %d texts, want at most %d", n, restateMemoMax)
	}
}

// TestRestateHistogram prints, with -v, how the best share of character
// pairs that a sentence finds in another document's clause is spread over
// the built-in corpus: the evidence for restateMin.
func TestRestateHistogram(t *testing.T) {
	lib := builtinLibrary(t)
	targets := lib.restateTargets()
	buckets := make([]int, 11)
	var near []string
	for _, d := range lib.Documents() {
		for _, c := range d.Chunks {
			for _, s := range measures(c.Text) {
				best, to := 0.0, ""
				ps := pairSet(s)
				for _, tg := range targets {
					if lib.docs[tg.doc].ID != d.ID {
						if sh := share(ps, tg.pairs); sh > best {
							best, to = sh, lib.docs[tg.doc].ID
						}
					}
				}
				buckets[int(best*10)]++
				if best >= 0.8 {
					near = append(near, fmt.Sprintf("%.2f %s %s → %s: %s", best, d.ID, c.Label, to, s))
				}
			}
		}
	}
	sort.Strings(near)
	for i, n := range buckets {
		t.Logf("share %.1f–%.1f: %d sentences", float64(i)/10, float64(i+1)/10, n)
	}
	for _, s := range near {
		t.Log(s)
	}
}
