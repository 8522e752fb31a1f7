package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/retrieval"
)

// --- fakes -----------------------------------------------------------------

type askCall struct {
	Question string
	History  []string
}

type fakeAnswerer struct {
	answer answer.Result
	err    error
	panic  bool
	block  bool // wait for the context to end, then return its error

	mu    sync.Mutex
	calls []askCall
}

func (f *fakeAnswerer) Answer(ctx context.Context, question string, history []string) (answer.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, askCall{question, history})
	panics, block := f.panic, f.block
	f.mu.Unlock()
	switch {
	case panics:
		panic("answerer exploded")
	case block:
		<-ctx.Done()
		return answer.Result{}, fmt.Errorf("generate: %w", ctx.Err())
	case f.err != nil:
		return answer.Result{}, f.err
	}
	return f.answer, nil
}

func (f *fakeAnswerer) Calls() []askCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]askCall(nil), f.calls...)
}

type fakeSearcher struct {
	result retrieval.Result
	err    error

	mu      sync.Mutex
	queries []retrieval.Query
}

func (f *fakeSearcher) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	return f.result, f.err
}

type fakeLibrary struct{ docs []corpus.Document }

func (f fakeLibrary) Documents() []corpus.Document { return f.docs }

func (f fakeLibrary) Document(id string) (corpus.Document, bool) {
	for _, d := range f.docs {
		if d.ID == id {
			return d, true
		}
	}
	return corpus.Document{}, false
}

type markCall struct {
	ID      string
	Good    bool
	Comment string
}

type fakeJournal struct {
	appendErr error
	markErr   error

	mu      sync.Mutex
	entries []journal.Entry
	marks   []markCall
}

func (f *fakeJournal) Append(ctx context.Context, e journal.Entry) error {
	if f.appendErr != nil {
		return f.appendErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, e)
	return nil
}

func (f *fakeJournal) Mark(ctx context.Context, id string, good bool, comment string) error {
	if f.markErr != nil {
		return f.markErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.marks = append(f.marks, markCall{id, good, comment})
	return nil
}

func (f *fakeJournal) Entries() []journal.Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]journal.Entry(nil), f.entries...)
}

func (f *fakeJournal) Marks() []markCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]markCall(nil), f.marks...)
}

// --- test data -------------------------------------------------------------

const (
	testDocID  = "hb-2018-12"
	citedText  = "对年应纳税所得额低于100万元的小型微利企业，其所得减按50%计入应纳税所得额，按20%的税率缴纳企业所得税。"
	testAnswer = "符合条件的小型微利企业，所得减按50%计入应纳税所得额，按20%的税率缴纳企业所得税[1]。\n\n" +
		"来源：\n[1] 《关于进一步支持小微企业发展的若干措施》（冀政办字〔2018〕12号）第二条，2018年3月15日发布。" +
		"注意：该文件有效期至2020年12月31日，已过期，请以最新政策为准。"
)

// testDoc has filler clauses around the cited one so that the page has
// to scroll to show it.
func testDoc() corpus.Document {
	d := corpus.Document{
		ID:             testDocID,
		Title:          "关于进一步支持小微企业发展的若干措施",
		DocNo:          "冀政办字〔2018〕12号",
		Issuer:         "河北省人民政府办公厅",
		Domain:         "财税",
		Kind:           "policy",
		Issued:         "2018-03-15",
		EffectiveFrom:  "2018-03-15",
		EffectiveUntil: "2020-12-31",
		Source:         "builtin",
	}
	add := func(label, text string, path ...string) {
		d.Chunks = append(d.Chunks, corpus.Chunk{
			ID: fmt.Sprintf("c%02d", len(d.Chunks)), DocID: d.ID, Path: path, Label: label, Text: text, Ord: len(d.Chunks),
		})
	}
	add("第一条", "为贯彻落实国家支持小微企业发展的决策部署，制定本措施。", "第一章 总则")
	for i := range 25 {
		add(fmt.Sprintf("附%d", i+1), strings.Repeat("这是一段与问题无关的条款内容，用来让原文足够长。", 3), "第一章 总则")
	}
	add("第二条", citedText, "第二章 财税支持")
	add("第三条", "小微企业吸纳就业困难人员的，按规定给予社会保险补贴。", "第二章 财税支持")
	return d
}

