package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fullDisk fails writes like a full disk: each of the next fails writes
// stores only its first keep bytes and reports ENOSPC, or, when silent,
// reports the short count without an error.
type fullDisk struct {
	mu     sync.Mutex
	fails  int
	keep   int
	silent bool
}

func (d *fullDisk) fail(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fails = n
}

func (d *fullDisk) wrap(w io.WriteCloser) io.WriteCloser { return &fullDiskFile{d: d, w: w} }

type fullDiskFile struct {
	d *fullDisk
	w io.WriteCloser
}

func (f *fullDiskFile) Write(p []byte) (int, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if f.d.fails == 0 {
		return f.w.Write(p)
	}
	f.d.fails--
	n := min(f.d.keep, len(p))
	if n > 0 {
		if _, err := f.w.Write(p[:n]); err != nil {
			return 0, err
		}
	}
	if f.d.silent {
		return n, nil
	}
	return n, syscall.ENOSPC
}

func (f *fullDiskFile) Close() error { return f.w.Close() }

// logRecorder keeps every log record, for asserting what was logged.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

// skipped sums the lines readers logged as skipped.
func (h *logRecorder) skipped() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var n int64
	for _, r := range h.recs {
		if r.Message != "skipped unreadable journal lines" {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "lines" {
				n += a.Value.Int64()
			}
			return true
		})
	}
	return n
}

// startTestWriter opens a writer whose files pass through wrap.
func startTestWriter(t *testing.T, dir string, opts Options, log *slog.Logger, wrap func(io.WriteCloser) io.WriteCloser) *Files {
	t.Helper()
	j := newFiles(dir, opts, log)
	j.wrap = wrap
	if err := j.startWriting(); err != nil {
		t.Fatalf("open journal: %v", err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}

// fileLines reads every line of the record's files as it is on disk.
func fileLines(t *testing.T, dir string) (valid, invalid []string) {
	t.Helper()
	for _, name := range convListDir(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.Lines(string(b)) {
			l = strings.TrimSuffix(l, "\n")
			if l == "" {
				continue
			}
			if json.Valid([]byte(l)) {
				valid = append(valid, l)
			} else {
				invalid = append(invalid, l)
			}
		}
	}
	return valid, invalid
}

func questions(es []Entry) []string {
	var qs []string
	for _, e := range es {
		qs = append(qs, e.Question)
	}
	return qs
}

// TestJournalFullDisk: writes that fail part way, as on a full disk, lose
// their own record and nothing else: once space returns every record
// reads back whole, the torn lines are skipped and counted, and Healthy
// reports the failure until a write succeeds.
func TestJournalFullDisk(t *testing.T) {
	tests := []struct {
		name      string
		disk      *fullDisk
		fails     int
		wantTorn  int
		wantCause error
	}{
		{"nothing written", &fullDisk{keep: 0}, 3, 0, syscall.ENOSPC},
		{"torn line", &fullDisk{keep: 20}, 1, 1, syscall.ENOSPC},
		{"torn lines in a row", &fullDisk{keep: 20}, 3, 3, syscall.ENOSPC},
		{"one byte at a time", &fullDisk{keep: 1}, 2, 1, syscall.ENOSPC},
		{"short write without an error", &fullDisk{keep: 20, silent: true}, 2, 2, io.ErrShortWrite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			rec := &logRecorder{}
			disk := tt.disk
			j := startTestWriter(t, dir, Options{}, slog.New(rec), disk.wrap)
			ctx := t.Context()
			if _, err := j.Append(ctx, Entry{Question: "之前"}); err != nil {
				t.Fatalf("Append before: %v", err)
			}
			disk.fail(tt.fails)
			for i := range tt.fails {
				if _, err := j.Append(ctx, Entry{Question: fmt.Sprint("丢失", i), Answer: strings.Repeat("答", 50)}); err == nil {
					t.Fatalf("Append on a full disk: got nil error")
				}
				if err := j.Healthy(); !errors.Is(err, tt.wantCause) {
					t.Fatalf("Healthy on a full disk = %v, want %v", err, tt.wantCause)
				}
			}
			want := []string{"之前"}
			for i := range 3 {
				q := fmt.Sprint("之后", i)
				if _, err := j.Append(ctx, Entry{Question: q}); err != nil {
					t.Fatalf("Append after space returned: %v", err)
				}
				if err := j.Mark(ctx, "id", true, "好"); err != nil {
					t.Fatalf("Mark after space returned: %v", err)
				}
				want = append(want, q)
			}
			if err := j.Healthy(); err != nil {
				t.Errorf("Healthy after a write succeeded = %v, want nil", err)
			}
			es, err := j.Entries(ctx, time.Time{})
			if err != nil {
				t.Fatalf("Entries: %v", err)
			}
			if got := questions(es); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("entries: got %v, want %v", got, want)
			}
			marks, err := j.Marks(ctx, time.Time{})
			if err != nil || len(marks) != 3 {
				t.Errorf("Marks = %d marks (%v), want 3", len(marks), err)
			}
			valid, invalid := fileLines(t, dir)
			if len(valid) != len(want)+3 || len(invalid) != tt.wantTorn {
				t.Errorf("on disk: %d valid and %d torn lines, want %d and %d; torn: %q", len(valid), len(invalid), len(want)+3, tt.wantTorn, invalid)
			}
			for _, l := range invalid {
				if strings.Contains(l, "之") || strings.Contains(l, `"mark"`) {
					t.Errorf("a good record is glued onto a torn line: %q", l)
				}
			}
			// Entries and Marks each read the file once.
			if got := rec.skipped(); got != 2*int64(tt.wantTorn) {
				t.Errorf("logged %d skipped lines over two reads, want %d", got, 2*tt.wantTorn)
			}
		})
	}
}

