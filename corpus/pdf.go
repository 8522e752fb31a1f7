package corpus

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/klippa-app/go-pdfium"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/responses"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// PDFs are read by PDFium, Chrome's PDF engine, compiled to WebAssembly
// and run by wazero: pure Go, no cgo and no external program, and it maps
// the embedded CJK fonts (Identity-H with ToUnicode maps) that pure-Go
// parsers turn into garbage.
const (
	// pdfMaxPages bounds the pages read: a policy document has tens,
	// a compilation a few hundred.
	pdfMaxPages = 2000
	// pdfMemoryPages caps each PDFium instance's memory (64 KiB pages:
	// 512 MiB), so a hostile file cannot take the machine's.
	pdfMemoryPages = 8192
	// pdfInstances is how many documents are read at once.
	pdfInstances = 2
)

// pdfTimeout and pdfPageTime bound one document: 30 s plus 200 ms a
// page. A notice takes tens of milliseconds, a page about 20; a file
// that takes this long is pathological. (Variables so a test can shorten
// them.)
var (
	pdfTimeout  = 30 * time.Second
	pdfPageTime = 200 * time.Millisecond
)

// pdfCacheDir is where the compiled PDFium module is kept between runs:
// compiling it takes seconds, loading the compiled code well under one.
// "" compiles every run; nil (the default) uses the user's cache
// directory. The loader may point it into the data directory before the
// first PDF is read.
var pdfCacheDir *string

var pdfState struct {
	once sync.Once
	pool pdfium.Pool
	err  error
}

// pdfPool starts PDFium on the first PDF, not at start-up: most corpora
// have none, and compiling the module costs seconds. (A function, not a
// package-level initializer, so a binary that never reads a PDF does not
// link PDFium at all.)
func pdfPool() (pdfium.Pool, error) {
	pdfState.once.Do(func() {
		rc := wazero.NewRuntimeConfig().
			// The module lowers setjmp/longjmp to exception handling.
			WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
			// Cancelling a worker's context stops a runaway call.
			WithCloseOnContextDone(true).
			WithMemoryLimitPages(pdfMemoryPages)
		dir := ""
		if pdfCacheDir != nil {
			dir = *pdfCacheDir
		} else if d, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(d, "policybot", "pdfium")
		}
		if dir != "" {
			if cache, err := wazero.NewCompilationCacheWithDir(dir); err == nil {
				rc = rc.WithCompilationCache(cache)
			}
		}
		pdfState.pool, pdfState.err = webassembly.Init(webassembly.Config{
			MaxIdle:  pdfInstances,
			MaxTotal: pdfInstances,
			// An empty file system: documents are passed as bytes, and a
			// hostile file must not reach the disk (the default mounts /).
			FSConfig:      wazero.NewFSConfig(),
			RuntimeConfig: rc,
			Stdout:        io.Discard,
			Stderr:        io.Discard,
			// A fresh instance per document (instantiating the compiled
			// module takes milliseconds), so no state a damaged file left
			// behind carries over to the next.
			ReuseWorkers: false,
		})
	})
	return pdfState.pool, pdfState.err
}

// readPDF returns the text layer of a PDF, its wrapped lines joined back
// into paragraphs. A PDF with no text (a scan) gives ErrNoText, one that
// needs a password ErrEncrypted. Reading stops at ctx's end or after
// pdfTimeout plus pdfPageTime a page.
func readPDF(ctx context.Context, data []byte) (string, error) {
	if !bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		return "", fmt.Errorf("%w: not a pdf: it has no %%PDF- header%s", ErrDamaged, formatHint(data))
	}
	// Starting PDFium (compiling it, on a first run) is not this
	// document's time: it happens once, and under the race detector on
	// a busy machine it alone can take longer than pdfTimeout.
	pool, err := pdfPool()
	if err != nil {
		return "", fmt.Errorf("pdf: starting the PDF reader: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("pdf: reading stopped: %w", err)
	}
	// The wait for a free instance is the caller's; the time limit is
	// the document's own.
	inst, err := pool.GetInstanceWithContext(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("pdf: reading stopped: %w", ctx.Err())
		}
		return "", fmt.Errorf("pdf: waiting for a PDF reader: %w", err)
	}
	// At the end of the caller's context or of the document's time the
	// instance is killed, which ends a call in flight; otherwise it is
	// closed and its memory freed.
	var timedOut atomic.Bool
	var limit atomic.Int64
	limit.Store(int64(pdfTimeout))
	timer := time.AfterFunc(pdfTimeout, func() {
		timedOut.Store(true)
		_ = inst.Kill()
	})
	stopParent := context.AfterFunc(ctx, func() { _ = inst.Kill() })
	defer func() {
		if t, p := timer.Stop(), stopParent(); t && p {
			_ = inst.Close()
		}
	}()
	// Once the pages are counted, a long document gets time by its length.
	budget := func(pages int) {
		d := pdfTimeout + time.Duration(pages)*pdfPageTime
		limit.Store(int64(d))
		timer.Reset(d)
	}
	pages, err := pdfPages(inst, data, budget)
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("pdf: reading stopped: %w", ctx.Err())
	case timedOut.Load():
		return "", fmt.Errorf("%w: pdf: reading took longer than %s (%w)", ErrDamaged, time.Duration(limit.Load()), context.DeadlineExceeded)
	case err != nil:
		return "", err
	}
	return pdfText(pages)
}

