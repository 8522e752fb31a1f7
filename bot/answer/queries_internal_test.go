package answer

import (
	"slices"
	"strings"
	"testing"

	"github.com/policybot/policybot/retrieval"
)

func TestParseQueries(t *testing.T) {
	const question = "少交税有什么政策？"
	tests := []struct {
		name, out string
		n         int
		want      []string
		err       string // a piece of the error; empty: none
	}{
		{"one a line", "增值税减免\n企业所得税优惠", 3, []string{"增值税减免", "企业所得税优惠"}, ""},
		{"markers and quotes dropped", "1. 增值税减免\n2、“企业所得税优惠”\n- 税收减免政策\n（4）小微企业减免", 3, []string{"增值税减免", "企业所得税优惠", "税收减免政策"}, ""},
		{"bullets and blank lines", "\n· 增值税减免\n\n• 研发费用加计扣除\n", 3, []string{"增值税减免", "研发费用加计扣除"}, ""},
		{"at most n", "甲减免\n乙补贴\n丙奖励", 2, []string{"甲减免", "乙补贴"}, ""},
		{"repeats dropped", "增值税减免\n增值税减免\n少交税有什么政策？\n 增值税  减免 ", 3, []string{"增值税减免", "增值税  减免"}, ""},
		{"only the question", " 少交税有什么政策？ ", 3, nil, ""},
		{"a long line among short ones", strings.Repeat("长", 61) + "\n增值税减免", 3, []string{"增值税减免"}, ""},
		{"empty", "  \n ", 3, nil, "no line of the answer is a query"},
		{"only long lines", strings.Repeat("长", 61) + "\n" + strings.Repeat("句", 70), 3, nil, "no line of the answer is a query"},
		{"too long altogether", strings.Repeat("增值税减免\n", 60), 3, nil, "too long to be 3 queries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseQueries(tt.out, question, tt.n)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("parseQueries: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("parseQueries = %q, %v; want an error holding %q", got, err, tt.err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("parseQueries = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	h := func(ids string) []retrieval.Hit {
		var out []retrieval.Hit
		for i, id := range ids {
			out = append(out, retrieval.Hit{Rank: i + 1, ChunkID: string(id), Score: float64(len(ids) - i)})
		}
		return out
	}
	ids := func(hs []retrieval.Hit) string {
		var b strings.Builder
		for i, x := range hs {
			if x.Rank != i+1 {
				t.Errorf("hit %s has rank %d at %d", x.ChunkID, x.Rank, i+1)
			}
			b.WriteString(x.ChunkID)
		}
		return b.String()
	}
	tests := []struct {
		name  string
		lists []string
		k     int
		want  string
	}{
		{"alone", []string{"ABC"}, 5, "ABC"},
		{"found twice passes found once", []string{"ABCD", "DC"}, 5, "ADCB"},
		{"the first stays first", []string{"ABC", "BX", "BY", "BZ"}, 5, "ABXYZ"},
		{"ties keep the order of first appearance", []string{"AB", "CD"}, 5, "ACBD"},
		{"cut at k", []string{"ABCDE", "FGH"}, 3, "AFB"},
		{"k zero: the longest list's length", []string{"AB", "CDE"}, 0, "ACB"},
		{"nothing found by the question", []string{"", "XY"}, 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lists [][]retrieval.Hit
			for _, l := range tt.lists {
				lists = append(lists, h(l))
			}
			got := merge(lists, tt.k)
			if ids(got) != tt.want {
				t.Errorf("merge(%q, %d) = %s, want %s", tt.lists, tt.k, ids(got), tt.want)
			}
			for _, x := range got {
				if x.ChunkID == "A" && x.Score != float64(len(tt.lists[0])) {
					t.Errorf("A's score %v, want the question's own %d", x.Score, len(tt.lists[0]))
				}
			}
		})
	}
}