func testCitation() answer.Citation {
	return answer.Citation{
		N: 1, DocID: testDocID, Title: "关于进一步支持小微企业发展的若干措施", DocNo: "冀政办字〔2018〕12号",
		Clause: "第二条", Issued: "2018-03-15", Expired: true, Text: citedText,
	}
}

func testResult() retrieval.Result {
	return retrieval.Result{
		Question: "研发费用加计扣除", Query: "研发费用 加计扣除", Found: true,
		Hits: []retrieval.Hit{{
			Rank: 1, Score: 0.82, DocID: testDocID, Title: "关于进一步支持小微企业发展的若干措施",
			DocNo: "冀政办字〔2018〕12号", Issuer: "河北省人民政府办公厅", Kind: "policy", Clause: "第二条", Text: citedText,
		}},
	}
}

type fixture struct {
	answerer *fakeAnswerer
	searcher *fakeSearcher
	journal  *fakeJournal
	srv      *Server
	logs     *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newFixture builds a server over fakes; noJournal leaves the journal nil.
func newFixture(opts Options, noJournal bool) *fixture {
	f := &fixture{
		answerer: &fakeAnswerer{answer: answer.Result{
			Text: testAnswer, Found: true, Query: "小微企业 税收优惠", Citations: []answer.Citation{testCitation()},
		}},
		searcher: &fakeSearcher{result: testResult()},
		journal:  &fakeJournal{},
		logs:     &syncBuffer{},
	}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var j recorder
	if !noJournal {
		j = f.journal
	}
	f.srv = NewServer(f.answerer, f.searcher, fakeLibrary{docs: []corpus.Document{testDoc()}}, j, opts, log)
	return f
}

type request struct {
	method  string
	path    string
	body    string
	header  map[string]string
	chunked bool // hide the length, so only the body reader can see the size
}

func (f *fixture) do(t *testing.T, rq request) *httptest.ResponseRecorder {
	t.Helper()
	method := rq.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(method, rq.path, body)
	if rq.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	if rq.chunked {
		r.ContentLength = -1
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w
}

func decodeBody[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode response %q: %v", w.Body.String(), err)
	}
	return v
}

func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, msg string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status: got %d, want %d (body %s)", w.Code, status, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type: got %q, want application/json", ct)
	}
	got := decodeBody[errorBody](t, w)
	if got.Error != msg {
		t.Errorf("error message: got %q, want %q", got.Error, msg)
	}
}

// --- tests -----------------------------------------------------------------

