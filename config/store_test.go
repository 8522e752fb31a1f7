package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidateStore(t *testing.T) {
	const secret = "pg-s3cret"
	tests := []struct {
		name   string
		mutate func(*Config)
		field  string // "" for a config that validates
	}{
		{"files by default", func(*Config) {}, ""},
		{"postgres with a URL", func(c *Config) { c.Store, c.Postgres.DSN = "postgres", "postgres://bot:"+secret+"@db:5432/policybot" }, ""},
		{"postgres with key=value", func(c *Config) { c.Store, c.Postgres.DSN = "postgres", "host=db user=bot password="+secret }, ""},
		{"unknown store", func(c *Config) { c.Store = "redis" }, "store"},
		{"postgres without a dsn", func(c *Config) { c.Store = "postgres" }, "postgres.dsn"},
		{"a dsn of another database", func(c *Config) { c.Store, c.Postgres.DSN = "postgres", "mysql://bot:"+secret+"@db/x" }, "postgres.dsn"},
		{"a dsn that is neither form", func(c *Config) { c.Store, c.Postgres.DSN = "postgres", secret }, "postgres.dsn"},
		{"no connections", func(c *Config) { c.Postgres.MaxConns = 0 }, "postgres.max_conns"},
		{"no op timeout", func(c *Config) { c.Postgres.OpTimeout = 0 }, "postgres.op_timeout"},
		{"connect timeout too long", func(c *Config) { c.Postgres.ConnectTimeout = time.Hour }, "postgres.connect_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tt.field == "":
				return
			case err == nil:
				t.Fatalf("Validate: nil, want an error naming %s", tt.field)
			case !strings.HasPrefix(err.Error(), "config: "+tt.field+": "):
				t.Errorf("Validate: %v, want it to name %s", err, tt.field)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Validate quotes the dsn: %v", err)
			}
		})
	}
}

func TestRedactDSN(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"", ""},
		{"postgres://bot:s3cret@db:5432/policybot?sslmode=disable", "postgres://bot:REDACTED@db:5432/policybot?sslmode=disable"},
		{"postgresql://bot@db/policybot", "postgresql://bot@db/policybot"},
		{"postgres://db/policybot?user=bot&password=s3cret", "postgres://db/policybot?password=REDACTED&user=bot"},
		{"host=db user=bot password=s3cret dbname=policybot", "host=db user=bot password=REDACTED dbname=policybot"},
		{"host=db password='s3 cret\\' x' user=bot", "host=db password=REDACTED user=bot"},
		{"host=db PASSWORD = s3cret", "host=db PASSWORD = REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			if got := redactDSN(tt.dsn); got != tt.want {
				t.Errorf("redactDSN = %q, want %q", got, tt.want)
			}
		})
	}
	c := DefaultConfig()
	c.Store, c.Postgres.DSN = "postgres", "postgres://bot:s3cret@db/policybot"
	if s := c.String(); strings.Contains(s, "s3cret") || !strings.Contains(s, "dsn: postgres://bot:REDACTED@db/policybot") {
		t.Errorf("the printed config shows or loses the dsn:\n%s", s)
	}
}

// The example's ${POLICYBOT_PG_DSN} reaches the config.
func TestStoreFromEnvironment(t *testing.T) {
	path := writeConfig(t, "store: postgres\npostgres:\n  dsn: \"${POLICYBOT_PG_DSN}\"\n")
	env := map[string]string{"POLICYBOT_PG_DSN": "postgres://bot@db/policybot"}
	c, err := Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != "postgres" || c.Postgres.DSN != env["POLICYBOT_PG_DSN"] {
		t.Errorf("store %q dsn %q, want postgres and the environment's", c.Store, c.Postgres.DSN)
	}
	if _, err := Load(path, nil); err == nil || !strings.Contains(err.Error(), "postgres.dsn") {
		t.Errorf("without the variable: %v, want an error naming postgres.dsn", err)
	}
}
