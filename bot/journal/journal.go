// Package journal owns the Q&A record: every question and answer, with
// its delivery, and the staff's marks on them, as daily JSON-lines files.
package journal

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Entry is one question and its answer as kept in the record, for staff to
// review answer quality. Chat is a hash, not the transport's chat id, so the
// record does not point back at a WeChat account.
type Entry struct {
	ID        string     `json:"id"`
	Time      time.Time  `json:"time"`
	Channel   string     `json:"channel"` // "wechat", "web" or "cli"
	Chat      string     `json:"chat"`    // hashed chat id, see ChatHash
	Question  string     `json:"question"`
	History   []string   `json:"history,omitempty"`
	Answer    string     `json:"answer"`
	Found     bool       `json:"found"`
	Citations []Citation `json:"citations,omitempty"`
	LatencyMS int64      `json:"latency_ms"`
	Error     string     `json:"error,omitempty"`
}

// Citation is one clause an answer cited, as recorded: enough to find it
// in the corpus again, without its text, which the corpus holds.
type Citation struct {
	N       int    `json:"n"`
	DocID   string `json:"doc_id"`
	Title   string `json:"title"`
	DocNo   string `json:"doc_no"`
	Clause  string `json:"clause"`
	Issued  string `json:"issued"`
	Expired bool   `json:"expired"`
	ChunkID string `json:"chunk_id"`
}

// Mark is a reviewer's judgement of one Entry.
type Mark struct {
	Ref     string    `json:"ref"` // the Entry's ID
	Good    bool      `json:"good"`
	Comment string    `json:"comment,omitempty"`
	Time    time.Time `json:"time"`
}

// Files appends entries and marks as JSON lines to one file per local
// day, named 2006-01-02.jsonl, in its directory. A file per day makes
// retention a matter of deleting whole files, which happens on open and
// whenever the day changes. It is safe for concurrent use.
type Files struct {
	dir       string
	retention time.Duration
	log       *slog.Logger
	now       func() time.Time // replaced in tests to cross midnight

	mu     sync.Mutex
	day    string // of the open file
	file   *os.File
	closed bool
}

const journalDay = "2006-01-02"

// Open opens the record in dir, creating the directory if needed,
// and deletes day files older than retention. A retention of zero or less
// keeps everything.
func Open(dir string, retention time.Duration, log *slog.Logger) (*Files, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create journal dir %s: %w", dir, err)
	}
	j := &Files{dir: dir, retention: retention, log: log, now: time.Now}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.rotate(j.now()); err != nil {
		return nil, err
	}
	return j, nil
}

// Append writes e, filling ID with random hex and Time with the current
// time when they are empty, and returns its ID.
func (j *Files) Append(ctx context.Context, e Entry) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("append journal entry: %w", err)
	}
	if e.ID == "" {
		e.ID = newID()
	}
	if e.Time.IsZero() {
		e.Time = j.now()
	}
	rec := struct {
		Type string `json:"type"`
		Entry
	}{"qa", e}
	if err := j.write(rec); err != nil {
		return "", fmt.Errorf("append journal entry %s: %w", e.ID, err)
	}
	return e.ID, nil
}

// Mark records a reviewer's judgement of the entry with the given id.
// Later marks of the same entry supersede earlier ones.
func (j *Files) Mark(ctx context.Context, id string, good bool, comment string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mark journal entry %s: %w", id, err)
	}
	if id == "" {
		return errors.New("mark journal entry: empty id")
	}
	rec := struct {
		Type string `json:"type"`
		Mark
	}{"mark", Mark{Ref: id, Good: good, Comment: comment, Time: j.now()}}
	if err := j.write(rec); err != nil {
		return fmt.Errorf("mark journal entry %s: %w", id, err)
	}
	return nil
}

