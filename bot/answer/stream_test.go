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
	streams []bool // per request: whether it asked to stream
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
			Model  string `json:"model"`
			Stream bool   `json:"stream"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("fake could not decode the request: %v", err)
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.streams = append(f.streams, req.Stream)
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
// reached through the real llm client.
func stBuild(t *testing.T, f *stFake) *answer.Pipeline {
	t.Helper()
	env := plSetup(t)
	c, err := llm.New(llm.Config{BaseURL: f.url, APIKey: "sk-test", Model: "test-model", Timeout: 10 * time.Second, MaxRetries: 1, RetryBase: time.Millisecond}, nil)
	if err != nil {
		t.Fatalf("llm.New: %v", err)
	}
	return answer.New(env.ix, env.lib, stGen{c}, env.set, answer.Options{Now: plNow, MaxChars: 500}, nil)
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
	fallback := answer.Result{
		Text:      plUnavailableNote + strings.TrimPrefix(offline.Text, plOfflineNote),
		Found:     true,
		Query:     offline.Query,
		Note:      plUnavailableNote,
		Body:      offline.Body,
		Citations: offline.Citations,
		Validity:  offline.Validity,
	}
	tests := []struct {
		name   string
		script []stReply
		// wantDeltas are the pieces onDelta gets; nil means none.
		wantDeltas []string
		// wantBody is the answer's text before 来源; "" means the
		// fallback extract, which Answer gives for the same script too.
		wantBody  string
		wantCites []int
		wantRev   answer.Revision
		wantReqs  int
	}{
		{
			name:       "verified",
			script:     []stReply{{deltas: []string{"省级数字化车间", "奖励40万元", "[1]", "。"}}},
			wantDeltas: []string{"省级数字化车间", "奖励40万元", "[1]", "。"},
			wantBody:   "省级数字化车间奖励40万元[1]。",
			wantCites:  []int{1},
			wantRev:    answer.RevisionNone,
			wantReqs:   1,
		},
		{
			name:       "surrounding blanks",
			script:     []stReply{{deltas: []string{"\n", "奖励40万元[1]", "。\n"}}},
			wantDeltas: []string{"\n", "奖励40万元[1]", "。\n"},
			wantBody:   "奖励40万元[1]。",
			wantCites:  []int{1},
			wantRev:    answer.RevisionNone,
			wantReqs:   1,
		},
		{
			name:       "invalid marker dropped",
			script:     []stReply{{deltas: []string{"奖励40万元[1]。", "智能工厂90万元[9]。"}}},
			wantDeltas: []string{"奖励40万元[1]。", "智能工厂90万元[9]。"},
			wantBody:   "奖励40万元[1]。智能工厂90万元。",
			wantCites:  []int{1},
			wantRev:    answer.RevisionCorrected,
			wantReqs:   1,
		},
		{
			name:       "no valid marker",
			script:     []stReply{{deltas: []string{"奖励", "40万元[7]。"}}},
			wantDeltas: []string{"奖励", "40万元[7]。"},
			wantBody:   plUnverifiedNote + "\n奖励40万元。",
			wantCites:  []int{1, 2, 3, 4, 5},
			wantRev:    answer.RevisionCorrected,
			wantReqs:   1,
		},
		{
			name:       "Markdown removed",
			script:     []stReply{{deltas: []string{"**奖励40万元**", "[2]。"}}},
			wantDeltas: []string{"**奖励40万元**", "[2]。"},
			wantBody:   "奖励40万元[2]。",
			wantCites:  []int{2},
			wantRev:    answer.RevisionCorrected,
			wantReqs:   1,
		},
		{
			name:     "500 before the stream",
			script:   []stReply{{status: http.StatusInternalServerError}},
			wantRev:  answer.RevisionNone,
			wantReqs: 2, // one retry: nothing had been shown
		},
		{
			name:       "429 then a stream",
			script:     []stReply{{status: http.StatusTooManyRequests}, {deltas: []string{"奖励40万元[1]。"}}},
			wantDeltas: []string{"奖励40万元[1]。"},
			wantBody:   "奖励40万元[1]。",
			wantCites:  []int{1},
			wantRev:    answer.RevisionNone,
			wantReqs:   2,
		},
		{
			name:       "cut mid-way",
			script:     []stReply{{deltas: []string{"省级数字化车间", "奖励"}, cut: true}},
			wantDeltas: []string{"省级数字化车间", "奖励"},
			wantRev:    answer.RevisionReplaced,
			wantReqs:   1, // no retry once text was shown
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := stNewFake(t, tt.script...)
			p := stBuild(t, f)
			var d stDeltas
			ans, err := p.AnswerStream(context.Background(), plBike, nil, d.add)
			if err != nil {
				t.Fatalf("AnswerStream: %v", err)
			}
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
			if tt.wantBody == "" {
				if !reflect.DeepEqual(ans, fallback) {
					t.Errorf("answer =\n%+v\nwant the fallback extract:\n%+v", ans, fallback)
				}
				if rest != ans.Text {
					t.Errorf("rest = %q, want the whole fallback %q", rest, ans.Text)
				}
				return
			}
			if got := plBody(ans.Text); got != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
			if got := plNs(ans.Citations); !reflect.DeepEqual(got, tt.wantCites) {
				t.Errorf("citations = %v, want %v", got, tt.wantCites)
			}
			if !strings.Contains(ans.Text, "\n\n来源：\n[") || !strings.Contains(ans.Text, "\n\n时效提示：\n[") {
				t.Errorf("text lacks 来源 or 时效提示:\n%s", ans.Text)
			}
			switch rev {
			case answer.RevisionNone:
				if strings.TrimSpace(streamed)+rest != ans.Text {
					t.Errorf("streamed %q + rest %q is not the answer %q", streamed, rest, ans.Text)
				}
				if !strings.HasPrefix(rest, "\n\n来源：") {
					t.Errorf("rest = %q, want it to start with the 来源 block", rest)
				}
			default:
				if rest != ans.Text {
					t.Errorf("rest = %q, want the whole corrected answer %q", rest, ans.Text)
				}
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
			return stBuild(t, stNewFake(t, stReply{deltas: []string{"不该出现"}}))
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
	const (
		body    = "奖励40万元[1]。"
		sources = "\n\n来源：\n[1]《某文件》（冀某〔2018〕1号）一、，发布于2018年\n\n时效提示：\n[1]该文件……"
	)
	tests := []struct {
		name     string
		text     string
		streamed string
		wantRev  answer.Revision
		wantRest string
	}{
		{"nothing streamed", body + sources, "", answer.RevisionNone, body + sources},
		{"only blanks streamed", body + sources, " \n", answer.RevisionNone, body + sources},
		{"body as streamed", body + sources, body, answer.RevisionNone, sources},
		{"blanks around the stream", body + sources, "\n " + body + "\n", answer.RevisionNone, sources},
		{"no 来源", body, body, answer.RevisionNone, ""},
		{"marker dropped", "奖励40万元。" + sources, "奖励40万元[9]。", answer.RevisionCorrected, "奖励40万元。" + sources},
		{"unverified note", plUnverifiedNote + "\n奖励40万元。" + sources, "奖励40万元。", answer.RevisionCorrected, plUnverifiedNote + "\n奖励40万元。" + sources},
		{"streamed is a prefix", body + sources, "奖励40万元", answer.RevisionCorrected, body + sources},
		{"cut for length", body + sources, body + "另有规定。", answer.RevisionCorrected, body + sources},
		{"fallback", plUnavailableNote + "\n[1]一、：“……”" + sources, "奖励", answer.RevisionReplaced, plUnavailableNote + "\n[1]一、：“……”" + sources},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rev, rest := answer.Revise(answer.Result{Text: tt.text, Found: true}, tt.streamed)
			if rev != tt.wantRev || rest != tt.wantRest {
				t.Errorf("Revise = %v, %q; want %v, %q", rev, rest, tt.wantRev, tt.wantRest)
			}
		})
	}
}
