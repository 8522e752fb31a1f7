package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/bot/web"
	"github.com/policybot/policybot/bot/wechat"
	"github.com/policybot/policybot/corpus"
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
	p, _, _, err := g.pipeline(ctx)
	if err != nil {
		return err
	}
	ans, err := p.Answer(ctx, q, nil)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(ans)
	}
	_, err = fmt.Fprintln(g.stdout, ans.Text)
	return err
}

// options maps the config onto the conversation core.
func (g *global) conversationOptions(lib *corpus.Library, channel string) chat.Options {
	b := g.cfg.Bot
	return chat.Options{
		HistoryTurns:  b.HistoryTurns,
		IdleTimeout:   b.IdleTimeout,
		MaxInputChars: b.MaxInputChars,
		AnswerTimeout: b.AnswerTimeout,
		PendingAfter:  b.PendingAfter,
		UserPerMinute: float64(b.UserRate.PerMinute),
		UserBurst:     b.UserRate.Burst,
		ReplyMaxChars: b.ReplyMaxChars,
		PartPause:     b.PartPause,
		SendInterval:  b.SendInterval,
		GroupPrefix:   g.cfg.WeChat.GroupPrefix,
		Scope:         lib.Scope().Summary(),
		Channel:       channel,
	}
}

// journal opens the Q&A record when it is enabled.
func (g *global) journal() (*journal.Files, error) {
	if !g.cfg.Bot.Record.Enabled {
		return nil, nil
	}
	return journal.Open(filepath.Join(g.cfg.DataDir, "qa"), g.cfg.Bot.Record.Retention, g.log)
}

// answerer is what the conversation core asks for answers.
type answerer interface {
	Answer(ctx context.Context, question string, history []string) (answer.Result, error)
}

// conversations wires the answer pipeline into the conversation core for
// one channel; adjust tunes the options the config gives, and wrap, when
// not nil, stands between the pipeline and the core (the terminal does,
// to show answers as they are written). The returned close ends the Q&A
// record.
func (g *global) conversations(ctx context.Context, channel string, adjust func(*chat.Options), wrap func(*answer.Pipeline) answerer) (*chat.Conversations, *corpus.Library, func(), error) {
	p, _, lib, err := g.pipeline(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	var a answerer = p
	if wrap != nil {
		a = wrap(p)
	}
	opts := g.conversationOptions(lib, channel)
	if adjust != nil {
		adjust(&opts)
	}
	j, err := g.journal()
	if err != nil {
		return nil, nil, nil, err
	}
	closeJournal := func() {}
	if j != nil {
		opts.Journal = j
		closeJournal = func() {
			if err := j.Close(); err != nil {
				g.log.Warn("close the Q&A record", "err", err)
			}
		}
	}
	return chat.New(a, opts, g.log), lib, closeJournal, nil
}

func cmdChat(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "chat", "", "Talk to the bot in the terminal. Commands: 帮助, 重置 (/reset), 原文 N, 范围; Ctrl-D to quit.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := g.load(); err != nil {
		return err
	}
	var term *terminal
	conv, lib, closeJournal, err := g.conversations(ctx, "cli", func(o *chat.Options) {
		// One person at a keyboard: no pacing, no splitting pauses.
		o.SendInterval, o.PartPause, o.ReplyMaxChars, o.UserPerMinute, o.UserBurst = 0, 0, 100000, 600, 100
	}, func(p *answer.Pipeline) answerer {
		// The terminal stands between the pipeline and the core, to show
		// answers as they are written.
		term = &terminal{p: p, out: g.stdout}
		return term
	})
	if err != nil {
		return err
	}
	defer closeJournal()
	mode := "离线摘录模式（未配置大模型）"
	if g.cfg.LLM.Enabled() {
		mode = "大模型：" + g.cfg.LLM.Model
	}
	fmt.Fprintf(g.stdout, "政策助手 · %s\n%s\n输入问题后回车；“帮助”查看命令，Ctrl-D 退出。\n", mode, lib.Scope().Summary())
	in := bufio.NewScanner(g.stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; ; n++ {
		fmt.Fprint(g.stdout, "\n> ")
		if !in.Scan() {
			fmt.Fprintln(g.stdout)
			return in.Err()
		}
		if ctx.Err() != nil {
			return nil
		}
		m := chat.Message{ID: fmt.Sprint(n), ChatID: "terminal", SenderID: "terminal", Text: in.Text(), Kind: chat.KindText, Time: time.Now()}
		if err := conv.Handle(ctx, m, term.send); err != nil {
			return err
		}
	}
}

func cmdWeChat(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "wechat", "", "Run the WeChat bot (desktop login; the QR code is drawn here on first login).")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := g.load(); err != nil {
		return err
	}
	conv, _, closeJournal, err := g.conversations(ctx, "wechat", nil, nil)
	if err != nil {
		return err
	}
	defer closeJournal()
	w := g.cfg.WeChat
	wopts := wechat.Options{
		Mode: w.Mode, StoragePath: g.cfg.WeChatStorage(), OnLogout: w.OnLogout,
		AcceptFriends: w.AcceptFriends, FriendGreeting: w.FriendGreeting, QROut: g.stderr,
		HandleTimeout: g.cfg.Bot.AnswerTimeout + time.Minute, Groups: w.Groups,
	}
	return wechat.Run(ctx, conv, wopts, g.log)
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
	p, ix, lib, err := g.pipeline(ctx)
	if err != nil {
		return err
	}
	j, err := g.journal()
	if err != nil {
		return err
	}
	var jr interface {
		Append(context.Context, journal.Entry) error
		Mark(context.Context, string, bool, string) error
	}
	if j != nil {
		defer j.Close()
		jr = j
	}
	srv := web.NewServer(p, ix, lib, jr, web.Options{
		Token: g.cfg.Web.Token, MaxBodyBytes: g.cfg.Web.MaxBodyBytes,
		RatePerMinute: float64(g.cfg.Web.RatePerMinute), Timeout: g.cfg.Web.Timeout,
	}, g.log)
	g.log.Info("serving the staff console", "addr", "http://"+g.cfg.Web.Listen)
	return web.ListenAndServe(ctx, g.cfg.Web.Listen, srv, g.log)
}
