package corpus

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// A clause often restates a measure of another document without naming
// it: a provincial opinion repeats a national tax notice's rate word for
// word. Such a clause is only as current as the document it restates, so
// its validity follows that document's (see ClauseValidity).
const (
	// restateMin is the share of a sentence's character pairs that one
	// clause of another document must hold for the sentence to restate
	// it. Measured on the built-in corpus (TestRestateHistogram prints
	// it): of 885 sentences that state a figure, 38 reach 0.9 or more,
	// and read by hand they repeat another document's measure or target
	// (the 175% amortisation of 财税〔2018〕99号, 77号's 50% and 20%);
	// the 11 between 0.8 and 0.9 are shared wording of sibling plans and
	// paraphrases that change the figures; below 0.8 the counts rise
	// steadily towards the bulk at 0.2–0.3.
	restateMin = 0.9
	// restateMinRunes keeps short sentences out: 按20%的税率征收 is
	// common to many notices and proves nothing.
	restateMinRunes = 20
)

// restateIndex holds the character pairs of every clause a restatement
// can inherit a period from: those of documents that state an end and are
// not themselves interpretations.
type restateIndex struct {
	once    sync.Once
	targets []restateTarget

	// memo keeps what restated found for a document and text: every
	// answer asks it of its clauses several times over (their status,
	// their notes, the part quoted), and the scan over every target is
	// most of an offline answer's time. Bounded: cleared when full, since
	// a model's sentences are asked too and are never the same twice.
	mu   sync.Mutex
	memo map[string][]int
}

// restateMemoMax bounds restateIndex.memo; the built-in corpus's clauses
// and their sentences fit several times over.
const restateMemoMax = 8192

type restateTarget struct {
	doc   int // in Library.docs
	pairs map[string]struct{}
}

func (l *Library) restateTargets() []restateTarget {
	l.restate.once.Do(func() {
		for i := range l.docs {
			d := &l.docs[i]
			if d.EffectiveUntil == "" || d.Kind == "解读" {
				continue
			}
			for _, c := range d.Chunks {
				l.restate.targets = append(l.restate.targets, restateTarget{doc: i, pairs: pairSet(c.Text)})
			}
		}
	})
	return l.restate.targets
}

// restated lists the documents whose clauses a text restates, in corpus
// order, leaving out the document it belongs to.
func (l *Library) restated(docID, text string) []*Document {
	targets := l.restateTargets()
	if len(targets) == 0 {
		return nil
	}
	key := docID + "\x00" + text
	l.restate.mu.Lock()
	idx, ok := l.restate.memo[key]
	l.restate.mu.Unlock()
	if !ok {
		idx = l.scanRestated(targets, docID, text)
		l.restate.mu.Lock()
		if l.restate.memo == nil || len(l.restate.memo) >= restateMemoMax {
			l.restate.memo = map[string][]int{}
		}
		l.restate.memo[key] = idx
		l.restate.mu.Unlock()
	}
	out := make([]*Document, len(idx))
	for i, d := range idx {
		out[i] = &l.docs[d]
	}
	return out
}

// scanRestated is restated without its memo: the positions of the
// documents restated, in corpus order.
func (l *Library) scanRestated(targets []restateTarget, docID, text string) []int {
	found := map[int]bool{}
	for _, s := range measures(text) {
		ps := pairSet(s)
		for _, t := range targets {
			if found[t.doc] || l.docs[t.doc].ID == docID {
				continue
			}
			if share(ps, t.pairs) >= restateMin {
				found[t.doc] = true
			}
		}
	}
	var out []int
	for i := range l.docs {
		if found[i] {
			out = append(out, i)
		}
	}
	return out
}

// measures are the sentences of a text that can restate a measure: long
// enough to be distinctive, stating a figure (a rate, an amount, a limit),
// and not a period of their own, which is the text's and not a measure.
// Plans of one office share whole sentences of wording without figures
// (责任单位：…, 各市要结合自身功能定位…) that restate nothing.
func measures(text string) []string {
	var out []string
	for _, s := range splitSentences(strings.ReplaceAll(text, "\n", "")) {
		if utf8.RuneCountInString(s) < restateMinRunes || !strings.ContainsFunc(s, unicode.IsDigit) || StatesPeriod(s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// pairSet is the set of adjacent character pairs of a text, ignoring
// white space and punctuation.
func pairSet(text string) map[string]struct{} {
	var rs []rune
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	set := make(map[string]struct{}, len(rs))
	for i := 0; i+1 < len(rs); i++ {
		set[string(rs[i:i+2])] = struct{}{}
	}
	return set
}

// share is the part of a's pairs that b holds.
func share(a, b map[string]struct{}) float64 {
	if len(a) == 0 {
		return 0
	}
	n := 0
	for p := range a {
		if _, ok := b[p]; ok {
			n++
		}
	}
	return float64(n) / float64(len(a))
}
