package wechat

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

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
	caller  *openwechat.Caller
	self    string
	info    *openwechat.LoginInfo
	req     *openwechat.BaseRequest
	backoff []time.Duration // pauses before the retries of a failed send
	log     *slog.Logger
}

// newOutbox snapshots a logged-in bot. Call it from the receive loop: that
// is where the fields it reads are known to be settled.
func newOutbox(wb *openwechat.Bot, backoff []time.Duration, log *slog.Logger) *outbox {
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
	// The library retries at once on transport errors; text retries with
	// a pause instead, and only as often as it is told.
	c.MaxRetryTimes = 1
	return &outbox{
		caller:  openwechat.NewCaller(c),
		self:    wb.Storage.Response.User.UserName,
		info:    wb.Storage.LoginInfo,
		req:     wb.Storage.Request,
		backoff: backoff,
		log:     log,
	}
}

// sender returns the chat.Sender for one chat. In a group it puts the
// mention in front of the text the way WeChat clients write it.
func (o *outbox) sender(chatID string, group bool) chat.Sender {
	return func(ctx context.Context, r chat.Reply) error {
		return o.text(ctx, chatID, render(r, group))
	}
}

// text sends one text message, tried as retry says. Every try carries
// the same client message id, which lets WeChat tell a retry from a new
// message when an earlier try did arrive.
func (o *outbox) text(ctx context.Context, to, text string) error {
	msg := openwechat.NewTextSendMessage(text, o.self, to)
	err := o.retry(ctx, func(ctx context.Context) error {
		_, err := o.caller.WebWxSendMsg(ctx, &openwechat.CallerWebWxSendMsgOptions{
			LoginInfo:   o.info,
			BaseRequest: o.req,
			Message:     msg,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("send wechat text to %s %w", to, err)
	}
	return nil
}

// retry calls send until it succeeds, pausing for each of o.backoff in
// turn between tries, so at most len(o.backoff)+1 times. It stops early
// when ctx ends or when WeChat has ended the session, which no retry
// mends. The error says how many tries were made.
func (o *outbox) retry(ctx context.Context, send func(ctx context.Context) error) error {
	for try := 1; ; try++ {
		err := send(ctx)
		if err == nil {
			return nil
		}
		if try > len(o.backoff) || ctx.Err() != nil || sessionLost(err) {
			return fmt.Errorf("(%d tries): %w", try, err)
		}
		o.log.Warn("wechat send failed; trying again", "try", try, "err", err)
		if !pause(ctx, o.backoff[try-1]) {
			return fmt.Errorf("(%d tries): %w: %w", try, err, ctx.Err())
		}
	}
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
