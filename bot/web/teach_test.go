package web

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/retrieval"
)

func TestTeach(t *testing.T) {
	cited := testDoc().Chunks[26].ID // 第二条
	tests := []struct {
		name     string
		noStore  bool
		body     func(id string) string
		status   int
		msg      string
		wantItem *retrieval.TaughtItem
	}{
		{"clause", false, func(id string) string { return `{"id":"` + id + `","chunk_id":"` + cited + `"}` },
			http.StatusOK, "", &retrieval.TaughtItem{Question: "税收优惠有哪些", ChunkID: cited}},
		{"none", false, func(id string) string { return `{"id":"` + id + `","none":true}` },
			http.StatusOK, "", &retrieval.TaughtItem{Question: "税收优惠有哪些", None: true}},
		{"both", false, func(id string) string { return `{"id":"` + id + `","chunk_id":"` + cited + `","none":true}` },
			http.StatusBadRequest, msgTeachWhat, nil},
		{"neither", false, func(id string) string { return `{"id":"` + id + `"}` }, http.StatusBadRequest, msgTeachWhat, nil},
		{"unknown chunk", false, func(id string) string { return `{"id":"` + id + `","chunk_id":"nope"}` },
			http.StatusBadRequest, msgNoChunk, nil},
		{"unknown answer", false, func(string) string { return `{"id":"abc123","none":true}` },
			http.StatusNotFound, msgUnknownAnswer, nil},
		{"no id", false, func(string) string { return `{"none":true}` }, http.StatusBadRequest, msgNoID, nil},
		{"no store", true, func(id string) string { return `{"id":"` + id + `","none":true}` },
			http.StatusServiceUnavailable, msgNoTaught, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTaught(t)
			opts := Options{Taught: st}
			if tt.noStore {
				opts.Taught = nil
			}
			f := newFixture(t, opts, false)
			w := f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":" 税收优惠有哪些 "}`})
			got := decodeBody[askResponse](t, w)
			if w.Code != http.StatusOK || got.ID == "" {
				t.Fatalf("ask: got %d %+v, want 200 with an id", w.Code, got)
			}
			w = f.do(t, request{method: "POST", path: "/api/teach", body: tt.body(got.ID)})
			if tt.status != http.StatusOK {
				wantError(t, w, tt.status, tt.msg)
				if n := len(st.List()); n != 0 {
					t.Errorf("%d items taught, want none", n)
				}
				return
			}
			if w.Code != http.StatusOK {
				t.Fatalf("teach: got %d %s, want 200", w.Code, w.Body.String())
			}
			items := st.List()
			if len(items) != 1 {
				t.Fatalf("taught %+v, want one item", items)
			}
			it := items[0]
			if it.Question != tt.wantItem.Question || it.ChunkID != tt.wantItem.ChunkID || it.None != tt.wantItem.None || it.AnswerID != got.ID {
				t.Errorf("taught %+v, want %+v from answer %s", it, *tt.wantItem, got.ID)
			}
		})
	}
}

// failingTeacher fails every Add.
type failingTeacher struct{}

func (failingTeacher) Add(context.Context, retrieval.TaughtItem) (retrieval.TaughtItem, error) {
	return retrieval.TaughtItem{}, context.DeadlineExceeded
}

func TestTeachStoreFailure(t *testing.T) {
	f := newFixture(t, Options{Taught: failingTeacher{}}, false)
	got := decodeBody[askResponse](t, f.do(t, request{method: "POST", path: "/api/ask", body: `{"question":"税收优惠"}`}))
	w := f.do(t, request{method: "POST", path: "/api/teach", body: `{"id":"` + got.ID + `","none":true}`})
	wantError(t, w, http.StatusInternalServerError, msgTeachFailed)
}

