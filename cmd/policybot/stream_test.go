package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The lines that tell the reader the streamed text above is superseded.
const (
	noteCorrected = "（以上回答经核对引用已更正，请以下面的回答为准：）"
	noteReplaced  = "（以上回答未能完成，请以下面的内容为准：）"
)

// stFake is an OpenAI chat completions API that streams its one answer
// as server-sent events, piece by piece.
type stFake struct {
	deltas []string
	// cut ends the stream after the deltas with no finish reason, as a
	// dropped connection does.
	cut bool

	mu      sync.Mutex
	streams []bool // per request: whether it asked to stream
}

func (f *stFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	var req struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.streams = append(f.streams, req.Stream)
	f.mu.Unlock()
	if !req.Stream {
		http.Error(w, `{"error":{"message":"this fake only streams"}}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	chunk := func(delta map[string]string, finish any) {
		b, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1764237600, "model": req.Model,
			"choices": []map[string]any{{"index": 0, "delta": delta, "finish_reason": finish}},
		})
		fmt.Fprintf(w, "data: %s\n\n", b)
		fl.Flush()
	}
	for _, d := range f.deltas {
		chunk(map[string]string{"content": d}, nil)
	}
	if f.cut {
		return
	}
	chunk(map[string]string{}, "stop")
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

func (f *stFake) streamed() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.streams...)
}

// stWrites is a stdout that keeps each write apart, to tell a streamed
// answer from one printed whole.
type stWrites struct {
	mu     sync.Mutex
	writes []string
}

func (w *stWrites) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func (w *stWrites) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.writes...)
}

// stJournal returns the Q&A record's entries in dataDir.
func stJournal(t *testing.T, dataDir string) []map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dataDir, "qa", "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var e map[string]any
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out = append(out, e)
		}
		f.Close()
	}
	return out
}

func TestChatStreams(t *testing.T) {
	const (
		question = "做自行车的，评上省级数字化车间能奖多少钱？"
		clause   = "\n15. 支持企业建设智能工厂或数字化车间"
	)
	// The cases share a copy of the test index: nothing is rebuilt.
	dataDir := indexedCopy(t)
	// One model call an answer, the streamed one: the restatement in
	// policy words is tested in bot/answer.
	cfg := configFile(t, "llm:\n  policy_queries: 0\n")
	tests := []struct {
		name   string
		deltas []string
		cut    bool
		// note is the line saying the stream does not stand; "" means it
		// stands and is followed by the 时效 and 来源 lines directly.
		note string
		// wantAfter are pieces of what follows the note, in order: the
		// answer shown in place of the stream.
		wantAfter []string
		// notAfter must not follow the note.
		notAfter []string
	}{
		{
			name:   "streamed",
			deltas: []string{"评上省级数字化车间的企业", "可获得40万元奖励", "[1]", "。"},
		},
		{
			name:      "invalid marker corrected",
			deltas:    []string{"评上省级数字化车间的企业可获得40万元奖励[1]。", "智能工厂奖励90万元[9]。"},
			note:      noteCorrected,
			wantAfter: []string{"评上省级数字化车间的企业可获得40万元奖励[1]。\n时效：[1]"},
			notAfter:  []string{"智能工厂奖励90万元", "[9]"},
		},
		{
			name:      "cut mid-way",
			deltas:    []string{"评上省级数字化车间的企业", "可获得"},
			cut:       true,
			note:      noteReplaced,
			wantAfter: []string{"\n时效：[1]", "\n\n（智能回答暂时不可用）原文摘录：\n[1]"},
			notAfter:  []string{"评上省级数字化车间的企业可获得"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &stFake{deltas: tt.deltas, cut: tt.cut}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			env := map[string]string{
				"OPENAI_BASE_URL":     srv.URL + "/v1",
				"OPENAI_API_KEY":      "test-key",
				"POLICYBOT_LLM_MODEL": "fake",
			}
			var out stWrites
			var errOut syncBuffer
			stdin := strings.NewReader(question + "\n原文 1\n")
			err := run(t.Context(), []string{"--data-dir", dataDir, "--config", cfg, "chat"}, stdin, &out, &errOut, func(k string) string { return env[k] })
			if err != nil {
				t.Fatalf("got error %v, want none; stderr:\n%s", err, errOut.String())
			}
			writes := out.all()
			all := strings.Join(writes, "")

			// Each piece was printed as it came, once.
			streamed := strings.Join(tt.deltas, "")
			var at int
			for i, w := range writes {
				if w == "\n"+tt.deltas[0] {
					at = i
					break
				}
			}
			if at == 0 || len(writes) < at+len(tt.deltas) {
				t.Fatalf("got writes %q, want the first piece %q on a line of its own", writes, tt.deltas[0])
			}
			for i, d := range tt.deltas[1:] {
				if got := writes[at+1+i]; got != d {
					t.Errorf("got write %q after piece %d, want the next piece %q", got, i+1, d)
				}
			}
			if n := strings.Count(all, streamed); n != 1 {
				t.Errorf("got the streamed text %d times, want once:\n%s", n, all)
			}

			parts := strings.Split(all, "\n> ")
			if len(parts) != 4 {
				t.Fatalf("got %d prompts, want 3:\n%s", len(parts)-1, all)
			}
			if !strings.Contains(parts[0], "大模型：fake") {
				t.Errorf("got banner %q, want the model named", parts[0])
			}
			turn := parts[1]
			if tt.note == "" {
				if want := "\n" + streamed + "\n\n时效：[1]"; !strings.HasPrefix(turn, want) {
					t.Errorf("got answer\n%s\nwant it to start with the stream and then 时效:\n%s", turn, want)
				}
				for _, n := range []string{noteCorrected, noteReplaced} {
					if strings.Contains(turn, n) {
						t.Errorf("got answer with %q, want the stream to stand:\n%s", n, turn)
					}
				}
			} else {
				want := "\n" + streamed + "\n\n" + tt.note + "\n"
				if !strings.HasPrefix(turn, want) {
					t.Fatalf("got answer\n%s\nwant it to start with\n%s", turn, want)
				}
				after := strings.TrimPrefix(turn, want)
				rest := after
				for _, w := range tt.wantAfter {
					i := strings.Index(rest, w)
					if i < 0 {
						t.Errorf("got answer after the note without %q (in order):\n%s", w, after)
						break
					}
					rest = rest[i+len(w):]
				}
				for _, w := range tt.notAfter {
					if strings.Contains(after, w) {
						t.Errorf("got answer after the note with %q:\n%s", w, after)
					}
				}
			}
			rest := turn
			for _, w := range []string{"时效：[1]", "\n来源：[1]《", "冀制强省办〔2018〕2号", "时效提示：\n[1]"} {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("got answer without %q (in order):\n%s", w, turn)
				}
				rest = rest[i+len(w):]
			}
			for _, once := range []string{"时效：", "来源：", "时效提示："} {
				if n := strings.Count(turn, once); n != 1 {
					t.Errorf("got %s %d times, want once:\n%s", once, n, turn)
				}
			}
			if !strings.Contains(parts[2], clause) {
				t.Errorf("got 原文 1 reply %q, want the clause %q", parts[2], clause)
			}
			if strings.TrimSpace(parts[3]) != "" {
				t.Errorf("got %q after the last prompt, want nothing", parts[3])
			}
			if got := fake.streamed(); len(got) != 1 || !got[0] {
				t.Errorf("got requests streaming %v, want one streamed request", got)
			}

			// The record holds the final answer, not the raw stream: what
			// was shown in the stream's place, or the stream and what
			// followed it.
			final := streamed + strings.TrimPrefix(turn, "\n"+streamed)
			if tt.note != "" {
				final = strings.TrimPrefix(turn, "\n"+streamed+"\n\n"+tt.note+"\n")
			}
			var recorded bool
			for _, e := range stJournal(t, dataDir) {
				a, _ := e["answer"].(string)
				if e["channel"] == "cli" && e["question"] == question && strings.Contains(a, "\n来源：[1]《") &&
					strings.Join(strings.Fields(a), "") == strings.Join(strings.Fields(final), "") {
					recorded = true
				}
			}
			if !recorded {
				t.Errorf("got no Q&A record of the answer in %s", dataDir)
			}
		})
	}
}
