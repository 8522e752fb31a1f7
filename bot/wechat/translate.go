package wechat

import (
	"errors"
	"html"
	"strings"
	"time"

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
