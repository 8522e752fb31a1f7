// Package kf connects the conversation core to WeCom customer service
// (微信客服), through which ordinary WeChat users chat with the
// corporation, on github.com/silenceper/wechat/v2's work/kf.
//
// Handler is the callback URL set in the 微信客服 admin console (开发配置).
// WeChat's callback only says that an account has new messages; the
// handler checks its msg_signature (403 otherwise), answers at once, and
// fetches the messages with sync_msg from a cursor it keeps per account
// (open_kfid) in memory. Each customer text is answered through the core
// and the replies are sent with send_msg, at most five per customer
// message as WeChat allows; a reply beyond that, or one that could not be
// sent, waits for the customer's next message.
package kf

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/util"
	workconfig "github.com/silenceper/wechat/v2/work/config"
	wxkf "github.com/silenceper/wechat/v2/work/kf"
	"github.com/silenceper/wechat/v2/work/kf/sendmsg"
	"github.com/silenceper/wechat/v2/work/kf/syncmsg"

	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/bot/wxreply"
)

// conversations is the core the Handler answers through: in production
// *chat.Conversations.
type conversations interface {
	Handle(ctx context.Context, m chat.Message, send chat.Sender) error
	Undelivered(ctx context.Context, entry string, cause error) error
}

// Options configures a Handler, from the 微信客服 admin console (企业信息
// for the CorpID, 开发配置 for the rest). A zero duration means its
// default.
type Options struct {
	CorpID string // required
	Secret string // the 微信客服 Secret, required
	// Token and EncodingAESKey are the callback settings, required.
	Token          string
	EncodingAESKey string
	// Backlog: the first fetch after start, which has no cursor yet,
	// returns the account's recent history; of it, only messages younger
	// than Backlog are answered (default 2 minutes), so that a restart
	// neither answers old questions again nor drops the ones that came
	// while the bot was down for a moment.
	Backlog time.Duration
	// HandleTimeout bounds the handling of one message (default 3 min).
	HandleTimeout time.Duration

	retry *wxreply.Retry // test knob: the retries of a call
}

// Limits of 微信客服.
const (
	maxBytes   = 2048 // the longest text message
	pushQuota  = 5    // messages send_msg may send per customer message
	replyRunes = 680  // the core's part size: Chinese at 3 bytes a rune
	maxBody    = 64 << 10
	maxPages   = 100 // sync_msg pages fetched per callback, 1000 messages each

	defaultBacklog       = 2 * time.Minute
	defaultHandleTimeout = 3 * time.Minute

	// originCustomer marks a message a WeChat customer sent; the others
	// are events (4) and what a human servicer wrote (5).
	originCustomer = 3
)

// Handler answers a 微信客服 corporation's callbacks. It is safe for
// concurrent use; call Close when done.
type Handler struct {
	conv    conversations
	client  *wxkf.Client
	tokens  *wxreply.TokenCache
	box     *wxreply.Mailbox
	serial  *wxreply.Serial
	opts    Options
	retry   wxreply.Retry
	log     *slog.Logger
	started time.Time
	base    context.Context
	cancel  context.CancelFunc
	syncs   sync.WaitGroup

	mu      sync.Mutex
	cursors map[string]string     // open_kfid → next_cursor
	running map[string]*syncState // open_kfid → its fetch in progress
	closed  bool
}

// syncState asks a running fetch to go round again.
type syncState struct {
	again bool
	token string
}

