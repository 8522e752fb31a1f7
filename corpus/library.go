package corpus

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed docs/*.md scope.yaml
var builtin embed.FS

// Scope describes what a corpus covers and whom its users are referred to.
// It is data shipped with a corpus (scope.yaml for the built-in one, or a
// user's file in the same shape), so nothing about one region, period or
// department is written in code. What is not given stays empty, except
// the years, which are read from the documents.
type Scope struct {
	Name     string   `yaml:"name"`
	Region   string   `yaml:"region"`
	Level    string   `yaml:"level"`
	Years    [2]int   `yaml:"years"`    // first and last year of issue; zero when unknown
	Compiled int      `yaml:"compiled"` // year the compilation was made; zero when not a compilation
	Topics   []string `yaml:"topics"`
	// Home holds the words by which a question names the corpus's own
	// region (its name, or words like 本市): such a question is never about
	// another region.
	Home []string `yaml:"home"`
	// Cities are the region's own cities and counties, whose local rules
	// the corpus does not hold.
	Cities []string `yaml:"cities"`
	// LocalPolicy holds phrases by which a question asks for a city's or
	// county's own rules (市里, 县里).
	LocalPolicy []string `yaml:"local_policy"`
	// OtherRegions are regions whose policies the corpus does not hold.
	OtherRegions []string `yaml:"other_regions"`
	// Partners maps a region to the word by which the corpus speaks of
	// it in a measure that reaches it: working with it (北京 → 京津), or,
	// from the gazetteer unless given here, as the mainland's documents
	// speak of Hong Kong, Macau and Taiwan (香港 → 境外).
	Partners map[string]string `yaml:"partners"`
	Contacts Contacts          `yaml:"contacts"`
	// Added names the regions of users' documents loaded beside a named
	// corpus (浙江省、杭州市), which its name does not cover.
	Added string `yaml:"-"`
}

// Contacts say whom to refer a user to when the corpus cannot settle a
// question or a policy may have changed.
type Contacts struct {
	// Domains names the office to ask about a domain (税务 → the tax
	// office and its hotline). A domain not listed goes to the department
	// whose interpretation in the corpus covers it, else the issuer.
	Domains map[string]string `yaml:"domains"`
	// Hotline is offered beside the offices named (当地政务服务热线).
	Hotline string `yaml:"hotline"`
	// Fallback is said when no office fits the question.
	Fallback string `yaml:"fallback"`
}

// Summary is the scope in one Chinese sentence for users.
func (s Scope) Summary() string {
	var b strings.Builder
	b.WriteString("我能查询的是")
	if s.Name != "" {
		fmt.Fprintf(&b, "《%s》", s.Name)
	} else {
		b.WriteString("已收录的政策文件")
	}
	if where := s.Region + s.Level; where != "" {
		b.WriteString("：")
		b.WriteString(where)
	}
	if s.Added != "" {
		fmt.Fprintf(&b, "，另收录%s政策", s.Added)
	}
	if s.Years[0] > 0 {
		b.WriteString("，")
		if s.Years[0] == s.Years[1] {
			fmt.Fprintf(&b, "发布于%d年", s.Years[0])
		} else {
			fmt.Fprintf(&b, "发布于%d—%d年", s.Years[0], s.Years[1])
		}
	}
	if len(s.Topics) > 0 {
		fmt.Fprintf(&b, "，涉及%s", strings.Join(s.Topics, "、"))
	}
	b.WriteString("。")
	return b.String()
}

// Options says which documents to load.
type Options struct {
	Builtin bool     // include the embedded compilation
	Dirs    []string // users' folders of .md and .txt files
	// ScopeFile is a YAML file in scope.yaml's shape describing the
	// corpus; empty means none. When given it replaces the scope Load
	// would make, except for years it leaves out, which are the
	// documents'. Without it the scope is the built-in corpus's, its years
	// widened to cover users' documents, or, with the built-in corpus
	// off, only the years of the documents.
	ScopeFile string
	Size      ChunkSize // zero means DefaultChunkSize
	// MaxFileBytes bounds one file of a folder; zero or more than 100 MB
	// means 100 MB. ReadTimeout bounds reading one; zero means a minute.
	MaxFileBytes int64
	ReadTimeout  time.Duration
}

// Library is a loaded, chunked corpus. It is read-only after Load.
type Library struct {
	docs    []Document
	byID    map[string]int
	scope   Scope
	restate restateIndex // built on first use
}

// Load reads the built-in documents and users' folders, chunks them and
// works out the scope they cover (see Options.ScopeFile). Malformed front
// matter or scope file is an error naming the file and line; an empty
// or unreadable file is skipped with a warning naming it.
func Load(opts Options, log *slog.Logger) (*Library, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Size == (ChunkSize{}) {
		opts.Size = DefaultChunkSize
	}
	lib := &Library{byID: map[string]int{}}
	if opts.Builtin {
		sb, err := builtin.ReadFile("scope.yaml")
		if err != nil {
			return nil, fmt.Errorf("load corpus scope: %w", err)
		}
		if err := yaml.Unmarshal(sb, &lib.scope); err != nil {
			return nil, fmt.Errorf("load corpus scope: %w", err)
		}
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
			// The built-in documents are a compilation's; a user's
			// documents loaded beside them are not.
			d.Compiled = lib.scope.Compiled
			docs = append(docs, d)
		}
		for _, d := range docs {
			if err := add("built-in "+d.ID, d); err != nil {
				return nil, err
			}
		}
	}
	builtinDocs := len(lib.docs)
	for _, dir := range opts.Dirs {
		if err := loadDir(dir, opts.limits(), add, log); err != nil {
			return nil, err
		}
	}
	if len(lib.docs) == 0 {
		return nil, errors.New("load corpus: no documents (built-in corpus off and no folder given)")
	}
	markRepeals(lib.docs)
	markNewer(lib.docs)
	for i := range lib.docs {
		lib.docs[i].sectionEnds = sectionEnds(lib.docs[i].Chunks)
	}
	switch {
	case opts.ScopeFile != "":
		sc, err := readScope(opts.ScopeFile)
		if err != nil {
			return nil, err
		}
		lib.scope = sc
	case !opts.Builtin:
		sc, err := deriveScope(lib.docs)
		if err != nil {
			return nil, err
		}
		lib.scope = sc
	case len(lib.docs) > builtinDocs:
		// Users' documents beside the built-in ones: the regions they hold
		// are the corpus's too.
		sc, err := widenScope(lib.scope, lib.docs[builtinDocs:])
		if err != nil {
			return nil, err
		}
		lib.scope = sc
	}
	sc, err := speakOf(lib.scope)
	if err != nil {
		return nil, err
	}
	lib.scope = sc
	// Years a user's scope file gives are kept: its author may know better
	// than the dates the documents print.
	if opts.ScopeFile == "" || lib.scope.Years[0] == 0 {
		lib.scope.Years = widen(lib.scope.Years, lib.docs)
	}
	return lib, nil
}

// readScope reads a user's scope file; an unknown key is an error, as in
// front matter, so a misspelt one is not silently ignored.
func readScope(path string) (Scope, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Scope{}, fmt.Errorf("load corpus scope: %w", err)
	}
	var sc Scope
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&sc); err != nil && !errors.Is(err, io.EOF) {
		return Scope{}, fmt.Errorf("load corpus scope: %s: %w", path, err)
	}
	return sc, nil
}

// widen widens the first and last years of issue to cover the documents'.
func widen(years [2]int, docs []Document) [2]int {
	for i := range docs {
		y := docs[i].Year()
		if y <= 0 {
			continue
		}
		if years[0] == 0 || y < years[0] {
			years[0] = y
		}
		if y > years[1] {
			years[1] = y
		}
	}
	return years
}

func loadDir(dir string, lim limits, add func(string, Document) error, log *slog.Logger) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return fmt.Errorf("read corpus folder %s: %w", dir, err)
			}
			log.Warn("skip unreadable corpus entry", "file", p, "err", err)
			return nil
		}
		if e.IsDir() {
			if p != dir && strings.HasPrefix(e.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(e.Name(), ".") {
			// Hidden files: editors' swap files, an add in progress.
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, p := range files {
		docs, err := readFile(p, lim)
		if err != nil {
			// One bad document never stops the others from loading.
			log.Warn("skip corpus file", "file", p, "err", err)
			continue
		}
		if len(docs) > 1 {
			log.Info("corpus file is a compilation", "file", p, "documents", len(docs))
		}
		for _, d := range docs {
			if d.Source == "" {
				d.Source = p
			}
			d.File = p
			if err := add(p, d); err != nil {
				log.Warn("skip corpus file", "file", p, "id", d.ID, "err", err)
			}
		}
	}
	return nil
}

// readTimeout bounds reading one document, whatever its format, by
// default: a PDF that sends the reader into a loop must not hold up the
// rest.
const readTimeout = time.Minute

// limits bound reading one file of a folder.
type limits struct {
	bytes   int64
	timeout time.Duration
}

// limits are the Options' bounds, or the defaults.
func (o Options) limits() limits {
	l := limits{bytes: maxFileBytes, timeout: readTimeout}
	if o.MaxFileBytes > 0 {
		l.bytes = min(o.MaxFileBytes, maxFileBytes)
	}
	if o.ReadTimeout > 0 {
		l.timeout = o.ReadTimeout
	}
	return l
}

// readFile reads one document file, or the documents of a compilation.
// Only regular files are read, at most maxFileBytes of them: a link to a
// device or a FIFO is refused rather than read for ever.
func readFile(path string, lim limits) ([]Document, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file (%s)", ErrUnsupported, info.Mode().Type())
	}
	if info.Size() > lim.bytes {
		return nil, fmt.Errorf("%w: the file is %d bytes; files over %d bytes are not read", ErrUnsupported, info.Size(), lim.bytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, lim.bytes+1))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), lim.timeout)
	defer cancel()
	return readDocument(ctx, path, data)
}

// readDocument reads a document of any supported format and its
// metadata, or the documents of a compilation.
func readDocument(ctx context.Context, name string, data []byte) ([]Document, error) {
	text, err := readText(ctx, name, data)
	if err != nil {
		return nil, err
	}
	return parseFile(name, []byte(text))
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
