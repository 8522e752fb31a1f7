package retrieval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
)

// EvalItem is one line of an evaluation file shaped like dev.jsonl.
type EvalItem struct {
	ID         string     `json:"id"`
	Question   string     `json:"question"`
	History    []string   `json:"history"`
	Answerable bool       `json:"answerable"`
	Kind       string     `json:"kind"`
	Gold       []EvalGold `json:"gold"`
}

// EvalGold is one acceptable source: doc is found in a document's title or
// number (for an interpretation, the issuer followed by 解读), clause is a
// verbatim piece of the answering clause.
type EvalGold struct {
	Doc    string `json:"doc"`
	Clause string `json:"clause"`
}

// ReadEval reads evaluation items, one JSON object per line.
func ReadEval(r io.Reader) ([]EvalItem, error) {
	var items []EvalItem
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var it EvalItem
		if err := json.Unmarshal([]byte(line), &it); err != nil {
			return nil, fmt.Errorf("read eval line %d: %w", n, err)
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read eval: %w", err)
	}
	return items, nil
}

// Metrics are retrieval figures over a set of items.
type Metrics struct {
	N, Answerable, Unanswerable int
	ClauseHit1, ClauseHit5      float64 // share of answerable items
	DocHit5, MRR10              float64 // share of answerable items
	NotFoundUnanswerable        float64 // share of unanswerable items with found=false
	NotFoundAnswerable          float64 // share of answerable items with found=false
	// Misses names the answerable items whose gold clause was not first
	// (id@rank, 0 when not within the cut); Unrefused the unanswerable
	// items something was found for.
	Misses, Unrefused []string
}

// Report is the overall metrics, the metrics per kind, and what the
// history did to the items asked with one.
type Report struct {
	Overall      Metrics
	Kinds        map[string]Metrics
	Conversation Conversation
}

// Conversation compares the items asked with history (kinds topic_switch
// and followup) with the same questions asked alone, which is what tells
// whether the history was used as it should be, apart from how well the
// question alone is answered: a topic switch should be answered as if
// nothing came before it, and a follow-up better than alone.
type Conversation struct {
	// Switches counts the topic switches; AsAlone those whose first
	// clause, and whether anything was found, are the question alone's;
	// Stayed those whose first clause is instead one the earlier message
	// finds among its first five: the answer stayed on the old topic.
	Switches, AsAlone, Stayed int
	// Followups counts the answerable follow-ups; Hit1 and AloneHit1 are
	// their clause hit@1 with the history and without it.
	Followups       int
	Hit1, AloneHit1 float64
}

type searcher interface {
	Search(ctx context.Context, q Query) (Result, error)
}

