package corpus

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeFiles writes name → content under dir, making folders as needed.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// userFolder is a folder as a user might give: front matter, plain
// Markdown, GBK text, a nested folder, an empty file and other files.
func userFolder(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"with-front.md": []byte("---\nid: my-measures\ntitle: 某市支持措施\ndoc_no: 某政发〔2019〕1号\nissued: \"2019-05-01\"\neffective_until: \"2019-12-31\"\n---\n\n一、支持甲。\n二、支持乙。\n"),
		"plain.md":      []byte("河北省某某奖励办法\n冀财金〔2019〕12号\n第一条 为了甲，制定本办法。\n第二条 本办法自发布之日起施行。\n"),
		"sub/gbk.txt":   gbk(t, "河北省支持中小企业融资若干措施\r\n一、加大信贷资金投放力度。\r\n"),
		"empty.md":      nil,
		"notes.pdf":     []byte("%PDF-1.4"),
		"README":        []byte("not a corpus file"),
	})
	return dir
}

func TestLoadFolder(t *testing.T) {
	dir := userFolder(t)
	var logs bytes.Buffer
	lib, err := Load(Options{Dirs: []string{dir}}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(lib.Documents()), 3; got != want {
		t.Fatalf("got %d documents, want %d (built-in corpus off)", got, want)
	}
	tests := []struct {
		id, title, docNo, until, bodyHas, source string
	}{
		{"my-measures", "某市支持措施", "某政发〔2019〕1号", "2019-12-31", "一、支持甲。", filepath.Join(dir, "with-front.md")},
		{"plain", "河北省某某奖励办法", "冀财金〔2019〕12号", "", "第二条 本办法自发布之日起施行。", filepath.Join(dir, "plain.md")},
		{"gbk", "河北省支持中小企业融资若干措施", "", "", "一、加大信贷资金投放力度。", filepath.Join(dir, "sub", "gbk.txt")},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			d, ok := lib.Document(tt.id)
			if !ok {
				t.Fatalf("document %s not loaded", tt.id)
			}
			for _, f := range []struct{ name, got, want string }{
				{"title", d.Title, tt.title},
				{"doc_no", d.DocNo, tt.docNo},
				{"effective_until", d.EffectiveUntil, tt.until},
				{"source", d.Source, tt.source},
			} {
				if f.got != f.want {
					t.Errorf("%s: got %q, want %q", f.name, f.got, f.want)
				}
			}
			if !strings.Contains(d.Body, tt.bodyHas) {
				t.Errorf("got body %q, want it to contain %q", d.Body, tt.bodyHas)
			}
			if len(d.Chunks) == 0 {
				t.Errorf("got no chunks")
			}
		})
	}
	if !strings.Contains(logs.String(), "empty.md") || !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("got log %q, want a warning naming empty.md", logs.String())
	}
	if _, ok := lib.Document("jzf-2018-4"); ok {
		t.Errorf("got built-in document jzf-2018-4 with the built-in corpus off")
	}
}

