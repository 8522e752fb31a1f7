package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/chat"
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

// AnswerStream is what chat.Conversations calls; the console never
// streams, so onDelta is ignored.
func (f *fakeAnswerer) AnswerStream(ctx context.Context, question string, history []string, onDelta func(string)) (answer.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, askCall{question, history})
	panics, block, err, a := f.panic, f.block, f.err, f.answer
	f.mu.Unlock()
	switch {
	case panics:
		panic("answerer exploded")
	case block:
		<-ctx.Done()
		return answer.Result{}, fmt.Errorf("generate: %w", ctx.Err())
	case err != nil:
		return answer.Result{}, err
	}
	return a, nil
}

func (f *fakeAnswerer) Calls() []askCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]askCall(nil), f.calls...)
}

type fakeSearcher struct {
	result retrieval.Result
	err    error
	panic  bool

	mu      sync.Mutex
	queries []retrieval.Query
}

func (f *fakeSearcher) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	f.mu.Lock()
	f.queries = append(f.queries, q)
	panics := f.panic
	f.mu.Unlock()
	if panics {
		panic("searcher exploded")
	}
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
		Validity: corpus.Validity{Status: corpus.StatusExpired, Until: "2020-12-31"},
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
	answerer   *fakeAnswerer
	searcher   *fakeSearcher
	library    *fakeLibrary   // testDoc() alone; a test may set others before its first request
	journal    *journal.Files // nil when no record is kept
	journalDir string
	srv        *Server
	logs       *syncBuffer
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

// The limits of the chat.Conversations the fixtures ask through.
const (
	testHistoryTurns  = 3
	testMaxInputChars = 500
)

// newFixture builds a server over a real chat.Conversations and a real
// Q&A record in a temporary directory, with a fake answerer, searcher and
// library; noJournal keeps no record.
func newFixture(t testing.TB, opts Options, noJournal bool) *fixture {
	t.Helper()
	return newChatFixture(t, opts, chat.Options{}, noJournal)
}

// newChatFixture is newFixture with chat options: its zero fields get the
// fixture's limits, the record and the "web" channel.
func newChatFixture(t testing.TB, opts Options, co chat.Options, noJournal bool) *fixture {
	t.Helper()
	f := &fixture{
		answerer: &fakeAnswerer{answer: answer.Result{
			Text: testAnswer, Found: true, Query: "小微企业 税收优惠", Citations: []answer.Citation{testCitation()},
		}},
		searcher: &fakeSearcher{result: testResult()},
		library:  &fakeLibrary{docs: []corpus.Document{testDoc()}},
		logs:     &syncBuffer{},
	}
	if !noJournal {
		f.journalDir = t.TempDir()
		j, err := journal.Open(f.journalDir, 0, nil)
		if err != nil {
			t.Fatalf("open journal: %v", err)
		}
		t.Cleanup(func() { _ = j.Close() })
		f.journal, co.Journal = j, j
	}
	if co.HistoryTurns == 0 {
		co.HistoryTurns = testHistoryTurns
	}
	if co.MaxInputChars == 0 {
		co.MaxInputChars = testMaxInputChars
	}
	if co.Channel == "" {
		co.Channel = "web"
	}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	conv := chat.New(f.answerer, co, log)
	f.srv = NewServer(conv, f.searcher, f.library, opts, log)
	return f
}

// entries reads the Q&A record back.
func (f *fixture) entries(t testing.TB) []journal.Entry {
	t.Helper()
	if f.journal == nil {
		return nil
	}
	es, err := f.journal.Entries(context.Background(), time.Time{})
	if err != nil {
		t.Fatalf("read journal entries: %v", err)
	}
	return es
}

// markCall is a journal.Mark without its time, for comparing.
type markCall struct {
	Ref     string
	Good    bool
	Comment string
}

