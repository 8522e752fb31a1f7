package corpus

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Bounds on a saved web page: a government article page is tens of
// kilobytes; readability's scoring is superlinear in the elements.
const (
	maxHTMLBytes    = 20 << 20
	maxHTMLElements = 200_000
)

// readHTML returns the article of a saved web page, one paragraph per
// line: the title, 文号, clauses, signature and date, without the site's
// navigation, breadcrumbs, sidebars and footer (主办单位, ICP备案号),
// which readability (Mozilla's Reader View algorithm) tells apart from
// the article by text and link density.
func readHTML(data []byte) (text string, err error) {
	if len(data) > maxHTMLBytes {
		return "", fmt.Errorf("%w: html page is %d MB; pages over %d MB are not read", ErrUnsupported, len(data)>>20, maxHTMLBytes>>20)
	}
	src, err := htmlDecode(data)
	if err != nil {
		return "", err
	}
	doc, err := html.Parse(bytes.NewReader(src))
	if err != nil {
		return "", fmt.Errorf("%w: html: parsing: %w", ErrDamaged, err)
	}
	// A hostile page must not take the loader down with it: a panic in
	// the third-party extractor is this file's error.
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("%w: html: extracting the article failed: %v", ErrDamaged, r)
		}
	}()
	declared := htmlMetaTitle(doc)
	headings := htmlHeadings(doc)
	docNo := htmlDocNo(doc)
	pageDate := htmlPageDate(doc)
	p := readability.NewParser()
	p.MaxElemsToParse = maxHTMLElements
	// A short notice is an article too; the default 500 characters would
	// send it to the fallback passes.
	p.CharThresholds = 100
	article, err := p.ParseAndMutate(doc, nil)
	if err != nil {
		if strings.Contains(err.Error(), "too large") {
			return "", fmt.Errorf("%w: html page has over %d elements", ErrUnsupported, maxHTMLElements)
		}
		return "", fmt.Errorf("%w: html: finding the article: %w", ErrDamaged, err)
	}
	if article.Node == nil {
		return "", fmt.Errorf("%w: html page has no article text", ErrEmpty)
	}
	var lines []string
	for _, l := range strings.Split(formatLines(htmlText(article.Node)), "\n") {
		// A page's tool bar goes; the date and source it shares a line
		// with stay, as in a copy of the page (pageChrome): they date and
		// sign what prints no date or signature of its own, an
		// interpretation as a rule.
		if utf8.RuneCountInString(l) < 100 {
			l = pageChrome(l)
		}
		if l != "" {
			lines = append(lines, l)
		}
	}
	if pageDate != "" && !htmlHasLine(lines, pageDate) {
		lines = append([]string{pageDate}, lines...)
	}
	// Reader View shows the title above the article and may drop the
	// heading that repeats it; the corpus reads the title from the text.
	if t := htmlTitle(headings, declared, article.Title()); t != "" && !htmlHasLine(lines, t) {
		lines = append([]string{t}, lines...)
	}
	// A 文号 the page prints outside the article (in its metadata block,
	// or alone under the title) goes with the rest of the chrome.
	if docNo != "" && !strings.Contains(strings.Join(lines, "\n"), docNo) {
		lines = append([]string{"文号：" + docNo}, lines...)
	}
	return strings.Join(lines, "\n"), nil
}

// htmlTitle returns the page's printed title: the longest heading the
// page shows whose text is in its declared title (<meta ArticleTitle> or
// <title>, which carries the column and site names too). A title that is
// only declared and never shown is not filled in.
func htmlTitle(headings []string, declared ...string) string {
	var best string
	for _, h := range headings {
		sh := squeeze(h)
		if utf8.RuneCountInString(sh) < 6 || len(sh) <= len(squeeze(best)) {
			continue
		}
		for _, d := range declared {
			if strings.Contains(squeeze(d), sh) {
				best = h
				break
			}
		}
	}
	return best
}

// htmlDocNo returns the 文号 a page prints, before the article is taken
// from it: the first element whose text is a 文号 alone, or a metadata
// label's (文号：…, 发文字号：…); "" for none.
func htmlDocNo(doc *html.Node) string {
	return htmlFind(doc, func(l string) string {
		if docNoRe.MatchString(l) {
			return l
		}
		for _, p := range labelPairs(l) {
			if labels[p[0]] == "doc_no" && docNoRe.MatchString(p[1]) {
				return p[1]
			}
		}
		return ""
	})
}

