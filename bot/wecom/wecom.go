// Package wecom connects the conversation core to a WeCom (企业微信)
// self-built app, on github.com/silenceper/wechat/v2: the corporation's
// members chat with the app, and it answers.
//
// Handler is the app's callback URL (接收消息 → API接收). It checks
// msg_signature (403 otherwise), decrypts with the EncodingAESKey and
// answers through the core. An answer ready within the 5-second window
// goes back encrypted in the callback's response; a slower one is sent
// through the app message API, which a self-built app may always use.
// WeChat's retries of one message never ask the question twice. See
// package wxreply.
package wecom

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work"
	workconfig "github.com/silenceper/wechat/v2/work/config"
	"github.com/silenceper/wechat/v2/work/message"

	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/wxreply"
)

// conversations is the core the Handler answers through: in production
// *chat.Conversations.
type conversations interface {
	Handle(ctx context.Context, m chat.Message, send chat.Sender) error
	Undelivered(ctx context.Context, entry string, cause error) error
}

// Options configures a Handler, from the WeCom admin console (我的企业 for
// the CorpID; 应用管理 → the app for the rest). A zero duration means its
// default.
type Options struct {
	CorpID  string // required
	AgentID string // the app's AgentId, required
	Secret  string // the app's Secret, required: replies that miss the window are sent with it
	// Token and EncodingAESKey are the app's 接收消息 settings, required.
	Token          string
	EncodingAESKey string
	// PassiveWait is how long a callback waits for the answer (default
	// 4 s, under WeChat's 5 s).
	PassiveWait time.Duration
	// HandleTimeout bounds the handling of one message (default 3 min).
	HandleTimeout time.Duration

	// Test knobs: how many callbacks WeChat makes for one message, how
	// long one is held, and the retries of a send.
	attempts  int
	holdLimit time.Duration
	retry     *wxreply.Retry
}

// Limits of WeCom.
const (
	// maxBytes is the longest text message: WeCom cuts longer ones.
	maxBytes = 2048
	// replyRunes is the core's part size: Chinese at 3 bytes a rune.
	replyRunes = 680
	maxBody    = 64 << 10
	// defaultPassiveWait leaves a second of WeChat's five.
	defaultPassiveWait = 4 * time.Second
)

// Handler answers a WeCom app's callbacks. It is safe for concurrent use;
// call Close when done.
type Handler struct {
	msg    *message.Client
	tokens *wxreply.TokenCache
	window *wxreply.Window
	box    *wxreply.Mailbox
	opts   Options
	retry  wxreply.Retry
	log    *slog.Logger
}

// NewHandler returns the callback handler of the app opts describes,
// answering through conv (a *chat.Conversations built with Tune(opts)).
// A nil log discards.
func NewHandler(conv conversations, opts Options, log *slog.Logger) (*Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch {
	case opts.CorpID == "":
		return nil, errors.New("wecom: corp id is empty")
	case opts.AgentID == "":
		return nil, errors.New("wecom: agent id is empty")
	case opts.Secret == "":
		return nil, errors.New("wecom: secret is empty")
	case opts.Token == "":
		return nil, errors.New("wecom: token is empty")
	case len(opts.EncodingAESKey) != 43:
		return nil, fmt.Errorf("wecom: encoding aes key has %d characters, want 43", len(opts.EncodingAESKey))
	}
	if opts.PassiveWait <= 0 {
		opts.PassiveWait = defaultPassiveWait
	}
	h := &Handler{tokens: wxreply.NewTokenCache(), opts: opts, retry: wxreply.DefaultRetry(), log: log.With("channel", "wecom")}
	if opts.retry != nil {
		h.retry = *opts.retry
	}
	h.msg = work.NewWork(&workconfig.Config{
		CorpID: opts.CorpID, CorpSecret: opts.Secret, AgentID: opts.AgentID,
		Token: opts.Token, EncodingAESKey: opts.EncodingAESKey, Cache: h.tokens,
	}).GetMessage()
	h.box = wxreply.NewMailbox(wxreply.MailboxOptions{MaxBytes: maxBytes, Undelivered: wxreply.RecordUndelivered(conv, h.log), Push: h.push}, h.log)
	h.window = wxreply.NewWindow(conv, h.box, wxreply.WindowOptions{
		PassiveWait: opts.PassiveWait, Attempts: opts.attempts, HoldLimit: opts.holdLimit,
		HandleTimeout: opts.HandleTimeout,
	}, h.log)
	return h, nil
}

// Tune adapts the core's options to WeCom: parts that fit a 2048-byte
// message, no pacing, and the "正在查询" note while the window is open, the
// answer following through the message API.
func Tune(opts Options) func(*chat.Options) {
	return func(c *chat.Options) {
		c.Channel = "wecom"
		if c.ReplyMaxChars <= 0 || c.ReplyMaxChars > replyRunes {
			c.ReplyMaxChars = replyRunes
		}
		c.SendInterval = 0
		c.PartPause = min(c.PartPause, 300*time.Millisecond)
		wait := opts.PassiveWait
		if wait <= 0 {
			wait = defaultPassiveWait
		}
		c.PendingAfter = wait * 7 / 8
	}
}

