package corpus

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// A compilation (汇编) prints many documents one after another in one
// file: a cover, a preface, perhaps a table of contents, then each notice
// as it was issued, its header, body and signature. Read as one document
// it would be cited by its preface's first line, dated by its first date
// and expire with its earliest period. splitCompiled finds where each
// document starts by the marks official documents print (GB/T 9704): a
// title ending in what the document is (通知, 办法, 解读), with its
// issuer or 文号 beside it, or right after the signature date that ended
// the document before.

// titleEndRe is how a title ends: what the document is, perhaps with a
// bracketed note (（试行）, （2018年修订）) or a closing 》.
var titleEndRe = regexp.MustCompile(`(?:` + textNoun + `|解读|问答|答记者问|通告|批复|函)(?:[（(][^（）()]{1,12}[）)])?》?$`)

// Limits of a document start: a title line is short, and a title wraps
// over at most three lines.
const (
	maxTitleLine  = 60
	maxTitleLines = 3
	// A document has a body: a start followed by fewer lines, or fewer
	// characters, is a line of a table of contents or a title quoted
	// on a line of its own, not a document.
	minDocLines = 4
	minDocRunes = 40
	// A line the compilation prints between documents (第二部分, 税务领域)
	// is no longer than this.
	maxDivisionRunes = 20
)

// titleLine says whether l can be (part of) a title: short, no sentence
// punctuation, no numbering, no date or 文号, no line of a notice's 版记,
// no field a form labels in brackets (【政策依据】《…的通知》, as a
// compilation of policy items prints each item's basis).
func titleLine(l string) bool {
	n := len([]rune(l))
	return n >= 2 && n <= maxTitleLine && !strings.ContainsAny(l, "。；，？?！!：:") &&
		headingLevel(l) < 0 && !dateLineRe.MatchString(l) && !docNoRe.MatchString(l) && !endMarkRe.MatchString(l) &&
		!bracketLabelRe.MatchString(l)
}

// bracketLabelRe is a line opening on a field's label in brackets:
// 【政策依据】, 【咨询电话】.
var bracketLabelRe = regexp.MustCompile(`^【(?:\p{Han}\s?){1,7}\p{Han}】`)

// partRe is a compilation's own division: 第一部分 市级政策, 第二编.
var partRe = regexp.MustCompile(`^第\s*[一二三四五六七八九十\d]{1,3}\s*(?:部分|编|篇)`)

// endMarkRe is a line printed after a notice's signature, in its 版记:
// whether it is published (（此件公开发布）), whom it was copied to, its
// subject words, and who printed it when (…办公厅 2010年9月27日印发).
// Like the signature's date, it ends a document.
var endMarkRe = regexp.MustCompile(`^(?:[（(]此件(?:公开发布|不予公开|主动公开|依申请公开)[）)]|(?:抄送|抄报|主题词)\s*[：:].*|.{0,40}` + datePattern + `\s*印发)$`)

// docNoLine says whether l is a 文号 alone, bare or in brackets
// (（川办发〔2011〕15号）).
func docNoLine(l string) bool {
	m := titleDocNoRe.FindStringIndex(l)
	return docNoRe.MatchString(l) || m != nil && m[0] == 0
}

// headerLine says whether l belongs to a document's header above its
// title: an issuer, a red head (…文件), a 文号, a 公告's number.
func headerLine(l string) bool {
	if _, ok := redHead(l); ok {
		return true
	}
	if strings.ContainsAny(l, "：:，,。；（(") {
		// 牵头单位：省工业和信息化厅 ends like an issuer; it is a line
		// of text.
		return false
	}
	return isIssuer(l) || docNoRe.MatchString(l) || announceNoRe.MatchString(l) || strings.HasSuffix(l, "公告") && isIssuer(strings.TrimSuffix(l, "公告"))
}

// salutation is the line a notice addresses its recipients on:
// 各区、县（市）人民政府，市政府各部门：. A sentence of the text that
// ends in a colon is none: one stating its basis or purpose (根据《…》…，
// 自2015年1月1日起：, 为…，作如下修改：), quoting a title, or announcing
// what follows (须同时满足以下条件：).
func salutation(l string) bool {
	return (strings.HasSuffix(l, "：") || strings.HasSuffix(l, ":")) && len([]rune(l)) <= 120 && headingLevel(l) < 0 &&
		!strings.Contains(l, "《") && !purposeRe.MatchString(l) && !strings.Contains(l, "如下") && !strings.Contains(l, "以下")
}

