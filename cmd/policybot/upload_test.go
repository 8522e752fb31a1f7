package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeAddsDocuments adds a document to a running serve through the
// console's upload, asks about it, replaces it and asks again: the index
// follows without a restart, and the record names the corpus version
// that answered each time.
func TestServeAddsDocuments(t *testing.T) {
	dataDir := t.TempDir()
	// The shared index's vectors spare this test the embedding of the
	// built-in corpus.
	if err := os.CopyFS(filepath.Join(dataDir, "index"), os.DirFS(filepath.Join(indexedDataDir, "index"))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &listenWatcher{addr: make(chan string, 1)}
	done := make(chan error, 1)
	noEnv := func(string) string { return "" }
	go func() {
		done <- run(ctx, []string{"--data-dir", dataDir, "serve", "--listen", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, stderr, noEnv)
	}()
	var addr string
	select {
	case addr = <-stderr.addr:
	case err := <-done:
		t.Fatalf("serve returned %v before listening; stderr:\n%s", err, stderr.String())
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	upload := func(name, text string) map[string]any {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, text)
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/documents", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", "http://"+addr)
		return call(t, client, req, http.StatusOK)
	}
	ask := func(q string) map[string]any {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"question": q})
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/ask", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "http://"+addr)
		return call(t, client, req, http.StatusOK)
	}
	const q = "新能源汽车零部件企业新建生产线能补助多少？"
	before := ask(q)

	doc := upload("ev-parts.txt", "关于支持新能源汽车零部件企业的若干措施\n某工信〔2024〕8号\n一、对新能源汽车零部件企业新建生产线，按设备投资额的10%给予补助，最高500万元。\n二、本措施自2024年1月1日起施行，有效期至2027年12月31日。\n")
	if doc["doc_no"] != "某工信〔2024〕8号" || doc["effective_until"] != "2027-12-31" {
		t.Fatalf("uploaded document read as %v", doc)
	}
	added := ask(q)
	if !strings.Contains(added["answer"].(string), "10%") || !strings.Contains(added["answer"].(string), "某工信〔2024〕8号") {
		t.Fatalf("after the upload the answer does not cite it:\n%s", added["answer"])
	}
	if added["corpus_version"] == before["corpus_version"] || added["corpus_version"] == "" {
		t.Errorf("corpus version %v after the upload, %v before; want a new one", added["corpus_version"], before["corpus_version"])
	}

	upload("ev-parts.txt", "关于支持新能源汽车零部件企业的若干措施\n某工信〔2024〕8号\n一、对新能源汽车零部件企业新建生产线，按设备投资额的15%给予补助，最高800万元。\n二、本措施自2024年1月1日起施行，有效期至2027年12月31日。\n")
	replaced := ask(q)
	if a := replaced["answer"].(string); !strings.Contains(a, "15%") || strings.Contains(a, "10%") {
		t.Fatalf("after replacing, the answer is not the new text:\n%s", a)
	}

	bad := func() {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "scan.pdf")
		fw.Write([]byte("%PDF-1.4 truncated"))
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/documents", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", "http://"+addr)
		call(t, client, req, http.StatusUnprocessableEntity)
	}
	bad()

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v; stderr:\n%s", err, stderr.String())
	}
	records, err := os.ReadDir(filepath.Join(dataDir, "qa"))
	if err != nil || len(records) == 0 {
		t.Fatalf("no Q&A record: %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(dataDir, "qa", records[0].Name()))
	if !strings.Contains(string(data), `"corpus_version":"`+replaced["corpus_version"].(string)+`"`) {
		t.Errorf("the record does not name the corpus version that answered")
	}
}

// call sends req and decodes the JSON reply, which must have the status
// given.
func call(t *testing.T, c *http.Client, req *http.Request, status int) map[string]any {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, status, b)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %v: %s", req.Method, req.URL.Path, err, b)
	}
	return out
}
