package wechat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"
	"github.com/mdp/qrterminal/v3"

	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/journal"
)

// qrContent is what the login QR code encodes; the phone opens it.
// GetQrcodeUrl is the picture of that code, for a browser.
const qrContent = "https://login.weixin.qq.com/l/"

// maxSyncFailures ends a session whose sync keeps failing for reasons other
// than a logout, rather than polling a dead session forever.
const maxSyncFailures = 10

// memberRefreshEvery is how often, at most, a group's members are fetched
// again because a message came from someone not among them.
const memberRefreshEvery = time.Minute

// banWarning is shown with every login QR code.
const banWarning = "注意：用个人微信号运行机器人有封号风险。自2025年1月起，微信多次集中封禁此类账号：" +
	"有的登录后不久即被踢下线（同步返回码1102），有的被禁止扫码登录两周。\n" +
	"建议改用官方渠道：公众号、企业微信或微信客服（policybot serve --channel mp,wecom,kf）。\n"

// restrictedNotice is shown where the QR code would be when WeChat ends a
// session soon after login with retcode 1102.
const restrictedNotice = "微信在登录后不久即以返回码1102结束了会话：该账号很可能已被限制。" +
	"程序已停止，请不要现在重新扫码登录（短时间内反复登录可能导致更长时间的封禁）。" +
	"请稍后再试，或改用公众号、企业微信或微信客服（policybot serve --channel mp,wecom,kf）。\n"

// errNoReason stands in when the library ends a session without saying why.
var errNoReason = errors.New("session ended without a reason")

// session is one login: a library bot from login until WeChat or ctx ends
// it.
//
// The library runs its receive loop in its own goroutine and calls
// receive, syncFailed and synced from there, one at a time. Its contact
// cache and cookie jar are not synchronised, so everything that touches
// the library's objects happens in that goroutine; answers run in their
// own goroutines and see only plain values and the session's outbox.
type session struct {
	r   *runner
	ctx context.Context // Run's context, for values; answers outlive its cancellation
	wb  *openwechat.Bot
	log *slog.Logger

	// since is when the login succeeded.
	since time.Time

	// Owned by the library's receive goroutine.
	out       *outbox
	failures  int
	refreshed map[string]time.Time // group → when its members were last fetched for an unknown sender
}

// login creates a library bot and logs it in: hot login from the storage
// file, or a QR code when that fails. The receive loop is running when it
// returns.
func (r *runner) login(ctx context.Context) (*session, error) {
	mode := openwechat.Desktop
	if r.opts.Mode == modeNormal {
		mode = openwechat.Normal
	}
	wb := openwechat.DefaultBot(mode, openwechat.WithContextOption(ctx))
	if r.opts.transport != nil {
		wb.Caller.Client.HTTPClient().Transport = r.opts.transport
	}
	s := &session{r: r, ctx: ctx, wb: wb, log: r.log, refreshed: map[string]time.Time{}}
	// Replace every default callback: they print with the standard logger
	// and one of them starts a browser.
	wb.UUIDCallback = s.showQR
	wb.ScanCallBack = func(openwechat.CheckLoginResponse) {
		s.log.Info("wechat QR code scanned; confirm the login on the phone")
	}
	wb.LoginCallBack = nil
	wb.SyncCheckCallback = s.synced
	wb.MessageHandler = s.receive
	wb.MessageErrorHandler = s.syncFailed

	path := r.opts.StoragePath
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create storage directory: %w", err)
	}
	if err := wb.HotLogin(newStorage(path), qrFallback{log: s.log}, openwechat.NewRetryLoginOption()); err != nil {
		wb.Exit() // releases the bot's context; no receive loop is running
		return nil, err
	}
	s.since = time.Now()
	// Storage.Response is set before the receive loop starts and its User
	// is never written again, unlike wb's current-user field, which the
	// loop clears on exit.
	s.log.Info("wechat logged in", "nickname", wb.Storage.Response.User.NickName)
	return s, nil
}

// wait blocks until the session ends and returns why; the reason is nil
// when Run's context ended it.
func (s *session) wait() error {
	<-s.wb.Context().Done()
	if s.ctx.Err() != nil {
		return nil
	}
	if err := s.wb.CrashReason(); err != nil {
		return err
	}
	return errNoReason
}

// qrFallback logs why hot login failed; RetryLoginOption, after it, then
// starts the QR login.
type qrFallback struct {
	openwechat.BaseBotLoginOption
	log *slog.Logger
}

// OnError implements openwechat.BotLoginOption.
func (q qrFallback) OnError(_ *openwechat.Bot, err error) error {
	if errors.Is(err, openwechat.ErrInvalidStorage) {
		q.log.Info("wechat has no saved session; log in with the QR code")
	} else {
		q.log.Warn("wechat hot login failed; log in with the QR code", "err", err)
	}
	return err
}