// bareTitle is a title without its brackets and spaces, for comparing a
// title with the one a notice quotes (关于印发《X》的通知).
func bareTitle(s string) string {
	return squeeze(strings.Trim(strings.TrimSpace(s), "《》"))
}

// docStart is where a document starts and the title it was found by.
type docStart struct {
	line   int
	title  string
	issuer string // the issuer lines above the title, if any
	// numbered, when set, is the title line as it reads without the
	// compilation's numbering before it (1. 关于…的公告), at titleAt.
	numbered string
	titleAt  int
}

// startAt says whether a document's title ends on line i, and if so where
// the document starts (its first header line) and its title. prev is the
// document before, if any: a title it repeats or attaches is not a new
// document (see attached).
func startAt(lines []string, i int, prev *docStart) (docStart, bool) {
	if t, ok := numberedTitle(lines, i); ok {
		// 1. 财政部 税务总局关于…的公告 over its 文号: a compilation's own
		// numbering of the documents it holds.
		start := i
		for start > 0 && metadataLine(lines[start-1]) {
			start--
		}
		return docStart{line: start, title: t, numbered: t, titleAt: i}, true
	}
	// A compilation's part (第一部分 市级政策) may end like a title; it
	// names no document.
	if !titleLine(lines[i]) || !endsTitle(lines[i]) || partRe.MatchString(lines[i]) {
		return docStart{}, false
	}
	first := titleFrom(lines, i)
	title := strings.Join(lines[first:i+1], "")
	if !balanced(title) {
		// 关于印发《某某实施方案 wraps on to （2018－2020年）》的通知.
		return docStart{}, false
	}
	start := first
	for start > 0 && (headerLine(lines[start-1]) || metadataLine(lines[start-1])) {
		start--
	}
	// An attachment of the document before is part of it: printed under
	// 附件 or 附件2, or titled as that document says it attaches.
	if start > 0 && headingLevel(lines[start-1]) == levelAnnex {
		return docStart{}, false
	}
	var issuer strings.Builder
	for _, l := range lines[start:first] {
		if isIssuer(l) {
			issuer.WriteString(squeeze(l))
		}
	}
	// The same title under another issuer (each department's 解读 of
	// one set of measures) is another document.
	sameIssuer := prev != nil && (prev.issuer == "" || issuer.Len() == 0 || prev.issuer == issuer.String())
	if sameIssuer && attached(prev.title, lines[prev.line:start], title) {
		return docStart{}, false
	}
	// What confirms a start: a header above or a 文号 below, a
	// salutation to the recipients, or the end of the document before
	// (its signature date, or the file's start).
	confirmed := start < first ||
		start == 0 ||
		dateLineRe.MatchString(lines[start-1]) || endMarkRe.MatchString(lines[start-1]) ||
		i+1 < len(lines) && (docNoLine(lines[i+1]) || announceNoRe.MatchString(lines[i+1]) || salutation(lines[i+1]) ||
			purposeRe.MatchString(lines[i+1]) || issueNoteRe.MatchString(lines[i+1]) ||
			// A web page's line under its title (来源：… 发布时间：…), or
			// an author and the day it wrote (（某市科学技术局 2021年5月10日）).
			metadataLine(lines[i+1]) || authorDate(lines[i+1]) ||
			// An interpretation's author under its title; over a date,
			// the line would be a signature instead.
			isIssuer(lines[i+1]) && !strings.ContainsAny(lines[i+1], "：:，,") && (i+2 == len(lines) || !dateLineRe.MatchString(lines[i+2])))
	if !confirmed {
		return docStart{}, false
	}
	return docStart{line: start, title: title, issuer: issuer.String()}, true
}

// authorDateRe is an author's name and a date on one line, perhaps in
// brackets: 某市人力资源和社会保障局 2021年4月20日.
var authorDateRe = regexp.MustCompile(`^[（(]?\s*(\S.*?)\s*` + datePattern + `\s*[）)]?$`)

// authorDate says whether l names who wrote a text and when, as an
// interpretation or a question-and-answer text prints it under its title.
func authorDate(l string) bool {
	m := authorDateRe.FindStringSubmatch(l)
	return m != nil && isIssuer(m[1])
}