// pdfLine is one line of text on a page, in points from the page's
// bottom left.
type pdfLine struct {
	page                     int
	left, right, top, bottom float64
	text                     string
}

func (l pdfLine) height() float64 { return l.top - l.bottom }

// pdfPages opens the document and returns each page's lines, top to
// bottom.
func pdfPages(inst pdfium.Pdfium, data []byte, budget func(pages int)) ([][]pdfLine, error) {
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		switch {
		case errors.Is(err, pdfiumerrors.ErrPassword):
			return nil, fmt.Errorf("%w: pdf needs a password to open", ErrEncrypted)
		case errors.Is(err, pdfiumerrors.ErrSecurity):
			return nil, fmt.Errorf("%w: pdf uses an unsupported encryption", ErrEncrypted)
		}
		return nil, fmt.Errorf("%w: pdf cannot be opened, it is truncated or corrupt (%w)", ErrDamaged, err)
	}
	defer func() {
		_, _ = inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	}()
	count, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return nil, fmt.Errorf("%w: pdf: counting pages: %w", ErrDamaged, err)
	}
	if count.PageCount > pdfMaxPages {
		return nil, fmt.Errorf("%w: pdf has %d pages; over %d are not read", ErrUnsupported, count.PageCount, pdfMaxPages)
	}
	budget(count.PageCount)
	var pages [][]pdfLine
	for i := range count.PageCount {
		st, err := inst.GetPageTextStructured(&requests.GetPageTextStructured{
			Page: requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: i}},
			Mode: requests.GetPageTextStructuredModeRects,
		})
		if err != nil {
			return nil, fmt.Errorf("%w: pdf: reading page %d: %w", ErrDamaged, i+1, err)
		}
		pages = append(pages, pdfPageLines(i, st.Rects))
	}
	return pages, nil
}

