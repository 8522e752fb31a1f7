package wechat

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWeChatProcess runs `policybot --data-dir D wechat` as the program
// it is: built from cmd/policybot, logged in by hot login from a prepared
// login file (no QR code), with its WeChat traffic sent to the fake
// through POLICYBOT_WECHAT_TEST_ENDPOINT. A private question arrives by
// sync; the answer, with its 时效 and 来源, is posted back, and the Q&A
// record says it was delivered. SIGTERM then stops the program cleanly,
// exit status 0, within a bounded time.
func TestWeChatProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the program: %v", err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "policybot")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, goBin, "build", "-o", bin, "./cmd/policybot")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/policybot: %v\n%s", err, out)
	}

	f := newFakeWeChat(t)
	data := t.TempDir()
	writeHotStorage(t, filepath.Join(data, "wechat-login.json"))
	cmd := exec.CommandContext(ctx, bin, "--data-dir", data, "wechat")
	cmd.Dir = data
	// Only what the program needs, so that no model, config file or data
	// directory of the machine's reaches it.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + data,
		"POLICYBOT_WECHAT_TEST_ENDPOINT=" + f.srv.URL,
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	cmd.Stdout = stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the program: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("the program's output:\n%s", stderr)
		}
	}()

	// The first poll means it has built its index and logged in.
	select {
	case <-f.polling:
	case err := <-exited:
		t.Fatalf("the program exited before polling: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("the program did not poll WeChat within 3 minutes")
	}
	const question = "做自行车的，评上省级数字化车间能奖多少钱？"
	f.events <- syncEvent{msgs: []map[string]any{textFrom("8001", fakeFriend, question, time.Now().Unix())}}
	var answer string
	for answer == "" {
		select {
		case s := <-f.sent:
			if s.to != fakeFriend {
				t.Fatalf("got a message to %s, want one to %s", s.to, fakeFriend)
			}
			if strings.Contains(s.content, "来源：") {
				answer = s.content
			}
		case err := <-exited:
			t.Fatalf("the program exited while answering: %v", err)
		case <-time.After(time.Minute):
			t.Fatal("no answer with 来源 within a minute")
		}
	}
	for _, want := range []string{"时效：[1]", "来源：[1]《", "冀制强省办〔2018〕2号"} {
		if !strings.Contains(answer, want) {
			t.Errorf("the answer lacks %q:\n%s", want, answer)
		}
	}
	if i, j := strings.Index(answer, "时效："), strings.Index(answer, "来源："); i < 0 || i > j {
		t.Errorf("时效 does not come before 来源:\n%s", answer)
	}

	// The record is written once the whole answer is sent.
	var rec map[string]any
	deadline := time.Now().Add(time.Minute)
	for rec == nil && time.Now().Before(deadline) {
		select {
		case <-f.sent: // the answer's details
		case <-time.After(50 * time.Millisecond):
		}
		rec = qaRecord(t, filepath.Join(data, "qa"), question)
	}
	if rec == nil {
		t.Fatal("no Q&A record of the question within a minute")
	}
	if rec["channel"] != "wechat" || rec["delivered"] != true || rec["delivery_error"] != nil {
		t.Errorf("got record %v, want channel wechat, delivered, no delivery error", rec)
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM the program exited with %v, want status 0", err)
		}
		t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(30 * time.Second):
		t.Fatal("the program did not stop within 30 s of SIGTERM")
	}
	out := stderr.String()
	for _, bad := range []string{"level=ERROR", "policybot:", "panic"} {
		if strings.Contains(out, bad) {
			t.Errorf("the program's output has %q", bad)
		}
	}
	if strings.Contains(out, question) {
		t.Error("the question was logged at the default level")
	}
	if f.sawPath("/jslogin") {
		t.Error("the program asked for a QR code, want hot login only")
	}
}

// qaRecord returns the Q&A record of question under dir, or nil.
func qaRecord(t *testing.T, dir, question string) map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("read the record: %v", err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var e map[string]any
			if json.Unmarshal(sc.Bytes(), &e) == nil && e["question"] == question {
				return e
			}
		}
	}
	return nil
}