func TestAPI(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		noJournal bool
		req       request
		check     func(t *testing.T, f *fixture, w *httptest.ResponseRecorder)
	}{
		{
			name: "ask ok",
			req:  request{method: "POST", path: "/api/ask", body: `{"question":" 小微企业有什么税收优惠？ ","history":["我们是小微企业",""," "]}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				if w.Code != http.StatusOK {
					t.Fatalf("status: got %d, want 200 (%s)", w.Code, w.Body.String())
				}
				got := decodeBody[askResponse](t, w)
				if !reflect.DeepEqual(got.Result, f.answerer.answer) {
					t.Errorf("answer: got %+v, want %+v", got.Result, f.answerer.answer)
				}
				wantCall := []askCall{{"小微企业有什么税收优惠？", []string{"我们是小微企业"}}}
				if calls := f.answerer.Calls(); !reflect.DeepEqual(calls, wantCall) {
					t.Errorf("answerer calls: got %+v, want %+v", calls, wantCall)
				}
				entries := f.journal.Entries()
				if len(entries) != 1 {
					t.Fatalf("journal entries: got %d, want 1", len(entries))
				}
				e := entries[0]
				if got.ID == "" || got.ID != e.ID || !validID(got.ID) {
					t.Errorf("id: got %q, want the journal entry's %q", got.ID, e.ID)
				}
				if e.Channel != "web" || e.Question != "小微企业有什么税收优惠？" || e.Answer != testAnswer || !e.Found ||
					len(e.Citations) != 1 || e.Error != "" || e.Chat == "" || e.Time.IsZero() {
					t.Errorf("journal entry: got %+v", e)
				}
			},
		},
		{
			name: "ask keeps the contract's field names",
			req:  request{method: "POST", path: "/api/ask", body: `{"question":"税收优惠"}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				got := decodeBody[map[string]any](t, w)
				for _, k := range []string{"answer", "found", "query", "citations", "id"} {
					if _, ok := got[k]; !ok {
						t.Errorf("field %q: missing in %s", k, w.Body.String())
					}
				}
				c := got["citations"].([]any)[0].(map[string]any)
				for _, k := range []string{"n", "doc_id", "title", "doc_no", "clause", "issued", "expired", "text"} {
					if _, ok := c[k]; !ok {
						t.Errorf("citation field %q: missing", k)
					}
				}
			},
		},
		{
			name:      "ask without a journal has no id",
			noJournal: true,
			req:       request{method: "POST", path: "/api/ask", body: `{"question":"税收优惠"}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				got := decodeBody[askResponse](t, w)
				if w.Code != http.StatusOK || got.ID != "" || got.Text != testAnswer {
					t.Errorf("got %d %+v, want 200 with the answer and no id", w.Code, got)
				}
			},
		},
		{
			name: "retrieve ok",
			req:  request{method: "POST", path: "/api/retrieve", body: `{"question":"研发费用加计扣除","history":["a"],"k":3}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				if w.Code != http.StatusOK {
					t.Fatalf("status: got %d, want 200 (%s)", w.Code, w.Body.String())
				}
				if got, want := decodeBody[retrieval.Result](t, w), testResult(); !reflect.DeepEqual(got, want) {
					t.Errorf("result: got %+v, want %+v", got, want)
				}
				want := []retrieval.Query{{Question: "研发费用加计扣除", History: []string{"a"}, K: 3}}
				if got := f.searcher.queries; !reflect.DeepEqual(got, want) {
					t.Errorf("queries: got %+v, want %+v", got, want)
				}
			},
		},
		{
			name: "retrieve k out of range",
			req:  request{method: "POST", path: "/api/retrieve", body: `{"question":"研发","k":51}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusBadRequest, msgBadK)
			},
		},
		{
			name: "documents list",
			req:  request{path: "/api/documents"},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				got := decodeBody[[]map[string]any](t, w)
				want := []map[string]any{{
					"id": testDocID, "title": "关于进一步支持小微企业发展的若干措施", "doc_no": "冀政办字〔2018〕12号",
					"issuer": "河北省人民政府办公厅", "domain": "财税", "kind": "policy", "issued": "2018-03-15",
					"effective_from": "2018-03-15", "effective_until": "2020-12-31", "chunks": float64(len(testDoc().Chunks)),
				}}
				if w.Code != http.StatusOK || !reflect.DeepEqual(got, want) {
					t.Errorf("got %d %v, want 200 %v", w.Code, got, want)
				}
			},
		},
		{
			name: "document one",
			req:  request{path: "/api/documents/" + testDocID},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				got := decodeBody[docDetail](t, w)
				d := testDoc()
				if w.Code != http.StatusOK || got.ID != d.ID || got.DocNo != d.DocNo || got.EffectiveUntil != d.EffectiveUntil {
					t.Fatalf("got %d %+v, want 200 with the document's metadata", w.Code, got.docMeta)
				}
				if len(got.Chunks) != len(d.Chunks) {
					t.Fatalf("chunks: got %d, want %d", len(got.Chunks), len(d.Chunks))
				}
				last := got.Chunks[len(got.Chunks)-2]
				want := chunkJSON{ID: "c26", Label: "第二条", Path: []string{"第二章 财税支持"}, Text: citedText}
				if !reflect.DeepEqual(last, want) {
					t.Errorf("cited chunk: got %+v, want %+v", last, want)
				}
			},
		},
		{
			name: "document unknown",
			req:  request{path: "/api/documents/nope"},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusNotFound, msgNoDocument)
			},
		},
		{
			name: "feedback",
			req:  request{method: "POST", path: "/api/feedback", body: `{"id":"0123456789abcdef01234567","good":false,"comment":" 应引用第三条 "}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				if w.Code != http.StatusOK {
					t.Fatalf("status: got %d, want 200 (%s)", w.Code, w.Body.String())
				}
				want := []markCall{{"0123456789abcdef01234567", false, "应引用第三条"}}
				if got := f.journal.Marks(); !reflect.DeepEqual(got, want) {
					t.Errorf("marks: got %+v, want %+v", got, want)
				}
			},
		},
		{
			name: "feedback without good",
			req:  request{method: "POST", path: "/api/feedback", body: `{"id":"abc"}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusBadRequest, msgNoGood)
			},
		},
		{
			name: "feedback without id",
			req:  request{method: "POST", path: "/api/feedback", body: `{"good":true}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusBadRequest, msgNoID)
			},
		},
		{
			name: "feedback with a strange id",
			req:  request{method: "POST", path: "/api/feedback", body: `{"id":"../../etc/passwd","good":true}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusBadRequest, msgBadID)
			},
		},
		{
			name:      "feedback without a journal",
			noJournal: true,
			req:       request{method: "POST", path: "/api/feedback", body: `{"id":"abc","good":true}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusServiceUnavailable, msgNoJournal)
			},
		},
		{
			name: "bad JSON",
			req:  request{method: "POST", path: "/api/ask", body: `{"question":`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusBadRequest, msgBadJSON)
				if n := len(f.answerer.Calls()); n != 0 {
					t.Errorf("answerer calls: got %d, want 0", n)
				}
			},
		},
		{
			name: "two JSON values",
			req:  request{method: "POST", path: "/api/ask", body: `{"question":"a"}{"question":"b"}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusBadRequest, msgBadJSON)
			},
		},
		{
			name: "wrong JSON type",
			req:  request{method: "POST", path: "/api/ask", body: `{"question":42}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusBadRequest, msgBadJSON)
			},
		},
		{
			name: "empty question",
			req:  request{method: "POST", path: "/api/ask", body: `{"question":"  \n "}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusBadRequest, msgNoQuestion)
			},
		},
		{
			name: "empty question to retrieve",
			req:  request{method: "POST", path: "/api/retrieve", body: `{}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusBadRequest, msgNoQuestion)
			},
		},
		{
			name: "huge body with a length",
			opts: Options{MaxBodyBytes: 1024},
			req:  request{method: "POST", path: "/api/ask", body: `{"question":"` + strings.Repeat("长", 400) + `"}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusRequestEntityTooLarge, msgTooLarge)
			},
		},
		{
			name: "huge body without a length",
			opts: Options{MaxBodyBytes: 1024},
			req:  request{method: "POST", path: "/api/ask", body: `{"question":"` + strings.Repeat("长", 400) + `"}`, chunked: true},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusRequestEntityTooLarge, msgTooLarge)
				if n := len(f.answerer.Calls()); n != 0 {
					t.Errorf("answerer calls: got %d, want 0", n)
				}
			},
		},
		{
			name: "wrong method",
			req:  request{path: "/api/ask"},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusMethodNotAllowed, msgMethod)
				if got := w.Header().Get("Allow"); got != "POST" {
					t.Errorf("Allow: got %q, want POST", got)
				}
			},
		},
		{
			name: "wrong method on documents",
			req:  request{method: "DELETE", path: "/api/documents/" + testDocID},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusMethodNotAllowed, msgMethod)
				if got := w.Header().Get("Allow"); got != "GET, HEAD" {
					t.Errorf("Allow: got %q, want GET, HEAD", got)
				}
			},
		},
		{
			name: "unknown API",
			req:  request{path: "/api/nothing"},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusNotFound, msgNotFound)
			},
		},
		{
			name: "healthz",
			req:  request{path: "/healthz"},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				if w.Code != http.StatusOK || w.Body.String() != "ok" {
					t.Errorf("got %d %q, want 200 \"ok\"", w.Code, w.Body.String())
				}
			},
		},
		{
			name: "page",
			req:  request{path: "/"},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				body := w.Body.String()
				if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
					t.Fatalf("got %d %q, want 200 text/html", w.Code, w.Header().Get("Content-Type"))
				}
				for _, id := range []string{"question", "history", "ask", "draft", "sources", "doc-panel", "copy",
					"regenerate", "recent", "feedback-good", "feedback-bad", "feedback-comment"} {
					if !strings.Contains(body, `id="`+id+`"`) {
						t.Errorf("page: no element #%s", id)
					}
				}
				if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
					t.Errorf("page: refers to another site, but must work offline")
				}
				if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
					t.Errorf("CSP: got %q", csp)
				}
			},
		},
		{
			name: "script asset",
			req:  request{path: "/assets/app.js"},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Type"), "javascript") ||
					!strings.Contains(w.Body.String(), "copyDraft") {
					t.Errorf("got %d %q, want 200 with the script", w.Code, w.Header().Get("Content-Type"))
				}
			},
		},
		{
			name: "no directory listing",
			req:  request{path: "/assets/"},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				if w.Code != http.StatusNotFound {
					t.Errorf("status: got %d, want 404", w.Code)
				}
			},
		},
		{
			name: "unknown page",
			req:  request{path: "/secret.txt"},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				if w.Code != http.StatusNotFound {
					t.Errorf("status: got %d, want 404", w.Code)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(tt.opts, tt.noJournal)
			tt.check(t, f, f.do(t, tt.req))
		})
	}
}

func TestToken(t *testing.T) {
	const token = "s3cret-t0ken"
	f := newFixture(Options{Token: token}, false)

	// The cookie the ?token= link sets, for the cases that use it.
	w := f.do(t, request{path: "/?token=" + token + "&x=1"})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("?token= status: got %d, want 303", w.Code)
	}
	if got := w.Header().Get("Location"); got != "/?x=1" {
		t.Errorf("?token= redirect: got %q, want /?x=1 (token removed)", got)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != cookieName || !cookies[0].HttpOnly ||
		cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Path != "/" {
		t.Fatalf("?token= cookies: got %+v, want one HttpOnly SameSite=Strict cookie", cookies)
	}
	cookie := cookies[0].Name + "=" + cookies[0].Value

	tests := []struct {
		name   string
		req    request
		status int
	}{
		{"api without token", request{path: "/api/documents"}, http.StatusUnauthorized},
		{"api with wrong token", request{path: "/api/documents", header: map[string]string{"Authorization": "Bearer nope"}}, http.StatusUnauthorized},
		{"api with a prefix of the token", request{path: "/api/documents", header: map[string]string{"Authorization": "Bearer s3cret"}}, http.StatusUnauthorized},
		{"api with basic auth", request{path: "/api/documents", header: map[string]string{"Authorization": "Basic " + token}}, http.StatusUnauthorized},
		{"api with right token", request{path: "/api/documents", header: map[string]string{"Authorization": "Bearer " + token}}, http.StatusOK},
		{"api with lower-case scheme", request{path: "/api/documents", header: map[string]string{"Authorization": "bearer " + token}}, http.StatusOK},
		{"ask with right token", request{method: "POST", path: "/api/ask", body: `{"question":"税收"}`, header: map[string]string{"Authorization": "Bearer " + token}}, http.StatusOK},
		{"api with token query", request{path: "/api/documents?token=" + token}, http.StatusUnauthorized},
		{"api with cookie", request{path: "/api/documents", header: map[string]string{"Cookie": cookie}}, http.StatusOK},
		{"api with wrong cookie", request{path: "/api/documents", header: map[string]string{"Cookie": cookieName + "=nope"}}, http.StatusUnauthorized},
		{"page without token", request{path: "/"}, http.StatusUnauthorized},
		{"page with wrong token query", request{path: "/?token=nope"}, http.StatusUnauthorized},
		{"page with cookie", request{path: "/", header: map[string]string{"Cookie": cookie}}, http.StatusOK},
		{"page with cookie and token query", request{path: "/?token=" + token, header: map[string]string{"Cookie": cookie}}, http.StatusSeeOther},
		{"page with cookie and wrong token query", request{path: "/?token=nope", header: map[string]string{"Cookie": cookie}}, http.StatusUnauthorized},
		{"asset without token", request{path: "/assets/app.js"}, http.StatusUnauthorized},
		{"asset with cookie", request{path: "/assets/app.js", header: map[string]string{"Cookie": cookie}}, http.StatusOK},
		{"healthz without token", request{path: "/healthz"}, http.StatusOK},
		{"cross-site post with cookie", request{method: "POST", path: "/api/feedback", body: `{"id":"abc","good":true}`,
			header: map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden},
		{"same-origin post with cookie", request{method: "POST", path: "/api/feedback", body: `{"id":"abc","good":true}`,
			header: map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "same-origin"}}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(t, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status: got %d, want %d (%s)", w.Code, tt.status, w.Body.String())
			}
			if tt.status == http.StatusUnauthorized {
				if strings.Contains(w.Body.String(), token) {
					t.Errorf("body %q: contains the token", w.Body.String())
				}
				if w.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("WWW-Authenticate: missing")
				}
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.Local)
	// 6 a minute: a burst of one, then one every 10 s.
	f := newFixture(Options{RatePerMinute: 6, Now: func() time.Time { return now }}, false)
	ask := func(ip string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/api/ask", strings.NewReader(`{"question":"税收"}`))
		r.RemoteAddr = ip + ":5555"
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, r)
		return w
	}
	steps := []struct {
		name    string
		advance time.Duration
		ip      string
		status  int
	}{
		{"first", 0, "192.0.2.1", http.StatusOK},
		{"second at once", 0, "192.0.2.1", http.StatusTooManyRequests},
		{"another client", 0, "192.0.2.2", http.StatusOK},
		{"after 5 s", 5 * time.Second, "192.0.2.1", http.StatusTooManyRequests},
		{"after 10 s", 5 * time.Second, "192.0.2.1", http.StatusOK},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		w := ask(s.ip)
		if w.Code != s.status {
			t.Fatalf("%s: got %d, want %d", s.name, w.Code, s.status)
		}
		if s.status == http.StatusTooManyRequests {
			wantError(t, w, s.status, msgRate)
		}
	}
	if got := len(f.answerer.Calls()); got != 3 {
		t.Errorf("answerer calls: got %d, want 3 (limited requests must not reach it)", got)
	}
	// Reading documents is cheap and not limited.
	for i := range 3 {
		if w := f.do(t, request{path: "/api/documents"}); w.Code != http.StatusOK {
			t.Fatalf("documents %d: got %d, want 200", i, w.Code)
		}
	}
}

func TestLimiterIsBounded(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	l := newLimiter(6, 2) // burst 1, one token per 10 s, two clients
	if !l.allow("a", t0) || !l.allow("b", t0.Add(time.Second)) {
		t.Fatal("first requests: got denied, want allowed")
	}
	// At 10.5 s a has refilled, so it is the one to forget; b has not and
	// must keep its spent bucket.
	at := t0.Add(10*time.Second + 500*time.Millisecond)
	if !l.allow("c", at) {
		t.Fatal("c: got denied, want allowed")
	}
	if got := len(l.clients); got != 2 {
		t.Errorf("clients: got %d, want 2", got)
	}
	if _, ok := l.clients["a"]; ok {
		t.Errorf("a: got kept, want evicted (its bucket was full)")
	}
	if l.allow("b", at) {
		t.Errorf("b: got allowed, want still limited")
	}
	for i := range 100 {
		l.allow(fmt.Sprint("flood", i), at)
	}
	if got := len(l.clients); got > 2 {
		t.Errorf("clients after a flood: got %d, want at most 2", got)
	}
}

func TestAnswerFailure(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *fakeAnswerer)
		opts    Options
		status  int
		msg     string
		journal string // the error text the journal must hold
	}{
		{
			name:    "upstream error",
			setup:   func(f *fakeAnswerer) { f.err = errors.New("chat completion: 401 invalid api key sk-abc123") },
			status:  http.StatusBadGateway,
			msg:     msgAnswerFailed,
			journal: "chat completion: 401 invalid api key sk-abc123",
		},
		{
			name:    "timeout",
			setup:   func(f *fakeAnswerer) { f.block = true },
			opts:    Options{Timeout: time.Millisecond},
			status:  http.StatusGatewayTimeout,
			msg:     msgTimeout,
			journal: "generate: context deadline exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(tt.opts, false)
			tt.setup(f.answerer)
			w := f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":"税收"}`})
			wantError(t, w, tt.status, tt.msg)
			if strings.Contains(w.Body.String(), "sk-abc123") || strings.Contains(w.Body.String(), "deadline") {
				t.Errorf("body %q: leaks the cause", w.Body.String())
			}
			entries := f.journal.Entries()
			if len(entries) != 1 || entries[0].Error != tt.journal {
				t.Errorf("journal: got %+v, want one entry with error %q", entries, tt.journal)
			}
			if !strings.Contains(f.logs.String(), "level=") || !strings.Contains(f.logs.String(), tt.journal) {
				t.Errorf("log %q: want the cause %q", f.logs.String(), tt.journal)
			}
		})
	}
}

