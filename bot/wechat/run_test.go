package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/policybot/policybot/bot/chat"
)

const answer = "答复：研发费用可按规定加计扣除。\n来源：[1]《测试》（冀财金〔2016〕27号）第九条"

// fakeHandler stands in for the conversation core: it records what it is
// given and answers every text from someone else, mentioning the asker in
// a group as the core does.
type fakeHandler struct {
	mu   sync.Mutex
	msgs []chat.Message
	// started, when set, gets each message as Handle begins; release, when
	// set, holds Handle until it is closed.
	started chan chat.Message
	release chan struct{}
	// finished counts Handle calls that have returned.
	finished int
}

// Accept records m, in the order Run hands messages over, and answers it
// in the function it returns.
func (h *fakeHandler) Accept(m chat.Message) func(context.Context, chat.Sender) error {
	h.mu.Lock()
	h.msgs = append(h.msgs, m)
	h.mu.Unlock()
	return func(ctx context.Context, send chat.Sender) error { return h.answer(ctx, m, send) }
}

func (h *fakeHandler) answer(ctx context.Context, m chat.Message, send chat.Sender) error {
	defer func() {
		h.mu.Lock()
		h.finished++
		h.mu.Unlock()
	}()
	if h.started != nil {
		h.started <- m
	}
	if h.release != nil {
		<-h.release
	}
	if m.Self || m.Kind != chat.KindText {
		return nil
	}
	r := chat.Reply{Text: answer}
	if m.Group {
		r.Mention = m.SenderName
	}
	return send(ctx, r)
}

func (h *fakeHandler) snapshot() (msgs []chat.Message, finished int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]chat.Message(nil), h.msgs...), h.finished
}

// runInBackground starts Run and returns the channel its result arrives on.
func runInBackground(ctx context.Context, h handler, opts Options, log *slog.Logger) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Run(ctx, h, opts, log) }()
	return done
}

func testLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestRunHotLoginAnswersAndExitsOnLogout drives the real library against
// the fake: hot login from a storage file, a private question, a group
// question that mentions the bot, noise that must not reach the core, a
// friend request, and finally a synccheck retcode 1101.
func TestRunHotLoginAnswersAndExitsOnLogout(t *testing.T) {
	f := newFakeWeChat(t)
	rt := f.transport()
	path := filepath.Join(t.TempDir(), "wechat", "storage.json")
	writeHotStorage(t, path)
	logs := &syncBuffer{}
	var qr bytes.Buffer
	h := &fakeHandler{}
	opts := Options{
		Mode:           modeDesktop,
		StoragePath:    path,
		OnLogout:       onLogoutExit,
		AcceptFriends:  true,
		FriendGreeting: "您好，我是政策助手，请直接提问。",
		QROut:          &qr,
		HandleTimeout:  time.Minute,
		transport:      rt,
		retryPause:     time.Millisecond,
	}
	defer func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	}()

	const groupQuestion = "@" + fakeSelfNick + "\u2005高新技术企业认定有什么奖励？"
	f.events <- syncEvent{msgs: []map[string]any{
		textFrom("1001", fakeFriend, "研发费用加计扣除有哪些政策？", 1795000001),
		mpArticle("1002"),
		systemNote("1003", fakeFriend),
		friendRequest("1004"),
	}}
	f.events <- syncEvent{msgs: []map[string]any{groupText("1005", fakeGroup, fakeMember, groupQuestion, 1795000002)}}

	done := runInBackground(context.Background(), h, opts, testLogger(logs))

	sent := map[string]sentText{}
	for range 3 { // the private answer, the greeting, the group answer
		s := await(t, f.sent, "a sent message")
		sent[s.to] = s
	}
	f.events <- syncEvent{retcode: "1101"}
	err := await(t, done, "Run to return after retcode 1101")

	t.Run("run ends with the logout", func(t *testing.T) {
		if err == nil {
			t.Fatal("got nil error, want one for retcode 1101")
		}
		if !errors.Is(err, openwechat.Ret(1101)) {
			t.Errorf("got error %v, want it to wrap Ret 1101", err)
		}
	})

	t.Run("the core gets the two questions", func(t *testing.T) {
		got, _ := h.snapshot()
		want := []chat.Message{
			{
				ID: "1001", ChatID: fakeFriend, SenderID: fakeFriend, SenderName: "张老板",
				Text: "研发费用加计扣除有哪些政策？", Kind: chat.KindText, Time: time.Unix(1795000001, 0),
			},
			{
				ID: "1005", ChatID: fakeGroup, SenderID: fakeMember, SenderName: "李会计",
				Text: groupQuestion, Kind: chat.KindText, Group: true, Mentioned: true, Time: time.Unix(1795000002, 0),
			},
		}
		if len(got) != len(want) {
			t.Fatalf("got %d messages %+v, want %d", len(got), got, len(want))
		}
		for i := range want {
			if !got[i].Time.Equal(want[i].Time) {
				t.Errorf("message %d: got time %v, want %v", i, got[i].Time, want[i].Time)
			}
			got[i].Time, want[i].Time = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("message %d:\ngot  %+v\nwant %+v", i, got[i], want[i])
			}
		}
	})

	t.Run("replies go to the right chats", func(t *testing.T) {
		f.mu.Lock()
		initUA := f.initUA
		f.mu.Unlock()
		tests := []struct {
			to, content string
		}{
			{fakeFriend, answer},
			{fakeGroup, "@李会计\u2005" + answer},
			{fakeNewFriend, opts.FriendGreeting},
		}
		for _, tt := range tests {
			s, ok := sent[tt.to]
			if !ok {
				t.Errorf("nothing sent to %s; sent %+v", tt.to, sent)
				continue
			}
			if s.content != tt.content {
				t.Errorf("to %s: got content %q, want %q", tt.to, s.content, tt.content)
			}
			if s.from != fakeSelf || s.typ != int(openwechat.MsgTypeText) {
				t.Errorf("to %s: got from %q type %d, want %q type %d", tt.to, s.from, s.typ, fakeSelf, openwechat.MsgTypeText)
			}
			if s.req.Sid != fakeSid || s.req.Skey != fakeSkey || s.req.Uin != fakeUin {
				t.Errorf("to %s: got BaseRequest %+v, want the session's", tt.to, s.req)
			}
			if s.cookie != fakeSid {
				t.Errorf("to %s: got wxsid cookie %q, want %q", tt.to, s.cookie, fakeSid)
			}
			if s.userAgent == "" || s.userAgent != initUA {
				t.Errorf("to %s: got User-Agent %q, want the library's %q", tt.to, s.userAgent, initUA)
			}
		}
	})

	t.Run("friend request accepted", func(t *testing.T) {
		f.mu.Lock()
		verified := f.verified
		f.mu.Unlock()
		if len(verified) != 1 {
			t.Fatalf("got %d webwxverifyuser calls, want 1", len(verified))
		}
		list, _ := verified[0]["VerifyUserList"].([]any)
		if len(list) != 1 {
			t.Fatalf("got VerifyUserList %v, want one entry", verified[0]["VerifyUserList"])
		}
		entry, _ := list[0].(map[string]any)
		if entry["Value"] != fakeNewFriend || entry["VerifyUserTicket"] != "v4_ticket" {
			t.Errorf("got verify entry %v, want %s with ticket v4_ticket", entry, fakeNewFriend)
		}
	})

	t.Run("hot login, no QR", func(t *testing.T) {
		if qr.Len() != 0 {
			t.Errorf("got QR output %q, want none", qr.String())
		}
		if f.sawPath("/jslogin") {
			t.Error("got a jslogin request, want hot login only")
		}
		f.mu.Lock()
		initCookie := f.initCookie
		f.mu.Unlock()
		if initCookie != fakeSid {
			t.Errorf("webwxinit got wxsid cookie %q, want %q from the storage file", initCookie, fakeSid)
		}
	})

	t.Run("storage keeps the cookies for the next hot login", func(t *testing.T) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read storage: %v", err)
		}
		if got := savedCookie(t, b); got != fakeSid {
			t.Errorf("got wxsid %q in the saved jar, want %q", got, fakeSid)
		}
	})

	t.Run("log says who logged in and why the session ended", func(t *testing.T) {
		out := logs.String()
		for _, want := range []string{"wechat logged in", "nickname=" + fakeSelfNick, "wechat session ended", "retcode 1101"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q", want)
			}
		}
	})

	t.Run("only the fake was reached", func(t *testing.T) {
		seen, foreign := rt.stats()
		if len(foreign) != 0 {
			t.Errorf("transport saw non-WeChat hosts: %v", foreign)
		}
		if got := f.requestCount(); got != seen || seen == 0 {
			t.Errorf("fake served %d requests, transport saw %d; want equal and non-zero", got, seen)
		}
	})
}

