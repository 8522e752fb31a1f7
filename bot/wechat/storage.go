package wechat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/eatmoreapple/openwechat"
)

// storage is the hot-login file, in place of the library's own
// NewFileHotReloadStorage, for three reasons:
//
//   - After a hot login the library saves an empty cookie jar: its
//     Jar.UnmarshalJSON does not rebuild the host index that MarshalJSON
//     walks. Unless WeChat happens to set a cookie during the session, the
//     next start would hot-login without cookies. storage keeps the last
//     non-empty jar instead.
//   - The library truncates and rewrites the file in place after every
//     sync, so a crash can leave it half written; storage replaces it
//     atomically.
//   - The library creates it world-readable; it holds session cookies.
//
// The library reads it once per login and writes one JSON document per
// Write, from the login and then the receive goroutine.
type storage struct {
	path string

	mu     sync.Mutex
	reader *bytes.Reader   // the file as read at the first Read
	jar    json.RawMessage // the last non-empty jar read or written
}

func newStorage(path string) *storage { return &storage{path: path} }

// Read implements io.Reader over the file's contents. A missing file is
// openwechat.ErrInvalidStorage, which the library's retry option takes as
// "log in with a QR code".
func (s *storage) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reader == nil {
		b, err := os.ReadFile(s.path)
		if errors.Is(err, fs.ErrNotExist) {
			return 0, openwechat.ErrInvalidStorage
		}
		if err != nil {
			return 0, fmt.Errorf("read wechat storage: %w", err)
		}
		if jar := jarOf(b); !emptyJar(jar) {
			s.jar = jar
		}
		s.reader = bytes.NewReader(b)
	}
	return s.reader.Read(p)
}

// Write replaces the file with the document in p, keeping the previous
// cookie jar if p's is empty.
func (s *storage) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(p, &doc); err != nil {
		return 0, fmt.Errorf("decode wechat storage: %w", err)
	}
	if doc == nil { // "null" decodes without error
		return 0, errors.New("decode wechat storage: not a JSON object")
	}
	out := p
	if jar := doc["Jar"]; !emptyJar(jar) {
		s.jar = jar
	} else if s.jar != nil {
		doc["Jar"] = s.jar
		b, err := json.Marshal(doc)
		if err != nil {
			return 0, fmt.Errorf("encode wechat storage: %w", err)
		}
		out = b
	}
	if err := writeFileAtomic(s.path, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// jarOf returns the Jar member of a storage document, or nil.
func jarOf(doc []byte) json.RawMessage {
	var d struct{ Jar json.RawMessage }
	if json.Unmarshal(doc, &d) != nil {
		return nil
	}
	return d.Jar
}

// emptyJar reports whether a serialised jar holds no cookies.
func emptyJar(jar json.RawMessage) bool {
	var m map[string][]json.RawMessage
	if json.Unmarshal(jar, &m) != nil {
		return true
	}
	for _, cookies := range m {
		if len(cookies) > 0 {
			return false
		}
	}
	return true
}

// writeFileAtomic writes b to a private temporary file next to path and
// renames it over path.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write wechat storage: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp) // best effort; the error below is what matters
		return fmt.Errorf("write wechat storage: %w", err)
	}
	return nil
}