// TestJournalTornTailOnOpen: a file a crash left without its final newline
// gets one before the next record, so that record is not glued onto the
// torn line.
func TestJournalTornTailOnOpen(t *testing.T) {
	good := `{"type":"qa","id":"a","question":"完好","time":"2020-01-01T00:00:00Z"}` + "\n"
	tests := []struct {
		name     string
		content  string
		want     []string
		wantTorn int64
	}{
		{"torn tail", good + `{"type":"qa","question":"断`, []string{"完好", "接上"}, 1},
		{"whole lines", good, []string{"完好", "接上"}, 0},
		{"only a torn line", `{"type":"qa","que`, []string{"接上"}, 1},
		{"empty file", "", []string{"接上"}, 0},
		{"blank lines", "\n\n" + good + "\n", []string{"完好", "接上"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, time.Now().Format(journalDay)+".jsonl")
			if err := os.WriteFile(name, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			rec := &logRecorder{}
			j := startTestWriter(t, dir, Options{}, slog.New(rec), nil)
			if _, err := j.Append(t.Context(), Entry{Question: "接上"}); err != nil {
				t.Fatalf("Append: %v", err)
			}
			es, err := j.Entries(t.Context(), time.Time{})
			if err != nil {
				t.Fatalf("Entries: %v", err)
			}
			if got := questions(es); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("entries: got %v, want %v", got, tt.want)
			}
			if got := rec.skipped(); got != tt.wantTorn {
				t.Errorf("logged %d skipped lines, want %d", got, tt.wantTorn)
			}
		})
	}
}