// TestRunQRLoginThenShutdownFinishesAnswers logs in by QR code (no storage
// file), then cancels Run while an answer is in flight: Run must stop
// receiving, let the answer be sent, and return nil.
func TestRunQRLoginThenShutdownFinishesAnswers(t *testing.T) {
	f := newFakeWeChat(t)
	rt := f.transport()
	path := filepath.Join(t.TempDir(), "nested", "dir", "storage.json")
	logs := &syncBuffer{}
	var qr syncBuffer
	h := &fakeHandler{started: make(chan chat.Message, 1), release: make(chan struct{})}
	opts := Options{
		StoragePath:   path,
		QROut:         &qr,
		HandleTimeout: time.Minute,
		transport:     rt,
		retryPause:    time.Millisecond,
	}
	defer func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runInBackground(ctx, h, opts, testLogger(logs))

	await(t, f.polling, "the first poll after login")
	f.events <- syncEvent{msgs: []map[string]any{textFrom("2001", fakeFriend, "有哪些人才政策？", 1795000010)}}
	await(t, h.started, "the handler to start")
	await(t, f.polling, "the poll after the message")
	cancel()
	await(t, f.pollGone, "the poll to be abandoned")
	close(h.release)
	err := await(t, done, "Run to return after cancel")

	if err != nil {
		t.Fatalf("got error %v, want nil after cancel", err)
	}
	if _, finished := h.snapshot(); finished != 1 {
		t.Errorf("got %d finished answers when Run returned, want 1", finished)
	}
	select {
	case s := <-f.sent:
		if s.to != fakeFriend || s.content != answer {
			t.Errorf("got send to %s %q, want to %s %q", s.to, s.content, fakeFriend, answer)
		}
	default:
		t.Error("the answer in flight was not sent before Run returned")
	}

	t.Run("QR code drawn with the link", func(t *testing.T) {
		out := qr.String()
		if link := openwechat.GetQrcodeUrl(fakeUUID); !strings.Contains(out, link) {
			t.Errorf("QR output lacks %s", link)
		}
		if !strings.ContainsAny(out, "█▀▄") {
			t.Error("QR output has no QR code blocks")
		}
	})

	t.Run("login screen warns of bans and names the official channels", func(t *testing.T) {
		out := qr.String()
		for _, want := range []string{"封号风险", "2025年1月", "1102", "两周", "公众号", "企业微信", "微信客服", "policybot serve --channel mp,wecom,kf"} {
			if !strings.Contains(out, want) {
				t.Errorf("QR output lacks %q", want)
			}
		}
		if i, j := strings.Index(out, banWarning), strings.Index(out, "█"); i < 0 || i > j {
			t.Error("the warning does not come before the QR code")
		}
	})

	t.Run("desktop mode by default", func(t *testing.T) {
		f.mu.Lock()
		hdr := f.loginHdr
		f.mu.Unlock()
		if hdr.Get("client-version") == "" || hdr.Get("extspam") == "" {
			t.Errorf("webwxnewloginpage got headers %v, want the desktop client-version and extspam", hdr)
		}
	})

	t.Run("storage saved for the next hot login", func(t *testing.T) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("stat storage: %v", err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("got storage mode %v, want 0600", perm)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read storage: %v", err)
		}
		var item openwechat.HotReloadStorageItem
		if err := json.Unmarshal(b, &item); err != nil {
			t.Fatalf("decode storage %q: %v", b, err)
		}
		if item.LoginInfo == nil || item.LoginInfo.PassTicket != fakePass || item.WechatDomain != fakeDomain {
			t.Errorf("got storage %s, want the fake's login info and domain %s", b, fakeDomain)
		}
	})

	t.Run("log explains the QR fallback", func(t *testing.T) {
		if out := logs.String(); !strings.Contains(out, "no saved session") {
			t.Errorf("log lacks the QR fallback reason:\n%s", out)
		}
	})

	t.Run("only the fake was reached", func(t *testing.T) {
		if _, foreign := rt.stats(); len(foreign) != 0 {
			t.Errorf("transport saw non-WeChat hosts: %v", foreign)
		}
	})
}

