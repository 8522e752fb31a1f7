package terminal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/corpus"
)

// What the conversation core says, as these tests expect to see it.
const (
	noteCorrected = "（以上回答经核对引用已更正，请以下面的回答为准：）"
	noteReplaced  = "（以上回答未能完成，请以下面的内容为准：）"
	msgPending    = "正在查询，请稍候…"
	msgFailed     = "抱歉，系统暂时出了点问题，请稍后再试。"
)

// The answer the fake answerer gives: its lead, its whole text, and what
// follows the lead when the lead was streamed.
const (
	lead    = "甲[1]。"
	text    = lead + "\n时效：[1]未写明期限，请确认是否仍有效\n来源：[1]《某文件》一，未载明发布日期"
	sources = "\n\n时效：[1]未写明期限，请确认是否仍有效\n来源：[1]《某文件》一，未载明发布日期"
	banner  = "政策助手 · 测试"
)

// cites is what the fake answer cites.
var cites = []answer.Citation{{N: 1, Title: "某文件", Clause: "一", Validity: corpus.Validity{Status: corpus.StatusUnstated}}}

// grounded is the fake answer as the pipeline gives it when the model's
// text stands.
func grounded() answer.Result {
	return answer.Result{Text: text, Found: true, Lead: lead, Citations: cites, Validity: []string{}}
}

// replaced is the fake answer when the model failed while it wrote: the
// extract, under the note saying so.
func replaced() answer.Result {
	const note, body = "（智能回答暂时不可用）原文摘录：", "[1]一：“甲。”"
	return answer.Result{
		Text:  "甲。[1]" + strings.TrimPrefix(text, lead) + "\n\n" + note + "\n" + body,
		Found: true, Lead: "甲。[1]", Note: note, Body: body, Citations: cites, Validity: []string{},
	}
}

// screenOf is what Run prints for the given turns, one per input line.
func screenOf(turns ...string) string {
	return banner + "\n" + hint + "\n" + prompt + strings.Join(turns, prompt) + prompt + "\n"
}

// streamer is the answer pipeline for a real chat.Conversations: play
// writes the answer and returns it, or err.
type streamer struct {
	play func(ctx context.Context, onDelta func(string)) (answer.Result, error)
}

func (s streamer) AnswerStream(ctx context.Context, _ string, _ []string, onDelta func(string)) (answer.Result, error) {
	a, err := s.play(ctx, onDelta)
	if err != nil {
		return answer.Result{}, err
	}
	return a, nil
}

