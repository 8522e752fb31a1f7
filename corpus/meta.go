package corpus

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// docNoRe matches a 文号 printed on its own line: 冀政发〔2018〕4号,
// 冀政办字﹝2017﹞127号, 冀办字[2018]7号, 国家税务总局公告2018年第17号.
var docNoRe = regexp.MustCompile(`^(?:[\p{Han}]{1,10}[〔﹝\[［(（]\d{4}[〕﹞\]］)）]\s*\d+\s*号|[\p{Han}]{2,12}公告\d{4}年第\d+号)$`)

// docNoInTextRe finds a 文号 inside running text, for users' files without
// front matter.
var docNoInTextRe = regexp.MustCompile(`[\p{Han}]{1,10}[〔﹝\[［(（]\d{4}[〕﹞\]］)）]\s*\d+\s*号|[\p{Han}]{2,12}公告\d{4}年第\d+号`)

// yearRe finds the year printed in a 文号.
var yearRe = regexp.MustCompile(`\d{4}`)

// dateLineRe matches a signature date alone on a line.
var dateLineRe = regexp.MustCompile(`^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$`)

// issuerSuffixes end the names of the bodies that issue policy documents.
var issuerSuffixes = []string{"人民政府", "办公厅", "办公室", "委员会", "财政厅", "税务总局", "税务局", "财政部", "科技部", "商务部", "发展改革委", "省委", "工业和信息化厅", "科学技术厅", "保监局"}

// isIssuer says whether a header line names issuing bodies rather than
// being part of a title.
func isIssuer(line string) bool {
	if strings.Contains(line, "关于") || strings.ContainsAny(line, "《》“”") || len([]rune(line)) > 40 {
		return false
	}
	for _, s := range issuerSuffixes {
		if strings.HasSuffix(line, s) {
			return true
		}
	}
	return false
}

