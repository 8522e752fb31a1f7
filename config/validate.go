package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Validate reports the first setting that cannot work, as one error naming
// it by its YAML path, e.g. `config: llm.timeout: must be positive, got
// "-1s"`. It checks what every subcommand needs; ValidateServe adds what
// only the web server needs.
//
// Validate does no I/O: whether folders and files exist is found out, with
// a better message, by whoever opens them.
func (c Config) Validate() error {
	for _, check := range []func() error{
		c.validateTop,
		c.Log.validate,
		c.Corpus.validate,
		c.LLM.validate,
		c.Embedding.validate,
		c.Retrieval.validate,
		c.validateWeaviate,
		c.validateRerank,
		c.Bot.validate,
		c.validateBudget,
		c.WeChat.validate,
		c.Web.validate,
		c.MP.validate,
		c.WeCom.validate,
		c.KF.validate,
		c.validatePaths,
		c.validateStore,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// ValidateServe is Validate plus the rules for serving HTTP: a web console
// reachable from other machines must require a token. It is separate
// because only the commands that listen need it; a missing POLICYBOT_TOKEN
// must not stop the WeChat bot or a one-off retrieval.
func (c Config) ValidateServe() error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Web.NeedsToken() && c.Web.Token == "" {
		return fieldErr("web.token", "must be set (or POLICYBOT_TOKEN) when web.listen %q is not a loopback address", c.Web.Listen)
	}
	if n := utf8.RuneCountInString(c.Web.Token); c.Web.NeedsToken() && n < MinTokenChars {
		// The token is not quoted back: it is a secret.
		return fieldErr("web.token", "must be at least %d characters when web.listen %q is not a loopback address, got %d",
			MinTokenChars, c.Web.Listen, n)
	}
	return nil
}

// NeedsToken reports whether Listen can be reached from other machines.
// Only localhost and loopback IPs are safe without a token; an empty host
// (":8080") listens everywhere, and any other name may resolve anywhere.
func (w Web) NeedsToken() bool {
	host, _, err := net.SplitHostPort(w.Listen)
	if err != nil {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return false
	}
	addr, err := netip.ParseAddr(host)
	return err != nil || !addr.IsLoopback()
}

func (c Config) validateTop() error {
	if strings.TrimSpace(c.DataDir) == "" {
		return fieldErr("data_dir", "must not be empty")
	}
	return nil
}

func (l Log) validate() error {
	if err := oneOf("log.level", l.Level, "debug", "info", "warn", "error"); err != nil {
		return err
	}
	return oneOf("log.format", l.Format, "text", "json")
}

func (c Corpus) validate() error {
	if !c.Builtin && len(c.Dirs) == 0 {
		return fieldErr("corpus.dirs", "must list at least one folder when corpus.builtin is false")
	}
	if err := intRange("corpus.max_file_mb", c.MaxFileMB, 1, 100); err != nil {
		return err
	}
	if c.ReadTimeout <= 0 {
		return fieldErr("corpus.read_timeout", "must be positive, got %q", c.ReadTimeout)
	}
	if c.Watch < 0 {
		return fieldErr("corpus.watch", "must not be negative, got %q", c.Watch)
	}
	return nonEmpty("corpus.dirs", c.Dirs)
}

func (l LLM) validate() error {
	if l.BaseURL != "" {
		if err := httpURL("llm.base_url", l.BaseURL); err != nil {
			return err
		}
	}
	switch {
	case (l.BaseURL != "" || l.APIKey != "") && l.Model == "":
		return fieldErr("llm.model", "must be set when llm.base_url or llm.api_key is set (or POLICYBOT_LLM_MODEL)")
	case l.Model != "" && l.BaseURL == "" && l.APIKey == "":
		return fieldErr("llm.base_url", "must be set, or llm.api_key for OpenAI, when llm.model is set")
	}
	return firstErr(
		positive("llm.timeout", l.Timeout),
		intRange("llm.max_retries", l.MaxRetries, 0, 10),
		positive("llm.budget", l.Budget),
		floatRange("llm.temperature", l.Temperature, 0, 2),
		intRange("llm.max_tokens", l.MaxTokens, 1, 131072),
		intRange("llm.answer_chars", l.AnswerChars, 100, 10000),
		intRange("llm.policy_queries", l.PolicyQueries, 0, 3),
	)
}

func (e Embedding) validate() error {
	if err := oneOf("embedding.provider", e.Provider, "builtin", "openai", "ollama"); err != nil {
		return err
	}
	if e.BaseURL != "" {
		if err := httpURL("embedding.base_url", e.BaseURL); err != nil {
			return err
		}
	}
	if e.Provider == "openai" && e.BaseURL == "" {
		return fieldErr("embedding.base_url", "must be set, or llm.base_url to share it, when embedding.provider is openai")
	}
	if e.Provider != "builtin" && e.Model == "" {
		return fieldErr("embedding.model", "must be set when embedding.provider is %s", e.Provider)
	}
	return firstErr(
		intRange("embedding.dimensions", e.Dimensions, 0, 65536),
		intRange("embedding.batch_size", e.BatchSize, 1, 2048),
		positive("embedding.timeout", e.Timeout),
		intRange("embedding.max_retries", e.MaxRetries, 0, 10),
	)
}

// validateRerank checks the reranker, when one is configured: it must
// score at least the clauses a search shows, since the candidates it does
// not score are dropped.
func (c Config) validateRerank() error {
	r := c.Rerank
	if !r.Enabled() {
		return nil
	}
	if err := httpURL("rerank.base_url", r.BaseURL); err != nil {
		return err
	}
	if strings.TrimSpace(r.Model) == "" {
		return fieldErr("rerank.model", "must be set when rerank.base_url is set")
	}
	if err := firstErr(
		positive("rerank.timeout", r.Timeout),
		intRange("rerank.top_n", r.TopN, 1, 100),
		floatRange("rerank.min_score", r.MinScore, 0, 1),
	); err != nil {
		return err
	}
	if r.TopN < c.Retrieval.TopK {
		return fieldErr("rerank.top_n", "must be at least retrieval.top_k (%d), got %d", c.Retrieval.TopK, r.TopN)
	}
	return nil
}

func (r Retrieval) validate() error {
	return firstErr(
		intRange("retrieval.top_k", r.TopK, 1, 20),
		oneOf("retrieval.backend", r.Backend, "chromem", "weaviate"),
	)
}

// weaviateClass is what Weaviate accepts as a class name.
var weaviateClass = regexp.MustCompile(`^[A-Z][_0-9A-Za-z]*$`)

// validateWeaviate checks the cluster when retrieval.backend is weaviate.
func (c Config) validateWeaviate() error {
	if c.Retrieval.Backend != "weaviate" {
		return nil
	}
	w := c.Weaviate
	if len(w.Hosts) == 0 {
		return fieldErr("weaviate.hosts", "must list the nodes (host:port) when retrieval.backend is weaviate")
	}
	for i, h := range w.Hosts {
		if _, port, err := net.SplitHostPort(h); err != nil || port == "" {
			return fieldErr(fmt.Sprintf("weaviate.hosts[%d]", i), "must be host:port, got %q", h)
		}
	}
	if !weaviateClass.MatchString(w.Class) {
		return fieldErr("weaviate.class", "must be a capital letter, then letters, digits or _, got %q", w.Class)
	}
	if w.Alpha < 0 || w.Alpha > 1 {
		return fieldErr("weaviate.alpha", "must be 0..1, got %v", w.Alpha)
	}
	return firstErr(
		intRange("weaviate.replication", w.Replication, 1, 100),
		oneOf("weaviate.tokenization", w.Tokenization, "trigram", "gse", "gse_ch"),
		positive("weaviate.timeout", w.Timeout),
	)
}

func (b Bot) validate() error {
	if err := firstErr(
		intRange("bot.history_turns", b.HistoryTurns, 0, 50),
		positive("bot.idle_timeout", b.IdleTimeout),
		intRange("bot.max_input_chars", b.MaxInputChars, 10, 10000),
		positive("bot.answer_timeout", b.AnswerTimeout),
		durationRange("bot.pending_after", b.PendingAfter, 0, b.AnswerTimeout),
		intRange("bot.user_rate.per_minute", b.UserRate.PerMinute, 1, 600),
		intRange("bot.user_rate.burst", b.UserRate.Burst, 1, 100),
		intRange("bot.reply_max_chars", b.ReplyMaxChars, 100, 10000),
		intRange("bot.max_messages", b.MaxMessages, 0, 10),
		durationRange("bot.part_pause", b.PartPause, 0, time.Minute),
		durationRange("bot.send_interval", b.SendInterval, 0, time.Minute),
		intRange("bot.send_queue", b.SendQueue, 1, 10000),
		positive("bot.record.retention", b.Record.Retention),
	); err != nil {
		return err
	}
	if b.PendingAfter >= b.AnswerTimeout && b.PendingAfter != 0 {
		return fieldErr("bot.pending_after", "must be shorter than bot.answer_timeout (%s), got %q", b.AnswerTimeout, b.PendingAfter)
	}
	return nil
}

// BudgetMargin is how much longer than llm.budget bot.answer_timeout must
// be: the time to search, lay out and send the extract when the model
// steps have used the whole budget.
const BudgetMargin = 5 * time.Second

// validateBudget keeps the timeouts of an answer with a chat model in
// order: one request fits in the budget, and the budget, with room to fall
// back to the extract, in the conversation's deadline. Without a chat
// model the budget is not used and neither rule applies.
func (c Config) validateBudget() error {
	if !c.LLM.Enabled() {
		return nil
	}
	l, b := c.LLM, c.Bot
	if l.Timeout > l.Budget {
		return fieldErr("llm.timeout", "must not exceed llm.budget (%s), the time all model steps of one answer share; got %q", l.Budget, l.Timeout)
	}
	if b.AnswerTimeout < l.Budget+BudgetMargin {
		return fieldErr("bot.answer_timeout", "must exceed llm.budget (%s) by at least %s, so that the extract arrives before the deadline when the model is down; got %q", l.Budget, BudgetMargin, b.AnswerTimeout)
	}
	return nil
}

func (w WeChat) validate() error {
	return firstErr(
		oneOf("wechat.mode", w.Mode, "desktop", "normal"),
		oneOf("wechat.on_logout", w.OnLogout, "relogin", "exit"),
		durationRange("wechat.kick_window", w.KickWindow, time.Minute, 24*time.Hour),
		nonEmpty("wechat.groups", w.Groups),
	)
}

func (w Web) validate() error {
	host, port, err := net.SplitHostPort(w.Listen)
	if err != nil {
		return fieldErr("web.listen", "must be host:port, got %q", w.Listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fieldErr("web.listen", "port must be a number 0..65535, got %q", w.Listen)
	}
	if strings.ContainsAny(host, " /") {
		return fieldErr("web.listen", "must be host:port, got %q", w.Listen)
	}
	for i, p := range w.TrustedProxies {
		p = strings.TrimSpace(p)
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				return fieldErr(fmt.Sprintf("web.trusted_proxies[%d]", i), "must be an IP address or a CIDR prefix such as 10.0.0.0/8, got %q", p)
			}
		}
	}
	for i, h := range w.AllowedHosts {
		if h = strings.TrimSpace(h); h == "" || strings.ContainsAny(h, " /\\?#@*") {
			return fieldErr(fmt.Sprintf("web.allowed_hosts[%d]", i), "must be a host name or host:port, got %q", h)
		}
	}
	return firstErr(
		int64Range("web.max_body_bytes", w.MaxBodyBytes, 1<<10, 16<<20),
		intRange("web.rate_per_minute", w.RatePerMinute, 1, 10000),
		positive("web.timeout", w.Timeout),
	)
}

