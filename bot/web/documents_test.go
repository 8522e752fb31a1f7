package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/policybot/policybot/corpus"
)

// fakeShelf reads any name ending in .txt as a document (two, for a name
// starting with "compiled"), and refuses the rest as the corpus would.
type fakeShelf struct {
	added   []string
	removed []string
}

func (f *fakeShelf) Add(_ context.Context, name string, data []byte) ([]corpus.Document, error) {
	switch {
	case strings.HasSuffix(name, ".pdf"):
		return nil, fmt.Errorf("add document %s: %w: pdf has no text layer", name, corpus.ErrNoText)
	case !strings.HasSuffix(name, ".txt"):
		return nil, fmt.Errorf("add document %s: %w", name, corpus.ErrUnsupported)
	}
	f.added = append(f.added, name)
	docs := []corpus.Document{{ID: "new", Title: string(data), DocNo: "某财〔2024〕1号", EffectiveUntil: "2027-12-31"}}
	if strings.HasPrefix(name, "compiled") {
		docs = append(docs, corpus.Document{ID: "new-02", Title: "第二份", DocNo: "某财〔2024〕2号"})
	}
	return docs, nil
}

func (f *fakeShelf) Remove(_ context.Context, id string) error {
	if id == testDocID {
		f.removed = append(f.removed, id)
		return nil
	}
	return fmt.Errorf("remove document %s: %w", id, corpus.ErrNotAdded)
}

func TestDocumentsUpload(t *testing.T) {
	multipartBody := func(name, text string) (*bytes.Buffer, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(text))
		mw.Close()
		return &b, mw.FormDataContentType()
	}
	tests := []struct {
		name       string
		noShelf    bool
		file, text string
		status     int
		msg        string
		documents  int // the documents the reply lists, for a compilation
	}{
		{"added", false, "a.txt", "关于某事的通知", http.StatusOK, "", 0},
		{"compilation", false, "compiled.txt", "汇编", http.StatusOK, "某财〔2024〕2号", 2},
		{"no text layer", false, "scan.pdf", "x", http.StatusUnprocessableEntity, msgNoTextLayer, 0},
		{"unsupported", false, "sheet.xls", "x", http.StatusUnprocessableEntity, msgUnsupported, 0},
		{"hidden name", false, ".a.txt", "x", http.StatusBadRequest, msgBadUploadName, 0},
		{"too big", false, "big.txt", strings.Repeat("大", maxUpload/3+10), http.StatusRequestEntityTooLarge, msgUploadTooBig, 0},
		{"not enabled", true, "a.txt", "x", http.StatusServiceUnavailable, msgNoShelf, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shelf := &fakeShelf{}
			opts := Options{Documents: shelf}
			if tt.noShelf {
				opts.Documents = nil
			}
			srv := NewServer(nil, nil, fakeLibrary{docs: []corpus.Document{testDoc()}}, opts, nil)
			body, ct := multipartBody(tt.file, tt.text)
			req := localRequest(http.MethodPost, "/api/documents", body)
			req.Header.Set("Content-Type", ct)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.msg != "" && !strings.Contains(w.Body.String(), tt.msg) {
				t.Errorf("body %s, want %q", w.Body, tt.msg)
			}
			if tt.status == http.StatusOK && (len(shelf.added) != 1 || !strings.Contains(w.Body.String(), "某财〔2024〕1号")) {
				t.Errorf("added %v, body %s", shelf.added, w.Body)
			}
			var reply struct {
				Documents []docMeta `json:"documents"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &reply); err == nil && len(reply.Documents) != tt.documents {
				t.Errorf("the reply lists %d documents, want %d: %s", len(reply.Documents), tt.documents, w.Body)
			}
		})
	}
}

func TestDocumentsRemove(t *testing.T) {
	shelf := &fakeShelf{}
	added := testDoc()
	added.File = "data/corpus/a.txt"
	srv := NewServer(nil, nil, fakeLibrary{docs: []corpus.Document{added, {ID: "builtin-one"}}}, Options{Documents: shelf}, nil)
	for _, tt := range []struct {
		id     string
		status int
	}{
		{testDocID, http.StatusOK},
		{"builtin-one", http.StatusForbidden},
		{"nowhere", http.StatusNotFound},
	} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, localRequest(http.MethodDelete, "/api/documents/"+tt.id, nil))
		if w.Code != tt.status {
			t.Errorf("DELETE %s: status %d, want %d: %s", tt.id, w.Code, tt.status, w.Body)
		}
	}
	if len(shelf.removed) != 1 {
		t.Errorf("removed %v, want the one added document", shelf.removed)
	}
}

// Removing one document of a compilation removes its file: the reply
// lists every document that went with it.
func TestDocumentsRemoveCompilation(t *testing.T) {
	shelf := &fakeShelf{}
	one, two := testDoc(), corpus.Document{ID: "compiled-02", File: "data/corpus/huibian.txt"}
	one.File = two.File
	srv := NewServer(nil, nil, fakeLibrary{docs: []corpus.Document{one, two, {ID: "builtin-one"}}}, Options{Documents: shelf}, nil)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, localRequest(http.MethodDelete, "/api/documents/"+testDocID, nil))
	var reply struct {
		Removed   string   `json:"removed"`
		Documents []string `json:"documents"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &reply); err != nil || w.Code != http.StatusOK {
		t.Fatalf("status %d, body %s: %v", w.Code, w.Body, err)
	}
	if reply.Removed != testDocID || strings.Join(reply.Documents, " ") != testDocID+" compiled-02" {
		t.Errorf("reply %+v, want %s removed with compiled-02", reply, testDocID)
	}
}