// isoDate turns 2018年8月9日 into 2018-08-09, or "" when it is no date.
func isoDate(y, m, d string) string {
	yy, _ := strconv.Atoi(y)
	mm, _ := strconv.Atoi(m)
	dd, _ := strconv.Atoi(d)
	t := time.Date(yy, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
	if t.Year() != yy || int(t.Month()) != mm || t.Day() != dd {
		return ""
	}
	return t.Format(time.DateOnly)
}

var (
	// rangeRe: 自2018年1月1日至2020年12月31日 / 在2018年1月1日至2020年12月31日期间.
	rangeRe = regexp.MustCompile(`[自在]\s*(\d{4})年(\d{1,2})月(\d{1,2})日\s*至\s*(\d{4})年(\d{1,2})月(\d{1,2})日`)
	// fromRe: 本通知自2018年5月1日起执行 / 本办法自发布之日起施行.
	fromRe = regexp.MustCompile(`本(?:通知|公告|办法|规定|措施|意见|方案|政策)[^。；]{0,12}?自\s*(?:(\d{4})年(\d{1,2})月(\d{1,2})日|(?:发布|公布|印发)之日)\s*起\s*(?:施行|执行|实施)|本(?:通知|公告|办法|规定)自\s*(\d{4})年(\d{1,2})月(\d{1,2})日\s*开始执行`)
	// termRe: 有效期3年 / 执行期限暂定为3年.
	termRe = regexp.MustCompile(`(?:有效期|执行期限暂定为|执行期限为)\s*([0-9一二三四五六七八九十]+)\s*年`)
	// trialRe: 试行期到2018年.
	trialRe = regexp.MustCompile(`试行期(?:到|至)\s*(\d{4})\s*年`)
	// titleRangeRe: （2018－2020年） in a plan's title.
	titleRangeRe = regexp.MustCompile(`[（(]\s*(\d{4})\s*[-－—–]\s*(\d{4})\s*年\s*[）)]`)
)

var cnDigits = map[rune]int{'一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9, '十': 10}

func smallNumber(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	r := []rune(s)
	if len(r) == 1 {
		return cnDigits[r[0]]
	}
	return 0
}

// period reads the validity a document states about itself. It returns
// empty strings where the text states nothing: a period is never guessed.
func period(title, body, issued string, headerLines int) (from, until string) {
	// A plan's own years in its title — （2018－2020年） — are its period.
	if m := titleRangeRe.FindStringSubmatch(title); m != nil {
		return m[1] + "-01-01", m[2] + "-12-31"
	}
	if m := fromRe.FindStringSubmatch(body); m != nil {
		switch {
		case m[1] != "":
			from = isoDate(m[1], m[2], m[3])
		case m[4] != "":
			from = isoDate(m[4], m[5], m[6])
		default:
			from = issued
		}
	}
	if m := trialRe.FindStringSubmatch(body); m != nil {
		if from == "" {
			from = issued
		}
		return from, m[1] + "-12-31"
	}
	if m := termRe.FindStringSubmatch(body); m != nil {
		start := from
		if start == "" {
			start = issued
		}
		if n := smallNumber(m[1]); n > 0 && start != "" {
			if t, err := time.Parse(time.DateOnly, start); err == nil {
				return start, t.AddDate(n, 0, -1).Format(time.DateOnly)
			}
		}
	}
	// A notice whose first provision runs 自…至… (财税〔2018〕77号) states
	// its period there; a range deeper in a long text is one clause's own.
	lines := strings.Split(body, "\n")
	if headerLines < len(lines) {
		first := []rune(strings.Join(lines[headerLines:], "\n"))
		if m := rangeRe.FindStringSubmatch(string(first[:min(len(first), 400)])); m != nil {
			f := isoDate(m[1], m[2], m[3])
			if from == "" || from == f {
				return f, isoDate(m[4], m[5], m[6])
			}
		}
	}
	return from, until
}

// header is what the first lines of a document say about it.
type header struct {
	issuer, title, docNo string
	lines                int // how many of the document's lines the header takes
}

// parseHeader reads issuer lines, title lines and the 文号 from the top of
// a document. The header ends at the 文号, at a salutation (各市…：), at a
// long line of running text, or at the first numbered heading.
func parseHeader(lines []string) header {
	var h header
	var issuers, titles []string
	for i, l := range lines {
		if i == 0 && headingLevel(l) >= 0 {
			// The text starts straight with 第一条 or 一、: it has no header.
			break
		}
		if docNoRe.MatchString(l) {
			h.docNo = l
			h.lines = i + 1
			break
		}
		if i > 0 && (len([]rune(l)) > 90 || strings.ContainsAny(l, "。；，") || strings.HasSuffix(l, "：") || strings.HasSuffix(l, ":") || headingLevel(l) >= 0 || dateLineRe.MatchString(l)) {
			h.lines = i
			break
		}
		if len(titles) == 0 && isIssuer(l) {
			issuers = append(issuers, l)
		} else if before, _, ok := strings.Cut(l, "关于"); ok && len(titles) == 0 && before != "" && isIssuer(before) {
			issuers = append(issuers, before)
			titles = append(titles, l)
		} else {
			titles = append(titles, l)
		}
		h.lines = i + 1
	}
	h.issuer = strings.Join(issuers, " ")
	title := strings.Join(titles, "")
	title = strings.TrimSpace(title)
	if strings.HasPrefix(title, "《") && strings.HasSuffix(title, "》") && strings.Count(title, "《") == 1 {
		title = strings.TrimSuffix(strings.TrimPrefix(title, "《"), "》")
	}
	// A title printed under its issuer and starting with 关于 is officially
	// the issuer's: 河北省人民政府关于加快推进……的指导意见.
	if strings.HasPrefix(title, "关于") && h.issuer != "" {
		title = strings.ReplaceAll(h.issuer, " ", "") + title
	}
	// Issuers printed on one line with the title keep their alignment
	// spaces; the title does not: 财政部 税务总局关于… → 财政部税务总局关于….
	if before, after, ok := strings.Cut(title, "关于"); ok && isIssuer(before) {
		title = strings.ReplaceAll(before, " ", "") + "关于" + after
	}
	h.title = title
	return h
}

// signature finds the issuing body and date printed at the end of a notice:
// a date alone on a line, preceded by the signing body.
func signature(lines []string) (issuer, date string) {
	for i, l := range lines {
		m := dateLineRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		date = isoDate(m[1], m[2], m[3])
		if i > 0 && len([]rune(lines[i-1])) <= 40 && !strings.ContainsAny(lines[i-1], "。，；：") {
			issuer = lines[i-1]
		}
		return issuer, date
	}
	return "", ""
}

// Year gives the year of issue: from the issue date, else from the 文号,
// which prints it (冀政发〔2018〕4号). It returns 0 when neither says.
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

// Expired says whether the document's stated period ended before now.
func (d *Document) Expired(now time.Time) bool {
	if d.EffectiveUntil == "" {
		return false
	}
	t, err := time.Parse(time.DateOnly, d.EffectiveUntil)
	if err != nil {
		return false
	}
	return now.After(t.AddDate(0, 0, 1))
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
// 冀政办字﹝2017﹞127号, 冀政办字〔2017〕127号, 冀政办字[2017]127号 — so a
// number in one text can be found in another. Fold both sides.
func FoldDocNo(s string) string { return docNoFolder.Replace(s) }
