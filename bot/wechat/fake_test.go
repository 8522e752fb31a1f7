package wechat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"
)

// The fake's accounts and session.
const (
	fakeSelf      = "@self"
	fakeSelfNick  = "政策助手"
	fakeFriend    = "@friend1"
	fakeGroup     = "@@group1"
	fakeGroupName = "企业政策交流群"
	otherGroup    = "@@group2"
	otherName     = "闲聊群"
	fakeMember    = "@member1"
	fakeMP        = "@mp1"
	fakeNewFriend = "@newfriend"
	fakeUUID      = "QRuuid=="
	fakeSid       = "fake-sid"
	fakeSkey      = "@fake-skey"
	fakePass      = "fake-pass"
	fakeUin       = 1001
	fakeDomain    = "wx.qq.com"
)

// syncEvent is what one synccheck long poll returns: new messages, or a
// retcode that ends the session.
type syncEvent struct {
	retcode string // "" means "0"
	msgs    []map[string]any
}

// sentText is one webwxsendmsg request as the fake saw it.
type sentText struct {
	to, from, content string
	typ               int
	cookie, userAgent string
	req               openwechat.BaseRequest
}

// fakeWeChat implements just enough of the web-WeChat servers for the real
// library to log in (hot or QR), poll, look up contacts, accept a friend
// and send text.
type fakeWeChat struct {
	t      *testing.T
	srv    *httptest.Server
	events chan syncEvent
	// polling gets a value when a synccheck starts waiting, pollGone when a
	// waiting synccheck's client goes away.
	polling, pollGone chan struct{}
	sent              chan sentText
	stop              chan struct{}
	// initRet is the Ret of the n-th webwxinit (from 1); nil means 0.
	initRet func(n int) int
	// friends are more contacts webwxgetcontact lists, set before login.
	friends []map[string]any
	// sendRet is the Ret of the n-th webwxsendmsg (from 1); nil means 0.
	// A send that fails is not passed on to sent.
	sendRet func(n int) int

	mu         sync.Mutex
	pending    []map[string]any
	requests   int
	paths      []string
	inits      int
	initCookie string
	initUA     string
	verified   []map[string]any
	loginHdr   http.Header
	joined     map[string][]map[string]any // group → members who joined after login
	lookups    map[string]int              // user name → webwxbatchgetcontact asks
	sends      int                         // webwxsendmsg requests, failed or not
}

