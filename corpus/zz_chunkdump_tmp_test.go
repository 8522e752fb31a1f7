package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestZZChunkDumpTmp(t *testing.T) {
	out := os.Getenv("CHUNKDUMP")
	if out == "" {
		t.Skip()
	}
	var b strings.Builder
	lib := builtinLibrary(t)
	for _, d := range lib.Documents() {
		for _, c := range d.Chunks {
			fmt.Fprintf(&b, "%s|%s|%s|%s|%d\n%s\n", d.ID, c.ID, c.Label, strings.Join(c.Path, ">"), c.Ord, c.Text)
		}
	}
	// every text-ish fixture under testdata, cut raw
	filepath.Walk("testdata", func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		if !strings.HasSuffix(p, ".md") && !strings.HasSuffix(p, ".txt") {
			return nil
		}
		data, _ := os.ReadFile(p)
		for _, sz := range []ChunkSize{DefaultChunkSize, {Min: 10, Max: 40}, {Min: 2, Max: 6}} {
			d := Document{ID: p, Body: string(data)}
			for _, c := range Cut(&d, sz) {
				fmt.Fprintf(&b, "%s|%v|%s|%s|%s\n%s\n", p, sz, c.ID, c.Label, strings.Join(c.Path, ">"), c.Text)
			}
		}
		return nil
	})
	os.WriteFile(out, []byte(b.String()), 0o644)
}
