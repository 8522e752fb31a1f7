package answer

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Sentence is one sentence of a generated answer and what grounding made
// of it. ask --json reports them, so a reader can see why a sentence the
// model wrote is not in the answer.
type Sentence struct {
	Text string `json:"text"`
	Kept bool   `json:"kept"`
	// Reason says why a sentence was dropped: one of the drop constants.
	Reason string `json:"reason,omitempty"`
	// Detail names what was wrong: the figure not found, the marker.
	Detail string `json:"detail,omitempty"`
}

// Why a sentence was dropped.
const (
	dropForged        = "forged_block"      // imitates the 来源 or 时效提示 block
	dropValidityClaim = "validity_claim"    // says a policy is in force; only the corpus may say so
	dropLink          = "link"              // holds a URL
	dropPhone         = "phone"             // holds a phone number no clause gives
	dropDocNo         = "unknown_doc_no"    // names a 文号 no clause gives
	dropMarker        = "invalid_marker"    // cites a clause it was not given
	dropFigure        = "ungrounded_figure" // a figure its cited clauses do not hold
)

var (
	// forgedRe opens a line that poses as one of the blocks the bot adds
	// itself: 来源：, 时效提示：, 【出处】….
	forgedRe = regexp.MustCompile(`^[\s【\[（(]*(?:来源|出处|参考来源|参考文件|依据文件|时效提示|时效|有效期提示|温馨提示)[\s】\]）)]*[:：]`)
	// validityClaimRe finds a claim that a policy is still in force. Whether
	// it is, is judged from the corpus and said by the bot, not the model.
	validityClaimRe = regexp.MustCompile(`(?:现行|目前|仍然|依然|仍|一直|长期|尚未失效|没有失效|未失效|继续)有效|现行有效|有效期内|仍在执行|仍可享受|目前仍可|现在还能享受|现在仍能享受`)
	linkRe          = regexp.MustCompile(`(?i)https?://\S+|www\.\S+|[a-z0-9-]+\.(?:com|cn|net|org|gov)(?:\.cn)?(?:/\S*)?`)
	// phoneRe finds phone numbers: mobiles, landlines with an area code,
	// and 5-digit service lines.
	phoneRe = regexp.MustCompile(`1[3-9]\d{9}|0\d{2,3}[-－—]\d{7,8}|(?:热线|电话|拨打|致电|咨询)[^\d。；，]{0,6}\d[\d-－—]{2,}`)
	// docNoRe finds a 文号 in generated text, in the printed bracket forms.
	docNoRe = regexp.MustCompile(`([\p{Han}]{1,12})(?:[〔﹝\[［【(（]\s*(\d{4})\s*[〕﹞\]］】)）]\s*(\d+)\s*号|公告(\d{4})年第(\d+)号)`)
	// figureRe finds the figures a sentence states: amounts, percentages,
	// dates, years, counts. A figure is a number with the unit that gives
	// it its sense (万, 亿, %) when there is one.
	figureRe = regexp.MustCompile(`\d+(?:\.\d+)?(?:万|亿|%)?`)
	// enumRe is a list number opening a line (1. 1、 （1） ①), which is
	// layout, not a figure.
	enumRe = regexp.MustCompile(`^\s*(?:\d{1,2}[.、．)）]|[（(]\d{1,2}[)）])`)
)

// ground checks a generated answer sentence by sentence against the
// clauses it was given and returns the sentences that stand, joined, and
// what became of each. First anything posing as the bot's own blocks or
// claims is removed; then a sentence stays only if every [n] it carries
// names a given clause and every figure in it appears in a clause it
// cites.
func ground(text string, cites []Citation) (string, []Sentence) {
	text = strings.ToValidUTF8(text, "")
	given := map[int]string{}
	var all strings.Builder
	for _, c := range cites {
		given[c.N] = squeezeDigits(c.Text + c.DocNo + c.Title)
		all.WriteString(given[c.N])
	}
	known := docNos(all.String())
	var out []Sentence
	var lines []string
	inForged := false
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if t == "" {
			inForged = false
			lines = append(lines, "")
			continue
		}
		if forgedRe.MatchString(t) {
			// The block runs to the next blank line.
			inForged = true
		}
		var kept strings.Builder
		for _, s := range sentences(t) {
			st := Sentence{Text: s}
			if inForged {
				st.Reason = dropForged
			} else {
				st.Reason, st.Detail = judgeSentence(s, given, all.String(), known)
			}
			st.Kept = st.Reason == ""
			if st.Kept {
				kept.WriteString(s)
			}
			out = append(out, st)
		}
		if kept.Len() > 0 {
			lines = append(lines, kept.String())
		}
	}
	// Blank lines between what is kept stay single.
	var b strings.Builder
	blank := false
	for _, l := range lines {
		switch {
		case l == "":
			blank = b.Len() > 0
		case blank:
			b.WriteString("\n\n")
			blank = false
			b.WriteString(l)
		default:
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(l)
		}
	}
	return b.String(), out
}

