package main

import (
	"bufio"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/wxreply/wxfake"
)

// TestServeOfficialAccountProcess starts `policybot serve --channel mp` as
// a process and asks it a question the way WeChat does: a signed,
// AES-encrypted callback in 安全模式, answered passively within WeChat's
// 5 seconds with one complete answer (lead, 时效, 来源); a tampered
// signature gets 403. SIGTERM then stops it cleanly.
func TestServeOfficialAccountProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "policybot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dataDir := filepath.Join(dir, "data")
	if err := os.CopyFS(filepath.Join(dataDir, "index"), os.DirFS(filepath.Join(indexedDataDir, "index"))); err != nil {
		t.Fatal(err)
	}
	const appID, token = "wx0123456789abcdef", "policybot-test-token"
	key := wxfake.NewAESKey()
	cfg := filepath.Join(dir, "config.yaml")
	conf := "mp:\n  app_id: " + appID + "\n  token: " + token + "\n  encoding_aes_key: " + key + "\n"
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config", cfg, "--data-dir", dataDir, "serve", "--listen", "127.0.0.1:0", "--channel", "mp")
	cmd.Env = append(os.Environ(), "POLICYBOT_CONFIG=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	var logs strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logs.WriteString(line + "\n")
			if _, after, ok := strings.Cut(line, `msg="web console listening" addr=`); ok {
				addr <- strings.Fields(after)[0]
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve did not listen; log:\n%s", logs.String())
	}
	wx := &wxfake.Platform{Kind: wxfake.OfficialAccount, Mode: wxfake.Safe, Token: token, AESKey: key, ReceiverID: appID, Timeout: 5 * time.Second}
	res := wx.Post(ctx, base+"/wechat/mp", wxfake.OAText(appID, "openid-1", 1001, "财税〔2018〕77号的小型微利企业所得税优惠还有效吗？"))
	if res.Err != nil || res.Status != 200 {
		t.Fatalf("callback: status %d, err %v, body %q; log:\n%s", res.Status, res.Err, res.Body, logs.String())
	}
	if res.Attempts != 1 {
		t.Errorf("WeChat posted %d times, want 1: the offline answer fits the 5 s window", res.Attempts)
	}
	for _, want := range []string{"时效：", "2020年12月31日", "来源：", "财税〔2018〕77号"} {
		if !strings.Contains(res.Reply, want) {
			t.Errorf("passive reply lacks %q:\n%s", want, res.Reply)
		}
	}
	bad := wx.PostTampered(ctx, base+"/wechat/mp", wxfake.OAText(appID, "openid-1", 1002, "研发费用加计扣除比例是多少"), func(v url.Values) {
		v.Set("signature", "0000000000000000000000000000000000000000")
	})
	if bad.Status != 403 {
		t.Errorf("tampered signature: status %d, want 403", bad.Status)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM; log:\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve did not stop within 30 s of SIGTERM")
	}
}