// Close stops taking messages and waits, until ctx ends, for the answers
// in progress to be delivered.
func (h *Handler) Close(ctx context.Context) error {
	return h.window.Close(ctx)
}

// push sends one app text message to a member.
func (h *Handler) push(ctx context.Context, userID, text string) error {
	return wxreply.Call(ctx, h.tokens, h.retry, func() error {
		_, err := h.msg.SendText(message.SendTextRequest{
			SendRequestCommon: &message.SendRequestCommon{ToUser: userID, AgentID: h.opts.AgentID},
			Text:              message.TextField{Content: text},
		})
		return err
	})
}

// envelope is the encrypted callback body.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	AgentID    string `xml:"AgentID"`
	Encrypt    string `xml:"Encrypt"`
}

// inbound is a decrypted message or event.
type inbound struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	MsgID        string `xml:"MsgId"`
	AgentID      string `xml:"AgentID"`
	Event        string `xml:"Event"`
}

// ServeHTTP answers one callback: the URL check (GET with echostr) or a
// message (POST).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("msg_signature")
	switch r.Method {
	case http.MethodGet:
		echo := q.Get("echostr")
		if echo == "" || !same(util.Signature(h.opts.Token, ts, nonce, echo), sig) {
			h.log.Warn("url check refused: bad signature", "remote", r.RemoteAddr)
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		_, plain, err := util.DecryptMsg(h.opts.CorpID, echo, h.opts.EncodingAESKey)
		if err != nil {
			h.log.Warn("url check refused: cannot decrypt echostr", "err", err)
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(plain)
		return
	case http.MethodPost:
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if !same(util.Signature(h.opts.Token, ts, nonce, env.Encrypt), sig) {
		h.log.Warn("callback refused: bad signature", "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	_, plain, err := util.DecryptMsg(h.opts.CorpID, env.Encrypt, h.opts.EncodingAESKey)
	if err != nil {
		h.log.Warn("callback not decrypted", "err", err)
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	var in inbound
	if err := xml.Unmarshal(plain, &in); err != nil {
		h.log.Warn("callback not understood", "err", err)
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	out := h.decide(r.Context(), in)
	defer out.Written()
	switch {
	case out.Hold:
		wxreply.Hold(r.Context(), h.window.HoldLimit())
		return
	case out.Reply == "":
		// An empty body ends WeChat's retries.
		w.WriteHeader(http.StatusOK)
	default:
		if err := h.writeReply(w, in, out.Reply); err != nil {
			h.log.Error("passive reply not written", "err", err)
		}
	}
	_ = http.NewResponseController(w).Flush()
}

// decide turns a callback into the core's message and says how to answer.
func (h *Handler) decide(ctx context.Context, in inbound) wxreply.Outcome {
	none := wxreply.Outcome{Written: func() {}}
	if in.MsgType == "event" || in.FromUserName == "" {
		return none // enter_agent and the like need no answer
	}
	if in.AgentID != "" && in.AgentID != h.opts.AgentID {
		h.log.Warn("message for another app ignored", "agent", in.AgentID)
		return none
	}
	id := in.MsgID
	if id == "" {
		id = in.FromUserName + ":" + strconv.FormatInt(in.CreateTime, 10)
	}
	m := chat.Message{ID: "wecom:" + id, ChatID: in.FromUserName, SenderID: in.FromUserName, Time: time.Unix(in.CreateTime, 0)}
	switch in.MsgType {
	case "text":
		m.Kind, m.Text = chat.KindText, in.Content
	case "image":
		m.Kind = chat.KindImage
	case "voice":
		m.Kind = chat.KindVoice
	case "video":
		m.Kind = chat.KindVideo
	case "link":
		m.Kind = chat.KindLink
	default:
		m.Kind = chat.KindOther
	}
	return h.window.Callback(ctx, m)
}

// replyText is a passive text reply before encryption.
type replyText struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
}

// encrypted is the body of an encrypted passive reply.
type encrypted struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      string   `xml:"Encrypt"`
	MsgSignature string   `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        string   `xml:"Nonce"`
}

// writeReply writes text as the callback's encrypted passive reply.
func (h *Handler) writeReply(w http.ResponseWriter, in inbound, text string) error {
	raw, err := xml.Marshal(replyText{ToUserName: in.FromUserName, FromUserName: h.opts.CorpID, CreateTime: time.Now().Unix(), MsgType: "text", Content: text})
	if err != nil {
		return fmt.Errorf("marshal reply: %w", err)
	}
	random := make([]byte, 16)
	rand.Read(random)
	enc, err := util.EncryptMsg(random, raw, h.opts.CorpID, h.opts.EncodingAESKey)
	if err != nil {
		return fmt.Errorf("encrypt reply: %w", err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := strconv.FormatUint(uint64(random[0])<<24|uint64(random[1])<<16|uint64(random[2])<<8|uint64(random[3]), 10)
	out, err := xml.Marshal(encrypted{Encrypt: string(enc), MsgSignature: util.Signature(h.opts.Token, ts, nonce, string(enc)), TimeStamp: ts, Nonce: nonce})
	if err != nil {
		return fmt.Errorf("marshal reply: %w", err)
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, err = io.Copy(w, bytes.NewReader(out))
	return err
}

// same compares signatures in constant time.
func same(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