// marks reads the staff's marks back from the Q&A record.
func (f *fixture) marks(t testing.TB) []markCall {
	t.Helper()
	if f.journal == nil {
		return nil
	}
	ms, err := f.journal.Marks(context.Background(), time.Time{})
	if err != nil {
		t.Fatalf("read journal marks: %v", err)
	}
	var out []markCall
	for _, m := range ms {
		if m.Time.IsZero() {
			t.Errorf("mark %+v: no time", m)
		}
		out = append(out, markCall{m.Ref, m.Good, m.Comment})
	}
	return out
}

// journalText is everything the Q&A record holds on disk.
func (f *fixture) journalText(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	files, err := filepath.Glob(filepath.Join(f.journalDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("read journal file: %v", err)
		}
		b.Write(data)
	}
	return b.String()
}

type request struct {
	method  string
	path    string
	body    string
	header  map[string]string // "Host" sets the request's host
	remote  string            // the peer's address; empty: httptest's 192.0.2.1:1234
	chunked bool              // hide the length, so only the body reader can see the size
}

// localRequest is httptest.NewRequest addressed to localhost, as a
// browser on the machine addresses the console: a console without a
// token refuses other hosts.
func localRequest(method, target string, body io.Reader) *http.Request {
	r := httptest.NewRequest(method, target, body)
	r.Host = "localhost"
	return r
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
	r := localRequest(method, rq.path, body)
	if rq.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	if h := rq.header["Host"]; h != "" {
		r.Host = h
	}
	if rq.remote != "" {
		r.RemoteAddr = rq.remote
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
	long := func(n int) string { return strings.Repeat("长", n) }
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
				entries := f.entries(t)
				if len(entries) != 1 {
					t.Fatalf("journal entries: got %d, want 1", len(entries))
				}
				e := entries[0]
				if got.ID == "" || got.ID != e.ID || !validID(got.ID) {
					t.Errorf("id: got %q, want the journal entry's %q", got.ID, e.ID)
				}
				if e.Channel != "web" || e.Question != "小微企业有什么税收优惠？" || e.Answer != testAnswer || !e.Found ||
					len(e.Citations) != 1 || e.Error != "" || e.Time.IsZero() ||
					!reflect.DeepEqual(e.History, []string{"我们是小微企业"}) {
					t.Errorf("journal entry: got %+v", e)
				}
				// httptest's client is 192.0.2.1: the record keeps only a
				// hash of (the console's hash of) it.
				if want := journal.ChatHash(journal.ChatHash("192.0.2.1")); e.Chat != want {
					t.Errorf("journal chat: got %q, want %q", e.Chat, want)
				}
				if text := f.journalText(t); strings.Contains(text, "192.0.2.1") {
					t.Errorf("journal holds the client's address: %s", text)
				}
			},
		},
		{
			name: "ask at the length limit",
			req:  request{method: "POST", path: "/api/ask", body: `{"question":"` + long(testMaxInputChars) + `"}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				if w.Code != http.StatusOK {
					t.Fatalf("status: got %d, want 200 (%s)", w.Code, w.Body.String())
				}
				if n := len(f.answerer.Calls()); n != 1 {
					t.Errorf("answerer calls: got %d, want 1", n)
				}
			},
		},
		{
			name: "ask over the length limit",
			req:  request{method: "POST", path: "/api/ask", body: `{"question":" ` + long(testMaxInputChars+1) + ` "}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusRequestEntityTooLarge, "问题太长（501 字），请精简到 500 字以内再试。")
				if n := len(f.answerer.Calls()); n != 0 {
					t.Errorf("answerer calls: got %d, want 0", n)
				}
				if es := f.entries(t); len(es) != 0 {
					t.Errorf("journal entries: got %+v, want none", es)
				}
			},
		},
		{
			name: "ask cuts a long history to the last turns",
			req: request{method: "POST", path: "/api/ask",
				body: `{"question":"那申请条件呢？","history":["一","二"," ","三","四","五"]}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				if w.Code != http.StatusOK {
					t.Fatalf("status: got %d, want 200 (%s)", w.Code, w.Body.String())
				}
				want := []askCall{{"那申请条件呢？", []string{"三", "四", "五"}}}
				if got := f.answerer.Calls(); !reflect.DeepEqual(got, want) {
					t.Errorf("answerer calls: got %+v, want %+v", got, want)
				}
				if es := f.entries(t); len(es) != 1 || !reflect.DeepEqual(es[0].History, want[0].History) {
					t.Errorf("journal entries: got %+v, want one with history %q", es, want[0].History)
				}
			},
		},
		{
			name: "ask cuts a long history message",
			req: request{method: "POST", path: "/api/ask",
				body: `{"question":"补贴","history":["` + long(testMaxInputChars+20) + `"]}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				want := []askCall{{"补贴", []string{long(testMaxInputChars)}}}
				if got := f.answerer.Calls(); w.Code != http.StatusOK || !reflect.DeepEqual(got, want) {
					t.Errorf("got %d and calls %+v, want 200 and the message cut to %d characters", w.Code, got, testMaxInputChars)
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
			// A well-formed id of an answer this server did not give.
			name: "feedback on an unknown answer",
			req:  request{method: "POST", path: "/api/feedback", body: `{"id":"0123456789abcdef01234567","good":false,"comment":" 应引用第三条 "}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusNotFound, msgUnknownAnswer)
				if got := f.marks(t); len(got) != 0 {
					t.Errorf("marks: got %+v, want none", got)
				}
			},
		},
		{
			name: "scope",
			opts: Options{Scope: "我能查询的是《测试汇编》：省级政策，发布于2015—2016年。"},
			req:  request{path: "/api/scope"},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				got := decodeBody[map[string]any](t, w)
				want := map[string]any{"scope": "我能查询的是《测试汇编》：省级政策，发布于2015—2016年。"}
				if w.Code != http.StatusOK || !reflect.DeepEqual(got, want) {
					t.Errorf("got %d %v, want 200 %v", w.Code, got, want)
				}
			},
		},
		{
			name: "scope unknown",
			req:  request{path: "/api/scope"},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				if got := decodeBody[map[string]any](t, w); w.Code != http.StatusOK || got["scope"] != "" {
					t.Errorf("got %d %v, want 200 with an empty scope", w.Code, got)
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
			// Without a record no answer has an id, so none can be marked.
			name:      "feedback without a journal",
			noJournal: true,
			req:       request{method: "POST", path: "/api/feedback", body: `{"id":"abc","good":true}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusNotFound, msgUnknownAnswer)
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
			req:  request{method: "POST", path: "/api/ask", body: `{"question":"  \n ","history":["一"]}`},
			check: func(t *testing.T, f *fixture, w *httptest.ResponseRecorder) {
				wantError(t, w, http.StatusBadRequest, msgNoQuestion)
				if n := len(f.answerer.Calls()); n != 0 {
					t.Errorf("answerer calls: got %d, want 0", n)
				}
				if es := f.entries(t); len(es) != 0 {
					t.Errorf("journal entries: got %+v, want none", es)
				}
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
			req:  request{method: "PUT", path: "/api/documents/" + testDocID},
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
				if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"status":"ok","parts":{}}` {
					t.Errorf("got %d %q, want 200 with status ok and no parts", w.Code, w.Body.String())
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
			f := newFixture(t, tt.opts, tt.noJournal)
			tt.check(t, f, f.do(t, tt.req))
		})
	}
}

func TestToken(t *testing.T) {
	const token = "s3cret-t0ken-0123456789"
	f := newFixture(t, Options{Token: token}, false)

	// The session the ?token= link opens, for the cases that use it.
	w := f.do(t, request{path: "/?token=" + token + "&x=1"})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("?token= status: got %d, want 303", w.Code)
	}
	if got := w.Header().Get("Location"); got != "/?x=1" {
		t.Errorf("?token= redirect: got %q, want /?x=1 (token removed)", got)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != sessionCookie || !cookies[0].HttpOnly ||
		cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Path != "/" || cookies[0].Secure {
		t.Fatalf("?token= cookies: got %+v, want one HttpOnly SameSite=Strict session cookie, not Secure on plain HTTP", cookies)
	}
	if v := cookies[0].Value; strings.Contains(v, token) || len(v) < 40 {
		t.Fatalf("session cookie %q: want a long random id, not the token", v)
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
		{"api with session", request{path: "/api/documents", header: map[string]string{"Cookie": cookie}}, http.StatusOK},
		{"api with session behind a proxy's basic auth", request{path: "/api/documents", header: map[string]string{"Cookie": cookie, "Authorization": "Basic dXNlcjpwYXNz"}}, http.StatusOK},
		{"api with unknown session", request{path: "/api/documents", header: map[string]string{"Cookie": sessionCookie + "=nope"}}, http.StatusUnauthorized},
		{"api with the token as session", request{path: "/api/documents", header: map[string]string{"Cookie": sessionCookie + "=" + token}}, http.StatusUnauthorized},
		{"api with the old token cookie", request{path: "/api/documents", header: map[string]string{"Cookie": legacyCookie + "=" + token}}, http.StatusUnauthorized},
		{"page without token", request{path: "/"}, http.StatusUnauthorized},
		{"page with wrong token query", request{path: "/?token=nope"}, http.StatusUnauthorized},
		{"page with session", request{path: "/", header: map[string]string{"Cookie": cookie}}, http.StatusOK},
		{"page with session and token query", request{path: "/?token=" + token, header: map[string]string{"Cookie": cookie}}, http.StatusSeeOther},
		{"page with session and wrong token query", request{path: "/?token=nope", header: map[string]string{"Cookie": cookie}}, http.StatusUnauthorized},
		{"asset without token", request{path: "/assets/app.js"}, http.StatusUnauthorized},
		{"asset with session", request{path: "/assets/app.js", header: map[string]string{"Cookie": cookie}}, http.StatusOK},
		{"healthz without token", request{path: "/healthz"}, http.StatusOK},
		{"foreign host with the token", request{path: "/api/documents", header: map[string]string{"Authorization": "Bearer " + token, "Host": "policy.example.org"}}, http.StatusOK},
		{"cross-site post with session", request{method: "POST", path: "/api/feedback", body: `{"id":"abc","good":true}`,
			header: map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden},
		// Past authentication, the id is refused: this server gave none.
		{"same-origin post with session", request{method: "POST", path: "/api/feedback", body: `{"id":"abc","good":true}`,
			header: map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "same-origin"}}, http.StatusNotFound},
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
	if logs := f.logs.String(); strings.Contains(logs, token) || strings.Contains(logs, "nope") {
		t.Errorf("log holds a token:\n%s", logs)
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.Local)
	// 6 a minute: a burst of one, then one every 10 s.
	f := newFixture(t, Options{RatePerMinute: 6, Now: func() time.Time { return now }}, false)
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
		w := postFrom(f, "/api/ask", s.ip)
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
		name   string
		setup  func(f *fakeAnswerer)
		opts   Options
		chat   chat.Options
		status int
		msg    string
		cause  string // what the log and the journal entry's error must hold
	}{
		{
			name:   "upstream error",
			setup:  func(f *fakeAnswerer) { f.err = errors.New("chat completion: 401 invalid api key sk-abc123") },
			status: http.StatusBadGateway,
			msg:    msgAnswerFailed,
			cause:  "chat completion: 401 invalid api key sk-abc123",
		},
		{
			name:   "empty answer",
			setup:  func(f *fakeAnswerer) { f.answer = answer.Result{Text: " "} },
			status: http.StatusBadGateway,
			msg:    msgAnswerFailed,
			cause:  "empty answer",
		},
		{
			name:   "answerer panics",
			setup:  func(f *fakeAnswerer) { f.panic = true },
			status: http.StatusBadGateway,
			msg:    msgAnswerFailed,
			cause:  "answerer exploded",
		},
		{
			name:   "timeout",
			setup:  func(f *fakeAnswerer) { f.block = true },
			opts:   Options{Timeout: time.Millisecond},
			status: http.StatusGatewayTimeout,
			msg:    msgTimeout,
			cause:  "context deadline exceeded",
		},
		{
			name:   "the chat's own timeout",
			setup:  func(f *fakeAnswerer) { f.block = true },
			chat:   chat.Options{AnswerTimeout: time.Millisecond},
			status: http.StatusGatewayTimeout,
			msg:    msgTimeout,
			cause:  "context deadline exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newChatFixture(t, tt.opts, tt.chat, false)
			tt.setup(f.answerer)
			w := f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":"税收"}`})
			wantError(t, w, tt.status, tt.msg)
			for _, leak := range []string{"sk-abc123", "deadline", "exploded", "empty answer"} {
				if strings.Contains(w.Body.String(), leak) {
					t.Errorf("body %q: leaks the cause", w.Body.String())
				}
			}
			entries := f.entries(t)
			if len(entries) != 1 || !strings.Contains(entries[0].Error, tt.cause) {
				t.Errorf("journal: got %+v, want one entry with an error holding %q", entries, tt.cause)
			}
			if !strings.Contains(f.logs.String(), "level=") || !strings.Contains(f.logs.String(), tt.cause) {
				t.Errorf("log %q: want the cause %q", f.logs.String(), tt.cause)
			}
		})
	}
}

