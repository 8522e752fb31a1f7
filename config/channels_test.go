package config

import (
	"strings"
	"testing"
	"time"
)

const testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" // 43 characters of base64

func TestValidateChannelSettings(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" for valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"good key", func(c *Config) { c.MP.EncodingAESKey = testAESKey }, ""},
		{"short key", func(c *Config) { c.MP.EncodingAESKey = "abc" }, "config: mp.encoding_aes_key: must be the 43-character key"},
		{"key not base64", func(c *Config) { c.KF.EncodingAESKey = strings.Repeat("!", 43) }, "config: kf.encoding_aes_key:"},
		{"relative path", func(c *Config) { c.MP.Path = "wechat" }, "config: mp.path: must be a path"},
		{"console path", func(c *Config) { c.WeCom.Path = "/api/wecom" }, "config: wecom.path: must not be one of the staff console's paths"},
		{"same paths", func(c *Config) { c.KF.Path = "/wechat/mp" }, "config: kf.path: must differ from mp.path"},
		{"passive wait over WeChat's window", func(c *Config) { c.MP.PassiveWait = 5 * time.Second }, "config: mp.passive_wait: must be between"},
		{"passive wait too short", func(c *Config) { c.WeCom.PassiveWait = 0 }, "config: wecom.passive_wait: must be between"},
		{"agent id not a number", func(c *Config) { c.WeCom.AgentID = "app" }, "config: wecom.agent_id: must be a number"},
		{"no backlog", func(c *Config) { c.KF.Backlog = 0 }, "config: kf.backlog: must be between"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want %q…", err, tt.want)
			}
		})
	}
}

func TestValidateChannel(t *testing.T) {
	full := DefaultConfig()
	full.MP = MP{Path: "/wechat/mp", AppID: "wx1", AppSecret: "s", Token: "t", Verified: true, PassiveWait: 4 * time.Second}
	full.WeCom = WeCom{Path: "/wechat/wecom", CorpID: "ww1", AgentID: "1000002", Secret: "s", Token: "t", EncodingAESKey: testAESKey, PassiveWait: 4 * time.Second}
	full.KF = KF{Path: "/wechat/kf", CorpID: "ww1", Secret: "s", Token: "t", EncodingAESKey: testAESKey, Backlog: time.Minute}
	tests := []struct {
		name    string
		channel string
		change  func(*Config)
		want    string
	}{
		{"mp complete", "mp", func(*Config) {}, ""},
		{"mp unverified needs no secret", "mp", func(c *Config) { c.MP.Verified, c.MP.AppSecret = false, "" }, ""},
		{"mp verified needs the secret", "mp", func(c *Config) { c.MP.AppSecret = "" }, "config: mp.app_secret: must be set when mp.verified is true"},
		{"mp needs the app id", "mp", func(c *Config) { c.MP.AppID = "" }, "config: mp.app_id: must be set"},
		{"mp needs the token", "mp", func(c *Config) { c.MP.Token = " " }, "config: mp.token: must be set"},
		{"wecom complete", "wecom", func(*Config) {}, ""},
		{"wecom needs the agent", "wecom", func(c *Config) { c.WeCom.AgentID = "" }, "config: wecom.agent_id: must be set"},
		{"wecom needs the key", "wecom", func(c *Config) { c.WeCom.EncodingAESKey = "" }, "config: wecom.encoding_aes_key: must be set"},
		{"kf complete", "kf", func(*Config) {}, ""},
		{"kf needs the secret", "kf", func(c *Config) { c.KF.Secret = "" }, "config: kf.secret: must be set"},
		{"unknown channel", "qq", func(*Config) {}, `config: unknown channel "qq"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := full
			tt.change(&c)
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			err := c.ValidateChannel(tt.channel)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateChannel(%s) = %v, want nil", tt.channel, err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("ValidateChannel(%s) = %v, want %q…", tt.channel, err, tt.want)
			}
		})
	}
	if err := DefaultConfig().ValidateChannel("mp"); err == nil {
		t.Error("the defaults serve mp without credentials")
	}
}

func TestRedactedChannels(t *testing.T) {
	c := DefaultConfig()
	c.MP.AppSecret, c.MP.Token, c.MP.EncodingAESKey = "mp-secret-x", "mp-token-x", testAESKey
	c.WeCom.Secret, c.WeCom.Token, c.WeCom.EncodingAESKey = "wecom-secret-x", "wecom-token-x", testAESKey
	c.KF.Secret, c.KF.Token, c.KF.EncodingAESKey = "kf-secret-x", "kf-token-x", testAESKey
	c.MP.AppID = "wx-app-id"
	out := c.String()
	for _, s := range []string{"mp-secret-x", "mp-token-x", "wecom-secret-x", "wecom-token-x", "kf-secret-x", "kf-token-x", testAESKey} {
		if strings.Contains(out, s) {
			t.Errorf("printed config contains secret %q", s)
		}
	}
	if !strings.Contains(out, "wx-app-id") {
		t.Errorf("printed config lost the app id:\n%s", out)
	}
}

func TestLoadChannels(t *testing.T) {
	path := writeConfig(t, "mp:\n  app_id: wx1\n  token: \"${MP_TOKEN}\"\n  verified: true\n  app_secret: \"${MP_SECRET}\"\nkf:\n  backlog: 10m\n")
	c, err := Load(path, env{"MP_TOKEN": "tok", "MP_SECRET": "sec"}.get)
	if err != nil {
		t.Fatal(err)
	}
	if c.MP.Token != "tok" || c.MP.AppSecret != "sec" || !c.MP.Verified || c.KF.Backlog != 10*time.Minute || c.MP.Path != "/wechat/mp" {
		t.Errorf("got mp %+v kf %+v", c.MP, c.KF)
	}
	if err := c.ValidateChannel("mp"); err != nil {
		t.Errorf("ValidateChannel(mp) = %v", err)
	}
}