// pdfPageLines gathers a page's text runs into lines, read left to right;
// lines are sorted top to bottom, since government documents are set in
// one column. Runs that share most of their height are on one line (a 文号's
// digits are often set in another font, so another run). A run much
// shorter than the page's characters (一, or punctuation set low: 、，。)
// has a box too small to share a line's height; it joins the line its
// middle lies within, or just below, as its glyph sits on the baseline.
func pdfPageLines(page int, rects []*responses.GetPageTextStructuredRect) []pdfLine {
	type run struct {
		left, right, top, bottom float64
		text                     string
	}
	var runs []run
	var heights []float64
	for _, r := range rects {
		if r == nil || strings.TrimSpace(r.Text) == "" && !strings.ContainsRune(r.Text, '\u3000') {
			continue
		}
		p := r.PointPosition
		ru := run{left: p.Left, right: p.Right, top: max(p.Top, p.Bottom), bottom: min(p.Top, p.Bottom), text: r.Text}
		runs = append(runs, ru)
		heights = append(heights, ru.top-ru.bottom)
	}
	slices.Sort(heights)
	var h float64 // the page's commonest character height, about
	if len(heights) > 0 {
		h = heights[len(heights)/2]
	}
	small := func(ru run) bool { return ru.top-ru.bottom < 0.6*h }
	type line struct {
		runs        []run
		top, bottom float64 // of its runs of full height, or its first
	}
	var lines []*line
	// The full runs first, by the height they share; then each small
	// one, to the line whose middle is nearest among those it sits in
	// or just below; small runs no line takes make lines of their own.
	var smalls []run
	for _, ru := range runs {
		if small(ru) {
			smalls = append(smalls, ru)
			continue
		}
		placed := false
		for _, l := range lines {
			if overlap := min(l.top, ru.top) - max(l.bottom, ru.bottom); overlap > 0.6*min(l.top-l.bottom, ru.top-ru.bottom) {
				l.runs = append(l.runs, ru)
				l.top, l.bottom = max(l.top, ru.top), min(l.bottom, ru.bottom)
				placed = true
				break
			}
		}
		if !placed {
			lines = append(lines, &line{runs: []run{ru}, top: ru.top, bottom: ru.bottom})
		}
	}
	full := len(lines)
	for _, ru := range smalls {
		mid := (ru.top + ru.bottom) / 2
		var at *line
		best := math.Inf(1)
		for k, l := range lines {
			lh := max(l.top-l.bottom, h)
			if k >= full {
				// A line of small runs only: by their middles.
				lh = h
			}
			if mid < l.bottom-0.35*lh || mid > l.top+0.1*lh {
				continue
			}
			if d := math.Abs(mid - (l.top+l.bottom)/2); d < best {
				at, best = l, d
			}
		}
		if at == nil {
			lines = append(lines, &line{runs: []run{ru}, top: ru.top, bottom: ru.bottom})
			continue
		}
		at.runs = append(at.runs, ru)
	}
	out := make([]pdfLine, 0, len(lines))
	for _, ln := range lines {
		l := ln.runs
		slices.SortStableFunc(l, func(a, b run) int { return cmp.Compare(a.left, b.left) })
		pl := pdfLine{page: page, left: l[0].left, right: l[0].right, top: ln.top, bottom: ln.bottom}
		var b strings.Builder
		for i, ru := range l {
			if i > 0 {
				// A gap of half a character or more is a space between
				// words or table cells; CJK runs touch. Full-width
				// punctuation's box is narrower than the room it takes.
				gap := ru.left - l[i-1].right
				need := 0.5 * max(ru.top-ru.bottom, l[i-1].top-l[i-1].bottom, h)
				if pdfPunct(l[i-1].text) || pdfPunct(ru.text) {
					need = 1.2 * max(h, ln.top-ln.bottom)
				}
				if gap > need {
					b.WriteByte(' ')
				}
			}
			b.WriteString(ru.text)
			pl.right = max(pl.right, ru.right)
		}
		pl.text = b.String()
		out = append(out, pl)
	}
	slices.SortStableFunc(out, func(a, b pdfLine) int { return cmp.Compare(b.top, a.top) })
	return out
}

// pdfPunct says whether a run is full-width punctuation alone, whose box
// is narrower than the room it takes.
func pdfPunct(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && strings.Trim(s, "、，。；：？！（）《》“”‘’〔〕【】…—") == ""
}

// pdfPageNumberRe matches the page numbers government documents print
// (— 1 —, - 2 -, 第3页, 3/10), which are not part of the text.
var pdfPageNumberRe = regexp.MustCompile(`^(?:[—－\-]\s*\d+\s*[—－\-]|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|\d+)$`)

// pdfClauseRe matches a line that opens a clause or a division; such a
// line starts a paragraph even when it is not indented.
var pdfClauseRe = regexp.MustCompile(`^(?:第[一二三四五六七八九十百零]+[章节条]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|[0-9０-９]{1,2}[.．、][^0-9０-９]|[（(][0-9０-９]{1,2}[）)]|附件)`)

