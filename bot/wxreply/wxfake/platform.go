package wxfake

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Kind is the platform whose callbacks a Platform posts.
type Kind int

// The platforms.
const (
	OfficialAccount Kind = iota // 公众号: signature in the query, optional encryption
	WeCom                       // 企业微信 apps and 微信客服: always encrypted, msg_signature only
)

// Mode is an Official Account's message encryption mode.
type Mode int

// The Official Account's modes.
const (
	Plain      Mode = iota // 明文模式
	Compatible             // 兼容模式: the plaintext fields and Encrypt side by side
	Safe                   // 安全模式: only Encrypt
)

// Platform posts callbacks to the bot as WeChat's servers do, and reads
// the replies the way WeChat would.
type Platform struct {
	Kind  Kind
	Mode  Mode   // Official Account only; WeCom always encrypts
	Token string // the callback token set in the admin console
	// AESKey is the EncodingAESKey; ReceiverID the AppID (Official
	// Account) or CorpID (WeCom) the ciphertext carries.
	AESKey, ReceiverID string
	// Timeout is how long WeChat waits for an answer (5 s in production),
	// and Retries how often it posts the same message again after a
	// timeout or a connection closed without an answer.
	Timeout time.Duration
	Retries int
	// Seq, when set, numbers each reply as it arrives, in the same
	// sequence as the API's sends; a handler wrapped in API.Stamp numbers
	// it as it leaves the bot instead.
	Seq func() int64
}

// Result is what became of one message's callbacks.
type Result struct {
	Attempts int    // callbacks posted
	Status   int    // HTTP status of the answered callback
	Body     string // its raw body
	Reply    string // the text reply it carried, decrypted; empty for success or an empty body
	Seq      int64  // from Platform.Seq, when the reply arrived
	Err      error  // the last callback timed out, or the reply was malformed
}

// Post posts inner, the plaintext XML of a message, to url: signed,
// encrypted as the platform and mode require, and posted again with the
// same content after each timeout, up to Retries times.
func (p *Platform) Post(ctx context.Context, target string, inner []byte) Result {
	return p.PostTampered(ctx, target, inner, nil)
}

// PostTampered is Post with tamper applied to each callback's query
// before it is sent, to forge a signature.
func (p *Platform) PostTampered(ctx context.Context, target string, inner []byte, tamper func(url.Values)) Result {
	var res Result
	client := &http.Client{Timeout: p.Timeout}
	for res.Attempts = 1; ; res.Attempts++ {
		q, body, err := p.sign(inner)
		if err != nil {
			res.Err = err
			return res
		}
		if tamper != nil {
			tamper(q)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target+"?"+q.Encode(), bytes.NewReader(body))
		if err != nil {
			res.Err = err
			return res
		}
		req.Header.Set("Content-Type", "text/xml")
		resp, err := client.Do(req)
		if err != nil {
			// A timeout, or a connection closed without an answer.
			if res.Attempts <= p.Retries && ctx.Err() == nil {
				continue
			}
			res.Err = fmt.Errorf("callback %d: %w", res.Attempts, err)
			return res
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if n, perr := strconv.ParseInt(resp.Trailer.Get(seqTrailer), 10, 64); perr == nil {
			res.Seq = n
		} else if p.Seq != nil {
			res.Seq = p.Seq()
		}
		res.Status, res.Body = resp.StatusCode, string(raw)
		if err != nil {
			res.Err = err
			return res
		}
		if resp.StatusCode == http.StatusOK {
			res.Reply, res.Err = p.readReply(raw, inner)
		}
		return res
	}
}

// sign builds one callback's query and body.
func (p *Platform) sign(inner []byte) (url.Values, []byte, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}}
	var head struct {
		ToUserName   string `xml:"ToUserName"`
		FromUserName string `xml:"FromUserName"`
		AgentID      string `xml:"AgentID"`
	}
	if err := xml.Unmarshal(inner, &head); err != nil {
		return nil, nil, fmt.Errorf("inner xml: %w", err)
	}
	if p.Kind == OfficialAccount {
		q.Set("signature", Sign(p.Token, ts, nonce))
		q.Set("openid", head.FromUserName)
		if p.Mode == Plain {
			return q, inner, nil
		}
	}
	enc, err := Encrypt(p.AESKey, p.ReceiverID, inner)
	if err != nil {
		return nil, nil, err
	}
	q.Set("msg_signature", Sign(p.Token, ts, nonce, enc))
	var body []byte
	switch {
	case p.Kind == WeCom:
		q.Set("msg_signature", Sign(p.Token, ts, nonce, enc))
		body = fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><AgentID><![CDATA[%s]]></AgentID><Encrypt><![CDATA[%s]]></Encrypt></xml>", head.ToUserName, head.AgentID, enc)
	case p.Mode == Compatible:
		q.Set("encrypt_type", "aes")
		// The plaintext fields stay, and Encrypt is added.
		s := strings.TrimSuffix(strings.TrimSpace(string(inner)), "</xml>")
		body = fmt.Appendf(nil, "%s<Encrypt><![CDATA[%s]]></Encrypt></xml>", s, enc)
	default:
		q.Set("encrypt_type", "aes")
		body = fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt></xml>", head.ToUserName, enc)
	}
	return q, body, nil
}