// TestRunReloginAfterLogout: with OnLogout "relogin", a retcode 1101 leads
// to hot login again; the fake rejects that session, so a QR login follows
// and answering resumes.
func TestRunReloginAfterLogout(t *testing.T) {
	f := newFakeWeChat(t)
	f.initRet = func(n int) int {
		if n == 2 { // the hot relogin: the old session is dead
			return 1101
		}
		return 0
	}
	path := filepath.Join(t.TempDir(), "storage.json")
	writeHotStorage(t, path)
	logs := &syncBuffer{}
	var qr syncBuffer
	h := &fakeHandler{}
	opts := Options{
		StoragePath:   path,
		OnLogout:      onLogoutRelogin,
		QROut:         &qr,
		HandleTimeout: time.Minute,
		transport:     f.transport(),
		retryPause:    time.Millisecond,
	}
	defer func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runInBackground(ctx, h, opts, testLogger(logs))

	await(t, f.polling, "the first session's poll")
	f.events <- syncEvent{retcode: "1101"}
	await(t, f.polling, "the second session's poll")
	f.events <- syncEvent{msgs: []map[string]any{textFrom("3001", fakeFriend, "还在吗？", 1795000020)}}
	s := await(t, f.sent, "the answer in the second session")
	cancel()
	if err := await(t, done, "Run to return after cancel"); err != nil {
		t.Fatalf("got error %v, want nil after cancel", err)
	}

	if s.to != fakeFriend || s.content != answer {
		t.Errorf("got send to %s %q, want to %s %q", s.to, s.content, fakeFriend, answer)
	}
	f.mu.Lock()
	inits := f.inits
	f.mu.Unlock()
	if inits != 3 {
		t.Errorf("got %d webwxinit calls, want 3 (hot login, failed hot relogin, QR login)", inits)
	}
	if !strings.Contains(qr.String(), openwechat.GetQrcodeUrl(fakeUUID)) {
		t.Error("no QR code shown for the relogin")
	}
	out := logs.String()
	for _, want := range []string{"wechat session ended", "retcode 1101", "wechat logging in again", "hot login failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// TestRunGroupAllowList: with Options.Groups naming one group, questions
// in that group and private ones reach the core and are answered; those in
// another group and the bot's own group messages are dropped before the
// core, and nothing is sent to that group.
func TestRunGroupAllowList(t *testing.T) {
	f := newFakeWeChat(t)
	path := filepath.Join(t.TempDir(), "storage.json")
	writeHotStorage(t, path)
	logs := &syncBuffer{}
	h := &fakeHandler{}
	opts := Options{
		StoragePath:   path,
		QROut:         &syncBuffer{},
		HandleTimeout: time.Minute,
		Groups:        []string{"  " + fakeGroupName + " "}, // spaces as a YAML list may carry them
		transport:     f.transport(),
		retryPause:    time.Millisecond,
	}
	defer func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	}()

	const (
		mention    = "@" + fakeSelfNick + "\u2005"
		otherAsk   = mention + "闲聊群里的问题：专精特新有补贴吗？"
		allowedAsk = mention + "交流群里的问题：专精特新有补贴吗？"
		plainAsk   = "没有@的群消息"
		privateAsk = "私聊的问题"
	)
	// One batch, so that the library hands them over in this order in one
	// goroutine: by the time the last is answered, each before it has been
	// either dropped or passed to the core.
	tests := []struct {
		name   string
		msg    map[string]any
		wantTo string // "" when the message must not reach the core
	}{
		{"mention in another group", groupText("4001", otherGroup, fakeMember, otherAsk, 1795000030), ""},
		{"bot's own message in the allowed group", selfText("4002", fakeGroup, "我自己在群里说的话", 1795000031), ""},
		{"bot's own message in another group", selfText("4003", otherGroup, "我在别的群说的话", 1795000032), ""},
		{"plain text in the allowed group", groupText("4004", fakeGroup, fakeMember, plainAsk, 1795000033), fakeGroup},
		{"mention in the allowed group", groupText("4005", fakeGroup, fakeMember, allowedAsk, 1795000034), fakeGroup},
		{"private message", textFrom("4006", fakeFriend, privateAsk, 1795000035), fakeFriend},
	}
	var batch []map[string]any
	wantSent := map[string]int{}
	for _, tt := range tests {
		batch = append(batch, tt.msg)
		if tt.wantTo != "" {
			wantSent[tt.wantTo]++
		}
	}
	f.events <- syncEvent{msgs: batch}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runInBackground(ctx, h, opts, testLogger(logs))
	gotSent := map[string]int{}
	for range 3 {
		s := await(t, f.sent, "an answer")
		gotSent[s.to]++
	}
	cancel()
	if err := await(t, done, "Run to return after cancel"); err != nil {
		t.Fatalf("got error %v, want nil after cancel", err)
	}
	// Run has waited for every answer it started, so anything a dropped
	// message had caused would be in the channel by now.
	for drained := false; !drained; {
		select {
		case s := <-f.sent:
			gotSent[s.to]++
		default:
			drained = true
		}
	}

	got, finished := h.snapshot()
	byID := map[string]chat.Message{}
	for _, m := range got {
		byID[m.ID] = m
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.msg["MsgId"].(string)
			m, ok := byID[id]
			if want := tt.wantTo != ""; ok != want {
				t.Fatalf("message %s reached the core: got %v, want %v", id, ok, want)
			}
			if ok && m.ChatID != tt.wantTo {
				t.Errorf("message %s: got chat %s, want %s", id, m.ChatID, tt.wantTo)
			}
		})
	}

	t.Run("the core saw only the allowed messages", func(t *testing.T) {
		if len(got) != 3 || finished != 3 {
			t.Errorf("got %d messages, %d finished, want 3 and 3: %+v", len(got), finished, got)
		}
		if m := byID["4005"]; !m.Group || !m.Mentioned || m.SenderName != "李会计" {
			t.Errorf("allowed mention: got %+v, want a group message mentioning the bot from 李会计", m)
		}
	})

	t.Run("answers went only to allowed chats", func(t *testing.T) {
		if len(gotSent) != len(wantSent) {
			t.Errorf("got sends %v, want %v", gotSent, wantSent)
		}
		for to, n := range wantSent {
			if gotSent[to] != n {
				t.Errorf("to %s: got %d sends, want %d", to, gotSent[to], n)
			}
		}
		if n := gotSent[otherGroup]; n != 0 {
			t.Errorf("got %d sends to the group not allowed, want 0", n)
		}
	})

	t.Run("log names the dropped group at debug only", func(t *testing.T) {
		out := logs.String()
		if !strings.Contains(out, "wechat group not in the allow-list") || !strings.Contains(out, "group="+otherName) {
			t.Errorf("log lacks the dropped group %s", otherName)
		}
		for line := range strings.Lines(out) {
			if strings.Contains(line, "level=DEBUG") {
				continue
			}
			for _, text := range []string{otherAsk, allowedAsk, plainAsk, privateAsk} {
				if strings.Contains(line, text) {
					t.Errorf("user text %q logged above debug: %s", text, line)
				}
			}
		}
	})
}
