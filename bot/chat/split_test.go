package chat

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		text string
		max  int
		want []string
	}{
		{"empty", "", 10, nil},
		{"blank", "  \n\u3000 ", 10, nil},
		{"short", " 你好 ", 10, []string{"你好"}},
		{"exactly max", "一二三四", 4, []string{"一二三四"}},
		{"no limit", "一二三四五六", 0, []string{"一二三四五六"}},
		{"paragraph", "第一段。\n\n第二段。", 8, []string{"第一段。", "第二段。"}},
		{"paragraph with spaces on the blank line", "第一段。\n  \n第二段。", 8, []string{"第一段。", "第二段。"}},
		{"sentence", "一二三。四五六。七八九。", 9, []string{"一二三。四五六。", "七八九。"}},
		{"semicolon and line", "甲；乙\n丙丁戊己", 5, []string{"甲；乙", "丙丁戊己"}},
		{"closing quote stays", "他说：“好。”然后走了", 8, []string{"他说：“好。”", "然后走了"}},
		{"early paragraph loses to later sentence", "短。\n\n一二三四五。六七八", 10, []string{"短。\n\n一二三四五。", "六七八"}},
		{"line end right after max", "一。二三四\n五", 5, []string{"一。二三四", "五"}},
		{"hard", "一二三四五六七八九十", 4, []string{"一二三四", "五六七八", "九十"}},
		{"words", "aaa bbb ccc", 5, []string{"aaa", "bbb", "ccc"}},
		{"max one", "一。二", 1, []string{"一", "。", "二"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.text, tt.max)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
				t.Errorf("Split(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
			}
			checkSplit(t, tt.text, tt.max, got)
		})
	}
}

// checkSplit asserts Split's promises: no blank part, no part over max
// runes, and the parts are the text in order with only whitespace dropped
// between and around them.
func checkSplit(t *testing.T, text string, max int, parts []string) {
	t.Helper()
	pos := 0
	for i, p := range parts {
		if strings.TrimSpace(p) == "" {
			t.Fatalf("part %d is blank: %q", i, p)
		}
		if n := utf8.RuneCountInString(p); max > 0 && n > max {
			t.Fatalf("part %d has %d runes, want at most %d", i, n, max)
		}
		pos += len(text[pos:]) - len(strings.TrimLeftFunc(text[pos:], unicode.IsSpace))
		if !strings.HasPrefix(text[pos:], p) {
			t.Fatalf("part %d %q does not continue the text at byte %d: %q", i, p, pos, text[pos:])
		}
		pos += len(p)
	}
	if rest := text[pos:]; strings.TrimSpace(rest) != "" {
		t.Fatalf("text after the last part was dropped: %q", rest)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("第一段。\n\n第二段。", 8)
	f.Add("他说：“好。”然后走了", 3)
	f.Add("aaa bbb\u2005ccc\u3000ddd", 2)
	f.Add("\xff\xfe。\n\n", 1)
	f.Add(strings.Repeat("根据《河北省人民政府关于支持企业发展的若干措施》（冀政发〔2018〕1号）第三条，", 20), 100)
	f.Fuzz(func(t *testing.T, text string, max int) {
		max = max%64 + 1
		if max <= 0 {
			max += 64
		}
		checkSplit(t, text, max, Split(text, max))
	})
}

func BenchmarkSplit(b *testing.B) {
	para := "根据《河北省人民政府关于支持企业发展的若干措施》（冀政发〔2018〕1号）第三条，符合条件的小微企业可以申请补贴；具体标准以主管部门公布为准。\n\n"
	for _, n := range []int{1_000, 10_000, 100_000} {
		text := strings.Repeat(para, n/utf8.RuneCountInString(para)+1)
		b.Run(fmt.Sprintf("runes=%d", n), func(b *testing.B) {
			for b.Loop() {
				Split(text, 500)
			}
		})
	}
}
