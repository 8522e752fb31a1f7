package corpus

import (
	"regexp"
	"strings"
)

// Heading levels, outermost first. A document uses some of them; the
// chunker follows whichever it finds.
const (
	levelAnnex    = iota // 附件2
	levelChapter         // 第二章 支持的对象和标准
	levelArticle         // 第九条 申报材料。
	levelCN              // 三、构建现代工业产业链体系
	levelParenCN         // （一）集中培植7个战略性新兴产业链。
	levelNum             // 1. 高端装备产业链。
	levelParenNum        // （1）…
	levelQuestion        // 问：…, the question of a question-and-answer text
)

var headingRes = []*regexp.Regexp{
	levelAnnex:    regexp.MustCompile(`^附件\s*([0-9０-９]+)?$|^附件\s*[0-9０-９]*[\s\x{3000}]+\p{Han}[^。；，：:]{1,39}$|^附\s*[：:]\s*[^。；，：:]{2,40}$`),
	levelChapter:  regexp.MustCompile(`^第[一二三四五六七八九十百]+章`),
	levelArticle:  regexp.MustCompile(`^第[一二三四五六七八九十百零]+条`),
	levelCN:       regexp.MustCompile(`^[一二三四五六七八九十]+、`),
	levelParenCN:  regexp.MustCompile(`^[（(][一二三四五六七八九十]+[）)]`),
	levelNum:      regexp.MustCompile(`^[0-9０-９]{1,2}\s*[.．、](?:[^0-9０-９]|$)`),
	levelParenNum: regexp.MustCompile(`^[（(][0-9０-９]{1,2}[）)]`),
	levelQuestion: regexp.MustCompile(`^(?:问|Q|Ｑ)\s*[：:]`),
}

// annexNumberRe is an annex's mark: 附件 and its number, if any.
var annexNumberRe = regexp.MustCompile(`^附件\s*[0-9０-９]*`)

// headingLevel returns the level of a line that opens a numbered division,
// or -1 for running text.
func headingLevel(line string) int {
	for lvl, re := range headingRes {
		if re.MatchString(line) {
			return lvl
		}
	}
	return -1
}

// headingMark returns the numbering that opens a heading line — 第九条,
// 三、, （一）, 1., 附件2 — for citation labels.
func headingMark(line string, lvl int) string {
	m := headingRes[lvl].FindString(line)
	switch lvl {
	case levelNum:
		// The pattern may have taken the first character of the text.
		r := []rune(m)
		for i, c := range r {
			if c == '.' || c == '．' || c == '、' {
				return strings.TrimSpace(string(r[:i]))
			}
		}
	case levelCN:
		return strings.TrimSuffix(m, "、")
	case levelAnnex:
		if strings.HasPrefix(m, "附件") {
			// 附件2, or 附件 for an annex headed by its name alone
			// (附件　惠企政策咨询电话一览表).
			return strings.Join(strings.Fields(annexNumberRe.FindString(m)), "")
		}
		// 附：…申报表, what a text attaches at its end, under a name
		// of its own.
		return "附"
	}
	return m
}
