// Package wechat connects the conversation core to a personal WeChat
// account through the web-WeChat protocol (github.com/eatmoreapple/openwechat).
//
// It only translates: library messages become chat.Message, chat.Reply becomes
// a text message sent back. Group rules, commands, limits, splitting, pacing
// and ordering all belong to the core. The package also owns what only a
// transport can do: logging in (hot login, falling back to a QR code),
// accepting friend requests, and noticing that the session is gone.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/policybot/policybot/bot/chat"
)

// handler is what Run feeds: in production *chat.Conversations. Run calls
// Accept in the library's receive goroutine, in the order messages
// arrive, and the function it returns in a goroutine per message: see
// chat.Conversations.Accept.
type handler interface {
	Accept(m chat.Message) func(ctx context.Context, send chat.Sender) error
}

// Options configures Run. The zero value of each field means its default,
// except StoragePath, which is required.
type Options struct {
	// Mode is "desktop" (default), which logs in with the headers of the
	// UOS desktop client, or "normal", plain web WeChat. The library's
	// documentation suggests trying desktop when web WeChat refuses an
	// account; neither mode protects an account WeChat restricts.
	Mode string
	// StoragePath is the hot-login file. Its directory is created. It holds
	// session cookies, so keep it private.
	StoragePath string
	// OnLogout says what to do when WeChat ends the session: "exit"
	// (default) makes Run return an error, so that a supervisor restarts
	// the process; "relogin" tries hot login again and then a QR code.
	OnLogout string
	// KickWindow: WeChat ending the session with retcode 1102 this soon
	// after login means it restricts the account. Run then returns
	// ErrRestricted, whatever OnLogout says, rather than show a new QR
	// code: logging in again now risks a longer ban. Default 10 minutes;
	// negative never takes a 1102 for a restriction.
	KickWindow time.Duration
	// AcceptFriends accepts every friend request; otherwise they are left
	// for a human to handle on the phone.
	AcceptFriends bool
	// FriendGreeting is sent to a newly accepted friend, if not empty.
	FriendGreeting string
	// QROut is where the login QR code is drawn (default os.Stderr).
	QROut io.Writer
	// HandleTimeout bounds the answer to one message (default 2 minutes).
	// Answers in flight when Run's context ends still get this long.
	HandleTimeout time.Duration
	// Groups, when not empty, lists the only groups whose messages reach
	// the handler, by the group's name as members see it; messages from
	// other groups, and the bot's own messages in any group, are dropped.
	// Names rather than ids because WeChat hands out new group ids at
	// every login. Leading and trailing spaces do not count. Empty means
	// every group.
	Groups []string

	// Endpoint is for tests of the whole program only: when set, every
	// request for WeChat goes to this base URL (such as
	// http://127.0.0.1:PORT of a fake server) instead, keeping WeChat's
	// host name in the Host header. Never set it in production.
	Endpoint string

	// transport replaces the library's HTTP transport; tests point it at a
	// fake WeChat server.
	transport http.RoundTripper
	// retryPause is the wait after a failed sync and before logging in
	// again (default 3 seconds); tests shorten it.
	retryPause time.Duration
	// sendBackoff holds the pauses before each retry of a failed send
	// (default defaultSendBackoff); tests shorten them.
	sendBackoff []time.Duration
}

// Option values accepted by Options.
const (
	modeDesktop     = "desktop"
	modeNormal      = "normal"
	onLogoutExit    = "exit"
	onLogoutRelogin = "relogin"
)

const (
	defaultHandleTimeout = 2 * time.Minute
	defaultRetryPause    = 3 * time.Second
	defaultKickWindow    = 10 * time.Minute
)

// defaultSendBackoff is the pauses before the second and the third try of
// a send that failed: three tries in all, within about 1.5 s and the
// send timeouts.
var defaultSendBackoff = []time.Duration{500 * time.Millisecond, time.Second}

// ErrRestricted is matched (with errors.Is) by Run's error when WeChat
// ended the session with retcode 1102 within Options.KickWindow of login:
// the account is likely restricted, and scanning a new QR code now would
// only make it worse.
var ErrRestricted = errors.New("wechat account likely restricted")

