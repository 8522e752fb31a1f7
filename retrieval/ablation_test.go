package retrieval

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// ablSets are the question sets present: dev beside the clone, the rest
// in testdata.
func ablSets(t *testing.T) map[string][]EvalItem {
	sets := map[string][]EvalItem{}
	for name, p := range map[string]string{
		"dev": "../../shared/eval/dev.jsonl", "probe": "testdata/probe.jsonl", "fresh_a": "testdata/fresh_a.jsonl",
		"fresh_b": "testdata/fresh_b.jsonl", "switch": "testdata/switch.jsonl", "fresh_c": "testdata/fresh_c.jsonl", "switch_c": "testdata/switch_c.jsonl",
		"fresh_d": "testdata/fresh_d.jsonl", "fresh_e": "testdata/fresh_e.jsonl", "fresh_f": "testdata/fresh_f.jsonl",
	} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		items, err := ReadEval(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		sets[name] = items
	}
	return sets
}

// ablOrder puts the sets retrieval was tuned on first, the held-out
// fresh_b last.
var ablOrder = []string{"dev", "probe", "fresh_a", "switch", "fresh_c", "switch_c", "fresh_b", "fresh_d", "fresh_e", "fresh_f"}

// TestAblation prints, for every question set here, the figures with
// each part of retrieval taken away: the vectors, the vocabulary entries
// whose keys the dev and probe questions contain, the whole vocabulary,
// the topic list. It is how the README's ablation table was measured:
//
//	POLICYBOT_ABLATE=1 go test ./retrieval -run TestAblation -v
//
// POLICYBOT_ABLATE_ONLY=base,noVectors picks configurations.
func TestAblation(t *testing.T) {
	if os.Getenv("POLICYBOT_ABLATE") == "" {
		t.Skip("set POLICYBOT_ABLATE=1 to print the ablation table")
	}
	sets := ablSets(t)
	lib := loadBuiltin(t)
	full, err := LoadVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	var evalQs []string
	for _, n := range []string{"dev", "probe"} {
		for _, it := range sets[n] {
			evalQs = append(evalQs, it.Question)
			evalQs = append(evalQs, it.History...)
		}
	}
	inEval := func(k string) bool {
		for _, q := range evalQs {
			if strings.Contains(q, k) {
				return true
			}
		}
		return false
	}
	strip := func(drop func(k string) bool, topics bool) *Vocabulary {
		v := *full
		v.Synonyms = map[string][]string{}
		v.keys = nil
		for k, vs := range full.Synonyms {
			if !drop(k) {
				v.Synonyms[k] = vs
				v.keys = append(v.keys, k)
			}
		}
		sortKeys(v.keys)
		if !topics {
			v.Topics = nil
		}
		return &v
	}
	configs := []struct {
		name string
		opts Options
	}{
		{"base", Options{}},
		{"noVectors", Options{Embedder: zeroEmbedder{model: "zero"}}},
		{"vocab-noEvalKeys", Options{Vocabulary: strip(inEval, true)}},
		{"vocab-none", Options{Vocabulary: strip(func(string) bool { return true }, true)}},
		{"noTopics", Options{Vocabulary: strip(func(string) bool { return false }, false)}},
	}
	if only := os.Getenv("POLICYBOT_ABLATE_ONLY"); only != "" {
		kept := configs[:0]
		for _, c := range configs {
			if strings.Contains(","+only+",", ","+c.name+",") {
				kept = append(kept, c)
			}
		}
		configs = kept
	}
	for _, c := range configs {
		ix, err := Build(context.Background(), lib, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%-18s", c.name)
		for _, n := range ablOrder {
			items, ok := sets[n]
			if !ok {
				continue
			}
			r, err := Evaluate(context.Background(), ix, items, 10)
			if err != nil {
				t.Fatal(err)
			}
			o := r.Overall
			line += fmt.Sprintf(" | %s %.2f/%.2f/%.2f u%.2f a%.2f", n, o.ClauseHit1, o.ClauseHit5, o.MRR10, o.NotFoundUnanswerable, o.NotFoundAnswerable)
		}
		fmt.Println(line)
	}
}
