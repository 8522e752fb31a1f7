package answer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/llm"
)

// stReply is one scripted answer of the streaming fake.
type stReply struct {
	status int      // HTTP status; 0 means 200
	deltas []string // the answer, streamed piece by piece
	// cut ends a stream after the deltas without a finish reason, as a
	// dropped connection does.
	cut bool
}

// stFake is an OpenAI chat completions endpoint that streams server-sent
// events when asked to (and answers whole otherwise), playing a script
// one reply per request, the last one repeating.
type stFake struct {
	url    string
	script []stReply

	mu      sync.Mutex
	streams []bool   // per request: whether it asked to stream
	systems []string // per request: the system message
}

func stNewFake(t *testing.T, script ...stReply) *stFake {
	t.Helper()
	f := &stFake{script: script}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			t.Errorf("fake got %s %s, want POST /v1/chat/completions", r.Method, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		var req struct {
			Model    string `json:"model"`
			Stream   bool   `json:"stream"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("fake could not decode the request: %v", err)
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.streams = append(f.streams, req.Stream)
		system := ""
		if len(req.Messages) > 0 && req.Messages[0].Role == "system" {
			system = req.Messages[0].Content
		}
		f.systems = append(f.systems, system)
		rep := f.script[min(len(f.streams), len(f.script))-1]
		f.mu.Unlock()
		if rep.status != 0 && rep.status != http.StatusOK {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rep.status)
			fmt.Fprintf(w, `{"error":{"message":"upstream exploded (quota-7f3a)","type":"server_error","code":"%d"}}`, rep.status)
			return
		}
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{
				"id": "chatcmpl-test", "object": "chat.completion", "created": 1764237600, "model": req.Model,
				"choices": []map[string]any{{
					"index": 0, "finish_reason": "stop",
					"message": map[string]string{"role": "assistant", "content": strings.Join(rep.deltas, "")},
				}},
			})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		chunk := func(delta map[string]string, finish any) {
			b, _ := json.Marshal(map[string]any{
				"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1764237600, "model": req.Model,
				"choices": []map[string]any{{"index": 0, "delta": delta, "finish_reason": finish}},
			})
			fmt.Fprintf(w, "data: %s\n\n", b)
			fl.Flush()
		}
		chunk(map[string]string{"role": "assistant"}, nil)
		for _, d := range rep.deltas {
			chunk(map[string]string{"content": d}, nil)
		}
		if rep.cut {
			return
		}
		chunk(map[string]string{}, "stop")
		fmt.Fprint(w, "data: [DONE]\n\n")
		fl.Flush()
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL + "/v1"
	return f
}

// system is the system message of each request so far.
func (f *stFake) system() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.systems...)
}

func (f *stFake) streamed() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.streams...)
}

// stGen adapts the real llm client to answer.StreamGenerator, as cmd does.
type stGen struct{ c *llm.Client }

func stMessages(system, user string) []llm.Message {
	return []llm.Message{{Role: "system", Content: system}, {Role: "user", Content: user}}
}

func (g stGen) Complete(ctx context.Context, system, user string) (string, error) {
	return g.c.Complete(ctx, stMessages(system, user))
}

func (g stGen) Stream(ctx context.Context, system, user string, onDelta func(string)) (string, error) {
	return g.c.Stream(ctx, stMessages(system, user), onDelta)
}

// stBuild wires a pipeline over the real index whose model is the fake,
// reached through the real llm client; opts get plNow and a 500-character
// cap.
func stBuild(t *testing.T, f *stFake, opts answer.Options) *answer.Pipeline {
	t.Helper()
	env := plSetup(t)
	c, err := llm.New(llm.Config{BaseURL: f.url, APIKey: "sk-test", Model: "test-model", Timeout: 10 * time.Second, MaxRetries: 1, RetryBase: time.Millisecond}, nil)
	if err != nil {
		t.Fatalf("llm.New: %v", err)
	}
	opts.Now, opts.MaxChars = plNow, 500
	return answer.New(env.ix, env.lib, stGen{c}, env.set, opts, nil)
}

// stDeltas records what AnswerStream passes to onDelta.
type stDeltas struct {
	mu  sync.Mutex
	got []string
}

func (d *stDeltas) add(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.got = append(d.got, s)
}

func (d *stDeltas) all() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.got...)
}

func TestAnswerStream(t *testing.T) {
	env := plSetup(t)
	offline := plAsk(t, plBuild(t, env, nil, nil, answer.Options{}, nil), plBike, nil)
	tests := []struct {
		name   string
		script []stReply
		// wantDeltas are the pieces onDelta gets; nil means none.
		wantDeltas []string
		// wantLead and wantBody are the grounded answer; "" means the
		// extract under wantNote, which Answer gives for the same script
		// too.
		wantLead, wantBody string
		wantNote           string
		wantCites          []int
		wantRev            answer.Revision
		wantReqs           int
	}{
		{
			name:       "verified",
			script:     []stReply{{deltas: []string{"省级数字化车间", "奖励40万元", "[1]", "。"}}},
			wantDeltas: []string{"省级数字化车间", "奖励40万元", "[1]", "。"},
			wantLead:   "省级数字化车间奖励40万元[1]。",
			wantCites:  []int{1},
			wantRev:    answer.RevisionNone,
			wantReqs:   1,
		},
		{
			name:       "lead and body",
			script:     []stReply{{deltas: []string{"省级数字化车间奖励40万元[1]。", "\n智能工厂", "奖励90万元[1]。"}}},
			wantDeltas: []string{"省级数字化车间奖励40万元[1]。", "\n智能工厂", "奖励90万元[1]。"},
			wantLead:   "省级数字化车间奖励40万元[1]。",
			wantBody:   "智能工厂奖励90万元[1]。",
			wantCites:  []int{1},
			wantRev:    answer.RevisionNone,
			wantReqs:   1,
		},
		{
			name:       "surrounding blanks",
			script:     []stReply{{deltas: []string{"\n", "奖励40万元[1]", "。\n"}}},
			wantDeltas: []string{"\n", "奖励40万元[1]", "。\n"},
			wantLead:   "奖励40万元[1]。",
			wantCites:  []int{1},
			wantRev:    answer.RevisionNone,
			wantReqs:   1,
		},
		{
			name:       "invalid marker dropped",
			script:     []stReply{{deltas: []string{"奖励40万元[1]。", "智能工厂90万元[9]。"}}},
			wantDeltas: []string{"奖励40万元[1]。", "智能工厂90万元[9]。"},
			wantLead:   "奖励40万元[1]。",
			wantCites:  []int{1},
			wantRev:    answer.RevisionCorrected,
			wantReqs:   1,
		},
		{
			name:       "ungrounded figure dropped",
			script:     []stReply{{deltas: []string{"奖励40万元[1]。", "智能工厂奖励900万元[1]。"}}},
			wantDeltas: []string{"奖励40万元[1]。", "智能工厂奖励900万元[1]。"},
			wantLead:   "奖励40万元[1]。",
			wantCites:  []int{1},
			wantRev:    answer.RevisionCorrected,
			wantReqs:   1,
		},
		{
			name:       "no valid marker",
			script:     []stReply{{deltas: []string{"奖励", "40万元[7]。"}}},
			wantDeltas: []string{"奖励", "40万元[7]。"},
			wantNote:   plUngroundedNote,
			wantRev:    answer.RevisionCorrected,
			wantReqs:   1,
		},
		{
			// The streamed text stands once its Markdown is taken off.
			name:       "Markdown removed",
			script:     []stReply{{deltas: []string{"**奖励40万元**", "[1]。"}}},
			wantDeltas: []string{"**奖励40万元**", "[1]。"},
			wantLead:   "奖励40万元[1]。",
			wantCites:  []int{1},
			wantRev:    answer.RevisionNone,
			wantReqs:   1,
		},
		{
			name:     "500 before the stream",
			script:   []stReply{{status: http.StatusInternalServerError}},
			wantNote: plUnavailableNote,
			wantRev:  answer.RevisionNone,
			wantReqs: 2, // one retry: nothing had been shown
		},
		{
			name:       "429 then a stream",
			script:     []stReply{{status: http.StatusTooManyRequests}, {deltas: []string{"奖励40万元[1]。"}}},
			wantDeltas: []string{"奖励40万元[1]。"},
			wantLead:   "奖励40万元[1]。",
			wantCites:  []int{1},
			wantRev:    answer.RevisionNone,
			wantReqs:   2,
		},
		{
			name:       "cut mid-way",
			script:     []stReply{{deltas: []string{"省级数字化车间", "奖励"}, cut: true}},
			wantDeltas: []string{"省级数字化车间", "奖励"},
			wantNote:   plUnavailableNote,
			wantRev:    answer.RevisionReplaced,
			wantReqs:   1, // no retry once text was shown
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := stNewFake(t, tt.script...)
			p := stBuild(t, f, answer.Options{})
			var d stDeltas
			ans, err := p.AnswerStream(context.Background(), plBike, nil, d.add)
			if err != nil {
				t.Fatalf("AnswerStream: %v", err)
			}
			plCheckLayout(t, ans)
			got := d.all()
			if !reflect.DeepEqual(got, tt.wantDeltas) {
				t.Errorf("deltas = %q, want %q", got, tt.wantDeltas)
			}
			if streams := f.streamed(); len(streams) != tt.wantReqs {
				t.Errorf("requests = %d, want %d", len(streams), tt.wantReqs)
			} else {
				for i, s := range streams {
					if !s {
						t.Errorf("request %d: stream = false, want true", i+1)
					}
				}
			}
			streamed := strings.Join(got, "")
			rev, rest := answer.Revise(ans, streamed)
			if rev != tt.wantRev {
				t.Errorf("revision = %v, want %v", rev, tt.wantRev)
			}
			if tt.wantLead == "" {
				want := plFallback(offline, tt.wantNote)
				want.Sentences = ans.Sentences
				if !reflect.DeepEqual(ans, want) {
					t.Errorf("answer =\n%+v\nwant the extract under %q:\n%+v", ans, tt.wantNote, want)
				}
				if rest != ans.Text {
					t.Errorf("rest = %q, want the whole fallback %q", rest, ans.Text)
				}
			} else {
				if ans.Lead != tt.wantLead || ans.Body != tt.wantBody || ans.Note != "" {
					t.Errorf("lead, body, note = %q, %q, %q; want %q, %q and none", ans.Lead, ans.Body, ans.Note, tt.wantLead, tt.wantBody)
				}
				if got := plNs(ans.Citations); !reflect.DeepEqual(got, tt.wantCites) {
					t.Errorf("citations = %v, want %v", got, tt.wantCites)
				}
				status, sources := plHead(t, ans)
				switch rev {
				case answer.RevisionNone:
					// What was streamed stands: the status, the sources
					// and the 时效提示 follow it.
					want := "\n\n" + status + "\n" + sources + "\n\n时效提示：\n" + strings.Join(ans.Validity, "\n")
					if rest != want {
						t.Errorf("rest = %q, want %q", rest, want)
					}
				default:
					if rest != ans.Text {
						t.Errorf("rest = %q, want the whole corrected answer %q", rest, ans.Text)
					}
				}
			}
			if tt.script[len(tt.script)-1].cut {
				// Asked whole, the fake answers the cut text whole: not
				// the same model text.
				return
			}
			// Answer, given the same model text whole, agrees.
			want := plAsk(t, p, plBike, nil)
			if !reflect.DeepEqual(ans, want) {
				t.Errorf("AnswerStream =\n%+v\nAnswer =\n%+v", ans, want)
			}
		})
	}
}

// TestAnswerStreamNoDeltas covers the pipelines that cannot stream: they
// answer as Answer does and never call onDelta.
func TestAnswerStreamNoDeltas(t *testing.T) {
	env := plSetup(t)
	tests := []struct {
		name      string
		question  string
		wantFound bool
		build     func(t *testing.T) *answer.Pipeline
	}{
		{"offline", plBike, true, func(t *testing.T) *answer.Pipeline {
			return plBuild(t, env, nil, nil, answer.Options{}, nil)
		}},
		{"generator without Stream", plBike, true, func(t *testing.T) *answer.Pipeline {
			return plBuild(t, env, nil, plNewFake(t, plReply{content: "奖励40万元[1]。"}), answer.Options{}, nil)
		}},
		// The scope message needs no model, so nothing streams.
		{"not covered", "北京市2023年的人才公寓怎么申请？", false, func(t *testing.T) *answer.Pipeline {
			return stBuild(t, stNewFake(t, stReply{deltas: []string{"不该出现"}}), answer.Options{})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.build(t)
			var d stDeltas
			ans, err := p.AnswerStream(context.Background(), tt.question, nil, d.add)
			if err != nil {
				t.Fatalf("AnswerStream: %v", err)
			}
			if ans.Found != tt.wantFound {
				t.Errorf("found = %v, want %v", ans.Found, tt.wantFound)
			}
			if got := d.all(); len(got) != 0 {
				t.Errorf("deltas = %q, want none", got)
			}
			if want := plAsk(t, p, tt.question, nil); !reflect.DeepEqual(ans, want) {
				t.Errorf("AnswerStream =\n%+v\nAnswer =\n%+v", ans, want)
			}
			if rev, rest := answer.Revise(ans, ""); rev != answer.RevisionNone || rest != ans.Text {
				t.Errorf("Revise(answer, \"\") = %v, %q; want %v and the whole text", rev, rest, answer.RevisionNone)
			}
		})
	}
}

func TestRevise(t *testing.T) {
	cites := []answer.Citation{{
		N: 1, DocID: "d", Title: "某厅关于印发《某办法》的通知", DocNo: "冀某〔2018〕1号", Clause: "一、",
		Validity: corpus.Validity{Status: corpus.StatusUnstated},
	}}
	const (
		lead  = "奖励40万元[1]。"
		body  = "另有规定[1]。"
		notes = "[1]现行政策请向某厅确认。"
		// rest is what follows a streamed answer that stands.
		rest = "\n\n时效：[1]未写明期限，请确认是否仍有效\n来源：[1]《某办法》（冀某〔2018〕1号）一、，2018年发布\n\n时效提示：\n" + notes
	)
	grounded := answer.Result{
		Text:  lead + "\n时效：[1]未写明期限，请确认是否仍有效\n来源：[1]《某办法》（冀某〔2018〕1号）一、，2018年发布\n\n" + body + "\n\n时效提示：\n" + notes,
		Found: true, Lead: lead, Body: body, Citations: cites, Validity: []string{notes},
	}
	short := grounded
	short.Body = ""
	short.Text = lead + "\n时效：[1]未写明期限，请确认是否仍有效\n来源：[1]《某办法》（冀某〔2018〕1号）一、，2018年发布\n\n时效提示：\n" + notes
	extract := func(note string) answer.Result {
		a := grounded
		a.Lead, a.Note, a.Body = "奖励40万元。[1]", note, "[1]一、：“……”"
		a.Text = a.Lead + "\n时效：[1]未写明期限，请确认是否仍有效\n来源：[1]《某办法》（冀某〔2018〕1号）一、，2018年发布\n\n" + note + "\n" + a.Body + "\n\n时效提示：\n" + notes
		return a
	}
	tests := []struct {
		name     string
		a        answer.Result
		streamed string
		wantRev  answer.Revision
		wantRest string // "" means all of the answer's text
	}{
		{"nothing streamed", grounded, "", answer.RevisionNone, ""},
		{"only blanks streamed", grounded, " \n", answer.RevisionNone, ""},
		{"lead and body as streamed", grounded, lead + "\n" + body, answer.RevisionNone, rest},
		{"lead and body in one line", grounded, lead + body, answer.RevisionNone, rest},
		{"lead alone as streamed", short, lead, answer.RevisionNone, rest},
		{"blanks around the stream", short, "\n " + lead + "\n", answer.RevisionNone, rest},
		{"Markdown streamed", short, "**奖励40万元**[1]。", answer.RevisionNone, rest},
		{"sentence dropped", short, lead + "智能工厂奖励90万元[9]。", answer.RevisionCorrected, ""},
		{"lead without its body", grounded, lead, answer.RevisionCorrected, ""},
		{"streamed is a prefix", short, "奖励40万元", answer.RevisionCorrected, ""},
		{"cut for length", short, lead + "另有规定。", answer.RevisionCorrected, ""},
		{"nothing grounded", extract(plUngroundedNote), "奖励40万元[7]。", answer.RevisionCorrected, ""},
		{"fallback", extract(plUnavailableNote), "奖励", answer.RevisionReplaced, ""},
		{"fallback with nothing streamed", extract(plUnavailableNote), "", answer.RevisionNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Head() + "\n\n" + tt.a.Details(); got != tt.a.Text {
				t.Fatalf("precondition: text\n%s\nis not laid out from the parts:\n%s", tt.a.Text, got)
			}
			want := tt.wantRest
			if want == "" {
				want = tt.a.Text
			}
			rev, rest := answer.Revise(tt.a, tt.streamed)
			if rev != tt.wantRev || rest != want {
				t.Errorf("Revise = %v, %q; want %v, %q", rev, rest, tt.wantRev, want)
			}
		})
	}
}
