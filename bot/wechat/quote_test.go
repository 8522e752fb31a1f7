package wechat

import (
	"html"
	"strings"
	"testing"

	"github.com/eatmoreapple/openwechat"

	"github.com/policybot/policybot/bot/chat"
)

// The line web WeChat puts between a quote and the reply.
const quoteLine = "- - - - - - - - - - - - - - -"

func TestSplitQuote(t *testing.T) {
	tests := []struct {
		name, text, own, quote string
	}{
		{"quote", "「张老板：首台套保险补贴怎么算？」\n" + quoteLine + "\n申请条件呢？", "申请条件呢？", "首台套保险补贴怎么算？"},
		{"sixteen dashes", "「张老板：补贴？」\n" + quoteLine + " -\n条件呢？", "条件呢？", "补贴？"},
		{"quote over lines", "「张老板：第一行\n第二行」\n" + quoteLine + "\n条件呢？", "条件呢？", "第一行\n第二行"},
		{"mention in the reply", "「张老板：补贴？」\n" + quoteLine + "\n@政策助手\u2005条件呢？", "@政策助手\u2005条件呢？", "补贴？"},
		{"colon in the quote", "「张老板：依据：第三条」\n" + quoteLine + "\n还有效吗？", "还有效吗？", "依据：第三条"},
		{"quoted link", "「张老板：<msg><appmsg><title>高企认定办法</title><type>5</type></appmsg></msg>」\n" + quoteLine + "\n这个还有效吗？", "这个还有效吗？", "高企认定办法"},
		{"no quote", "首台套保险补贴怎么算？", "首台套保险补贴怎么算？", ""},
		{"brackets but no rule", "「专精特新」企业有补贴吗？", "「专精特新」企业有补贴吗？", ""},
		{"rule too short", "「张老板：补贴？」\n- - -\n条件呢？", "「张老板：补贴？」\n- - -\n条件呢？", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			own, quote := splitQuote(tt.text)
			if own != tt.own || quote != tt.quote {
				t.Errorf("got own %q quote %q, want %q and %q", own, quote, tt.own, tt.quote)
			}
		})
	}
}

// referXML is a quote sent as an app message of type 57, as the library
// hands it over (unescaped once).
func referXML(own, quoted string) string {
	return `<?xml version="1.0"?><msg><appmsg appid="" sdkver="0"><title>` + html.EscapeString(own) + `</title><des /><action>view</action>` +
		`<type>57</type><refermsg><type>1</type><svrid>123</svrid><fromusr>@friend1</fromusr><chatusr /><displayname>张老板</displayname>` +
		`<content>` + html.EscapeString(quoted) + `</content></refermsg></appmsg></msg>`
}

func TestReferText(t *testing.T) {
	tests := []struct {
		name, content, own, quote string
	}{
		{"text quoted", referXML("申请条件呢？", "首台套保险补贴怎么算？"), "申请条件呢？", "首台套保险补贴怎么算？"},
		{"escaped once more", html.EscapeString(referXML("申请条件呢？", "补贴？")), "申请条件呢？", "补贴？"},
		{"link quoted", referXML("还有效吗？", "<msg><appmsg><title>高企认定办法</title><type>5</type></appmsg></msg>"), "还有效吗？", "高企认定办法"},
		{"not XML", "乱码", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			own, quote := referText(tt.content)
			if own != tt.own || quote != tt.quote {
				t.Errorf("got own %q quote %q, want %q and %q", own, quote, tt.own, tt.quote)
			}
		})
	}
}

// referMsg is a quote as webwxsync delivers an app message: its XML
// escaped, and in a group after the member's name.
func referMsg(id, from, member, own, quoted string) map[string]any {
	content := html.EscapeString(referXML(own, quoted))
	if member != "" {
		content = member + ":<br/>" + content
	}
	return map[string]any{
		"MsgId": id, "MsgType": int(openwechat.MsgTypeApp), "AppMsgType": int(appMsgQuote),
		"FromUserName": from, "ToUserName": fakeSelf, "Content": content, "CreateTime": 1795000600,
	}
}

// TestRunQuotedFollowUp: a user quotes an earlier message and asks about
// it. The core is asked the user's own words, with the quoted text as the
// latest turn of the history, whether the quote comes as text or as an
// app message, in a private chat or in a group. A group message whose
// only mention of the bot is inside the quote is not for the bot.
func TestRunQuotedFollowUp(t *testing.T) {
	const (
		quoted  = "首台套保险补贴怎么算？"
		mention = "@" + fakeSelfNick + "\u2005"
	)
	quoteText := func(own string) string { // as webwxsync carries it
		return "「张老板：" + quoted + "」<br/>" + quoteLine + "<br/>" + own
	}
	tests := []struct {
		name    string
		msg     map[string]any
		to      string
		asked   string // "" when the core must not be asked
		history string
	}{
		{"private, as text", textFrom("7301", fakeFriend, quoteText("申请条件呢？"), 1795000600), fakeFriend, "申请条件呢？", quoted},
		{"private, as app message", referMsg("7302", fakeFriend, "", "要交哪些材料？", quoted), fakeFriend, "要交哪些材料？", quoted},
		{"group, as text", groupText("7303", fakeGroup, fakeMember, quoteText(mention+"多久能批下来？"), 1795000601), fakeGroup, "多久能批下来？", quoted},
		{"group, as app message", referMsg("7304", fakeGroup, fakeMember, mention+"找哪个部门？", quoted), fakeGroup, "找哪个部门？", quoted},
		{"group, mention only in the quote", groupText("7305", fakeGroup, fakeMember,
			"「李会计："+mention+quoted+"」<br/>"+quoteLine+"<br/>我也想知道", 1795000602), "", "", ""},
	}
	f := newFakeWeChat(t)
	a := &recordingAnswerer{}
	conv := chat.New(a, chat.Options{HistoryTurns: 3}, nil)
	_, done, cancel := startRun(t, f, conv, Options{})
	var batch []map[string]any
	want := 0
	for _, tt := range tests {
		batch = append(batch, tt.msg)
		if tt.asked != "" {
			want++
		}
	}
	f.events <- syncEvent{msgs: batch}
	sent := map[string][]string{}
	for range want {
		s := await(t, f.sent, "an answer")
		sent[s.to] = append(sent[s.to], s.content)
	}
	cancel()
	if err := await(t, done, "Run to return"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.asked == "" {
				for _, q := range a.questions() {
					if strings.Contains(q, "我也想知道") {
						t.Errorf("the core was asked %q", q)
					}
				}
				return
			}
			history, ok := a.asked(tt.asked)
			if !ok {
				t.Fatalf("the core was not asked %q; it was asked %q", tt.asked, a.questions())
			}
			// Each chat's earlier questions come first; the quote is last.
			if !strings.HasSuffix(history, tt.history) || strings.Contains(history, "张老板") {
				t.Errorf("got history %q, want it to end with the quote %q alone", history, tt.history)
			}
			found := false
			for _, s := range sent[tt.to] {
				found = found || strings.Contains(s, "答："+tt.asked)
			}
			if !found {
				t.Errorf("no answer to %q sent to %s: %q", tt.asked, tt.to, sent[tt.to])
			}
		})
	}
}