func TestSearchFailure(t *testing.T) {
	f := newFixture(t, Options{}, false)
	f.searcher.err = errors.New("embed query: connection refused to 10.0.0.5")
	w := f.do(t, request{method: "POST", path: "/api/retrieve", body: `{"question":"税收"}`})
	wantError(t, w, http.StatusBadGateway, msgSearchFailed)
	if strings.Contains(w.Body.String(), "10.0.0.5") {
		t.Errorf("body %q: leaks the cause", w.Body.String())
	}
}

// TestFeedbackOnAnswer marks an answer by the id /api/ask gave, and finds
// the mark on that answer's entry in the record.
func TestFeedbackOnAnswer(t *testing.T) {
	tests := []struct {
		name    string
		good    bool
		comment string
	}{
		{"good", true, ""},
		{"bad with a comment", false, "应引用第三条"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{}, false)
			w := f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":"税收优惠"}`})
			got := decodeBody[askResponse](t, w)
			if w.Code != http.StatusOK || got.ID == "" {
				t.Fatalf("ask: got %d %+v, want 200 with an id", w.Code, got)
			}
			body, err := json.Marshal(map[string]any{"id": got.ID, "good": tt.good, "comment": " " + tt.comment + " "})
			if err != nil {
				t.Fatal(err)
			}
			w = f.do(t, request{method: "POST", path: "/api/feedback", body: string(body)})
			if w.Code != http.StatusOK {
				t.Fatalf("feedback: got %d %s, want 200", w.Code, w.Body.String())
			}
			entries := f.entries(t)
			if len(entries) != 1 || entries[0].ID != got.ID {
				t.Fatalf("journal entries: got %+v, want the one answered", entries)
			}
			want := []markCall{{got.ID, tt.good, strings.TrimSpace("[本机] " + tt.comment)}}
			if marks := f.marks(t); !reflect.DeepEqual(marks, want) {
				t.Errorf("marks: got %+v, want %+v", marks, want)
			}
		})
	}
}

