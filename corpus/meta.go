package corpus

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// docNoPattern is a 文号: an issuer's code, the year in brackets and a
// number (浙政办发〔2023〕12号, 财税﹝2018﹞77号, 某办字[2018]7号), or a
// 公告's number after its issuers (国家税务总局公告2018年第17号,
// 财政部 税务总局公告2023年第12号).
const docNoPattern = `[\p{Han}]{1,10}[〔﹝\[［(（]\d{4}[〕﹞\]］)）]\s*\d+\s*号|(?:[\p{Han}]{2,12} )*[\p{Han}]{2,12}公告\d{4}年第\d+号`

// docNoRe matches a 文号 printed on its own line.
var docNoRe = regexp.MustCompile(`^(?:` + docNoPattern + `)$`)

// answerLineRe opens an answer of a question-and-answer text (答：…),
// which is body, not header; its question (问：…) is a heading, which ends
// the header already.
var answerLineRe = regexp.MustCompile(`^(?:答|A|Ａ)\s*[：:]`)

// issueNoteRe is the note in brackets a regulation prints under its title
// to say when and by whom it was issued, perhaps with its number:
// （2021年3月18日广东省工业和信息化厅印发 粤工信规字〔2021〕2号）.
var issueNoteRe = regexp.MustCompile(`^[（(]\s*(?:` + datePattern + `)[^（）()]*?(?:印发|公布|发布|通过|施行|修订|修正)[^（）()]*[）)]$`)

// titleDocNoRe is a 文号 in brackets at the end of a title.
var titleDocNoRe = regexp.MustCompile(`[（(]\s*(` + docNoPattern + `)\s*[）)]$`)

// yearRe finds the year printed in a 文号.
var yearRe = regexp.MustCompile(`\d{4}`)

// dateLineRe matches a signature date alone on a line.
var dateLineRe = regexp.MustCompile(`^` + datePattern + `$`)

// labelRe matches a labelled line of the metadata block web pages print
// above a document: 发文字号：浙政办发〔2023〕12号, 成文日期：2023-03-10.
var labelRe = regexp.MustCompile(`^([\p{Han}]{2,6})\s*[:：]\s*(\S.*)$`)

// labels maps the labels of a metadata block to what they give; "" marks
// labels that give nothing the corpus keeps, whose lines are skipped.
var labels = map[string]string{
	"文号": "doc_no", "发文字号": "doc_no", "发文文号": "doc_no", "文件编号": "doc_no",
	"标题": "title", "文件名称": "title",
	"发文机关": "issuer", "发布机构": "issuer", "发文单位": "issuer", "发布单位": "issuer",
	"成文日期": "issued", "发文日期": "issued", "印发日期": "issued",
	// The day a page was put up dates a document only when it gives no
	// other: a notice is signed days before it is published.
	"发布日期": "published", "发布时间": "published",
	// Likewise the page's source names the issuer only when nothing else does.
	"来源": "source", "信息来源": "source",
	"索引号": "", "主题分类": "", "主题词": "", "公开方式": "", "公开范围": "", "有效性": "", "信息分类": "",
}

// labelDateRe is a labelled date: 2023年3月10日, 2023-03-10, 2023/3/10,
// perhaps with a time or the page's buttons after it (2021-04-08 10:30).
var labelDateRe = regexp.MustCompile(`^(\d{4})\s*[年\-/.．]\s*(\d{1,2})\s*[月\-/.．]\s*(\d{1,2})\s*日?(?:$|\s)`)

// labelDate is the ISO date a label gives, "" for none.
func labelDate(v string) string {
	if d := labelDateRe.FindStringSubmatch(v); d != nil {
		return isoDate(d[1], d[2], d[3])
	}
	if d := dateLineRe.FindStringSubmatch(v); d != nil {
		return isoDate(d[1], d[2], d[3])
	}
	return ""
}

// issuerSuffixes end the names of the bodies that issue policy documents:
// governments and their offices, departments (厅, 局, 委), ministries,
// leading groups. A title ends with what the document is (通知, 意见,
// 办法) instead.
var issuerSuffixes = []string{"人民政府", "政府", "办公厅", "办公室", "委员会", "管委会", "领导小组", "小组", "税务总局", "发展改革委", "服务中心", "厅", "局", "部", "委", "署", "行", "会"}

// isIssuer says whether a header line names issuing bodies rather than
// being part of a title; a joint header names several, separated by
// spaces, each of which must be one.
func isIssuer(line string) bool {
	if strings.Contains(line, "关于") || strings.ContainsAny(line, "《》“”") || len([]rune(line)) > 60 {
		return false
	}
	parts := strings.Fields(line)
	for _, part := range parts {
		if len([]rune(part)) < 2 || len([]rune(part)) > 30 || !hasIssuerSuffix(part) {
			return false
		}
	}
	return len(parts) > 0
}

