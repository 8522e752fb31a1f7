package corpus

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// What a web page prints around a document, which a copy of the page
// keeps whatever it is saved as (.txt, .md, a PDF printed from the
// browser): where the page sits in the site (当前位置：首页 > 政策发布 >
// 财税政策), the site's section over the article (政策文件 ｜ 某局转发),
// and the article's tool bar (【字体：大 中 小】 【打印】 浏览次数：5826).
// None of it is the document's; the tool bar shares its line with the
// page's date and source, which are.

// breadcrumbLeadRe opens a line saying where the page sits.
var breadcrumbLeadRe = regexp.MustCompile(`^(?:当前位置|您的位置|您当前的位置|当前所在位置|所在位置)\s*[:：]`)

// crumbSepRe joins a breadcrumb's or a section head's parts: > and its
// kin, or a full-width ｜ (a Markdown table's cells are set apart by |).
var crumbSepRe = regexp.MustCompile(`\s*(?:>|＞|»|›|｜)\s*`)

// toolRe is a tool of the article's tool bar: its type size (【字体：大 中
// 小】, 字号：大 中 小, 字号：[大 中 小], never 发文字号：), print, close,
// share, view count.
var toolRe = regexp.MustCompile(`【\s*(?:字体|字号)\s*[:：][^】]{0,12}】|(?:^|[\s\x{3000}])(?:字体|字号)\s*[:：]\s*(?:[\[【（(]?\s*大\s*中\s*小\s*[\]】）)]?)?|[\[【]\s*(?:打印(?:本页)?|关闭(?:窗口)?|收藏|分享)\s*[\]】]|(?:浏览次数|阅读次数|访问次数|点击数|浏览量)\s*[:：]\s*\d*|打印本页|关闭窗口|分享到[:：]?`)

// siteNameRe is the site's name on a line of its own, over its
// navigation: 福建省人民政府门户网站, 某市人民政府网.
var siteNameRe = regexp.MustCompile(`^\p{Han}{2,24}(?:门户网站|网站|政府网)$`)

// pageDateRe opens the line under a web page's title giving when and by
// whom the page was put up.
var pageDateRe = regexp.MustCompile(`^发布(?:日期|时间)[:：]|^来源[:：]`)

// pageChrome returns line without the page's chrome: "" for a line that
// is only chrome, else the line with its tools taken out.
func pageChrome(line string) string {
	if breadcrumbLeadRe.MatchString(line) || crumbs(line) || siteNameRe.MatchString(line) {
		return ""
	}
	if !toolRe.MatchString(line) {
		return line
	}
	return strings.TrimSpace(toolRe.ReplaceAllString(line, " "))
}

// crumbs says whether a line is short parts joined by > or ｜, none a
// sentence or a label: a breadcrumb (首页 > 政务公开 > 省政府文件) or a
// section head (政策文件 ｜ 某局转发). A breadcrumb has two joins at
// least; a section head, one.
func crumbs(line string) bool {
	parts := crumbSepRe.Split(line, -1)
	joins := len(parts) - 1
	if joins == 0 || joins == 1 && !strings.Contains(line, "｜") {
		return false
	}
	for _, p := range parts {
		if n := utf8.RuneCountInString(p); n == 0 || n > 20 || strings.ContainsAny(p, "。，；：:、？！") {
			return false
		}
	}
	return true
}
