package corpus

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// renderChunks formats chunks for reading in a golden file.
func renderChunks(cs []Chunk) []byte {
	var b bytes.Buffer
	for _, c := range cs {
		fmt.Fprintf(&b, "=== %s | %s | %s\n%s\n", c.Label, strings.Join(c.Path, " > "), c.ID, c.Text)
	}
	return b.Bytes()
}

// TestChunksGolden pins how documents of each numbering style are cut:
// 第X条 articles in chapters, 一、（一） divisions, and a tax notice with
// its 公告. Run with -update after a deliberate change and read the diff.
func TestChunksGolden(t *testing.T) {
	lib := builtinLibrary(t)
	for _, id := range []string{"jcj-2016-27", "jzf-2018-4", "cs-2018-32", "sat-2018-17"} {
		t.Run(id, func(t *testing.T) {
			d, ok := lib.Document(id)
			if !ok {
				t.Fatalf("document %s not found", id)
			}
			got := renderChunks(d.Chunks)
			golden := filepath.Join("testdata", "chunks", id+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./corpus -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("chunks of %s differ from %s (run go test ./corpus -run TestChunksGolden -update and review the diff):\n%s", id, golden, firstDiff(string(got), string(want)))
			}
		})
	}
}

// firstDiff shows the first differing line, so a failure says where.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got %q\nwant %q", i+1, gl, wl)
		}
	}
	return "(no line differs)"
}

// sentenceEnd says whether text ends a sentence: 。；！？ possibly followed
// by closing quotes or brackets.
func sentenceEnd(text string) bool {
	text = strings.TrimRight(text, "”’）)」")
	r, _ := utf8.DecodeLastRuneInString(text)
	return strings.ContainsRune("。；！？", r)
}

// checkChunks asserts what every cut must keep: each chunk is a non-empty
// run of the body that starts and ends at a sentence or line boundary, its
// id is unique and its Ord is its position.
func checkChunks(t *testing.T, d *Document, cs []Chunk, seen map[string]string) {
	t.Helper()
	for i, c := range cs {
		if strings.TrimSpace(c.Text) == "" {
			t.Errorf("%s chunk %d (%s) is empty", d.ID, i, c.Label)
			continue
		}
		if c.DocID != d.ID || c.Ord != i {
			t.Errorf("%s chunk %d: got DocID %q Ord %d, want %q %d", d.ID, i, c.DocID, c.Ord, d.ID, i)
		}
		if prev, ok := seen[c.ID]; ok {
			t.Errorf("%s chunk %d (%s): id %s already used by %s", d.ID, i, c.Label, c.ID, prev)
		}
		seen[c.ID] = fmt.Sprintf("%s chunk %d", d.ID, i)
		if !boundedIn(d.Body, c.Text) {
			if !strings.Contains(d.Body, c.Text) {
				t.Errorf("%s chunk %d (%s) is not in the body:\n%s", d.ID, i, c.Label, c.Text)
			} else {
				t.Errorf("%s chunk %d (%s) starts or ends mid-sentence:\n%s", d.ID, i, c.Label, c.Text)
			}
		}
	}
}

// boundedIn says whether text occurs in body starting at a line start or
// after a sentence end, and ending at a line end or a sentence end.
func boundedIn(body, text string) bool {
	for off := 0; ; {
		i := strings.Index(body[off:], text)
		if i < 0 {
			return false
		}
		s := off + i
		e := s + len(text)
		startOK := s == 0 || body[s-1] == '\n' || sentenceEnd(body[:s])
		endOK := e == len(body) || body[e] == '\n' || sentenceEnd(text)
		if startOK && endOK {
			return true
		}
		_, w := utf8.DecodeRuneInString(body[s:])
		off = s + w
	}
}

