package retrieval

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// storeVersion changes when the file layout does; an old file is rebuilt.
const storeVersion = 1

// store is the persisted form of an index's embeddings: one file per
// embedding model, vectors keyed by a hash of the text that was embedded,
// so a changed chunk is re-embedded and an unchanged one never is.
type store struct {
	Version int
	Model   string
	Vectors map[string][]float32
}

func textKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

func storePath(dir, model string) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, model)
	return filepath.Join(dir, "embeddings-"+safe+".gob")
}

// loadOrEmbed returns a vector per entry, reusing persisted ones and
// embedding (and then persisting) only the rest.
func loadOrEmbed(ctx context.Context, dir string, emb Embedder, entries []entry, progress func(done, total int), log *slog.Logger) ([][]float32, error) {
	cached := map[string][]float32{}
	path := ""
	if dir != "" {
		path = storePath(dir, emb.Model())
		s, err := readStore(path)
		switch {
		case err == nil && s.Version == storeVersion && s.Model == emb.Model():
			cached = s.Vectors
		case err == nil:
			log.Info("embedding store is for another model or version; rebuilding", "file", path)
		case !os.IsNotExist(err):
			// A damaged file costs a re-embedding, never the service.
			log.Warn("embedding store unreadable; rebuilding", "file", path, "err", err)
		}
	}
	out := make([][]float32, len(entries))
	var missing []int
	for i, e := range entries {
		if v, ok := cached[textKey(e.text)]; ok {
			out[i] = v
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		texts := make([]string, len(missing))
		for j, i := range missing {
			texts[j] = entries[i].text
		}
		vecs, err := emb.Embed(ctx, texts, progress)
		if err != nil {
			return nil, fmt.Errorf("embed %d chunks with %s: %w", len(texts), emb.Model(), err)
		}
		if len(vecs) != len(texts) {
			return nil, fmt.Errorf("embed %d chunks with %s: got %d vectors", len(texts), emb.Model(), len(vecs))
		}
		for j, i := range missing {
			out[i] = normalize32(vecs[j])
		}
		log.Info("embedded chunks", "model", emb.Model(), "new", len(missing), "reused", len(entries)-len(missing))
	}
	dims := len(out[0])
	for i, v := range out {
		if len(v) != dims {
			return nil, fmt.Errorf("embed chunk %s: %d dimensions, want %d", entries[i].chunk.ID, len(v), dims)
		}
	}
	if path != "" && len(missing) > 0 {
		s := store{Version: storeVersion, Model: emb.Model(), Vectors: make(map[string][]float32, len(entries))}
		for i, e := range entries {
			s.Vectors[textKey(e.text)] = out[i]
		}
		if err := writeStore(path, s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readStore(path string) (store, error) {
	var s store
	err := readGob(path, &s)
	return s, err
}

func readGob(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// writeStore persists the embeddings store (see writeAtomic).
func writeStore(path string, s store) error { return writeGob(path, s) }

// writeGob writes s as gob, atomically.
func writeGob(path string, s any) error {
	err := writeAtomic(path, func(w io.Writer) error { return gob.NewEncoder(w).Encode(s) })
	if err != nil {
		return fmt.Errorf("persist embeddings: %w", err)
	}
	return nil
}

// writeAtomic writes a file through write into a temporary file in the
// same folder, syncs it and renames it over path, so that a crash
// mid-write leaves the previous file intact.
func writeAtomic(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	if err := write(w); err != nil {
		tmp.Close()
		return fmt.Errorf("encode: %w", err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	return nil
}
