package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/bot/wxreply/wxfake"
	"github.com/policybot/policybot/postgres"
	"github.com/policybot/policybot/postgres/pgtest"
	"github.com/policybot/policybot/retrieval"
)

// The Official Account both replicas serve.
const (
	replicaAppID = "wx00000000000000aa"
	replicaToken = "replica-test-token"
)

// replica is one `policybot serve --channel mp` running in-process with
// a data folder of its own.
type replica struct {
	name   string
	base   string // http://host:port
	stderr *listenWatcher
	done   chan error
	client *http.Client
}

// startReplica starts serve with the config at cfg; getenv gives it its
// environment. It is stopped when the test ends.
func startReplica(t *testing.T, name, cfg string, getenv func(string) string) *replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{name: name, stderr: &listenWatcher{addr: make(chan string, 1)}, done: make(chan error, 1),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}}
	dataDir := indexedCopy(t)
	go func() {
		r.done <- run(ctx, []string{"--config", cfg, "--data-dir", dataDir, "serve", "--listen", "127.0.0.1:0", "--channel", "mp"},
			strings.NewReader(""), io.Discard, r.stderr, getenv)
	}()
	select {
	case addr := <-r.stderr.addr:
		r.base = "http://" + addr
	case err := <-r.done:
		cancel()
		t.Fatalf("replica %s returned %v before listening; stderr:\n%s", name, err, r.stderr.String())
	case <-time.After(90 * time.Second):
		cancel()
		t.Fatalf("replica %s did not listen within 90 s; stderr:\n%s", name, r.stderr.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("replica %s: %v; stderr:\n%s", name, err, r.stderr.String())
			}
		case <-time.After(60 * time.Second):
			t.Errorf("replica %s did not stop within 60 s", name)
		}
	})
	return r
}

// api posts body as JSON to the console's path and decodes the reply,
// which must have status 200.
func (r *replica) api(t *testing.T, path string, body any) map[string]any {
	t.Helper()
	return r.post(t, path, body, http.StatusOK)
}

// post is api for a reply of the given status.
func (r *replica) post(t *testing.T, path string, body any, status int) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, r.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", r.base)
	return call(t, r.client, req, status)
}

