package wechat

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eatmoreapple/openwechat"
)

const (
	docWithJar  = `{"Jar":{"https://wx.qq.com":[{"Name":"wxsid","Value":"old"}]},"UUID":"u1"}`
	docEmptyJar = `{"Jar":{},"UUID":"u2"}`
	docNewJar   = `{"Jar":{"https://wx.qq.com":[{"Name":"wxsid","Value":"new"}]},"UUID":"u3"}`
)

func TestStorageReadMissingFileIsInvalidStorage(t *testing.T) {
	s := newStorage(filepath.Join(t.TempDir(), "none.json"))
	_, err := s.Read(make([]byte, 16))
	if !errors.Is(err, openwechat.ErrInvalidStorage) {
		t.Errorf("got error %v, want openwechat.ErrInvalidStorage", err)
	}
}

func TestStorageWrite(t *testing.T) {
	tests := []struct {
		name       string
		existing   string // file contents read first, or "" for none
		writes     []string
		wantUUID   string
		wantCookie string // wxsid in the saved jar, or "" for an empty jar
	}{
		{"empty jar after hot login keeps the cookies read", docWithJar, []string{docEmptyJar}, "u2", "old"},
		{"new cookies replace old ones", docWithJar, []string{docNewJar}, "u3", "new"},
		{"cookies written earlier are kept too", "", []string{docNewJar, docEmptyJar}, "u2", "new"},
		{"nothing to keep", "", []string{docEmptyJar}, "u2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "storage.json")
			s := newStorage(path)
			if tt.existing != "" {
				if err := os.WriteFile(path, []byte(tt.existing), 0o600); err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(s)
				if err != nil || string(got) != tt.existing {
					t.Fatalf("read: got %q, %v; want %q", got, err, tt.existing)
				}
			}
			for _, w := range tt.writes {
				n, err := s.Write([]byte(w + "\n")) // as json.Encoder writes it
				if err != nil || n != len(w)+1 {
					t.Fatalf("write %s: got %d, %v; want %d, nil", w, n, err, len(w)+1)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var item openwechat.HotReloadStorageItem
			if err := json.Unmarshal(b, &item); err != nil {
				t.Fatalf("saved file %q does not decode: %v", b, err)
			}
			if item.UUID != tt.wantUUID {
				t.Errorf("got UUID %q, want %q", item.UUID, tt.wantUUID)
			}
			if got := savedCookie(t, b); got != tt.wantCookie {
				t.Errorf("got wxsid %q in the saved jar, want %q", got, tt.wantCookie)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("got mode %v, want 0600", perm)
			}
			if left, _ := filepath.Glob(path + ".*.tmp"); len(left) != 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
}

func TestStorageWriteRejectsNonJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "storage.json")
	if _, err := newStorage(path).Write([]byte("not json")); err == nil {
		t.Error("got nil error, want one for a non-JSON document")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got stat error %v, want the file not written", err)
	}
}

// savedCookie returns the wxsid cookie of the fake's domain in a storage
// document.
func savedCookie(t *testing.T, doc []byte) string {
	t.Helper()
	var d struct {
		Jar map[string][]struct{ Name, Value string }
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("decode storage %q: %v", doc, err)
	}
	for host, cookies := range d.Jar {
		if !strings.HasSuffix(host, "wx.qq.com") {
			continue
		}
		for _, c := range cookies {
			if c.Name == "wxsid" {
				return c.Value
			}
		}
	}
	return ""
}

func FuzzStorageWrite(f *testing.F) {
	for _, s := range []string{docWithJar, docEmptyJar, docNewJar, `{}`, `{"Jar":null}`, `{"Jar":[]}`, `[]`, `x`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		path := filepath.Join(t.TempDir(), "storage.json")
		s := newStorage(path)
		if _, err := s.Write([]byte(docWithJar)); err != nil {
			t.Fatalf("seed write: %v", err)
		}
		if _, err := s.Write([]byte(doc)); err != nil {
			return // rejected documents leave the file as it was
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("saved %q for input %q: not a JSON object: %v", b, doc, err)
		}
		if emptyJar(m["Jar"]) {
			t.Errorf("saved %q for input %q: lost the cookies written before", b, doc)
		}
	})
}