// judgeSentence returns why a sentence must go, or "".
func judgeSentence(s string, given map[int]string, all string, known []docNo) (reason, detail string) {
	if m := validityClaimRe.FindString(s); m != "" {
		return dropValidityClaim, m
	}
	if m := linkRe.FindString(s); m != "" {
		return dropLink, m
	}
	bare := enumRe.ReplaceAllString(markerRe.ReplaceAllString(s, ""), "")
	for _, m := range phoneRe.FindAllString(bare, -1) {
		number := strings.TrimLeftFunc(m, func(r rune) bool { return !unicode.IsDigit(r) })
		if !strings.Contains(all, squeezeDigits(number)) {
			return dropPhone, number
		}
	}
	for _, m := range docNos(bare) {
		if !m.in(known) {
			return dropDocNo, m.text
		}
	}
	var cited []string
	for _, m := range markerRe.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.Atoi(m[1])
		text, ok := given[n]
		if !ok {
			return dropMarker, m[0]
		}
		cited = append(cited, text)
	}
	for _, f := range figures(bare) {
		found := false
		for _, c := range cited {
			if hasFigure(c, f) {
				found = true
				break
			}
		}
		if !found {
			return dropFigure, f.String()
		}
	}
	return "", ""
}

// figure is a number a sentence states, with the unit that gives it its
// sense (万, 亿, %) and the character after it (年, 家, 倍…).
type figure struct {
	num, unit string
	next      rune
}

func (f figure) String() string { return f.num + f.unit }

// figures lists the figures of a sentence.
func figures(s string) []figure {
	s = squeezeDigits(s)
	var out []figure
	for _, loc := range figureRe.FindAllStringIndex(s, -1) {
		m := s[loc[0]:loc[1]]
		num := strings.TrimRight(m, "万亿%")
		f := figure{num: num, unit: m[len(num):]}
		for _, r := range s[loc[1]:] {
			f.next = r
			break
		}
		out = append(out, f)
	}
	return out
}

// hasFigure says whether text states figure f: the same number, not part
// of a longer one, with the same unit when f has one. A small count may be
// printed in Chinese numerals (三年 for 3年).
func hasFigure(text string, f figure) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], f.num)
		if j < 0 {
			break
		}
		j += i
		end := j + len(f.num)
		before := j == 0 || !isNumberByte(text[j-1])
		after := end == len(text) || !isNumberByte(text[end])
		if before && after && (f.unit == "" || strings.HasPrefix(text[end:], f.unit)) {
			return true
		}
		i = j + 1
	}
	if n, err := strconv.Atoi(f.num); err == nil && f.unit == "" && f.next != 0 && !unicode.IsDigit(f.next) {
		if cn := chineseNumber(n); cn != "" {
			return strings.Contains(text, cn+string(f.next))
		}
	}
	return false
}

// chineseNumber writes 1–99 as printed in Chinese (十二, 二十), or "".
func chineseNumber(n int) string {
	const digits = "零一二三四五六七八九"
	d := []rune(digits)
	switch {
	case n <= 0 || n >= 100:
		return ""
	case n < 10:
		return string(d[n])
	case n == 10:
		return "十"
	case n < 20:
		return "十" + string(d[n%10])
	case n%10 == 0:
		return string(d[n/10]) + "十"
	}
	return string(d[n/10]) + "十" + string(d[n%10])
}

func isNumberByte(b byte) bool { return b >= '0' && b <= '9' || b == '.' }

// squeezeDigits folds full-width digits and signs to ASCII and drops the
// spaces and thousands separators figures are printed with, so that 4 0 万
// and 40万 or 1,000 and 1000 compare equal.
func squeezeDigits(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r >= '０' && r <= '９':
			r = r - '０' + '0'
		case r == '．':
			r = '.'
		case r == '％':
			r = '%'
		}
		if unicode.IsSpace(r) || r == '\u3000' {
			continue
		}
		if r == ',' && i > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1]) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// docNo is a document number as printed: the issuer's prefix, the year
// and the number.
type docNo struct{ text, prefix, year, num string }

// docNos finds the document numbers printed in text.
func docNos(text string) []docNo {
	var out []docNo
	for _, m := range docNoRe.FindAllStringSubmatch(text, -1) {
		d := docNo{text: m[0], prefix: m[1], year: m[2], num: m[3]}
		if d.year == "" {
			d.prefix, d.year, d.num = m[1]+"公告", m[4], m[5]
		}
		out = append(out, d)
	}
	return out
}

// in says whether one of known is the same document number. The prefix
// found in running text may carry words before it (依据财税…), so one
// prefix need only end the other.
func (d docNo) in(known []docNo) bool {
	for _, k := range known {
		if k.year == d.year && k.num == d.num && (strings.HasSuffix(d.prefix, k.prefix) || strings.HasSuffix(k.prefix, d.prefix)) {
			return true
		}
	}
	return false
}

// sentences cuts a line at sentence ends, keeping each end, any closing
// quote after it and any [n] markers that follow it (models write both
// 奖励40万元[1]。 and 奖励40万元。[1]).
func sentences(line string) []string {
	var out []string
	rs := []rune(line)
	start := 0
	for i := 0; i < len(rs); i++ {
		if !strings.ContainsRune("。！？；!?;", rs[i]) {
			continue
		}
		end := i + 1
		for end < len(rs) && strings.ContainsRune("”’）)」", rs[end]) {
			end++
		}
		for {
			loc := markerRe.FindStringIndex(string(rs[end:]))
			if loc == nil || loc[0] != 0 {
				break
			}
			end += len([]rune(string(rs[end:])[:loc[1]]))
		}
		out = append(out, string(rs[start:end]))
		start = end
		i = end - 1
	}
	if start < len(rs) {
		if rest := strings.TrimSpace(string(rs[start:])); rest != "" {
			out = append(out, rest)
		}
	}
	return out
}