// FuzzJournalTornFile: whatever a crash left in today's file, a record
// appended after it reads back whole.
func FuzzJournalTornFile(f *testing.F) {
	f.Add([]byte(`{"type":"qa","question":"断`))
	f.Add([]byte(`{"type":"qa","id":"a","question":"完好"}` + "\n"))
	f.Add([]byte("\n\r\n{"))
	f.Add([]byte{})
	f.Add([]byte(`{"type":"mark","ref":"x"}`))
	f.Fuzz(func(t *testing.T, content []byte) {
		dir := t.TempDir()
		name := filepath.Join(dir, time.Now().Format(journalDay)+".jsonl")
		if err := os.WriteFile(name, content, 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := Open(dir, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		id, err := j.Append(t.Context(), Entry{Question: "接上"})
		if err != nil {
			t.Fatal(err)
		}
		es, err := j.Entries(t.Context(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 || es[len(es)-1].ID != id || es[len(es)-1].Question != "接上" {
			t.Fatalf("the appended record is not the last entry read back: %+v", es)
		}
	})
}

// TestJournalReadOnlyDir: a read-only directory opens for reading, and
// refuses a writer with an error that says so.
func TestJournalReadOnlyDir(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().AddDate(0, 0, -100).Format(journalDay) + ".jsonl"
	if err := os.WriteFile(filepath.Join(dir, old), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w := openTestJournal(t, dir, 0)
	for _, q := range []string{"一", "二"} {
		if _, err := w.Append(t.Context(), Entry{Question: q}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	before := convListDir(t, dir)
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	// Root writes anyway; the probe says whether chmod took effect.
	probe := filepath.Join(dir, "probe")
	readOnly := os.WriteFile(probe, nil, 0o600) != nil
	_ = os.Remove(probe)

	t.Run("reader", func(t *testing.T) {
		r, err := OpenReader(dir, nil)
		if err != nil {
			t.Fatalf("OpenReader: %v", err)
		}
		defer r.Close()
		es, err := r.Entries(t.Context(), time.Time{})
		if err != nil {
			t.Fatalf("Entries: %v", err)
		}
		if got := questions(es); fmt.Sprint(got) != "[一 二]" {
			t.Errorf("entries: got %v, want [一 二]", got)
		}
		if _, err := r.Append(t.Context(), Entry{Question: "三"}); err == nil {
			t.Error("Append on a reader: got nil error")
		}
		if err := r.Healthy(); err != nil {
			t.Errorf("Healthy on a reader = %v, want nil", err)
		}
		if got := convListDir(t, dir); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Errorf("files after reading: got %v, want %v", got, before)
		}
	})
	t.Run("writer", func(t *testing.T) {
		if !readOnly {
			t.Skip("chmod does not stop this user (root) writing")
		}
		_, err := Open(dir, time.Hour, nil)
		if !errors.Is(err, ErrNotWritable) || !strings.Contains(err.Error(), "not writable") {
			t.Errorf("Open on a read-only dir: got %v, want ErrNotWritable", err)
		}
	})
}

// TestJournalNotWritable: a writer refuses a directory it may not write
// with ErrNotWritable, and opens on a full disk to retry on every write.
func TestJournalNotWritable(t *testing.T) {
	tests := []struct {
		name    string
		errno   syscall.Errno
		wantErr bool
	}{
		{"permission denied", syscall.EACCES, true},
		{"read-only file system", syscall.EROFS, true},
		{"full disk", syscall.ENOSPC, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var mu sync.Mutex
			failing := true
			j := newFiles(dir, Options{}, nil)
			j.openFile = func(name string, flag int, perm fs.FileMode) (*os.File, error) {
				mu.Lock()
				defer mu.Unlock()
				if failing && flag&os.O_CREATE != 0 {
					return nil, &fs.PathError{Op: "open", Path: name, Err: tt.errno}
				}
				return os.OpenFile(name, flag, perm)
			}
			err := j.startWriting()
			if tt.wantErr {
				if !errors.Is(err, ErrNotWritable) || !errors.Is(err, tt.errno) || !strings.Contains(err.Error(), dir+" is not writable") {
					t.Errorf("got %v, want ErrNotWritable naming %s", err, dir)
				}
				return
			}
			if err != nil {
				t.Fatalf("open on a full disk: %v", err)
			}
			defer j.Close()
			if err := j.Healthy(); !errors.Is(err, tt.errno) {
				t.Errorf("Healthy = %v, want %v", err, tt.errno)
			}
			if _, err := j.Append(t.Context(), Entry{Question: "丢失"}); !errors.Is(err, tt.errno) {
				t.Errorf("Append = %v, want %v", err, tt.errno)
			}
			mu.Lock()
			failing = false
			mu.Unlock()
			if _, err := j.Append(t.Context(), Entry{Question: "记下"}); err != nil {
				t.Fatalf("Append once space returned: %v", err)
			}
			if err := j.Healthy(); err != nil {
				t.Errorf("Healthy = %v, want nil", err)
			}
			es, err := j.Entries(t.Context(), time.Time{})
			if err != nil || fmt.Sprint(questions(es)) != "[记下]" {
				t.Errorf("entries: got %v (%v), want [记下]", questions(es), err)
			}
		})
	}
}

// TestJournalReaderMissingDir: a reader of a record never written reads
// nothing and creates nothing.
func TestJournalReaderMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "qa")
	r, err := OpenReader(dir, nil)
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	defer r.Close()
	es, err := r.Entries(t.Context(), time.Time{})
	if err != nil || len(es) != 0 {
		t.Errorf("Entries = %v, %v, want none", es, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("reader created %s (stat: %v)", dir, err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReader(file, nil); err == nil {
		t.Errorf("OpenReader on a file: got nil error")
	}
}

// TestJournalSizeRotation: past MaxBytes a day goes on in numbered parts,
// read in order; a new writer continues in the last part.
func TestJournalSizeRotation(t *testing.T) {
	const maxBytes = 1000
	dir := t.TempDir()
	j := startTestWriter(t, dir, Options{MaxBytes: maxBytes}, nil, nil)
	day := time.Now().Format(journalDay)
	var want []string
	appendQ := func(j *Files, q string, answer int) {
		t.Helper()
		if _, err := j.Append(t.Context(), Entry{Question: q, Answer: strings.Repeat("答", answer)}); err != nil {
			t.Fatalf("Append: %v", err)
		}
		want = append(want, q)
	}
	for i := range 10 {
		appendQ(j, fmt.Sprint("问", i), 100) // about 450 bytes a line
	}
	appendQ(j, "很长", 1000) // over the cap: a part of its own
	appendQ(j, "之后", 10)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j2 := startTestWriter(t, dir, Options{MaxBytes: maxBytes}, nil, nil)
	appendQ(j2, "重开", 10)

	wantFiles := []string{partName(day, 0), partName(day, 1), partName(day, 2), partName(day, 3), partName(day, 4), partName(day, 5), partName(day, 6)}
	if got := convListDir(t, dir); fmt.Sprint(got) != fmt.Sprint(convSorted(wantFiles)) {
		t.Fatalf("files: got %v, want %v", got, convSorted(wantFiles))
	}
	for _, name := range wantFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > maxBytes && bytes.Count(b, []byte("\n")) > 1 {
			t.Errorf("%s: %d bytes in %d lines, over the cap of %d", name, len(b), bytes.Count(b, []byte("\n")), maxBytes)
		}
	}
	es, err := j2.Entries(t.Context(), time.Time{})
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	if got := questions(es); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("entries: got %v, want %v", got, want)
	}
}

func TestParseDayPart(t *testing.T) {
	tests := []struct {
		name   string
		wantOK bool
		wantN  int
	}{
		{"2026-01-02.jsonl", true, 0},
		{"2026-01-02.1.jsonl", true, 1},
		{"2026-01-02.12.jsonl", true, 12},
		{"2026-01-02.0.jsonl", false, 0},
		{"2026-01-02.01.jsonl", false, 0},
		{"2026-01-02.-1.jsonl", false, 0},
		{"2026-01-02.x.jsonl", false, 0},
		{"2026-01-021.jsonl", false, 0},
		{"2026-13-45.jsonl", false, 0},
		{"2026-01-02.json", false, 0},
		{"notes.txt", false, 0},
		{".jsonl", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := parseDayPart(tt.name)
			if ok != tt.wantOK || p.n != tt.wantN {
				t.Errorf("parseDayPart(%q) = part %d, %v; want %d, %v", tt.name, p.n, ok, tt.wantN, tt.wantOK)
			}
			if ok && partName(p.day, p.n) != tt.name {
				t.Errorf("partName(%q, %d) = %q, want %q", p.day, p.n, partName(p.day, p.n), tt.name)
			}
		})
	}
}

// TestReadLines: lines longer than the limit are skipped and counted,
// blank lines ignored, and the last line needs no newline.
func TestReadLines(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		limit    int
		want     []string
		wantLong int
	}{
		{"plain", "a\nbb\n", 10, []string{"a", "bb"}, 0},
		{"no final newline", "a\nbb", 10, []string{"a", "bb"}, 0},
		{"blank and CRLF", "\n a \r\n\r\n\nb\n", 10, []string{" a ", "b"}, 0},
		{"at the limit", "abcd\n", 4, []string{"abcd"}, 0},
		{"over the limit", "abcde\nok\n", 4, []string{"ok"}, 1},
		{"over the limit at the end", "ok\nabcdefgh", 4, []string{"ok"}, 1},
		{"over the buffer", strings.Repeat("x", 200<<10) + "\nok\n", 100 << 10, []string{"ok"}, 1},
		{"long within the limit", strings.Repeat("y", 150<<10) + "\n", 200 << 10, []string{strings.Repeat("y", 150<<10)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			long, err := readLines(strings.NewReader(tt.in), tt.limit, func(b []byte) { got = append(got, string(b)) })
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || long != tt.wantLong {
				t.Errorf("got %d lines %.40q and %d long, want %d lines %.40q and %d long", len(got), got, long, len(tt.want), tt.want, tt.wantLong)
			}
		})
	}
}

// TestJournalRefusesHugeRecords: a record no reader would take is refused
// and leaves the journal healthy.
func TestJournalRefusesHugeRecords(t *testing.T) {
	j := openTestJournal(t, t.TempDir(), 0)
	j.maxLine = 1000
	if _, err := j.Append(t.Context(), Entry{Answer: strings.Repeat("x", j.maxLine)}); err == nil {
		t.Error("Append of a record over the line limit: got nil error")
	}
	if err := j.Healthy(); err != nil {
		t.Errorf("Healthy = %v, want nil", err)
	}
	if _, err := j.Append(t.Context(), Entry{Question: "ok"}); err != nil {
		t.Errorf("Append after: %v", err)
	}
}