// showQR warns of the ban risk, draws the login QR code and prints a link
// to its picture, for terminals that cannot show it.
func (s *session) showQR(uuid string) {
	w := s.r.opts.QROut
	link := openwechat.GetQrcodeUrl(uuid)
	// Failed writes leave the link in the log line below.
	_, _ = fmt.Fprint(w, banWarning)
	qrterminal.GenerateHalfBlock(qrContent+uuid, qrterminal.L, w)
	_, _ = fmt.Fprintf(w, "请用微信扫描上面的二维码登录；若显示不全，请在浏览器中打开：%s\n", link)
	s.log.Warn("wechat waiting for a QR login; personal accounts that run bots risk a ban (see the README)", "qrcode", link)
}

// synced resets the failure count after a successful poll.
func (s *session) synced(resp openwechat.SyncCheckResponse) {
	if resp.Success() {
		s.failures = 0
	}
}

// syncFailed decides, for the library, whether a failed poll ends the
// session (non-nil) or is retried (nil).
func (s *session) syncFailed(err error) error {
	switch {
	case s.wb.Context().Err() != nil:
		return nil // shutting down; the loop is about to stop
	case sessionLost(err):
		return err
	}
	s.failures++
	if s.failures >= maxSyncFailures {
		return fmt.Errorf("sync failed %d times in a row: %w", s.failures, err)
	}
	s.log.Warn("wechat sync failed; retrying", "failures", s.failures, "err", err)
	// The library retries at once; without a pause a network outage
	// becomes a busy loop.
	pause(s.wb.Context(), s.r.opts.retryPause)
	return nil
}

// receive is the library's message handler. It translates the message and
// has the core accept it in the library's goroutine, so that messages take
// their places in their chats' lines in the order they arrived, then
// answers in a new goroutine, because the library does not poll again
// until it returns.
func (s *session) receive(m *openwechat.Message) {
	if s.out == nil {
		s.out = newOutbox(s.wb, s.r.opts.sendBackoff, s.log)
	}
	if m.IsFriendAdd() {
		s.friendRequest(m.RecommendInfo)
		return
	}
	msg, ok := s.translate(m, time.Now())
	if !ok {
		s.log.Debug("wechat message ignored", "type", int(m.MsgType), "id", m.MsgId)
		return
	}
	s.log.Debug("wechat message", "id", msg.ID, "chat", msg.ChatID, "kind", msg.Kind,
		"group", msg.Group, "mentioned", msg.Mentioned, "self", msg.Self, "text", msg.Text)
	// Counted before Accept: an accepted message must be answered, or its
	// chat waits for good.
	if !s.r.inflight.add() {
		s.log.Warn("wechat shutting down; message dropped", "chat", journal.ChatHash(msg.ChatID), "id", msg.ID)
		return
	}
	run := s.r.h.Accept(msg)
	if run == nil {
		s.r.inflight.done()
		return
	}
	send := s.out.sender(msg.ChatID, msg.Group)
	s.start("answer", msg.ID, func(ctx context.Context) error { return run(ctx, send) })
}

// friendRequest accepts a friend request and greets the new friend, if so
// configured.
func (s *session) friendRequest(info openwechat.RecommendInfo) {
	if !s.r.opts.AcceptFriends {
		s.log.Info("wechat friend request left for the phone", "nickname", info.NickName)
		return
	}
	out, greeting := s.out, s.r.opts.FriendGreeting
	s.spawn("friend request", info.UserName, func(ctx context.Context) error {
		if err := out.accept(ctx, info); err != nil {
			return err
		}
		s.log.Info("wechat friend request accepted", "nickname", info.NickName)
		if greeting == "" {
			return nil
		}
		return out.text(ctx, info.UserName, greeting)
	})
}

// spawn runs fn in a tracked goroutine under HandleTimeout. The deadline
// does not follow Run's cancellation: an answer under way is finished.
// what and id only label the log lines.
func (s *session) spawn(what, id string, fn func(ctx context.Context) error) {
	if !s.r.inflight.add() {
		s.log.Warn("wechat shutting down; dropped", "what", what, "id", id)
		return
	}
	s.start(what, id, fn)
}

// start is spawn for work already added to the tracker.
func (s *session) start(what, id string, fn func(ctx context.Context) error) {
	go func() {
		defer s.r.inflight.done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), s.r.opts.HandleTimeout)
		defer cancel()
		if err := fn(ctx); err != nil {
			s.log.Error("wechat "+what+" failed", "id", id, "err", err)
		}
	}()
}