func TestJournalFailures(t *testing.T) {
	f := newFixture(t, Options{}, false)
	w := f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":"税收"}`})
	first := decodeBody[askResponse](t, w)
	if first.ID == "" {
		t.Fatalf("ask: got %+v, want an id", first)
	}
	// A closed record refuses every write, as a full disk would.
	if err := f.journal.Close(); err != nil {
		t.Fatal(err)
	}
	w = f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":"税收"}`})
	got := decodeBody[askResponse](t, w)
	if w.Code != http.StatusOK || got.Text != testAnswer || got.ID != "" {
		t.Errorf("ask with a broken journal: got %d %+v, want 200 with the answer and no id", w.Code, got)
	}
	if !strings.Contains(f.logs.String(), "journal is closed") {
		t.Errorf("log %q: want the journal error", f.logs.String())
	}

	w = f.do(t, request{method: "POST", path: "/api/feedback", body: `{"id":"` + first.ID + `","good":true}`})
	wantError(t, w, http.StatusInternalServerError, msgMarkFailed)
	if strings.Contains(w.Body.String(), "closed") {
		t.Errorf("body %q: leaks the cause", w.Body.String())
	}
}

func TestPanicRecovered(t *testing.T) {
	f := newFixture(t, Options{}, false)
	f.searcher.panic = true
	ts := httptest.NewServer(f.srv)
	defer ts.Close()

	post := func() (*http.Response, []byte) {
		resp, err := ts.Client().Post(ts.URL+"/api/retrieve", "application/json", strings.NewReader(`{"question":"税收"}`))
		if err != nil {
			t.Fatalf("post retrieve: %v", err)
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
	if !strings.Contains(f.logs.String(), "searcher exploded") {
		t.Errorf("log: want the panic value, got %q", f.logs.String())
	}

	f.searcher.mu.Lock()
	f.searcher.panic = false
	f.searcher.mu.Unlock()
	if resp, body := post(); resp.StatusCode != http.StatusOK {
		t.Errorf("next request: got %d %s, want 200", resp.StatusCode, body)
	}
}

func TestNewServerNilLogger(t *testing.T) {
	srv := NewServer(chat.New(&fakeAnswerer{}, chat.Options{}, nil), &fakeSearcher{}, fakeLibrary{}, Options{}, nil)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, localRequest("GET", "/api/documents", nil))
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("documents of an empty library: got %d %q, want 200 []", w.Code, w.Body.String())
	}
}