// Channels that ValidateChannel knows.
var channels = []string{"mp", "wecom", "kf"}

// ValidateChannel reports the first setting missing for serving the
// official WeChat channel name ("mp", "wecom" or "kf"); Validate has
// already checked the shape of what is set. It is separate because a
// channel's credentials are needed only where it is served.
func (c Config) ValidateChannel(name string) error {
	switch name {
	case "mp":
		m := c.MP
		return firstErr(
			required("mp.app_id", m.AppID),
			required("mp.token", m.Token),
			requiredIf(m.Verified, "mp.app_secret", m.AppSecret, "when mp.verified is true"),
		)
	case "wecom":
		w := c.WeCom
		return firstErr(
			required("wecom.corp_id", w.CorpID),
			required("wecom.agent_id", w.AgentID),
			required("wecom.secret", w.Secret),
			required("wecom.token", w.Token),
			required("wecom.encoding_aes_key", w.EncodingAESKey),
		)
	case "kf":
		k := c.KF
		return firstErr(
			required("kf.corp_id", k.CorpID),
			required("kf.secret", k.Secret),
			required("kf.token", k.Token),
			required("kf.encoding_aes_key", k.EncodingAESKey),
		)
	}
	return fmt.Errorf("config: unknown channel %q; want one of %s", name, strings.Join(channels, ", "))
}