// numberMarkRe is the numbering a compilation may print before each
// document's title: 1. 2、 三、.
var numberMarkRe = regexp.MustCompile(`^(?:[0-9０-９]{1,3}\s*[.．、]|[一二三四五六七八九十]{1,3}、)\s*`)

// numberedTitle reads line i as a document's title numbered by the
// compilation, which only what is printed with it tells from a numbered
// item of a document's own text: its 文号 after it in brackets or on the
// next line, its salutation, or a web page's metadata block above.
func numberedTitle(lines []string, i int) (string, bool) {
	m := numberMarkRe.FindStringIndex(lines[i])
	if m == nil || i+1 == len(lines) {
		return "", false
	}
	next, t := lines[i+1], lines[i][m[1]:]
	if !docNoRe.MatchString(next) && !announceNoRe.MatchString(next) && !salutation(next) && !(i > 0 && metadataLine(lines[i-1])) &&
		!titleDocNoRe.MatchString(t) {
		return "", false
	}
	return t, titleLine(t) && endsTitle(t) && balanced(t)
}

// metadataLine says whether l is a line of the metadata block a web page
// prints above a document (索引号：…, 发文字号：…, 成文日期：…).
func metadataLine(l string) bool {
	for _, p := range labelPairs(l) {
		if _, ok := labels[p[0]]; ok {
			return true
		}
	}
	return false
}

// titleFrom finds the first line of the title that ends on line i: the
// line opening with 关于 (or an issuer and 关于), or the short lines above
// that end no title of their own.
func titleFrom(lines []string, i int) int {
	first := i
	for first > 0 && i-first+1 < maxTitleLines && !strings.HasPrefix(lines[first], "关于") {
		above := lines[first-1]
		// A line opening with a bracket is a note (（此件公开发布）) or a
		// title's last part (（2018－2020年）), never its first.
		if !titleLine(above) || headerLine(above) || strings.HasPrefix(above, "（") || strings.HasPrefix(above, "(") ||
			endsTitle(above) && balanced(above) && !strings.Contains(above, "关于") {
			break
		}
		// Issuers before 关于 may have wrapped on to the line above
		// (…宁波市财政局 国家 / 税务总局宁波市税务局关于…), when that
		// line opens the document: right after the one before ended.
		if strings.Contains(lines[first], "关于") {
			if strings.Contains(above, "关于") || first >= 2 && !dateLineRe.MatchString(lines[first-2]) && !endMarkRe.MatchString(lines[first-2]) && !headerLine(lines[first-2]) {
				break
			}
		}
		first--
	}
	return first
}

// endsTitle says whether l can end a title: with what the document is,
// or that and its 文号 in brackets (……的通知（苏政办发〔2013〕22号）).
func endsTitle(l string) bool {
	if m := titleDocNoRe.FindStringIndex(l); m != nil {
		l = l[:m[0]]
	}
	return titleEndRe.MatchString(l)
}

// balanced says whether every 《 in s is closed.
func balanced(s string) bool { return strings.Count(s, "《") == strings.Count(s, "》") }

// purposeRe is how a policy's text opens: with its purpose (为进一步…，)
// or its basis (根据…，).
var purposeRe = regexp.MustCompile(`^(?:为|根据)[^。]{4,80}?，`)

// attached says whether title is that of a text the document before
// includes: its own title repeated over its text, or one it says it
// issues or attaches (关于印发《X》的通知, 附件：1. X, 现将《X》印发给你们).
// prevTitle is that document's title and prev its lines so far.
func attached(prevTitle string, prev []string, title string) bool {
	b, pt := bareTitle(title), squeeze(prevTitle)
	if b == bareTitle(prevTitle) || strings.Contains(pt, "《"+b+"》") ||
		strings.Contains(pt, b) && (strings.Contains(pt, "印发") || strings.Contains(pt, "转发")) {
		return true
	}
	for _, l := range prev {
		if !strings.Contains(l, "附件") && !strings.Contains(l, "印发") && !strings.Contains(l, "转发") && headingLevel(l) != levelNum {
			continue
		}
		if q := squeeze(l); strings.Contains(q, "《"+b+"》") || strings.Contains(q, b) && !strings.Contains(q, "。") {
			return true
		}
	}
	return false
}