// Evaluate runs every item through s with k=10 and scores the results.
func Evaluate(ctx context.Context, s searcher, items []EvalItem, k int) (Report, error) {
	if k < 10 {
		k = 10
	}
	type outcome struct {
		kind              string
		answerable, found bool
		rank, docRank     int // 0 = not within the cut
		id                string
	}
	var outs []outcome
	var conv Conversation
	for _, it := range items {
		res, err := s.Search(ctx, Query{Question: it.Question, History: it.History, K: k})
		if err != nil {
			return Report{}, fmt.Errorf("evaluate %s: %w", it.ID, err)
		}
		o := outcome{kind: it.Kind, answerable: it.Answerable, found: res.Found, id: it.ID}
		o.rank, o.docRank = goldRanks(it, res.Hits)
		outs = append(outs, o)
		switchAsked := it.Kind == "topic_switch"
		followAsked := it.Kind == "followup" && it.Answerable
		if len(it.History) == 0 || !switchAsked && !followAsked {
			continue
		}
		alone, err := s.Search(ctx, Query{Question: it.Question, K: k})
		if err != nil {
			return Report{}, fmt.Errorf("evaluate %s alone: %w", it.ID, err)
		}
		if switchAsked {
			conv.Switches++
			if sameFirst(res, alone) {
				conv.AsAlone++
				continue
			}
			last := len(it.History) - 1
			before, err := s.Search(ctx, Query{Question: it.History[last], History: it.History[:last], K: k})
			if err != nil {
				return Report{}, fmt.Errorf("evaluate %s's history: %w", it.ID, err)
			}
			if stayed(res, before) {
				conv.Stayed++
			}
			continue
		}
		conv.Followups++
		if o.rank == 1 {
			conv.Hit1++
		}
		if r, _ := goldRanks(it, alone.Hits); r == 1 {
			conv.AloneHit1++
		}
	}
	if conv.Followups > 0 {
		conv.Hit1 /= float64(conv.Followups)
		conv.AloneHit1 /= float64(conv.Followups)
	}
	score := func(os []outcome) Metrics {
		var m Metrics
		for _, o := range os {
			m.N++
			if !o.answerable {
				m.Unanswerable++
				if !o.found {
					m.NotFoundUnanswerable++
				} else {
					m.Unrefused = append(m.Unrefused, o.id)
				}
				continue
			}
			m.Answerable++
			if !o.found {
				m.NotFoundAnswerable++
			}
			if o.rank == 1 {
				m.ClauseHit1++
			}
			if o.rank >= 1 && o.rank <= 5 {
				m.ClauseHit5++
			}
			if o.docRank >= 1 && o.docRank <= 5 {
				m.DocHit5++
			}
			if o.rank >= 1 && o.rank <= 10 {
				m.MRR10 += 1 / float64(o.rank)
			}
			if o.rank != 1 {
				m.Misses = append(m.Misses, fmt.Sprintf("%s@%d", o.id, o.rank))
			}
		}
		if m.Answerable > 0 {
			a := float64(m.Answerable)
			m.ClauseHit1 /= a
			m.ClauseHit5 /= a
			m.DocHit5 /= a
			m.MRR10 /= a
			m.NotFoundAnswerable /= a
		}
		if m.Unanswerable > 0 {
			m.NotFoundUnanswerable /= float64(m.Unanswerable)
		}
		return m
	}
	rep := Report{Overall: score(outs), Kinds: map[string]Metrics{}, Conversation: conv}
	byKind := map[string][]outcome{}
	for _, o := range outs {
		byKind[o.kind] = append(byKind[o.kind], o)
	}
	for k, os := range byKind {
		rep.Kinds[k] = score(os)
	}
	return rep, nil
}

// goldRanks gives the rank of the first hit holding one of the item's gold
// clauses and of the first hit of a gold document, 0 for none.
func goldRanks(it EvalItem, hits []Hit) (rank, docRank int) {
	for _, h := range hits {
		for _, g := range it.Gold {
			if rank == 0 && g.Clause != "" && strings.Contains(squeeze(h.Text), squeeze(g.Clause)) {
				rank = h.Rank
			}
			if docRank == 0 && docMatches(h, g.Doc) {
				docRank = h.Rank
			}
		}
	}
	return rank, docRank
}

// sameFirst says whether two searches found alike and put the same clause
// first.
func sameFirst(a, b Result) bool {
	if a.Found != b.Found || len(a.Hits) == 0 || len(b.Hits) == 0 {
		return a.Found == b.Found && len(a.Hits) == len(b.Hits)
	}
	return a.Hits[0].ChunkID == b.Hits[0].ChunkID && a.Hits[0].Text == b.Hits[0].Text
}

// stayed says whether a topic switch's first clause is one of the first
// five the earlier message found.
func stayed(res, before Result) bool {
	if !res.Found || len(res.Hits) == 0 {
		return false
	}
	for i, h := range before.Hits {
		if i == 5 {
			break
		}
		if h.ChunkID == res.Hits[0].ChunkID && h.Text == res.Hits[0].Text {
			return true
		}
	}
	return false
}

