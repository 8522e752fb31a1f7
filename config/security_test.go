package config

import (
	"strings"
	"testing"
)

// TestServeSecurityKeys covers the keys of the console's security and
// the send queue: each bad value is refused naming its key.
func TestServeSecurityKeys(t *testing.T) {
	tests := []struct {
		name    string
		change  func(c *Config)
		serve   bool   // check with ValidateServe
		wantErr string // prefix after "config: "; empty: valid
	}{
		{"defaults", func(c *Config) {}, true, ""},
		{"short token on loopback", func(c *Config) { c.Web.Token = "short" }, true, ""},
		{"short token on a public address", func(c *Config) { c.Web.Listen, c.Web.Token = "0.0.0.0:8080", "fifteen-chars-x" }, true, "web.token: must be at least 16 characters"},
		{"16 characters on a public address", func(c *Config) { c.Web.Listen, c.Web.Token = "0.0.0.0:8080", "sixteen-chars-xx" }, true, ""},
		{"16 Chinese characters count as 16", func(c *Config) { c.Web.Listen, c.Web.Token = "0.0.0.0:8080", strings.Repeat("令", 16) }, true, ""},
		{"trusted proxies", func(c *Config) { c.Web.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.1", "::1", "fd00::/8"} }, false, ""},
		{"bad trusted proxy", func(c *Config) { c.Web.TrustedProxies = []string{"10.0.0.0/8", "proxy.lan"} }, false, "web.trusted_proxies[1]: "},
		{"allowed hosts", func(c *Config) { c.Web.AllowedHosts = []string{"policy-pc", "policy-pc:8080", "[fd00::1]:8080"} }, false, ""},
		{"bad allowed host", func(c *Config) { c.Web.AllowedHosts = []string{"http://policy-pc/"} }, false, "web.allowed_hosts[0]: "},
		{"empty allowed host", func(c *Config) { c.Web.AllowedHosts = []string{" "} }, false, "web.allowed_hosts[0]: "},
		{"send queue zero", func(c *Config) { c.Bot.SendQueue = 0 }, false, "bot.send_queue: "},
		{"send queue too large", func(c *Config) { c.Bot.SendQueue = 10001 }, false, "bot.send_queue: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			var err error
			if tt.serve {
				err = c.ValidateServe()
			} else {
				err = c.Validate()
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), "config: "+tt.wantErr)):
				t.Fatalf("got %v, want config: %s…", err, tt.wantErr)
			}
			if err != nil && c.Web.Token != "" && strings.Contains(err.Error(), c.Web.Token) {
				t.Errorf("error %q quotes the token", err)
			}
		})
	}
}
