package journal

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTestJournal(t *testing.T, dir string, retention time.Duration) *Files {
	t.Helper()
	j, err := Open(dir, retention, nil)
	if err != nil {
		t.Fatalf("OpenJournal: %v", err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}

var testCitations = []Citation{
	{N: 1, DocID: "d1", Title: "关于支持企业发展的若干措施", DocNo: "某政发〔2018〕1号", Clause: "第三条", ChunkID: "d1-a"},
	{N: 2, DocID: "d2", Title: "关于稳定就业的通知", DocNo: "某政办〔2018〕2号", Clause: "第五条", Expired: true},
}

func TestJournalRoundTrip(t *testing.T) {
	j := openTestJournal(t, t.TempDir(), 0)
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	in := []Entry{
		{ID: "fixed", Time: at, Channel: "web", Chat: ChatHash("alice"), Question: "补贴怎么申请", History: []string{"一"},
			Answer: "答", Found: true, Citations: testCitations, LatencyMS: 1234},
		{Channel: "cli", Chat: ChatHash("bob"), Question: "天气", Error: "answer question: boom"},
	}
	for _, e := range in {
		if _, err := j.Append(t.Context(), e); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	got, err := j.Entries(t.Context(), time.Time{})
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	if len(got) != len(in) {
		t.Fatalf("got %d entries, want %d", len(got), len(in))
	}
	if got[1].ID == "" || len(got[1].ID) != 24 {
		t.Errorf("filled ID = %q, want 24 hex digits", got[1].ID)
	}
	if got[1].Time.IsZero() {
		t.Errorf("filled Time is zero, want the append time")
	}
	want0 := in[0]
	if g, w := fmt.Sprintf("%+v", got[0]), fmt.Sprintf("%+v", want0); g != w {
		t.Errorf("entry 0:\ngot  %s\nwant %s", g, w)
	}
	if got[1].Question != "天气" || got[1].Error != in[1].Error || got[1].Found {
		t.Errorf("entry 1: got %+v, want question 天气, error %q, not found", got[1], in[1].Error)
	}
	since, err := j.Entries(t.Context(), at.Add(time.Second))
	if err != nil {
		t.Fatalf("Entries since: %v", err)
	}
	if len(since) != 1 || since[0].ID != got[1].ID {
		t.Errorf("entries since %v: got %+v, want only the second", at.Add(time.Second), since)
	}
}

func TestJournalMark(t *testing.T) {
	j := openTestJournal(t, t.TempDir(), 0)
	tests := []struct {
		name    string
		id      string
		good    bool
		comment string
		wantErr bool
	}{
		{"good", "abc", true, "", false},
		{"bad with comment", "abc", false, "条款引用错了", false},
		{"empty id", "", true, "", true},
	}
	var want []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := j.Mark(t.Context(), tt.id, tt.good, tt.comment)
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("Mark error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				want = append(want, fmt.Sprintf("%s %v %s", tt.id, tt.good, tt.comment))
			}
		})
	}
	marks, err := j.Marks(t.Context(), time.Time{})
	if err != nil {
		t.Fatalf("Marks: %v", err)
	}
	var got []string
	for _, m := range marks {
		if m.Time.IsZero() {
			t.Errorf("mark %s has no time", m.Ref)
		}
		got = append(got, fmt.Sprintf("%s %v %s", m.Ref, m.Good, m.Comment))
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// Marks are not entries.
	if es, err := j.Entries(t.Context(), time.Time{}); err != nil || len(es) != 0 {
		t.Errorf("Entries = %v, %v, want none", es, err)
	}
}

// TestJournalRetention: only a writer deletes old day files, every part
// of them, and only when it writes; opening, and reading, delete nothing.
func TestJournalRetention(t *testing.T) {
	now := time.Now()
	day := func(d int) string { return now.AddDate(0, 0, d).Format(journalDay) + ".jsonl" }
	part := func(d, n int) string { return partName(now.AddDate(0, 0, d).Format(journalDay), n) }
	files := []string{day(-100), part(-100, 1), day(-31), day(-29), part(-29, 1), day(-1), "notes.txt", "2026-13-45.jsonl"}
	tests := []struct {
		name     string
		open     func(t *testing.T, dir string) *Files
		write    bool
		wantKept []string
	}{
		{"writer deletes old days when it writes",
			func(t *testing.T, dir string) *Files { return openTestJournal(t, dir, 30*24*time.Hour) }, true,
			[]string{day(-29), part(-29, 1), day(-1), day(0), "notes.txt", "2026-13-45.jsonl"}},
		{"writer that has not written deletes nothing",
			func(t *testing.T, dir string) *Files { return openTestJournal(t, dir, 30*24*time.Hour) }, false,
			append(slices.Clone(files), day(0))},
		{"zero retention keeps all",
			func(t *testing.T, dir string) *Files { return openTestJournal(t, dir, 0) }, true,
			append(slices.Clone(files), day(0))},
		{"reader deletes and creates nothing",
			func(t *testing.T, dir string) *Files {
				j, err := OpenWith(dir, Options{ReadOnly: true, Retention: time.Hour}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return j
			}, false,
			files},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range files {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			j := tt.open(t, dir)
			if _, err := j.Entries(t.Context(), time.Time{}); err != nil {
				t.Fatalf("Entries: %v", err)
			}
			if tt.write {
				if _, err := j.Append(t.Context(), Entry{Question: "q"}); err != nil {
					t.Fatalf("Append: %v", err)
				}
			}
			if got, want := convListDir(t, dir), convSorted(tt.wantKept); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("files: got %v, want %v", got, want)
			}
		})
	}
}

