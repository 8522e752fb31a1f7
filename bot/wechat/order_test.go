package wechat

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	botanswer "github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/chat"
)

// echoAnswerer answers "答：<question>", and says which earlier questions
// it was given, so that the order of answers and of memory both show.
type echoAnswerer struct{}

func (echoAnswerer) AnswerStream(_ context.Context, q string, history []string, _ func(string)) (botanswer.Result, error) {
	return botanswer.Result{Text: "答：" + q + "｜" + strings.Join(history, ","), Found: true}, nil
}

// TestRunOrderWithinChatOneSync: 50 friends, all in the contact list, each
// send 6 questions, all delivered in one sync, to the real openwechat
// client under Run with the real conversation core. Each chat must get its
// answers in the order of its questions, each answer having been given
// exactly the questions before it as history.
//
// When Run called Handle in a goroutine per message, the goroutines took
// their chats' places in line in whatever order the scheduler ran them:
// against that code this test failed every run (10 of 10 under -race,
// 19 to 34 of the 50 chats out of order).
func TestRunOrderWithinChatOneSync(t *testing.T) {
	const chats, perChat = 50, 6
	f := newFakeWeChat(t)
	path := filepath.Join(t.TempDir(), "storage.json")
	writeHotStorage(t, path)
	logs := &syncBuffer{}
	defer func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	}()
	conv := chat.New(echoAnswerer{}, chat.Options{HistoryTurns: perChat, Channel: "wechat"}, nil)
	opts := Options{
		StoragePath: path, QROut: &syncBuffer{}, HandleTimeout: time.Minute,
		transport: f.transport(), retryPause: time.Millisecond,
	}
	for i := range chats {
		f.friends = append(f.friends, map[string]any{"UserName": fmt.Sprintf("@friend%03d", i), "NickName": fmt.Sprint("老板", i)})
	}
	var batch []map[string]any
	for i := range chats {
		for k := range perChat {
			id := fmt.Sprintf("%d%03d%d", 5, i, k)
			batch = append(batch, textFrom(id, fmt.Sprintf("@friend%03d", i), fmt.Sprintf("问%d", k), 1795000200+int64(k)))
		}
	}
	f.events <- syncEvent{msgs: batch}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runInBackground(ctx, conv, opts, testLogger(logs))
	got := map[string][]string{}
	for range chats * perChat {
		s := await(t, f.sent, "an answer")
		got[s.to] = append(got[s.to], s.content)
	}
	cancel()
	if err := await(t, done, "Run to return after cancel"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	bad := 0
	for i := range chats {
		to := fmt.Sprintf("@friend%03d", i)
		var want []string
		for k := range perChat {
			var hist []string
			for j := range k {
				hist = append(hist, fmt.Sprintf("问%d", j))
			}
			want = append(want, fmt.Sprintf("答：问%d｜%s", k, strings.Join(hist, ",")))
		}
		if fmt.Sprint(got[to]) != fmt.Sprint(want) {
			bad++
			if bad <= 3 {
				t.Errorf("%s: got %q, want %q", to, got[to], want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d chats out of order", bad, chats)
	}
}