// TestRunWithChat drives the terminal through the real conversation core.
func TestRunWithChat(t *testing.T) {
	// The fake answers are laid out as the pipeline lays them out.
	if a := grounded(); a.Head() != a.Text || a.Details() != "" {
		t.Fatalf("precondition: the fake answer's text is not its head %q", a.Head())
	}
	if a := replaced(); a.Head()+"\n\n"+a.Details() != a.Text {
		t.Fatalf("precondition: the fake fallback's text is not its head and details %q", a.Head()+"\n\n"+a.Details())
	}
	tests := []struct {
		name string
		opts chat.Options
		play func(ctx context.Context, d func(string)) (answer.Result, error)
		want string // the turn of the question
	}{
		{
			// The streamed lead stands; the validity and the sources
			// follow it.
			name: "streamed",
			play: func(_ context.Context, d func(string)) (answer.Result, error) {
				d("甲")
				d("[1]")
				d("。")
				return grounded(), nil
			},
			want: "\n甲[1]。" + sources + "\n",
		},
		{
			name: "nothing streamed",
			play: func(context.Context, func(string)) (answer.Result, error) { return grounded(), nil },
			want: "\n" + text + "\n",
		},
		{
			name: "blanks at the ends of the stream",
			play: func(_ context.Context, d func(string)) (answer.Result, error) {
				d("\n\n")
				d("甲[1]")
				d("。\n")
				d(" ")
				return grounded(), nil
			},
			want: "\n甲[1]。" + sources + "\n",
		},
		{
			name: "only blanks streamed",
			play: func(_ context.Context, d func(string)) (answer.Result, error) { d("\n "); return grounded(), nil },
			want: "\n" + text + "\n",
		},
		{
			// Markdown the model wrote is shown raw while it streams, and
			// then stands: it says the same as the answer.
			name: "Markdown streamed",
			play: func(_ context.Context, d func(string)) (answer.Result, error) {
				d("**甲**[1]。")
				return grounded(), nil
			},
			want: "\n**甲**[1]。" + sources + "\n",
		},
		{
			name: "corrected",
			play: func(_ context.Context, d func(string)) (answer.Result, error) {
				d("甲[1]。乙[9]。")
				return grounded(), nil
			},
			want: "\n甲[1]。乙[9]。\n\n" + noteCorrected + "\n" + text + "\n",
		},
		{
			name: "replaced",
			play: func(_ context.Context, d func(string)) (answer.Result, error) { d("甲"); return replaced(), nil },
			want: "\n甲\n\n" + noteReplaced + "\n" + replaced().Text + "\n",
		},
		{
			name: "failed while streaming",
			play: func(_ context.Context, d func(string)) (answer.Result, error) {
				d("甲")
				return answer.Result{}, errors.New("boom")
			},
			want: "\n甲\n\n" + msgFailed + "\n",
		},
		{
			name: "given up while streaming",
			opts: chat.Options{AnswerTimeout: 20 * time.Millisecond},
			play: func(ctx context.Context, d func(string)) (answer.Result, error) {
				d("甲")
				<-ctx.Done()
				d("乙")
				return answer.Result{}, ctx.Err()
			},
			want: "\n甲\n\n" + msgFailed + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv := chat.New(streamer{play: tt.play}, tt.opts, nil)
			var out strings.Builder
			if err := Run(t.Context(), conv, strings.NewReader("问题\n"), &out, banner); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got, want := out.String(), screenOf(tt.want); got != want {
				t.Errorf("got\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// TestRunTurns: each line is a message of its own, in one chat that
// remembers, and the input may end without a newline.
func TestRunTurns(t *testing.T) {
	var mu sync.Mutex
	var histories [][]string
	a := historyAnswerer(func(q string, h []string) {
		mu.Lock()
		histories = append(histories, h)
		mu.Unlock()
	})
	conv := chat.New(a, chat.Options{HistoryTurns: 5, Scope: "范围说明"}, nil)
	var out strings.Builder
	if err := Run(t.Context(), conv, strings.NewReader("问一\n范围\n问二"), &out, banner); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := screenOf("\n答：问一\n", "\n范围说明\n", "\n答：问二\n")
	if got := out.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if len(histories) != 2 || len(histories[0]) != 0 || strings.Join(histories[1], "|") != "问一" {
		t.Errorf("got histories %q, want none and then [问一]", histories)
	}
}

// historyAnswerer answers "答：<question>", telling seen each question
// and its history.
type historyAnswerer func(question string, history []string)

func (f historyAnswerer) AnswerStream(_ context.Context, question string, history []string, _ func(string)) (answer.Result, error) {
	f(question, history)
	return answer.Result{Text: "答：" + question, Found: true}, nil
}

// fakeCore plays the conversation core: handle shows and sends as the
// test says.
type fakeCore struct {
	handle func(ctx context.Context, m chat.Message, send chat.Sender) error
	got    []chat.Message
}

func (f *fakeCore) Handle(ctx context.Context, m chat.Message, send chat.Sender) error {
	f.got = append(f.got, m)
	return f.handle(ctx, m, send)
}

// TestRunOrder covers what the real core does only by chance of timing,
// or not at all yet.
func TestRunOrder(t *testing.T) {
	tests := []struct {
		name string
		play func(ctx context.Context, show func(string), send func(text string, shown bool))
		want string
	}{
		{
			name: "pending note before the text",
			play: func(_ context.Context, show func(string), send func(string, bool)) {
				send(msgPending, false)
				show("甲[1]。")
				send(sources, true)
			},
			want: "\n" + msgPending + "\n\n甲[1]。" + sources + "\n",
		},
		{
			name: "pending note racing the text",
			play: func(_ context.Context, show func(string), send func(string, bool)) {
				show("甲")
				send(msgPending, false)
				show("[1]。")
				send(sources, true)
			},
			want: "\n甲[1]。" + sources + "\n",
		},
		{
			name: "the completing reply in parts",
			play: func(_ context.Context, show func(string), send func(string, bool)) {
				show("甲[1]。")
				send("\n\n来源：", true)
				send("时效提示：", false)
			},
			want: "\n甲[1]。\n\n来源：\n\n时效提示：\n",
		},
		{
			name: "an empty reply completes the text",
			play: func(_ context.Context, show func(string), send func(string, bool)) {
				show("甲。")
				send("", true)
			},
			want: "\n甲。\n",
		},
		{
			name: "no reply completes the text",
			play: func(_ context.Context, show func(string), _ func(string, bool)) { show("甲\n") },
			want: "\n甲\n",
		},
		{
			name: "a plain reply",
			play: func(_ context.Context, _ func(string), send func(string, bool)) { send("乙", false) },
			want: "\n乙\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := &fakeCore{handle: func(ctx context.Context, m chat.Message, send chat.Sender) error {
				tt.play(ctx, m.Show, func(text string, shown bool) {
					if err := send(ctx, chat.Reply{Text: text, Shown: shown}); err != nil {
						t.Errorf("send %q: %v", text, err)
					}
				})
				return nil
			}}
			var out strings.Builder
			if err := Run(t.Context(), core, strings.NewReader("问题\n"), &out, banner); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got, want := out.String(), screenOf(tt.want); got != want {
				t.Errorf("got\n%q\nwant\n%q", got, want)
			}
			if len(core.got) != 1 {
				t.Fatalf("got %d messages, want 1", len(core.got))
			}
			if m := core.got[0]; m.Text != "问题" || m.ChatID == "" || m.ID == "" || m.Kind != chat.KindText || m.Show == nil {
				t.Errorf("got message %+v, want the line as a text message with an id, a chat and Show", m)
			}
		})
	}
}

// failingWriter fails every write once after accepting ok of them.
type failingWriter struct {
	ok int
	n  int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n++; w.n > w.ok {
		return 0, errors.New("screen gone")
	}
	return len(p), nil
}

// errReader returns err after its text.
type errReader struct {
	r   io.Reader
	err error
}

func (e errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		err = e.err
	}
	return n, err
}

func TestRunErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name   string
		in     io.Reader
		out    io.Writer
		handle func(ctx context.Context, m chat.Message, send chat.Sender) error
		want   string // a piece of the error; "" wants none
	}{
		{
			name:   "core fails",
			in:     strings.NewReader("问题\n"),
			out:    io.Discard,
			handle: func(context.Context, chat.Message, chat.Sender) error { return boom },
			want:   "boom",
		},
		{
			name: "the text cannot be shown",
			in:   strings.NewReader("问题\n"),
			out:  &failingWriter{ok: 2}, // the banner and the prompt
			handle: func(ctx context.Context, m chat.Message, send chat.Sender) error {
				m.Show("甲")
				return send(ctx, chat.Reply{Text: sources, Shown: true})
			},
			want: "print the answer: screen gone",
		},
		{
			name: "the text cannot be shown, nothing sent",
			in:   strings.NewReader("问题\n"),
			out:  &failingWriter{ok: 2},
			handle: func(_ context.Context, m chat.Message, _ chat.Sender) error {
				m.Show("甲")
				return nil
			},
			want: "print the answer: screen gone",
		},
		{
			name:   "input fails",
			in:     errReader{r: strings.NewReader("问题\n"), err: boom},
			out:    io.Discard,
			handle: func(context.Context, chat.Message, chat.Sender) error { return nil },
			want:   "read the input: boom",
		},
		{
			name: "interrupted while answering",
			in:   strings.NewReader("问题\n再问\n"),
			out:  io.Discard,
			handle: func(ctx context.Context, _ chat.Message, _ chat.Sender) error {
				<-ctx.Done()
				return fmt.Errorf("send reply part 1: %w", ctx.Err())
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			handle := tt.handle
			if tt.want == "" {
				handle = func(hctx context.Context, m chat.Message, send chat.Sender) error {
					cancel()
					return tt.handle(hctx, m, send)
				}
			}
			err := Run(ctx, &fakeCore{handle: handle}, tt.in, tt.out, banner)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got error %v, want one with %q", err, tt.want)
			}
		})
	}
}

// TestRunInterruptedWhileWaiting: ending ctx ends a session waiting for a
// line that does not come.
func TestRunInterruptedWhileWaiting(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	var out syncBuilder
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, &fakeCore{}, r, &out, banner)
	}()
	for !strings.HasSuffix(out.String(), prompt) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("got error %v, want none", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still waits for input after ctx ended")
	}
}

// syncBuilder is a strings.Builder safe for a test reading it while Run
// writes.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
