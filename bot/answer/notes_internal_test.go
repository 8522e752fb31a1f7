package answer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/policybot/policybot/corpus"
)

// TestNotesOncePerDocument: a document yet to take effect is said so
// once for all the clauses cited from it.
func TestNotesOncePerDocument(t *testing.T) {
	dir := t.TempDir()
	const text = "某市财政局关于支持企业数字化改造的通知\n某财企〔2026〕21号\n一、对实施数字化改造的中小企业，按投资额的20%给予补助。\n二、对示范企业另给予补助50万元。\n三、本通知自2027年1月1日起施行，有效期至2029年12月31日。\n某市财政局\n2026年11月20日\n"
	if err := os.WriteFile(filepath.Join(dir, "future.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	lib, err := corpus.Load(corpus.Options{Dirs: []string{dir}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) }
	p := &Pipeline{lib: lib, opts: Options{Now: now}}
	v := corpus.Validity{Status: corpus.StatusInForce, Until: "2029-12-31", Starts: "2027-01-01"}
	notes := p.notes([]Citation{
		{N: 1, DocID: "future", Clause: "一、", Text: "一、对实施数字化改造的中小企业，按投资额的20%给予补助。", Validity: v},
		{N: 2, DocID: "future", Clause: "二、", Text: "二、对示范企业另给予补助50万元。", Validity: v},
	})
	joined := strings.Join(notes, "\n")
	if strings.Count(joined, "此前尚不能按其享受") != 1 || !strings.Contains(joined, "[1][2]该文件自2027年1月1日起施行") {
		t.Errorf("notes:\n%s\nwant one for both clauses", joined)
	}
}
