package config

import (
	"strings"
	"testing"
	"time"
)

// TestWeChatDefaults: groups are answered on @-mentions only, a lost
// session ends the process, and a 1102 within ten minutes of login is
// taken for a restricted account.
func TestWeChatDefaults(t *testing.T) {
	w := DefaultConfig().WeChat
	if w.GroupPrefix != "" {
		t.Errorf("group_prefix: got %q, want none: a prefix such as 政策 starts ordinary chatter too", w.GroupPrefix)
	}
	if w.OnLogout != "exit" {
		t.Errorf("on_logout: got %q, want exit", w.OnLogout)
	}
	if w.KickWindow != 10*time.Minute {
		t.Errorf("kick_window: got %v, want 10m", w.KickWindow)
	}
}

func TestWeChatKickWindow(t *testing.T) {
	tests := []struct {
		window time.Duration
		ok     bool
	}{
		{time.Minute, true},
		{10 * time.Minute, true},
		{24 * time.Hour, true},
		{0, false},
		{59 * time.Second, false},
		{25 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.window.String(), func(t *testing.T) {
			c := DefaultConfig()
			c.WeChat.KickWindow = tt.window
			err := c.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok %v", err, tt.ok)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "config: wechat.kick_window: ") {
				t.Errorf("got %q, want it to name wechat.kick_window", err)
			}
		})
	}
}
