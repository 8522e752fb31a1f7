package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/terminal"
	"github.com/policybot/policybot/bot/web"
	"github.com/policybot/policybot/bot/wechat"
)

// The channels, as the Q&A record names them.
const (
	channelCLI    = "cli"
	channelWeChat = "wechat"
	channelWeb    = "web"
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
	c, err := g.conversations(ctx, channelCLI, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	d, err := c.conv.Ask(ctx, chat.Request{ChatID: channelCLI, Question: q})
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
	c, err := g.conversations(ctx, channelCLI, atKeyboard)
	if err != nil {
		return err
	}
	defer c.Close()
	mode := "离线摘录模式（未配置大模型）"
	if g.cfg.LLM.Enabled() {
		mode = "大模型：" + g.cfg.LLM.Model
	}
	banner := fmt.Sprintf("政策助手 · %s\n%s", mode, c.lib.Scope().Summary())
	return terminal.Run(ctx, c.conv, g.stdin, g.stdout, banner)
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
	c, err := g.conversations(ctx, channelWeChat, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	w := g.cfg.WeChat
	wopts := wechat.Options{
		Mode: w.Mode, StoragePath: g.cfg.WeChatStorage(), OnLogout: w.OnLogout,
		AcceptFriends: w.AcceptFriends, FriendGreeting: w.FriendGreeting, QROut: g.stderr,
		HandleTimeout: g.cfg.Bot.AnswerTimeout + time.Minute, Groups: w.Groups,
	}
	return wechat.Run(ctx, c.conv, wopts, g.log)
}

func cmdServe(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "serve", "", "Serve the JSON API and the staff console.")
	listen := fs.String("listen", "", "address to listen on (default web.listen, 127.0.0.1:8080)")
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
	c, err := g.conversations(ctx, channelWeb, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	srv := web.NewServer(c.conv, c.ix, c.lib, web.Options{
		Token: g.cfg.Web.Token, MaxBodyBytes: g.cfg.Web.MaxBodyBytes,
		RatePerMinute: float64(g.cfg.Web.RatePerMinute), Timeout: g.cfg.Web.Timeout,
		Scope: c.lib.Scope().Summary(),
	}, g.log)
	g.log.Info("serving the staff console", "addr", "http://"+g.cfg.Web.Listen)
	return web.ListenAndServe(ctx, g.cfg.Web.Listen, srv, g.log)
}
