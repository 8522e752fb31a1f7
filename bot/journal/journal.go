// Package journal owns the Q&A record: every question and answer, with
// its delivery, and the staff's marks on them, as daily JSON-lines files.
package journal

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	// Corpus names the version of the corpus that answered.
	Corpus string `json:"corpus_version,omitempty"`
	Error  string `json:"error,omitempty"`
	// Delivered says the reply reached the user: the channel took every
	// message of it (the answer, or the apology when answering failed).
	// For a draft asked through the console it says the answer was
	// returned. It is written after sending, so it tells what happened;
	// entries from before the field existed read as false.
	Delivered bool `json:"delivered"`
	// DeliveryError says why the reply did not reach the user, when
	// Delivered is false.
	DeliveryError string `json:"delivery_error,omitempty"`
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

// Options configures a journal opened with OpenWith. The zero value is a
// writer that keeps everything, with day files of DefaultMaxBytes.
type Options struct {
	// Retention is how long day files are kept; zero or less keeps
	// everything. Only a writer deletes old files, and only when it
	// writes, so opening the record to read it never deletes anything.
	Retention time.Duration
	// MaxBytes caps a day file: a record that would take the file past
	// it goes to the day's next part, 2006-01-02.1.jsonl, then
	// 2006-01-02.2.jsonl and so on (a record larger than the cap gets a
	// part of its own). Zero means DefaultMaxBytes; negative, no cap.
	MaxBytes int64
	// ReadOnly opens the record for reading only: nothing is created,
	// deleted or written, and the directory may be read-only, or missing,
	// which reads as an empty record. Append and Mark fail.
	ReadOnly bool
}

// DefaultMaxBytes is the size of a day file's part when Options.MaxBytes
// is zero.
const DefaultMaxBytes = 64 << 20

// maxLine is the longest line readers take, 16 MiB.
const maxLine = 16 << 20

// ErrNotWritable is matched (with errors.Is) by the error of opening a
// writer on a directory that cannot be written: a read-only directory or
// file system, or one owned by someone else.
var ErrNotWritable = errors.New("journal directory is not writable")

// Files appends entries and marks as JSON lines to one file per local
// day, named 2006-01-02.jsonl, in its directory; past Options.MaxBytes a
// day goes on in 2006-01-02.1.jsonl, 2006-01-02.2.jsonl and so on. A file
// per day makes retention a matter of deleting whole files, which the
// writer does on its first write of each day.
//
// Every record is one line written with one write. A write that fails
// part way (a full disk) leaves a torn line; the next record starts on a
// new line, so the torn line is skipped by readers and nothing valid is
// glued onto it. Healthy reports whether the last write failed.
//
// It is safe for concurrent use.
type Files struct {
	dir  string
	opts Options
	log  *slog.Logger
	now  func() time.Time // replaced in tests to cross midnight
	// openFile opens files for writing, and wrap, when not nil, stands
	// between the journal and each file it writes: tests replace them to
	// fail like a read-only directory or a full disk.
	openFile func(name string, flag int, perm fs.FileMode) (*os.File, error)
	wrap     func(w io.WriteCloser) io.WriteCloser
	// maxLine is the longest line readers take; the writer refuses
	// longer records rather than write what no reader would return.
	maxLine int

	mu      sync.Mutex
	day     string // of the open file
	part    int    // of the open file: 0 for 2006-01-02.jsonl, n for 2006-01-02.n.jsonl
	path    string // of the open file
	file    io.WriteCloser
	size    int64  // of the open file
	torn    bool   // the open file does not end in a newline
	pruned  string // the day retention was last applied
	lastErr error  // of the last write; nil when it succeeded
	closed  bool
}

const journalDay = "2006-01-02"

// Open opens the record in dir for writing, creating the directory if
// needed; day files older than retention are deleted as the writer
// writes (a retention of zero or less keeps everything). It is
// OpenWith(dir, Options{Retention: retention}, log).
func Open(dir string, retention time.Duration, log *slog.Logger) (*Files, error) {
	return OpenWith(dir, Options{Retention: retention}, log)
}

// OpenReader opens the record in dir for reading only: it never creates,
// deletes or writes anything and works on a read-only directory. It is
// OpenWith(dir, Options{ReadOnly: true}, log).
func OpenReader(dir string, log *slog.Logger) (*Files, error) {
	return OpenWith(dir, Options{ReadOnly: true}, log)
}

