package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policybot/policybot/corpus"
)

var update = flag.Bool("update", false, "rewrite corpus/docs from the source")

const (
	sourcePath   = "../../../shared/sources/000_995e29078fff7534.txt"
	manifestPath = "compilation.yaml"
	docsDir      = "../docs"
)

// splitSource splits the compilation, skipping the test where the shared
// sources are not beside the clone; in CI they must be.
func splitSource(t testing.TB) ([]corpus.Document, []span, []string) {
	t.Helper()
	src, err := os.ReadFile(sourcePath)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("read source: %v", err)
		}
		t.Skipf("source not available: %v", err)
	}
	docs, spans, err := split(string(src), compilation(t))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(src), "\n") {
		lines = append(lines, norm(l))
	}
	return docs, spans, lines
}

// compilation reads the manifest the generator uses.
func compilation(t testing.TB) manifest {
	t.Helper()
	mb, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseManifest(mb)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBuiltinMatchesSplitter proves the committed corpus/docs are exactly
// the generator's output; run with -update to regenerate them (as go
// generate ./corpus does).
func TestBuiltinMatchesSplitter(t *testing.T) {
	docs, _, _ := splitSource(t)
	if *update {
		if err := write(docsDir, docs); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(docsDir, "*.md"))
	if got, want := len(files), len(docs); got != want {
		t.Fatalf("got %d files in corpus/docs, want %d (run go generate ./corpus)", got, want)
	}
	for i := range docs {
		want := corpus.Markdown(&docs[i])
		got, err := os.ReadFile(filepath.Join(docsDir, fileName(i, docs[i])))
		if err != nil {
			t.Fatalf("document %s: %v (run go generate ./corpus)", docs[i].ID, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("corpus/docs/%s differs from the generator's output (run go generate ./corpus)", fileName(i, docs[i]))
		}
	}
}

// TestRun runs the command's whole path on a small compilation.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.txt")
	man := filepath.Join(dir, "m.yaml")
	out := filepath.Join(dir, "docs")
	files := map[string]string{
		src:                               "前言\n第一部分\n某省财政厅\n关于甲的通知\n某财金〔2019〕1号\n正文。\n",
		man:                               "source: 测试汇编\nparts_start: 第一部分\nheadings: [第一部分]\ndocuments:\n  - {id: a, start: [某省财政厅, 关于甲]}\n",
		filepath.Join(out, "99-stale.md"): "old",
	}
	for p, s := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(src, man, out); err != nil {
		t.Fatal(err)
	}
	got, _ := filepath.Glob(filepath.Join(out, "*.md"))
	if len(got) != 1 || filepath.Base(got[0]) != "01-a.md" {
		t.Fatalf("got files %v, want only 01-a.md", got)
	}
	b, _ := os.ReadFile(got[0])
	for _, want := range []string{"id: a\n", "title: 某省财政厅关于甲的通知\n", "doc_no: 某财金〔2019〕1号\n", "source: 测试汇编\n", "---\n\n某省财政厅\n"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("got\n%s\nwant it to contain %q", b, want)
		}
	}
	if err := run(filepath.Join(dir, "missing.txt"), man, out); err == nil || !strings.Contains(err.Error(), "read source") {
		t.Errorf("got error %v, want one about reading the source", err)
	}
}
