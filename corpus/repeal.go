package corpus

import (
	"regexp"
	"strings"
)

// docNoInTextRe finds a 文号 in running text. The issuer's code it takes
// may carry words before it (原浙财企〔2021〕8号), so a number is matched
// by its end.
var docNoInTextRe = regexp.MustCompile(docNoPattern)

// markRepeals reads, in every document, the sentences that repeal others
// (《…》（浙财企〔2021〕8号）同时废止) and records the 文号 they name in
// Repeals; a repealed document that is loaded too is marked with the
// document that repealed it, from the day that document takes effect, so
// that it is never presented as current.
func markRepeals(docs []Document) {
	folded := make([]string, len(docs))
	for i := range docs {
		folded[i] = FoldDocNo(docs[i].DocNo)
	}
	for i := range docs {
		d := &docs[i]
		if d.Kind == "解读" {
			// An interpretation reports repeals; it makes none.
			continue
		}
		seen := map[string]bool{}
		for _, s := range splitSentences(strings.ReplaceAll(d.Body, "\n", "")) {
			if !strings.Contains(s, "废止") {
				continue
			}
			for _, no := range docNoInTextRe.FindAllString(s, -1) {
				no = strings.TrimSpace(no)
				f := FoldDocNo(no)
				if seen[f] || folded[i] != "" && strings.HasSuffix(f, folded[i]) {
					continue
				}
				seen[f] = true
				d.Repeals = append(d.Repeals, no)
				for j := range docs {
					if j == i || folded[j] == "" || !strings.HasSuffix(f, folded[j]) {
						continue
					}
					docs[j].RepealedBy = d.Cite()
					docs[j].RepealedOn = d.EffectiveFrom
					if docs[j].RepealedOn == "" {
						docs[j].RepealedOn = d.Issued
					}
				}
			}
		}
	}
}
