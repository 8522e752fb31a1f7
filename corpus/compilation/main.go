// Command compilation generates the built-in corpus: it splits a
// compilation's text into its documents, as a manifest says where each
// starts, and writes each as Markdown with front matter. Only the
// boundaries are data; every document's metadata is read from its text by
// corpus.FromLines, the extractor users' documents go through too.
//
// Run it through go generate in corpus/ (see corpus/generate.go):
//
//	go run ./compilation -source SOURCE.txt -manifest compilation/compilation.yaml -out docs
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/policybot/policybot/corpus"
)

func main() {
	source := flag.String("source", "", "the compilation's text (UTF-8)")
	manifest := flag.String("manifest", "", "the manifest saying where each document starts")
	out := flag.String("out", "", "the folder to write the documents to; its *.md files are replaced")
	flag.Parse()
	if *source == "" || *manifest == "" || *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: compilation -source FILE -manifest FILE -out DIR")
		os.Exit(2)
	}
	if err := run(*source, *manifest, *out); err != nil {
		fmt.Fprintln(os.Stderr, "compilation:", err)
		os.Exit(1)
	}
}

func run(source, manifest, out string) error {
	docs, err := generate(source, manifest)
	if err != nil {
		return err
	}
	return write(out, docs)
}

// generate reads the source and the manifest and splits the documents out.
func generate(source, manifest string) ([]corpus.Document, error) {
	mb, err := os.ReadFile(manifest)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	m, err := parseManifest(mb)
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(source)
	if err != nil {
		return nil, fmt.Errorf("read source: %w", err)
	}
	docs, _, err := split(string(src), m)
	return docs, err
}

// write replaces the Markdown files in dir with docs, named by their place
// in the compilation so a sorted listing keeps its order.
func write(dir string, docs []corpus.Document) error {
	old, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return fmt.Errorf("write documents: %w", err)
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("write documents: %w", err)
		}
	}
	for i := range docs {
		if err := os.WriteFile(filepath.Join(dir, fileName(i, docs[i])), corpus.Markdown(&docs[i]), 0o644); err != nil {
			return fmt.Errorf("write documents: %w", err)
		}
	}
	return nil
}

func fileName(i int, d corpus.Document) string { return fmt.Sprintf("%02d-%s.md", i+1, d.ID) }

// manifest describes how a compilation divides into documents. Only the
// boundaries are data; all metadata is read from the text.
type manifest struct {
	Source     string          `yaml:"source"`
	PartsStart string          `yaml:"parts_start"`
	Headings   []string        `yaml:"headings"`
	Documents  []manifestEntry `yaml:"documents"`
}

// manifestEntry locates one document by its first non-empty lines.
type manifestEntry struct {
	ID     string   `yaml:"id"`
	Kind   string   `yaml:"kind"`   // 原文 unless given
	Domain string   `yaml:"domain"` // else from the last …领域 heading
	Start  []string `yaml:"start"`  // prefixes of the first lines, white space aside
}

// parseManifest reads a manifest and checks it is usable.
func parseManifest(data []byte) (manifest, error) {
	var m manifest
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return manifest{}, fmt.Errorf("parse manifest: %w", err)
	}
	seen := map[string]bool{}
	for i, e := range m.Documents {
		if e.ID == "" || len(e.Start) == 0 {
			return manifest{}, fmt.Errorf("parse manifest: document %d: id and start are required", i+1)
		}
		if seen[e.ID] {
			return manifest{}, fmt.Errorf("parse manifest: document %d: duplicate id %q", i+1, e.ID)
		}
		seen[e.ID] = true
	}
	return m, nil
}

// span is where a document's lines came from in the source (0-based,
// end exclusive), for the coverage test.
type span struct{ start, end int }

// bare drops all white space: the compilation is a PDF extraction with
// ragged indentation and alignment spaces, so lines are located and
// headings recognized with their spacing set aside. The documents' text
// is normalized by corpus, not here.
func bare(s string) string { return strings.Join(strings.Fields(s), "") }

// split divides the compilation's text into documents as the manifest
// says. Each document is built by corpus.FromLines from its lines, which
// are changed in nothing but white space. Lines between documents must be
// declared headings, so nothing can silently fall out.
func split(src string, m manifest) ([]corpus.Document, []span, error) {
	var lines, keys []string
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		keys = append(keys, bare(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("split: read source: %w", err)
	}
	begin := -1
	for i, k := range keys {
		if k == bare(m.PartsStart) {
			begin = i
			break
		}
	}
	if begin < 0 {
		return nil, nil, fmt.Errorf("split: start of parts %q not found", m.PartsStart)
	}
	// Locate each document after the previous one.
	starts := make([]int, len(m.Documents))
	from := begin
	for i, e := range m.Documents {
		at := findStart(keys, from, e.Start)
		if at < 0 {
			return nil, nil, fmt.Errorf("split: document %s: start %q not found after line %d", e.ID, e.Start, from+1)
		}
		starts[i] = at
		from = at + 1
	}
	headings := map[string]bool{}
	for _, h := range m.Headings {
		headings[bare(h)] = true
	}
	var docs []corpus.Document
	var spans []span
	domain := ""
	// Walk the gap before each document: only headings may be there.
	gapStart := begin
	for i, e := range m.Documents {
		for j := gapStart; j < starts[i]; j++ {
			if keys[j] == "" {
				continue
			}
			if !headings[keys[j]] {
				return nil, nil, fmt.Errorf("split: line %d %q lies between documents and is no heading", j+1, strings.TrimSpace(lines[j]))
			}
			if d, ok := strings.CutSuffix(keys[j], "领域"); ok {
				domain = d
			}
		}
		end := len(lines)
		last := i+1 == len(m.Documents)
		if !last {
			end = starts[i+1]
		}
		// Trailing headings belong to the gap, not the document; after the
		// last document there is no gap to hold them.
		for end > starts[i] && (keys[end-1] == "" || !last && headings[keys[end-1]]) {
			end--
		}
		kind := e.Kind
		if kind == "" {
			kind = "原文"
		}
		d := corpus.FromLines(lines[starts[i]:end], kind)
		d.ID = e.ID
		d.Domain = domain
		if e.Domain != "" {
			d.Domain = e.Domain
		}
		d.Source = m.Source
		docs = append(docs, d)
		spans = append(spans, span{starts[i], end})
		gapStart = end
	}
	return docs, spans, nil
}

// findStart finds the first line at or after from where the document
// whose first non-empty lines begin with start begins.
func findStart(keys []string, from int, start []string) int {
	for i := from; i < len(keys); i++ {
		if keys[i] == "" {
			// A document starts on its first line, not the blank before it.
			continue
		}
		j, k := i, 0
		for k < len(start) && j < len(keys) {
			if keys[j] == "" {
				j++
				continue
			}
			if !strings.HasPrefix(keys[j], bare(start[k])) {
				break
			}
			j++
			k++
		}
		if k == len(start) {
			return i
		}
	}
	return -1
}
