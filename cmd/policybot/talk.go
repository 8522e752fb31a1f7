package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/kf"
	"github.com/policybot/policybot/bot/mp"
	"github.com/policybot/policybot/bot/terminal"
	"github.com/policybot/policybot/bot/web"
	"github.com/policybot/policybot/bot/wechat"
	"github.com/policybot/policybot/bot/wecom"
	wxutil "github.com/silenceper/wechat/v2/util"
)

// The channels, as the Q&A record names them.
const (
	channelCLI    = "cli"
	channelWeChat = "wechat"
	channelWeb    = web.Channel
)

func cmdAsk(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "ask", "QUESTION", "Answer one question with its sources and validity notes.")
	asJSON := fs.Bool("json", false, "print the JSON contract shape")
	if err := fs.Parse(args); err != nil {
		return err
	}
	q := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if q == "" {
		fs.Usage()
		return errors.New("ask: want a QUESTION")
	}
	if err := g.load(); err != nil {
		return err
	}
	st, err := g.stack(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := st.core(channelCLI, nil).Ask(ctx, chat.Request{ChatID: channelCLI, Question: q})
	if err != nil {
		return fmt.Errorf("ask: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(d.Answer)
	}
	_, err = fmt.Fprintln(g.stdout, d.Answer.Text)
	return err
}

func cmdChat(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "chat", "", "Talk to the bot in the terminal. Commands: 帮助, 重置 (/reset), 原文 N, 范围; Ctrl-D to quit.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := g.load(); err != nil {
		return err
	}
	st, err := g.stack(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	mode := "离线摘录模式（未配置大模型）"
	if g.cfg.LLM.Enabled() {
		mode = "大模型：" + g.cfg.LLM.Model
	}
	banner := fmt.Sprintf("政策助手 · %s\n%s", mode, st.live.Scope().Summary())
	return terminal.Run(ctx, st.core(channelCLI, atKeyboard), g.stdin, g.stdout, banner)
}

// atKeyboard tunes the core for one person at a terminal: nothing to
// pace, split or rate-limit.
func atKeyboard(o *chat.Options) {
	o.SendInterval, o.PartPause, o.ReplyMaxChars = 0, 0, 0
	o.UserPerMinute, o.UserBurst = 0, 0
}

func cmdWeChat(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "wechat", "", "Run the WeChat bot (desktop login; the QR code is drawn here on first login).")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := g.load(); err != nil {
		return err
	}
	st, err := g.stack(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	st.watch(ctx, g.corpusOptions())
	w := g.cfg.WeChat
	wopts := wechat.Options{
		Mode: w.Mode, StoragePath: g.cfg.WeChatStorage(), OnLogout: w.OnLogout,
		AcceptFriends: w.AcceptFriends, FriendGreeting: w.FriendGreeting, QROut: g.stderr,
		HandleTimeout: g.cfg.Bot.AnswerTimeout + time.Minute, Groups: w.Groups, KickWindow: w.KickWindow,
		// For tests of the program only: reach a fake WeChat server.
		Endpoint: g.getenv("POLICYBOT_WECHAT_TEST_ENDPOINT"),
	}
	return wechat.Run(ctx, st.core(channelWeChat, nil), wopts, g.log)
}

func cmdServe(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "serve", "", "Serve the JSON API and the staff console, and the official WeChat channels named by --channel.")
	listen := fs.String("listen", "", "address to listen on (default web.listen, 127.0.0.1:8080)")
	channels := fs.String("channel", "", "official channels to serve beside the console, comma-separated: mp (公众号), wecom (企业微信), kf (微信客服)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := g.load(); err != nil {
		return err
	}
	if *listen != "" {
		g.cfg.Web.Listen = *listen
	}
	if err := g.cfg.ValidateServe(); err != nil {
		return err
	}
	var names []string
	for _, ch := range strings.Split(*channels, ",") {
		if ch = strings.TrimSpace(ch); ch == "" {
			continue
		}
		if err := g.cfg.ValidateChannel(ch); err != nil {
			return err
		}
		names = append(names, ch)
	}
	st, err := g.stack(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	st.watch(ctx, g.corpusOptions())
	wopts := web.Options{
		Token: g.cfg.Web.Token, MaxBodyBytes: g.cfg.Web.MaxBodyBytes,
		RatePerMinute: float64(g.cfg.Web.RatePerMinute), Timeout: g.cfg.Web.Timeout,
		Scope: st.live.Scope().Summary(), Documents: st.live,
		AllowedHosts: g.cfg.Web.AllowedHosts, SecureCookie: g.cfg.Web.SecureCookie, TrustedProxies: g.cfg.Web.TrustedProxies,
		HistoryTurns: g.cfg.Bot.HistoryTurns, MaxInputChars: g.cfg.Bot.MaxInputChars,
		Health: st.health(), Taught: st.live.Taught(),
	}
	st.shared.console(&wopts)
	console := web.NewServer(st.core(channelWeb, nil), st.live, st.live, wopts, g.log)
	mux, closers, err := g.officialChannels(st, names)
	if err != nil {
		return err
	}
	// WeChat calls the channels' paths itself: they stay outside the
	// console's token, rate limit and recovery, which would turn it away.
	mux.Handle("/", console)
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for _, c := range closers {
			if err := c(sctx); err != nil {
				g.log.Warn("close a WeChat channel", "err", err)
			}
		}
	}()
	g.log.Info("serving the staff console", "addr", "http://"+g.cfg.Web.Listen, "channels", names)
	// Shutdown waits for the longest an answer may take, so that every
	// answer in flight finishes and is recorded before the record closes.
	grace := max(g.cfg.Web.Timeout, g.cfg.Bot.AnswerTimeout) + 5*time.Second
	return web.ListenAndServe(ctx, g.cfg.Web.Listen, mux, grace, g.log)
}

