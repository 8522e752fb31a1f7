package main

import (
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/policybot/policybot/corpus"
)

// partsStart is the index of the line that opens Part 1.
func partsStart(t testing.TB, lines []string, m manifest) int {
	t.Helper()
	for i, l := range lines {
		if bare(l) == bare(m.PartsStart) {
			return i
		}
	}
	t.Fatalf("line %q not found in the source", m.PartsStart)
	return -1
}

// norm is how a line of the source must read in a document's body: white
// space trimmed and each run of it one space. Written out here, not taken
// from corpus, so the test checks the corpus rather than repeating it.
func norm(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\ufeff' }), " ")
}

func headingSet(m manifest) map[string]bool {
	h := map[string]bool{}
	for _, s := range m.Headings {
		h[norm(s)] = true
	}
	return h
}

// TestSplitCoversParts proves nothing of Parts 1 and 2 falls out of the
// documents and nothing is in two of them: the spans are disjoint and in
// order, and the gaps between them hold only the compilation's headings.
func TestSplitCoversParts(t *testing.T) {
	docs, spans, lines := splitSource(t)
	m := compilation(t)
	headings := headingSet(m)
	begin := partsStart(t, lines, m)
	if got, want := len(spans), len(docs); got != want {
		t.Fatalf("got %d spans, want one per document (%d)", got, want)
	}
	owner := make([]int, len(lines))
	for i := range owner {
		owner[i] = -1
	}
	prevEnd := begin
	for i, s := range spans {
		if s.start < prevEnd || s.end <= s.start || s.end > len(lines) {
			t.Fatalf("span %d (%s) = %+v: want disjoint, ordered, non-empty spans after line %d", i, docs[i].ID, s, prevEnd+1)
		}
		if lines[s.start] == "" || lines[s.end-1] == "" {
			t.Errorf("span %d (%s) = %+v starts or ends on an empty line", i, docs[i].ID, s)
		}
		for j := s.start; j < s.end; j++ {
			if owner[j] >= 0 {
				t.Fatalf("line %d is in documents %s and %s", j+1, docs[owner[j]].ID, docs[i].ID)
			}
			owner[j] = i
		}
		prevEnd = s.end
	}
	covered, gap := 0, 0
	for j := begin; j < len(lines); j++ {
		l := lines[j]
		switch {
		case l == "":
		case owner[j] >= 0:
			covered++
		case headings[l]:
			gap++
		default:
			t.Errorf("line %d %q is in no document and is no heading", j+1, l)
		}
	}
	if gap == 0 || covered == 0 {
		t.Errorf("got %d covered lines and %d heading lines, want both > 0", covered, gap)
	}
	t.Logf("%d lines in %d documents, %d heading lines between them", covered, len(docs), gap)
}

// TestSplitKeepsEveryCharacter proves the documents' bodies are the
// source's Parts 1–2 line for line: nothing dropped, reordered, duplicated
// or corrected.
func TestSplitKeepsEveryCharacter(t *testing.T) {
	docs, _, lines := splitSource(t)
	m := compilation(t)
	headings := headingSet(m)
	var want []string
	for _, l := range lines[partsStart(t, lines, m):] {
		if l != "" && !headings[l] {
			want = append(want, l)
		}
	}
	var got []string
	for _, d := range docs {
		got = append(got, strings.Split(d.Body, "\n")...)
	}
	if len(got) != len(want) {
		t.Errorf("got %d body lines, want %d source lines", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("body line %d: got %q, want %q", i+1, got[i], want[i])
		}
	}
	// The source's own typos stay: a citation quotes what was printed.
	for _, typo := range []string{"展本要求", "京津翼"} {
		n := 0
		for _, d := range docs {
			n += strings.Count(d.Body, typo)
		}
		if n == 0 {
			t.Errorf("got no body containing %q, want the source's text verbatim", typo)
		}
	}
}