func hasIssuerSuffix(s string) bool {
	for _, suf := range issuerSuffixes {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// spacedRe is a line of single Han characters set apart by spaces, and
// perhaps the 文件 of a red head after them (某 省 财 政 厅 文件: a joint
// red head spaces its shorter names out to the longest, and prints 文件
// once, beside them or after the last).
var spacedRe = regexp.MustCompile(`^\p{Han}(?:[\s\x{3000}]+\p{Han}){2,}(?:[\s\x{3000}]*文件)?$`)

// compiledByRe is the line naming who compiled a text, under its title:
// 某市中小企业服务中心　某税务局纳税服务热线　整理.
var compiledByRe = regexp.MustCompile(`^(\S.{1,80}?)(?:[\s\x{3000}]*(?:整理|编印|编制|汇编)|[\s\x{3000}]+编)$`)

// updatedRe is the day a text is brought up to, bracketed under its title:
// （更新至2022年11月15日）.
var updatedRe = regexp.MustCompile(`^[（(]\s*(?:更新至|更新于|截至|截止)\s*` + datePattern + `\s*[）)]$`)

// announceNoRe is a 公告's number on a line of its own: 2023年第6号.
var announceNoRe = regexp.MustCompile(`^\d{4}年第\d+号$`)

// labelKeyRe finds the labels of a metadata line, which a web page may
// print several to a line (发文字号：浙政办发〔2024〕8号 成文日期：2024年3月1日),
// spaced to align (文　　号：, 索 引 号：) or in brackets (【发文字号】).
var labelKeyRe = regexp.MustCompile(`(?:^|\s)(?:【((?:\p{Han}\s?){1,5}\p{Han})】|((?:\p{Han}\s?){1,5}\p{Han})\s*[:：])\s*`)

// labelPairs reads the label: value pairs of a line, or none when the
// line does not start with a label. A label is given without its spaces.
func labelPairs(l string) [][2]string {
	locs := labelKeyRe.FindAllStringSubmatchIndex(l, -1)
	if len(locs) == 0 || locs[0][0] != 0 {
		return nil
	}
	var out [][2]string
	for i, loc := range locs {
		end := len(l)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		key := loc[2:4]
		if key[0] < 0 {
			key = loc[4:6]
		}
		// Pairs may be set apart by ｜ as well as by spaces.
		if v := strings.TrimRight(strings.TrimSpace(l[loc[1]:end]), " ｜|"); v != "" {
			out = append(out, [2]string{squeeze(l[key[0]:key[1]]), v})
		}
	}
	return out
}

// isoDate turns 2018年8月9日, or 二〇一八年八月九日, into 2018-08-09, or
// "" when it is no date.
func isoDate(y, m, d string) string {
	yy, mm, dd := dateNumber(y), dateNumber(m), dateNumber(d)
	t := time.Date(yy, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
	if t.Year() != yy || int(t.Month()) != mm || t.Day() != dd {
		return ""
	}
	return t.Format(time.DateOnly)
}

// dateNumber reads a part of a date: Arabic digits; a year in Chinese
// numerals digit by digit (二〇一八); a month or day counted with 十 (十二,
// 二十一, 三十). It is 0 for anything else.
func dateNumber(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	r := []rune(s)
	digit := func(c rune) int {
		switch c {
		case '〇', '○', '零', 'Ｏ':
			return 0
		}
		if i := strings.IndexRune("一二三四五六七八九", c); i >= 0 {
			return i/utf8.RuneLen(c) + 1
		}
		return -1
	}
	if len(r) == 4 {
		n := 0
		for _, c := range r {
			d := digit(c)
			if d < 0 {
				return 0
			}
			n = n*10 + d
		}
		return n
	}
	tens, ones, seen := 0, 0, false
	for i, c := range r {
		switch d := digit(c); {
		case c == '十' && !seen:
			tens, seen = max(ones, 1), true
			ones = 0
		case d > 0 && (i == len(r)-1 || r[i+1] == '十'):
			ones = d
		default:
			return 0
		}
	}
	return tens*10 + ones
}

// yearsRe finds a year of this or the last century followed by 年, in
// Arabic or Chinese numerals (2012年, 二〇一二年).
var yearsRe = regexp.MustCompile(`(?:19|20)\d{2}年|[一二][〇○零九][〇○零一二三四五六七八九]{2}年`)

// Years returns the years a text mentions (2012年, 二〇一二年), in order,
// repeats included.
func Years(text string) []int {
	var out []int
	for _, m := range yearsRe.FindAllString(text, -1) {
		if y := dateNumber(strings.TrimSuffix(m, "年")); y >= 1900 && y < 2100 {
			out = append(out, y)
		}
	}
	return out
}

// header is what the first lines of a document say about it.
type header struct {
	issuer, title, docNo string
	issued               string // from a labelled date (成文日期：…), else ""
	lines                int    // how many of the document's lines the header takes
}

// parseHeader reads issuer lines, title lines and the 文号 from the top of
// a document. The header ends at the 文号, at a salutation (各市…：), at a
// long line of running text, or at the first numbered heading. A 文号
// printed above the title (as 公告 print theirs) does not end it, and a
// web page's metadata block (发文字号：…) is read as part of it.
// Markdown heading marks (# 标题) are not part of a title.
func parseHeader(lines []string) header {
	var h header
	var issuers, titles []string
	labelled := ""
	// The page's date and source, for a document that gives no other.
	published, source := "", ""
	// Each body once: a joint red head's lines (某市财政局 / 某市税务局)
	// may be printed again on one line over the title.
	addIssuer := func(s string) {
		for _, b := range strings.Fields(s) {
			if !slices.Contains(issuers, b) {
				issuers = append(issuers, b)
			}
		}
	}
	joined := false // the line was read with the one before it
	// closed: the header ended at the 文号 under its title, and only a web
	// page's metadata line (发布日期：… 来源：…) may follow it.
	closed := false
	// signed: an issuer's line has followed the title.
	signed := false
	for i, l := range lines {
		if joined {
			joined = false
			h.lines = i + 1
			continue
		}
		if closed && !metadataLine(l) {
			break
		}
		if strings.HasPrefix(l, "#") {
			l = strings.TrimSpace(strings.TrimLeft(l, "#"))
		}
		if spacedRe.MatchString(l) {
			// A name spaced out to the width of the lines beside it in a
			// joint red head: 青　岛　市　财　政　局.
			l = squeeze(l)
		}
		if l == "文件" && len(titles) == 0 && len(issuers) > 0 {
			// A joint red head's 文件, printed beside or under its bodies'
			// names.
			h.lines = i + 1
			continue
		}
		// 国家税务总局公告 / 2023年第6号: a 公告's number printed under
		// its issuer's line.
		if strings.HasSuffix(l, "公告") && i+1 < len(lines) && announceNoRe.MatchString(lines[i+1]) && docNoRe.MatchString(l+lines[i+1]) {
			l += lines[i+1]
			joined = true
		}
		if i == 0 && headingLevel(l) >= 0 {
			// The text starts straight with 第一条 or 一、: it has no header.
			break
		}
		if docNoRe.MatchString(l) {
			h.docNo = l
			h.lines = i + 1
			closed = len(titles) > 0 || labelled != ""
			continue
		}
		if pairs := labelPairs(l); len(pairs) > 0 {
			known := false
			for _, m := range pairs {
				field, ok := labels[m[0]]
				if !ok {
					continue
				}
				known = true
				v := m[1]
				switch field {
				case "doc_no":
					if docNoRe.MatchString(v) && h.docNo == "" {
						h.docNo = v
					}
				case "title":
					labelled = v
				case "issuer":
					if len([]rune(v)) <= 40 {
						addIssuer(v)
					}
				case "issued":
					h.issued = cmp.Or(labelDate(v), h.issued)
				case "published":
					published = labelDate(v)
				case "source":
					if isIssuer(v) {
						source = v
					}
				}
			}
			if known || len(titles) > 0 && !strings.ContainsAny(l, "。；，") {
				// Under the title, a label's line (解读文件：《…》, 原文链接：
				// https://…) is the page's metadata, never the title's; one
				// holding sentences (说明：本问答根据…，…。) is text.
				h.lines = i + 1
				continue
			}
		}
		if m := compiledByRe.FindStringSubmatch(l); m != nil && len(titles) > 0 {
			// Under a question-and-answer text's title, who put it
			// together (某中心　某热线　整理): the bodies among them sign it.
			for _, b := range strings.Fields(m[1]) {
				if isIssuer(b) {
					addIssuer(b)
				}
			}
			signed = true
			h.lines = i + 1
			continue
		}
		if m := updatedRe.FindStringSubmatch(l); m != nil && len(titles) > 0 {
			// （更新至2022年11月15日）: the text as of that day.
			h.issued = cmp.Or(h.issued, isoDate(m[1], m[2], m[3]))
			h.lines = i + 1
			continue
		}
		if m := authorDateRe.FindStringSubmatch(l); m != nil && len(titles) > 0 && isIssuer(m[1]) {
			// Under an interpretation's title, its author and date.
			addIssuer(m[1])
			h.issued = cmp.Or(h.issued, isoDate(m[2], m[3], m[4]))
			h.lines = i + 1
			continue
		}
		if m := issueNoteRe.FindStringSubmatch(l); m != nil && len(titles) > 0 {
			h.issued = isoDate(m[1], m[2], m[3])
			if h.docNo == "" {
				h.docNo = docNoInTextRe.FindString(l)
			}
			h.lines = i + 1
			continue
		}
		if i > 0 && (len([]rune(l)) > 90 || strings.ContainsAny(l, "。；，？?") || answerLineRe.MatchString(l) || strings.HasSuffix(l, "：") || strings.HasSuffix(l, ":") || headingLevel(l) >= 0 || dateLineRe.MatchString(l)) {
			h.lines = i
			break
		}
		if red, ok := redHead(l); ok && len(titles) == 0 {
			// The red head of an official document: 某省人民政府办公厅文件.
			addIssuer(red)
		} else if isIssuer(l) {
			// Before the title, its issuer's line; after it, the line an
			// interpretation or a web page prints its author on.
			addIssuer(l)
			signed = signed || len(titles) > 0
		} else if before, _, ok := strings.Cut(l, "关于"); ok && len(titles) == 0 && before != "" && isIssuer(before) {
			addIssuer(before)
			if h.docNo != "" && i > 0 && lines[i-1] != "" && isIssuer(lines[i-1]) {
				// Under the 文号, joint issuers wrapped over two lines
				// (某市人力资源和社会保障局 某市财政局 / 某市税务局关于…) are
				// all the title's.
				l = lines[i-1] + " " + l
			}
			titles = append(titles, l)
		} else if signed {
			// Under its author the title is complete: what follows on a
			// cover (another body's name, the month, 编制说明) is none
			// of it.
			break
		} else {
			titles = append(titles, l)
		}
		h.lines = i + 1
	}
	h.issuer = cmp.Or(strings.Join(issuers, " "), source)
	h.issued = cmp.Or(h.issued, published)
	title := strings.Join(titles, "")
	if labelled != "" {
		title = labelled
	}
	title = strings.TrimSpace(title)
	// A web page may print the 文号 after the title, in brackets:
	// ……的通知（苏政办发〔2012〕45号）.
	if m := titleDocNoRe.FindStringSubmatchIndex(title); m != nil && h.docNo == "" {
		h.docNo = title[m[2]:m[3]]
		title = strings.TrimSpace(title[:m[0]])
	}
	if strings.HasPrefix(title, "《") && strings.HasSuffix(title, "》") && strings.Count(title, "《") == 1 {
		title = strings.TrimSuffix(strings.TrimPrefix(title, "《"), "》")
	}
	// A title printed under its issuer and starting with 关于 is officially
	// the issuer's: 某省人民政府关于加快推进……的指导意见.
	if strings.HasPrefix(title, "关于") && h.issuer != "" {
		title = h.issuer + title
	}
	// Joint issuers are set apart by one space, as their titles print
	// them (财政部 税务总局关于…), however wide the line aligned them.
	if before, after, ok := strings.Cut(title, "关于"); ok && isIssuer(before) {
		title = strings.Join(strings.Fields(before), " ") + "关于" + after
	}
	h.title = title
	return h
}

// samePlace says whether a title opens with its issuer's place: the
// issuer's name up to its first 省, 市 or 县, of at least three characters.
func samePlace(title, issuer string) bool {
	i := strings.IndexAny(issuer, "省市县")
	return i >= 0 && utf8.RuneCountInString(issuer[:i]) >= 2 && strings.HasPrefix(title, issuer[:i+len("市")])
}

// redHead reads the red head an official document prints over its 文号:
// its issuer and 文件 (某省人民政府办公厅文件), or 规范性文件 for a
// regulation (某市人力资源和社会保障局 规范性文件). It gives the issuer.
func redHead(l string) (string, bool) {
	red, ok := strings.CutSuffix(l, "文件")
	if !ok {
		return "", false
	}
	red = strings.TrimSpace(strings.TrimSuffix(red, "规范性"))
	return red, isIssuer(red)
}

// signature finds the issuing body and date printed at the end of a notice:
// a date alone on a line, preceded by the signing body. from is where the
// body starts: a line of the header above a date is no signature.
func signature(lines []string, from int) (issuer, date string) {
	for i, l := range lines {
		m := dateLineRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		date = isoDate(m[1], m[2], m[3])
		if i > from && len([]rune(lines[i-1])) <= 40 && !strings.ContainsAny(lines[i-1], "。，；：") {
			issuer = lines[i-1]
		}
		return issuer, date
	}
	return "", ""
}

// FromLines builds a document from its lines as printed. Its body is the
// lines with white space folded and empty lines dropped; its title, 文号,
// issuer, issue date and stated period are read from them, and what is
// not printed stays empty. kind is 原文 (the default) or 解读: an
// interpretation is titled under its issuer and states no period of its
// own, whatever periods it quotes. The caller sets ID, Domain and Source.
func FromLines(lines []string, kind string) Document {
	d := Document{Kind: kind}
	var body []string
	for _, l := range lines {
		if l = normLine(l); l != "" {
			body = append(body, l)
		}
	}
	read(&d, body, nil)
	return d
}

// read sets d's body to lines (normalized, none empty) and fills in what
// they print about it. Fields whose front-matter key is in given are kept
// as they are, even empty: a key set to "" says the text prints none, so
// nothing is read for it.
func read(d *Document, lines []string, given map[string]bool) {
	d.Body = strings.Join(lines, "\n")
	kindGiven := d.Kind != "" || given["kind"]
	if d.Kind == "" {
		d.Kind = "原文"
	}
	h := parseHeader(lines)
	sigIssuer, sigDate := signature(lines, h.lines)
	if !given["doc_no"] {
		d.DocNo = h.docNo
	}
	if !given["issuer"] {
		d.Issuer = cmp.Or(h.issuer, sigIssuer)
	}
	if !given["issued"] {
		d.Issued = cmp.Or(sigDate, h.issued)
	}
	if d.Title == "" {
		d.Title = h.title
		if !kindGiven && interpretationRe.MatchString(d.Title) {
			d.Kind = "解读"
		}
		// Each department's interpretation of one set of measures is
		// told apart by its issuer, unless its title names its region
		// already (某市稳岗就业政策问答 by 某市人力资源和社会保障局).
		if d.Kind == "解读" && d.Issuer != "" && !samePlace(d.Title, d.Issuer) {
			d.Title = strings.ReplaceAll(d.Issuer, " ", "") + d.Title
		}
		if d.Title == "" && len(lines) > 0 {
			// The first line that is no web page's metadata.
			first := lines[0]
			for _, l := range lines {
				if !metadataLine(l) {
					first = l
					break
				}
			}
			d.Title = strings.TrimSpace(strings.TrimLeft(first, "#"))
		}
	}
	if d.Kind == "解读" {
		// An interpretation quotes other documents' periods; it states none
		// of its own.
		return
	}
	from, until := period(d.Title, d.Body, d.Issued, h.lines)
	if !given["effective_from"] {
		d.EffectiveFrom = from
	}
	if !given["effective_until"] {
		d.EffectiveUntil = until
	}
}

// interpretationRe matches the title of a document that explains another
// rather than stating policy itself: ……政策解读, ……答记者问, ……问答.
var interpretationRe = regexp.MustCompile(`(?:解读|答记者问|问答)(?:[（(][^）)]*[）)])?$`)

// Year gives the year of issue: from the issue date, else from the 文号,
// which prints it (浙政办发〔2023〕12号). It returns 0 when neither says.
func (d *Document) Year() int {
	if len(d.Issued) >= 4 {
		if y, err := strconv.Atoi(d.Issued[:4]); err == nil {
			return y
		}
	}
	if m := yearRe.FindString(d.DocNo); m != "" {
		y, _ := strconv.Atoi(m)
		return y
	}
	return 0
}

// Cite renders the document as users see it cited: 《title》（文号）.
func (d *Document) Cite() string {
	if d.DocNo == "" {
		return fmt.Sprintf("《%s》", d.Title)
	}
	return fmt.Sprintf("《%s》（%s）", d.Title, d.DocNo)
}

// docNoFolder makes the bracket forms printed in 文号 alike.
var docNoFolder = strings.NewReplacer("﹝", "〔", "﹞", "〕", "[", "〔", "]", "〕", "［", "〔", "］", "〕", "（", "〔", "）", "〕", "(", "〔", ")", "〕", " ", "")

// FoldDocNo makes the several bracket forms of a document number alike —
// 浙政办发﹝2023﹞12号, 浙政办发〔2023〕12号, 浙政办发[2023]12号 — so a
// number in one text can be found in another. Fold both sides.
func FoldDocNo(s string) string { return docNoFolder.Replace(s) }
