package web

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/corpus"
)

var screenshotPath = flag.String("screenshot", "/tmp/web-375.png",
	"where TestBrowserConsole saves a 375px-wide screenshot for people to look at; empty: nowhere")

// screenshotEnv names the directory TestBrowserLayout saves its
// screenshots in (console-1280.png, console-375.png and their -full and
// -stale twins) for people to look at; unset, they go to a temporary one.
const screenshotEnv = "POLICYBOT_SCREENSHOTS"

// chromium finds a Chromium-family browser, or returns "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// dialog is a JavaScript dialog the page opened.
type dialog struct {
	Type    page.DialogType
	Message string
}

// browserPage is one headless Chromium tab on a test server, with what the
// browser tests share: steps that fail the test, waits, evaluation,
// screenshots, dialogs answered as told, and a check at the end that the
// page logged no error.
type browserPage struct {
	t    *testing.T
	ctx  context.Context // the test's deadline
	bctx context.Context // the tab
	url  string

	mu      sync.Mutex
	errors  []string
	allowed []string // substrings of browser log errors the test expects

	stop func() // closes the tab and the browser

	dialogs      chan dialog
	acceptDialog atomic.Bool
}

// newBrowserPage starts Chromium with a width×height window on ts, lets
// the page use the clipboard, and opens the console with the token (or
// without one when token is empty). It skips the test when there is no
// Chromium, except on CI.
func newBrowserPage(t *testing.T, ts *httptest.Server, token string, width, height int64) *browserPage {
	t.Helper()
	exe := chromium()
	if exe == "" {
		if os.Getenv("CI") == "" {
			t.Skip("no Chromium found (apt-get install chromium)")
		}
		t.Fatal("no Chromium found, but CI installs it")
	}

	// The whole test, browser start included, must end in time.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	p := &browserPage{t: t, ctx: ctx, url: ts.URL, dialogs: make(chan dialog, 16)}
	// A loaded machine now and then loses a browser as it starts, with no
	// word on why: try again before giving up.
	for attempt := 1; ; attempt++ {
		err := p.start(exe, width, height)
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "failed to start") {
			t.Fatalf("start browser: %v", err)
		}
		t.Logf("start browser (attempt %d): %v; trying again", attempt, err)
	}
	bctx := p.bctx
	// Cleanups run last first: the errors are read once the tab is gone.
	t.Cleanup(p.reportErrors)
	t.Cleanup(p.stop)

	_, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{})
	p.must("enable browser log", err)
	// Smooth scrolling moves buttons while a click is aimed at them; the
	// page scrolls at once for those who ask for less motion.
	_, err = chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	})
	p.must("reduce motion", err)
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err = chromedp.CallBrowser(bctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name},
			Setting:    browser.PermissionSettingGranted,
			Origin:     ts.URL,
		})
		p.must("grant "+name, err)
	}
	// A confirm() stalls the page, and a click with it, until it is
	// answered; answer from another goroutine, as the test said to.
	opening := chromedp.Events(bctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range opening {
			if err != nil {
				return
			}
			accept := p.acceptDialog.Load()
			select {
			case p.dialogs <- dialog{ev.Type, ev.Message}:
			default:
				p.pageError("too many dialogs: %s", ev.Message)
			}
			go func() {
				_, err := chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
				if err != nil && bctx.Err() == nil {
					p.pageError("answer dialog %q: %v", ev.Message, err)
				}
			}()
		}
	}()

	target := ts.URL + "/"
	if token != "" {
		target += "?token=" + token
	}
	p.must("open page", chromedp.Do(bctx,
		chromedp.Navigate(target),
		chromedp.WaitVisible(chromedp.ID("question")),
	))
	return p
}

// start launches Chromium and opens a tab of the given size in it.
func (p *browserPage) start(exe string, width, height int64) error {
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(p.ctx,
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
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(p.t.TempDir()),
		chromedp.WindowSize(int(width), int(height)),
	)
	// Every script error, console.error and browser error log (CSP
	// violations, failed loads) fails the test at the end.
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			desc := ""
			if d.Exception != nil {
				desc = d.Exception.Description
			}
			p.pageError("exception: %s %s (%s:%d)", d.Text, desc, d.URL, d.LineNumber)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				p.pageError("console.error: %s", strings.Join(args, " "))
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				p.pageError("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
	}))
	p.bctx = bctx
	p.stop = func() {
		cancelBrowser()
		cancelAlloc()
	}
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(width, height)); err != nil {
		p.stop()
		return err
	}
	return nil
}

