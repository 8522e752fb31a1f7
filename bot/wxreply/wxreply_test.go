package wxreply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/kf"
)

func TestCode(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		code  int64
		coded bool
	}{
		{"common error", util.NewCommonError("Send", 40001, "invalid credential"), 40001, true},
		{"wrapped common error", fmt.Errorf("send: %w", util.NewCommonError("Send", 45015, "x")), 45015, true},
		{"customer-service text", errors.New("customer msg send error : errcode=42001 , errmsg=access_token expired"), 42001, true},
		{"wecom errmsg", errors.New("invalid credential, more info at https://open.work.weixin.qq.com/devtool/query?e=40014"), 40014, true},
		{"kf constant", kf.SDKAccessTokenExpired, 42001, true},
		{"system busy", util.NewCommonError("Send", -1, "system error"), -1, true},
		{"network", errors.New("dial tcp: connection refused"), 0, false},
		{"token in a url is no code", errors.New(`Post "https://api.weixin.qq.com/x?access_token=e=1": EOF`), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, coded := Code(tt.err)
			if code != tt.code || coded != tt.coded {
				t.Errorf("Code = %d, %v; want %d, %v", code, coded, tt.code, tt.coded)
			}
		})
	}
}

func TestCall(t *testing.T) {
	fast := Retry{Attempts: 3, Backoff: time.Millisecond}
	tests := []struct {
		name      string
		errs      []error // returned by the calls, in turn; then nil
		wantCalls int
		wantErr   bool
		cleared   bool
	}{
		{"ok", nil, 1, false, false},
		{"expired token refreshed once", []error{util.NewCommonError("x", 40001, "")}, 2, false, true},
		{"expired twice gives up", []error{util.NewCommonError("x", 42001, ""), util.NewCommonError("x", 42001, "")}, 2, true, true},
		{"transient retried", []error{errors.New("EOF"), util.NewCommonError("x", -1, "")}, 3, false, false},
		{"transient too often", []error{errors.New("EOF"), errors.New("EOF"), errors.New("EOF")}, 3, true, false},
		{"permanent at once", []error{util.NewCommonError("x", 45015, "")}, 1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens := NewTokenCache()
			tokens.Set("k", "TOKEN", time.Hour)
			calls := 0
			err := Call(context.Background(), tokens, fast, func() error {
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if calls != tt.wantCalls || (err != nil) != tt.wantErr {
				t.Errorf("%d calls, err %v; want %d calls, error %v", calls, err, tt.wantCalls, tt.wantErr)
			}
			if cleared := tokens.Get("k") == nil; cleared != tt.cleared {
				t.Errorf("cache cleared %v, want %v", cleared, tt.cleared)
			}
		})
	}
}

// Many calls failing with the same stale token empty the cache once.
func TestCallRefreshesOnceForMany(t *testing.T) {
	tokens := NewTokenCache()
	var fetched atomic.Int32
	current := func() string {
		if v := tokens.Get("k"); v != nil {
			return v.(string)
		}
		n := fetched.Add(1)
		tok := fmt.Sprintf("T%d", n)
		tokens.Set("k", tok, time.Hour)
		return tok
	}
	current()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_ = Call(context.Background(), tokens, DefaultRetry(), func() error {
				if current() == "T1" {
					return util.NewCommonError("x", 40001, "")
				}
				return nil
			})
		}()
	}
	// Every call sees T1 fail before any refresh.
	close(start)
	wg.Wait()
	if n := fetched.Load(); n > 3 {
		t.Errorf("%d tokens fetched for one expiry, want few", n)
	}
}

func TestRedact(t *testing.T) {
	in := `Get "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=S3CR3T": EOF; post https://api.weixin.qq.com/x?access_token=ABC&y=1 appsecret=Q`
	out := Redact(in)
	for _, s := range []string{"S3CR3T", "ABC", "=Q"} {
		if strings.Contains(out, s) {
			t.Errorf("Redact left %q in %s", s, out)
		}
	}
	if !strings.Contains(out, "corpid=ww1") {
		t.Errorf("Redact removed more than secrets: %s", out)
	}
	err := Call(context.Background(), NewTokenCache(), Retry{Attempts: 1}, func() error { return errors.New(in) })
	if strings.Contains(err.Error(), "S3CR3T") {
		t.Errorf("Call's error shows the secret: %v", err)
	}
}

func TestFit(t *testing.T) {
	emoji := strings.Repeat("😀", 700) // 4 bytes each
	cjk := strings.Repeat("政策说明。", 300)
	tests := []struct {
		name string
		text string
		max  int
		n    int // parts wanted, 0 = any
	}{
		{"fits", "答：一句话", 2048, 1},
		{"empty", "  ", 2048, 0},
		{"chinese", cjk, 2048, 3},
		{"emoji", emoji, 2048, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := Fit(tt.text, tt.max)
			if tt.n > 0 && len(parts) != tt.n {
				t.Errorf("%d parts, want %d", len(parts), tt.n)
			}
			var joined strings.Builder
			for _, p := range parts {
				if len(p) > tt.max || !utf8.ValidString(p) {
					t.Errorf("part of %d bytes (valid %v)", len(p), utf8.ValidString(p))
				}
				joined.WriteString(p)
			}
			if strings.Join(strings.Fields(joined.String()), "") != strings.Join(strings.Fields(tt.text), "") {
				t.Error("parts do not join to the text")
			}
		})
	}
}

func TestSerialKeepsOrderPerKey(t *testing.T) {
	s := NewSerial()
	var mu sync.Mutex
	got := map[string][]int{}
	for i := range 200 {
		key := fmt.Sprint(i % 7)
		s.Go(key, func() {
			time.Sleep(time.Duration(i%3) * time.Millisecond)
			mu.Lock()
			got[key] = append(got[key], i)
			mu.Unlock()
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for key, seq := range got {
		for j := 1; j < len(seq); j++ {
			if seq[j] < seq[j-1] {
				t.Errorf("key %s ran %v", key, seq)
				break
			}
		}
	}
	if s.Go("x", func() {}) {
		t.Error("Go after Close accepted a job")
	}
}

// A message put while a callback waits goes to the callback, with the note
// that more follow when Push cannot send them.
func TestMailboxHandsToWaiter(t *testing.T) {
	b := NewMailbox(MailboxOptions{MaxBytes: 2048, More: "（更多）"}, nil)
	w := b.Expect("c")
	go b.Put(context.Background(), "c", "", "第一条", "第二条")
	d, ok := w.Wait(context.Background(), time.Second)
	if !ok {
		t.Fatal("nothing came")
	}
	d.Written()
	if d.Text != "第一条\n（更多）" && d.Text != "第一条" {
		t.Errorf("got %q", d.Text)
	}
	d2, ok := b.Wait(context.Background(), "c", time.Second)
	if !ok || d2.Text != "第二条" {
		t.Errorf("second: %q %v", d2.Text, ok)
	}
	if n := b.Undelivered(); n != 0 {
		t.Errorf("%d left", n)
	}
}
