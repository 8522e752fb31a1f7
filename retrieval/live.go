package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/policybot/policybot/corpus"
)

// Live is the index of a corpus that changes while the bot runs: a
// document added, replaced or removed is answered from without a
// restart. Each search sees one whole version of the corpus; Reload
// builds the next version beside the current one — re-embedding only
// the clauses that changed, since embeddings are kept by their text — and
// then swaps it in, so no question waits or is lost while it is built.
// It is safe for concurrent use.
type Live struct {
	load func() (*corpus.Library, error)
	opts Options

	reload sync.Mutex // one build at a time
	cur    atomic.Pointer[version]
}

// version is one loaded corpus and its index.
type version struct {
	lib *corpus.Library
	ix  *Index
}

// NewLive loads the corpus with load and indexes it.
func NewLive(ctx context.Context, load func() (*corpus.Library, error), opts Options) (*Live, error) {
	l := &Live{load: load, opts: opts}
	if _, err := l.Reload(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// Reload loads the corpus again and, when it differs from the current
// version, indexes it and swaps it in. It reports whether the version
// changed. On failure the current version stays.
func (l *Live) Reload(ctx context.Context) (bool, error) {
	l.reload.Lock()
	defer l.reload.Unlock()
	lib, err := l.load()
	if err != nil {
		return false, err
	}
	id := Version(lib)
	if cur := l.cur.Load(); cur != nil && cur.ix.version == id {
		return false, nil
	}
	ix, err := build(ctx, lib, id, l.opts)
	if err != nil {
		return false, err
	}
	l.cur.Store(&version{lib: lib, ix: ix})
	if l.opts.Log != nil {
		l.opts.Log.Info("corpus loaded", "version", id, "documents", len(lib.Documents()))
	}
	return true, nil
}

// Add puts a document, a file called name, among the added documents,
// replacing one of the same name, and loads the corpus with it. A file
// that does not read as a document is refused and nothing changes. It
// returns the document as read, or a compilation's documents.
func (l *Live) Add(ctx context.Context, name string, data []byte) ([]corpus.Document, error) {
	if l.opts.Added == "" {
		return nil, errors.New("add document: no folder for added documents")
	}
	docs, err := corpus.Add(l.opts.Added, name, data)
	if err != nil {
		return nil, err
	}
	if _, err := l.Reload(ctx); err != nil {
		return nil, fmt.Errorf("add document %s: %w", name, err)
	}
	return docs, nil
}

// Remove takes an added document out of the corpus.
func (l *Live) Remove(ctx context.Context, id string) error {
	if l.opts.Added == "" {
		return fmt.Errorf("remove document %s: %w", id, corpus.ErrNotAdded)
	}
	if _, err := corpus.Remove(l.Library(), l.opts.Added, id); err != nil {
		return err
	}
	if _, err := l.Reload(ctx); err != nil {
		return fmt.Errorf("remove document %s: %w", id, err)
	}
	return nil
}

// Watch reloads every interval while ctx lasts when a file under the
// folders changes, appears or goes. A failed reload is logged and the
// current version kept.
func (l *Live) Watch(ctx context.Context, dirs []string, every time.Duration) {
	// The first tick always reloads: a change may have come between the
	// last load and the start of the watch. Reload is cheap when nothing
	// changed.
	last := ""
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := stamp(dirs)
		if now == last {
			continue
		}
		last = now
		if _, err := l.Reload(ctx); err != nil && l.opts.Log != nil {
			l.opts.Log.Error("reload the corpus after a change", "err", err)
		}
	}
}

// stamp sums up the names, sizes and times of the files under dirs, so
// that a change shows as a different stamp.
func stamp(dirs []string) string {
	h := sha256.New()
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return nil
			}
			if info, err := e.Info(); err == nil {
				fmt.Fprintf(h, "%s\x00%d\x00%d\n", p, info.Size(), info.ModTime().UnixNano())
			}
			return nil
		})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Version names a corpus by what it holds: the same documents with the
// same text give the same name, whatever order they were loaded in.
func Version(lib *corpus.Library) string {
	var lines []string
	for _, d := range lib.Documents() {
		sum := sha256.Sum256([]byte(d.Title + "\x00" + d.DocNo + "\x00" + d.Body))
		lines = append(lines, d.ID+"\x00"+hex.EncodeToString(sum[:]))
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l+"\n")
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Version names the current corpus (see the function Version).
func (l *Live) Version() string { return l.cur.Load().ix.version }

// Search searches the current version.
func (l *Live) Search(ctx context.Context, q Query) (Result, error) {
	return l.cur.Load().ix.Search(ctx, q)
}

// Library is the current version's corpus.
func (l *Live) Library() *corpus.Library { return l.cur.Load().lib }

// Documents, Document, Scope and ClauseValidity read the current
// version's corpus, so that Live serves as the library too.
func (l *Live) Documents() []corpus.Document { return l.Library().Documents() }

func (l *Live) Document(id string) (corpus.Document, bool) { return l.Library().Document(id) }

func (l *Live) Scope() corpus.Scope { return l.Library().Scope() }

func (l *Live) ClauseValidity(c corpus.Chunk, now time.Time) []corpus.Validity {
	return l.Library().ClauseValidity(c, now)
}