func TestLoadAddsToBuiltin(t *testing.T) {
	lib, err := Load(Options{Builtin: true, Dirs: []string{userFolder(t)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(lib.Documents()), 47+3; got != want {
		t.Errorf("got %d documents, want %d", got, want)
	}
	for _, id := range []string{"jzf-2018-4", "my-measures"} {
		if _, ok := lib.Document(id); !ok {
			t.Errorf("document %s missing", id)
		}
	}
}

func TestLoadBuiltin(t *testing.T) {
	lib := builtinLibrary(t)
	docs := lib.Documents()
	if got, want := len(docs), 47; got != want {
		t.Fatalf("got %d documents, want %d", got, want)
	}
	// The compilation's order: interpretations first, then the originals.
	if docs[0].ID != "jiedu-gongxin" || docs[46].ID != "cs-2018-123" {
		t.Errorf("got order %s … %s, want jiedu-gongxin … cs-2018-123", docs[0].ID, docs[46].ID)
	}
	if _, ok := lib.Document("no-such-id"); ok {
		t.Errorf("got a document for an unknown id")
	}
	s := lib.Scope()
	if s.Region != "河北省" || s.Years != [2]int{2008, 2018} || len(s.Cities) == 0 || len(s.OtherRegions) == 0 {
		t.Errorf("got scope %+v", s)
	}
	if sum := s.Summary(); !strings.Contains(sum, s.Name) || !strings.Contains(sum, "2008—2018年") {
		t.Errorf("got summary %q", sum)
	}
}

func TestLoadSize(t *testing.T) {
	small, err := Load(Options{Builtin: true, Size: ChunkSize{Min: 20, Max: 120}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	def := builtinLibrary(t)
	n, m := 0, 0
	for i := range def.Documents() {
		n += len(def.Documents()[i].Chunks)
		m += len(small.Documents()[i].Chunks)
	}
	if m <= n {
		t.Errorf("got %d chunks at Max 120 and %d at the default, want more at the smaller size", m, n)
	}
}

// TestLoadSkipsBadFiles shows that one bad document never stops the
// others from loading: it is skipped with one warning that names the file
// and says why.
func TestLoadSkipsBadFiles(t *testing.T) {
	const good = "关于支持小微企业发展的通知\n一、对新设立的小微企业给予一次性开办补贴。\n"
	tests := []struct {
		name    string
		builtin bool
		files   map[string][]byte
		want    []string // in the warning
	}{
		{
			name:  "malformed front matter",
			files: map[string][]byte{"bad.md": []byte("---\ntitle: 甲\nissued: [\n---\n正文\n")},
			want:  []string{"bad.md", "line 3"},
		},
		{
			name:  "unknown front matter key",
			files: map[string][]byte{"odd.md": []byte("---\ntitle: 甲\nexpires: 2020\n---\n正文\n")},
			want:  []string{"odd.md", "expires"},
		},
		{
			name: "duplicate id",
			files: map[string][]byte{
				"a.md":   []byte("---\nid: same\n---\n甲\n"),
				"b/b.md": []byte("---\nid: same\n---\n乙\n"),
			},
			want: []string{"b.md", "same", "a.md"},
		},
		{
			name:    "id of a built-in document",
			builtin: true,
			files:   map[string][]byte{"mine.md": []byte("---\nid: jzf-2018-4\n---\n甲\n")},
			want:    []string{"mine.md", "built-in jzf-2018-4"},
		},
		{
			name:  "not text",
			files: map[string][]byte{"binary.txt": []byte("\x00\x01\x02\xff\x81\x00PNG")},
			want:  []string{"binary.txt", "binary"},
		},
		{
			name:  "empty",
			files: map[string][]byte{"empty.txt": nil},
			want:  []string{"empty.txt", "empty"},
		},
		{
			name:  "unsupported format",
			files: map[string][]byte{"sheet.xls": []byte("PK\x03\x04")},
			want:  []string{"sheet.xls", "unsupported format"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.files["zz-good.txt"] = []byte(good)
			writeFiles(t, dir, tt.files)
			var logs strings.Builder
			log := slog.New(slog.NewTextHandler(&logs, nil))
			lib, err := Load(Options{Builtin: tt.builtin, Dirs: []string{dir}}, log)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if _, ok := lib.Document("zz-good"); !ok {
				t.Errorf("the good document was not loaded")
			}
			if n := strings.Count(logs.String(), "skip corpus file"); n != 1 {
				t.Errorf("got %d warnings, want 1:\n%s", n, logs.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("warning %q does not contain %q", logs.String(), w)
				}
			}
		})
	}
}

func TestLoadNothing(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"empty.txt": nil})
	if _, err := Load(Options{Dirs: []string{dir}}, nil); err == nil || !strings.Contains(err.Error(), "no documents") {
		t.Fatalf("Load of a folder with no documents: got %v, want an error saying so", err)
	}
}

func TestLoadMissingFolder(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nowhere")
	_, err := Load(Options{Builtin: true, Dirs: []string{missing}}, nil)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("got error %v, want one naming %s", err, missing)
	}
}

// A file that cannot be read (here a dangling link, which root cannot
// read either) is skipped with a warning naming it.
func TestLoadSkipsUnreadable(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"ok.md": []byte("甲\n")})
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "broken.md")); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	var logs bytes.Buffer
	lib, err := Load(Options{Dirs: []string{dir}}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(lib.Documents()); got != 1 {
		t.Errorf("got %d documents, want 1", got)
	}
	if !strings.Contains(logs.String(), "broken.md") {
		t.Errorf("got log %q, want a warning naming broken.md", logs.String())
	}
}