// translate turns a library message into a chat.Message. ok is false for
// protocol traffic that is nobody's question: status syncs, system notes,
// recalls, calls, official accounts; and for groups outside Options.Groups. The lookups of the sender's name go
// through the library's contact cache and so must run in its goroutine.
func (s *session) translate(m *openwechat.Message, now time.Time) (msg chat.Message, ok bool) {
	self := s.wb.Storage.Response.User
	chatID, group, mine, ok := route(m.FromUserName, m.ToUserName, self.UserName)
	if !ok {
		return chat.Message{}, false
	}
	kind, ok := kindOf(m.MsgType, m.AppMsgType, m.Url)
	if !ok {
		return chat.Message{}, false
	}
	msg = chat.Message{
		ID:     m.MsgId,
		ChatID: chatID,
		Kind:   kind,
		Group:  group,
		Self:   mine,
		Time:   sentAt(m.CreateTime, now),
	}
	if kind == chat.KindText {
		if m.MsgType == openwechat.MsgTypeApp {
			msg.Text, msg.Quote = referText(m.Content)
		} else {
			msg.Text, msg.Quote = splitQuote(m.Content)
		}
	}
	if group && !s.groupAllowed(m, mine) {
		return chat.Message{}, false
	}
	switch {
	case mine:
		msg.SenderID, msg.SenderName = self.UserName, self.NickName
	case group:
		// The library sees a mention anywhere in the content; one inside
		// a quote is someone else's.
		msg.Mentioned = m.IsAt() && (msg.Quote == "" || strings.Contains(msg.Text, "@"))
		msg.SenderID = groupSender(m.RawContent)
		name, err := s.memberName(m, msg.SenderID, now)
		if err != nil {
			// The answer can go without the @; it cannot go without the
			// question.
			s.log.Warn("wechat group sender unknown; answering without the @", "id", m.MsgId, "err", err)
			break
		}
		msg.SenderName = name
	default:
		msg.SenderID = m.FromUserName
		u, err := m.Sender()
		if err != nil {
			s.log.Warn("wechat sender unknown", "id", m.MsgId, "err", err)
			break
		}
		if u.IsMP() {
			return chat.Message{}, false
		}
		msg.SenderName = displayName(u)
	}
	return msg, true
}

// groupAllowed reports whether a group message passes Options.Groups. It
// looks the group up in the library's contact cache (fetching it when the
// group is new), so it must run in the library's goroutine.
func (s *session) groupAllowed(m *openwechat.Message, mine bool) bool {
	if !s.r.groups.restricted() {
		return true
	}
	if mine {
		// The core ignores the bot's own messages, and for them Sender is
		// the bot, not the group: finding the group would cost a lookup
		// for nothing.
		return false
	}
	// For a message from a group, the library's Sender is the group.
	g, err := m.Sender()
	if err != nil {
		// Without the name the allow-list cannot be checked; keeping out
		// is the safe side.
		s.log.Warn("wechat group unknown; message dropped", "id", m.MsgId, "chat", m.FromUserName, "err", err)
		return false
	}
	if !s.r.groups.allows(g.NickName) {
		s.log.Debug("wechat group not in the allow-list", "id", m.MsgId, "chat", m.FromUserName, "group", g.NickName)
		return false
	}
	return true
}

// errMemberUnknown says the sender of a group message is not among the
// group's members as last fetched.
var errMemberUnknown = errors.New("sender not among the group's members")

// memberName is the name the sender of a group message goes by in the
// group, for the @ in the answer. It looks in the group's members as the
// library keeps them and, when the sender is not there (someone who
// joined since they were fetched), fetches them again, at most once per
// memberRefreshEvery per group. Web WeChat's message carries only the
// member's user name, an opaque "@..." id, so there is nothing else to
// fall back on. It uses the library's contact cache and so must run in
// its goroutine.
func (s *session) memberName(m *openwechat.Message, member string, now time.Time) (string, error) {
	if member == "" {
		return "", errors.New("no sender in the message")
	}
	g, err := m.Sender() // the group; the library fetches its members if it has none
	if err != nil {
		return "", fmt.Errorf("look up the group: %w", err)
	}
	if u := findMember(g, member); u != nil {
		return displayName(u), nil
	}
	for id, at := range s.refreshed {
		if now.Sub(at) >= memberRefreshEvery {
			delete(s.refreshed, id)
		}
	}
	if _, recent := s.refreshed[g.UserName]; recent {
		return "", errMemberUnknown
	}
	s.refreshed[g.UserName] = now
	// Detail fetches the group again and updates the library's cached
	// copy in place.
	if err := g.Detail(); err != nil {
		return "", fmt.Errorf("fetch the group's members again: %w", err)
	}
	if u := findMember(g, member); u != nil {
		return displayName(u), nil
	}
	return "", errMemberUnknown
}

// findMember returns the member of group g with the user name, or nil.
func findMember(g *openwechat.User, userName string) *openwechat.User {
	for _, u := range g.MemberList {
		if u.UserName == userName {
			return u
		}
	}
	return nil
}
