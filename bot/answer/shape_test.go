package answer_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/retrieval"
)

// wechatMessage is the longest WeChat message the bot sends, in
// characters (config's bot.reply_max_chars).
const wechatMessage = 600

// TestAnswerShape answers every question of the evaluation sets offline
// and checks the shape a reader on WeChat gets: each answer's head (its
// first message) holds a lead, the validity of every cited document and
// the 来源 line, and most answers fit one message. With -v it prints the
// length figures per set.
func TestAnswerShape(t *testing.T) {
	env := plSetup(t)
	p := plBuild(t, env, nil, nil, answer.Options{}, nil)
	sets := []struct {
		name, path string
	}{
		{"dev", "../../../shared/eval/dev.jsonl"},
		{"probe", "../../retrieval/testdata/probe.jsonl"},
		{"fresh_a", "../../retrieval/testdata/fresh_a.jsonl"},
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			f, err := os.Open(set.path)
			if err != nil {
				if os.Getenv("CI") != "" || !os.IsNotExist(err) {
					t.Fatal(err)
				}
				t.Skipf("%s not here: %v", set.path, err)
			}
			defer f.Close()
			items, err := retrieval.ReadEval(f)
			if err != nil {
				t.Fatal(err)
			}
			var lengths []int
			one := 0
			for _, it := range items {
				a := plAsk(t, p, it.Question, it.History)
				n := utf8.RuneCountInString(a.Text)
				lengths = append(lengths, n)
				if n <= wechatMessage {
					one++
				} else if os.Getenv("SHAPE_DUMP") != "" {
					t.Logf("%s %d:\n%s", it.ID, n, a.Text)
				}
				head := a.Head()
				if a.Lead == "" || !strings.HasPrefix(head, a.Lead) {
					t.Errorf("%s %q: head does not open with a lead:\n%s", it.ID, it.Question, head)
				}
				if utf8.RuneCountInString(head) > wechatMessage {
					t.Errorf("%s %q: head of %d characters does not fit one message", it.ID, it.Question, utf8.RuneCountInString(head))
				}
				for _, c := range a.Citations {
					ref := fmt.Sprintf("[%d]", c.N)
					status, sources, _ := strings.Cut(strings.TrimPrefix(head, a.Lead), "来源：")
					if !strings.Contains(status, "时效：") || !strings.Contains(status, ref) || !strings.Contains(sources, ref) {
						t.Errorf("%s %q: head lacks the status or source of %s:\n%s", it.ID, it.Question, ref, head)
					}
				}
			}
			slices.Sort(lengths)
			share := float64(one) / float64(len(items))
			t.Logf("%s: %d answers, median %d characters (min %d, max %d), %.0f%% fit one %d-character message",
				set.name, len(items), lengths[len(lengths)/2], lengths[0], lengths[len(lengths)-1], 100*share, wechatMessage)
			if share < 0.8 {
				t.Errorf("%s: %.0f%% of answers fit one message, want at least 80%%", set.name, 100*share)
			}
		})
	}
}
