package corpus

import (
	"bufio"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Manifest describes how a compilation divides into documents. Only the
// boundaries are data; all metadata is read from the text.
type Manifest struct {
	Source     string          `yaml:"source"`
	PartsStart string          `yaml:"parts_start"`
	Headings   []string        `yaml:"headings"`
	Documents  []ManifestEntry `yaml:"documents"`
}

// ManifestEntry locates one document by its first non-empty lines.
type ManifestEntry struct {
	ID     string   `yaml:"id"`
	Kind   string   `yaml:"kind"`   // 原文 unless given
	Domain string   `yaml:"domain"` // else from the last …领域 heading
	Start  []string `yaml:"start"`  // prefixes of the first lines, whitespace-normalized
}

// ParseManifest reads a manifest and checks it is usable.
func ParseManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("parse manifest: %w", err)
	}
	seen := map[string]bool{}
	for i, e := range m.Documents {
		if e.ID == "" || len(e.Start) == 0 {
			return Manifest{}, fmt.Errorf("parse manifest: document %d: id and start are required", i+1)
		}
		if seen[e.ID] {
			return Manifest{}, fmt.Errorf("parse manifest: document %d: duplicate id %q", i+1, e.ID)
		}
		seen[e.ID] = true
	}
	return m, nil
}

// Span is where a document's lines came from in the source (0-based,
// end exclusive), for the coverage test.
type Span struct{ Start, End int }

// Split divides the compilation's text into documents as the manifest
// says. Each document's body is its lines with white space normalized and
// empty lines dropped; nothing else is changed. Lines between documents
// must be declared headings, so nothing can silently fall out.
func Split(src string, m Manifest) ([]Document, []Span, error) {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		lines = append(lines, normLine(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("split: read source: %w", err)
	}
	begin := -1
	for i, l := range lines {
		if l == m.PartsStart {
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
		at := findStart(lines, from, e.Start)
		if at < 0 {
			return nil, nil, fmt.Errorf("split: document %s: start %q not found after line %d", e.ID, e.Start, from+1)
		}
		starts[i] = at
		from = at + 1
	}
	headings := map[string]bool{}
	for _, h := range m.Headings {
		headings[h] = true
	}
	var docs []Document
	var spans []Span
	domain := ""
	// Walk the gap before each document: only headings may be there.
	gapStart := begin
	for i, e := range m.Documents {
		for j := gapStart; j < starts[i]; j++ {
			if lines[j] == "" {
				continue
			}
			if !headings[lines[j]] {
				return nil, nil, fmt.Errorf("split: line %d %q lies between documents and is no heading", j+1, lines[j])
			}
			if strings.HasSuffix(lines[j], "领域") {
				domain = strings.TrimSuffix(lines[j], "领域")
			}
		}
		end := len(lines)
		last := i+1 == len(m.Documents)
		if !last {
			end = starts[i+1]
		}
		// Trailing headings belong to the gap, not the document; after the
		// last document there is no gap to hold them.
		for end > starts[i] && (lines[end-1] == "" || !last && headings[lines[end-1]]) {
			end--
		}
		var body []string
		for _, l := range lines[starts[i]:end] {
			if l != "" {
				body = append(body, l)
			}
		}
		d := newDocument(e, body, domain)
		d.Source = m.Source
		docs = append(docs, d)
		spans = append(spans, Span{starts[i], end})
		gapStart = end
	}
	return docs, spans, nil
}

func findStart(lines []string, from int, start []string) int {
	for i := from; i < len(lines); i++ {
		if lines[i] == "" {
			// A document starts on its first line, not the blank before it.
			continue
		}
		j, k := i, 0
		for k < len(start) && j < len(lines) {
			if lines[j] == "" {
				j++
				continue
			}
			if !strings.HasPrefix(lines[j], normLine(start[k])) {
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

// newDocument reads a document's metadata from its lines.
func newDocument(e ManifestEntry, body []string, domain string) Document {
	h := parseHeader(body)
	sigIssuer, issued := signature(body)
	d := Document{
		ID:     e.ID,
		Title:  h.title,
		DocNo:  h.docNo,
		Issuer: h.issuer,
		Domain: domain,
		Kind:   "原文",
		Issued: issued,
		Body:   strings.Join(body, "\n"),
	}
	if e.Domain != "" {
		d.Domain = e.Domain
	}
	if e.Kind != "" {
		d.Kind = e.Kind
	}
	if d.Issuer == "" {
		d.Issuer = sigIssuer
	}
	if d.Kind == "解读" && d.Issuer != "" {
		d.Title = d.Issuer + d.Title
	}
	if d.Kind != "解读" {
		// An interpretation quotes other documents' periods; it states none
		// of its own.
		d.EffectiveFrom, d.EffectiveUntil = period(d.Title, d.Body, d.Issued, h.lines)
	}
	return d
}
