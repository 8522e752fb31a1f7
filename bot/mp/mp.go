// Package mp connects the conversation core to a WeChat Official Account
// (公众号) through its message server, on github.com/silenceper/wechat/v2.
//
// Handler is the callback URL set in the account's admin console. It
// checks WeChat's signature (403 otherwise), decrypts safe and compatible
// mode messages with the EncodingAESKey, and answers through the core.
// An answer ready within the 5-second window goes back in the callback's
// response (a passive reply). A slower one goes out through the
// customer-service message API when the account is verified; otherwise it
// is carried by WeChat's retries of the same message, and failing that by
// the user's next message. See package wxreply.
package mp

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/wxreply"
)

// conversations is the core the Handler answers through: in production
// *chat.Conversations.
type conversations interface {
	Handle(ctx context.Context, m chat.Message, send chat.Sender) error
	Undelivered(ctx context.Context, entry string, cause error) error
}

// Options configures a Handler. The credentials come from the admin
// console (设置与开发 → 基本配置); a zero duration means its default.
type Options struct {
	AppID     string // required
	AppSecret string // required when Verified: the customer-service API needs an access token
	Token     string // the server configuration's Token, required
	// EncodingAESKey is the 43-character key for safe and compatible
	// mode; empty is enough for plaintext mode only.
	EncodingAESKey string
	// Verified says the account may send customer-service messages (a
	// verified service or subscription account). Then an answer not ready
	// within PassiveWait is sent through that API; otherwise it waits for
	// WeChat's retries and then for the user's next message.
	Verified bool
	// PassiveWait is how long a callback waits for the answer (default
	// 4 s, under WeChat's 5 s).
	PassiveWait time.Duration
	// Welcome is the reply to a new follower; empty sends none.
	Welcome string
	// HandleTimeout bounds the handling of one message (default 3 min).
	HandleTimeout time.Duration

	// Test knobs: how many callbacks WeChat makes for one message, how
	// long one is held unanswered, and the retries of a send.
	attempts  int
	holdLimit time.Duration
	retry     *wxreply.Retry
}

// Limits of the Official Account.
const (
	// maxBytes is the longest text message, passive or customer-service.
	maxBytes = 2048
	// pushQuota is how many customer-service messages one user message
	// allows.
	pushQuota = 5
	// replyRunes is the core's part size: Chinese at 3 bytes a rune, with
	// room for the note that more messages wait.
	replyRunes = 640
	// maxBody bounds a callback's body; real ones are a few KiB.
	maxBody = 64 << 10
	// defaultPassiveWait leaves a second of WeChat's five.
	defaultPassiveWait = 4 * time.Second
)

// What the user reads when an answer has to wait.
const (
	msgPending = "您的问题还在查询中，请稍等片刻后回复“1”获取回答。"
	msgMore    = "（内容较长，回复“1”查看下一条）"
)

// Handler answers an Official Account's callbacks. It is safe for
// concurrent use; call Close when done.
type Handler struct {
	oa     *officialaccount.OfficialAccount
	cs     *message.Manager
	tokens *wxreply.TokenCache
	window *wxreply.Window
	box    *wxreply.Mailbox
	opts   Options
	retry  wxreply.Retry
	log    *slog.Logger
}

// NewHandler returns the callback handler of the account opts describes,
// answering through conv (a *chat.Conversations built with Tune(opts)).
// A nil log discards.
func NewHandler(conv conversations, opts Options, log *slog.Logger) (*Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch {
	case opts.AppID == "":
		return nil, errors.New("mp: app id is empty")
	case opts.Token == "":
		return nil, errors.New("mp: token is empty")
	case opts.Verified && opts.AppSecret == "":
		return nil, errors.New("mp: app secret is empty; a verified account needs it for customer-service messages")
	case opts.EncodingAESKey != "" && len(opts.EncodingAESKey) != 43:
		return nil, fmt.Errorf("mp: encoding aes key has %d characters, want 43", len(opts.EncodingAESKey))
	}
	if opts.PassiveWait <= 0 {
		opts.PassiveWait = defaultPassiveWait
	}
	h := &Handler{tokens: wxreply.NewTokenCache(), opts: opts, retry: wxreply.DefaultRetry(), log: log.With("channel", "mp")}
	if opts.retry != nil {
		h.retry = *opts.retry
	}
	h.oa = officialaccount.NewOfficialAccount(&oaconfig.Config{
		AppID: opts.AppID, AppSecret: opts.AppSecret, Token: opts.Token,
		EncodingAESKey: opts.EncodingAESKey, Cache: h.tokens,
	})
	h.cs = h.oa.GetCustomerMessageManager() // it is built lazily, and not safely
	box := wxreply.MailboxOptions{MaxBytes: maxBytes, More: msgMore, Undelivered: wxreply.RecordUndelivered(conv, h.log)}
	if opts.Verified {
		box.Push, box.PushQuota = h.push, pushQuota
	}
	h.box = wxreply.NewMailbox(box, h.log)
	h.window = wxreply.NewWindow(conv, h.box, wxreply.WindowOptions{
		PassiveWait: opts.PassiveWait, Attempts: opts.attempts, HoldLimit: opts.holdLimit,
		HandleTimeout: opts.HandleTimeout, Pending: msgPending,
	}, h.log)
	return h, nil
}