func newFakeWeChat(t *testing.T) *fakeWeChat {
	t.Helper()
	f := &fakeWeChat{
		t:        t,
		events:   make(chan syncEvent, 16),
		polling:  make(chan struct{}, 64),
		pollGone: make(chan struct{}, 64),
		sent:     make(chan sentText, 16),
		stop:     make(chan struct{}),
		joined:   map[string][]map[string]any{},
		lookups:  map[string]int{},
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(func() {
		close(f.stop) // release any poll still waiting
		f.srv.Close()
	})
	return f
}

// transport routes every request the library makes to the fake and
// refuses any host that is not WeChat's.
func (f *fakeWeChat) transport() *rewriter {
	target, err := url.Parse(f.srv.URL)
	if err != nil {
		f.t.Fatalf("parse fake url: %v", err)
	}
	return &rewriter{target: target, base: f.srv.Client().Transport}
}

func (f *fakeWeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	f.paths = append(f.paths, r.Host+r.URL.Path)
	f.mu.Unlock()

	switch r.URL.Path {
	case "/jslogin":
		fmt.Fprintf(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "%s";`, fakeUUID)
	case "/cgi-bin/mmwebwx-bin/login":
		fmt.Fprintf(w, "window.code=200;\nwindow.redirect_uri=\"https://%s/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=T&uuid=%s&lang=zh_CN&scan=1\";",
			fakeDomain, url.QueryEscape(fakeUUID))
	case "/cgi-bin/mmwebwx-bin/webwxnewloginpage":
		f.mu.Lock()
		f.loginHdr = r.Header.Clone()
		f.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "wxsid", Value: fakeSid, Path: "/"})
		fmt.Fprintf(w, "<error><ret>0</ret><message></message><skey>%s</skey><wxsid>%s</wxsid><wxuin>%d</wxuin><pass_ticket>%s</pass_ticket><isgrayscale>1</isgrayscale></error>",
			fakeSkey, fakeSid, fakeUin, fakePass)
	case "/cgi-bin/mmwebwx-bin/webwxinit":
		f.webInit(w, r)
	case "/cgi-bin/mmwebwx-bin/webwxstatusnotify":
		writeJSON(w, map[string]any{"BaseResponse": ok0(), "MsgID": "1"})
	case "/cgi-bin/mmwebwx-bin/synccheck":
		f.syncCheck(w, r)
	case "/cgi-bin/mmwebwx-bin/webwxsync":
		f.mu.Lock()
		msgs := f.pending
		f.pending = nil
		f.mu.Unlock()
		if msgs == nil {
			msgs = []map[string]any{}
		}
		writeJSON(w, map[string]any{
			"BaseResponse": ok0(),
			"AddMsgCount":  len(msgs),
			"AddMsgList":   msgs,
			"SyncKey":      map[string]any{"Count": 1, "List": []map[string]any{{"Key": 1, "Val": 101}}},
		})
	case "/cgi-bin/mmwebwx-bin/webwxgetcontact":
		list := append([]map[string]any{
			{"UserName": fakeFriend, "NickName": "张老板"},
			{"UserName": fakeGroup, "NickName": fakeGroupName},
			{"UserName": otherGroup, "NickName": otherName},
			{"UserName": fakeMP, "NickName": "某公众号", "VerifyFlag": 24},
		}, f.friends...)
		writeJSON(w, map[string]any{
			"BaseResponse": ok0(),
			"MemberCount":  len(list),
			"Seq":          0,
			"MemberList":   list,
		})
	case "/cgi-bin/mmwebwx-bin/webwxbatchgetcontact":
		f.batchGetContact(w, r)
	case "/cgi-bin/mmwebwx-bin/webwxsendmsg":
		f.sendMsg(w, r)
	case "/cgi-bin/mmwebwx-bin/webwxverifyuser":
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			f.t.Errorf("fake webwxverifyuser: decode: %v", err)
		}
		f.mu.Lock()
		f.verified = append(f.verified, body)
		f.mu.Unlock()
		writeJSON(w, map[string]any{"BaseResponse": ok0()})
	default:
		f.t.Errorf("fake wechat: unexpected request %s %s%s", r.Method, r.Host, r.URL.Path)
		http.NotFound(w, r)
	}
}

func (f *fakeWeChat) webInit(w http.ResponseWriter, r *http.Request) {
	var body struct{ BaseRequest openwechat.BaseRequest }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.t.Errorf("fake webwxinit: decode: %v", err)
	}
	if body.BaseRequest.Skey != fakeSkey || body.BaseRequest.Uin != fakeUin {
		f.t.Errorf("fake webwxinit: got BaseRequest %+v, want skey %s uin %d", body.BaseRequest, fakeSkey, fakeUin)
	}
	f.mu.Lock()
	f.inits++
	n := f.inits
	if c, err := r.Cookie("wxsid"); err == nil {
		f.initCookie = c.Value
	}
	f.initUA = r.UserAgent()
	f.mu.Unlock()
	if f.initRet != nil {
		if ret := f.initRet(n); ret != 0 {
			writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": ret, "ErrMsg": ""}})
			return
		}
	}
	writeJSON(w, map[string]any{
		"BaseResponse": ok0(),
		"User":         map[string]any{"UserName": fakeSelf, "NickName": fakeSelfNick},
		"SyncKey":      map[string]any{"Count": 1, "List": []map[string]any{{"Key": 1, "Val": 100}}},
		"ContactList":  []map[string]any{},
		"SKey":         fakeSkey,
	})
}

// syncCheck long-polls like the real server: it answers when the test
// queues an event, and otherwise waits.
func (f *fakeWeChat) syncCheck(w http.ResponseWriter, r *http.Request) {
	if r.Host != "webpush."+fakeDomain {
		f.t.Errorf("fake synccheck: got host %q, want webpush.%s", r.Host, fakeDomain)
	}
	f.polling <- struct{}{}
	select {
	case ev := <-f.events:
		if ev.retcode != "" && ev.retcode != "0" {
			fmt.Fprintf(w, `window.synccheck={retcode:"%s",selector:"0"}`, ev.retcode)
			return
		}
		f.mu.Lock()
		f.pending = append(f.pending, ev.msgs...)
		f.mu.Unlock()
		fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"2"}`)
	case <-r.Context().Done():
		f.pollGone <- struct{}{}
	case <-f.stop:
		fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"0"}`)
	}
}

// batchGetContact returns a group with its members, as the real server
// does for an "@@" name; the library needs them to spot mentions.
func (f *fakeWeChat) batchGetContact(w http.ResponseWriter, r *http.Request) {
	var body struct{ List []struct{ UserName string } }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.t.Errorf("fake webwxbatchgetcontact: decode: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var list []map[string]any
	for _, u := range body.List {
		f.lookups[u.UserName]++
		switch u.UserName {
		case fakeGroup, otherGroup:
			name := fakeGroupName
			if u.UserName == otherGroup {
				name = otherName
			}
			members := append([]map[string]any{
				{"UserName": fakeSelf, "NickName": fakeSelfNick},
				{"UserName": fakeMember, "NickName": "李四", "DisplayName": "李会计"},
			}, f.joined[u.UserName]...)
			list = append(list, map[string]any{
				"UserName": u.UserName, "NickName": name, "MemberCount": len(members),
				"MemberList": members,
			})
		default:
			list = append(list, map[string]any{"UserName": u.UserName, "NickName": "新朋友"})
		}
	}
	writeJSON(w, map[string]any{"BaseResponse": ok0(), "Count": len(list), "ContactList": list})
}

// join adds a member to a group, as when someone joins after the bot has
// fetched the group's members.
func (f *fakeWeChat) join(group, member, nick, display string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.joined[group] = append(f.joined[group], map[string]any{"UserName": member, "NickName": nick, "DisplayName": display})
}

// lookupsOf says how many times webwxbatchgetcontact was asked for name.
func (f *fakeWeChat) lookupsOf(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups[name]
}

func (f *fakeWeChat) sendMsg(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BaseRequest openwechat.BaseRequest
		Msg         struct {
			Type                              int
			Content, FromUserName, ToUserName string
			LocalID, ClientMsgId              string
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.t.Errorf("fake webwxsendmsg: decode: %v", err)
	}
	if got := r.URL.Query().Get("pass_ticket"); got != fakePass {
		f.t.Errorf("fake webwxsendmsg: got pass_ticket %q, want %q", got, fakePass)
	}
	s := sentText{
		to: body.Msg.ToUserName, from: body.Msg.FromUserName, content: body.Msg.Content,
		typ: body.Msg.Type, req: body.BaseRequest, userAgent: r.UserAgent(),
	}
	if c, err := r.Cookie("wxsid"); err == nil {
		s.cookie = c.Value
	}
	f.mu.Lock()
	f.sends++
	n := f.sends
	f.mu.Unlock()
	if f.sendRet != nil {
		if ret := f.sendRet(n); ret != 0 {
			writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": ret, "ErrMsg": ""}, "MsgID": "", "LocalID": body.Msg.LocalID})
			return
		}
	}
	writeJSON(w, map[string]any{"BaseResponse": ok0(), "MsgID": "9001", "LocalID": body.Msg.LocalID})
	f.sent <- s
}

// sendCount says how many webwxsendmsg requests the fake has had.
func (f *fakeWeChat) sendCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sends
}

func (f *fakeWeChat) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *fakeWeChat) sawPath(path string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.paths {
		if strings.HasSuffix(p, path) {
			return true
		}
	}
	return false
}

func ok0() map[string]any { return map[string]any{"Ret": 0, "ErrMsg": ""} }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// rewriter sends every request to the fake server, keeping path and query
// and passing the original host in the Host header. It refuses hosts that
// are not WeChat's, and counts what it saw.
type rewriter struct {
	target *url.URL
	base   http.RoundTripper

	mu      sync.Mutex
	seen    int
	foreign []string
}

func (rw *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Host
	rw.mu.Lock()
	rw.seen++
	known := isWeChatHost(host)
	if !known {
		rw.foreign = append(rw.foreign, req.URL.String())
	}
	rw.mu.Unlock()
	if !known {
		return nil, fmt.Errorf("test transport: refusing %s", req.URL)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme = rw.target.Scheme
	out.URL.Host = rw.target.Host
	out.Host = host
	return rw.base.RoundTrip(out)
}

func (rw *rewriter) stats() (seen int, foreign []string) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	return rw.seen, append([]string(nil), rw.foreign...)
}

func isWeChatHost(h string) bool {
	switch h {
	case "login.wx.qq.com", fakeDomain, "webpush." + fakeDomain, "file." + fakeDomain:
		return true
	}
	return false
}

// writeHotStorage writes a hot-login file for the fake's session, as a
// previous run of the library would have.
func writeHotStorage(t *testing.T, path string) {
	t.Helper()
	jar := openwechat.NewJar()
	jar.SetCookies(&url.URL{Scheme: "https", Host: fakeDomain, Path: "/"},
		[]*http.Cookie{{Name: "wxsid", Value: fakeSid}})
	item := openwechat.HotReloadStorageItem{
		Jar:          jar,
		BaseRequest:  &openwechat.BaseRequest{Uin: fakeUin, Sid: fakeSid, Skey: fakeSkey, DeviceID: "e123456789012345"},
		LoginInfo:    &openwechat.LoginInfo{WxUin: fakeUin, SKey: fakeSkey, WxSid: fakeSid, PassTicket: fakePass},
		WechatDomain: fakeDomain,
		SyncKey:      &openwechat.SyncKey{Count: 1, List: []struct{ Key, Val int64 }{{Key: 1, Val: 99}}},
		UUID:         "hot-uuid",
	}
	b, err := json.Marshal(item)
	if err != nil {
		t.Fatalf("marshal hot storage: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatalf("create storage dir: %v", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("write hot storage: %v", err)
	}
}

// Messages as webwxsync delivers them.

func textFrom(id, from, content string, createTime int64) map[string]any {
	return map[string]any{
		"MsgId": id, "NewMsgId": 0, "MsgType": int(openwechat.MsgTypeText),
		"FromUserName": from, "ToUserName": fakeSelf, "Content": content, "CreateTime": createTime,
	}
}

func groupText(id, group, member, content string, createTime int64) map[string]any {
	return textFrom(id, group, member+":<br/>"+content, createTime)
}

// selfText is a message the bot's account sent from the phone.
func selfText(id, to, content string, createTime int64) map[string]any {
	m := textFrom(id, fakeSelf, content, createTime)
	m["ToUserName"] = to
	return m
}

func mpArticle(id string) map[string]any {
	return map[string]any{
		"MsgId": id, "MsgType": int(openwechat.MsgTypeApp), "AppMsgType": int(openwechat.AppMsgTypeUrl),
		"FromUserName": fakeMP, "ToUserName": fakeSelf, "Content": "&lt;msg&gt;&lt;/msg&gt;", "CreateTime": 1795000000,
	}
}

func systemNote(id, from string) map[string]any {
	return map[string]any{
		"MsgId": id, "MsgType": int(openwechat.MsgTypeSys),
		"FromUserName": from, "ToUserName": fakeSelf, "Content": "你已添加了张老板，现在可以开始聊天了。", "CreateTime": 1795000000,
	}
}

func friendRequest(id string) map[string]any {
	return map[string]any{
		"MsgId": id, "MsgType": int(openwechat.MsgTypeVerify),
		"FromUserName": "fmessage", "ToUserName": fakeSelf, "Content": "", "CreateTime": 1795000000,
		"RecommendInfo": map[string]any{"UserName": fakeNewFriend, "NickName": "王老板", "Ticket": "v4_ticket", "Content": "我是王老板"},
	}
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// await returns the next value from ch, failing the test if none comes:
// the guard turns a hang into a message, it does not time anything.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("gave up waiting for %s", what)
		panic("unreachable")
	}
}