// dateRe finds a full date anywhere in a line.
var dateRe = regexp.MustCompile(datePattern)

// compiledYear is the year a compilation was made, as far as it shows:
// the latest of the full dates its front part (cover, preface) prints and
// of its documents' years (their issue dates, else their 文号's); 0 when
// none shows. A year alone in the preface (力争到2025年) may be a target,
// so only full dates count.
func compiledYear(front []string, docs []Document) int {
	y := 0
	for _, l := range front {
		for _, m := range dateRe.FindAllStringSubmatch(l, -1) {
			d := Document{Issued: isoDate(m[1], m[2], m[3])}
			y = max(y, d.Year())
		}
	}
	for i := range docs {
		y = max(y, docs[i].Year())
	}
	return y
}

// splitCompiled returns the documents of a compilation, each as its
// lines, or none when lines hold one document (or none found twice). The
// lines before the first document (cover, preface, contents) are the
// compilation's, not a policy's: they are front, and no document's; so
// are the compilation's divisions printed between documents (第二部分,
// 税务领域), which are dropped.
func splitCompiled(lines []string) (front []string, docs [][]string) {
	var starts []docStart
	for i := range lines {
		var prev *docStart
		if len(starts) > 0 {
			prev = &starts[len(starts)-1]
		}
		s, ok := startAt(lines, i, prev)
		switch {
		case !ok:
		case prev != nil && s.line <= prev.line:
			// A title wrapped after a word that ends titles too (关于…政策
			// / 推广至全国实施的通知): the same start, now read whole.
			*prev = s
		default:
			starts = append(starts, s)
		}
	}
	// A start with too little after it before the next is no document:
	// an entry of a table of contents, a title quoted alone. Its lines go
	// to the document before, which only grows.
	for k := 0; k < len(starts); {
		end := len(lines)
		if k+1 < len(starts) {
			end = starts[k+1].line
		}
		if substantial(lines[starts[k].line:end]) {
			k++
			continue
		}
		starts = slices.Delete(starts, k, k+1)
	}
	if len(starts) < 2 {
		return nil, nil
	}
	// A compilation may number its parts as a document numbers its
	// items (二、稳岗就业); printed in its table of contents, one is a part.
	listed := map[string]bool{}
	for _, l := range lines[:starts[0].line] {
		if len([]rune(l)) <= maxDivisionRunes && headingLevel(l) >= 0 {
			listed[squeeze(l)] = true
		}
	}
	docs = make([][]string, 0, len(starts))
	for k, s := range starts {
		end := len(lines)
		if k+1 < len(starts) {
			end = starts[k+1].line
		}
		// The compilation's divisions follow a document's last sentence
		// or its signature; short lines after anything else (a table's
		// last cells) are the document's, unless its table of contents
		// lists them.
		for end > s.line+1 && listed[squeeze(lines[end-1])] {
			end--
		}
		cut := end
		for cut > s.line+1 && division(lines[cut-1]) {
			cut--
		}
		if cut < end && closes(lines[cut-1]) {
			end = cut
		}
		doc := lines[s.line:end]
		if s.numbered != "" {
			doc = slices.Clone(doc)
			doc[s.titleAt-s.line] = s.numbered
		}
		docs = append(docs, doc)
	}
	return lines[:starts[0].line], docs
}

// closes says whether a line can be a document's last: running text
// (its sentences, perhaps a note in brackets after them), a signature
// date, a signing body.
func closes(l string) bool {
	return strings.ContainsAny(l, "。！？") || dateLineRe.MatchString(l) || isIssuer(l) || endMarkRe.MatchString(l)
}

// substantial says whether a document's lines hold a body.
func substantial(lines []string) bool {
	if len(lines) < minDocLines {
		return false
	}
	n := 0
	for _, l := range lines {
		n += len([]rune(l))
	}
	return n >= minDocRunes
}

// division says whether a line trailing a document is the compilation's
// own division (第二部分, 政策措施原文, 税务领域) rather than the
// document's: short, no punctuation, no date, no signing body.
func division(l string) bool {
	return len([]rune(l)) <= maxDivisionRunes && !strings.ContainsAny(l, "。；，、？?！!：:（）()") &&
		!dateLineRe.MatchString(l) && !isIssuer(l) && headingLevel(l) < 0 && !strings.ContainsFunc(l, unicode.IsDigit)
}