func (m MP) validate() error {
	return firstErr(
		callbackPath("mp.path", m.Path),
		aesKey("mp.encoding_aes_key", m.EncodingAESKey),
		durationRange("mp.passive_wait", m.PassiveWait, 500*time.Millisecond, 4500*time.Millisecond),
	)
}

func (w WeCom) validate() error {
	if w.AgentID != "" {
		if _, err := strconv.ParseUint(w.AgentID, 10, 32); err != nil {
			return fieldErr("wecom.agent_id", "must be a number, got %q", w.AgentID)
		}
	}
	return firstErr(
		callbackPath("wecom.path", w.Path),
		aesKey("wecom.encoding_aes_key", w.EncodingAESKey),
		durationRange("wecom.passive_wait", w.PassiveWait, 500*time.Millisecond, 4500*time.Millisecond),
	)
}

func (k KF) validate() error {
	return firstErr(
		callbackPath("kf.path", k.Path),
		aesKey("kf.encoding_aes_key", k.EncodingAESKey),
		durationRange("kf.backlog", k.Backlog, time.Second, 48*time.Hour),
	)
}

// validatePaths keeps the channels' callback paths apart.
// validateStore checks where the shared state is kept. The DSN is never
// quoted back: it may hold a password.
func (c Config) validateStore() error {
	if err := oneOf("store", c.Store, "files", "postgres"); err != nil {
		return err
	}
	p := c.Postgres
	if c.Store == "postgres" {
		dsn := strings.TrimSpace(p.DSN)
		if dsn == "" {
			return fieldErr("postgres.dsn", "must be set when store is postgres (for example \"${POLICYBOT_PG_DSN}\")")
		}
		if u, err := url.Parse(dsn); strings.Contains(dsn, "://") && (err != nil || u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return fieldErr("postgres.dsn", "must be a postgres:// or postgresql:// URL, or key=value pairs")
		}
		if !strings.Contains(dsn, "://") && !strings.Contains(dsn, "=") {
			return fieldErr("postgres.dsn", "must be a postgres:// or postgresql:// URL, or key=value pairs")
		}
	}
	return firstErr(
		intRange("postgres.max_conns", p.MaxConns, 1, 1000),
		durationRange("postgres.op_timeout", p.OpTimeout, 10*time.Millisecond, time.Minute),
		durationRange("postgres.connect_timeout", p.ConnectTimeout, 100*time.Millisecond, 5*time.Minute),
	)
}