// officialChannels builds the official WeChat channels named, each over
// a conversation core of its own (their message limits differ), on one
// mux at their configured paths. The closers deliver or log what is
// still queued when the server stops.
func (g *global) officialChannels(st *stack, names []string) (*http.ServeMux, []func(context.Context) error, error) {
	mux := http.NewServeMux()
	var closers []func(context.Context) error
	if len(names) == 0 {
		return mux, nil, nil
	}
	// silenceper/wechat calls through this package-level client; its own
	// has no timeout and ignores contexts.
	wxutil.DefaultHTTPClient = &http.Client{Timeout: 10 * time.Second}
	hold := g.cfg.Bot.AnswerTimeout + time.Minute
	for _, name := range names {
		var (
			h interface {
				http.Handler
				Close(context.Context) error
			}
			path string
			err  error
		)
		switch name {
		case "mp":
			c := g.cfg.MP
			o := mp.Options{AppID: c.AppID, AppSecret: c.AppSecret, Token: c.Token, EncodingAESKey: c.EncodingAESKey,
				Verified: c.Verified, PassiveWait: c.PassiveWait, Welcome: c.Welcome, HandleTimeout: hold}
			h, err = mp.NewHandler(st.core("mp", mp.Tune(o)), o, g.log)
			path = c.Path
		case "wecom":
			c := g.cfg.WeCom
			o := wecom.Options{CorpID: c.CorpID, AgentID: c.AgentID, Secret: c.Secret, Token: c.Token,
				EncodingAESKey: c.EncodingAESKey, PassiveWait: c.PassiveWait, HandleTimeout: hold}
			h, err = wecom.NewHandler(st.core("wecom", wecom.Tune(o)), o, g.log)
			path = c.Path
		case "kf":
			c := g.cfg.KF
			o := kf.Options{CorpID: c.CorpID, Secret: c.Secret, Token: c.Token, EncodingAESKey: c.EncodingAESKey,
				Backlog: c.Backlog, HandleTimeout: hold}
			h, err = kf.NewHandler(st.core("kf", kf.Tune), o, g.log)
			path = c.Path
		}
		if err != nil {
			return nil, nil, fmt.Errorf("serve %s: %w", name, err)
		}
		mux.Handle(path, h)
		closers = append(closers, h.Close)
	}
	return mux, closers, nil
}
