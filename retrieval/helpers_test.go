package retrieval

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/policybot/policybot/corpus"
)

// countingEmbedder is a fake Embedder that records every text it is asked
// to embed. Its vectors are deterministic and deliberately not unit length.
type countingEmbedder struct {
	model string
	dims  int
	// vec, when set, replaces the default vector for a text (to return
	// wrong dimensions, say).
	vec func(i int, text string) []float32
	err error

	mu    sync.Mutex
	texts []string
	calls int
}

func (e *countingEmbedder) Model() string { return e.model }

func (e *countingEmbedder) Embed(_ context.Context, texts []string, progress func(done, total int)) ([][]float32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	if e.err != nil {
		return nil, e.err
	}
	e.texts = append(e.texts, texts...)
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if e.vec != nil {
			out[i] = e.vec(i, t)
		} else {
			out[i] = charVector(t, e.dims)
		}
		if progress != nil {
			progress(i+1, len(texts))
		}
	}
	return out, nil
}

// embedded returns the texts embedded so far and forgets them.
func (e *countingEmbedder) embedded() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.texts
	e.texts = nil
	return t
}

// queries is how many Embed calls were made (a Search makes one).
func (e *countingEmbedder) queries() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls
}

// charVector is a hashed bag of characters, scaled so that its length is
// far from 1: whoever stores it must normalize it.
func charVector(text string, dims int) []float32 {
	if dims <= 0 {
		dims = 32
	}
	v := make([]float32, dims)
	for _, r := range text {
		v[int(r)%dims] += 3
	}
	v[0] += 1 // never the zero vector
	return v
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// logRecorder is a slog.Handler keeping every record, for asserting what
// was logged.
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

// has says whether a record at level whose message contains msg was
// logged.
func (h *logRecorder) has(level slog.Level, msg string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.recs {
		if r.Level == level && strings.Contains(r.Message, msg) {
			return true
		}
	}
	return false
}

func (h *logRecorder) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		out = append(out, r.Level.String()+" "+r.Message)
	}
	return out
}

// synth generates Chinese-like policy documents: numbered articles of
// sentences drawn from a fixed, Zipf-distributed vocabulary of Han words.
// The same seed gives the same documents.
type synth struct {
	rng   *rand.Rand
	zipf  *rand.Zipf
	words []string
}

// policyWords make the generated text read a little like the real corpus
// and give queries something to find.
var policyWords = []string{
	"企业", "补贴", "税收", "优惠", "研发", "费用", "扣除", "申报", "认定", "奖励",
	"资金", "项目", "融资", "贷款", "担保", "技术", "创新", "转型", "升级", "民营",
	"中小", "小微", "出口", "退税", "所得税", "增值税", "减半", "征收", "园区", "设备",
}

func newSynth(seed int64) *synth {
	rng := rand.New(rand.NewSource(seed))
	s := &synth{rng: rng, words: append([]string(nil), policyWords...)}
	for len(s.words) < 5000 {
		n := 2 + rng.Intn(3)
		var b strings.Builder
		for range n {
			// The CJK block's first 3000 code points hold the common
			// characters.
			b.WriteRune(rune(0x4E00 + rng.Intn(3000)))
		}
		s.words = append(s.words, b.String())
	}
	s.zipf = rand.NewZipf(rng, 1.1, 4, uint64(len(s.words)-1))
	return s
}

func (s *synth) sentence() string {
	n := 6 + s.rng.Intn(10)
	var b strings.Builder
	for i := range n {
		b.WriteString(s.words[s.zipf.Uint64()])
		if i == n/2 {
			b.WriteString("，")
		}
	}
	b.WriteString("。")
	return b.String()
}

// article is one clause of 2–4 sentences, long enough (over the chunker's
// minimum) to be a chunk of its own.
func (s *synth) article() string {
	var b strings.Builder
	for range 2 + s.rng.Intn(3) {
		b.WriteString(s.sentence())
	}
	for len([]rune(b.String())) < 100 {
		b.WriteString(s.sentence())
	}
	return b.String()
}

// synthDoc is one generated document.
type synthDoc struct {
	id, title, docNo string
	articles         []string
}

func (s *synth) doc(i, articles int) synthDoc {
	d := synthDoc{
		id:    fmt.Sprintf("synth-%05d", i),
		title: "河北省关于" + s.words[s.zipf.Uint64()] + s.words[s.rng.Intn(len(s.words))] + "的通知",
		docNo: fmt.Sprintf("冀测〔2018〕%d号", i+1),
	}
	for range articles {
		d.articles = append(d.articles, s.article())
	}
	return d
}

// markdown renders the document as a corpus .md file with front matter.
func (d synthDoc) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\nid: %s\ntitle: %s\ndoc_no: %s\nissuer: 河北省测试厅\ndomain: 测试\nkind: 原文\nissued: \"2018-06-01\"\neffective_from: \"2018-06-01\"\neffective_until: \"\"\nsource: 测试汇编\n---\n\n", d.id, d.title, d.docNo)
	b.WriteString(d.title + "\n")
	for i, a := range d.articles {
		fmt.Fprintf(&b, "第%s条 %s\n", chineseNumber(i+1), a)
	}
	return b.String()
}

// chineseNumber writes 1–99 as an article number: 一, 十二, 二十, 九十九.
func chineseNumber(n int) string {
	digits := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n < 10:
		return digits[n]
	case n < 20:
		return "十" + digits[n%10]
	default:
		return digits[n/10] + "十" + digits[n%10]
	}
}

func (d synthDoc) write(t testing.TB, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, d.id+".md"), []byte(d.markdown()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeSynthCorpus writes n documents of the given number of articles
// into dir and returns them.
func writeSynthCorpus(t testing.TB, dir string, seed int64, n, articles int) []synthDoc {
	t.Helper()
	s := newSynth(seed)
	docs := make([]synthDoc, n)
	for i := range docs {
		docs[i] = s.doc(i, articles)
		docs[i].write(t, dir)
	}
	return docs
}

// writeDir writes files (name → text) into a new temporary folder and
// returns it.
func writeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadDir(t testing.TB, dir string) *corpus.Library {
	t.Helper()
	lib, err := corpus.Load(corpus.Options{Dirs: []string{dir}}, nil)
	if err != nil {
		t.Fatalf("load corpus %s: %v", dir, err)
	}
	return lib
}

func loadBuiltin(t testing.TB) *corpus.Library {
	t.Helper()
	lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
	if err != nil {
		t.Fatalf("load built-in corpus: %v", err)
	}
	return lib
}

// indexTexts is what Build embeds for a library, one text per chunk.
func indexTexts(lib *corpus.Library) []string {
	var out []string
	docs := lib.Documents()
	for i := range docs {
		for _, c := range docs[i].Chunks {
			out = append(out, indexText(&docs[i], c))
		}
	}
	return out
}

func chunkCount(lib *corpus.Library) int {
	n := 0
	for _, d := range lib.Documents() {
		n += len(d.Chunks)
	}
	return n
}
