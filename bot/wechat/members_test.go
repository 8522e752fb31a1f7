package wechat

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/chat"
)

// TestRunMentionsMemberWhoJoinedLater: a member who joined the group
// after its members were fetched asks with an @-mention; the answer must
// @-mention them by their group name, the group's members being fetched
// again for it once, not once per message.
func TestRunMentionsMemberWhoJoinedLater(t *testing.T) {
	f := newFakeWeChat(t)
	path := filepath.Join(t.TempDir(), "storage.json")
	writeHotStorage(t, path)
	logs := &syncBuffer{}
	defer func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	}()
	conv := chat.New(echoAnswerer{}, chat.Options{}, nil)
	opts := Options{
		StoragePath: path, QROut: &syncBuffer{}, HandleTimeout: time.Minute,
		transport: f.transport(), retryPause: time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runInBackground(ctx, conv, opts, testLogger(logs))
	const ask = "@" + fakeSelfNick + "\u2005"
	await(t, f.polling, "the first poll")
	f.events <- syncEvent{msgs: []map[string]any{groupText("6001", fakeGroup, fakeMember, ask+"老成员的问题", 1795000300)}}
	s := await(t, f.sent, "the answer to the known member")
	if !strings.HasPrefix(s.content, "@李会计\u2005") {
		t.Errorf("known member: got %q, want it to start with @李会计", s.content)
	}
	before := f.lookupsOf(fakeGroup)

	f.join(fakeGroup, "@member2", "王五", "王会计")
	f.events <- syncEvent{msgs: []map[string]any{
		groupText("6002", fakeGroup, "@member2", ask+"新成员的问题", 1795000301),
		groupText("6003", fakeGroup, "@member2", ask+"新成员的第二个问题", 1795000302),
	}}
	for range 2 {
		s := await(t, f.sent, "the answer to the new member")
		if !strings.HasPrefix(s.content, "@王会计\u2005") {
			t.Errorf("new member: got %q, want it to start with @王会计", s.content)
		}
	}
	cancel()
	if err := await(t, done, "Run to return"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := f.lookupsOf(fakeGroup) - before; n != 1 {
		t.Errorf("the group's members were fetched %d times for the new member, want once", n)
	}
}

// TestRunUnknownMemberBounded: messages from someone the group's member
// list never shows (it lags behind a join) cost one fetch of the members
// per minute, not one per message, chatter included; the questions among
// them are answered, without the @.
func TestRunUnknownMemberBounded(t *testing.T) {
	f := newFakeWeChat(t)
	conv := chat.New(echoAnswerer{}, chat.Options{}, nil)
	logs, done, cancel := startRun(t, f, conv, Options{})
	const ask = "@" + fakeSelfNick + "\u2005"
	await(t, f.polling, "the first poll")
	f.events <- syncEvent{msgs: []map[string]any{groupText("6101", fakeGroup, fakeMember, ask+"老成员的问题", 1795000310)}}
	await(t, f.sent, "the answer to the known member")
	before := f.lookupsOf(fakeGroup)
	f.events <- syncEvent{msgs: []map[string]any{
		groupText("6102", fakeGroup, "@ghost", "大家好", 1795000311),
		groupText("6103", fakeGroup, "@ghost", "今天开会吗", 1795000312),
		groupText("6104", fakeGroup, "@ghost", ask+"新成员的问题", 1795000313),
	}}
	s := await(t, f.sent, "the answer to the unknown member")
	cancel()
	if err := await(t, done, "Run to return"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.HasPrefix(s.content, "答：新成员的问题") {
		t.Errorf("got %q, want the answer without an @", s.content)
	}
	if n := f.lookupsOf(fakeGroup) - before; n != 1 {
		t.Errorf("the group's members were fetched %d times for 3 messages, want once", n)
	}
	if !strings.Contains(logs.String(), "answering without the @") {
		t.Error("log does not say the answer goes without the @")
	}
}