// ShowsGold says, for an answer citing clause first and showing shown
// of it first (its lead), whether that clause is one of the item's gold
// clauses, and if so whether shown is a gold sentence of it: holds at
// least half of the gold excerpt's distinct character pairs. Another
// sentence of the clause may answer too, so a share of these is a floor.
func ShowsGold(it EvalItem, clause, shown string) (gold, shows bool) {
	text := squeeze(clause)
	pairs := func(s string) map[string]bool {
		r := []rune(squeeze(s))
		m := map[string]bool{}
		for i := 0; i+1 < len(r); i++ {
			m[string(r[i:i+2])] = true
		}
		return m
	}
	got := pairs(shown)
	for _, g := range it.Gold {
		if g.Clause == "" || !strings.Contains(text, squeeze(g.Clause)) {
			continue
		}
		gold = true
		want := pairs(g.Clause)
		have := 0
		for p := range want {
			if got[p] {
				have++
			}
		}
		if len(want) > 0 && 2*have >= len(want) {
			return true, true
		}
	}
	return gold, false
}

func docMatches(h Hit, doc string) bool {
	if doc == "" {
		return false
	}
	d := squeeze(doc)
	return strings.Contains(squeeze(h.Title), d) || strings.Contains(squeeze(h.DocNo), d) ||
		(h.Kind == "解读" && squeeze(h.Issuer)+"解读" == d)
}

func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u3000' {
			return -1
		}
		return r
	}, s)
}

// Write prints the report as a table: each kind, then overall.
func (r Report) Write(w io.Writer) error {
	line := func(name string, m Metrics) string {
		return fmt.Sprintf("%-14s n=%-3d clause hit@1 %.2f  hit@5 %.2f  doc hit@5 %.2f  MRR@10 %.2f  not-found: unanswerable %.2f (%d)  answerable %.2f\n",
			name, m.N, m.ClauseHit1, m.ClauseHit5, m.DocHit5, m.MRR10, m.NotFoundUnanswerable, m.Unanswerable, m.NotFoundAnswerable)
	}
	var b strings.Builder
	var kinds []string
	for k := range r.Kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		b.WriteString(line(k, r.Kinds[k]))
	}
	b.WriteString(line("overall", r.Overall))
	b.WriteString(r.Conversation.line())
	_, err := io.WriteString(w, b.String())
	return err
}

// line is the conversation's figures as a line of the report, "" when the
// set asks nothing with history.
func (c Conversation) line() string {
	var parts []string
	if c.Switches > 0 {
		parts = append(parts, fmt.Sprintf("topic switches answered on the new topic %d of %d (%d as asked alone)", c.Switches-c.Stayed, c.Switches, c.AsAlone))
	}
	if c.Followups > 0 {
		parts = append(parts, fmt.Sprintf("follow-ups (n=%d) clause hit@1 %.2f with history, %.2f alone", c.Followups, c.Hit1, c.AloneHit1))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("%-14s %s\n", "conversation", strings.Join(parts, "; "))
}

// WriteBeside prints the report as Write does, with each line's clause
// hit@1, hit@5 and MRR@10 of anchor (the same items searched another way)
// beside its own; a kind anchor lacks shows none.
func (r Report) WriteBeside(w io.Writer, anchor Report) error {
	line := func(name string, m Metrics, a Metrics, ok bool) string {
		s := fmt.Sprintf("%-14s n=%-3d clause hit@1 %.2f  hit@5 %.2f  doc hit@5 %.2f  MRR@10 %.2f  not-found: unanswerable %.2f (%d)  answerable %.2f",
			name, m.N, m.ClauseHit1, m.ClauseHit5, m.DocHit5, m.MRR10, m.NotFoundUnanswerable, m.Unanswerable, m.NotFoundAnswerable)
		if ok {
			s += fmt.Sprintf("  | anchor hit@1 %.2f  hit@5 %.2f  MRR@10 %.2f", a.ClauseHit1, a.ClauseHit5, a.MRR10)
		}
		return s + "\n"
	}
	var b strings.Builder
	var kinds []string
	for k := range r.Kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		a, ok := anchor.Kinds[k]
		b.WriteString(line(k, r.Kinds[k], a, ok))
	}
	b.WriteString(line("overall", r.Overall, anchor.Overall, true))
	b.WriteString(r.Conversation.line())
	_, err := io.WriteString(w, b.String())
	return err
}