func TestSearchFailure(t *testing.T) {
	f := newFixture(Options{}, false)
	f.searcher.err = errors.New("embed query: connection refused to 10.0.0.5")
	w := f.do(t, request{method: "POST", path: "/api/retrieve", body: `{"question":"税收"}`})
	wantError(t, w, http.StatusBadGateway, msgSearchFailed)
	if strings.Contains(w.Body.String(), "10.0.0.5") {
		t.Errorf("body %q: leaks the cause", w.Body.String())
	}
}

func TestJournalFailures(t *testing.T) {
	f := newFixture(Options{}, false)
	f.journal.appendErr = errors.New("disk full")
	w := f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":"税收"}`})
	got := decodeBody[askResponse](t, w)
	if w.Code != http.StatusOK || got.Text != testAnswer || got.ID != "" {
		t.Errorf("ask with a broken journal: got %d %+v, want 200 with the answer and no id", w.Code, got)
	}
	if !strings.Contains(f.logs.String(), "disk full") {
		t.Errorf("log %q: want the journal error", f.logs.String())
	}

	f.journal.markErr = errors.New("disk full")
	w = f.do(t, request{method: "POST", path: "/api/feedback", body: `{"id":"abc","good":true}`})
	wantError(t, w, http.StatusInternalServerError, msgMarkFailed)
}

