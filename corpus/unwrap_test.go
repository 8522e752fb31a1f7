package corpus

import (
	"strings"
	"testing"
	"unicode"
)

// wrapAt cuts each paragraph into lines of n Han characters, as a PDF
// converter does, with a page break (its number, a form feed and the
// running head) after every perPage lines.
func wrapAt(paras []string, n, perPage int, head string) string {
	var b strings.Builder
	lines, page := 0, 1
	for _, p := range paras {
		r := []rune(p)
		for len(r) > 0 {
			k := min(n, len(r))
			b.WriteString(string(r[:k]) + "\n")
			r = r[k:]
			lines++
			if lines%perPage == 0 {
				b.WriteString("\n— " + string(rune('0'+page%10)) + " —\n\f" + head + "\n")
				page++
			}
		}
	}
	return b.String()
}

func TestUnwrap(t *testing.T) {
	long := strings.Repeat("对符合条件的中小微企业给予贷款贴息支持，", 6) + "具体办法由市财政局另行制定。"
	paras := []string{
		"宁波市人民政府关于支持企业发展的若干意见",
		"甬政发〔2020〕5号",
		"各区县（市）人民政府，市直及部省属驻甬各单位：",
		long,
		"一、减轻企业负担",
		long,
		"（一）" + long,
		"宁波市人民政府",
		"2020年2月8日",
	}
	wrapped := wrapAt(paras, 33, 4, "宁波市惠企政策汇编")
	got := unwrap(wrapped)
	var lines []string
	for _, l := range strings.Split(got, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if strings.Join(lines, "\n") != strings.Join(paras, "\n") {
		t.Errorf("unwrapped into\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(paras, "\n"))
	}

	tests := []struct{ name, in string }{
		{"paragraphs a line each", strings.Join(paras, "\n")},
		{"short lines of a table", strings.Repeat("项目名称\t金额\t单位\n", 30)},
		{"a table of contents", strings.Repeat("宁波市人民政府关于支持中小微企业共渡难关稳定发展的若干意见………1\n", 12)},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unwrap(tt.in); got != tt.in {
				t.Errorf("unwrap changed text that is not wrapped:\n%s", got)
			}
		})
	}
}

func TestUnwrapLatinWords(t *testing.T) {
	var b strings.Builder
	for range 12 {
		b.WriteString("申报材料应当真实完整并按要求提交主管部门审核备案办理Single\n")
		b.WriteString("Window申报系统填写企业基本信息和项目情况并上传附件材料办理\n")
	}
	if got := unwrap(b.String()); !strings.Contains(got, "Single Window") {
		t.Errorf("a Latin word cut at the margin was joined without its space:\n%s", got)
	}
}

func FuzzUnwrap(f *testing.F) {
	f.Add(wrapAt([]string{strings.Repeat("支持企业发展，", 40)}, 30, 5, "汇编"))
	f.Add("— 3 —\n\f\f\n第1页 共3页\n")
	f.Add(strings.Repeat("一二三四五六七八九十一二三四五六七八九十一二三\n", 20))
	f.Fuzz(func(t *testing.T, in string) {
		out := unwrap(in)
		han := func(s string) int {
			n := 0
			for _, r := range s {
				if unicode.Is(unicode.Han, r) {
					n++
				}
			}
			return n
		}
		// Rejoining adds no word of its own: only spaces between Latin
		// words, and it drops page lines.
		if han(out) > han(in) {
			t.Errorf("unwrap added Han characters: %d > %d", han(out), han(in))
		}
	})
}
