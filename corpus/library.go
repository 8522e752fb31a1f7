package corpus

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed docs/*.md scope.yaml
var builtin embed.FS

// Scope describes what a corpus covers.
type Scope struct {
	Name         string   `yaml:"name"`
	Region       string   `yaml:"region"`
	Level        string   `yaml:"level"`
	Years        [2]int   `yaml:"years"`    // first and last year of issue
	Compiled     int      `yaml:"compiled"` // year the compilation was made
	Topics       []string `yaml:"topics"`
	Cities       []string `yaml:"cities"`
	OtherRegions []string `yaml:"other_regions"`
	// Partners maps a region to the word by which the corpus speaks of
	// working with it (北京 → 京津).
	Partners map[string]string `yaml:"partners"`
}

// Summary is the scope in one Chinese sentence for users.
func (s Scope) Summary() string {
	return fmt.Sprintf("我能查询的是《%s》：%s%s，发布于%d—%d年，涉及%s。", s.Name, s.Region, s.Level, s.Years[0], s.Years[1], strings.Join(s.Topics, "、"))
}

// Options says which documents to load.
type Options struct {
	Builtin bool      // include the embedded compilation
	Dirs    []string  // users' folders of .md and .txt files
	Size    ChunkSize // zero means DefaultChunkSize
}

// Library is a loaded, chunked corpus. It is read-only after Load.
type Library struct {
	docs  []Document
	byID  map[string]int
	scope Scope
}

// Load reads the built-in documents and users' folders and chunks them.
// Malformed front matter is an error naming the file and line; an empty
// or unreadable file is skipped with a warning naming it.
func Load(opts Options, log *slog.Logger) (*Library, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Size == (ChunkSize{}) {
		opts.Size = DefaultChunkSize
	}
	lib := &Library{byID: map[string]int{}}
	sb, err := builtin.ReadFile("scope.yaml")
	if err != nil {
		return nil, fmt.Errorf("load corpus scope: %w", err)
	}
	if err := yaml.Unmarshal(sb, &lib.scope); err != nil {
		return nil, fmt.Errorf("load corpus scope: %w", err)
	}
	origin := map[string]string{}
	add := func(name string, d Document) error {
		if prev, ok := origin[d.ID]; ok {
			return fmt.Errorf("load corpus: %s: id %q already used by %s", name, d.ID, prev)
		}
		origin[d.ID] = name
		d.Chunks = Cut(&d, opts.Size)
		lib.byID[d.ID] = len(lib.docs)
		lib.docs = append(lib.docs, d)
		return nil
	}
	if opts.Builtin {
		// File names start with the document's place in the compilation,
		// so the sorted glob keeps its order.
		names, err := fs.Glob(builtin, "docs/*.md")
		if err != nil {
			return nil, fmt.Errorf("load built-in corpus: %w", err)
		}
		docs := make([]Document, 0, len(names))
		for _, n := range names {
			data, err := builtin.ReadFile(n)
			if err != nil {
				return nil, fmt.Errorf("load built-in corpus: %w", err)
			}
			d, err := Parse(n, data)
			if err != nil {
				return nil, fmt.Errorf("load built-in corpus: %w", err)
			}
			docs = append(docs, d)
		}
		for _, d := range docs {
			if err := add("built-in "+d.ID, d); err != nil {
				return nil, err
			}
		}
	}
	for _, dir := range opts.Dirs {
		if err := loadDir(dir, add, log); err != nil {
			return nil, err
		}
	}
	if len(lib.docs) == 0 {
		return nil, errors.New("load corpus: no documents (built-in corpus off and no folder given)")
	}
	return lib, nil
}

func loadDir(dir string, add func(string, Document) error, log *slog.Logger) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read corpus folder %s: %w", dir, err)
		}
		if e.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".md", ".txt":
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			log.Warn("skip unreadable corpus file", "file", p, "err", err)
			continue
		}
		d, err := Parse(p, data)
		if errors.Is(err, ErrEmpty) {
			log.Warn("skip empty corpus file", "file", p)
			continue
		}
		if err != nil {
			return fmt.Errorf("load corpus: %w", err)
		}
		if d.Source == "" {
			d.Source = p
		}
		if err := add(p, d); err != nil {
			return err
		}
	}
	return nil
}

// Documents returns all documents in corpus order.
func (l *Library) Documents() []Document { return l.docs }

// Document returns the document with the given id.
func (l *Library) Document(id string) (Document, bool) {
	i, ok := l.byID[id]
	if !ok {
		return Document{}, false
	}
	return l.docs[i], true
}

// Scope describes what the corpus covers.
func (l *Library) Scope() Scope { return l.scope }