func (c Config) validatePaths() error {
	switch {
	case c.MP.Path == c.WeCom.Path:
		return fieldErr("wecom.path", "must differ from mp.path, both are %q", c.MP.Path)
	case c.KF.Path == c.MP.Path:
		return fieldErr("kf.path", "must differ from mp.path, both are %q", c.MP.Path)
	case c.KF.Path == c.WeCom.Path:
		return fieldErr("kf.path", "must differ from wecom.path, both are %q", c.KF.Path)
	}
	return nil
}

// callbackPath checks a channel's callback path: absolute, below the root,
// and clear of the staff console's /api/ and /assets/.
func callbackPath(path, p string) error {
	switch {
	case !strings.HasPrefix(p, "/") || p == "/" || strings.ContainsAny(p, " ?#{}"):
		return fieldErr(path, "must be a path such as /wechat/mp, got %q", p)
	case strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/assets/") || p == "/healthz":
		return fieldErr(path, "must not be one of the staff console's paths, got %q", p)
	}
	return nil
}

// aesKey checks an EncodingAESKey: empty, or 43 characters of base64.
func aesKey(path, k string) error {
	if k == "" {
		return nil
	}
	if _, err := base64.StdEncoding.DecodeString(k + "="); len(k) != 43 || err != nil {
		// The key is not quoted back: it is a secret.
		return fieldErr(path, "must be the 43-character key from the admin console, got %d characters", len(k))
	}
	return nil
}

func required(path, v string) error {
	if strings.TrimSpace(v) == "" {
		return fieldErr(path, "must be set")
	}
	return nil
}

func requiredIf(cond bool, path, v, why string) error {
	if cond && strings.TrimSpace(v) == "" {
		return fieldErr(path, "must be set %s", why)
	}
	return nil
}

// fieldErr is the one shape of every validation error.
func fieldErr(path, format string, args ...any) error {
	return fmt.Errorf("config: %s: %s", path, fmt.Sprintf(format, args...))
}

// firstErr returns the first non-nil error, so a section's checks read as a
// list while Validate still reports one problem at a time.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func oneOf(path, v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return fieldErr(path, "must be one of %s; got %q", strings.Join(allowed, ", "), v)
}

func intRange(path string, v, lo, hi int) error {
	return int64Range(path, int64(v), int64(lo), int64(hi))
}

func int64Range(path string, v, lo, hi int64) error {
	if v < lo || v > hi {
		return fieldErr(path, "must be between %d and %d, got %d", lo, hi, v)
	}
	return nil
}

func floatRange(path string, v, lo, hi float64) error {
	// Written so that NaN fails too.
	if !(v >= lo && v <= hi) {
		return fieldErr(path, "must be between %g and %g, got %g", lo, hi, v)
	}
	return nil
}

func positive(path string, d time.Duration) error {
	if d <= 0 {
		return fieldErr(path, "must be positive, got %q", d)
	}
	return nil
}

func durationRange(path string, d, lo, hi time.Duration) error {
	if d < lo || d > hi {
		return fieldErr(path, "must be between %s and %s, got %q", lo, hi, d)
	}
	return nil
}

func nonEmpty(path string, items []string) error {
	for i, s := range items {
		if strings.TrimSpace(s) == "" {
			return fieldErr(fmt.Sprintf("%s[%d]", path, i), "must not be empty")
		}
	}
	return nil
}

func httpURL(path, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is not quoted back: it may carry credentials.
		return fieldErr(path, "must be an http:// or https:// URL with a host")
	}
	return nil
}
