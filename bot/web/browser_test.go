package web

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var screenshotPath = flag.String("screenshot", "/tmp/web-375.png",
	"where TestBrowserConsole saves a 375px-wide screenshot for people to look at; empty: nowhere")

// chromium finds a Chromium-family browser, or returns "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowserConsole drives the page in a real headless Chromium at phone
// width: ask, read the sources, open a citation, copy, edit and copy
// again, mark feedback, regenerate and restore a recent draft.
func TestBrowserConsole(t *testing.T) {
	exe := chromium()
	if exe == "" {
		if os.Getenv("CI") == "" {
			t.Skip("no Chromium found (apt-get install chromium)")
		}
		t.Fatal("no Chromium found, but CI installs it")
	}

	const (
		token = "browser-test-token"
		scope = "我能查询的是《测试政策汇编》：省级政策，发布于2015—2016年。"
	)
	f := newFixture(t, Options{Token: token, Scope: scope}, false)
	ts := httptest.NewServer(f.srv)
	defer ts.Close()

	// The whole test, browser start included, must end in time.
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(375, 812),
	)
	defer cancelAlloc()

	// Every script error, console.error and browser error log (CSP
	// violations, failed loads) fails the test at the end.
	var exMu sync.Mutex
	var pageErrors []string
	pageError := func(format string, args ...any) {
		exMu.Lock()
		pageErrors = append(pageErrors, fmt.Sprintf(format, args...))
		exMu.Unlock()
	}
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			desc := ""
			if d.Exception != nil {
				desc = d.Exception.Description
			}
			pageError("exception: %s %s (%s:%d)", d.Text, desc, d.URL, d.LineNumber)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				pageError("console.error: %s", strings.Join(args, " "))
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				pageError("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
	}))
	defer cancelBrowser()

	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	// The page's CSP forbids eval, which chromedp.Poll needs, so wait from
	// Go instead.
	waitFor := func(step, expr string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](expr))
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				t.Fatalf("%s: %s never became true (last error %v)", step, expr, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	evalString := func(step, expr string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Evaluate[string](expr))
		must(step, err)
		return s
	}
	// shot saves the whole page, or with viewport only what the screen
	// shows (the document panel is a fixed overlay there).
	shot := func(path string, viewport bool) {
		t.Helper()
		capture := chromedp.FullScreenshot(100)
		if viewport {
			capture = chromedp.CaptureScreenshot()
		}
		png, err := chromedp.Run(bctx, capture)
		must("screenshot", err)
		must("save screenshot", os.WriteFile(path, png, 0o644))
	}

	// Start the browser, then let the page use the clipboard.
	must("start browser", chromedp.Do(bctx, chromedp.EmulateViewport(375, 812)))
	_, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{})
	must("enable browser log", err)
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err = chromedp.CallBrowser(bctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name},
			Setting:    browser.PermissionSettingGranted,
			Origin:     ts.URL,
		})
		must("grant "+name, err)
	}

	// Open the bookmarked link: the token becomes a cookie.
	must("open page", chromedp.Do(bctx,
		chromedp.Navigate(ts.URL+"/?token="+token),
		chromedp.WaitVisible(chromedp.ID("question")),
	))
	loc, err := chromedp.Run(bctx, chromedp.Location())
	must("location", err)
	if strings.Contains(loc, token) {
		t.Errorf("address after login: got %q, want the token removed", loc)
	}
	// The scope line comes from the server, not the page.
	waitFor("scope line", `!document.getElementById('scope').hidden`)
	if got := evalString("scope line", `document.getElementById('scope').textContent`); got != scope {
		t.Errorf("scope line: got %q, want %q", got, scope)
	}
	if got := evalString("subtitle", `document.querySelector('.subtitle').textContent`); got != "政策助手 · 客服工作台" {
		t.Errorf("subtitle: got %q, want the generic one", got)
	}

	// Ask.
	must("ask", chromedp.Do(bctx,
		chromedp.SendKeys(chromedp.ID("question"), "小微企业有什么税收优惠？"),
		chromedp.Click(chromedp.CSS("details.history-box summary")),
		chromedp.SendKeys(chromedp.ID("history"), "我们是一家小微企业"),
		chromedp.Click(chromedp.ID("ask")),
		chromedp.WaitVisible(chromedp.CSS("#sources .source .cite")),
	))
	wantCalls := []askCall{{"小微企业有什么税收优惠？", []string{"我们是一家小微企业"}}}
	if got := f.answerer.Calls(); fmt.Sprint(got) != fmt.Sprint(wantCalls) {
		t.Errorf("answerer calls: got %v, want %v", got, wantCalls)
	}
	draft, err := chromedp.Run(bctx, chromedp.Value(chromedp.ID("draft")))
	must("read draft", err)
	if draft != testAnswer {
		t.Errorf("draft: got %q, want %q", draft, testAnswer)
	}
	cite, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#sources .cite")))
	must("read source", err)
	if want := "[1] 《关于进一步支持小微企业发展的若干措施》（冀政办字〔2018〕12号） 第二条"; cite != want {
		t.Errorf("source: got %q, want %q", cite, want)
	}
	badge, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#sources .badge.expired")))
	must("read expired badge", err)
	if badge != "已过期" {
		t.Errorf("expired badge: got %q, want 已过期", badge)
	}
	if got := evalString("badge colour", `getComputedStyle(document.querySelector('#sources .badge.expired')).backgroundColor`); got != "rgb(198, 40, 40)" {
		t.Errorf("expired badge colour: got %s, want red rgb(198, 40, 40)", got)
	}

	// Open the citation: the cited clause is marked and scrolled into view.
	must("open citation", chromedp.Do(bctx,
		chromedp.WaitVisible(chromedp.CSS("#sources .cite")),
		chromedp.Click(chromedp.CSS("#sources .cite"), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS("#doc-panel .chunk.cited mark")),
	))
	marked, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#doc-panel .chunk.cited mark")))
	must("read marked clause", err)
	if marked != citedText {
		t.Errorf("highlighted clause: got %q, want %q", marked, citedText)
	}
	if n := evalString("count marks", `String(document.querySelectorAll('#doc-panel mark').length)`); n != "1" {
		t.Errorf("highlighted clauses: got %s, want 1", n)
	}
	waitFor("cited clause in view", `(() => {
		const c = document.querySelector('#doc-panel .chunk.cited').getBoundingClientRect();
		const b = document.getElementById('doc-body');
		const v = b.getBoundingClientRect();
		return b.scrollTop > 0 && c.top >= v.top - 1 && c.bottom <= v.bottom + 1 &&
			c.top >= 0 && c.bottom <= window.innerHeight;
	})()`)
	shot(filepath.Join(t.TempDir(), "web-375-document.png"), true)
	if *screenshotPath != "" {
		shot(strings.TrimSuffix(*screenshotPath, ".png")+"-document.png", true)
	}
	must("close document", chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("doc-close")),
		chromedp.WaitNotVisible(chromedp.ID("doc-panel")),
	))

	// Copy, then edit and copy again.
	copied := func(step string) string {
		t.Helper()
		must(step, chromedp.Do(bctx, chromedp.Click(chromedp.ID("copy"))))
		waitFor(step, `document.getElementById('copy-status').textContent === '已复制'`)
		text, err := chromedp.Run(bctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		if err != nil {
			// Some headless builds have no readable clipboard: fall back to
			// what the page's copy code says it put there.
			t.Logf("%s: clipboard not readable (%v), checking window.__lastCopied", step, err)
			text = evalString(step, `window.__lastCopied`)
		}
		return text
	}
	if got := copied("copy"); got != testAnswer {
		t.Errorf("copied: got %q, want the draft %q", got, testAnswer)
	}
	const edited = "您好！小型微利企业所得减按50%计入应纳税所得额。\n该文件已过期，请以最新政策为准。"
	// Typing over the selection, as a person would, fires the input events
	// the page listens to.
	must("edit draft", chromedp.Do(bctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('draft').select()`),
		chromedp.SendKeys(chromedp.ID("draft"), edited),
	))
	if got := evalString("copy status after edit", `document.getElementById('copy-status').textContent`); got != "" {
		t.Errorf("copy status after an edit: got %q, want it cleared", got)
	}
	if got := copied("copy edited"); got != edited {
		t.Errorf("copied after edit: got %q, want %q", got, edited)
	}

	// Feedback.
	entries := f.entries(t)
	if len(entries) != 1 {
		t.Fatalf("journal entries: got %d, want 1", len(entries))
	}
	must("feedback", chromedp.Do(bctx,
		chromedp.SendKeys(chromedp.ID("feedback-comment"), "引用正确"),
		chromedp.Click(chromedp.ID("feedback-good")),
	))
	waitFor("feedback", `document.getElementById('feedback-status').textContent.startsWith('已标记')`)
	if got, want := f.marks(t), []markCall{{entries[0].ID, true, "引用正确"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("marks: got %v, want %v", got, want)
	}

	// Regenerate, then restore the edited draft from the recent list.
	must("regenerate", chromedp.Do(bctx, chromedp.Click(chromedp.ID("regenerate"))))
	waitFor("regenerate", `document.querySelectorAll('#recent li button').length === 2`)
	if got := len(f.answerer.Calls()); got != 2 {
		t.Errorf("answerer calls after regenerate: got %d, want 2", got)
	}
	if got := evalString("draft after regenerate", `document.getElementById('draft').value`); got != testAnswer {
		t.Errorf("draft after regenerate: got %q, want a fresh answer", got)
	}
	must("restore", chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#recent li:nth-child(2) button"))))
	if got := evalString("restored draft", `document.getElementById('draft').value`); got != edited {
		t.Errorf("restored draft: got %q, want the edited %q", got, edited)
	}

	// Nothing overflows the phone's width.
	if got := evalString("page width", `String(document.documentElement.scrollWidth)`); got != "375" {
		t.Errorf("page width at 375px: got %s, want 375 (no horizontal scrolling)", got)
	}
	shot(filepath.Join(t.TempDir(), "web-375.png"), false)
	if *screenshotPath != "" {
		shot(*screenshotPath, false)
		t.Logf("screenshot saved to %s", *screenshotPath)
	}

	exMu.Lock()
	defer exMu.Unlock()
	for _, e := range pageErrors {
		t.Errorf("page: %s", e)
	}
}