// withDefaults fills in defaults and rejects values it does not know, so
// that a typo in the configuration fails at start rather than at logout.
func (o Options) withDefaults() (Options, error) {
	switch o.Mode {
	case "":
		o.Mode = modeDesktop
	case modeDesktop, modeNormal:
	default:
		return o, fmt.Errorf("wechat mode %q: want %q or %q", o.Mode, modeDesktop, modeNormal)
	}
	switch o.OnLogout {
	case "":
		o.OnLogout = onLogoutExit
	case onLogoutExit, onLogoutRelogin:
	default:
		return o, fmt.Errorf("wechat on_logout %q: want %q or %q", o.OnLogout, onLogoutExit, onLogoutRelogin)
	}
	if o.StoragePath == "" {
		return o, errors.New("wechat storage path is empty")
	}
	// A blank name would match no group, silently muting the bot in all
	// of them; more likely it is a slip in the configuration.
	groups := make([]string, 0, len(o.Groups)) // the caller's slice stays as it was
	for i, g := range o.Groups {
		g = groupName(g)
		if g == "" {
			return o, fmt.Errorf("wechat group %d: name is empty", i+1)
		}
		groups = append(groups, g)
	}
	o.Groups = groups
	if o.HandleTimeout <= 0 {
		o.HandleTimeout = defaultHandleTimeout
	}
	if o.QROut == nil {
		o.QROut = os.Stderr
	}
	if o.retryPause <= 0 {
		o.retryPause = defaultRetryPause
	}
	if o.sendBackoff == nil {
		o.sendBackoff = defaultSendBackoff
	}
	if o.KickWindow == 0 {
		o.KickWindow = defaultKickWindow
	}
	if o.Endpoint != "" && o.transport == nil {
		t, err := newRedirect(o.Endpoint)
		if err != nil {
			return o, err
		}
		o.transport = t
	}
	return o, nil
}

// Run logs in and relays messages between WeChat and h until ctx ends or
// the session is lost. When ctx ends it stops receiving, waits for the
// answers in flight (each bounded by HandleTimeout) and returns nil. When
// WeChat ends the session it logs why and, unless OnLogout is "relogin",
// returns an error saying so. A failed login is an error too.
func Run(ctx context.Context, h handler, opts Options, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	log.Warn("personal WeChat accounts that run bots are being banned; prefer the official channels (policybot serve --channel mp,wecom,kf)")
	r := &runner{h: h, opts: opts, log: log, groups: newGroupSet(opts.Groups)}
	err = r.loop(ctx)
	if n := r.inflight.stop(); n > 0 {
		log.Info("wechat waiting for answers in flight", "answers", n)
	}
	r.inflight.wait()
	return err
}

// runner holds what outlives one login session.
type runner struct {
	h        handler
	opts     Options
	log      *slog.Logger
	groups   groupSet
	inflight tracker
}

// loop runs sessions until ctx ends, a login fails, or a session ends and
// OnLogout does not ask for another.
func (r *runner) loop(ctx context.Context) error {
	for {
		s, err := r.login(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil // cancelled while logging in
			}
			return fmt.Errorf("log in to wechat: %w", err)
		}
		reason := s.wait()
		if ctx.Err() != nil {
			return nil
		}
		why := describe(reason)
		if after := time.Since(s.since); kicked(reason, after, r.opts.KickWindow) {
			r.log.Error("wechat ended the session soon after login: the account is likely restricted; not logging in again",
				"why", why, "after", after.Round(time.Second))
			// A failed write leaves the error below.
			_, _ = fmt.Fprint(r.opts.QROut, restrictedNotice)
			return fmt.Errorf("%w: %s %s after login; do not scan a new QR code now, as logging in again soon "+
				"can lengthen the ban: wait, or use the official channels (policybot serve --channel mp,wecom,kf): %w",
				ErrRestricted, why, after.Round(time.Second), reason)
		}
		r.log.Warn("wechat session ended", "why", why, "err", reason)
		if r.opts.OnLogout != onLogoutRelogin {
			return fmt.Errorf("wechat session ended: %s: %w", why, reason)
		}
		r.log.Info("wechat logging in again")
		if !pause(ctx, r.opts.retryPause) {
			return nil
		}
	}
}

// pause waits for d or until ctx ends, and reports whether it waited the
// whole time.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// tracker counts answers in flight. Once stopped it refuses new ones, so
// that wait does not race a late add from the library's receive loop.
type tracker struct {
	mu      sync.Mutex
	stopped bool
	n       int
	wg      sync.WaitGroup
}

// add registers one more answer, or reports false once stopped.
func (t *tracker) add() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	t.n++
	t.wg.Add(1)
	return true
}

// done marks one answer finished.
func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	t.mu.Unlock()
	t.wg.Done()
}

// stop refuses further answers and returns how many are in flight.
func (t *tracker) stop() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	return t.n
}

// wait blocks until every answer added has finished.
func (t *tracker) wait() { t.wg.Wait() }
