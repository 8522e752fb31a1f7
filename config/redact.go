package config

import (
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// redactedMark replaces a secret. An unset secret stays empty, so a
// printed config still shows whether the key was given.
const redactedMark = "REDACTED"

// Redacted returns a copy of c that is safe to log or print: the API keys,
// the web token and the WeChat channels' secrets, tokens and AES keys are
// replaced, and so is any user:password in a base URL.
func (c Config) Redacted() Config {
	c.LLM.APIKey = redact(c.LLM.APIKey)
	c.LLM.BaseURL = redactURL(c.LLM.BaseURL)
	c.Embedding.APIKey = redact(c.Embedding.APIKey)
	c.Embedding.BaseURL = redactURL(c.Embedding.BaseURL)
	c.Rerank.APIKey = redact(c.Rerank.APIKey)
	c.Rerank.BaseURL = redactURL(c.Rerank.BaseURL)
	c.Weaviate.APIKey = redact(c.Weaviate.APIKey)
	c.Web.Token = redact(c.Web.Token)
	c.MP.AppSecret = redact(c.MP.AppSecret)
	c.MP.Token = redact(c.MP.Token)
	c.MP.EncodingAESKey = redact(c.MP.EncodingAESKey)
	c.WeCom.Secret = redact(c.WeCom.Secret)
	c.WeCom.Token = redact(c.WeCom.Token)
	c.WeCom.EncodingAESKey = redact(c.WeCom.EncodingAESKey)
	c.KF.Secret = redact(c.KF.Secret)
	c.KF.Token = redact(c.KF.Token)
	c.KF.EncodingAESKey = redact(c.KF.EncodingAESKey)
	c.Postgres.DSN = redactDSN(c.Postgres.DSN)
	return c
}

// String is the redacted configuration as YAML, in the file's own shape,
// so that printing a Config can never leak a secret.
func (c Config) String() string {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2) // as in config.example.yaml
	if err := enc.Encode(c.Redacted()); err != nil {
		return "config: encode yaml: " + err.Error()
	}
	if err := enc.Close(); err != nil {
		return "config: encode yaml: " + err.Error()
	}
	return b.String()
}

// LogValue makes slog log the redacted configuration as nested groups
// (llm.model=…), whichever handler is used; without it the JSON handler
// would marshal the fields, keys included.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(attrs(reflect.ValueOf(c.Redacted()))...)
}

func attrs(v reflect.Value) []slog.Attr {
	t := v.Type()
	var out []slog.Attr
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			out = append(out, slog.Attr{Key: name, Value: slog.GroupValue(attrs(f)...)})
			continue
		}
		out = append(out, slog.Any(name, f.Interface()))
	}
	return out
}

func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return redactedMark
}

// redactURL hides the user information of a user:password@host URL, as
// some self-hosted gateways are configured; either part may be the secret.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return redactedMark
		}
		return raw
	}
	if u.User == nil {
		return raw
	}
	u.User = url.User(redactedMark)
	return u.String()
}

// dsnPassword is a password in a key=value connection string, quoted or
// not.
var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// redactDSN hides the password of a PostgreSQL connection string, in
// either form (a postgres:// URL, where it may also be a query parameter,
// or key=value pairs), and keeps the rest: host, user and database help
// whoever reads a log.
func redactDSN(dsn string) string {
	if !strings.Contains(dsn, "://") {
		return dsnPassword.ReplaceAllString(dsn, "${1}"+redactedMark)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return redactedMark
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), redactedMark)
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", redactedMark)
		u.RawQuery = q.Encode()
	}
	return u.String()
}
