package retrieval

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// smallCorpus writes a three-document corpus of six articles each into a
// fresh folder and returns the folder and the documents.
func smallCorpus(t *testing.T) (string, []synthDoc) {
	t.Helper()
	dir := t.TempDir()
	return dir, writeSynthCorpus(t, dir, 1, 3, 6)
}

func storeFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "embeddings-*.gob"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".embeddings-*.tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// storeDirOf keeps a corpus folder's embedding store beside it, not in it
// (the corpus loader would otherwise walk into it).
func storeDirOf(t *testing.T, corpusDir string) string {
	t.Helper()
	d := corpusDir + "-store"
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestBuildWritesStore(t *testing.T) {
	tests := []struct {
		name string
		emb  Embedder // nil: the built-in embedder
		file string   // the store file's name; "" for the built-in's
	}{
		{"builtin", nil, ""},
		{"fake", &countingEmbedder{model: "fake-a"}, "embeddings-fake-a.gob"},
		{"model name with a slash", &countingEmbedder{model: "BAAI/bge-m3"}, "embeddings-BAAI_bge-m3.gob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, _ := smallCorpus(t)
			store := storeDirOf(t, src)
			ix, err := Build(context.Background(), loadDir(t, src), Options{Dir: store, Embedder: tt.emb})
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			want := tt.file
			if want == "" {
				want = filepath.Base(storePath(store, ix.emb.Model()))
			}
			if files := storeFiles(t, store); !slices.Equal(files, []string{want}) {
				t.Errorf("store files %v, want [%s]", files, want)
			}
			if tmp := tempFiles(t, store); len(tmp) != 0 {
				t.Errorf("temporary files left behind: %v", tmp)
			}
		})
	}
}

func TestBuildInMemoryWritesNothing(t *testing.T) {
	src, _ := smallCorpus(t)
	cwd := t.TempDir()
	t.Chdir(cwd)
	if _, err := Build(context.Background(), loadDir(t, src), Options{Embedder: &countingEmbedder{model: "m"}}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{src, cwd} {
		if files := storeFiles(t, d); len(files) != 0 {
			t.Errorf("store files in %s: %v, want none with Dir empty", d, files)
		}
	}
}

func TestRestartLoadsStore(t *testing.T) {
	src, _ := smallCorpus(t)
	store := storeDirOf(t, src)
	lib := loadDir(t, src)
	first := &countingEmbedder{model: "fake-a"}
	ix1, err := Build(context.Background(), lib, Options{Dir: store, Embedder: first})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(first.embedded()), chunkCount(lib); got != want {
		t.Fatalf("first build embedded %d texts, want %d (every chunk)", got, want)
	}

	again := &countingEmbedder{model: "fake-a"}
	ix2, err := Build(context.Background(), loadDir(t, src), Options{Dir: store, Embedder: again})
	if err != nil {
		t.Fatal(err)
	}
	if got := again.embedded(); len(got) != 0 {
		t.Errorf("restart embedded %d texts, want 0", len(got))
	}
	// The reloaded index answers exactly as the fresh one.
	q := Query{Question: "企业研发费用扣除怎么申报", K: 5}
	r1, err := ix1.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := ix2.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(r1.Hits) == 0 {
		t.Fatal("search found nothing in the test corpus")
	}
	if !reflect.DeepEqual(r1, r2) {
		t.Errorf("reloaded index answers\n%+v\nwant\n%+v", r2, r1)
	}
	if got := again.queries(); got != 1 {
		t.Errorf("embedder called %d times by a restart and one search, want 1 (the query)", got)
	}
}

func TestChangedCorpusReembedsOnlyChanges(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, dir string, docs []synthDoc)
		want   int // texts embedded
	}{
		{"nothing", func(*testing.T, string, []synthDoc) {}, 0},
		{"one article edited", func(t *testing.T, dir string, docs []synthDoc) {
			d := docs[1]
			d.articles = slices.Clone(d.articles)
			d.articles[3] = "本条所称中小企业研发费用加计扣除，按照新的认定办法执行，由省财政厅会同有关部门负责解释，自发布之日起施行。"
			d.write(t, dir)
		}, 1},
		{"a document added", func(t *testing.T, dir string, _ []synthDoc) {
			newSynth(99).doc(7, 8).write(t, dir)
		}, 8},
		{"a document removed", func(t *testing.T, dir string, docs []synthDoc) {
			if err := os.Remove(filepath.Join(dir, docs[2].id+".md")); err != nil {
				t.Fatal(err)
			}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, docs := smallCorpus(t)
			store := storeDirOf(t, src)
			before := loadDir(t, src)
			if _, err := Build(context.Background(), before, Options{Dir: store, Embedder: &countingEmbedder{model: "fake-a"}}); err != nil {
				t.Fatal(err)
			}
			tt.change(t, src, docs)
			after := loadDir(t, src)
			old := map[string]bool{}
			for _, s := range indexTexts(before) {
				old[s] = true
			}
			var want []string
			for _, s := range indexTexts(after) {
				if !old[s] {
					want = append(want, s)
				}
			}
			emb := &countingEmbedder{model: "fake-a"}
			if _, err := Build(context.Background(), after, Options{Dir: store, Embedder: emb}); err != nil {
				t.Fatal(err)
			}
			got := emb.embedded()
			if len(got) != tt.want {
				t.Errorf("embedded %d texts, want %d", len(got), tt.want)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("embedded %q, want the changed chunks %q", got, want)
			}
			// The store now holds the new state: a restart embeds nothing.
			emb2 := &countingEmbedder{model: "fake-a"}
			if _, err := Build(context.Background(), after, Options{Dir: store, Embedder: emb2}); err != nil {
				t.Fatal(err)
			}
			if got := emb2.embedded(); len(got) != 0 {
				t.Errorf("restart after the change embedded %d texts, want 0", len(got))
			}
		})
	}
}