func TestJournalRotation(t *testing.T) {
	dir := t.TempDir()
	j := openTestJournal(t, dir, 48*time.Hour)
	start := time.Now()
	var mu sync.Mutex
	now := start
	j.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	if _, err := j.Append(t.Context(), Entry{Question: "第一天"}); err != nil {
		t.Fatalf("Append: %v", err)
	}
	for _, d := range []int{1, 2, 3} {
		mu.Lock()
		now = start.AddDate(0, 0, d)
		mu.Unlock()
		if _, err := j.Append(t.Context(), Entry{Question: fmt.Sprint("第", d+1, "天")}); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	want := convSorted([]string{
		start.AddDate(0, 0, 1).Format(journalDay) + ".jsonl",
		start.AddDate(0, 0, 2).Format(journalDay) + ".jsonl",
		start.AddDate(0, 0, 3).Format(journalDay) + ".jsonl",
	})
	if got := convListDir(t, dir); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files: got %v, want %v", got, want)
	}
	es, err := j.Entries(t.Context(), time.Time{})
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	var qs []string
	for _, e := range es {
		qs = append(qs, e.Question)
	}
	if got, want := fmt.Sprint(qs), "[第2天 第3天 第4天]"; got != want {
		t.Errorf("questions: got %s, want %s", got, want)
	}
}

func TestJournalConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	j := openTestJournal(t, dir, 0)
	const writers, each = 20, 50
	long := strings.Repeat("很长的回答。", 500) // lines longer than a page
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				_, err := j.Append(t.Context(), Entry{Question: fmt.Sprint(w, "-", i), Answer: long})
				errs <- err
			}
		})
	}
	wg.Go(func() {
		for range each {
			errs <- j.Mark(t.Context(), "x", true, "ok")
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	files := convListDir(t, dir)
	if len(files) != 1 {
		t.Fatalf("files: got %v, want one", files)
	}
	f, err := os.Open(filepath.Join(dir, files[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	ids := map[string]bool{}
	lines, marks := 0, 0
	for sc.Scan() {
		lines++
		var rec struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %v", lines, err)
		}
		switch rec.Type {
		case "qa":
			ids[rec.ID] = true
		case "mark":
			marks++
		default:
			t.Fatalf("line %d type = %q, want qa or mark", lines, rec.Type)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ids) != writers*each || marks != each {
		t.Errorf("got %d distinct entries and %d marks, want %d and %d", len(ids), marks, writers*each, each)
	}
}

func TestJournalSkipsTornLines(t *testing.T) {
	dir := t.TempDir()
	j := openTestJournal(t, dir, 0)
	if _, err := j.Append(t.Context(), Entry{Question: "好的"}); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, time.Now().Format(journalDay)+".jsonl")
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"type":"qa","question":"断` + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := j.Append(t.Context(), Entry{Question: "也好"}); err != nil {
		t.Fatal(err)
	}
	es, err := j.Entries(t.Context(), time.Time{})
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	if len(es) != 2 || es[0].Question != "好的" || es[1].Question != "也好" {
		t.Errorf("got %+v, want the two whole entries", es)
	}
}

func TestJournalClosedAndCancelled(t *testing.T) {
	tests := []struct {
		name string
		run  func(j *Files, ctx context.Context) error
	}{
		{"append after close", func(j *Files, ctx context.Context) error {
			_ = j.Close()
			_, err := j.Append(ctx, Entry{Question: "q"})
			return err
		}},
		{"mark after close", func(j *Files, ctx context.Context) error {
			_ = j.Close()
			return j.Mark(ctx, "id", true, "")
		}},
		{"append cancelled", func(j *Files, _ context.Context) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := j.Append(ctx, Entry{Question: "q"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := openTestJournal(t, t.TempDir(), 0)
			if err := tt.run(j, t.Context()); err == nil {
				t.Errorf("got nil error, want one")
			}
		})
	}
}

func convListDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return convSorted(names)
}

func convSorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func TestJournalUndelivered(t *testing.T) {
	j := openTestJournal(t, t.TempDir(), 0)
	id := NewID()
	if _, err := j.Append(t.Context(), Entry{ID: id, Question: "q", Delivered: true}); err != nil {
		t.Fatal(err)
	}
	if err := j.Undelivered(t.Context(), id, errors.New("dropped: the user did not write again")); err != nil {
		t.Fatal(err)
	}
	es, err := j.Entries(t.Context(), time.Time{})
	if err != nil || len(es) != 1 {
		t.Fatalf("Entries = %v, %v", es, err)
	}
	if es[0].Delivered || es[0].DeliveryError != "dropped: the user did not write again" {
		t.Errorf("entry = %+v, want it undelivered with the cause", es[0])
	}
}
