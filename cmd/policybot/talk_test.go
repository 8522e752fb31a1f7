package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// answerKeys and citationKeys are the contract of ask --json; the allowed
// keys are the ones added since, which a reader of the contract may ignore.
var (
	answerKeys       = []string{"answer", "found", "query", "citations"}
	answerAllowed    = []string{"reason", "note", "body", "validity_notes", "lead", "weak", "sentences", "corpus_version"}
	citationKeys     = []string{"n", "doc_id", "title", "doc_no", "clause", "issued", "expired", "text"}
	citationsAllowed = []string{"chunk_id", "validity"}
)

type citation struct {
	N        int    `json:"n"`
	DocID    string `json:"doc_id"`
	DocNo    string `json:"doc_no"`
	Clause   string `json:"clause"`
	Expired  bool   `json:"expired"`
	Validity struct {
		Status   string `json:"status"`
		Until    string `json:"until"`
		Because  string `json:"because"`
		Restates bool   `json:"restates"`
	} `json:"validity"`
}

type askJSON struct {
	Answer    string     `json:"answer"`
	Found     bool       `json:"found"`
	Reason    string     `json:"reason"`
	Query     string     `json:"query"`
	Lead      string     `json:"lead"`
	Citations []citation `json:"citations"`
	Sentences []struct {
		Text   string `json:"text"`
		Kept   bool   `json:"kept"`
		Reason string `json:"reason"`
	} `json:"sentences"`
}

// decodeAnswer checks the keys of one ask --json output and decodes it.
func decodeAnswer(t *testing.T, out string) askJSON {
	t.Helper()
	ls := lines(out)
	if len(ls) != 1 {
		t.Fatalf("got %d lines, want 1:\n%s", len(ls), out)
	}
	obj := object(t, []byte(ls[0]))
	checkKeys(t, "answer", obj, answerKeys, answerAllowed)
	if got := strings.TrimSpace(string(obj["citations"])); !strings.HasPrefix(got, "[") {
		t.Errorf("got citations %s, want an array", got)
	}
	var cites []map[string]json.RawMessage
	if err := json.Unmarshal(obj["citations"], &cites); err != nil {
		t.Fatalf("citations %s: %v", obj["citations"], err)
	}
	for _, c := range cites {
		checkKeys(t, "citation", c, citationKeys, citationsAllowed)
	}
	var a askJSON
	if err := json.Unmarshal([]byte(ls[0]), &a); err != nil {
		t.Fatalf("decode %s: %v", ls[0], err)
	}
	return a
}