// pdfText joins the lines of all pages into paragraphs. PDF has lines,
// not paragraphs: a clause is broken wherever the line was full, and the
// chunker needs it whole. A line is continued by the next when it runs to
// the right margin and the next starts at the left margin without an
// indent or a clause number; a title broken over centred lines of one
// size is joined too. The signature and date, set right, stay lines of
// their own. Page numbers and a book's running heads and feet are not
// text, and go.
func pdfText(pages [][]pdfLine) (string, error) {
	var lines []pdfLine
	chars := 0
	bodies := make([][]pdfLine, len(pages))
	for i, p := range pages {
		bodies[i] = pdfBody(p)
	}
	running := pdfRunningLines(bodies)
	for _, p := range bodies {
		for k, l := range p {
			if (k == 0 || k == len(p)-1) && running[runningKey(l.text)] {
				continue
			}
			lines = append(lines, l)
			chars += utf8.RuneCountInString(strings.TrimSpace(l.text))
		}
	}
	if chars == 0 {
		return "", fmt.Errorf("%w: pdf has no text layer: its %d page(s) are images (a scan needs OCR first)", ErrNoText, len(pages))
	}
	left, right := pdfMargins(lines)
	var b strings.Builder
	for i, l := range lines {
		text := strings.TrimRightFunc(l.text, unicode.IsSpace)
		if i > 0 && pdfContinues(lines[i-1], l, left, right) {
			prev := []rune(strings.TrimSpace(lines[i-1].text))
			next := strings.TrimSpace(text)
			if len(prev) > 0 && next != "" && isASCIIWord(prev[len(prev)-1]) && isASCIIWord([]rune(next)[0]) {
				b.WriteByte(' ')
			}
			b.WriteString(next)
			continue
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(text)
	}
	return b.String(), nil
}

// pdfBody is a page's lines without its page number.
func pdfBody(page []pdfLine) []pdfLine {
	out := make([]pdfLine, 0, len(page))
	for _, l := range page {
		if !pdfPageNumberRe.MatchString(strings.TrimSpace(l.text)) {
			out = append(out, l)
		}
	}
	return out
}

// pdfRunningLines finds the running heads and feet a PDF set as a book
// (a compilation) prints on its pages, given each page's lines without
// its page number: the text of a page's first or last line, digits aside,
// when it is the same on at least half the pages and at least three. A
// document's own lines run on from page to page, so they never are.
func pdfRunningLines(pages [][]pdfLine) map[string]bool {
	const minPages = 3
	if len(pages) < minPages {
		return nil
	}
	count := map[string]int{}
	for _, p := range pages {
		if len(p) == 0 {
			continue
		}
		seen := map[string]bool{}
		for _, l := range []pdfLine{p[0], p[len(p)-1]} {
			if k := runningKey(l.text); k != "" && !seen[k] {
				seen[k] = true
				count[k]++
			}
		}
	}
	out := map[string]bool{}
	for k, n := range count {
		if n >= minPages && 2*n >= len(pages) {
			out[k] = true
		}
	}
	return out
}

// runningKey is a line's text without white space and digits: a running
// head may carry the page's number or its chapter's.
func runningKey(text string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsDigit(r) {
			return -1
		}
		return r
	}, text)
}

func isASCIIWord(r rune) bool {
	return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// pdfMargins finds the text block's left and right edges: the leftmost
// edge at least a quarter as many lines start at as at the commonest, and the right edge full lines reach (the largest
// right edge shared by at least two lines, so a stray mark in the margin
// does not move it).
func pdfMargins(lines []pdfLine) (left, right float64) {
	lefts := map[int]int{}
	var rights []float64
	for _, l := range lines {
		lefts[int(math.Round(l.left/2))]++
		rights = append(rights, l.right)
	}
	// The text's left edge is where a paragraph's later lines start:
	// the leftmost of the places many lines start at. A document of many
	// one-line items, each indented, starts more lines at the indent.
	most := 0
	for _, n := range lefts {
		most = max(most, n)
	}
	left = math.Inf(1)
	for k, n := range lefts {
		if 4*n >= most && float64(2*k) < left {
			left = float64(2 * k)
		}
	}
	slices.Sort(rights)
	right = rights[len(rights)-1]
	if len(rights) > 2 {
		right = rights[len(rights)-2]
	}
	return left, right
}

// pdfContinues reports whether next continues prev's paragraph.
func pdfContinues(prev, next pdfLine, left, right float64) bool {
	ch := prev.height() // a character is about as wide as the line is high
	nextText := strings.TrimRightFunc(next.text, unicode.IsSpace)
	if ch <= 0 || nextText == "" || strings.TrimSpace(prev.text) == "" {
		return false
	}
	full := prev.right >= right-1.5*ch
	if !full {
		return false
	}
	// The same size of type: a heading does not run on into body text.
	if math.Abs(next.height()-prev.height()) > 0.25*ch {
		return false
	}
	// Lines of one paragraph follow at the line pitch, not after a gap.
	if gap := prev.bottom - next.top; next.page == prev.page && gap > 1.5*ch {
		return false
	}
	indented := strings.IndexFunc(nextText, func(r rune) bool { return !unicode.IsSpace(r) && r != '\u3000' }) > 0
	if indented || pdfClauseRe.MatchString(strings.TrimSpace(nextText)) {
		return false
	}
	atLeft := math.Abs(next.left-left) < 0.6*ch
	centred := func(l pdfLine) bool {
		return l.left > left+ch && math.Abs((l.left-left)-(right-l.right)) < 1.5*ch
	}
	// A title's second line is centred under a full first line.
	return atLeft && prev.left < left+3*ch || centred(next) && prev.left < left+ch
}
