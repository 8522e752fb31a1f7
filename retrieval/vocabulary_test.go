package retrieval

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestLoadVocabularyBuiltin(t *testing.T) {
	v, err := LoadVocabulary()
	if err != nil {
		t.Fatalf("the built-in vocabulary does not load: %v", err)
	}
	if len(v.Synonyms) == 0 || len(v.Topics) == 0 || len(v.stop) == 0 {
		t.Errorf("built-in vocabulary has %d synonyms, %d topics, %d stop words; want some of each", len(v.Synonyms), len(v.Topics), len(v.stop))
	}
	for k, vs := range v.Synonyms {
		if strings.TrimSpace(k) == "" || len(vs) == 0 {
			t.Errorf("synonym %q → %v: want a word and at least one term", k, vs)
		}
	}
	for i := 1; i < len(v.keys); i++ {
		if len(v.keys[i]) > len(v.keys[i-1]) {
			t.Fatalf("keys not longest first: %q before %q", v.keys[i-1], v.keys[i])
		}
	}
}

func TestLoadVocabularyMerges(t *testing.T) {
	base, err := LoadVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	var someKey string
	for k := range base.Synonyms {
		someKey = k
		break
	}
	extra1 := []byte("synonyms:\n  咕噜嘟: [豆粕]\n  " + someKey + ": [嘟嘟术语]\ntopics: [嘟嘟税, [咕咕费, 咕咕金]]\nstop: [嘟嘟]\n")
	extra2 := []byte("synonyms:\n  咕噜嘟: [饲料]\n")
	v, err := LoadVocabulary(extra1, extra2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.Synonyms["咕噜嘟"], []string{"豆粕", "饲料"}; !slices.Equal(got, want) {
		t.Errorf("咕噜嘟 → %v, want %v (both files)", got, want)
	}
	if got := v.Synonyms[someKey]; len(got) != len(base.Synonyms[someKey])+1 || !slices.Contains(got, "嘟嘟术语") {
		t.Errorf("%s → %v, want the built-in terms %v plus 嘟嘟术语", someKey, got, base.Synonyms[someKey])
	}
	if got := v.Topics[len(base.Topics):]; len(got) != 2 || !slices.Equal(got[0], Topic{"嘟嘟税"}) || !slices.Equal(got[1], Topic{"咕咕费", "咕咕金"}) {
		t.Errorf("topics added: %v, want 嘟嘟税 and one topic named 咕咕费 or 咕咕金", got)
	}
	if !v.stop["嘟嘟"] {
		t.Error("stop word 嘟嘟 not added")
	}
	// Loading is pure: the built-in vocabulary is not changed by extras.
	again, err := LoadVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.Synonyms["咕噜嘟"]; ok || len(again.Synonyms[someKey]) != len(base.Synonyms[someKey]) {
		t.Error("an extra vocabulary leaked into a later load")
	}
}

func TestLoadVocabularyErrors(t *testing.T) {
	tests := []struct {
		name  string
		extra []byte
	}{
		{"not YAML", []byte("synonyms: [unclosed\n")},
		{"synonyms not a map", []byte("synonyms: [a, b]\n")},
		{"a synonym not a list", []byte("synonyms:\n  a:\n    b: c\n")},
		{"a topic with no names", []byte("topics: [嘟嘟税, []]\n")},
		{"a topic with an empty name", []byte("topics: [[嘟嘟税, '']]\n")},
		{"a topic not a name or a list", []byte("topics: [{a: b}]\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadVocabulary([]byte("stop: [嘟]\n"), tt.extra)
			if err == nil || !strings.Contains(err.Error(), "vocabulary 2") {
				t.Errorf("err %v, want one naming vocabulary 2 (the second extra)", err)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	v, err := LoadVocabulary([]byte(`synonyms:
  咕噜: [豆粕]
  咕噜嘟: [豆粕, 饲料]
  嘟嘟: [嘟嘟本身]
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []string
	}{
		{"咕噜嘟", []string{"豆粕", "饲料"}}, // longer key first, no repeats
		{"咕噜", []string{"豆粕"}},
		{"咕噜的豆粕", nil}, // a term already in the text is not added
		{"嘟嘟", []string{"嘟嘟本身"}},
		{"嘟嘟本身", nil},
		{"毫无关联", nil},
	}
	for _, tt := range tests {
		if got := v.expand(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("expand(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		text     string
		unigrams bool
		want     []string
	}{
		{"豆粕", true, []string{"豆", "粕", "豆粕"}},
		{"豆粕", false, []string{"豆粕"}},
		{"减半征收", false, []string{"减半", "半征", "征收"}},
		{"ＰＰＰ项目2018年", false, []string{"ppp", "项目", "2018"}},
		{"税率10.5%，出口", false, []string{"税率", "10.5", "出口"}},
		{"第一条。第二条", false, []string{"第一", "一条", "第二", "二条"}},
		{"", true, nil},
		{"，。！", true, nil},
	}
	for _, tt := range tests {
		if got := terms(tt.text, tt.unigrams); !slices.Equal(got, tt.want) {
			t.Errorf("terms(%q, %v) = %q, want %q", tt.text, tt.unigrams, got, tt.want)
		}
	}
}

func FuzzTerms(f *testing.F) {
	for _, s := range []string{"小型微利企业所得税减半", "ＰＰＰ项目2018年", "10.5%", "a.b..c", "\xff\xfe", "𠀀𠀁"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, term := range terms(s, true) {
			if term == "" {
				t.Fatalf("terms(%q) has an empty term", s)
			}
			r, _ := utf8.DecodeRuneInString(term)
			if isHan(r) {
				if n := utf8.RuneCountInString(term); n > 2 {
					t.Fatalf("terms(%q) has Han term %q of %d characters", s, term, n)
				}
				continue
			}
			for _, c := range term {
				if !(c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c) || c == '.')) {
					t.Fatalf("terms(%q) has term %q with %q", s, term, c)
				}
				if unicode.IsUpper(c) {
					t.Fatalf("terms(%q) has unfolded term %q", s, term)
				}
			}
		}
	})
}

func TestVocabularySource(t *testing.T) {
	v, err := LoadVocabulary([]byte("synonyms:\n  咕噜嘟: [豆粕]\ntaught:\n  嘟嘟: [饲料]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ key, want string }{
		{"高企", SourceGlossary},
		{"借钱", SourceColloquial},
		{"咕噜嘟", SourceTaught},
		{"嘟嘟", SourceTaught},
		{"没有这个词", ""},
	} {
		t.Run(tt.key, func(t *testing.T) {
			if got := v.Source(tt.key); got != tt.want {
				t.Errorf("Source(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
	// Every built-in entry says where it came from.
	base, err := LoadVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	for k := range base.Synonyms {
		if s := base.Source(k); s != SourceGlossary && s != SourceColloquial {
			t.Errorf("built-in entry %q has source %q, want glossary or colloquial", k, s)
		}
	}
}

func TestIdle(t *testing.T) {
	v, err := LoadVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text, term string
		want       bool
	}{
		{"这个减免还有没有啊", "没有", true}, // inside 有没有
		{"这个减免还有没有啊", "有没", true},
		{"这个减免还有没有啊", "还有", true}, // two stop words
		{"这个减免还有没有啊", "有啊", true},
		{"这个减免还有没有啊", "减免", false},
		{"我们没有裁员 还能领吗", "没有", false},  // meant
		{"有没有补贴 我们没有裁员", "没有", false}, // once inside, once meant
		{"能不能减免", "不能", true},
		{"不能享受的企业", "不能", false},
		{"能不能减免", "能减", false}, // the seam after it is no stop word's
	}
	for _, tt := range tests {
		t.Run(tt.text+"/"+tt.term, func(t *testing.T) {
			if got := v.idle(tt.text, tt.term); got != tt.want {
				t.Errorf("idle(%q, %q) = %v, want %v", tt.text, tt.term, got, tt.want)
			}
		})
	}
}
