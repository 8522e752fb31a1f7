package retrieval

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/corpus"
)

const liveDocA = `关于支持小微企业发展的通知
某财〔2023〕5号
一、对新设立的小微企业给予一次性开办补贴2万元。
二、本通知自2023年1月1日起施行，有效期至2025年12月31日。`

const liveDocB = `关于支持新能源汽车零部件企业的若干措施
某工信〔2024〕8号
一、对新能源汽车零部件企业新建生产线给予设备投资额10%的补助，最高500万元。`

const liveDocB2 = `关于支持新能源汽车零部件企业的若干措施
某工信〔2024〕8号
一、对新能源汽车零部件企业新建生产线给予设备投资额15%的补助，最高800万元。`

func TestLive(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.txt", liveDocA)
	ctx := context.Background()
	load := func() (*corpus.Library, error) { return corpus.Load(corpus.Options{Dirs: []string{dir}}, nil) }
	l, err := NewLive(ctx, load, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(q string) Result {
		t.Helper()
		res, err := l.Search(ctx, Query{Question: q, K: 3})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	const q = "新能源汽车零部件生产线补助多少"
	v1 := l.Version()
	if res := ask(q); res.Found && strings.Contains(res.Hits[0].Text, "新能源") {
		t.Fatalf("found %q before the document was added", res.Hits[0].Text)
	}
	if changed, err := l.Reload(ctx); err != nil || changed {
		t.Fatalf("Reload with nothing changed = %v, %v; want false, nil", changed, err)
	}

	// Add: searches keep answering while the next version is built.
	write("b.txt", liveDocB)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := l.Search(ctx, Query{Question: "小微企业开办补贴", K: 3}); err != nil {
					t.Errorf("search during reload: %v", err)
					return
				}
			}
		})
	}
	changed, err := l.Reload(ctx)
	close(stop)
	wg.Wait()
	if err != nil || !changed {
		t.Fatalf("Reload after adding = %v, %v; want true, nil", changed, err)
	}
	res := ask(q)
	if !res.Found || !strings.Contains(res.Hits[0].Text, "10%") || res.Version == v1 || res.Version != l.Version() {
		t.Fatalf("after adding: found %v, top %q, version %q (was %q)", res.Found, res.Hits[0].Text, res.Version, v1)
	}

	// Replace.
	write("b.txt", liveDocB2)
	if _, err := l.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if res := ask(q); !strings.Contains(res.Hits[0].Text, "15%") {
		t.Fatalf("after replacing: top %q, want the new text", res.Hits[0].Text)
	}

	// Remove.
	if err := os.Remove(filepath.Join(dir, "b.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.Document("b"); ok {
		t.Fatalf("document b still there after removal")
	}

	// A failed reload keeps the current version.
	before := l.Version()
	if err := os.Remove(filepath.Join(dir, "a.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reload(ctx); err == nil {
		t.Fatalf("Reload of an empty corpus succeeded")
	}
	if l.Version() != before {
		t.Fatalf("version changed after a failed reload")
	}
}

func TestLiveWatch(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte(liveDocA), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func() (*corpus.Library, error) { return corpus.Load(corpus.Options{Dirs: []string{dir}}, nil) }
	l, err := NewLive(context.Background(), load, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Watch(ctx, []string{dir}, 10*time.Millisecond); close(done) }()
	v1 := l.Version()
	if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte(liveDocB), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for l.Version() == v1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if l.Version() == v1 {
		t.Fatalf("the watched folder's new document was not loaded")
	}
}
