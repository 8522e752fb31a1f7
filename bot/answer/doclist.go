package answer

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// A question may ask which documents there are (融资担保方面都出过哪些文件,
// 有没有关于稳岗补贴的文件): what answers it is a list of documents, not
// one clause. Offline, the answer then opens with the documents its
// clauses come from, in the order retrieval ranked them, each cited by
// its best clause, so that the status and 来源 lines under the list say
// when each was issued and whether it still holds.

// docsAskedRe is how a question asks for documents: 哪些文件, 什么文件,
// 几个文件, 文件有哪些, 出过哪些 / 出台过什么.
var docsAskedRe = regexp.MustCompile(`(?:哪些|什么|哪几个|几个|几份)(?:相关|有关)?的?(?:政策)?文件|文件(?:都)?(?:有)?(?:哪些|哪几个|几个)|(?:出台|出|发|印发|下发)过(?:哪些|什么)`)

// maxListed is how many documents such an answer lists.
const maxListed = 5

// asksDocuments says whether a question asks which documents there are.
func asksDocuments(question string) bool { return docsAskedRe.MatchString(question) }

// listDocuments returns the lead listing the documents of cites (each by
// its first, best ranked clause, at most maxListed) and those clauses.
func listDocuments(cites []Citation) (string, []Citation) {
	var listed []Citation
	for _, c := range cites {
		if c.DocID == "" || slices.ContainsFunc(listed, func(l Citation) bool { return l.DocID == c.DocID }) {
			continue
		}
		listed = append(listed, c)
		if len(listed) == maxListed {
			break
		}
	}
	if len(listed) == 0 {
		return "", nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "相关文件%d件（按与问题的相关程度）：", len(listed))
	for i, c := range listed {
		fmt.Fprintf(&b, "\n%d.《%s》", i+1, shortTitle(c.Title))
		if c.DocNo != "" {
			fmt.Fprintf(&b, "（%s）", c.DocNo)
		}
		fmt.Fprintf(&b, "[%d]", c.N)
	}
	return b.String(), listed
}

// withListed adds to an answer's citations the listed clauses it lacks,
// in the order of their numbers.
func withListed(used, listed []Citation) []Citation {
	for _, c := range listed {
		if !slices.ContainsFunc(used, func(u Citation) bool { return u.N == c.N }) {
			used = append(used, c)
		}
	}
	slices.SortStableFunc(used, func(a, b Citation) int { return a.N - b.N })
	return used
}