// TestScope: the built-in corpus's scope describes it alone. Without it
// the scope holds only what the documents show, their years; a user's
// scope file replaces either, and years it leaves out are the documents'.
func TestScope(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"docs/a.md":   []byte("某市关于甲的通知\n某政发〔2021〕3号\n一、甲。\n"),
		"docs/b.md":   []byte("某市关于乙的通知\n一、乙。\n某市人民政府\n2024年2月1日\n"),
		"docs/c.md":   []byte("某市关于丙的意见\n一、丙。\n"),
		"scope.yaml":  []byte("name: 某市惠企政策汇编\nregion: 某市\ncities: [甲区, 乙区]\ncontacts:\n  hotline: 某市政务服务热线\n"),
		"years.yaml":  []byte("name: 某市惠企政策汇编\nyears: [2015, 2025]\n"),
		"typo.yaml":   []byte("name: 某市\ncitys: [甲区]\n"),
		"broken.yaml": []byte("name: [\n"),
	})
	docs := filepath.Join(dir, "docs")
	tests := []struct {
		name string
		opts Options
		want Scope
	}{
		{
			name: "documents only",
			opts: Options{Dirs: []string{docs}},
			want: Scope{Years: [2]int{2021, 2024}},
		},
		{
			name: "scope file",
			opts: Options{Dirs: []string{docs}, ScopeFile: filepath.Join(dir, "scope.yaml")},
			want: Scope{Name: "某市惠企政策汇编", Region: "某市", Years: [2]int{2021, 2024}, Cities: []string{"甲区", "乙区"}, Contacts: Contacts{Hotline: "某市政务服务热线"}},
		},
		{
			name: "scope file with years",
			opts: Options{Dirs: []string{docs}, ScopeFile: filepath.Join(dir, "years.yaml")},
			want: Scope{Name: "某市惠企政策汇编", Years: [2]int{2015, 2025}},
		},
		{
			name: "scope file replaces the built-in scope",
			opts: Options{Builtin: true, Dirs: []string{docs}, ScopeFile: filepath.Join(dir, "scope.yaml")},
			want: Scope{Name: "某市惠企政策汇编", Region: "某市", Years: [2]int{2008, 2024}, Cities: []string{"甲区", "乙区"}, Contacts: Contacts{Hotline: "某市政务服务热线"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib, err := Load(tt.opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := lib.Scope(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}

	t.Run("built-in widened", func(t *testing.T) {
		lib, err := Load(Options{Builtin: true, Dirs: []string{docs}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, b := lib.Scope(), builtinLibrary(t).Scope()
		if s.Years != [2]int{b.Years[0], 2024} {
			t.Errorf("got years %v, want %d–2024", s.Years, b.Years[0])
		}
		b.Years = s.Years
		if !reflect.DeepEqual(s, b) {
			t.Errorf("got scope %+v, want the built-in one but for the years", s)
		}
	})

	t.Run("summary names no region", func(t *testing.T) {
		lib, err := Load(Options{Dirs: []string{docs}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := lib.Scope().Summary(), "我能查询的是已收录的政策文件，发布于2021—2024年。"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})

	for _, tt := range []struct{ name, file, want string }{
		{"unknown key", "typo.yaml", "citys"},
		{"malformed", "broken.yaml", "broken.yaml"},
		{"missing", "nowhere.yaml", "nowhere.yaml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Options{Dirs: []string{docs}, ScopeFile: filepath.Join(dir, tt.file)}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestLoadGuards shows that loading reads regular files only: a link to
// an endless device or a FIFO with no writer is skipped, not read for
// ever.
func TestLoadGuards(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"good.txt": []byte("关于支持小微企业发展的通知\n一、给予开办补贴。\n")})
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.md")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	done := make(chan error, 1)
	go func() {
		_, err := Load(Options{Dirs: []string{dir}}, slog.New(slog.NewTextHandler(&logs, nil)))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load did not return within 10 s")
	}
	for _, f := range []string{"zero.md", "pipe.txt"} {
		if !strings.Contains(logs.String(), f) || !strings.Contains(logs.String(), "not a regular file") {
			t.Errorf("no warning naming %s as not a regular file:\n%s", f, logs.String())
		}
	}
}

// TestLoadSizeCap: a file over the configured size is skipped before it
// is read.
func TestLoadSizeCap(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"good.txt": []byte("关于支持小微企业发展的通知\n一、给予开办补贴。\n"),
		"big.txt":  []byte(strings.Repeat("大文件。", 1000)),
	})
	var logs strings.Builder
	lib, err := Load(Options{Dirs: []string{dir}, MaxFileBytes: 1000}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Documents()) != 1 || !strings.Contains(logs.String(), "big.txt") || !strings.Contains(logs.String(), "files over 1000 bytes") {
		t.Errorf("documents %d; log:\n%s", len(lib.Documents()), logs.String())
	}
}
