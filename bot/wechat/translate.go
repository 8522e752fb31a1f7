package wechat

import (
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eatmoreapple/openwechat"

	"github.com/policybot/policybot/bot/chat"
)

// mentionSep ends an @-mention: WeChat clients write "@Name" then U+2005
// (four-per-em space), and the library detects mentions by that form.
const mentionSep = "\u2005"

// groupSenderSep separates, in the raw content of a group message, the
// member who wrote it from the text.
const groupSenderSep = ":<br/>"

// Web-WeChat user names: groups start with "@@", people and official
// accounts with "@"; the rest ("weixin", "newsapp", "filehelper", ...) are
// system accounts.
const (
	groupPrefix = "@@"
	userPrefix  = "@"
)

// route works out from the user names alone which chat a message belongs
// to and whether the bot's own account sent it. ok is false for messages
// from system accounts.
func route(from, to, self string) (chat string, group, mine, ok bool) {
	mine = from == self
	chat = from
	if mine {
		chat = to
	}
	if !mine && !strings.HasPrefix(from, userPrefix) {
		return "", false, false, false
	}
	return chat, strings.HasPrefix(chat, groupPrefix), mine, true
}

// kindOf maps the library's message types to chat.Kind. ok is false for the
// types that are protocol traffic rather than something a person sent.
func kindOf(t openwechat.MessageType, app openwechat.AppMessageType, url string) (k chat.Kind, ok bool) {
	switch t {
	case openwechat.MsgTypeText:
		if url != "" { // a location shared as a map link
			return chat.KindOther, true
		}
		return chat.KindText, true
	case openwechat.MsgTypeImage:
		return chat.KindImage, true
	case openwechat.MsgTypeVoice:
		return chat.KindVoice, true
	case openwechat.MsgTypeVideo, openwechat.MsgTypeMicroVideo:
		return chat.KindVideo, true
	case openwechat.MsgTypeEmoticon:
		return chat.KindSticker, true
	case openwechat.MsgTypeShareCard, openwechat.MsgTypeLocation:
		return chat.KindOther, true
	case openwechat.MsgTypeApp:
		switch app {
		case appMsgQuote:
			return chat.KindText, true
		case openwechat.AppMsgTypeAttach:
			return chat.KindFile, true
		case openwechat.AppMsgTypeImg:
			return chat.KindImage, true
		case openwechat.AppMsgTypeVideo:
			return chat.KindVideo, true
		case openwechat.AppMsgTypeEmoji, openwechat.AppMsgTypeEmotion:
			return chat.KindSticker, true
		case openwechat.AppMsgTypeCardTicket, openwechat.AppMsgTypeRealtimeShareLocation,
			openwechat.AppMsgTypeTransfers, openwechat.AppMsgTypeRedEnvelopes:
			return chat.KindOther, true
		}
		return chat.KindLink, true
	}
	// Status syncs (51), system notes, recalls, calls, friend
	// suggestions and types the library does not know.
	return 0, false
}

// appMsgQuote is the app message type of a reply that quotes an earlier
// message (引用) in the clients that send quotes as app messages; the
// library (v1.4.10) has no name for it.
const appMsgQuote openwechat.AppMessageType = 57

// splitQuote separates, in a text message that quotes an earlier one, the
// user's own words from the quoted text. Web WeChat writes such a message
// as 「name：quoted text」, a line of spaced dashes, then the reply:
//
//	「张三：首台套保险补贴怎么算？」
//	- - - - - - - - - - - - - - -
//	申请条件呢？
//
// The name is dropped from the quote. Text that is not in that form is
// returned whole, with no quote.
func splitQuote(text string) (own, quote string) {
	if !strings.HasPrefix(text, "「") {
		return text, ""
	}
	lines := strings.Split(text, "\n")
	for i := 1; i+1 < len(lines); i++ {
		if !quoteRule.MatchString(strings.TrimSpace(lines[i])) || !strings.HasSuffix(strings.TrimSpace(lines[i-1]), "」") {
			continue
		}
		quoted := strings.TrimSpace(strings.Join(lines[:i], "\n"))
		quoted = strings.TrimSuffix(strings.TrimPrefix(quoted, "「"), "」")
		return strings.TrimSpace(strings.Join(lines[i+1:], "\n")), quotedText(quoted, true)
	}
	return text, ""
}

// quoteRule is the line between a quote and the reply: at least six
// dashes, spaced.
var quoteRule = regexp.MustCompile(`^(?:-[ \x{00a0}\x{3000}]*){6,}$`)

// quotedText cleans what a quote holds: the quoted author's name, when
// named, goes; a quoted app message (a link, an earlier quote) is its
// title.
func quotedText(q string, named bool) string {
	if named {
		if name, rest, ok := strings.Cut(q, "："); ok && !strings.Contains(name, "\n") && utf8.RuneCountInString(name) <= maxNameRunes {
			q = rest
		}
	}
	q = strings.TrimSpace(q)
	if strings.HasPrefix(q, "<") {
		var m appMsg
		if decodeAppMsg(q, &m) != nil {
			return ""
		}
		return strings.TrimSpace(m.AppMsg.Title)
	}
	return q
}

