package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadLeavesValidationToTheCaller: a file that is only valid once a
// command-line flag adds a corpus folder must read, and Load must refuse
// it as it stands.
func TestReadLeavesValidationToTheCaller(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("corpus:\n  builtin: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Read(path, nil)
	if err != nil {
		t.Fatalf("Read: got %v, want no error", err)
	}
	if _, err := Load(path, nil); err == nil || !strings.Contains(err.Error(), "corpus.dirs") {
		t.Fatalf("Load: got %v, want an error naming corpus.dirs", err)
	}
	c.Corpus.Dirs = []string{"./docs"}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate with a folder: got %v, want nil", err)
	}
}