// Tune adapts the core's options to the Official Account: parts that fit
// a 2048-byte message, at most five of them, no pacing (WeChat paces
// official sends itself), and
// the "正在查询" note only where it can be a passive reply while the answer
// follows through the customer-service API.
func Tune(opts Options) func(*chat.Options) {
	return func(c *chat.Options) {
		c.Channel = "mp"
		if c.ReplyMaxChars <= 0 || c.ReplyMaxChars > replyRunes {
			c.ReplyMaxChars = replyRunes
		}
		c.SendInterval = 0
		c.PartPause = min(c.PartPause, 300*time.Millisecond)
		if c.MaxMessages <= 0 || c.MaxMessages > pushQuota {
			// One customer-service quota's worth; unverified, each
			// further message costs the user a “1”.
			c.MaxMessages = pushQuota
		}
		c.PendingAfter = 0
		if opts.Verified {
			wait := opts.PassiveWait
			if wait <= 0 {
				wait = defaultPassiveWait
			}
			c.PendingAfter = wait * 7 / 8
		}
	}
}

// Close stops taking messages and waits, until ctx ends, for the answers
// in progress to be delivered.
func (h *Handler) Close(ctx context.Context) error {
	return h.window.Close(ctx)
}

// push sends one customer-service text message.
func (h *Handler) push(ctx context.Context, openid, text string) error {
	return wxreply.Call(ctx, h.tokens, h.retry, func() error {
		return h.cs.Send(message.NewCustomerTextMessage(openid, text))
	})
}

// ServeHTTP answers one callback: the URL check (GET with echostr) or a
// message (POST).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if !same(util.Signature(h.opts.Token, ts, nonce), q.Get("signature")) {
		h.log.Warn("callback refused: bad signature", "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	switch r.Method {
	case http.MethodGet:
		echo, ok := q["echostr"]
		if !ok {
			http.Error(w, "missing echostr", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, echo[0])
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
	if q.Get("encrypt_type") == "aes" {
		if h.opts.EncodingAESKey == "" {
			h.log.Error("callback is encrypted but no EncodingAESKey is configured (mp.encoding_aes_key)")
			http.Error(w, "not configured for encryption", http.StatusBadRequest)
			return
		}
		var env struct {
			Encrypt string `xml:"Encrypt"`
		}
		if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		// The library checks msg_signature too, but reports it like any
		// other error; checked here it gets its own status.
		if !same(util.Signature(h.opts.Token, ts, nonce, env.Encrypt), q.Get("msg_signature")) {
			h.log.Warn("callback refused: bad msg_signature", "remote", r.RemoteAddr)
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	srv := h.oa.GetServer(r, w)
	written := func() {}
	defer func() { written() }()
	replied := false
	srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
		out := h.decide(r.Context(), m)
		written = out.Written
		if out.Hold {
			wxreply.Hold(r.Context(), h.window.HoldLimit())
			return nil
		}
		if out.Reply == "" {
			return nil
		}
		replied = true
		return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(out.Reply)}
	})
	if err := srv.Serve(); err != nil {
		h.log.Warn("callback not understood", "err", err)
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	switch {
	case replied:
		if err := srv.Send(); err != nil {
			h.log.Error("passive reply not written", "err", err)
		}
	case q.Get("encrypt_type") == "aes":
		// The library writes "success" itself only in plaintext mode, and
		// its Send would encrypt an empty message, which WeChat rejects.
		io.WriteString(w, "success")
	}
	// On the wire before anything that follows it is pushed.
	_ = http.NewResponseController(w).Flush()
}

// decide turns a library message into the core's and says how to answer
// the callback.
func (h *Handler) decide(ctx context.Context, m *message.MixMessage) wxreply.Outcome {
	none := wxreply.Outcome{Written: func() {}}
	if m.MsgType == message.MsgTypeEvent {
		if m.Event == message.EventSubscribe && h.opts.Welcome != "" {
			return wxreply.Outcome{Reply: h.opts.Welcome, Written: func() {}}
		}
		return none
	}
	from := string(m.FromUserName)
	if from == "" {
		return none
	}
	id := strconv.FormatInt(m.MsgID, 10)
	if m.MsgID == 0 {
		// WeChat's advice for messages without an id.
		id = from + ":" + strconv.FormatInt(m.CreateTime, 10)
	}
	cm := chat.Message{ID: "mp:" + id, ChatID: from, SenderID: from, Time: time.Unix(m.CreateTime, 0)}
	switch m.MsgType {
	case message.MsgTypeText:
		cm.Kind, cm.Text = chat.KindText, m.Content
	case message.MsgTypeVoice:
		cm.Kind = chat.KindVoice
		if m.Recognition != "" {
			// Voice recognition, where the account turned it on.
			cm.Kind, cm.Text = chat.KindText, m.Recognition
		}
	case message.MsgTypeImage:
		cm.Kind = chat.KindImage
	case message.MsgTypeVideo, message.MsgTypeShortVideo:
		cm.Kind = chat.KindVideo
	case message.MsgTypeLink:
		cm.Kind = chat.KindLink
	default:
		cm.Kind = chat.KindOther
	}
	return h.window.Callback(ctx, cm)
}

// same compares signatures in constant time.
func same(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