// OpenWith opens the record in dir as opts say. A writer on a directory
// that cannot be written fails with an error matching ErrNotWritable; one
// that can be written but not now (a full disk) opens, reports the
// failure through Healthy, and retries on every write.
func OpenWith(dir string, opts Options, log *slog.Logger) (*Files, error) {
	j := newFiles(dir, opts, log)
	if opts.ReadOnly {
		if err := j.checkReadable(); err != nil {
			return nil, err
		}
		return j, nil
	}
	if err := j.startWriting(); err != nil {
		return nil, err
	}
	return j, nil
}

func newFiles(dir string, opts Options, log *slog.Logger) *Files {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	return &Files{dir: dir, opts: opts, log: log, now: time.Now, openFile: os.OpenFile, maxLine: maxLine}
}

// checkReadable fails when dir exists but is no directory; a missing
// directory is an empty record.
func (j *Files) checkReadable() error {
	fi, err := os.Stat(j.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("open journal %s for reading: %w", j.dir, err)
	case !fi.IsDir():
		return fmt.Errorf("open journal %s for reading: not a directory", j.dir)
	}
	return nil
}

// startWriting creates the directory, proves it writable and opens the
// current day file.
func (j *Files) startWriting() error {
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		return fmt.Errorf("create journal dir: %w", notWritable(j.dir, err))
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	// The day file may exist and be writable in a directory that is not
	// (a new day's file could not be created), so the directory itself
	// is tried.
	if err := j.probe(); err != nil {
		if nw := notWritable(j.dir, err); errors.Is(nw, ErrNotWritable) {
			return fmt.Errorf("open journal for writing: %w", nw)
		}
		// Anything else, a full disk say, may pass: writes retry.
		j.lastErr = err
		j.log.Warn("journal cannot write for now; will retry on every record", "dir", j.dir, "err", err)
		return nil
	}
	if err := j.openCurrent(j.now().Format(journalDay)); err != nil {
		if nw := notWritable(j.dir, err); errors.Is(nw, ErrNotWritable) {
			return fmt.Errorf("open journal for writing: %w", nw)
		}
		j.lastErr = err
		j.log.Warn("journal cannot write for now; will retry on every record", "dir", j.dir, "err", err)
	}
	return nil
}

// probe creates and deletes a file in the directory.
func (j *Files) probe() error {
	name := filepath.Join(j.dir, ".probe-"+newID())
	f, err := j.openFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_ = f.Close()
	return os.Remove(name)
}

// notWritableError says a writer's directory cannot be written.
type notWritableError struct {
	dir string
	err error
}

func (e *notWritableError) Error() string {
	return fmt.Sprintf("journal directory %s is not writable: %v", e.dir, e.err)
}
func (e *notWritableError) Unwrap() error        { return e.err }
func (e *notWritableError) Is(target error) bool { return target == ErrNotWritable }

// notWritable wraps err in a notWritableError when it is a permission
// error or a read-only file system, and returns it as it is otherwise.
func notWritable(dir string, err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return &notWritableError{dir: dir, err: err}
	}
	return err
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

// Undelivered records that the answer of the entry with the given id did
// not reach its user after all, for channels that deliver after the
// entry was written (an Official Account's reply held for the user's next
// message). Entries reads it onto the entry.
func (j *Files) Undelivered(ctx context.Context, id string, cause error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("record undelivered entry %s: %w", id, err)
	}
	if id == "" {
		return errors.New("record undelivered entry: empty id")
	}
	rec := struct {
		Type  string    `json:"type"`
		Ref   string    `json:"ref"`
		Error string    `json:"error"`
		Time  time.Time `json:"time"`
	}{"undelivered", id, cause.Error(), j.now()}
	if err := j.write(rec); err != nil {
		return fmt.Errorf("record undelivered entry %s: %w", id, err)
	}
	return nil
}

// NewID returns an id for an entry, for a channel that must name the
// entry before it is written.
func NewID() string { return newID() }

// Healthy reports why the last write failed, or nil when it succeeded
// (or nothing was written yet, or the journal only reads). The next
// successful write clears it.
func (j *Files) Healthy() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.lastErr != nil {
		return fmt.Errorf("journal write failed: %w", j.lastErr)
	}
	return nil
}

