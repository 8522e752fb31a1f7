package corpus

import (
	"regexp"
	"strings"
)

// Some sentences of a policy document answer nothing a business owner
// asks: the notice's formulas (the salutation, 现将……通知如下, 特此公告,
// the signature and its date), the repeal of another document, and the
// call on officials to publicise and implement it. They are recognised by
// their form, whatever the document, so that a clause made only of them is
// never cited and an extract leaves them out.
var (
	// formulaLineRe matches a whole line that is a formula.
	// The last lines of a printed notice (版记) are formulas too: whom it
	// was copied to (抄送：…) and who printed it when (…办公厅 2012年4月30日印发).
	formulaLineRe = regexp.MustCompile(`^(?:.{0,80}[：:]|.{0,60}(?:如下|印发给你们|印发你们|请遵照执行|请认真贯彻执行|请认真贯彻落实|请认真抓好贯彻落实|请结合实际认真贯彻执行)[。：:]?|.{0,30}(?:厅|局|部|委|政府|办公室|办公厅|委员会|领导小组)|` + datePattern + `|特此(?:公告|通知)。?|（此件公开发布）|\(此件公开发布\)|(?:抄送|抄报|主送|分送)\s*[：:].*|.{0,40}` + datePattern + `\s*印发)$`)
	// inertSentenceRe matches a sentence that repeals another document or
	// asks officials to publicise or carry out this one.
	inertSentenceRe = regexp.MustCompile(`(?:同时|起|予以|即行)?废止|停止执行|宣传辅导|宣传解读|宣传培训|做好.{0,10}宣传|确保.{0,12}落实到位|请遵照执行|认真贯彻执行|抓好贯彻落实`)
)

// Informative returns the lines of a clause that carry policy, with the
// sentences that answer nothing left out; "" when nothing is left. A line
// that merely repeats the document's title is left out too.
func Informative(text, title string) string {
	var out []string
	copied := false // within a 版记's 抄送 list wrapped over lines
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if copied {
			// 抄送：市委各部门，…市监 / 委，市法院，…合肥警备区。: the list
			// runs to its full stop.
			copied = !strings.HasSuffix(line, "。")
			continue
		}
		if formulaLine(line, title) {
			copied = copyListRe.MatchString(line) && !strings.HasSuffix(line, "。")
			continue
		}
		var kept strings.Builder
		for _, s := range splitSentences(line) {
			// A sentence that also says when this document takes effect
			// (本办法自…起施行，原办法同时废止) answers 什么时候施行.
			if !inertSentenceRe.MatchString(s) || fromRe.MatchString(s) {
				kept.WriteString(s)
			}
		}
		if k := strings.TrimSpace(kept.String()); k != "" && !isHeadingOnly(k) {
			out = append(out, k)
		}
	}
	return strings.Join(out, "\n")
}

// copyListRe opens a 版记's list of whom a notice went to.
var copyListRe = regexp.MustCompile(`^(?:抄送|抄报|主送|分送)\s*[：:]`)

// Formulaic says whether every line of a chunk is a notice's formula or
// its document's title repeated: such a chunk repeats the title's words
// and, being short, would outrank the clauses that answer.
func Formulaic(text, title string) bool {
	for _, line := range strings.Split(text, "\n") {
		if !formulaLine(strings.TrimSpace(line), title) {
			return false
		}
	}
	return true
}

// formulaLine says whether a trimmed line answers nothing: it is empty, a
// formula, or the document's title repeated.
func formulaLine(line, title string) bool {
	return line == "" || formulaLineRe.MatchString(line) || (title != "" && strings.Contains(title, line))
}

// isHeadingOnly says whether what is left of a line is only its numbering
// (三、 after the sentence that followed it was dropped).
func isHeadingOnly(s string) bool {
	lvl := headingLevel(s)
	return lvl >= 0 && strings.TrimSpace(headingRes[lvl].ReplaceAllString(s, "")) == ""
}