func (p *browserPage) pageError(format string, args ...any) {
	p.mu.Lock()
	p.errors = append(p.errors, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

// allowLogError lets browser log errors holding s pass: the failed loads
// a test causes on purpose.
func (p *browserPage) allowLogError(s string) {
	p.mu.Lock()
	p.allowed = append(p.allowed, s)
	p.mu.Unlock()
}

func (p *browserPage) reportErrors() {
	p.mu.Lock()
	defer p.mu.Unlock()
next:
	for _, e := range p.errors {
		for _, a := range p.allowed {
			if strings.HasPrefix(e, "browser log") && strings.Contains(e, a) {
				continue next
			}
		}
		p.t.Errorf("page: %s", e)
	}
	for {
		select {
		case d := <-p.dialogs:
			p.t.Errorf("page: unexpected %s dialog %q", d.Type, d.Message)
		default:
			return
		}
	}
}

func (p *browserPage) must(step string, err error) {
	p.t.Helper()
	if err != nil {
		p.t.Fatalf("%s: %v", step, err)
	}
}

func (p *browserPage) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	p.must(step, chromedp.Do(p.bctx, actions...))
}

// waitFor waits for a JavaScript expression to be true. The page's CSP
// forbids eval, which chromedp.Poll needs, so it waits from Go instead.
func (p *browserPage) waitFor(step, expr string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(p.bctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || p.ctx.Err() != nil {
			status, _ := chromedp.Run(p.bctx, chromedp.Evaluate[string](`document.getElementById('status').textContent`))
			p.t.Fatalf("%s: %s never became true (last error %v; status line %q)", step, expr, err, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *browserPage) evalString(step, expr string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.bctx, chromedp.Evaluate[string](expr))
	p.must(step, err)
	return s
}

func (p *browserPage) evalBool(step, expr string) bool {
	p.t.Helper()
	b, err := chromedp.Run(p.bctx, chromedp.Evaluate[bool](expr))
	p.must(step, err)
	return b
}

// shot saves the whole page, or with viewport only what the screen shows
// (the document panel is a fixed overlay there, the feedback bar sticks
// to the bottom).
func (p *browserPage) shot(path string, viewport bool) {
	p.t.Helper()
	capture := chromedp.FullScreenshot(100)
	if viewport {
		capture = chromedp.CaptureScreenshot()
	}
	png, err := chromedp.Run(p.bctx, capture)
	p.must("screenshot", err)
	p.must("save screenshot", os.WriteFile(path, png, 0o644))
}

// expectDialog waits for the dialog the last step opened.
func (p *browserPage) expectDialog(step string) dialog {
	p.t.Helper()
	select {
	case d := <-p.dialogs:
		return d
	case <-time.After(5 * time.Second):
		p.t.Fatalf("%s: no dialog opened", step)
	case <-p.ctx.Done():
		p.t.Fatalf("%s: %v", step, p.ctx.Err())
	}
	return dialog{}
}

// noDialog fails the test if a dialog opened.
func (p *browserPage) noDialog(step string) {
	p.t.Helper()
	select {
	case d := <-p.dialogs:
		p.t.Errorf("%s: unexpected %s dialog %q", step, d.Type, d.Message)
	default:
	}
}

// set changes what the fake answerer does, under its lock, while the
// server may be calling it.
func (f *fakeAnswerer) set(change func(f *fakeAnswerer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// The page's state, read as the tests check it.
const (
	jsCopyDisabled = `document.getElementById('copy').disabled`
	jsStaleShown   = `!document.getElementById('stale-banner').hidden &&
		document.getElementById('draft-pane').classList.contains('stale') &&
		document.getElementById('stale-banner').textContent.includes('已过期') &&
		document.getElementById('stale-banner').textContent.includes('请重新生成') &&
		document.getElementById('stale-banner').getBoundingClientRect().height > 0`
	jsFresh = `document.getElementById('stale-banner').hidden &&
		!document.getElementById('draft-pane').classList.contains('stale') &&
		!document.getElementById('copy').disabled && !document.getElementById('draft').readOnly`
	jsIdle = `!document.getElementById('ask').disabled`
	// The draft shows all of its text: no inner scrolling.
	jsDraftFits = `(() => {
		const d = document.getElementById('draft');
		return d.scrollHeight <= d.clientHeight + 2;
	})()`
)

// TestBrowserConsole drives the page in a real headless Chromium at phone
// width: ask, read the sources, open a citation, copy, edit and copy
// again, mark feedback, regenerate and restore a recent draft.
func TestBrowserConsole(t *testing.T) {
	const (
		token = "browser-test-token"
		scope = "我能查询的是《测试政策汇编》：省级政策，发布于2015—2016年。"
	)
	f := newFixture(t, Options{Token: token, Scope: scope}, false)
	p := f.browse(t, token, 375, 812)

	loc, err := chromedp.Run(p.bctx, chromedp.Location())
	p.must("location", err)
	if strings.Contains(loc, token) {
		t.Errorf("address after login: got %q, want the token removed", loc)
	}
	// The scope line comes from the server, not the page.
	p.waitFor("scope line", `!document.getElementById('scope').hidden`)
	if got := p.evalString("scope line", `document.getElementById('scope').textContent`); got != scope {
		t.Errorf("scope line: got %q, want %q", got, scope)
	}
	if got := p.evalString("subtitle", `document.querySelector('.subtitle').textContent`); got != "政策助手 · 客服工作台" {
		t.Errorf("subtitle: got %q, want the generic one", got)
	}

	// Ask.
	p.do("ask",
		chromedp.SendKeys(chromedp.ID("question"), "小微企业有什么税收优惠？"),
		chromedp.Click(chromedp.CSS("details.history-box summary")),
		chromedp.SendKeys(chromedp.ID("history"), "我们是一家小微企业"),
		chromedp.Click(chromedp.ID("ask")),
		chromedp.WaitVisible(chromedp.CSS("#sources .source .cite")),
	)
	wantCalls := []askCall{{"小微企业有什么税收优惠？", []string{"我们是一家小微企业"}}}
	if got := f.answerer.Calls(); fmt.Sprint(got) != fmt.Sprint(wantCalls) {
		t.Errorf("answerer calls: got %v, want %v", got, wantCalls)
	}
	draft, err := chromedp.Run(p.bctx, chromedp.Value(chromedp.ID("draft")))
	p.must("read draft", err)
	if draft != testAnswer {
		t.Errorf("draft: got %q, want %q", draft, testAnswer)
	}
	// The question the draft answers is above it.
	if got := p.evalString("asked question", `document.getElementById('asked-question').textContent`); got != "小微企业有什么税收优惠？" {
		t.Errorf("question above the draft: got %q", got)
	}
	if got := p.evalString("history count", `document.getElementById('asked-history-count').textContent`); got != "含之前的消息 1 条" {
		t.Errorf("history count above the draft: got %q", got)
	}
	cite, err := chromedp.Run(p.bctx, chromedp.Text(chromedp.CSS("#sources .cite")))
	p.must("read source", err)
	if want := "[1] 《关于进一步支持小微企业发展的若干措施》（冀政办字〔2018〕12号） 第二条"; cite != want {
		t.Errorf("source: got %q, want %q", cite, want)
	}
	badge, err := chromedp.Run(p.bctx, chromedp.Text(chromedp.CSS("#sources .badge.expired")))
	p.must("read expired badge", err)
	if badge != "已失效" {
		t.Errorf("expired badge: got %q, want 已失效", badge)
	}
	if got := p.evalString("badge colour", `getComputedStyle(document.querySelector('#sources .badge.expired')).backgroundColor`); got != "rgb(198, 40, 40)" {
		t.Errorf("expired badge colour: got %s, want red rgb(198, 40, 40)", got)
	}

	// Open the citation: the cited clause is marked and scrolled into view.
	p.do("open citation",
		chromedp.WaitVisible(chromedp.CSS("#sources .cite")),
		chromedp.Click(chromedp.CSS("#sources .cite"), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS("#doc-panel .chunk.cited mark")),
	)
	marked, err := chromedp.Run(p.bctx, chromedp.Text(chromedp.CSS("#doc-panel .chunk.cited mark")))
	p.must("read marked clause", err)
	if marked != citedText {
		t.Errorf("highlighted clause: got %q, want %q", marked, citedText)
	}
	if n := p.evalString("count marks", `String(document.querySelectorAll('#doc-panel mark').length)`); n != "1" {
		t.Errorf("highlighted clauses: got %s, want 1", n)
	}
	p.waitFor("cited clause in view", `(() => {
		const c = document.querySelector('#doc-panel .chunk.cited').getBoundingClientRect();
		const b = document.getElementById('doc-body');
		const v = b.getBoundingClientRect();
		return b.scrollTop > 0 && c.top >= v.top - 1 && c.bottom <= v.bottom + 1 &&
			c.top >= 0 && c.bottom <= window.innerHeight;
	})()`)
	p.shot(filepath.Join(t.TempDir(), "web-375-document.png"), true)
	if *screenshotPath != "" {
		p.shot(strings.TrimSuffix(*screenshotPath, ".png")+"-document.png", true)
	}
	p.do("close document",
		chromedp.Click(chromedp.ID("doc-close")),
		chromedp.WaitNotVisible(chromedp.ID("doc-panel")),
	)

	// Copy, then edit and copy again.
	copied := func(step string) string {
		t.Helper()
		p.do(step, chromedp.Click(chromedp.ID("copy")))
		p.waitFor(step, `document.getElementById('copy-status').textContent === '已复制'`)
		text, err := chromedp.Run(p.bctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		if err != nil {
			// Some headless builds have no readable clipboard: fall back to
			// what the page's copy code says it put there.
			t.Logf("%s: clipboard not readable (%v), checking window.__lastCopied", step, err)
			text = p.evalString(step, `window.__lastCopied`)
		}
		return text
	}
	if got := copied("copy"); got != testAnswer {
		t.Errorf("copied: got %q, want the draft %q", got, testAnswer)
	}
	const edited = "您好！小型微利企业所得减按50%计入应纳税所得额。\n该文件已过期，请以最新政策为准。"
	// Typing over the selection, as a person would, fires the input events
	// the page listens to.
	p.do("edit draft",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('draft').select()`),
		chromedp.SendKeys(chromedp.ID("draft"), edited),
	)
	if got := p.evalString("copy status after edit", `document.getElementById('copy-status').textContent`); got != "" {
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
	p.do("feedback",
		chromedp.SendKeys(chromedp.ID("staff-name"), "王芳"),
		chromedp.SendKeys(chromedp.ID("feedback-comment"), "引用正确"),
		chromedp.Click(chromedp.ID("feedback-good")),
	)
	p.waitFor("feedback", `document.getElementById('feedback-status').textContent.startsWith('已标记')`)
	// The mark is signed with the name the staff member gave.
	if got, want := f.marks(t), []markCall{{entries[0].ID, true, "[王芳] 引用正确"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("marks: got %v, want %v", got, want)
	}
	if got := p.evalString("staff name kept", `localStorage.getItem('policybot.staff.v1') || ''`); got != "王芳" {
		t.Errorf("staff name kept for the next visit: got %q, want 王芳", got)
	}

	// Regenerate the edited draft (which asks first), then restore the
	// edited draft from the recent list.
	p.acceptDialog.Store(true)
	p.do("regenerate", chromedp.Click(chromedp.ID("regenerate")))
	if d := p.expectDialog("regenerate"); d.Type != page.DialogTypeConfirm {
		t.Errorf("regenerate an edited draft: got a %s dialog, want a confirm", d.Type)
	}
	p.waitFor("regenerate", `document.querySelectorAll('#recent li button').length === 2`)
	if got := len(f.answerer.Calls()); got != 2 {
		t.Errorf("answerer calls after regenerate: got %d, want 2", got)
	}
	if got := p.evalString("draft after regenerate", `document.getElementById('draft').value`); got != testAnswer {
		t.Errorf("draft after regenerate: got %q, want a fresh answer", got)
	}
	p.do("restore", chromedp.Click(chromedp.CSS("#recent li:nth-child(2) button")))
	if got := p.evalString("restored draft", `document.getElementById('draft').value`); got != edited {
		t.Errorf("restored draft: got %q, want the edited %q", got, edited)
	}
	if !p.evalBool("restored draft fresh", jsFresh) {
		t.Errorf("restored draft: want it fresh and copyable, with its question back in the box")
	}

	// Nothing overflows the phone's width.
	if got := p.evalString("page width", `String(document.documentElement.scrollWidth)`); got != "375" {
		t.Errorf("page width at 375px: got %s, want 375 (no horizontal scrolling)", got)
	}
	p.shot(filepath.Join(t.TempDir(), "web-375.png"), false)
	if *screenshotPath != "" {
		p.shot(*screenshotPath, false)
		t.Logf("screenshot saved to %s", *screenshotPath)
	}
}

// TestBrowserStaleDraft checks that a draft which no longer answers the
// question in the boxes, or which a failed request left behind, is greyed,
// says so and cannot be copied; and that asking again makes it fresh.
func TestBrowserStaleDraft(t *testing.T) {
	f := newFixture(t, Options{}, false)
	p := f.browse(t, "", 375, 812)

	const q1 = "小微企业有什么税收优惠？"
	p.ask(q1,
		chromedp.WaitVisible(chromedp.CSS("#sources .source .cite")),
	)
	p.waitFor("fresh draft", jsFresh)

	// Editing the question makes the draft stale at once.
	p.do("edit question", chromedp.SendKeys(chromedp.ID("question"), "个体户呢？"))
	p.waitFor("stale after editing the question", jsStaleShown)
	if !p.evalBool("copy disabled", jsCopyDisabled) {
		t.Errorf("stale draft: the copy button is enabled")
	}
	if !p.evalBool("draft read-only", `document.getElementById('draft').readOnly`) {
		t.Errorf("stale draft: still editable")
	}
	if got := p.evalString("grey draft", `getComputedStyle(document.getElementById('draft')).color`); got != "rgb(140, 149, 159)" {
		t.Errorf("stale draft text colour: got %s, want grey rgb(140, 149, 159)", got)
	}
	// The question above the draft is still the one it answers.
	if got := p.evalString("asked question", `document.getElementById('asked-question').textContent`); got != q1 {
		t.Errorf("question above the stale draft: got %q, want %q", got, q1)
	}
	// Neither the button nor the keyboard copies it.
	p.do("click copy", chromedp.Evaluate[chromedp.Void](`document.getElementById('copy').click()`))
	if got := p.evalString("copied", `String(window.__lastCopied)`); got != "undefined" {
		t.Errorf("stale draft: copied %q", got)
	}
	if p.evalBool("copy event", `(() => {
		const d = document.getElementById('draft');
		d.focus(); d.select();
		return d.dispatchEvent(new ClipboardEvent('copy', {bubbles: true, cancelable: true}));
	})()`) {
		t.Errorf("stale draft: a copy by keyboard was let through")
	}
	if got := p.evalString("copy status", `document.getElementById('copy-status').textContent`); !strings.Contains(got, "已过期") {
		t.Errorf("copy status after copying a stale draft: got %q, want it to say the draft is stale", got)
	}

	// Ask again (the draft's own regenerate button asks what the boxes
	// hold): fresh, for the edited question.
	p.do("regenerate edited question", chromedp.Click(chromedp.ID("regenerate")))
	p.waitFor("fresh after asking again", jsFresh+` && document.getElementById('asked-question').textContent === '`+q1+`个体户呢？'`)
	if calls := f.answerer.Calls(); len(calls) != 2 || calls[1].Question != q1+"个体户呢？" {
		t.Errorf("answerer calls: got %v, want the edited question asked second", calls)
	}
	p.noDialog("regenerate for an edited question")

	// The history box counts too.
	p.do("edit history",
		chromedp.Click(chromedp.CSS("details.history-box summary")),
		chromedp.SendKeys(chromedp.ID("history"), "我们是一家小微企业"),
	)
	p.waitFor("stale after editing the history", jsStaleShown)
	p.do("ask with history", chromedp.Click(chromedp.ID("ask")))
	p.waitFor("fresh after asking with history", jsFresh+
		` && document.getElementById('asked-history-count').textContent === '含之前的消息 1 条'`)

	// A failed request leaves the old draft stale, even for the same
	// question, and the error shows.
	f.answerer.set(func(f *fakeAnswerer) { f.err = errors.New("chat completion: 500") })
	p.allowLogError("status of 502")
	old := p.evalString("draft before failure", `document.getElementById('draft').value`)
	p.do("failing regenerate", chromedp.Click(chromedp.ID("regenerate")))
	p.waitFor("failure shown", jsIdle+` && document.getElementById('status').textContent === '`+msgAnswerFailed+`'`)
	p.waitFor("stale after a failure", jsStaleShown)
	if !p.evalBool("copy disabled after failure", jsCopyDisabled) {
		t.Errorf("draft after a failed request: the copy button is enabled")
	}
	if got := p.evalString("banner", `document.getElementById('stale-text').textContent`); !strings.Contains(got, "生成失败") {
		t.Errorf("banner after a failure: got %q, want it to say generating failed", got)
	}
	if got := p.evalString("draft after failure", `document.getElementById('draft').value`); got != old {
		t.Errorf("draft after failure: got %q, want the old one, greyed", got)
	}
	if dir := os.Getenv(screenshotEnv); dir != "" {
		p.do("scroll to draft", chromedp.Evaluate[chromedp.Void](
			`document.getElementById('draft-pane').scrollIntoView({block: 'start'})`))
		p.shot(filepath.Join(dir, "console-375-failed.png"), true)
	}

	// Once the answerer works again, asking again makes it fresh.
	f.answerer.set(func(f *fakeAnswerer) { f.err = nil })
	p.do("regenerate after failure", chromedp.Click(chromedp.ID("regenerate")))
	p.waitFor("fresh after a good answer", jsIdle+` && `+jsFresh)
	p.noDialog("regenerate after failure")
}

// TestBrowserFailedRequestStale checks each kind of failed request: the
// draft it leaves on screen is stale and cannot be copied.
func TestBrowserFailedRequestStale(t *testing.T) {
	frozen := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		opts   Options
		fail   func(f *fakeAnswerer)
		status string // of the failed load, in the browser log
		msg    string
	}{
		{
			name:   "upstream error",
			fail:   func(f *fakeAnswerer) { f.err = errors.New("chat completion: 401") },
			status: "502",
			msg:    msgAnswerFailed,
		},
		{
			name:   "timeout",
			opts:   Options{Timeout: 300 * time.Millisecond},
			fail:   func(f *fakeAnswerer) { f.block = true },
			status: "504",
			msg:    msgTimeout,
		},
		{
			// Six a minute is a burst of one: on a clock that stands
			// still, the second request is refused.
			name:   "rate limit",
			opts:   Options{RatePerMinute: 6, Now: func() time.Time { return frozen }},
			fail:   func(f *fakeAnswerer) {},
			status: "429",
			msg:    msgRate,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts, false)
			p := f.browse(t, "", 375, 812)
			p.allowLogError("status of " + tt.status)
			p.ask("小微企业有什么税收优惠？")
			p.waitFor("fresh draft", jsIdle+` && `+jsFresh)
			f.answerer.set(tt.fail)
			p.do("failing request", chromedp.Click(chromedp.ID("regenerate")))
			p.waitFor("failure shown", jsIdle+` && document.getElementById('status').textContent === '`+tt.msg+`'`)
			p.waitFor("stale", jsStaleShown)
			if !p.evalBool("copy", jsCopyDisabled) {
				t.Errorf("after a %s: the old draft is copyable", tt.name)
			}
		})
	}
}

// TestBrowserRegenerateConfirm checks that regenerating a draft the staff
// edited asks first, and that one without edits just regenerates.
func TestBrowserRegenerateConfirm(t *testing.T) {
	f := newFixture(t, Options{}, false)
	p := f.browse(t, "", 1280, 900)

	p.ask("小微企业有什么税收优惠？")
	p.waitFor("answer", jsIdle+` && `+jsFresh)

	// No edits: no question, a new draft.
	p.do("regenerate unedited", chromedp.Click(chromedp.ID("regenerate")))
	p.waitFor("regenerated", jsIdle+` && document.querySelectorAll('#recent li button').length === 2`)
	p.noDialog("regenerate unedited")
	if n := len(f.answerer.Calls()); n != 2 {
		t.Errorf("answerer calls: got %d, want 2", n)
	}

	// Edits, then cancel: nothing is asked, the edits stay.
	const edit = "（已核对）"
	p.do("edit draft", chromedp.SendKeys(chromedp.ID("draft"), edit))
	p.acceptDialog.Store(false)
	p.do("regenerate, cancel", chromedp.Click(chromedp.ID("regenerate")))
	d := p.expectDialog("regenerate, cancel")
	if d.Type != page.DialogTypeConfirm || d.Message != "重新生成会丢弃您对草稿的修改，确定吗？" {
		t.Errorf("dialog: got %s %q, want the confirm about discarding edits", d.Type, d.Message)
	}
	p.waitFor("cancelled", jsIdle)
	if n := len(f.answerer.Calls()); n != 2 {
		t.Errorf("answerer calls after cancelling: got %d, want still 2", n)
	}
	if got := p.evalString("draft", `document.getElementById('draft').value`); got != testAnswer+edit {
		t.Errorf("draft after cancelling: got %q, want the edits kept", got)
	}
	if !p.evalBool("fresh", jsFresh) {
		t.Errorf("draft after cancelling: want it still fresh and copyable")
	}

	// Edits, then accept: a new draft replaces them.
	p.acceptDialog.Store(true)
	p.do("regenerate, accept", chromedp.Click(chromedp.ID("regenerate")))
	if d := p.expectDialog("regenerate, accept"); d.Message != "重新生成会丢弃您对草稿的修改，确定吗？" {
		t.Errorf("dialog: got %q", d.Message)
	}
	p.waitFor("new draft", jsIdle+` && document.querySelectorAll('#recent li button').length === 3`)
	if n := len(f.answerer.Calls()); n != 3 {
		t.Errorf("answerer calls after accepting: got %d, want 3", n)
	}
	if got := p.evalString("draft", `document.getElementById('draft').value`); got != testAnswer {
		t.Errorf("draft after accepting: got %q, want a fresh answer", got)
	}

	// Ctrl+Enter in the question box is the same request: it asks too.
	p.do("edit draft again", chromedp.SendKeys(chromedp.ID("draft"), edit))
	p.acceptDialog.Store(false)
	p.do("ctrl+enter", chromedp.Evaluate[chromedp.Void](`document.getElementById('question').dispatchEvent(
		new KeyboardEvent('keydown', {key: 'Enter', ctrlKey: true, bubbles: true, cancelable: true}))`))
	p.expectDialog("ctrl+enter")
	if n := len(f.answerer.Calls()); n != 3 {
		t.Errorf("answerer calls after cancelling ctrl+enter: got %d, want 3", n)
	}
}

// richAnswer is a laid-out answer with one citation of each validity.
func richAnswer() answer.Result {
	cite := func(n int, title, docNo, clause, issued, text string, v corpus.Validity) answer.Citation {
		return answer.Citation{
			N: n, DocID: testDocID, Title: title, DocNo: docNo, Clause: clause, Issued: issued,
			Expired: v.Status == corpus.StatusExpired, Validity: v, Text: text, ChunkID: "c26",
		}
	}
	r := answer.Result{
		Found: true, Query: "小微企业 所得税 优惠",
		Lead: "符合条件的小型微利企业，年应纳税所得额不超过300万元的部分，减按25%计入应纳税所得额，按20%的税率缴纳企业所得税[2]。",
		Body: "根据现行政策，小型微利企业年应纳税所得额不超过300万元的部分，减按25%计入应纳税所得额，按20%的税率缴纳企业所得税[2]。" +
			"本省此前的扶持措施曾规定，对年应纳税所得额低于100万元的小型微利企业，其所得减按50%计入应纳税所得额[1]，该措施已经到期。\n\n" +
			"享受优惠无需审批，企业在预缴和汇算清缴时通过填报申报表即可享受[3]。" +
			"此外，小微企业吸纳就业困难人员的，可按规定申请社会保险补贴[4]，具体以当地人力资源社会保障部门的规定为准。",
		Citations: []answer.Citation{
			cite(1, "关于进一步支持小微企业发展的若干措施", "冀政办字〔2018〕12号", "第二条", "2018-03-15", citedText,
				corpus.Validity{Status: corpus.StatusExpired, Until: "2020-12-31"}),
			cite(2, "关于进一步支持小微企业和个体工商户发展有关税费政策的公告", "财政部 税务总局公告2023年第12号", "第三条", "2023-08-02",
				"对小型微利企业减按25%计算应纳税所得额，按20%的税率缴纳企业所得税政策，延续执行至2027年12月31日。",
				corpus.Validity{Status: corpus.StatusInForce, Until: "2027-12-31",
					Because: "《关于进一步支持小微企业和个体工商户发展有关税费政策的公告》（财政部 税务总局公告2023年第12号）"}),
			cite(3, "小微企业税收优惠办理指南", "", "第五条", "2019-06-01",
				"小型微利企业在预缴和汇算清缴企业所得税时，通过填报企业所得税纳税申报表即可享受优惠政策。",
				corpus.Validity{Status: corpus.StatusUnstated}),
			cite(4, "关于印发小微企业就业扶持办法的通知", "", "第七条", "2019-02-01",
				"小微企业吸纳就业困难人员并缴纳社会保险费的，按规定给予社会保险补贴。",
				corpus.Validity{Status: corpus.StatusExpired, Until: "2021-12-31",
					Because: "《关于实施小微企业普惠性税收减免政策的通知》（财税〔2019〕13号）", Restates: true}),
		},
		Validity: []string{
			"[1]该文件执行期限已于2020年12月31日结束，请以现行政策为准。",
			"[4]条款与财税〔2019〕13号所载措施相同，该文件执行期限已于2021年12月31日结束。",
		},
	}
	r.Text = r.Lead + "\n" +
		"时效：[1]已于2020年12月31日失效；[2]有效至2027年12月31日（依财政部 税务总局公告2023年第12号）；" +
		"[3]未写明期限，请确认是否仍有效；[4]已于2021年12月31日失效（依财税〔2019〕13号）\n" +
		"来源：[1]《关于进一步支持小微企业发展的若干措施》（冀政办字〔2018〕12号）第二条，2018年3月15日发布；" +
		"[2]《关于进一步支持小微企业和个体工商户发展有关税费政策的公告》（财政部 税务总局公告2023年第12号）第三条，2023年8月2日发布；" +
		"[3]《小微企业税收优惠办理指南》第五条，2019年6月1日发布；[4]《关于印发小微企业就业扶持办法的通知》第七条，2019年2月1日发布\n\n" +
		r.Body + "\n\n时效提示：\n" + strings.Join(r.Validity, "\n")
	return r
}

// TestBrowserValidityBadges checks the badge beside each source, per
// validity status, and what it rests on.
func TestBrowserValidityBadges(t *testing.T) {
	f := newFixture(t, Options{}, false)
	f.answerer.answer = richAnswer()
	p := f.browse(t, "", 1280, 900)

	p.ask("小微企业所得税有什么优惠？")
	p.waitFor("answer", jsIdle+` && document.querySelectorAll('#sources .source').length === 4`)

	type badge struct {
		Class, Text, Colour, Background, Because, Detail string
	}
	read := func() []badge {
		t.Helper()
		var out []badge
		count, err := chromedp.Run(p.bctx, chromedp.Evaluate[int](`document.querySelectorAll('#sources .source').length`))
		p.must("count sources", err)
		for i := range count {
			q := fmt.Sprintf(`document.querySelectorAll('#sources .source')[%d]`, i)
			var b badge
			b.Class = p.evalString("class", q+`.querySelector('.badge') ? `+q+`.querySelector('.badge').className : ''`)
			if b.Class != "" {
				b.Text = p.evalString("text", q+`.querySelector('.badge').textContent`)
				b.Colour = p.evalString("colour", `getComputedStyle(`+q+`.querySelector('.badge')).color`)
				b.Background = p.evalString("background", `getComputedStyle(`+q+`.querySelector('.badge')).backgroundColor`)
			}
			b.Because = p.evalString("because", `(`+q+`.querySelector('.because') || {textContent: ''}).textContent`)
			b.Detail = p.evalString("detail", `(`+q+`.querySelector('.validity-detail') || {textContent: ''}).textContent`)
			out = append(out, b)
		}
		return out
	}
	const (
		white   = "rgb(255, 255, 255)"
		red     = "rgb(198, 40, 40)"
		green   = "rgb(26, 127, 55)"
		paleGrn = "rgb(230, 244, 234)"
		amber   = "rgb(138, 83, 0)"
		paleAmb = "rgb(255, 244, 214)"
	)
	want := []badge{
		{"badge expired", "已失效", white, red, "", "期限至2020年12月31日"},
		{"badge in-force", "有效至2027年12月31日", green, paleGrn, "依财政部 税务总局公告2023年第12号", ""},
		{"badge unstated", "未写明期限", amber, paleAmb, "", "请确认是否仍有效"},
		{"badge expired", "已失效", white, red, "依财税〔2019〕13号（本条与其所载措施相同）", "期限至2021年12月31日"},
	}
	if got := read(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("badges:\n got %+v\nwant %+v", got, want)
	}
	// The badge is beside its source: on the line under the citation.
	if !p.evalBool("badge beside source", `[...document.querySelectorAll('#sources .source')].every(li => {
		const c = li.querySelector('.cite').getBoundingClientRect(), b = li.querySelector('.badge').getBoundingClientRect();
		return b.top >= c.top && b.top - c.bottom < 12 && b.left >= c.left - 1;
	})`) {
		t.Errorf("badges: want each right under its citation")
	}

	// again asks for a draft whose citations have these validities, and
	// checks their badges.
	again := func(name string, vs []corpus.Validity, want []badge) {
		t.Helper()
		f.answerer.set(func(f *fakeAnswerer) {
			a := richAnswer()
			a.Citations = a.Citations[:len(vs)]
			for i, v := range vs {
				a.Citations[i].Validity = v
			}
			f.answer = a
		})
		p.do(name, chromedp.Click(chromedp.ID("regenerate")))
		p.waitFor("answer", jsIdle+fmt.Sprintf(` && document.querySelectorAll('#sources .source').length === %d`, len(vs)))
		if got := read(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s, badges:\n got %+v\nwant %+v", name, got, want)
		}
	}
	// A period the clause states, a draft kept from before validity was
	// sent (only the expired flag), a period yet to begin, and one another
	// document extended.
	again("ask again", []corpus.Validity{
		{},
		{Status: corpus.StatusInForce, Until: "2026-06-30", Because: corpus.BecauseClause},
		{Status: corpus.StatusInForce, Until: "2026-12-31", EndsSoon: true},
		{Status: corpus.StatusInForce, Until: "2029-12-31", Starts: "2027-01-01"},
	}, []badge{
		{"badge expired", "已失效", white, red, "", ""},
		{"badge in-force", "有效至2026年6月30日", green, paleGrn, "依本条所述期限", ""},
		{"badge ends-soon", "有效至2026年12月31日，即将到期", amber, paleAmb, "", ""},
		{"badge not-yet", "2027年1月1日起施行，有效至2029年12月31日", amber, paleAmb, "", "尚未生效"},
	})
	again("ask once more", []corpus.Validity{
		{Status: corpus.StatusInForce, Until: "2027-12-31", Because: "《关于延长部分税收优惠政策执行期限的公告》（财政部 税务总局公告2025年第6号）", Extended: true},
	}, []badge{
		{"badge in-force", "有效至2027年12月31日", green, paleGrn, "经财政部 税务总局公告2025年第6号延长", ""},
	})
	// Repealed by another document, the whole of it or the clause's
	// article, and an article another rewrote.
	const by = "《某省财政厅关于印发〈某省风险补偿资金管理办法〉的通知》（某财企〔2024〕5号）"
	again("ask a third time", []corpus.Validity{
		{Status: corpus.StatusExpired, Until: "2024-04-01", Because: by, Repealed: true},
		{Status: corpus.StatusExpired, Until: "2024-04-01", Because: by, Repealed: true, Part: "第七条"},
		{Status: corpus.StatusExpired, Until: "2024-04-01", Because: by, Amended: true, Part: "第五条"},
	}, []badge{
		{"badge expired", "已废止", white, red, "由某财企〔2024〕5号废止", "自2024年4月1日起"},
		{"badge expired", "本条已废止", white, red, "由某财企〔2024〕5号废止", "自2024年4月1日起"},
		{"badge expired", "本条已修改", white, red, "由某财企〔2024〕5号修改", "自2024年4月1日起"},
	})
}

// TestBrowserLayout checks the page at desktop and phone width with a long
// answer: the draft shows all of its text, the feedback buttons stay in
// view, nothing overflows; and saves screenshots of the fresh and the
// stale draft.
func TestBrowserLayout(t *testing.T) {
	dir := os.Getenv(screenshotEnv)
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct{ w, h int64 }{{1280, 900}, {375, 812}} {
		t.Run(fmt.Sprint(size.w), func(t *testing.T) {
			f := newFixture(t, Options{}, false)
			f.answerer.answer = richAnswer()
			p := f.browse(t, "", size.w, size.h)
			name := func(suffix string) string {
				return filepath.Join(dir, fmt.Sprintf("console-%d%s.png", size.w, suffix))
			}

			p.do("ask",
				chromedp.SendKeys(chromedp.ID("question"), "我们是小微企业，企业所得税有什么优惠？"),
				chromedp.Click(chromedp.CSS("details.history-box summary")),
				chromedp.SendKeys(chromedp.ID("history"), "你好\n我们公司去年应纳税所得额200万元"),
				chromedp.Click(chromedp.ID("ask")),
			)
			p.waitFor("answer", jsIdle+` && `+jsFresh+` && document.querySelectorAll('#sources .source').length === 4`)
			if got := p.evalString("draft", `document.getElementById('draft').value`); got != richAnswer().Text {
				t.Errorf("draft: got %q, want the whole answer", got)
			}
			if !p.evalBool("draft fits", jsDraftFits) {
				t.Errorf("draft at %dpx: scrolls inside (%s)", size.w, p.evalString("sizes",
					`(() => { const d = document.getElementById('draft'); return d.scrollHeight + ' > ' + d.clientHeight; })()`))
			}
			// The question and its history count sit right above the draft.
			if !p.evalBool("question above draft", `(() => {
				const a = document.getElementById('asked').getBoundingClientRect();
				const d = document.getElementById('draft').getBoundingClientRect();
				return a.height > 0 && a.bottom <= d.top && d.top - a.bottom < 24;
			})()`) {
				t.Errorf("the question is not right above the draft")
			}
			if got := p.evalString("history count", `document.getElementById('asked-history-count').textContent`); got != "含之前的消息 2 条" {
				t.Errorf("history count: got %q", got)
			}
			if got := p.evalString("page width", `String(document.documentElement.scrollWidth)`); got != fmt.Sprint(size.w) {
				t.Errorf("page width at %dpx: got %s (horizontal scrolling)", size.w, got)
			}
			// On a phone the page scrolls to the draft; wait until it has.
			if size.w < 700 {
				p.waitFor("scrolled to draft", `Math.abs(document.getElementById('draft-pane').getBoundingClientRect().top) < 2`)
			}
			// The feedback buttons are on screen, at the top of the draft
			// and at the end of the text alike.
			inView := `(() => {
				const ok = id => { const r = document.getElementById(id).getBoundingClientRect();
					return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; };
				return ok('feedback-good') && ok('feedback-bad') && ok('feedback-comment');
			})()`
			if !p.evalBool("feedback in view", inView) {
				t.Errorf("feedback buttons out of view at the top of the draft at %dpx", size.w)
			}
			p.shot(name(""), true)
			p.shot(name("-full"), false)
			p.do("scroll to the end of the draft", chromedp.Evaluate[chromedp.Void](
				`document.getElementById('draft').scrollIntoView({block: 'end'})`))
			if !p.evalBool("feedback in view", inView) {
				t.Errorf("feedback buttons out of view at the end of the draft at %dpx", size.w)
			}
			p.do("scroll back", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))

			// More text: the draft grows with it.
			p.do("lengthen the draft", chromedp.SendKeys(chromedp.ID("draft"), strings.Repeat("\n补充说明：以主管税务机关答复为准。", 8)))
			if !p.evalBool("draft fits after typing", jsDraftFits) {
				t.Errorf("draft at %dpx after typing: scrolls inside", size.w)
			}

			// The stale draft, as staff see it after editing the question.
			p.do("edit question", chromedp.SendKeys(chromedp.ID("question"), "个体工商户呢？"))
			p.waitFor("stale", jsStaleShown)
			p.do("scroll to draft", chromedp.Evaluate[chromedp.Void](
				`document.getElementById('draft-pane').scrollIntoView({block: 'start'})`))
			p.shot(name("-stale"), true)
			t.Logf("screenshots saved in %s", dir)
		})
	}
}

// TestBrowserDocumentChanges: the document view says, beside the period,
// what other documents did to the document: an article repealed, its
// period extended, and a later version of it.
func TestBrowserDocumentChanges(t *testing.T) {
	d := testDoc()
	d.PartsChanged = []corpus.PartChange{{Part: "第二条", By: "《某省财政厅关于调整若干措施的通知》（某财〔2024〕5号）", On: "2024-04-01"}}
	d.ExtendedBy, d.ExtendedTo = "《关于延长若干措施执行期限的通知》（某财〔2025〕2号）", "2027-12-31"
	d.Newer, d.NewerIssued = "《关于进一步支持小微企业发展的若干措施》（某政办〔2025〕1号）", "2025-06-01"
	f := newFixture(t, Options{}, false)
	f.library.docs = []corpus.Document{d}

	w := f.do(t, request{path: "/api/documents/" + testDocID})
	got := decodeBody[docDetail](t, w)
	want := []partJSON{{Part: "第二条", By: d.PartsChanged[0].By, On: "2024-04-01"}}
	if !reflect.DeepEqual(got.PartsChanged, want) || got.Newer != d.Newer || got.NewerIssued != d.NewerIssued || got.RepealedBy != "" ||
		got.ExtendedBy != d.ExtendedBy || got.ExtendedTo != d.ExtendedTo {
		t.Errorf("document: got %+v, want its changed part and newer version", got.docMeta)
	}

	p := f.browse(t, "", 1280, 900)
	p.ask("小微企业有什么税收优惠？",
		chromedp.WaitVisible(chromedp.CSS("#sources .source .cite")),
	)
	p.do("open citation",
		chromedp.Click(chromedp.CSS("#sources .cite"), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS("#doc-panel .chunk.cited")),
	)
	meta := p.evalString("document meta", `document.getElementById('doc-meta').textContent`)
	for _, w := range []string{"第二条已被某财〔2024〕5号废止（2024-04-01起）", "经某财〔2025〕2号延长至 2027-12-31", "另有较新同名文件 某政办〔2025〕1号（2025-06-01）"} {
		if !strings.Contains(meta, w) {
			t.Errorf("document meta %q lacks %q", meta, w)
		}
	}
}

// browse serves the fixture's console on loopback for the length of the
// test and opens it in a browser of the given size.
func (f *fixture) browse(t *testing.T, token string, width, height int64) *browserPage {
	t.Helper()
	ts := httptest.NewServer(f.srv)
	t.Cleanup(ts.Close)
	return newBrowserPage(t, ts, token, width, height)
}

// ask types a question into the console and sends it, then runs then
// (a wait for what the draft should show).
func (p *browserPage) ask(question string, then ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	p.do("ask", append([]chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.ID("question"), question),
		chromedp.Click(chromedp.ID("ask")),
	}, then...)...)
}