func TestAskOffline(t *testing.T) {
	t.Parallel()
	c := indexedCLI()
	tests := []struct {
		name      string
		question  string
		wantFound bool
		// wantDocNo, when set, must be cited, with expired wantExpired.
		wantDocNo   string
		wantExpired bool
		want        []string // pieces of the answer text
		// plain also runs ask without --json, which must print the same
		// answer text.
		plain bool
	}{
		{
			name:      "expired tax policy",
			question:  "财税〔2018〕77号小型微利企业所得税优惠政策还有效吗？",
			wantFound: true, wantDocNo: "财税〔2018〕77号", wantExpired: true,
			want:  []string{"原文摘录：", "时效：[1]已于2020年12月31日失效", "来源：[1]《", "（财税〔2018〕77号）", "现行政策请向主管税务机关（12366纳税服务热线）确认。"},
			plain: true,
		},
		{
			name:      "numbers",
			question:  "做自行车的，评上省级数字化车间能奖多少钱？",
			wantFound: true, wantDocNo: "冀制强省办〔2018〕2号",
			want: []string{"40万元", "来源：", "冀制强省办〔2018〕2号"},
		},
		{
			name:      "other region",
			question:  "天津对高新技术企业认定有什么奖励？",
			wantFound: false,
			want:      []string{"河北"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := c.mustRun(t, "", "ask", "--json", tt.question)
			a := decodeAnswer(t, out)
			if a.Found != tt.wantFound {
				t.Errorf("got found %v, want %v", a.Found, tt.wantFound)
			}
			if a.Query == "" {
				t.Errorf("got an empty query")
			}
			// The answer opens with its lead, whether found or not.
			if a.Lead == "" || !strings.HasPrefix(a.Answer, a.Lead) {
				t.Errorf("got lead %q, want the answer's first line:\n%s", a.Lead, a.Answer)
			}
			if !tt.wantFound && (a.Citations == nil || len(a.Citations) != 0) {
				t.Errorf("got citations %#v, want []", a.Citations)
			}
			if tt.wantDocNo != "" {
				ok := false
				for _, ct := range a.Citations {
					ok = ok || ct.DocNo == tt.wantDocNo && ct.Expired == tt.wantExpired
				}
				if !ok {
					t.Errorf("got citations %+v, want one of %s with expired %v", a.Citations, tt.wantDocNo, tt.wantExpired)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(a.Answer, w) {
					t.Errorf("got answer without %q:\n%s", w, a.Answer)
				}
			}
			if len(a.Sentences) != 0 {
				t.Errorf("got sentences %+v from an offline answer, want none", a.Sentences)
			}

			if !tt.plain {
				return
			}
			plain, _ := c.mustRun(t, "", "ask", tt.question)
			if got, want := strings.TrimSpace(plain), strings.TrimSpace(a.Answer); got != want {
				t.Errorf("plain ask: got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// statusPartRe is one part of a 时效 line: the [n] of the citations it
// concerns, then their status.
var statusPartRe = regexp.MustCompile(`^((?:\[\d+\])+)(.+)$`)

// TestAskValidity: ask --json says, per citation, where the clause stands
// today and what that rests on, and the answer's head says it in words.
func TestAskValidity(t *testing.T) {
	t.Parallel()
	c := indexedCLI()
	tests := []struct {
		name          string
		question      string
		docID, clause string // the citation looked at
		wantStatus    string
		wantUntil     string
		wantBecause   string // a piece of validity.because; "" wants none
		wantRestates  bool
		wantExpired   bool
		wantHead      string // the citation's status in the 时效 line
	}{
		{
			// 二12 repeats 财税〔2018〕77号 without naming it, so it ended
			// with that notice.
			name:     "opinion repeating an expired notice",
			question: "大力促进民营经济高质量发展的若干意见里小型微利企业所得税怎么减？",
			docID:    "private-economy-opinions", clause: "二12",
			wantStatus: "expired", wantUntil: "2020-12-31", wantBecause: "（财税〔2018〕77号）", wantRestates: true,
			wantExpired: true,
			wantHead:    "已于2020年12月31日失效（依财税〔2018〕77号）",
		},
		{
			name:     "the expired notice itself",
			question: "财税〔2018〕77号小型微利企业所得税优惠政策还有效吗？",
			docID:    "cs-2018-77", clause: "一、",
			wantStatus: "expired", wantUntil: "2020-12-31",
			wantExpired: true,
			wantHead:    "已于2020年12月31日失效",
		},
		{
			name:     "no period stated",
			question: "做自行车的，评上省级数字化车间能奖多少钱？",
			docID:    "jzqsb-2018-2", clause: "附件7 五15",
			wantStatus: "unstated",
			wantHead:   "未写明期限，请确认是否仍有效",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := c.mustRun(t, "", "ask", "--json", tt.question)
			a := decodeAnswer(t, out)
			var ct *citation
			for i := range a.Citations {
				if a.Citations[i].DocID == tt.docID && a.Citations[i].Clause == tt.clause {
					ct = &a.Citations[i]
				}
			}
			if ct == nil {
				t.Fatalf("got citations %+v, want one of %s %s", a.Citations, tt.docID, tt.clause)
			}
			v := ct.Validity
			if v.Status != tt.wantStatus || v.Until != tt.wantUntil || v.Restates != tt.wantRestates {
				t.Errorf("got validity %+v, want status %q until %q restates %v", v, tt.wantStatus, tt.wantUntil, tt.wantRestates)
			}
			if tt.wantBecause == "" && v.Because != "" || !strings.Contains(v.Because, tt.wantBecause) {
				t.Errorf("got validity.because %q, want %q", v.Because, tt.wantBecause)
			}
			if ct.Expired != tt.wantExpired || ct.Expired != (v.Status == "expired") {
				t.Errorf("got expired %v with status %q, want %v", ct.Expired, v.Status, tt.wantExpired)
			}
			// The 时效 line, second of the answer, gives the citation's
			// status: 时效：[1][2]已于…失效；[3]….
			lines := strings.Split(a.Answer, "\n")
			if len(lines) < 3 || !strings.HasPrefix(lines[1], "时效：") {
				t.Fatalf("got answer without a 时效 line after the lead:\n%s", a.Answer)
			}
			ref := fmt.Sprintf("[%d]", ct.N)
			var status string
			for _, part := range strings.Split(strings.TrimPrefix(lines[1], "时效："), "；") {
				if m := statusPartRe.FindStringSubmatch(part); m != nil && strings.Contains(m[1], ref) {
					status = m[2]
				}
			}
			if status != tt.wantHead {
				t.Errorf("got %s's status %q in %q, want %q", ref, status, lines[1], tt.wantHead)
			}
		})
	}
}

// fakeChat is an OpenAI chat completions API: it answers every request
// with status and, when that is 200, content.
type fakeChat struct {
	status  int
	content string

	mu       sync.Mutex
	requests int
	auth     []string
	models   []string
}

func (f *fakeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	err := json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.requests++
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.models = append(f.models, req.Model)
	f.mu.Unlock()
	if err != nil || len(req.Messages) == 0 {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if f.status != http.StatusOK {
		w.WriteHeader(f.status)
		io.WriteString(w, `{"error":{"message":"upstream exploded","type":"server_error"}}`)
		return
	}
	resp := map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "model": req.Model,
		"choices": []any{map[string]any{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": f.content},
			"finish_reason": "stop",
		}},
	}
	json.NewEncoder(w).Encode(resp)
}

func (f *fakeChat) seen() (requests int, auth, models []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, append([]string(nil), f.auth...), append([]string(nil), f.models...)
}

func TestAskWithChatModel(t *testing.T) {
	t.Parallel()
	const (
		key      = "test-key"
		question = "做自行车的，评上省级数字化车间能奖多少钱？"
		reply    = "评上省级数字化车间的企业可获得40万元奖励[1]。"
	)
	// A short timeout and no retries keep the failing case fast; debug
	// logging puts as much as possible on stderr, where the key must not
	// be. One model call an answer: the restatement in policy words is
	// tested in bot/answer and by TestAskRestatesInPolicyTerms.
	cfg := configFile(t, "log:\n  level: debug\nllm:\n  max_retries: 0\n  timeout: 5s\n  policy_queries: 0\n")
	tests := []struct {
		name   string
		status int
		// want are pieces of the answer, in this order.
		want []string
		// notWant must not be in the answer.
		notWant      []string
		wantRequests int
		// cites is the citation numbers kept (nil: any).
		cites []int
	}{
		{
			name: "generated", status: http.StatusOK,
			want:         []string{reply, "\n时效：[1]", "\n来源：[1]《", "冀制强省办〔2018〕2号"},
			notWant:      []string{"智能回答暂时不可用", "原文摘录：", "[2]《"},
			wantRequests: 1,
			cites:        []int{1},
		},
		{
			name: "server error falls back to extracts", status: http.StatusInternalServerError,
			want:         []string{"\n时效：", "\n来源：", "冀制强省办〔2018〕2号", "\n\n（智能回答暂时不可用）原文摘录：\n[1]"},
			notWant:      []string{reply},
			wantRequests: 1, // llm.max_retries: 0
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeChat{status: tt.status, content: reply}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			c := indexedCLI().with(
				"OPENAI_BASE_URL", srv.URL+"/v1",
				"OPENAI_API_KEY", key,
				"POLICYBOT_LLM_MODEL", "fake",
			)
			out, stderr, err := c.run(t, "", "--config", cfg, "ask", "--json", question)
			if err != nil {
				t.Fatalf("got error %v, want none; stderr:\n%s", err, stderr)
			}
			a := decodeAnswer(t, out)
			if !a.Found {
				t.Errorf("got found false, want true")
			}
			rest := a.Answer
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("got answer without %q (in order):\n%s", w, a.Answer)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tt.notWant {
				if strings.Contains(a.Answer, w) {
					t.Errorf("got answer with %q:\n%s", w, a.Answer)
				}
			}
			// What grounding made of the model's text is reported; an
			// extract has no such report.
			if kept := tt.status == http.StatusOK; kept != (len(a.Sentences) == 1 && a.Sentences[0].Text == reply && a.Sentences[0].Kept) {
				t.Errorf("got sentences %+v, want the reply kept: %v", a.Sentences, kept)
			}
			if tt.cites != nil {
				var got []int
				for _, ct := range a.Citations {
					got = append(got, ct.N)
				}
				if len(got) != len(tt.cites) || got[0] != tt.cites[0] {
					t.Errorf("got citations %v, want %v", got, tt.cites)
				}
			}
			n, auth, models := fake.seen()
			if n != tt.wantRequests {
				t.Errorf("got %d requests, want %d", n, tt.wantRequests)
			}
			for i := range auth {
				if auth[i] != "Bearer "+key {
					t.Errorf("request %d: got Authorization %q, want %q", i+1, auth[i], "Bearer "+key)
				}
				if models[i] != "fake" {
					t.Errorf("request %d: got model %q, want fake", i+1, models[i])
				}
			}
			if strings.Contains(stderr, key) || strings.Contains(out, key) {
				t.Errorf("the API key appears in the output; stderr:\n%s", stderr)
			}
			// The user sees a fixed note; the cause goes to the log.
			if tt.status != http.StatusOK && (!strings.Contains(stderr, "level=WARN") || !strings.Contains(stderr, "status code: 500")) {
				t.Errorf("got stderr without a warning giving the cause of the fallback:\n%s", stderr)
			}
			if strings.Contains(a.Answer, "status code") || strings.Contains(a.Answer, "upstream exploded") {
				t.Errorf("got answer with the error's text:\n%s", a.Answer)
			}
		})
	}
}

// TestAskModelDeclines: by default the model may judge that no clause
// found answers, and then the reply is the not-found one; with
// llm.decline false it is not offered that reply, and what it wrote
// instead, citing nothing, leaves the extract.
func TestAskModelDeclines(t *testing.T) {
	t.Parallel()
	const question = "做自行车的，评上省级数字化车间能奖多少钱？"
	tests := []struct {
		name       string
		config     string
		wantFound  bool
		wantReason string
	}{
		{"by default", "", false, "not_in_clauses"},
		{"switched off", "  decline: false\n", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configFile(t, "llm:\n  max_retries: 0\n  timeout: 5s\n  policy_queries: 0\n"+tt.config)
			srv := httptest.NewServer(&fakeChat{status: http.StatusOK, content: "【条款未涉及】"})
			defer srv.Close()
			c := indexedCLI().with("OPENAI_BASE_URL", srv.URL+"/v1", "OPENAI_API_KEY", "test-key", "POLICYBOT_LLM_MODEL", "fake")
			out, stderr, err := c.run(t, "", "--config", cfg, "ask", "--json", question)
			if err != nil {
				t.Fatalf("got error %v, want none; stderr:\n%s", err, stderr)
			}
			a := decodeAnswer(t, out)
			if a.Found != tt.wantFound || a.Reason != tt.wantReason {
				t.Errorf("got found %v, reason %q; want %v, %q; answer:\n%s", a.Found, a.Reason, tt.wantFound, tt.wantReason, a.Answer)
			}
			if strings.Contains(a.Answer, "条款未涉及") {
				t.Errorf("the model's reply reached the user:\n%s", a.Answer)
			}
		})
	}
}

// TestChat writes the Q&A record into the shared data folder, so it does
// not run in parallel.
func TestChat(t *testing.T) {
	c := indexedCLI()
	tests := []struct {
		name  string
		stdin string
		// turns are pieces of the output after each prompt, one per
		// input line; the last prompt is answered by EOF.
		turns [][]string
	}{
		{
			name:  "answer, source, reset, scope",
			stdin: "做自行车的，评上省级数字化车间能奖多少钱？\n原文 1\n重置\n范围\n",
			turns: [][]string{
				{"40万元", "来源：", "[1]《", "冀制强省办〔2018〕2号"},
				{"[1]《", "》（冀制强省办〔2018〕2号）", "\n15. 支持企业建设智能工厂或数字化车间", "省级智能制造专项资金列支"},
				{"对话已清除"},
				{"我能查询的是", "河北"},
			},
		},
		{
			name:  "help and a source before any answer, no final newline",
			stdin: "帮助\n原文 1",
			turns: [][]string{
				{"可用命令", "原文 N", "重置"},
				{"还没有可以查看原文的回答"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := c.mustRun(t, tt.stdin, "chat")
			parts := strings.Split(out, "\n> ")
			if got, want := len(parts), len(tt.turns)+2; got != want {
				t.Fatalf("got %d prompts, want %d:\n%s", got-1, want-1, out)
			}
			if banner := parts[0]; !strings.Contains(banner, "离线摘录模式") || !strings.Contains(banner, "我能查询的是") {
				t.Errorf("got banner %q, want the mode and the scope", banner)
			}
			for i, want := range tt.turns {
				rest := parts[i+1]
				for _, w := range want {
					j := strings.Index(rest, w)
					if j < 0 {
						t.Errorf("turn %d: got %q, want %q (in order)", i+1, parts[i+1], w)
						break
					}
					rest = rest[j+len(w):]
				}
			}
			if last := parts[len(parts)-1]; strings.TrimSpace(last) != "" {
				t.Errorf("got %q after the last prompt, want nothing", last)
			}
		})
	}
}

// listenWatcher is a stderr that passes on the address the web console
// logs once it is listening.
type listenWatcher struct {
	syncBuffer
	once sync.Once
	addr chan string
}

func (w *listenWatcher) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	if _, after, ok := strings.Cut(string(p), `msg="web console listening" addr=`); ok {
		if f := strings.Fields(after); len(f) > 0 {
			w.once.Do(func() { w.addr <- f[0] })
		}
	}
	return n, err
}

// TestServeLoopback opens the Q&A record in the shared data folder, so it
// does not run in parallel.
func TestServeLoopback(t *testing.T) {
	c := indexedCLI()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &listenWatcher{addr: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--data-dir", c.dataDir, "serve", "--listen", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, stderr, c.getenv)
	}()
	var addr string
	select {
	case addr = <-stderr.addr:
	case err := <-done:
		t.Fatalf("run returned %v before listening; stderr:\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("got listen address %q, want 127.0.0.1:port", addr)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: got status %d, want 200", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("got %v after cancelling, want nil; stderr:\n%s", err, stderr.String())
	}
}

// TestChatHistoryTurns: bot.history_turns is how many earlier questions a
// follow-up is read with, and 0 means none, end to end.
func TestChatHistoryTurns(t *testing.T) {
	const (
		first    = "做自行车的，评上省级数字化车间能奖多少钱？"
		followUp = "那申请条件呢？"
		// firstDoc is cited for first, and for followUp only when it is
		// read together with first.
		firstDoc = "冀制强省办〔2018〕2号"
	)
	tests := []struct {
		name        string
		config      string
		wantHistory []string // of followUp, in the Q&A record
	}{
		{name: "default keeps history", config: "log:\n  level: warn\n", wantHistory: []string{first}},
		{name: "history_turns 0 keeps none", config: "bot:\n  history_turns: 0\n", wantHistory: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cli{dataDir: indexedCopy(t), env: map[string]string{}}
			out, _ := c.mustRun(t, first+"\n"+followUp+"\n", "--config", configFile(t, tt.config), "chat")
			parts := strings.Split(out, "\n> ")
			if len(parts) != 4 {
				t.Fatalf("got %d prompts, want 3:\n%s", len(parts)-1, out)
			}
			if !strings.Contains(parts[1], firstDoc) {
				t.Fatalf("got first answer without %s:\n%s", firstDoc, parts[1])
			}
			if got, want := strings.Contains(parts[2], firstDoc), tt.wantHistory != nil; got != want {
				t.Errorf("got %s in the follow-up's answer %v, want %v:\n%s", firstDoc, got, want, parts[2])
			}
			var found bool
			for _, e := range stJournal(t, c.dataDir) {
				if e["question"] != followUp {
					continue
				}
				found = true
				var got []string
				if h, ok := e["history"].([]any); ok {
					for _, q := range h {
						s, _ := q.(string)
						got = append(got, s)
					}
				}
				if !slices.Equal(got, tt.wantHistory) {
					t.Errorf("got the follow-up recorded with history %q, want %q", got, tt.wantHistory)
				}
			}
			if !found {
				t.Errorf("got no Q&A record of %q", followUp)
			}
		})
	}
}