// Entries returns the entries written at or after since, oldest first.
func (j *Files) Entries(ctx context.Context, since time.Time) ([]Entry, error) {
	var out []Entry
	at := map[string]int{}
	err := j.read(ctx, since, func(typ string, raw []byte) error {
		switch typ {
		case "qa":
			var e Entry
			if err := json.Unmarshal(raw, &e); err != nil {
				return err
			}
			if !e.Time.Before(since) {
				at[e.ID] = len(out)
				out = append(out, e)
			}
		case "undelivered":
			var u struct {
				Ref, Error string
			}
			if err := json.Unmarshal(raw, &u); err != nil {
				return err
			}
			if i, ok := at[u.Ref]; ok {
				out[i].Delivered, out[i].DeliveryError = false, u.Error
			}
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
		return fmt.Errorf("close journal %s: %w", j.path, err)
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
// writers never interleave inside a line, and keeps the outcome for
// Healthy.
func (j *Files) write(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if len(line) >= j.maxLine {
		return fmt.Errorf("encode: record of %d bytes is over the %d-byte limit", len(line), j.maxLine)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errors.New("journal is closed")
	}
	if j.opts.ReadOnly {
		return errors.New("journal is open for reading only")
	}
	err = j.writeLine(line)
	switch {
	case err != nil && j.lastErr == nil:
		j.log.Warn("journal write failed; records are lost until writes succeed again", "err", err)
	case err == nil && j.lastErr != nil:
		j.log.Info("journal writes succeed again")
	}
	j.lastErr = err
	return err
}

// writeLine writes one whole line to the current file, first ending a
// torn line the file may end in. After a failed write the file is closed,
// so the next write reopens it and finds out from the file itself whether
// the failure left a torn line. j.mu must be held.
func (j *Files) writeLine(line []byte) error {
	if err := j.rotate(j.now(), int64(len(line))+1); err != nil {
		return err
	}
	buf := line
	if j.torn {
		buf = append([]byte{'\n'}, line...)
	}
	n, err := j.file.Write(buf)
	j.size += int64(max(n, 0))
	if err == nil && n != len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		_ = j.file.Close()
		j.file = nil
		return fmt.Errorf("write %s: %w", j.path, err)
	}
	j.torn = false
	return nil
}

// rotate makes the open file the one for now's day with room for need
// more bytes, deleting old days on the first write of a day. j.mu must be
// held.
func (j *Files) rotate(now time.Time, need int64) error {
	day := now.Format(journalDay)
	if j.opts.Retention > 0 && j.pruned != day {
		j.pruned = day
		// A failed deletion must not cost the record.
		if err := j.prune(now); err != nil {
			j.log.Warn("delete old journal files", "err", err)
		}
	}
	if j.file == nil || day != j.day {
		if err := j.openCurrent(day); err != nil {
			return err
		}
	}
	for j.opts.MaxBytes > 0 && j.size > 0 && j.size+need > j.opts.MaxBytes {
		if err := j.openPart(day, j.part+1); err != nil {
			return err
		}
	}
	return nil
}

// openCurrent opens the day's last part. j.mu must be held.
func (j *Files) openCurrent(day string) error {
	parts, err := j.parts()
	if err != nil {
		return err
	}
	last := 0
	for _, p := range parts {
		if p.day == day {
			last = max(last, p.n)
		}
	}
	return j.openPart(day, last)
}

// openPart opens a part of a day for appending, closing the file open
// before, and notes whether it ends in a torn line. j.mu must be held.
func (j *Files) openPart(day string, n int) error {
	name := partName(day, n)
	path := filepath.Join(j.dir, name)
	f, err := j.openFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open journal file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("open journal file: %w", err)
	}
	torn := false
	if size := fi.Size(); size > 0 {
		var last [1]byte
		_, err := f.ReadAt(last[:], size-1)
		// Unsure is torn: an empty line costs nothing.
		torn = err != nil || last[0] != '\n'
	}
	if torn {
		j.log.Warn("journal file ends in a torn line; the next record starts a new line", "file", name)
	}
	if j.file != nil {
		if err := j.file.Close(); err != nil {
			j.log.Warn("close journal file", "file", filepath.Base(j.path), "err", err)
		}
	}
	var w io.WriteCloser = f
	if j.wrap != nil {
		w = j.wrap(f)
	}
	j.file, j.path, j.day, j.part, j.size, j.torn = w, path, day, n, fi.Size(), torn
	return nil
}

// partName names a day's part: 2006-01-02.jsonl, then 2006-01-02.1.jsonl.
func partName(day string, n int) string {
	if n == 0 {
		return day + ".jsonl"
	}
	return day + "." + strconv.Itoa(n) + ".jsonl"
}

// prune deletes the day files, every part, older than the retention.
// Files that do not look like day files are left alone.
func (j *Files) prune(now time.Time) error {
	parts, err := j.parts()
	if err != nil {
		return err
	}
	cutoff := now.Add(-j.opts.Retention)
	for _, p := range parts {
		// A day file is old once its last moment is before the cutoff.
		if !p.t.AddDate(0, 0, 1).Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(j.dir, p.name)); err != nil {
			return fmt.Errorf("delete old journal file: %w", err)
		}
		j.log.Info("deleted old journal file", "file", p.name)
	}
	return nil
}

// dayPart is one file of the record.
type dayPart struct {
	name string
	day  string
	t    time.Time // local midnight starting the day
	n    int       // the part: 0 for 2006-01-02.jsonl
}

// parseDayPart reads a file name as a day's part.
func parseDayPart(name string) (dayPart, bool) {
	base, ok := strings.CutSuffix(name, ".jsonl")
	if !ok || len(base) < len(journalDay) {
		return dayPart{}, false
	}
	day, rest := base[:len(journalDay)], base[len(journalDay):]
	t, err := time.ParseInLocation(journalDay, day, time.Local)
	if err != nil || t.Format(journalDay) != day {
		return dayPart{}, false
	}
	n := 0
	if rest != "" {
		digits, ok := strings.CutPrefix(rest, ".")
		if !ok {
			return dayPart{}, false
		}
		n, err = strconv.Atoi(digits)
		if err != nil || n < 1 || strconv.Itoa(n) != digits {
			return dayPart{}, false
		}
	}
	return dayPart{name: name, day: day, t: t, n: n}, true
}

// parts lists the record's files, oldest first and each day's parts in
// order.
func (j *Files) parts() ([]dayPart, error) {
	ents, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, fmt.Errorf("list journal dir %s: %w", j.dir, err)
	}
	var out []dayPart
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		if p, ok := parseDayPart(e.Name()); ok {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].t.Equal(out[b].t) {
			return out[a].t.Before(out[b].t)
		}
		return out[a].n < out[b].n
	})
	return out, nil
}