// maxNameRunes bounds what is taken for the quoted author's name.
const maxNameRunes = 32

// appMsg is the part of an app message's XML that a quote needs.
type appMsg struct {
	AppMsg struct {
		Title string `xml:"title"`
		Type  int    `xml:"type"`
		Refer struct {
			Content string `xml:"content"`
		} `xml:"refermsg"`
	} `xml:"appmsg"`
}

// decodeAppMsg reads an app message's XML, which web WeChat may escape
// once more than the library undoes.
func decodeAppMsg(content string, m *appMsg) error {
	content = strings.TrimSpace(content)
	if strings.HasPrefix(content, "&lt;") {
		content = html.UnescapeString(content)
	}
	if err := xml.Unmarshal([]byte(content), m); err != nil {
		return fmt.Errorf("decode app message: %w", err)
	}
	return nil
}

// referText reads a quote sent as an app message (type 57): the title is
// the user's own words, the refermsg's content what they quote. Content
// that does not decode gives no text, and the message reaches the core as
// an empty question.
func referText(content string) (own, quote string) {
	var m appMsg
	if decodeAppMsg(content, &m) != nil {
		return "", ""
	}
	return strings.TrimSpace(m.AppMsg.Title), quotedText(m.AppMsg.Refer.Content, false)
}

// groupSender returns the member user name that prefixes the raw content
// of a group message, or "" when there is none.
func groupSender(raw string) string {
	id, _, ok := strings.Cut(raw, groupSenderSep)
	if !ok || !strings.HasPrefix(id, userPrefix) || strings.HasPrefix(id, groupPrefix) {
		return ""
	}
	return id
}

// displayName is the name others see: in a group the member's card name
// when set, else the nickname.
func displayName(u *openwechat.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.NickName
}

// groupName normalises a group's name for comparison with the allow-list.
// Web WeChat may send a name with HTML entities (&amp;), and a name typed
// into the configuration may carry stray spaces.
func groupName(name string) string {
	return strings.TrimSpace(html.UnescapeString(name))
}

// groupSet is the allow-list of group names, normalised by groupName. An
// empty set allows every group.
type groupSet map[string]struct{}

// newGroupSet builds the set from names already normalised by groupName.
func newGroupSet(names []string) groupSet {
	if len(names) == 0 {
		return nil
	}
	set := make(groupSet, len(names))
	for _, n := range names {
		set[n] = struct{}{}
	}
	return set
}

// restricted reports whether the set names any group at all.
func (g groupSet) restricted() bool { return len(g) > 0 }

// allows reports whether a group of that name may reach the handler.
func (g groupSet) allows(name string) bool {
	if !g.restricted() {
		return true
	}
	_, ok := g[groupName(name)]
	return ok
}

// render is the text sent for a reply. Mentions are only rendered in
// groups; in a private chat they would be noise.
func render(r chat.Reply, group bool) string {
	if !group || r.Mention == "" {
		return r.Text
	}
	return "@" + r.Mention + mentionSep + r.Text
}

// sentAt is the server's timestamp of a message, or now when it has none.
func sentAt(createTime int64, now time.Time) time.Time {
	if createTime <= 0 {
		return now
	}
	return time.Unix(createTime, 0)
}

// Sync return codes that mean WeChat has ended the session. The library
// names them but does not export the names.
const (
	retLoggedOut    openwechat.Ret = 1100
	retCheckFailed  openwechat.Ret = 1101
	retCookieFailed openwechat.Ret = 1102
)

// sessionLost reports whether a sync error means the session is gone, as
// opposed to a failure worth retrying.
func sessionLost(err error) bool {
	var ret openwechat.Ret
	if !errors.As(err, &ret) {
		return false
	}
	switch ret {
	case retLoggedOut, retCheckFailed, retCookieFailed:
		return true
	}
	return false
}

// kicked reports whether a session that ended after this long ended the
// way restricted accounts do: WeChat revoking the session cookie (1102)
// within window of login. A negative window never says so.
func kicked(err error, after, window time.Duration) bool {
	var ret openwechat.Ret
	return window >= 0 && after <= window && errors.As(err, &ret) && ret == retCookieFailed
}

// describe says in words why a session ended, for the log and the error.
func describe(err error) string {
	var ret openwechat.Ret
	switch {
	case errors.As(err, &ret) && ret == retLoggedOut:
		return "retcode 1100, signed out on the phone or replaced by another login"
	case errors.As(err, &ret) && ret == retCheckFailed:
		return "retcode 1101, session expired or logged in elsewhere"
	case errors.As(err, &ret) && ret == retCookieFailed:
		return "retcode 1102, session cookie revoked"
	case errors.Is(err, openwechat.ErrUserLogout):
		return "logged out by this program"
	case errors.Is(err, errNoReason):
		return "no reason given"
	}
	return "sync kept failing"
}
