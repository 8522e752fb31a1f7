package terminal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/policybot/policybot/bot/chat"
)

// notRecording answers every line and then fails to record it, as a core
// on a full disk does.
type notRecording struct{ asked []string }

func (n *notRecording) Handle(ctx context.Context, m chat.Message, send chat.Sender) error {
	n.asked = append(n.asked, m.Text)
	if err := send(ctx, chat.Reply{Text: "答：" + m.Text}); err != nil {
		return err
	}
	return fmt.Errorf("%w: write: no space left on device", chat.ErrNotRecorded)
}

// TestRunGoesOnWithoutRecord: a Q&A record that cannot be written does
// not end the conversation.
func TestRunGoesOnWithoutRecord(t *testing.T) {
	core := &notRecording{}
	var out strings.Builder
	if err := Run(t.Context(), core, strings.NewReader("一\n二\n"), &out, "政策助手"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(core.asked) != 2 || !strings.Contains(out.String(), "答：二") || !strings.Contains(out.String(), "未能写入记录") {
		t.Errorf("asked %q; screen:\n%s", core.asked, out.String())
	}
	if !onlyNotRecorded(errors.Join(fmt.Errorf("%w: x", chat.ErrNotRecorded))) || onlyNotRecorded(errors.Join(errors.New("screen gone"), fmt.Errorf("%w: x", chat.ErrNotRecorded))) {
		t.Errorf("onlyNotRecorded misjudges joined errors")
	}
}
