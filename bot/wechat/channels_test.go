package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	botanswer "github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/terminal"
	"github.com/policybot/policybot/bot/web"
	"github.com/policybot/policybot/config"
	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/prompts"
	"github.com/policybot/policybot/retrieval"
)

// TestSameCitationsAcrossChannels proves that the console, the terminal
// and WeChat all answer through bot/chat: one offline pipeline (built-in
// corpus, built-in embedder, no model, a fixed clock) stands under three
// chat.Conversations configured as the program configures them, and the
// same question with the same history, asked through each channel's real
// front end, gets the same citations, numbered alike.
//
//   - console: POST /api/ask to web.NewServer with {"question","history"};
//     the citations are the JSON's.
//   - terminal: the history lines, then the question, typed into
//     terminal.Run; the citations are read from the 来源 printed after the
//     last prompt.
//   - WeChat: the history messages, then the question, sent by one friend
//     through the fake's sync to the real openwechat client under Run,
//     each once the answer before it is in; the citations are read from
//     the 来源 of the last answer's parts as webwxsendmsg received them.
//
// The terminal and WeChat remember the history themselves (the chat's
// memory), the console is given it: the test checks the two paths agree.
// Each case gets fresh conversation cores, so that no memory or rate
// limit carries over from the case before.
func TestSameCitationsAcrossChannels(t *testing.T) {
	env := xBuild(t)
	// The terminal and WeChat are read from their text: the reading must
	// be right, or equal readings would prove nothing.
	xTestCitesIn(t, env.lib)

	const (
		firstSet  = "首台套的保险补贴是怎么算的？"
		howMuch   = "一家企业一年最多能补多少？"
		condition = "那申请条件呢？"
	)
	tests := []struct {
		name     string
		history  []string
		question string
		// cited says the answer must cite something; otherwise it must
		// cite nothing.
		cited bool
	}{
		{
			name:     "standalone question",
			question: "做自行车的，评上省级数字化车间能奖多少钱？",
			cited:    true,
		},
		{
			name:     "follow-up",
			history:  []string{firstSet},
			question: condition,
			cited:    true,
		},
		{
			name:     "follow-up two turns on",
			history:  []string{firstSet, howMuch},
			question: condition,
			cited:    true,
		},
		{
			name:     "question the corpus cannot answer",
			question: "天津对高新技术企业认定有什么奖励？",
			cited:    false,
		},
	}
	channels := []struct {
		name string
		ask  func(t *testing.T, env *xEnv, history []string, question string) xAnswer
	}{
		{"console", xConsole},
		{"terminal", xTerminal},
		{"wechat", xWeChat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]xAnswer, 0, len(channels))
			defer func() {
				if t.Failed() {
					for _, a := range got {
						t.Logf("%s's last answer:\n%s", a.channel, a.text)
					}
				}
			}()
			for _, ch := range channels {
				a := ch.ask(t, env, tt.history, tt.question)
				a.channel = ch.name
				got = append(got, a)
			}

			summary := xSummary(got)
			t.Logf("citations:\n%s", summary)
			ref := got[0]
			for _, a := range got {
				if strings.TrimSpace(a.text) == "" {
					t.Errorf("%s gave no answer", a.channel)
				}
				switch {
				case tt.cited && len(a.cites) == 0:
					t.Errorf("%s cites nothing, want the clauses the answer rests on\n%s", a.channel, summary)
				case !tt.cited && len(a.cites) != 0:
					t.Errorf("%s cites %v, want nothing for a question the corpus cannot answer\n%s", a.channel, a.cites, summary)
				}
				if !xSameCites(a.cites, ref.cites) {
					t.Errorf("%s cites differently from %s\n%s", a.channel, ref.channel, summary)
				}
			}
			if len(tt.history) > 0 {
				// Dropping the oldest turn must change the answer: then
				// equal citations show that the whole history reached
				// the pipeline through every channel.
				short := xConsole(t, env, tt.history[1:], tt.question)
				if xSameCites(short.cites, ref.cites) {
					t.Errorf("without its oldest turn %q the history gives the same citations %v: the case does not test the history", tt.history[0], short.cites)
				}
			}
			for _, a := range got {
				// The JSON says outright whether the corpus answers.
				if a.found != nil && *a.found != tt.cited {
					t.Errorf("%s says found %v, want %v", a.channel, *a.found, tt.cited)
				}
			}
		})
	}
}

