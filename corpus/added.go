package corpus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The documents an operator or a staff member adds while the bot runs are
// files in one folder (config's AddedDocuments), loaded like any corpus
// folder. Adding checks the file reads as a document first, so a damaged
// one is refused at once rather than skipped at the next load; the write
// is atomic, so a load never sees half a file.

// ErrNotAdded is Remove's error for a document that was not added this way
// (a built-in one, or one in a configured folder).
var ErrNotAdded = errors.New("document was not added to the corpus while the bot ran")

// Add checks that data, a file called name, reads as a document and puts
// it in dir, replacing a file of the same name. It returns the document
// as read, or a compilation's documents.
func Add(dir, name string, data []byte) ([]Document, error) {
	base := filepath.Base(name)
	if base == "." || base == string(filepath.Separator) || strings.HasPrefix(base, ".") {
		return nil, fmt.Errorf("add document: %q is no file name", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	docs, err := readDocument(ctx, base, data)
	if err != nil {
		return nil, fmt.Errorf("add document %s: %w", base, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("add document %s: %w", base, err)
	}
	tmp, err := os.CreateTemp(dir, ".add-*")
	if err != nil {
		return nil, fmt.Errorf("add document %s: %w", base, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("add document %s: %w", base, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("add document %s: %w", base, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("add document %s: %w", base, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, base)); err != nil {
		return nil, fmt.Errorf("add document %s: %w", base, err)
	}
	return docs, nil
}

// SameFile lists, of docs, the ids of those read from d's file, d's own
// first: more than one for a compilation, whose documents share its file
// and go with it when it is removed; none for a built-in document.
func SameFile(docs []Document, d Document) []string {
	if d.File == "" {
		return nil
	}
	ids := []string{d.ID}
	for _, o := range docs {
		if o.File == d.File && o.ID != d.ID {
			ids = append(ids, o.ID)
		}
	}
	return ids
}

// Remove deletes from dir the file of the document with the given id, as
// the library lib loaded it, and returns the file's path. The file of a
// compilation holds its other documents too: they go with it.
func Remove(lib *Library, dir, id string) (string, error) {
	d, ok := lib.Document(id)
	if !ok {
		return "", fmt.Errorf("remove document %s: no such document", id)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("remove document %s: %w", id, err)
	}
	src, err := filepath.Abs(d.File)
	if err != nil || d.File == "" || filepath.Dir(src) != abs {
		return "", fmt.Errorf("remove document %s: %w", id, ErrNotAdded)
	}
	if err := os.Remove(src); err != nil {
		return "", fmt.Errorf("remove document %s: %w", id, err)
	}
	return src, nil
}
