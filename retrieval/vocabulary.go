package retrieval

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed vocabulary.yaml
var builtinVocabulary []byte

// Vocabulary maps the words business owners use to the words policies
// use (高企 → 高新技术企业), and lists question words that carry no
// meaning for search. It is data: users extend it with their own file.
type Vocabulary struct {
	Synonyms map[string][]string `yaml:"synonyms"`
	Stop     []string            `yaml:"stop"`
	Topics   []string            `yaml:"topics"`
	keys     []string            // synonym keys, longest first
	stop     map[string]bool
}

// LoadVocabulary reads the built-in vocabulary and merges the extra files
// (same YAML shape) into it.
func LoadVocabulary(extra ...[]byte) (*Vocabulary, error) {
	v := &Vocabulary{Synonyms: map[string][]string{}, stop: map[string]bool{}}
	for i, data := range append([][]byte{builtinVocabulary}, extra...) {
		var part Vocabulary
		if err := yaml.Unmarshal(data, &part); err != nil {
			return nil, fmt.Errorf("load vocabulary %d: %w", i, err)
		}
		for k, vs := range part.Synonyms {
			v.Synonyms[k] = append(v.Synonyms[k], vs...)
		}
		v.Topics = append(v.Topics, part.Topics...)
		for _, s := range part.Stop {
			v.stop[s] = true
		}
	}
	for k := range v.Synonyms {
		v.keys = append(v.keys, k)
	}
	sort.Slice(v.keys, func(i, j int) bool {
		if len(v.keys[i]) != len(v.keys[j]) {
			return len(v.keys[i]) > len(v.keys[j])
		}
		return v.keys[i] < v.keys[j]
	})
	return v, nil
}

// expand returns the policy terms for the colloquial words in text.
func (v *Vocabulary) expand(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range v.keys {
		if !strings.Contains(text, k) {
			continue
		}
		for _, t := range v.Synonyms[k] {
			if !seen[t] && !strings.Contains(text, t) {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}
