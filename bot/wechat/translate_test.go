package wechat

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/policybot/policybot/bot/chat"
)

func TestRoute(t *testing.T) {
	const self = "@self"
	tests := []struct {
		name      string
		from, to  string
		wantChat  string
		wantGroup bool
		wantMine  bool
		wantOK    bool
	}{
		{"friend to bot", "@friend", self, "@friend", false, false, true},
		{"group to bot", "@@group", self, "@@group", true, false, true},
		{"bot to friend from the phone", self, "@friend", "@friend", false, true, true},
		{"bot to group from the phone", self, "@@group", "@@group", true, true, true},
		{"bot to file helper", self, "filehelper", "filehelper", false, true, true},
		{"system account", "weixin", self, "", false, false, false},
		{"friend verification", "fmessage", self, "", false, false, false},
		{"empty sender", "", self, "", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat, group, mine, ok := route(tt.from, tt.to, self)
			if chat != tt.wantChat || group != tt.wantGroup || mine != tt.wantMine || ok != tt.wantOK {
				t.Errorf("route(%q, %q) = %q, %v, %v, %v; want %q, %v, %v, %v",
					tt.from, tt.to, chat, group, mine, ok, tt.wantChat, tt.wantGroup, tt.wantMine, tt.wantOK)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		name   string
		typ    openwechat.MessageType
		app    openwechat.AppMessageType
		url    string
		want   chat.Kind
		wantOK bool
	}{
		{"text", openwechat.MsgTypeText, 0, "", chat.KindText, true},
		{"location as text with map link", openwechat.MsgTypeText, 0, "https://apis.map.qq.com/x", chat.KindOther, true},
		{"image", openwechat.MsgTypeImage, 0, "", chat.KindImage, true},
		{"voice", openwechat.MsgTypeVoice, 0, "", chat.KindVoice, true},
		{"video", openwechat.MsgTypeVideo, 0, "", chat.KindVideo, true},
		{"micro video", openwechat.MsgTypeMicroVideo, 0, "", chat.KindVideo, true},
		{"emoticon", openwechat.MsgTypeEmoticon, 0, "", chat.KindSticker, true},
		{"card", openwechat.MsgTypeShareCard, 0, "", chat.KindOther, true},
		{"location", openwechat.MsgTypeLocation, 0, "", chat.KindOther, true},
		{"app article", openwechat.MsgTypeApp, openwechat.AppMsgTypeUrl, "", chat.KindLink, true},
		{"app mini program", openwechat.MsgTypeApp, 33, "", chat.KindLink, true},
		{"app attachment", openwechat.MsgTypeApp, openwechat.AppMsgTypeAttach, "", chat.KindFile, true},
		{"app image", openwechat.MsgTypeApp, openwechat.AppMsgTypeImg, "", chat.KindImage, true},
		{"app video", openwechat.MsgTypeApp, openwechat.AppMsgTypeVideo, "", chat.KindVideo, true},
		{"app emoji", openwechat.MsgTypeApp, openwechat.AppMsgTypeEmoji, "", chat.KindSticker, true},
		{"app transfer", openwechat.MsgTypeApp, openwechat.AppMsgTypeTransfers, "", chat.KindOther, true},
		{"app red envelope", openwechat.MsgTypeApp, openwechat.AppMsgTypeRedEnvelopes, "", chat.KindOther, true},
		{"status notify", 51, 0, "", 0, false},
		{"system", openwechat.MsgTypeSys, 0, "", 0, false},
		{"recalled", openwechat.MsgTypeRecalled, 0, "", 0, false},
		{"voip invite", openwechat.MsgTypeVoipInvite, 0, "", 0, false},
		{"friend verify", openwechat.MsgTypeVerify, 0, "", 0, false},
		{"possible friend", openwechat.MsgTypePossibleFriend, 0, "", 0, false},
		{"system notice", 9999, 0, "", 0, false},
		{"unknown", 12345, 0, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := kindOf(tt.typ, tt.app, tt.url)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("kindOf(%d, %d, %q) = %v, %v; want %v, %v", tt.typ, tt.app, tt.url, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestGroupSender(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		{"@abc123:<br/>你好", "@abc123"},
		{"@abc123:<br/>第一行:<br/>第二行", "@abc123"},
		{"@abc123:<br/>", "@abc123"},
		{"你好", ""},
		{"", ""},
		{"abc:<br/>你好", ""},     // not a user name
		{"@@group:<br/>你好", ""}, // a group is never the member
		{":<br/>你好", ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := groupSender(tt.raw); got != tt.want {
				t.Errorf("groupSender(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func FuzzGroupSender(f *testing.F) {
	for _, s := range []string{"@abc:<br/>hi", "hi", "@@g:<br/>x", ":<br/>", "@a:<br/>b:<br/>c", "@\u2005:<br/>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := groupSender(raw)
		if got == "" {
			return
		}
		if !strings.HasPrefix(raw, got+groupSenderSep) {
			t.Errorf("groupSender(%q) = %q, not the prefix before %q", raw, got, groupSenderSep)
		}
		if !strings.HasPrefix(got, userPrefix) || strings.HasPrefix(got, groupPrefix) {
			t.Errorf("groupSender(%q) = %q, not a member user name", raw, got)
		}
		if strings.Contains(got, groupSenderSep) {
			t.Errorf("groupSender(%q) = %q, contains the separator", raw, got)
		}
	})
}

func TestDisplayName(t *testing.T) {
	tests := []struct {
		name string
		u    openwechat.User
		want string
	}{
		{"card name wins", openwechat.User{NickName: "李四", DisplayName: "李会计"}, "李会计"},
		{"nickname without card name", openwechat.User{NickName: "李四"}, "李四"},
		{"nothing", openwechat.User{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := displayName(&tt.u); got != tt.want {
				t.Errorf("displayName() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name  string
		r     chat.Reply
		group bool
		want  string
	}{
		{"group with mention", chat.Reply{Text: "答复", Mention: "李会计"}, true, "@李会计\u2005答复"},
		{"group without mention", chat.Reply{Text: "答复"}, true, "答复"},
		{"private ignores mention", chat.Reply{Text: "答复", Mention: "李会计"}, false, "答复"},
		{"private", chat.Reply{Text: "答复"}, false, "答复"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(tt.r, tt.group); got != tt.want {
				t.Errorf("render(%+v, %v) = %q, want %q", tt.r, tt.group, got, tt.want)
			}
		})
	}
}

func TestSentAt(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		ct   int64
		want time.Time
	}{
		{"server time", 1795000000, time.Unix(1795000000, 0)},
		{"missing", 0, now},
		{"negative", -1, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sentAt(tt.ct, now); !got.Equal(tt.want) {
				t.Errorf("sentAt(%d) = %v, want %v", tt.ct, got, tt.want)
			}
		})
	}
}

func TestSessionLostAndDescribe(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantLost bool
		wantWhy  string
	}{
		{"1100", openwechat.Ret(1100), true, "retcode 1100"},
		{"1101", openwechat.Ret(1101), true, "retcode 1101"},
		{"1102 wrapped", fmt.Errorf("sync check: %w", openwechat.Ret(1102)), true, "retcode 1102"},
		{"too often is not a logout", openwechat.Ret(1205), false, "sync kept failing"},
		{"network", errors.Join(openwechat.NetworkErr, errors.New("dial tcp: refused")), false, "sync kept failing"},
		{"user logout", openwechat.ErrUserLogout, false, "by this program"},
		{"no reason", errNoReason, false, "no reason given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sessionLost(tt.err); got != tt.wantLost {
				t.Errorf("sessionLost(%v) = %v, want %v", tt.err, got, tt.wantLost)
			}
			if got := describe(tt.err); !strings.Contains(got, tt.wantWhy) {
				t.Errorf("describe(%v) = %q, want it to contain %q", tt.err, got, tt.wantWhy)
			}
		})
	}
}

func TestOptionsWithDefaults(t *testing.T) {
	tests := []struct {
		name    string
		in      Options
		check   func(Options) string
		wantErr string
	}{
		{
			name: "defaults",
			in:   Options{StoragePath: "s.json"},
			check: func(o Options) string {
				if o.Mode != modeDesktop || o.OnLogout != onLogoutExit || o.HandleTimeout != defaultHandleTimeout ||
					o.QROut == nil || o.retryPause != defaultRetryPause {
					return fmt.Sprintf("got %+v, want desktop, exit, %v, a QR writer, %v", o, defaultHandleTimeout, defaultRetryPause)
				}
				return ""
			},
		},
		{
			name: "explicit values kept",
			in:   Options{Mode: modeNormal, OnLogout: onLogoutRelogin, StoragePath: "s.json", HandleTimeout: time.Second},
			check: func(o Options) string {
				if o.Mode != modeNormal || o.OnLogout != onLogoutRelogin || o.HandleTimeout != time.Second {
					return fmt.Sprintf("got %+v, want normal, relogin, 1s", o)
				}
				return ""
			},
		},
		{name: "unknown mode", in: Options{Mode: "web", StoragePath: "s.json"}, wantErr: `mode "web"`},
		{name: "unknown on_logout", in: Options{OnLogout: "retry", StoragePath: "s.json"}, wantErr: `on_logout "retry"`},
		{name: "no storage path", in: Options{}, wantErr: "storage path"},
		{
			name: "group names trimmed, caller's slice untouched",
			in:   Options{StoragePath: "s.json", Groups: []string{" 甲群 ", "乙群"}},
			check: func(o Options) string {
				if len(o.Groups) != 2 || o.Groups[0] != "甲群" || o.Groups[1] != "乙群" {
					return fmt.Sprintf("got groups %q, want [甲群 乙群]", o.Groups)
				}
				return ""
			},
		},
		{name: "blank group name", in: Options{StoragePath: "s.json", Groups: []string{"甲群", "  "}}, wantErr: "group 2: name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.withDefaults()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if msg := tt.check(got); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestOptionsWithDefaultsKeepsCallersGroups(t *testing.T) {
	in := []string{" 甲群 "}
	if _, err := (Options{StoragePath: "s.json", Groups: in}).withDefaults(); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if in[0] != " 甲群 " {
		t.Errorf("got caller's group %q after withDefaults, want %q", in[0], " 甲群 ")
	}
}

func TestGroupSetAllows(t *testing.T) {
	tests := []struct {
		name  string
		list  []string // as Options.withDefaults leaves them
		group string   // the NickName the library reports
		want  bool
	}{
		{"no list allows any group", nil, "随便什么群", true},
		{"no list allows a nameless group", nil, "", true},
		{"listed", []string{"企业政策交流群"}, "企业政策交流群", true},
		{"listed, name with spaces around", []string{"企业政策交流群"}, " 企业政策交流群\t", true},
		{"one of several", []string{"甲群", "乙群"}, "乙群", true},
		{"not listed", []string{"企业政策交流群"}, "闲聊群", false},
		{"prefix is not a match", []string{"企业政策交流群"}, "企业政策交流群2", false},
		{"spaces inside count", []string{"企业政策交流群"}, "企业 政策交流群", false},
		{"nameless group with a list", []string{"企业政策交流群"}, "", false},
		{"HTML entity from web WeChat", []string{"A&B 群"}, "A&amp;B 群", true},
		{"emoji kept as a character", []string{"政策群🎉"}, "政策群🎉", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := (Options{StoragePath: "s.json", Groups: tt.list}).withDefaults()
			if err != nil {
				t.Fatalf("withDefaults: got error %v, want nil", err)
			}
			if got := newGroupSet(o.Groups).allows(tt.group); got != tt.want {
				t.Errorf("allows(%q) with %q: got %v, want %v", tt.group, tt.list, got, tt.want)
			}
		})
	}
}

func TestTrackerRefusesAfterStop(t *testing.T) {
	var tr tracker
	if !tr.add() {
		t.Fatal("add before stop: got false, want true")
	}
	if got := tr.stop(); got != 1 {
		t.Errorf("stop: got %d in flight, want 1", got)
	}
	if tr.add() {
		t.Error("add after stop: got true, want false")
	}
	released := make(chan struct{})
	go func() {
		defer tr.done()
		<-released
	}()
	close(released)
	tr.wait() // returns only once done has run
	if got := tr.stop(); got != 0 {
		t.Errorf("after wait: got %d in flight, want 0", got)
	}
}