// NewHandler returns the callback handler of the corporation opts
// describes, answering through conv (a *chat.Conversations built with
// Tune). A nil log discards.
func NewHandler(conv conversations, opts Options, log *slog.Logger) (*Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch {
	case opts.CorpID == "":
		return nil, errors.New("kf: corp id is empty")
	case opts.Secret == "":
		return nil, errors.New("kf: secret is empty")
	case opts.Token == "":
		return nil, errors.New("kf: token is empty")
	case len(opts.EncodingAESKey) != 43:
		return nil, fmt.Errorf("kf: encoding aes key has %d characters, want 43", len(opts.EncodingAESKey))
	}
	if opts.Backlog <= 0 {
		opts.Backlog = defaultBacklog
	}
	if opts.HandleTimeout <= 0 {
		opts.HandleTimeout = defaultHandleTimeout
	}
	h := &Handler{
		conv: conv, tokens: wxreply.NewTokenCache(), serial: wxreply.NewSerial(),
		opts: opts, retry: wxreply.DefaultRetry(), log: log.With("channel", "kf"), started: time.Now(),
		cursors: make(map[string]string), running: make(map[string]*syncState),
	}
	if opts.retry != nil {
		h.retry = *opts.retry
	}
	client, err := wxkf.NewClient(&workconfig.Config{
		CorpID: opts.CorpID, CorpSecret: opts.Secret, Token: opts.Token,
		EncodingAESKey: opts.EncodingAESKey, Cache: h.tokens,
	})
	if err != nil {
		return nil, fmt.Errorf("kf: %w", err)
	}
	h.client = client
	h.box = wxreply.NewMailbox(wxreply.MailboxOptions{MaxBytes: maxBytes, Undelivered: wxreply.RecordUndelivered(conv, h.log), Push: h.push, PushQuota: pushQuota}, h.log)
	h.base, h.cancel = context.WithCancel(context.Background())
	return h, nil
}

// Tune adapts the core's options to 微信客服: parts that fit a 2048-byte
// message, no more of them than the five a customer's message allows, and
// no pacing. The "正在查询" note stays as configured: it costs one of the
// five.
func Tune(c *chat.Options) {
	c.Channel = "kf"
	if c.ReplyMaxChars <= 0 || c.ReplyMaxChars > replyRunes {
		c.ReplyMaxChars = replyRunes
	}
	c.SendInterval = 0
	c.PartPause = min(c.PartPause, 300*time.Millisecond)
	limit := pushQuota
	if c.PendingAfter > 0 {
		limit-- // the note takes one
	}
	if c.MaxMessages <= 0 || c.MaxMessages > limit {
		c.MaxMessages = limit
	}
}

// Close stops taking callbacks and waits, until ctx ends, for the fetches
// and answers in progress.
func (h *Handler) Close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		h.syncs.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
		err = h.serial.Close(ctx)
	case <-ctx.Done():
		err = ctx.Err()
	}
	h.cancel()
	h.box.LogUndelivered()
	return err
}