// htmlPageDate returns the line under a page's title giving when and by
// whom the page was put up (发布时间：2017-07-25 来源：某局), its tools
// taken out, before the article is taken from it; "" for none. It dates
// and signs what prints no date or signature of its own, an
// interpretation as a rule, and the article a page's reader view takes
// often leaves it out.
func htmlPageDate(doc *html.Node) string {
	return htmlFind(doc, func(l string) string {
		if utf8.RuneCountInString(l) < 100 && pageDateRe.MatchString(l) {
			return pageChrome(l)
		}
		return ""
	})
}

// htmlFind returns what match finds first in the lines of the page's
// visible elements that hold no block: a metadata label and its value
// are read together from the innermost element holding both.
func htmlFind(doc *html.Node, match func(line string) string) string {
	var found string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != "" || n.Type == html.ElementNode && (htmlHidden(n) || htmlAtom(n) == atom.Script || htmlAtom(n) == atom.Style || htmlAtom(n) == atom.Head) {
			return
		}
		if n.Type == html.ElementNode && !htmlHasBlock(n) {
			for _, l := range strings.Split(formatLines(htmlText(n)), "\n") {
				if found = match(l); found != "" {
					return
				}
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

// htmlHasBlock says whether an element holds a block or a table row: a
// metadata label and its value are read together from the innermost
// element holding both.
func htmlHasBlock(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (htmlBlocks[htmlAtom(c)] && htmlAtom(c) != atom.Tr || htmlHasBlock(c)) {
			return true
		}
	}
	return false
}

// htmlHeadings returns the visible text of the page's headings and of
// elements named as titles (class or id with "title"), where government
// CMSs put an article's title.
func htmlHeadings(doc *html.Node) []string {
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if len(out) >= 100 || n.Type == html.ElementNode && htmlHidden(n) {
			return
		}
		if n.Type == html.ElementNode {
			switch a := htmlAtom(n); {
			case a == atom.Script || a == atom.Style || a == atom.Head || a == atom.A:
				return
			case a == atom.H1 || a == atom.H2 || a == atom.H3 ||
				strings.Contains(strings.ToLower(htmlAttr(n, "class")+" "+htmlAttr(n, "id")), "title") && !htmlHasBlock(n):
				// A block named as the title that holds blocks (the
				// heading, and under it the date and source line) is
				// searched for its heading: its whole text is no title.
				if t := normLine(htmlText(n)); t != "" {
					out = append(out, t)
				}
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// htmlHasLine reports whether the first lines hold title, however spaced.
func htmlHasLine(lines []string, title string) bool {
	t := squeeze(title)
	for _, l := range lines[:min(len(lines), 6)] {
		if strings.Contains(squeeze(l), t) {
			return true
		}
	}
	return false
}

// htmlMetaTitle returns the article title government sites declare in
// <meta name="ArticleTitle"> (the national site standard's field), which,
// unlike <title>, carries no column or site name.
func htmlMetaTitle(doc *html.Node) string {
	var found string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != "" {
			return
		}
		if n.Type == html.ElementNode && htmlAtom(n) == atom.Meta && strings.EqualFold(htmlAttr(n, "name"), "ArticleTitle") {
			found = htmlAttr(n, "content")
			return
		}
		if n.Type == html.ElementNode && htmlAtom(n) == atom.Body {
			return // meta is in the head
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

func htmlAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// htmlCharsetRe finds a charset declared anywhere in the head, for pages
// whose meta comes after the first 1024 bytes the HTML prescan reads.
var htmlCharsetRe = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_\-]+)`)

// htmlDecode returns the page as UTF-8. Chinese government sites still
// serve GBK and GB2312, sometimes undeclared or declared wrongly, so GBK
// is read as GB18030 (its superset) and an undeclared page that is not
// UTF-8 is taken for GB18030.
func htmlDecode(data []byte) ([]byte, error) {
	_, name, certain := charset.DetermineEncoding(data, "")
	declared := certain
	if !certain {
		if m := htmlCharsetRe.FindSubmatch(data[:min(len(data), 16<<10)]); m != nil {
			if _, n := charset.Lookup(string(m[1])); n != "" {
				name, declared = n, true
			}
		} else if _, n := charset.Lookup(name); n != "" && bytes.Contains(bytes.ToLower(data[:min(len(data), 1024)]), []byte("charset")) {
			declared = true
		}
	}
	gb := func() ([]byte, error) {
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
			return nil, fmt.Errorf("%w: html page is declared %s but is not valid in it", ErrDamaged, name)
		}
		return out, nil
	}
	switch {
	case name == "gbk" || name == "gb18030" || name == "gb2312":
		return gb()
	case !declared || name == "utf-8":
		if utf8.Valid(data) {
			return data, nil
		}
		// Declared UTF-8 (or nothing) but saved in GBK: common with
		// pages saved from old CMSs.
		out, err := gb()
		if err != nil {
			return nil, fmt.Errorf("%w: html page is neither UTF-8 nor GBK", ErrDamaged)
		}
		return out, nil
	}
	if name == "windows-1252" && !utf8.Valid(data) {
		// Old CMSs declare ISO-8859-1 over GBK text; a page that
		// decodes cleanly as GB18030 is Chinese.
		if out, err := gb(); err == nil {
			return out, nil
		}
	}
	e, _ := charset.Lookup(name)
	if e == nil {
		return data, nil
	}
	out, err := e.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("%w: html: decoding %s: %w", ErrDamaged, name, err)
	}
	return out, nil
}

var htmlSpaceRe = regexp.MustCompile(`[ \t\n\r\f]+`)

// htmlBlocks are the elements that start a line of their own.
var htmlBlocks = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Center: true, atom.Dd: true, atom.Details: true, atom.Dialog: true, atom.Div: true,
	atom.Dl: true, atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true,
	atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true, atom.Hr: true,
	atom.Li: true, atom.Main: true, atom.Nav: true, atom.Ol: true, atom.P: true,
	atom.Pre: true, atom.Section: true, atom.Table: true, atom.Tbody: true, atom.Thead: true,
	atom.Tfoot: true, atom.Tr: true, atom.Ul: true, atom.Caption: true, atom.Summary: true,
}

// htmlText renders a node's text with a line per block and per <br>, and
// each table row on one line with its cells separated by tabs.
func htmlText(n *html.Node) string {
	var b strings.Builder
	newline := func() {
		s := b.String()
		if s != "" && !strings.HasSuffix(s, "\n") {
			b.WriteByte('\n')
		}
	}
	var walk func(*html.Node, bool)
	walk = func(n *html.Node, pre bool) {
		switch n.Type {
		case html.TextNode:
			t := n.Data
			if !pre {
				// HTML collapses ASCII white space; the ideographic
				// space of a Chinese indent is text.
				t = htmlSpaceRe.ReplaceAllString(t, " ")
			}
			b.WriteString(t)
			return
		case html.ElementNode:
			switch htmlAtom(n) {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head, atom.Iframe, atom.Object, atom.Svg:
				return
			case atom.Br:
				b.WriteByte('\n')
				return
			case atom.Td, atom.Th:
				if s := b.String(); s != "" && !strings.HasSuffix(s, "\n") {
					b.WriteByte('\t')
				}
			}
			if htmlHidden(n) {
				return
			}
			pre = pre || htmlAtom(n) == atom.Pre
		}
		block := n.Type == html.ElementNode && htmlBlocks[htmlAtom(n)]
		if block {
			newline()
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, pre)
		}
		if block {
			newline()
		}
	}
	walk(n, false)
	return b.String()
}

// htmlAtom returns an element's tag by its name: readability renames
// elements (a <div> of text becomes a <p>) without updating DataAtom.
func htmlAtom(n *html.Node) atom.Atom { return atom.Lookup([]byte(strings.ToLower(n.Data))) }

// htmlHidden reports an element the page does not show.
func htmlHidden(n *html.Node) bool {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, "hidden") {
			return true
		}
	}
	style := strings.ToLower(strings.ReplaceAll(htmlAttr(n, "style"), " ", ""))
	return strings.Contains(style, "display:none") || strings.Contains(style, "visibility:hidden")
}