// replyXML is a passive text reply.
type replyXML struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	CreateTime   int64  `xml:"CreateTime"`
}

// encryptedXML is an encrypted reply.
type encryptedXML struct {
	Encrypt      string `xml:"Encrypt"`
	MsgSignature string `xml:"MsgSignature"`
	TimeStamp    string `xml:"TimeStamp"`
	Nonce        string `xml:"Nonce"`
}

// readReply reads a callback's answer as WeChat would: "success" or
// nothing is no reply; an encrypted reply must be signed and addressed
// back to the sender.
func (p *Platform) readReply(raw, inner []byte) (string, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "success" {
		return "", nil
	}
	var head struct {
		ToUserName   string `xml:"ToUserName"`
		FromUserName string `xml:"FromUserName"`
	}
	if err := xml.Unmarshal(inner, &head); err != nil {
		return "", err
	}
	var enc encryptedXML
	if err := xml.Unmarshal(raw, &enc); err != nil {
		return "", fmt.Errorf("reply is not xml: %q", s)
	}
	plain := raw
	if enc.Encrypt != "" {
		if got, want := enc.MsgSignature, Sign(p.Token, enc.TimeStamp, enc.Nonce, enc.Encrypt); got != want {
			return "", fmt.Errorf("reply signature %s, want %s", got, want)
		}
		var err error
		if plain, err = Decrypt(p.AESKey, p.ReceiverID, enc.Encrypt); err != nil {
			return "", fmt.Errorf("decrypt reply: %w", err)
		}
	} else if p.Kind == WeCom || p.Mode == Safe {
		return "", fmt.Errorf("reply not encrypted: %q", s)
	}
	var r replyXML
	if err := xml.Unmarshal(plain, &r); err != nil {
		return "", fmt.Errorf("reply xml: %w", err)
	}
	switch {
	case r.MsgType != "text":
		return "", fmt.Errorf("reply type %q, want text", r.MsgType)
	case r.ToUserName != head.FromUserName || r.FromUserName != head.ToUserName:
		return "", fmt.Errorf("reply from %q to %q, want from %q to %q", r.FromUserName, r.ToUserName, head.ToUserName, head.FromUserName)
	case r.Content == "":
		return "", errors.New("reply is empty")
	}
	return r.Content, nil
}

// Verify makes the URL check the admin console does when the callback URL
// is saved: the bot must echo the echostr (decrypted, on WeCom). It
// returns the status, the body and the body expected.
func (p *Platform) Verify(ctx context.Context, target string, tamper func(url.Values)) (int, string, string, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := "1357924680"
	want := "echo-" + ts
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}}
	if p.Kind == OfficialAccount {
		q.Set("signature", Sign(p.Token, ts, nonce))
		q.Set("echostr", want)
	} else {
		enc, err := Encrypt(p.AESKey, p.ReceiverID, []byte(want))
		if err != nil {
			return 0, "", "", err
		}
		q.Set("msg_signature", Sign(p.Token, ts, nonce, enc))
		q.Set("echostr", enc)
	}
	if tamper != nil {
		tamper(q)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"?"+q.Encode(), nil)
	if err != nil {
		return 0, "", "", err
	}
	resp, err := (&http.Client{Timeout: p.Timeout}).Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), want, err
}

// OAText is an Official Account text message from openid to the account
// whose original id is to.
func OAText(to, openid string, msgID int64, content string) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId></xml>",
		to, openid, time.Now().Unix(), content, msgID)
}

// OAEvent is an Official Account event, such as subscribe.
func OAEvent(to, openid, event string) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[%s]]></Event></xml>",
		to, openid, time.Now().Unix(), event)
}

// OAImage is an Official Account image message.
func OAImage(to, openid string, msgID int64) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://example.invalid/p.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>%d</MsgId></xml>",
		to, openid, time.Now().Unix(), msgID)
}

// WeComText is a text a member sends to a WeCom app.
func WeComText(corpID, userID, agentID string, msgID int64, content string) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId><AgentID>%s</AgentID></xml>",
		corpID, userID, time.Now().Unix(), content, msgID, agentID)
}

// KFEvent is the 微信客服 callback saying an account has new messages.
func KFEvent(corpID, token, openKfID string) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[%s]]></Token><OpenKfId><![CDATA[%s]]></OpenKfId></xml>",
		corpID, time.Now().Unix(), token, openKfID)
}