// TestSplitLinesFindable checks the weaker property retrieval relies on:
// each line of the parts is found, spacing aside, in some document's
// title, 文号, issuer or body.
func TestSplitLinesFindable(t *testing.T) {
	docs, spans, lines := splitSource(t)
	m := compilation(t)
	headings := headingSet(m)
	var hay []string
	for _, d := range docs {
		hay = append(hay, bare(d.Title+"\n"+d.DocNo+"\n"+d.Issuer+"\n"+d.Body))
	}
	// Look in the document the line's span gives first, to stay quick.
	owner := map[int]int{}
	for i, s := range spans {
		for j := s.start; j < s.end; j++ {
			owner[j] = i
		}
	}
	for j := partsStart(t, lines, m); j < len(lines); j++ {
		l := lines[j]
		if l == "" || headings[l] {
			continue
		}
		s := bare(l)
		found := false
		if i, ok := owner[j]; ok {
			found = strings.Contains(hay[i], s)
		}
		for i := 0; !found && i < len(hay); i++ {
			found = strings.Contains(hay[i], s)
		}
		if !found {
			t.Errorf("source line %d %q is in no document", j+1, l)
		}
	}
}

// TestBuiltinParsesAsSplit proves reading the stored Markdown gives back
// exactly what the generator found: no field is re-guessed on load.
func TestBuiltinParsesAsSplit(t *testing.T) {
	docs, _, _ := splitSource(t)
	lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := lib.Documents()
	if len(got) != len(docs) {
		t.Fatalf("got %d built-in documents, want %d", len(got), len(docs))
	}
	for i := range docs {
		g := got[i]
		// Chunks, repeals and the compilation's year are the library's,
		// worked out across documents, or from the scope, when they are
		// loaded.
		g.Chunks, g.Repeals, g.RepealedBy, g.RepealedOn, g.Origin, g.Compiled = nil, nil, "", "", nil, 0
		if !reflect.DeepEqual(g, docs[i]) {
			t.Errorf("built-in %s:\n got %+v\nwant %+v", docs[i].ID, metaOf(g), metaOf(docs[i]))
		}
	}
}

// metaOf is a document without its text, for messages.
func metaOf(d corpus.Document) corpus.Document {
	d.Body, d.Chunks = "", nil
	return d
}

func TestParseManifestErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "sources: x\n", "field sources not found"},
		{"missing start", "documents:\n  - {id: a}\n", "document 1: id and start are required"},
		{"missing id", "documents:\n  - {start: [x]}\n", "document 1: id and start are required"},
		{"duplicate id", "documents:\n  - {id: a, start: [x]}\n  - {id: a, start: [y]}\n", `document 2: duplicate id "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseManifest([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSplitSmall(t *testing.T) {
	m := manifest{
		Source:     "test",
		PartsStart: "第一部分",
		Headings:   []string{"第一部分", "财政领域"},
		Documents: []manifestEntry{
			{ID: "a", Start: []string{"河北省财政厅", "关于甲的通知"}},
			{ID: "b", Kind: "解读", Domain: "税务", Start: []string{"乙办法"}},
		},
	}
	src := "前言\n第一部分\n\n财政领域\n河北省财政厅\n关于甲的通知\n冀财金〔2019〕1号\n　正文　一行。 \n\n乙办法\n解读正文。\n"
	docs, spans, err := split(src, m)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := spans, []span{{4, 8}, {9, 11}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got spans %v, want %v", got, want)
	}
	a := docs[0]
	if a.Title != "河北省财政厅关于甲的通知" || a.DocNo != "冀财金〔2019〕1号" || a.Domain != "财政" || a.Kind != "原文" || a.Body != "河北省财政厅\n关于甲的通知\n冀财金〔2019〕1号\n正文 一行。" || a.Source != "test" {
		t.Errorf("got %+v", a)
	}
	if b := docs[1]; b.Kind != "解读" || b.Domain != "税务" || b.Body != "乙办法\n解读正文。" {
		t.Errorf("got %+v", b)
	}

	errTests := []struct{ name, src, want string }{
		{"no parts", "河北省财政厅\n关于甲的通知\n乙办法\n", "start of parts"},
		{"missing document", "第一部分\n河北省财政厅\n关于甲的通知\n", "document b: start"},
		{"stray line", "第一部分\n漏掉的一行\n河北省财政厅\n关于甲的通知\n乙办法\n", "is no heading"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := split(tt.src, m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