// ServeHTTP answers one callback: the URL check (GET with echostr) or the
// news of messages (POST).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("msg_signature")
	switch r.Method {
	case http.MethodGet:
		echo, err := h.client.VerifyURL(wxkf.SignatureOptions{Signature: sig, TimeStamp: ts, Nonce: nonce, EchoStr: q.Get("echostr")})
		if err != nil {
			h.log.Warn("url check refused", "err", err, "remote", r.RemoteAddr)
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, echo)
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
	var env struct {
		Encrypt string `xml:"Encrypt"`
	}
	if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	// GetCallbackMessage decrypts without checking the signature.
	if subtle.ConstantTimeCompare([]byte(util.Signature(h.opts.Token, ts, nonce, env.Encrypt)), []byte(sig)) != 1 {
		h.log.Warn("callback refused: bad signature", "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	msg, err := h.client.GetCallbackMessage(body)
	if err != nil {
		h.log.Warn("callback not understood", "err", err)
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	if msg.Event == "kf_msg_or_event" && msg.OpenKfID != "" {
		h.fetch(msg.OpenKfID, msg.Token)
	}
	io.WriteString(w, "success")
}

// fetch starts fetching the new messages of account kfid, or, when a
// fetch is running, asks it to go round once more.
func (h *Handler) fetch(kfid, token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if st, ok := h.running[kfid]; ok {
		st.again, st.token = true, token
		return
	}
	h.running[kfid] = &syncState{}
	h.syncs.Add(1)
	go func() {
		defer h.syncs.Done()
		for {
			h.syncOnce(h.base, kfid, token)
			h.mu.Lock()
			st := h.running[kfid]
			if !st.again || h.closed {
				delete(h.running, kfid)
				h.mu.Unlock()
				return
			}
			st.again, token = false, st.token
			h.mu.Unlock()
		}
	}()
}

// syncOnce fetches the messages of kfid after its cursor, page by page,
// and hands each customer message to its chat's line.
func (h *Handler) syncOnce(ctx context.Context, kfid, token string) {
	for range maxPages {
		h.mu.Lock()
		cursor := h.cursors[kfid]
		h.mu.Unlock()
		var res wxkf.SyncMsgSchema
		err := wxreply.Call(ctx, h.tokens, h.retry, func() error {
			var err error
			res, err = h.client.SyncMsg(wxkf.SyncMsgOptions{Cursor: cursor, Token: token, Limit: 1000, OpenKfID: kfid})
			return err
		})
		if err != nil {
			// The cursor stays: the next callback fetches these messages.
			h.log.Error("messages not fetched", "open_kfid", kfid, "err", err)
			return
		}
		skipped := 0
		for _, m := range res.MsgList {
			if cursor == "" && time.Unix(int64(m.SendTime), 0).Before(h.started.Add(-h.opts.Backlog)) {
				skipped++
				continue
			}
			h.dispatch(kfid, m)
		}
		if skipped > 0 {
			h.log.Info("old messages not answered after start", "open_kfid", kfid, "messages", skipped)
		}
		h.mu.Lock()
		if res.NextCursor != "" {
			h.cursors[kfid] = res.NextCursor
		}
		h.mu.Unlock()
		if res.HasMore == 0 {
			return
		}
	}
	h.log.Warn("more messages than one fetch takes; the rest come with the next callback", "open_kfid", kfid)
}

// dispatch queues the answer to one message in its chat's line.
func (h *Handler) dispatch(kfid string, sm syncmsg.Message) {
	if sm.Origin != originCustomer || sm.ExternalUserID == "" {
		return // events and what servicers write
	}
	chatID := kfid + "/" + sm.ExternalUserID
	m := chat.Message{ID: "kf:" + sm.MsgID, ChatID: chatID, SenderID: sm.ExternalUserID, Time: time.Unix(int64(sm.SendTime), 0)}
	switch sm.MsgType {
	case "text":
		var t syncmsg.Text
		if err := json.Unmarshal(sm.OriginData, &t); err != nil {
			h.log.Error("text message not read", "chat", journal.ChatHash(chatID), "err", err)
			m.Kind = chat.KindOther
			break
		}
		m.Kind, m.Text = chat.KindText, t.Text.Content
	case "image":
		m.Kind = chat.KindImage
	case "voice":
		m.Kind = chat.KindVoice
	case "video":
		m.Kind = chat.KindVideo
	case "file":
		m.Kind = chat.KindFile
	case "link":
		m.Kind = chat.KindLink
	default:
		m.Kind = chat.KindOther
	}
	h.serial.Go(chatID, func() {
		ctx, cancel := context.WithTimeout(h.base, h.opts.HandleTimeout)
		defer cancel()
		h.box.Received(chatID)
		h.box.Flush(ctx, chatID) // replies that waited for this message
		send := func(ctx context.Context, r chat.Reply) error {
			return h.box.Put(ctx, chatID, r.Entry, r.Text)
		}
		if err := h.conv.Handle(ctx, m, send); err != nil {
			h.log.Error("message not fully answered", "chat", journal.ChatHash(chatID), "err", err)
		}
	})
}

// push sends one text with send_msg; chatID is "open_kfid/external_userid".
func (h *Handler) push(ctx context.Context, chatID, text string) error {
	kfid, user, ok := strings.Cut(chatID, "/")
	if !ok {
		return fmt.Errorf("kf: bad chat id %q", chatID)
	}
	msg := sendmsg.Text{Message: sendmsg.Message{ToUser: user, OpenKFID: kfid}, MsgType: "text"}
	msg.Text.Content = text
	return wxreply.Call(ctx, h.tokens, h.retry, func() error {
		_, err := h.client.SendMsg(msg)
		return err
	})
}
