package corpus

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite corpus/docs and golden files from the source")

const sourcePath = "../../shared/sources/000_995e29078fff7534.txt"

// splitSource splits the compilation, skipping the test where the shared
// sources are not beside the clone.
func splitSource(t testing.TB) ([]Document, []Span, []string) {
	t.Helper()
	src, err := os.ReadFile(sourcePath)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("read source: %v", err)
		}
		t.Skipf("source not available: %v", err)
	}
	mb, err := os.ReadFile("compilation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest(mb)
	if err != nil {
		t.Fatal(err)
	}
	docs, spans, err := Split(string(src), m)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(src), "\n") {
		lines = append(lines, normLine(l))
	}
	return docs, spans, lines
}

func fileName(i int, d Document) string { return fmt.Sprintf("%02d-%s.md", i+1, d.ID) }

// TestBuiltinMatchesSplitter proves the committed corpus/docs are exactly
// the splitter's output; run with -update to regenerate them.
func TestBuiltinMatchesSplitter(t *testing.T) {
	docs, _, _ := splitSource(t)
	if *update {
		old, _ := filepath.Glob("docs/*.md")
		for _, f := range old {
			os.Remove(f)
		}
		for i := range docs {
			if err := os.WriteFile(filepath.Join("docs", fileName(i, docs[i])), Markdown(&docs[i]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob("docs/*.md")
	if got, want := len(files), len(docs); got != want {
		t.Fatalf("got %d files in docs/, want %d (run go test ./corpus -update)", got, want)
	}
	for i := range docs {
		want := Markdown(&docs[i])
		got, err := os.ReadFile(filepath.Join("docs", fileName(i, docs[i])))
		if err != nil {
			t.Fatalf("document %s: %v (run go test ./corpus -update)", docs[i].ID, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("docs/%s differs from the splitter's output (run go test ./corpus -update)", fileName(i, docs[i]))
		}
	}
}