// TestBrowserTeach drives the teaching row in headless Chromium: it
// appears once a draft is marked wrong, offers the cited clauses, takes
// a clause picked in the document view, and saves what was chosen.
func TestBrowserTeach(t *testing.T) {
	st := newTaught(t)
	f := newFixture(t, Options{Taught: st}, false)
	doc := testDoc()
	cited, other := doc.Chunks[26].ID, doc.Chunks[27].ID
	f.answerer.set(func(f *fakeAnswerer) { f.answer.Citations[0].ChunkID = cited })
	p := f.browse(t, "", 375, 812)

	p.ask("小微企业有什么税收优惠？",
		chromedp.WaitVisible(chromedp.CSS("#sources .source .cite")),
	)
	if !p.evalBool("teach hidden", `document.getElementById('teach').hidden`) {
		t.Error("teaching row shown before the draft is marked wrong")
	}
	p.do("mark wrong", chromedp.Click(chromedp.ID("feedback-bad")))
	p.waitFor("teach shown", `!document.getElementById('teach').hidden`)
	if got := p.evalString("cited options", `Array.from(document.getElementById('teach-cited').options).slice(1).map(o => o.value).join(',')`); got != cited {
		t.Errorf("cited clauses offered: got %q, want %q", got, cited)
	}
	// A clause picked in the document view fills the id field.
	// Clicked from script: the phone-width page may still be scrolling to
	// the draft, and a click by coordinates would land beside the button.
	p.evalBool("open citation", `(document.querySelector('#sources .cite').click(), true)`)
	p.waitFor("document open", `document.querySelectorAll('#doc-body .chunk').length > 0`)
	p.evalBool("pick clause", `(document.querySelector('#doc-body .chunk[data-chunk-id="`+other+`"] .chunk-text').click(), true)`)
	if got := p.evalString("picked", `document.getElementById('teach-chunk').value`); got != other {
		t.Errorf("clause picked in the document: got %q, want %q", got, other)
	}
	p.do("close document", chromedp.Click(chromedp.ID("doc-close")), chromedp.WaitNotVisible(chromedp.ID("doc-panel")))
	p.do("save", chromedp.Click(chromedp.ID("teach-save")))
	p.waitFor("saved", `document.getElementById('teach-status').textContent.startsWith('已教会')`)
	items := st.List()
	if len(items) != 1 || items[0].ChunkID != other || items[0].Question != "小微企业有什么税收优惠？" {
		t.Errorf("taught %+v, want the question as an alias of %s", items, other)
	}
	// Saying the documents hold no answer replaces it.
	p.do("none", chromedp.Click(chromedp.ID("teach-none")), chromedp.Click(chromedp.ID("teach-save")))
	p.waitFor("saved none", `document.getElementById('teach-status').textContent.startsWith('已记下')`)
	if items := st.List(); len(items) != 1 || !items[0].None {
		t.Errorf("taught %+v, want one question with no answer", items)
	}
	if got := p.evalString("page width", `String(document.documentElement.scrollWidth)`); got != "375" {
		t.Errorf("page width at 375px: got %s, want 375", got)
	}
}

// TestTeachFollowUp: a draft asked with history is taught as the search
// read it, the history's words with the question, whether this server
// gave it or another replica did (read again through the search): a
// follow-up taught alone (那申请条件呢) would hand its clause to the same
// words asked after any other question.
func TestTeachFollowUp(t *testing.T) {
	const (
		question = "那申请条件呢"
		earlier  = "新认定的高企省里有奖励吗"
		read     = earlier + " " + question
		otherID  = "ab12cd34ef56ab12cd34ef56"
	)
	cited := testDoc().Chunks[26].ID
	tests := []struct {
		name    string
		history string // JSON array, for this server's own draft
		other   bool   // another replica's draft, read from the record
		want    string
	}{
		{"own, with history", `["` + earlier + `"]`, false, read},
		{"own, blank history", `["  "]`, false, question},
		{"another replica's, with history", "", true, read},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTaught(t)
			answers := &fakeAnswers{entries: map[string]journal.Entry{
				otherID: {ID: otherID, Channel: Channel, Question: question, History: []string{earlier}, Answer: "答", Delivered: true},
			}}
			f := newFixture(t, Options{Taught: st, Answers: answers}, false)
			f.answerer.set(func(f *fakeAnswerer) { f.answer.Query = read })
			f.searcher.result.Query = read
			id := otherID
			if !tt.other {
				id = decodeBody[askResponse](t, f.do(t, request{method: "POST", path: "/api/ask",
					body: `{"question":"` + question + `","history":` + tt.history + `}`})).ID
			}
			if w := f.do(t, request{method: "POST", path: "/api/teach", body: `{"id":"` + id + `","chunk_id":"` + cited + `"}`}); w.Code != http.StatusOK {
				t.Fatalf("teach: got %d %s, want 200", w.Code, w.Body.String())
			}
			if items := st.List(); len(items) != 1 || items[0].Question != tt.want {
				t.Errorf("taught %+v, want the question %q", items, tt.want)
			}
		})
	}
}