func TestPanicRecovered(t *testing.T) {
	f := newFixture(Options{}, false)
	f.answerer.panic = true
	ts := httptest.NewServer(f.srv)
	defer ts.Close()

	post := func() (*http.Response, []byte) {
		resp, err := ts.Client().Post(ts.URL+"/api/ask", "application/json", strings.NewReader(`{"question":"税收"}`))
		if err != nil {
			t.Fatalf("post ask: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := post()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status: got %d, want 500", resp.StatusCode)
	}
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error != msgInternal {
		t.Errorf("body: got %q, want the fixed message", body)
	}
	if !strings.Contains(f.logs.String(), "answerer exploded") {
		t.Errorf("log: want the panic value, got %q", f.logs.String())
	}

	f.answerer.mu.Lock()
	f.answerer.panic = false
	f.answerer.mu.Unlock()
	if resp, body := post(); resp.StatusCode != http.StatusOK {
		t.Errorf("next request: got %d %s, want 200", resp.StatusCode, body)
	}
}

func TestNewServerNilLogger(t *testing.T) {
	srv := NewServer(&fakeAnswerer{}, &fakeSearcher{}, fakeLibrary{}, nil, Options{}, nil)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest("GET", "/api/documents", nil))
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("documents of an empty library: got %d %q, want 200 []", w.Code, w.Body.String())
	}
}

// FuzzRequestBody checks that no body, however broken, gets past the
// decoder into a panic or an answer that is not JSON.
func FuzzRequestBody(f *testing.F) {
	for _, s := range []string{
		`{"question":"税收优惠","history":["a"]}`, `{"question":`, `[]`, `null`, `{"question":"a"} x`,
		`{"question":"\ud800"}`, `{"history":[1,2]}`, `{"question":"a","k":-1}`, "\xff\xfe", `{"id":"a","good":true}`,
	} {
		f.Add("/api/ask", s)
		f.Add("/api/retrieve", s)
		f.Add("/api/feedback", s)
	}
	fx := newFixture(Options{MaxBodyBytes: 4096, RatePerMinute: -1}, false)
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/api/ask", "/api/retrieve", "/api/feedback":
		default:
			t.Skip()
		}
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		w := httptest.NewRecorder()
		fx.srv.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("POST %s %q: got status %d, want 200, 400 or 413", path, body, w.Code)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("POST %s %q: response %q is not JSON", path, body, w.Body.String())
		}
	})
}
