package wechat

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/eatmoreapple/openwechat"

	"github.com/policybot/policybot/bot/chat"
)

// outbox sends for one session from the answer goroutines.
//
// It has its own openwechat.Caller over the library's transport rather
// than sharing the bot's: the bot's cookie jar keeps a plain map of hosts
// that its receive loop reads while saving the hot-login file, and the
// library methods that send use the bot's context instead of the answer's.
type outbox struct {
	caller *openwechat.Caller
	self   string
	info   *openwechat.LoginInfo
	req    *openwechat.BaseRequest
}

// newOutbox snapshots a logged-in bot. Call it from the receive loop: that
// is where the fields it reads are known to be settled.
func newOutbox(wb *openwechat.Bot) *outbox {
	lib := wb.Caller.Client
	hc := &http.Client{
		Transport:     lib.HTTPClient().Transport,
		CheckRedirect: lib.HTTPClient().CheckRedirect,
		Timeout:       lib.HTTPClient().Timeout,
	}
	c := openwechat.NewClient(hc) // sets a fresh jar; replaced below
	hc.Jar = cookieView{jar: lib.Jar()}
	c.Domain = lib.Domain
	c.HttpHooks = append(openwechat.HttpHooks(nil), lib.HttpHooks...) // the user agent
	// The library retries on transport errors; for a send that can mean a
	// duplicate reply, which is worse than a missing one.
	c.MaxRetryTimes = 1
	return &outbox{
		caller: openwechat.NewCaller(c),
		self:   wb.Storage.Response.User.UserName,
		info:   wb.Storage.LoginInfo,
		req:    wb.Storage.Request,
	}
}

// sender returns the chat.Sender for one chat. In a group it puts the
// mention in front of the text the way WeChat clients write it.
func (o *outbox) sender(chatID string, group bool) chat.Sender {
	return func(ctx context.Context, r chat.Reply) error {
		return o.text(ctx, chatID, render(r, group))
	}
}

// text sends one text message.
func (o *outbox) text(ctx context.Context, to, text string) error {
	msg := openwechat.NewTextSendMessage(text, o.self, to)
	_, err := o.caller.WebWxSendMsg(ctx, &openwechat.CallerWebWxSendMsgOptions{
		LoginInfo:   o.info,
		BaseRequest: o.req,
		Message:     msg,
	})
	if err != nil {
		return fmt.Errorf("send wechat text to %s: %w", to, err)
	}
	return nil
}

// accept accepts a friend request.
func (o *outbox) accept(ctx context.Context, info openwechat.RecommendInfo) error {
	err := o.caller.WebWxVerifyUser(ctx, &openwechat.CallerWebWxVerifyUserOptions{
		RecommendInfo: info,
		BaseRequest:   o.req,
		LoginInfo:     o.info,
	})
	if err != nil {
		return fmt.Errorf("accept wechat friend request from %s: %w", info.UserName, err)
	}
	return nil
}

// cookieView shows the bot's cookies to the outbox's client without
// letting it write: the bot's jar is only safe to read concurrently.
// Cookies set on replies to sends are dropped; the session's cookies come
// from login and the receive loop.
type cookieView struct{ jar *openwechat.Jar }

// SetCookies implements http.CookieJar by ignoring the cookies.
func (cookieView) SetCookies(*url.URL, []*http.Cookie) {}

// Cookies implements http.CookieJar.
func (v cookieView) Cookies(u *url.URL) []*http.Cookie { return v.jar.Cookies(u) }