func TestChunkInvariants(t *testing.T) {
	lib := builtinLibrary(t)
	seen := map[string]string{}
	var sizes []int
	for _, d := range lib.Documents() {
		if len(d.Chunks) == 0 {
			t.Errorf("%s has no chunks", d.ID)
		}
		checkChunks(t, &d, d.Chunks, seen)
		again := Cut(&d, DefaultChunkSize)
		if len(again) != len(d.Chunks) {
			t.Errorf("%s: cut twice gives %d and %d chunks", d.ID, len(d.Chunks), len(again))
		}
		for i := range min(len(again), len(d.Chunks)) {
			if again[i].ID != d.Chunks[i].ID {
				t.Errorf("%s chunk %d: cut twice gives ids %s and %s", d.ID, i, d.Chunks[i].ID, again[i].ID)
			}
		}
		for _, c := range d.Chunks {
			sizes = append(sizes, utf8.RuneCountInString(c.Text))
		}
	}
	slices.Sort(sizes)
	t.Logf("%d chunks; median %d runes, max %d", len(sizes), sizes[len(sizes)/2], sizes[len(sizes)-1])
}

// TestChunksKeepBody checks no clause text is lost or reordered: the
// body after the header appears in order in the chunks (spacing aside),
// except bare headings, which live on in the paths of the chunks under
// them.
func TestChunksKeepBody(t *testing.T) {
	for _, d := range builtinLibrary(t).Documents() {
		lines := strings.Split(d.Body, "\n")
		h := parseHeader(lines)
		var all strings.Builder
		paths := map[string]bool{}
		for _, c := range d.Chunks {
			all.WriteString(squeeze(c.Text))
			for _, p := range c.Path {
				paths[p] = true
			}
		}
		text := all.String()
		at := 0
		for _, l := range lines[h.lines:] {
			s := squeeze(l)
			if strings.HasPrefix(text[at:], s) {
				at += len(s)
				continue
			}
			if paths[(&node{lines: []string{l}}).title()] {
				continue
			}
			t.Errorf("%s: line %q is not where the chunks should have it", d.ID, l)
			break
		}
		if at != len(text) {
			t.Errorf("%s: chunks hold text beyond the body: %q", d.ID, text[at:min(len(text), at+60)])
		}
	}
}

