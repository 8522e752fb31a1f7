package retrieval

import (
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

//go:embed vocabulary.yaml
var builtinVocabulary []byte

// Vocabulary maps the words business owners use to the words policies
// use (高企 → 高新技术企业), and lists question words that carry no
// meaning for search. It is data: users extend it with their own file.
//
// Every entry says where it came from (Source): the general glossary of
// policy terms, everyday colloquialisms, or what a service centre taught
// it. A file's synonyms section counts as taught.
type Vocabulary struct {
	Glossary   map[string][]string `yaml:"glossary"`
	Colloquial map[string][]string `yaml:"colloquial"`
	Taught     map[string][]string `yaml:"taught"`
	Synonyms   map[string][]string `yaml:"synonyms"` // all of the above, merged
	Stop       []string            `yaml:"stop"`
	Topics     []Topic             `yaml:"topics"`
	keys       []string            // synonym keys, longest first
	stop       map[string]bool
	longStop   []string          // stop words of three or more characters
	source     map[string]string // synonym key → where it came from
}

// Topic is one policy topic under each of the names it goes by (稳岗补贴
// and 稳岗返还, 数电票 and 全电发票): a corpus holding any of them holds the
// topic. In YAML a name alone, or a list of the names.
type Topic []string

// UnmarshalYAML reads a topic written as one name or as a list of names.
func (t *Topic) UnmarshalYAML(n *yaml.Node) error {
	var names []string
	if n.Kind == yaml.ScalarNode {
		names = []string{n.Value}
	} else if err := n.Decode(&names); err != nil {
		return fmt.Errorf("read topic: %w", err)
	}
	if len(names) == 0 || slices.Contains(names, "") {
		return fmt.Errorf("read topic at line %d: a topic needs names, none empty", n.Line)
	}
	*t = names
	return nil
}

// Where a vocabulary entry came from (Vocabulary.Source).
const (
	SourceGlossary   = "glossary"
	SourceColloquial = "colloquial"
	SourceTaught     = "taught"
)

// LoadVocabulary reads the built-in vocabulary and merges the extra files
// (same YAML shape) into it.
func LoadVocabulary(extra ...[]byte) (*Vocabulary, error) {
	v := &Vocabulary{Synonyms: map[string][]string{}, stop: map[string]bool{}, source: map[string]string{}}
	for i, data := range append([][]byte{builtinVocabulary}, extra...) {
		var part Vocabulary
		if err := yaml.Unmarshal(data, &part); err != nil {
			return nil, fmt.Errorf("load vocabulary %d: %w", i, err)
		}
		for _, sec := range []struct {
			from    string
			entries map[string][]string
		}{
			{SourceGlossary, part.Glossary},
			{SourceColloquial, part.Colloquial},
			{SourceTaught, part.Taught},
			{SourceTaught, part.Synonyms},
		} {
			for k, vs := range sec.entries {
				v.Synonyms[k] = append(v.Synonyms[k], vs...)
				if v.source[k] == "" {
					v.source[k] = sec.from
				}
			}
		}
		v.Topics = append(v.Topics, part.Topics...)
		for _, s := range part.Stop {
			v.stop[s] = true
		}
	}
	for s := range v.stop {
		if utf8.RuneCountInString(s) >= 3 {
			v.longStop = append(v.longStop, s)
		}
	}
	sort.Strings(v.longStop)
	v.Glossary, v.Colloquial, v.Taught = nil, nil, nil
	for k := range v.Synonyms {
		v.keys = append(v.keys, k)
	}
	sortKeys(v.keys)
	return v, nil
}

// Source says where the entry for key came from: SourceGlossary,
// SourceColloquial or SourceTaught; "" when there is none.
func (v *Vocabulary) Source(key string) string { return v.source[key] }

// sortKeys orders synonym keys longest first, so that a longer key is
// matched before the shorter ones inside it.
func sortKeys(keys []string) {
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) > len(keys[j])
		}
		return keys[i] < keys[j]
	})
}

// idle says whether term, a pair of characters from text, means nothing
// there: both are stop words (还有, 有啊), or wherever text has it, it is
// inside a longer stop word (有没有 gives 有没 and 没有, which 我们没有裁员
// does mean). Such pairs are question words no clause holds; counted, a
// corpus that never writes 还有没有 covered 这个减免还有没有啊 by 减免 alone
// less than a tenth.
func (v *Vocabulary) idle(text, term string) bool {
	rs := []rune(term)
	if len(rs) != 2 {
		return false
	}
	if v.stop[string(rs[0])] && v.stop[string(rs[1])] {
		return true
	}
	for from := 0; ; {
		i := strings.Index(text[from:], term)
		if i < 0 {
			return from > 0
		}
		at := from + i
		if !v.insideStop(text, at, at+len(term)) {
			return false
		}
		from = at + len(term)
	}
}

// insideStop says whether text[start:end] lies inside an occurrence of a
// stop word longer than it.
func (v *Vocabulary) insideStop(text string, start, end int) bool {
	for _, w := range v.longStop {
		for lo := max(0, end-len(w)); lo <= start && lo+len(w) <= len(text); lo++ {
			if text[lo:lo+len(w)] == w {
				return true
			}
		}
	}
	return false
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