// xTestCitesIn checks xCitesIn on the layouts an answer's sources come
// in: the 来源 block of one source a line, the 来源 line of sources joined
// by "；", and that line cut where a WeChat part ends.
func xTestCitesIn(t *testing.T, lib *corpus.Library) {
	t.Helper()
	const (
		bike      = "《河北省制造强省建设领导小组办公室关于印发《促进我省特色产品高质量发展工作方案》的通知》（冀制强省办〔2018〕2号）"
		bikeShort = "《促进我省特色产品高质量发展工作方案》（冀制强省办〔2018〕2号）"
		firstSet  = "《河北省财政保险合作支持首台（套）重大技术装备生产企业实施办法》（冀财金〔2015〕29号）"
		cutShort  = "《河北省财政保险合作支持首台（套）重大技术装备生产企…》（冀财金〔2015〕29号）"
		reading   = "《河北省工业和信息化厅支持产业转型升级和民营企业发展政策措施解读》"
		details   = "（以下为政策原文摘录。）\n[1]第六条：“第六条 省级财政将按……给予补贴。”"
	)
	want := []xCite{{1, "jzqsb-2018-2", "附件7 五15"}, {2, "jcj-2015-29", "第十一条"}, {3, "jiedu-gongxin", "三（三）"}}
	tests := []struct {
		name    string
		text    string
		want    []xCite
		wantErr bool
	}{
		{
			name: "one source a line",
			text: details + "\n\n来源：\n[1]" + bike + "附件7 五15，发布于2018年\n[2]" + firstSet + "第十一条，发布于2015年8月4日\n" +
				"[3]" + reading + "三（三），发布于未载明日期（收录于2018年的汇编）\n\n时效提示：\n[1]该文件发布于2018年。",
			want: want,
		},
		{
			name: "one line",
			text: "奖励40万元[1]。\n时效：[1]未写明期限\n来源：[1]" + bikeShort + "附件7 五15，2018年发布；[2]" + cutShort + "第十一条，2015年8月4日发布；[3]" +
				reading + "三（三）\n\n" + details,
			want: want,
		},
		{
			name: "one line cut into parts",
			text: "奖励40万元[1]。\n时效：[1]未写明期限\n来源：[1]" + bikeShort + "附件7 五15，2018年发布；\n[2]" + firstSet + "第十一条，2015年8月4日发布；\n[3]" +
				reading + "三（三）\n" + details,
			want: want,
		},
		{
			name: "clauses of one document in one entry",
			text: "奖励40万元[1]。\n时效：[1]未写明期限\n来源：[1]" + cutShort + "第六条 [3]第十一条，2015年8月4日发布；[2]" + reading + "三（三），未载明发布日期（收录于2018年的汇编）\n\n" + details,
			want: []xCite{{1, "jcj-2015-29", "第六条"}, {2, "jiedu-gongxin", "三（三）"}, {3, "jcj-2015-29", "第十一条"}},
		},
		{
			name: "no sources",
			text: "抱歉，您问的是其他地区的政策，我只收录了河北省的政策文件，不便替其他地区作答。",
		},
		{
			name:    "a document the corpus lacks",
			text:    "来源：[1]《不存在的文件》（冀政〔2099〕1号）第一条，2099年发布",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run("reading 来源/"+tt.name, func(t *testing.T) {
			got, err := xCitesIn(lib, tt.text)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if !xSameCites(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// xEnv is what the channels stand on: one pipeline and what the console
// also serves.
type xEnv struct {
	cfg  config.Config
	lib  *corpus.Library
	ix   *retrieval.Index
	pipe *botanswer.Pipeline
}

// xNow is the day the answers are judged on.
func xNow() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) }

// xBuild builds the offline pipeline as the program does with the default
// config and no model: the built-in corpus, its index and the built-in
// prompts.
func xBuild(t *testing.T) *xEnv {
	t.Helper()
	cfg := config.DefaultConfig()
	if cfg.LLM.Enabled() {
		t.Fatal("the default config names a model; this test wants the offline pipeline")
	}
	c, err := xCorpus()
	if err != nil {
		t.Fatal(err)
	}
	pipe := botanswer.New(c.ix, c.lib, nil, c.set, botanswer.Options{
		K: cfg.Retrieval.TopK, MaxChars: cfg.LLM.AnswerChars, Timeout: cfg.LLM.Timeout, Now: xNow,
	}, nil)
	return &xEnv{cfg: cfg, lib: c.lib, ix: c.ix, pipe: pipe}
}

// xCorpus is the built-in corpus, its index and the built-in prompts, as
// the default config has them. They are read-only once built, and the
// index takes long to build under the race detector, so every run of the
// test shares one; it is kept in memory rather than under a data
// directory, which changes nothing that is searched.
var xCorpus = sync.OnceValues(func() (xShared, error) {
	cfg := config.DefaultConfig()
	lib, err := corpus.Load(corpus.Options{Builtin: cfg.Corpus.Builtin, Dirs: cfg.Corpus.Dirs}, nil)
	if err != nil {
		return xShared{}, fmt.Errorf("load the built-in corpus: %w", err)
	}
	ix, err := retrieval.Build(context.Background(), lib, retrieval.Options{K: cfg.Retrieval.TopK, Now: xNow})
	if err != nil {
		return xShared{}, fmt.Errorf("build the index: %w", err)
	}
	set, err := prompts.Load(cfg.LLM.PromptsDir)
	if err != nil {
		return xShared{}, fmt.Errorf("load the prompts: %w", err)
	}
	return xShared{lib: lib, ix: ix, set: set}, nil
})

type xShared struct {
	lib *corpus.Library
	ix  *retrieval.Index
	set *prompts.Set
}

// conversations is a channel's conversation core over the shared
// pipeline, with the options cmd/policybot's chatOptions gives the config;
// tune, when not nil, adjusts them as that channel's command does.
func (e *xEnv) conversations(channel string, tune func(*chat.Options)) *chat.Conversations {
	b := e.cfg.Bot
	opts := chat.Options{
		HistoryTurns:  b.HistoryTurns,
		IdleTimeout:   b.IdleTimeout,
		MaxInputChars: b.MaxInputChars,
		AnswerTimeout: b.AnswerTimeout,
		PendingAfter:  b.PendingAfter,
		UserPerMinute: float64(b.UserRate.PerMinute),
		UserBurst:     b.UserRate.Burst,
		ReplyMaxChars: b.ReplyMaxChars,
		PartPause:     b.PartPause,
		SendInterval:  b.SendInterval,
		GroupPrefix:   e.cfg.WeChat.GroupPrefix,
		Scope:         e.lib.Scope().Summary(),
		Channel:       channel,
	}
	if tune != nil {
		tune(&opts)
	}
	return chat.New(e.pipe, opts, nil)
}

// xCite is one citation as every channel can tell it: its [n], the cited
// document and the clause.
type xCite struct {
	N      int
	DocID  string
	Clause string
}

func (c xCite) String() string { return fmt.Sprintf("[%d]%s %s", c.N, c.DocID, c.Clause) }

// xAnswer is the last answer one channel gave.
type xAnswer struct {
	channel string
	text    string // as the user saw it
	cites   []xCite
	found   *bool // whether the corpus answers, when the channel says
}

func xSameCites(a, b []xCite) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// xSummary lines up each channel's citations for a failure message.
func xSummary(as []xAnswer) string {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "  %-8s %v\n", a.channel+":", a.cites)
	}
	return strings.TrimRight(b.String(), "\n")
}

// xConsole asks through the staff console's HTTP API.
func xConsole(t *testing.T, env *xEnv, history []string, question string) xAnswer {
	t.Helper()
	w := env.cfg.Web
	srv := httptest.NewServer(web.NewServer(env.conversations("web", nil), env.ix, env.lib, web.Options{
		Token: w.Token, MaxBodyBytes: w.MaxBodyBytes, RatePerMinute: float64(w.RatePerMinute),
		Timeout: w.Timeout, Scope: env.lib.Scope().Summary(),
	}, nil))
	defer srv.Close()

	body, err := json.Marshal(map[string]any{"question": question, "history": history})
	if err != nil {
		t.Fatalf("console: encode the request: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/ask", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("console: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("console: POST /api/ask: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("console: read the answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("console: POST /api/ask: got %s: %s", resp.Status, raw)
	}
	var got struct {
		Answer    string `json:"answer"`
		Found     bool   `json:"found"`
		Citations []struct {
			N      int    `json:"n"`
			DocID  string `json:"doc_id"`
			Title  string `json:"title"`
			DocNo  string `json:"doc_no"`
			Clause string `json:"clause"`
		} `json:"citations"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("console: decode the answer %s: %v", raw, err)
	}
	a := xAnswer{text: got.Answer}
	for _, c := range got.Citations {
		a.cites = append(a.cites, xCite{N: c.N, DocID: c.DocID, Clause: c.Clause})
	}
	// The terminal and WeChat show only the text: the 来源 block must say
	// what the JSON says, or reading it there would prove nothing.
	if shown, err := xCitesIn(env.lib, got.Answer); err != nil {
		t.Errorf("console: %v", err)
	} else if !xSameCites(shown, a.cites) {
		t.Errorf("console: the answer text's 来源 block lists %v, the JSON %v", shown, a.cites)
	}
	a.found = &got.Found
	return a
}

// xTerminal types the history and the question into the terminal.
func xTerminal(t *testing.T, env *xEnv, history []string, question string) xAnswer {
	t.Helper()
	// As cmd/policybot's chat command tunes the core for one person at a
	// keyboard.
	conv := env.conversations("cli", func(o *chat.Options) {
		o.SendInterval, o.PartPause, o.ReplyMaxChars = 0, 0, 0
		o.UserPerMinute, o.UserBurst = 0, 0
	})
	lines := append(append([]string(nil), history...), question)
	in := strings.NewReader(strings.Join(lines, "\n") + "\n")
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := terminal.Run(ctx, conv, in, &out, "政策助手 · 测试"); err != nil {
		t.Fatalf("terminal: Run: %v\n%s", err, out.String())
	}
	if ctx.Err() != nil {
		t.Fatalf("terminal: gave up waiting for the answers:\n%s", out.String())
	}
	// The screen is the banner, then a prompt before each line typed and
	// one more before the end of input: what follows the last prompt but
	// one is the answer to the question.
	screens := strings.Split(out.String(), "\n> ")
	if want := len(lines) + 2; len(screens) != want {
		t.Fatalf("terminal: got %d prompts, want %d:\n%s", len(screens)-1, want-1, out.String())
	}
	text := screens[len(screens)-2]
	cites, err := xCitesIn(env.lib, text)
	if err != nil {
		t.Errorf("terminal: %v", err)
	}
	return xAnswer{text: text, cites: cites}
}

// xCounted is the conversation core seen from Run: it passes every message
// and send through, and reports each message handled with the number of
// replies sent, so that the test knows how many texts of the fake's make
// up one answer.
type xCounted struct {
	h    handler
	done chan xHandled
}

type xHandled struct {
	id    string
	sends int
	err   error
}

func (c *xCounted) Accept(m chat.Message) func(context.Context, chat.Sender) error {
	run := c.h.Accept(m)
	if run == nil {
		c.done <- xHandled{id: m.ID} // not answered
		return nil
	}
	return func(ctx context.Context, send chat.Sender) error {
		var n atomic.Int64
		err := run(ctx, func(ctx context.Context, r chat.Reply) error {
			err := send(ctx, r)
			if err == nil {
				n.Add(1)
			}
			return err
		})
		c.done <- xHandled{id: m.ID, sends: int(n.Load()), err: err}
		return err
	}
}

// xWeChat logs the real openwechat client in to the fake and has one
// friend send the history, then the question, each after the answer to
// the one before, as a person would.
func xWeChat(t *testing.T, env *xEnv, history []string, question string) xAnswer {
	t.Helper()
	if n, burst := len(history)+1, env.cfg.Bot.UserRate.Burst; n > burst {
		// More would be answered with the note to slow down, as it
		// would be for a real user.
		t.Fatalf("wechat: %d messages from one friend at once, want at most the burst of %d", n, burst)
	}
	f := newFakeWeChat(t)
	path := filepath.Join(t.TempDir(), "storage.json")
	writeHotStorage(t, path)
	logs := &syncBuffer{}
	defer func() {
		if t.Failed() {
			t.Logf("wechat logs:\n%s", logs)
		}
	}()
	// The program's WeChat core, without its pacing: that only slows the
	// test down. Splitting stays: the parts are joined below.
	conv := env.conversations("wechat", func(o *chat.Options) {
		o.SendInterval, o.PartPause = 0, 0
	})
	h := &xCounted{h: conv, done: make(chan xHandled, 16)}
	w := env.cfg.WeChat
	opts := Options{
		Mode: w.Mode, StoragePath: path, OnLogout: w.OnLogout,
		AcceptFriends: w.AcceptFriends, FriendGreeting: w.FriendGreeting, QROut: &syncBuffer{},
		HandleTimeout: env.cfg.Bot.AnswerTimeout + time.Minute, Groups: w.Groups,
		transport: f.transport(), retryPause: time.Millisecond,
	}

	// The fake blocks a send until its text is taken: take them as they
	// come.
	var (
		mu   sync.Mutex
		sent []sentText
	)
	stop := make(chan struct{})
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for {
			select {
			case s := <-f.sent:
				mu.Lock()
				sent = append(sent, s)
				mu.Unlock()
			case <-stop:
				return
			}
		}
	}()
	ctx, cancel := context.WithCancel(t.Context())
	done := runInBackground(ctx, h, opts, testLogger(logs))
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("wechat: Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("wechat: Run did not return within 30s of cancel")
		}
		close(stop)
		<-collected
	}()

	var last []sentText
	for i, text := range append(append([]string(nil), history...), question) {
		id := strconv.Itoa(7001 + i)
		mu.Lock()
		before := len(sent)
		mu.Unlock()
		f.events <- syncEvent{msgs: []map[string]any{textFrom(id, fakeFriend, text, 1795000100+int64(i))}}
		got := await(t, h.done, "the answer to message "+id)
		if got.id != id || got.err != nil || got.sends == 0 {
			t.Fatalf("wechat: message %s: got handled %+v, want message %s answered without error", id, got, id)
		}
		// Bounded wait for the sends to reach the fake's channel.
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := len(sent) - before
			if n >= got.sends {
				last = append([]sentText(nil), sent[before:]...)
			}
			mu.Unlock()
			if n >= got.sends {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("wechat: message %s: the fake got %d of %d replies in 10s", id, n, got.sends)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if len(last) != got.sends {
			t.Fatalf("wechat: message %s: the fake got %d replies, the core sent %d", id, len(last), got.sends)
		}
	}

	parts := make([]string, 0, len(last))
	for _, s := range last {
		if s.to != fakeFriend || s.from != fakeSelf {
			t.Errorf("wechat: a reply went from %s to %s, want from %s to %s", s.from, s.to, fakeSelf, fakeFriend)
		}
		parts = append(parts, s.content)
	}
	// Split cuts only at whitespace, which it drops; a line break puts
	// back what matters for reading the 来源 block.
	text := strings.Join(parts, "\n")
	cites, err := xCitesIn(env.lib, text)
	if err != nil {
		t.Errorf("wechat: %v", err)
	}
	return xAnswer{text: text, cites: cites}
}

// xCitesIn reads the citations from an answer's text, as a user reads
// them: from the 来源 line and the lines after it that go on listing
// sources. An entry is "[n]《title》（文号）clause" followed by when the
// document was issued ("，发布于2018年" or "，2018年8月3日发布"); entries
// stand one to a line or are joined by "；". The title may be shortened
// ("…", or the inner title of a 关于印发《…》的通知), so the document is
// found in lib by its 文号 and a title that contains the one shown.
func xCitesIn(lib *corpus.Library, text string) ([]xCite, error) {
	lines := strings.Split(text, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "来源：") {
			if start >= 0 {
				return nil, fmt.Errorf("two 来源 in:\n%s", text)
			}
			start = i
		}
	}
	if start < 0 {
		return nil, nil
	}
	section := []string{strings.TrimPrefix(strings.TrimSpace(lines[start]), "来源：")}
	for _, l := range lines[start+1:] {
		l = strings.TrimSpace(l)
		if !xEntryRe.MatchString(l) || xEntryRe.FindStringIndex(l)[0] != 0 {
			break // a blank line, 时效提示, or the answer's details
		}
		section = append(section, l)
	}
	// The old block has the 来源 line to itself.
	joined := strings.TrimLeft(strings.Join(section, "\n"), "\n")
	var starts []int
	for _, m := range xEntryRe.FindAllStringIndex(joined, -1) {
		if m[0] == 0 || strings.HasSuffix(joined[:m[0]], "\n") || strings.HasSuffix(joined[:m[0]], "；") {
			starts = append(starts, m[0])
		}
	}
	if len(starts) == 0 || starts[0] != 0 {
		return nil, fmt.Errorf("来源 does not start with [n]《title》 in:\n%s", text)
	}
	var out []xCite
	for i, from := range starts {
		to := len(joined)
		if i+1 < len(starts) {
			to = starts[i+1]
		}
		cs, err := xParseEntry(lib, strings.TrimRight(joined[from:to], "；\n "))
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	// A document's further clauses are listed after its first: the
	// citations are read in the order of their numbers.
	sort.SliceStable(out, func(i, j int) bool { return out[i].N < out[j].N })
	return out, nil
}

// xEntryRe finds where a 来源 entry starts.
var xEntryRe = regexp.MustCompile(`\[(\d+)\]《`)

// xMoreRe is a document's further clause within its 来源 entry:
// "[n]《title》（文号）clause [m]clause，date".
var xMoreRe = regexp.MustCompile(` \[(\d+)\]`)

// xParseEntry reads one 来源 entry, "[n]《title》（文号）clause，date", with
// the document's further clauses, " [m]clause", before the date.
func xParseEntry(lib *corpus.Library, e string) ([]xCite, error) {
	bad := func(why string) ([]xCite, error) { return nil, fmt.Errorf("来源 entry %q: %s", e, why) }
	m := xEntryRe.FindStringSubmatch(e)
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return bad("no [n]")
	}
	rest := e[len(m[0])-len("《"):]
	title, rest, ok := xBalanced(rest, "《", "》")
	if !ok {
		return bad("unbalanced 《》")
	}
	// A bracket after the title is its 文号 when the corpus has one like
	// it; otherwise it belongs to the clause.
	docNo := ""
	if no, after, ok := xBalanced(rest, "（", "）"); ok && xHasDocNo(lib, no) {
		docNo, rest = no, after
	}
	clause := rest
	if i := strings.LastIndex(rest, "，"); i >= 0 && strings.Contains(rest[i:], "发布") {
		clause = rest[:i]
	}
	shown := strings.TrimSuffix(title, "…")
	var ids []string
	for _, d := range lib.Documents() {
		if d.DocNo == docNo && strings.Contains(d.Title, shown) {
			ids = append(ids, d.ID)
		}
	}
	if len(ids) != 1 {
		return bad(fmt.Sprintf("names %d documents of the corpus %v, want 1", len(ids), ids))
	}
	more := xMoreRe.FindAllStringSubmatchIndex(clause, -1)
	if len(more) == 0 {
		return []xCite{{N: n, DocID: ids[0], Clause: clause}}, nil
	}
	out := []xCite{{N: n, DocID: ids[0], Clause: clause[:more[0][0]]}}
	for k, m := range more {
		to := len(clause)
		if k+1 < len(more) {
			to = more[k+1][0]
		}
		mn, _ := strconv.Atoi(clause[m[2]:m[3]])
		out = append(out, xCite{N: mn, DocID: ids[0], Clause: clause[m[1]:to]})
	}
	return out, nil
}

// xBalanced reads a bracketed run at the start of s, brackets nested, and
// returns what is inside and what follows.
func xBalanced(s, open, close string) (inside, rest string, ok bool) {
	if !strings.HasPrefix(s, open) {
		return "", s, false
	}
	depth := 0
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], open):
			depth++
			i += len(open)
		case strings.HasPrefix(s[i:], close):
			depth--
			i += len(close)
			if depth == 0 {
				return s[len(open) : i-len(close)], s[i:], true
			}
		default:
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
	}
	return "", s, false
}

func xHasDocNo(lib *corpus.Library, no string) bool {
	for _, d := range lib.Documents() {
		if d.DocNo != "" && d.DocNo == no {
			return true
		}
	}
	return false
}