func TestCutLabels(t *testing.T) {
	size := ChunkSize{Min: 10, Max: 40}
	tests := []struct {
		name string
		body string
		want []string // label | path
	}{
		{
			name: "articles in chapters",
			body: "某办法\n冀财金〔2019〕1号\n第一章 总则\n第一条 为了甲，制定本办法。这里写得足够长以免合并。\n第二条 本办法适用于乙，这里写得足够长以免合并起来。\n第二章 附则\n第三条 本办法自发布之日起施行。",
			want: []string{"第一条 | 第一章 总则", "第二条 | 第一章 总则", "第三条 | "},
		},
		{
			name: "nested divisions",
			body: "某意见\n一、总体要求\n（一）指导思想。以甲为统领，坚持乙，推动丙，实现丁的目标。\n（二）基本原则。坚持甲，坚持乙，坚持丙，坚持丁的原则。\n二、重点任务\n1. 任务一。做好甲乙丙丁戊己庚辛的各项工作。",
			want: []string{"一（一） | 一、总体要求", "一（二） | 一、总体要求", "二、 | "},
		},
		{
			name: "annex",
			body: "某通知\n正文一句话。\n附件1\n一、甲项目的申报条件和申报材料清单。\n二、乙项目的申报条件和申报材料清单。",
			want: []string{"正文 | ", "附件1 | "},
		},
		{
			// Short as its clauses are, a short notice is cut at each.
			name: "small clauses of a short notice",
			body: "某通知\n各市：\n一、甲。\n二、乙。\n三、丙。",
			want: []string{"正文 | ", "一、 | ", "二、 | ", "三、 | "},
		},
		{
			// A short notice is still cut at its own numbering, so that each
			// clause can be cited by it.
			name: "short notice, clause by clause",
			body: "某通知\n一、" + strings.Repeat("甲", 15) + "。\n二、" + strings.Repeat("乙", 15) + "。\n三、" + strings.Repeat("丙", 15) + "。",
			want: []string{"一、 | ", "二、 | ", "三、 | "},
		},
		{
			// Each question keeps its answer and is cited by its place; a
			// long answer's later parts show their question in the path.
			name: "questions and answers",
			body: "某政策问答\n问：小型微利企业的标准是什么？\n答：" + strings.Repeat("甲", 12) + "。\n问：需要备案吗？\n答：" + strings.Repeat("乙", 40) + "。乙乙乙。\n一、申报\n问：怎么申报？\n答：" + strings.Repeat("丙", 12) + "。",
			want: []string{"第1问 | ", "第2问 | ", "第2问 | 需要备案吗？", "第2问 | 需要备案吗？", "一、 | "},
		},
		{
			name: "unnumbered short text is cited whole",
			body: "某通知\n" + strings.Repeat("甲", 30) + "。",
			want: []string{"全文 | "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Document{ID: "t", Body: tt.body}
			cs := Cut(&d, size)
			var got []string
			for _, c := range cs {
				got = append(got, c.Label+" | "+strings.Join(c.Path, " > "))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			checkChunks(t, &d, cs, map[string]string{})
		})
	}
}

// TestCutRepeatedText: a sentence printed three times in one clause gives
// three chunks with the same label and text, which still need distinct,
// stable ids (the index keys vectors by id).
func TestCutRepeatedText(t *testing.T) {
	d := Document{ID: "t", Body: "某通知\n特此通知。特此通知。特此通知。"}
	size := ChunkSize{Min: 2, Max: 6}
	cs := Cut(&d, size)
	if len(cs) != 3 {
		t.Fatalf("got %d chunks, want 3", len(cs))
	}
	checkChunks(t, &d, cs, map[string]string{})
	again := Cut(&d, size)
	for i := range cs {
		if again[i].ID != cs[i].ID {
			t.Errorf("chunk %d: got ids %s and %s from two cuts", i, cs[i].ID, again[i].ID)
		}
	}
}

func TestSentences(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		max   int
		want  [][]string
	}{
		{"fits", []string{"甲。乙。"}, 10, [][]string{{"甲。乙。"}}},
		{"cut at sentence end", []string{"甲甲。乙乙；丙丙！"}, 6, [][]string{{"甲甲。乙乙；"}, {"丙丙！"}}},
		{"closing quote stays", []string{"他说“好。”然后走了。"}, 6, [][]string{{"他说“好。”"}, {"然后走了。"}}},
		{"long sentence stays whole", []string{"一二三四五六七八九十。"}, 3, [][]string{{"一二三四五六七八九十。"}}},
		{"line breaks kept", []string{"甲。", "乙。", "丙丙丙丙。"}, 4, [][]string{{"甲。", "乙。"}, {"丙丙丙丙。"}}},
		{"nothing", nil, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sentences(tt.lines, tt.max)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHeadingLevel(t *testing.T) {
	tests := []struct {
		line string
		lvl  int
		mark string
	}{
		{"附件2", levelAnnex, "附件2"},
		{"附件 3", levelAnnex, "附件3"},
		{"附件", levelAnnex, "附件"},
		// An annex headed by its name: its rows (1. 某局：…) are not the
		// text's items 1. and 2.
		{"附件　惠企政策咨询电话一览表", levelAnnex, "附件"},
		{"附件2 申报表", levelAnnex, "附件2"},
		{"附件 本办法自发布之日起施行，有效期3年。", -1, ""},
		{"附：湖南省中小企业发展专项资金项目申报表（主要内容）", levelAnnex, "附"},
		{"附：本办法所称小型微利企业，是指符合条件的企业。", -1, ""},
		{"第二章 支持的对象和标准", levelChapter, "第二章"},
		{"第十二条 材料审核。", levelArticle, "第十二条"},
		{"三、构建现代工业产业链体系", levelCN, "三"},
		{"（一）集中培植7个战略性新兴产业链。", levelParenCN, "（一）"},
		{"(二)基本原则", levelParenCN, "(二)"},
		{"1. 高端装备产业链。", levelNum, "1"},
		{"12．申报材料", levelNum, "12"},
		{"（3）其他", levelParenNum, "（3）"},
		{"2018年5月1日起执行。", -1, ""},
		{"1.5倍", -1, ""},
		{"附件：1.《增值税纳税申报表附列资料（一）》", -1, ""},
		{"各市人民政府：", -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			lvl := headingLevel(tt.line)
			if lvl != tt.lvl {
				t.Fatalf("got level %d, want %d", lvl, tt.lvl)
			}
			if lvl >= 0 {
				if got := headingMark(tt.line, lvl); got != tt.mark {
					t.Errorf("got mark %q, want %q", got, tt.mark)
				}
			}
		})
	}
}

func FuzzCut(f *testing.F) {
	seeds := []string{
		"",
		"河北省资产证券化奖励资金管理办法\n冀财金〔2016〕27号\n各设区市财政局：\n第一章 总 则\n第一条 为发挥财政资金引导和扶持作用，制定本办法。\n第二章 支持的对象和标准\n第四条 推动地方法人金融机构加速开展信贷资产证券化业务。对于成功发行的，给予奖励；",
		"河北省人民政府\n关于加快推进工业转型升级\n冀政发〔2018〕4号\n一、总体要求和主要目标\n（一）指导思想。\n以习近平新时代中国特色社会主义思想为统领。\n（二）基本原则。\n1. 高端装备产业链。\n（1）其他",
		"附件1\n一、甲\n附件2\n（一）乙。丙。丁！戊？”\n",
		"  \n\n\t第九条　申报材料。\r\n1．资金申请报告；\n",
		"。。。；；；！！？？”」）",
		"第一条\n第一条\n第一条",
		"\xff\xfe第一条 \xe3。",
		"某通知\n特此通知。特此通知。特此通知。",
	}
	for i, s := range seeds {
		f.Add(s, uint8(i*37))
	}
	f.Fuzz(func(t *testing.T, body string, n uint8) {
		size := ChunkSize{Min: int(n) / 4, Max: 1 + int(n)}
		// The raw text, as a caller might hand it in.
		raw := Document{ID: "fuzz", Body: body}
		sb := squeeze(body)
		for _, c := range Cut(&raw, size) {
			if strings.TrimSpace(c.Text) == "" {
				t.Fatalf("empty chunk %q", c.Label)
			}
			if !strings.Contains(sb, squeeze(c.Text)) {
				t.Fatalf("chunk %q not within the body", c.Text)
			}
		}
		// The body as Parse and Split store it: normalized, no empty lines.
		var lines []string
		for _, l := range strings.Split(body, "\n") {
			if l = normLine(l); l != "" {
				lines = append(lines, l)
			}
		}
		d := Document{ID: "fuzz", Body: strings.Join(lines, "\n")}
		for _, l := range lines {
			for _, sen := range splitSentences(l) {
				if utf8.RuneCountInString(sen) > 4*size.Max {
					// A sentence past the cap is cut inside
					// (FuzzCutBounded checks that); checkChunks wants
					// sentences whole.
					return
				}
			}
		}
		checkChunks(t, &d, Cut(&d, size), map[string]string{})
	})
}

// TestWithoutContents: a table of contents (目录 over entries ending in
// their pages) is no part of what is cut into clauses; a 目录 line over
// fewer entries, or text ending in numbers elsewhere, is kept.
func TestWithoutContents(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"tab leaders", "前言\n目　录\n第一部分　税费支持\t1\n1. 增值税免征\t1\n2. 留抵退税\t2\n第一部分 税费支持\n1. 增值税免征", "前言\n第一部分 税费支持\n1. 增值税免征"},
		{"dot leaders", "目录\n一、总则……1\n二、支持内容……3\n三、申报……5\n一、总则", "一、总则"},
		{"too few entries", "目录\n附件1\t1\n正文", "目录\n附件1\t1\n正文"},
		{"no heading", "热线电话 12366\n咨询 12345\n投诉 12315\n正文", "热线电话 12366\n咨询 12345\n投诉 12315\n正文"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(withoutContents(strings.Split(tt.in, "\n")), "\n"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