// read calls fn with the type and raw JSON of every line in the day files
// that may hold records from since on. A line that does not parse (torn
// by a crash or a full disk) is skipped, and counted in a warning, rather
// than hiding the rest of the day from reviewers.
func (j *Files) read(ctx context.Context, since time.Time, fn func(typ string, raw []byte) error) error {
	// Holding the lock keeps a half-written line out of view.
	j.mu.Lock()
	defer j.mu.Unlock()
	parts, err := j.parts()
	if errors.Is(err, fs.ErrNotExist) {
		return nil // nothing recorded yet
	}
	if err != nil {
		return err
	}
	// A record's file is named by when it was written, which can be a day
	// after its Time if it was written just after midnight.
	from := since.AddDate(0, 0, -1)
	for _, p := range parts {
		if p.t.AddDate(0, 0, 1).Before(from) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := j.readFile(p.name, fn); err != nil {
			return err
		}
	}
	return nil
}

func (j *Files) readFile(name string, fn func(typ string, raw []byte) error) error {
	f, err := os.Open(filepath.Join(j.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // deleted by a writer since listed
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	bad := 0
	long, err := readLines(f, j.maxLine, func(raw []byte) {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			bad++
			return
		}
		if err := fn(head.Type, raw); err != nil {
			bad++
		}
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if bad += long; bad > 0 {
		j.log.Warn("skipped unreadable journal lines", "file", name, "lines", bad)
	}
	return nil
}

// readLines calls fn with each non-blank line of r, without its newline,
// and returns how many lines it skipped for being longer than limit.
func readLines(r io.Reader, limit int, fn func([]byte)) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	long, skipping := 0, false
	for {
		chunk, err := br.ReadSlice('\n')
		if !skipping {
			if len(line)+len(chunk) > limit+1 {
				skipping, line = true, line[:0]
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return long, err
		}
		if skipping {
			long++
		} else if l := bytes.TrimRight(line, "\r\n"); len(bytes.TrimSpace(l)) > 0 {
			fn(l)
		}
		line, skipping = line[:0], false
		if err != nil {
			return long, nil
		}
	}
}

// newID returns 24 random hex digits, enough that ids never collide in a
// journal's lifetime.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
