package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestValidateWeaviate names each bad key of the Weaviate backend, and
// leaves the weaviate section alone while the backend is chromem.
func TestValidateWeaviate(t *testing.T) {
	on := func(c *Config) {
		c.Retrieval.Backend = "weaviate"
		c.Weaviate.Hosts = []string{"10.0.0.1:8080", "10.0.0.2:8080"}
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // the whole error; empty: valid
	}{
		{"chromem by default", func(*Config) {}, ""},
		{"chromem ignores a bad weaviate section", func(c *Config) { c.Weaviate.Timeout = -1 }, ""},
		{"weaviate with hosts", on, ""},
		{"unknown backend", func(c *Config) { c.Retrieval.Backend = "qdrant" },
			`config: retrieval.backend: must be one of chromem, weaviate; got "qdrant"`},
		{"no hosts", func(c *Config) { c.Retrieval.Backend = "weaviate" },
			`config: weaviate.hosts: must list the nodes (host:port) when retrieval.backend is weaviate`},
		{"host without port", func(c *Config) { on(c); c.Weaviate.Hosts[1] = "10.0.0.2" },
			`config: weaviate.hosts[1]: must be host:port, got "10.0.0.2"`},
		{"class", func(c *Config) { on(c); c.Weaviate.Class = "policy-clause" },
			`config: weaviate.class: must be a capital letter, then letters, digits or _, got "policy-clause"`},
		{"replication", func(c *Config) { on(c); c.Weaviate.Replication = 0 },
			`config: weaviate.replication: must be between 1 and 100, got 0`},
		{"tokenization", func(c *Config) { on(c); c.Weaviate.Tokenization = "word" },
			`config: weaviate.tokenization: must be one of trigram, gse, gse_ch; got "word"`},
		{"alpha", func(c *Config) { on(c); c.Weaviate.Alpha = 1.5 },
			`config: weaviate.alpha: must be 0..1, got 1.5`},
		{"timeout", func(c *Config) { on(c); c.Weaviate.Timeout = 0 },
			`config: weaviate.timeout: must be positive, got "0s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			validateCase(t, tt.mutate, tt.want)
		})
	}
}

// TestWeaviateFromFile reads the section from YAML with the key from the
// environment, and keeps the key out of the redacted config.
func TestWeaviateFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "retrieval:\n  backend: weaviate\nweaviate:\n  hosts: [127.0.0.1:18080, 127.0.0.1:18081]\n  tokenization: gse\n  timeout: 3s\n  api_key: \"${WV_KEY}\"\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WV_KEY": "s3cret-weaviate-key"}
	c, err := Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	w := c.Weaviate
	if len(w.Hosts) != 2 || w.Tokenization != "gse" || w.Timeout != 3*time.Second || w.APIKey != "s3cret-weaviate-key" || w.Class != "PolicyClause" || w.Replication != 2 {
		t.Errorf("weaviate = %+v", w)
	}
	env = map[string]string{"POLICYBOT_WEAVIATE_KEY": "from-env-key"}
	if c, err = Load(path, func(k string) string { return env[k] }); err != nil || c.Weaviate.APIKey != "from-env-key" {
		t.Errorf("POLICYBOT_WEAVIATE_KEY: api_key = %q, err %v", c.Weaviate.APIKey, err)
	}
	if r := c.Redacted(); strings.Contains(r.Weaviate.APIKey, "from-env-key") {
		t.Errorf("redacted api_key = %q", r.Weaviate.APIKey)
	}
}