func TestOtherModelGetsItsOwnStore(t *testing.T) {
	src, _ := smallCorpus(t)
	store := storeDirOf(t, src)
	lib := loadDir(t, src)
	n := chunkCount(lib)
	steps := []struct {
		model string
		want  int // texts embedded
		files int // store files afterwards
	}{
		{"fake-a", n, 1},
		{"fake-b", n, 2},
		{"fake-a", 0, 2}, // the first model's file is still there and used
		{"fake-b", 0, 2},
	}
	for i, s := range steps {
		emb := &countingEmbedder{model: s.model, dims: 16 + 8*i}
		if _, err := Build(context.Background(), lib, Options{Dir: store, Embedder: emb}); err != nil {
			t.Fatalf("step %d (%s): %v", i, s.model, err)
		}
		if got := len(emb.embedded()); got != s.want {
			t.Errorf("step %d (%s): embedded %d texts, want %d", i, s.model, got, s.want)
		}
		if got := storeFiles(t, store); len(got) != s.files {
			t.Errorf("step %d (%s): store files %v, want %d", i, s.model, got, s.files)
		}
	}
}

// TestInterruptedWriteKeepsPreviousStore leaves what a crash between
// creating and renaming the temporary file would leave, and shows that the
// previous store is still read.
func TestInterruptedWriteKeepsPreviousStore(t *testing.T) {
	src, docs := smallCorpus(t)
	store := storeDirOf(t, src)
	lib := loadDir(t, src)
	if _, err := Build(context.Background(), lib, Options{Dir: store, Embedder: &countingEmbedder{model: "fake-a"}}); err != nil {
		t.Fatal(err)
	}
	path := storePath(store, "fake-a")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A newer store cut off half-way, and one that is garbage.
	for name, data := range map[string][]byte{
		".embeddings-1234567.tmp":            good[:len(good)/2],
		".embeddings-fake-a.gob-7654321.tmp": []byte("\x00\xffnot a gob at all"),
	} {
		if err := os.WriteFile(filepath.Join(store, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	emb := &countingEmbedder{model: "fake-a"}
	ix, err := Build(context.Background(), lib, Options{Dir: store, Embedder: emb})
	if err != nil {
		t.Fatalf("build beside an interrupted write: %v", err)
	}
	if got := len(emb.embedded()); got != 0 {
		t.Errorf("embedded %d texts, want 0 (the previous store serves)", got)
	}
	if res, err := ix.Search(context.Background(), Query{Question: "企业研发费用扣除"}); err != nil || len(res.Hits) == 0 {
		t.Errorf("search: %d hits, err %v; want hits", len(res.Hits), err)
	}

	// The next real write still works and replaces the store.
	d := docs[0]
	d.articles = slices.Clone(d.articles)
	d.articles[0] = "本条适用于在本省登记注册的中小企业，企业研发费用按照实际发生额加计扣除，具体办法由省财政厅另行制定并公布。"
	d.write(t, src)
	emb = &countingEmbedder{model: "fake-a"}
	if _, err := Build(context.Background(), loadDir(t, src), Options{Dir: store, Embedder: emb}); err != nil {
		t.Fatal(err)
	}
	if got := len(emb.embedded()); got != 1 {
		t.Errorf("after an edit embedded %d texts, want 1", got)
	}
}

func TestUnwritableStoreIsAnError(t *testing.T) {
	src, _ := smallCorpus(t)
	store := storeDirOf(t, src)
	// A folder where the store file belongs: the rename cannot replace it.
	if err := os.MkdirAll(filepath.Join(storePath(store, "fake-a"), "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), loadDir(t, src), Options{Dir: store, Embedder: &countingEmbedder{model: "fake-a"}})
	if err == nil || !strings.Contains(err.Error(), "persist embeddings") {
		t.Errorf("build with an unreplaceable store: err %v, want one saying it could not persist embeddings", err)
	}
	if tmp := tempFiles(t, store); len(tmp) != 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}
}

func TestDamagedStoreIsRebuilt(t *testing.T) {
	tests := []struct {
		name  string
		store func(t *testing.T, path string, good []byte) // damages the file at path
		level slog.Level
		msg   string
	}{
		{"garbage", func(t *testing.T, path string, _ []byte) {
			writeFile(t, path, []byte("this is not an embedding store"))
		}, slog.LevelWarn, "unreadable"},
		{"empty", func(t *testing.T, path string, _ []byte) {
			writeFile(t, path, nil)
		}, slog.LevelWarn, "unreadable"},
		{"truncated", func(t *testing.T, path string, good []byte) {
			writeFile(t, path, good[:len(good)*2/3])
		}, slog.LevelWarn, "unreadable"},
		{"old version", func(t *testing.T, path string, _ []byte) {
			if err := writeStore(path, store{Version: storeVersion + 1, Model: "fake-a", Vectors: map[string][]float32{}}); err != nil {
				t.Fatal(err)
			}
		}, slog.LevelInfo, "another model or version"},
		{"another model's vectors", func(t *testing.T, path string, _ []byte) {
			if err := writeStore(path, store{Version: storeVersion, Model: "fake-z", Vectors: map[string][]float32{}}); err != nil {
				t.Fatal(err)
			}
		}, slog.LevelInfo, "another model or version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, _ := smallCorpus(t)
			dir := storeDirOf(t, src)
			lib := loadDir(t, src)
			if _, err := Build(context.Background(), lib, Options{Dir: dir, Embedder: &countingEmbedder{model: "fake-a"}}); err != nil {
				t.Fatal(err)
			}
			path := storePath(dir, "fake-a")
			good, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tt.store(t, path, good)

			rec := &logRecorder{}
			emb := &countingEmbedder{model: "fake-a"}
			ix, err := Build(context.Background(), lib, Options{Dir: dir, Embedder: emb, Log: slog.New(rec)})
			if err != nil {
				t.Fatalf("build over a damaged store: %v, want a rebuild", err)
			}
			if got, want := len(emb.embedded()), chunkCount(lib); got != want {
				t.Errorf("embedded %d texts, want %d (all)", got, want)
			}
			if !rec.has(tt.level, tt.msg) {
				t.Errorf("logged %q, want a %s record saying %q", rec.messages(), tt.level, tt.msg)
			}
			if ix.count() != chunkCount(lib) {
				t.Errorf("index has %d chunks, want %d", ix.count(), chunkCount(lib))
			}
			// The rebuilt store is whole again.
			emb2 := &countingEmbedder{model: "fake-a"}
			if _, err := Build(context.Background(), lib, Options{Dir: dir, Embedder: emb2}); err != nil {
				t.Fatal(err)
			}
			if got := len(emb2.embedded()); got != 0 {
				t.Errorf("build after the rebuild embedded %d texts, want 0", got)
			}
		})
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEmbedderFailureFailsBuild(t *testing.T) {
	quota := errors.New("quota exceeded")
	tests := []struct {
		name string
		emb  Embedder
		want []string // pieces of the error
		is   error
	}{
		{"error", &countingEmbedder{model: "fake-a", err: quota}, []string{"fake-a", "quota exceeded"}, quota},
		{"a vector of other dimensions", &countingEmbedder{model: "fake-a", vec: func(i int, s string) []float32 {
			if i == 5 {
				return charVector(s, 8)
			}
			return charVector(s, 32)
		}}, []string{"8 dimensions, want 32"}, nil},
		{"too few vectors", shortEmbedder{&countingEmbedder{model: "fake-a"}}, []string{"fake-a", "vectors"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, _ := smallCorpus(t)
			dir := storeDirOf(t, src)
			ix, err := Build(context.Background(), loadDir(t, src), Options{Dir: dir, Embedder: tt.emb})
			if err == nil {
				t.Fatalf("build succeeded (%d chunks), want an error", ix.count())
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if files := storeFiles(t, dir); len(files) != 0 {
				t.Errorf("a failed build left store files %v", files)
			}
		})
	}
}

// shortEmbedder returns one vector fewer than it was given texts.
type shortEmbedder struct{ *countingEmbedder }

func (e shortEmbedder) Embed(ctx context.Context, texts []string, progress func(done, total int)) ([][]float32, error) {
	v, err := e.countingEmbedder.Embed(ctx, texts, progress)
	if err != nil || len(v) == 0 {
		return v, err
	}
	return v[:len(v)-1], nil
}

func TestWrongDimensionErrorNamesChunk(t *testing.T) {
	src, _ := smallCorpus(t)
	lib := loadDir(t, src)
	var bad string
	emb := &countingEmbedder{model: "fake-a", vec: func(i int, s string) []float32 {
		if i == 2 {
			bad = s
			return charVector(s, 8)
		}
		return charVector(s, 32)
	}}
	_, err := Build(context.Background(), lib, Options{Embedder: emb})
	if err == nil {
		t.Fatal("build succeeded, want an error")
	}
	var id string
	for _, d := range lib.Documents() {
		for _, c := range d.Chunks {
			if indexText(&d, c) == bad {
				id = c.ID
			}
		}
	}
	if id == "" || !strings.Contains(err.Error(), id) {
		t.Errorf("error %q, want it to name chunk %q", err, id)
	}
}

func TestProgressIsReported(t *testing.T) {
	src, _ := smallCorpus(t)
	lib := loadDir(t, src)
	var last, total, calls int
	_, err := Build(context.Background(), lib, Options{Embedder: &countingEmbedder{model: "m"}, Progress: func(d, n int) {
		calls++
		last, total = d, n
	}})
	if err != nil {
		t.Fatal(err)
	}
	if n := chunkCount(lib); calls == 0 || last != n || total != n {
		t.Errorf("progress ended at %d/%d after %d calls, want %d/%d", last, total, calls, n, n)
	}
}

func TestStoredVectorsAreNormalized(t *testing.T) {
	src, _ := smallCorpus(t)
	dir := storeDirOf(t, src)
	lib := loadDir(t, src)
	ix, err := Build(context.Background(), lib, Options{Dir: dir, Embedder: &countingEmbedder{model: "fake-a", dims: 24}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := readStore(storePath(dir, "fake-a"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Vectors) != chunkCount(lib) {
		t.Errorf("store holds %d vectors, want %d", len(s.Vectors), chunkCount(lib))
	}
	for k, v := range s.Vectors {
		if n := norm(v); n < 0.999 || n > 1.001 {
			t.Errorf("stored vector %s has length %.4f, want 1", k, n)
		}
	}
	for _, e := range ix.entries {
		d, err := ix.coll.GetByID(context.Background(), e.chunk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := norm(d.Embedding); n < 0.999 || n > 1.001 {
			t.Errorf("indexed vector of %s has length %.4f, want 1", e.chunk.ID, n)
		}
	}
}

func TestBuiltinEmbedderRestart(t *testing.T) {
	src, _ := smallCorpus(t)
	dir := storeDirOf(t, src)
	lib := loadDir(t, src)
	first, err := Build(context.Background(), lib, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	saved, err := filepath.Glob(filepath.Join(dir, "*.gob"))
	if err != nil || len(saved) == 0 {
		t.Fatalf("nothing saved in %s (err %v)", dir, err)
	}
	// Damage every file the built-in embedder saved: the next start
	// rebuilds them, with a warning, rather than failing.
	for _, p := range saved {
		writeFile(t, p, []byte("garbage"))
	}
	rec := &logRecorder{}
	again, err := Build(context.Background(), lib, Options{Dir: dir, Log: slog.New(rec)})
	if err != nil {
		t.Fatalf("build over damaged files: %v", err)
	}
	if again.emb.Model() != first.emb.Model() {
		t.Errorf("model %s after the rebuild, want %s", again.emb.Model(), first.emb.Model())
	}
	warned := 0
	for _, m := range rec.messages() {
		if strings.HasPrefix(m, "WARN ") {
			warned++
		}
	}
	if warned < len(saved) {
		t.Errorf("logged %q, want a warning for each of the %d damaged files", rec.messages(), len(saved))
	}
	res, err := again.Search(context.Background(), Query{Question: "企业研发费用扣除怎么申报"})
	if err != nil || len(res.Hits) == 0 {
		t.Errorf("search after the rebuild: %d hits, err %v", len(res.Hits), err)
	}
}