// TestNamesNoCorpus keeps the package, page included, free of what
// belongs to one corpus: its region, its years and its hotlines come
// from the corpus's scope (Options.Scope), never from here.
func TestNamesNoCorpus(t *testing.T) {
	banned := []string{"河北", "冀", "2008", "12345", "12366"}
	err := fs.WalkDir(os.DirFS("."), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, b := range banned {
			if strings.Contains(string(data), b) {
				t.Errorf("%s: names %q", path, b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// What is served, not only what is on disk.
	f := newFixture(t, Options{}, true)
	for _, path := range []string{"/", "/assets/app.js", "/assets/style.css"} {
		w := f.do(t, request{path: path})
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: got %d, want 200", path, w.Code)
		}
		for _, b := range banned {
			if strings.Contains(w.Body.String(), b) {
				t.Errorf("GET %s: names %q", path, b)
			}
		}
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
	fx := newFixture(f, Options{MaxBodyBytes: 4096, RatePerMinute: -1, FeedbackPerMinute: -1}, false)
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/api/ask", "/api/retrieve", "/api/feedback":
		default:
			t.Skip()
		}
		r := localRequest("POST", path, strings.NewReader(body))
		w := httptest.NewRecorder()
		fx.srv.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusNotFound:
		default:
			t.Fatalf("POST %s %q: got status %d, want 200, 400, 404 or 413", path, body, w.Code)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("POST %s %q: response %q is not JSON", path, body, w.Body.String())
		}
	})
}

// postFrom posts a question to path from the client at ip.
func postFrom(f *fixture, path, ip string) *httptest.ResponseRecorder {
	r := localRequest("POST", path, strings.NewReader(`{"question":"税收"}`))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = ip + ":5555"
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w
}

// newTaught is an empty taught store kept in memory.
func newTaught(t *testing.T) *retrieval.Taught {
	t.Helper()
	st, err := retrieval.OpenTaught("")
	if err != nil {
		t.Fatal(err)
	}
	return st
}