// health is /healthz's body.
func (r *replica) health(t *testing.T) (status string, parts map[string]string) {
	t.Helper()
	resp, err := r.client.Get(r.base + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz on %s: %v", r.name, err)
	}
	defer resp.Body.Close()
	var h struct {
		Status string            `json:"status"`
		Parts  map[string]string `json:"parts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h.Status, h.Parts
}

// officialAccount is the WeChat platform posting the account's callbacks.
func officialAccount() *wxfake.Platform {
	return &wxfake.Platform{Kind: wxfake.OfficialAccount, Mode: wxfake.Plain, Token: replicaToken, ReceiverID: replicaAppID, Timeout: 10 * time.Second}
}

// replicaConfig is the config both replicas read: the shared database
// from the environment, as ${POLICYBOT_PG_DSN}.
func replicaConfig(t *testing.T, extra string) string {
	// The test polls the console faster than staff would.
	return replicaConfigRate(t, 6000, extra)
}

// replicaConfigRate is replicaConfig allowing a console client rate
// requests a minute.
func replicaConfigRate(t *testing.T, rate int, extra string) string {
	return configFile(t, "store: postgres\npostgres:\n  dsn: \"${POLICYBOT_PG_DSN}\"\n  op_timeout: 2s\n  connect_timeout: 1s\n"+
		"mp:\n  app_id: "+replicaAppID+"\n  token: "+replicaToken+"\n  passive_wait: 1s\n"+
		"web:\n  rate_per_minute: "+strconv.Itoa(rate)+"\n"+extra)
}

// TestReplicasShareState runs two serve replicas on one PostgreSQL
// database and checks that they behave as one bot: a follow-up reaching
// the other replica is read with the chat's history, a question taught on
// one is used by the other, review shows both records, and a message
// retried to the other replica is answered once.
func TestReplicasShareState(t *testing.T) {
	dsn := pgtest.Database(t)
	getenv := func(k string) string {
		if k == "POLICYBOT_PG_DSN" {
			return dsn
		}
		return ""
	}
	cfg := replicaConfig(t, "")
	// One after the other: serve sets the WeChat library's package-level
	// HTTP client as it starts.
	a := startReplica(t, "A", cfg, getenv)
	b := startReplica(t, "B", cfg, getenv)
	wx := officialAccount()
	ctx := t.Context()
	db, err := postgres.Open(ctx, postgres.Options{DSN: dsn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	record := db.Record(0)
	entriesOf := func(question string) []journal.Entry {
		t.Helper()
		es, err := record.Entries(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var out []journal.Entry
		for _, e := range es {
			if e.Question == question {
				out = append(out, e)
			}
		}
		return out
	}
	mp := func(r *replica, openid string, msgID int64, text string) wxfake.Result {
		t.Helper()
		res := wx.Post(ctx, r.base+"/wechat/mp", wxfake.OAText(replicaAppID, openid, msgID, text))
		if res.Err != nil || res.Status != http.StatusOK {
			t.Fatalf("callback %d to %s: status %d, err %v, body %q; log:\n%s", msgID, r.name, res.Status, res.Err, res.Body, r.stderr.String())
		}
		return res
	}

	for name, r := range map[string]*replica{"A": a, "B": b} {
		if status, parts := r.health(t); status != "ok" || parts["postgres"] != "ok" {
			t.Errorf("replica %s /healthz: %s %v, want ok with postgres ok", name, status, parts)
		}
	}

	t.Run("a follow-up on B is read with the question asked on A", func(t *testing.T) {
		const (
			first    = "做自行车的，评上省级数字化车间能奖多少钱？"
			followUp = "那申请条件呢？"
			firstDoc = "冀制强省办〔2018〕2号"
		)
		if res := mp(a, "openid-history", 2001, first); !strings.Contains(res.Reply, firstDoc) {
			t.Fatalf("A's answer to the first question lacks %s:\n%s", firstDoc, res.Reply)
		}
		res := mp(b, "openid-history", 2002, followUp)
		if !strings.Contains(res.Reply, firstDoc) {
			t.Errorf("B's answer to the follow-up does not follow A's question (no %s):\n%s", firstDoc, res.Reply)
		}
		// The same follow-up from a chat without history does not cite it.
		if res := mp(b, "openid-fresh", 2003, followUp); strings.Contains(res.Reply, firstDoc) {
			t.Errorf("the follow-up alone cites %s, so the check above proves nothing:\n%s", firstDoc, res.Reply)
		}
		es := entriesOf(followUp)
		var withHistory int
		for _, e := range es {
			if e.Chat == journal.ChatHash("openid-history") {
				withHistory++
				if !slices.Equal(e.History, []string{first}) {
					t.Errorf("B recorded the follow-up with history %q, want [%s]", e.History, first)
				}
			}
		}
		if withHistory != 1 {
			t.Errorf("%d records of the follow-up in the chat, want 1", withHistory)
		}
	})

	t.Run("taught on A is used by B", func(t *testing.T) {
		const (
			taught  = "首台套保险补偿，保费补贴多少"
			similar = "首台套保险补偿的保费补贴是多少"
		)
		before := b.api(t, "/api/retrieve", map[string]any{"question": similar})
		if before["reason"] == retrieval.ReasonTaughtOutOfScope {
			t.Fatalf("B finds %q taught before anything was taught", similar)
		}
		draft := a.api(t, "/api/ask", map[string]any{"question": taught})
		id, _ := draft["id"].(string)
		if id == "" {
			t.Fatalf("A's draft has no record id: %v", draft)
		}
		a.api(t, "/api/teach", map[string]any{"id": id, "none": true})
		start := time.Now()
		for {
			got := b.api(t, "/api/retrieve", map[string]any{"question": similar})
			if got["reason"] == retrieval.ReasonTaughtOutOfScope && got["found"] == false {
				t.Logf("B used what A was taught %s after the teach", time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Since(start) > 3*time.Second {
				t.Fatalf("B does not use what A was taught after 3 s: %v", got)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("a draft asked on A is marked and taught on B", func(t *testing.T) {
		const question = "数字化车间的奖励标准是什么"
		draft := a.api(t, "/api/ask", map[string]any{"question": " " + question + " "})
		id, _ := draft["id"].(string)
		cited, _ := draft["citations"].([]any)
		if id == "" || len(cited) == 0 {
			t.Fatalf("A's draft has no record id or no citation: %v", draft)
		}
		chunk, _ := cited[0].(map[string]any)["chunk_id"].(string)
		b.api(t, "/api/feedback", map[string]any{"id": id, "good": false, "comment": "应先引用第一条", "staff": "王芳"})
		got := b.api(t, "/api/teach", map[string]any{"id": id, "chunk_id": chunk})
		if it, _ := got["taught"].(map[string]any); it["question"] != question || it["chunk_id"] != chunk || it["answer_id"] != id {
			t.Errorf("B taught %v, want %q as an alias of %s from %s", got["taught"], question, chunk, id)
		}
		marks, err := record.Marks(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var on []journal.Mark
		for _, m := range marks {
			if m.Ref == id {
				on = append(on, m)
			}
		}
		if len(on) != 1 || on[0].Good || on[0].Comment != "[王芳] 应先引用第一条" {
			t.Errorf("marks on %s: %+v, want B's one, signed", id, on)
		}
		// A WeChat answer in the same record is not the console's to mark.
		mp(a, "openid-not-a-draft", 2101, question)
		var wechatID string
		for _, e := range entriesOf(question) {
			if e.Channel != channelWeb {
				wechatID = e.ID
			}
		}
		if wechatID == "" {
			t.Fatalf("no WeChat record of %q", question)
		}
		b.post(t, "/api/feedback", map[string]any{"id": wechatID, "good": true}, http.StatusNotFound)
		b.post(t, "/api/teach", map[string]any{"id": wechatID, "none": true}, http.StatusNotFound)
	})

	t.Run("a message retried to B after A answered it is answered once", func(t *testing.T) {
		const q = "研发费用加计扣除比例是多少"
		first := mp(a, "openid-retry", 3001, q)
		if !strings.Contains(first.Reply, "来源") {
			t.Fatalf("A's answer lacks 来源:\n%s", first.Reply)
		}
		retried := mp(b, "openid-retry", 3001, q)
		if retried.Reply != "" {
			t.Errorf("B answered the retried message again:\n%s", retried.Reply)
		}
		if n := len(entriesOf(q)); n != 1 {
			t.Errorf("%d records of the message, want 1", n)
		}
	})

	t.Run("a message reaching both replicas at once is answered once", func(t *testing.T) {
		const q = "小型微利企业所得税优惠还有效吗？"
		var (
			wg      sync.WaitGroup
			results [2]wxfake.Result
		)
		for i, r := range []*replica{a, b} {
			wg.Go(func() { results[i] = mp(r, "openid-both", 4001, q) })
		}
		wg.Wait()
		answered := 0
		for _, res := range results {
			if res.Reply != "" {
				answered++
			}
		}
		if answered != 1 {
			t.Errorf("%d replicas answered the one message, want 1: A %q, B %q", answered, results[0].Reply, results[1].Reply)
		}
		if n := len(entriesOf(q)); n != 1 {
			t.Errorf("%d records of the message, want 1", n)
		}
	})

	t.Run("review shows both replicas' records", func(t *testing.T) {
		c := cli{dataDir: t.TempDir(), env: map[string]string{"POLICYBOT_PG_DSN": dsn}}
		out, _ := c.mustRun(t, "", "--config", cfg, "review", "--since", "1h")
		for _, want := range []string{"做自行车的，评上省级数字化车间能奖多少钱？", "那申请条件呢？", "首台套保险补偿，保费补贴多少", "研发费用加计扣除比例是多少"} {
			if !strings.Contains(out, "问："+want) {
				t.Errorf("review lacks %q:\n%s", want, out)
			}
		}
		es, err := record.Entries(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("review lists the %d answers of both replicas", len(es))
	})

	t.Run("the console's rate limit is one budget across replicas", func(t *testing.T) {
		// Two more replicas, on a database of their own that A and B's
		// polling has not counted into, allowing one request a minute: on
		// its own, each would let a client's first request through.
		dsn := pgtest.Database(t)
		getenv := func(k string) string {
			if k == "POLICYBOT_PG_DSN" {
				return dsn
			}
			return ""
		}
		cfg := replicaConfigRate(t, 1, "")
		c := startReplica(t, "C", cfg, getenv)
		d := startReplica(t, "D", cfg, getenv)
		// The counts are kept per minute: keep the three requests in one.
		if left := time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)); left < 5*time.Second {
			time.Sleep(left + 100*time.Millisecond)
		}
		q := map[string]any{"question": "研发费用加计扣除比例"}
		c.api(t, "/api/retrieve", q)
		for _, r := range []*replica{d, c} {
			if got := r.post(t, "/api/retrieve", q, http.StatusTooManyRequests); got["error"] == "" {
				t.Errorf("%s's 429 says nothing: %v", r.name, got)
			}
		}
		if logs := c.stderr.String() + d.stderr.String(); strings.Contains(logs, "not counted across replicas") {
			t.Errorf("a replica fell back to its own limit:\n%s", logs)
		}
	})

	for _, r := range []*replica{a, b} {
		if dsnPassword(t, dsn) != "" && strings.Contains(r.stderr.String(), dsnPassword(t, dsn)) {
			t.Errorf("replica %s logged the database password", r.name)
		}
	}
}

// dsnPassword is the password dsn holds, if any.
func dsnPassword(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", pgtest.EnvDSN, err)
	}
	return cfg.Password
}

// pgProxy forwards TCP connections on loopback to the test's PostgreSQL
// server, and can cut them all, as a database going down would.
type pgProxy struct {
	t      *testing.T
	target func() (net.Conn, error)

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

// newPGProxy starts a proxy to the server dsn names and returns the DSN
// that reaches the same database through it; a password is added when
// dsn has none, to show it is never logged (a trusting server ignores it).
func newPGProxy(t *testing.T, dsn string) (*pgProxy, string) {
	t.Helper()
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port := cfg.Host, cfg.Port
	p := &pgProxy{t: t, target: func() (net.Conn, error) {
		if strings.HasPrefix(host, "/") {
			return net.Dial("unix", fmt.Sprintf("%s/.s.PGSQL.%d", host, port))
		}
		return net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(int(port))))
	}}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.cut)
	pw := cfg.Password
	if pw == "" {
		pw = "pw-never-logged"
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(cfg.User, pw), Host: p.addr(), Path: "/" + cfg.Database, RawQuery: "sslmode=disable"}
	return p, u.String()
}

func (p *pgProxy) addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ln.Addr().String()
}

// listen accepts on addr and forwards each connection.
func (p *pgProxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := p.target()
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

// cut stops accepting and closes every connection.
func (p *pgProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestReplicaWithoutPostgres: when the database goes away under a
// running serve, answers still go out (without history, and without a
// record, which is logged), /healthz says degraded and names postgres,
// and once the database is back everything is ok again. The DSN's
// password is never logged.
func TestReplicaWithoutPostgres(t *testing.T) {
	proxy, dsn := newPGProxy(t, pgtest.Database(t))
	getenv := func(k string) string {
		if k == "POLICYBOT_PG_DSN" {
			return dsn
		}
		return ""
	}
	r := startReplica(t, "A", replicaConfig(t, "log:\n  level: debug\n"), getenv)
	wx := officialAccount()
	ask := func(msgID int64, q string) time.Duration {
		t.Helper()
		start := time.Now()
		res := wx.Post(t.Context(), r.base+"/wechat/mp", wxfake.OAText(replicaAppID, "openid-down", msgID, q))
		if res.Err != nil || !strings.Contains(res.Reply, "来源") {
			t.Fatalf("callback %d: err %v, reply %q; log:\n%s", msgID, res.Err, res.Reply, r.stderr.String())
		}
		return time.Since(start)
	}
	ask(5001, "研发费用加计扣除比例是多少")
	if status, parts := r.health(t); status != "ok" {
		t.Fatalf("/healthz before the cut: %s %v", status, parts)
	}

	proxy.cut()
	took := ask(5002, "小型微利企业所得税优惠还有效吗？")
	t.Logf("answered in %s with the database down", took.Round(time.Millisecond))
	status, parts := r.health(t)
	if status != "degraded" || parts["postgres"] == "ok" || parts["postgres"] == "" {
		t.Errorf("/healthz with the database down: %s %v, want degraded naming postgres", status, parts)
	}
	if parts["journal"] == "ok" {
		t.Errorf("/healthz says the record is ok after a write failed: %v", parts)
	}
	logs := r.stderr.String()
	for _, want := range []string{"chat history unavailable", "the Q&A record could not be written"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %q", want)
		}
	}

	// Back: a ping says so at once (without one the database is tried
	// again a few seconds after it failed), and the next record is written.
	proxy.listen(proxy.addr())
	if _, parts := r.health(t); parts["postgres"] != "ok" {
		t.Errorf("/healthz after the database came back: %v, want postgres ok", parts)
	}
	ask(5003, "高新技术企业认定有什么条件？")
	if status, parts := r.health(t); status != "ok" {
		t.Errorf("/healthz after the database came back and a record was written: %s %v", status, parts)
	}
	if pw := dsnPassword(t, dsn); strings.Contains(r.stderr.String(), pw) {
		t.Errorf("the log shows the database password")
	}
}