// Entries returns the entries written at or after since, oldest first.
func (j *Files) Entries(ctx context.Context, since time.Time) ([]Entry, error) {
	var out []Entry
	err := j.read(ctx, since, func(typ string, raw []byte) error {
		if typ != "qa" {
			return nil
		}
		var e Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return err
		}
		if !e.Time.Before(since) {
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read journal entries: %w", err)
	}
	return out, nil
}

// Marks returns the marks written at or after since, oldest first. Marks
// are always written after their entry, so Marks(since) covers every mark
// of Entries(since).
func (j *Files) Marks(ctx context.Context, since time.Time) ([]Mark, error) {
	var out []Mark
	err := j.read(ctx, since, func(typ string, raw []byte) error {
		if typ != "mark" {
			return nil
		}
		var m Mark
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		if !m.Time.Before(since) {
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read journal marks: %w", err)
	}
	return out, nil
}

// Close closes the current file. Later appends fail.
func (j *Files) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	if j.file == nil {
		return nil
	}
	if err := j.file.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", j.file.Name(), err)
	}
	return nil
}

// ChatHash is the Entry.Chat value for a transport's chat id: stable, so
// one conversation's entries can be grouped, but not the id itself.
func ChatHash(chatID string) string {
	sum := sha256.Sum256([]byte("policybot chat\x00" + chatID))
	return hex.EncodeToString(sum[:8])
}

// write appends v as one line, with a single write so that concurrent
// writers never interleave inside a line.
func (j *Files) write(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errors.New("journal is closed")
	}
	if err := j.rotate(j.now()); err != nil {
		return err
	}
	if _, err := j.file.Write(line); err != nil {
		return fmt.Errorf("write %s: %w", j.file.Name(), err)
	}
	return nil
}

// rotate makes the open file the one for now's day, pruning old days when
// it changes. j.mu must be held.
func (j *Files) rotate(now time.Time) error {
	day := now.Format(journalDay)
	if j.file != nil && day == j.day {
		return nil
	}
	if err := j.prune(now); err != nil {
		return err
	}
	name := filepath.Join(j.dir, day+".jsonl")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open journal file: %w", err)
	}
	if j.file != nil {
		if err := j.file.Close(); err != nil {
			_ = f.Close()
			return fmt.Errorf("close journal %s: %w", j.file.Name(), err)
		}
	}
	j.file, j.day = f, day
	return nil
}

// prune deletes day files older than the retention. Files that do not
// look like day files are left alone.
func (j *Files) prune(now time.Time) error {
	if j.retention <= 0 {
		return nil
	}
	days, err := j.days()
	if err != nil {
		return err
	}
	cutoff := now.Add(-j.retention)
	for _, d := range days {
		// A day file is old once its last moment is before the cutoff.
		if !d.t.AddDate(0, 0, 1).Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(j.dir, d.name)); err != nil {
			return fmt.Errorf("delete old journal file: %w", err)
		}
		j.log.Info("deleted old journal file", "file", d.name)
	}
	return nil
}

type dayFile struct {
	name string
	t    time.Time // local midnight starting the day
}

// days lists the day files in the directory, oldest first.
func (j *Files) days() ([]dayFile, error) {
	ents, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, fmt.Errorf("list journal dir %s: %w", j.dir, err)
	}
	var out []dayFile
	for _, e := range ents {
		name := e.Name()
		base, ok := strings.CutSuffix(name, ".jsonl")
		if !ok || e.IsDir() {
			continue
		}
		t, err := time.ParseInLocation(journalDay, base, time.Local)
		if err != nil {
			continue
		}
		out = append(out, dayFile{name: name, t: t})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].t.Before(out[b].t) })
	return out, nil
}

// read calls fn with the type and raw JSON of every line in the day files
// that may hold records from since on. A line that does not parse (a torn
// write after a crash) is skipped with a warning rather than hiding the
// rest of the day from reviewers.
func (j *Files) read(ctx context.Context, since time.Time, fn func(typ string, raw []byte) error) error {
	// Holding the lock keeps a half-written line out of view.
	j.mu.Lock()
	defer j.mu.Unlock()
	days, err := j.days()
	if err != nil {
		return err
	}
	// A record's file is named by when it was written, which can be a day
	// after its Time if it was written just after midnight.
	from := since.AddDate(0, 0, -1)
	for _, d := range days {
		if d.t.AddDate(0, 0, 1).Before(from) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := j.readFile(d.name, fn); err != nil {
			return err
		}
	}
	return nil
}

func (j *Files) readFile(name string, fn func(typ string, raw []byte) error) error {
	f, err := os.Open(filepath.Join(j.dir, name))
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	bad := 0
	for sc.Scan() {
		var head struct {
			Type string `json:"type"`
		}
		raw := sc.Bytes()
		if len(raw) == 0 {
			continue
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			bad++
			continue
		}
		if err := fn(head.Type, raw); err != nil {
			bad++
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if bad > 0 {
		j.log.Warn("skipped unreadable journal lines", "file", name, "lines", bad)
	}
	return nil
}

// newID returns 24 random hex digits, enough that ids never collide in a
// journal's lifetime.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
