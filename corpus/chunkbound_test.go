package corpus

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// chunkRunes is a chunk's length in characters, line breaks left out.
func chunkRunes(c Chunk) int {
	return utf8.RuneCountInString(c.Text) - strings.Count(c.Text, "\n")
}

// TestCutLongLine: a 5 MB line that never ends a sentence (a table
// flattened to text) is cut into chunks of at most Max characters, keeping
// all its text in order, in bounded time.
func TestCutLongLine(t *testing.T) {
	tests := []struct {
		name  string
		unit  string // repeated to 5 MB
		soft  bool   // every cut falls after ，or 、
		label string
	}{
		{"commas", "企业研发费用加计扣除比例提高到百分之七十五，", true, "正文"},
		{"enumeration marks", "财政、税务、金融、土地、人才、", true, "正文"},
		{"no punctuation at all", "零一二三四五六七八九", false, "正文"},
		{"under a heading", "企业研发费用加计扣除比例提高到百分之七十五，", true, "一、"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("某通知\n")
			if tt.label == "一、" {
				b.WriteString("一、")
			}
			for b.Len() < 5<<20 {
				b.WriteString(tt.unit)
			}
			d := Document{ID: "long", Body: b.String()}
			start := time.Now()
			cs := Cut(&d, DefaultChunkSize)
			elapsed := time.Since(start)
			if elapsed > 20*time.Second {
				t.Errorf("cut took %v", elapsed)
			}
			longest := 0
			var all strings.Builder
			for i, c := range cs {
				n := chunkRunes(c)
				longest = max(longest, n)
				if n > DefaultChunkSize.Max {
					t.Fatalf("chunk %d: %d characters, want at most %d", i, n, DefaultChunkSize.Max)
				}
				if tt.soft && i < len(cs)-1 && !strings.HasSuffix(c.Text, "，") && !strings.HasSuffix(c.Text, "、") {
					t.Fatalf("chunk %d ends %q, want a cut after ，or 、", i, lastRunes(c.Text, 5))
				}
				if c.Label != tt.label || c.Ord != i {
					t.Fatalf("chunk %d: label %q ord %d, want %q %d", i, c.Label, c.Ord, tt.label, i)
				}
				all.WriteString(c.Text)
			}
			if want := strings.TrimPrefix(d.Body, "某通知\n"); all.String() != want {
				t.Errorf("chunks do not give back the line (%d bytes of %d)", all.Len(), len(want))
			}
			t.Logf("%d chunks, longest %d characters, in %v", len(cs), longest, elapsed)
		})
	}
}

func lastRunes(s string, n int) string {
	r := []rune(s)
	return string(r[max(len(r)-n, 0):])
}

// TestSentenceCap: sentences up to sentenceCap times max stay whole, as
// TestSentences wants; longer ones are cut into pieces of at most max.
func TestSentenceCap(t *testing.T) {
	tests := []struct {
		name string
		line string
		max  int
		want []string
	}{
		{"at the cap stays whole", strings.Repeat("甲", 11) + "。", 3, []string{strings.Repeat("甲", 11) + "。"}},
		{"over the cap, hard", strings.Repeat("甲", 13), 3, []string{"甲甲甲", "甲甲甲", "甲甲甲", "甲甲甲", "甲"}},
		{"over the cap, after commas", "甲甲，乙乙，丙丙，丁丁，戊戊，己己", 4, []string{"甲甲，", "乙乙，", "丙丙，", "丁丁，", "戊戊，", "己己"}},
		{"the last comma of the window", "甲，乙，丙丙丙丙丙丙丙丙丙丙丙丙丙丙", 4, []string{"甲，乙，", "丙丙丙丙", "丙丙丙丙", "丙丙丙丙", "丙丙"}},
		{"enumeration marks", "甲乙、丙丁、戊己、庚辛、壬癸、子丑", 4, []string{"甲乙、", "丙丁、", "戊己、", "庚辛、", "壬癸、", "子丑"}},
		{"a sentence end still cuts first", "甲。" + strings.Repeat("乙", 10) + "。丙", 2, []string{"甲。", "乙乙", "乙乙", "乙乙", "乙乙", "乙乙", "。", "丙"}},
		{"closing quote kept", "他说“好。”然后走了。", 6, []string{"他说“好。”", "然后走了。"}},
		{"invalid bytes count one each", strings.Repeat("\xff", 10), 2, []string{"\xff\xff", "\xff\xff", "\xff\xff", "\xff\xff", "\xff\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			eachSentence(tt.line, tt.max, func(start, end, n int) {
				if n != utf8.RuneCountInString(tt.line[start:end]) {
					t.Errorf("piece %q: length %d", tt.line[start:end], n)
				}
				got = append(got, tt.line[start:end])
			})
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if strings.Join(got, "") != tt.line {
				t.Errorf("pieces do not give back the line")
			}
		})
	}
}

// oldTitle is node.title as it was: the reference headingTitle must match.
func oldTitle(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	t := lines[0]
	if i := strings.IndexAny(t, "。；："); i > 0 {
		t = t[:i]
	}
	if r := []rune(t); len(r) > 40 {
		t = string(r[:40]) + "…"
	}
	return t
}

func TestHeadingTitle(t *testing.T) {
	r := func(n int) string { return strings.Repeat("题", n) }
	for _, line := range []string{
		"", "一、总体要求", "（一）指导思想。以习近平新时代中国特色社会主义思想为统领。", "：开头", "。开头还有。",
		r(39), r(40), r(41), r(39) + "。", r(40) + "。", r(41) + "。", r(40) + "；后文", r(5) + "：" + r(50),
		r(100000), "第一条\xff\xfe" + r(45), "a：b", strings.Repeat("x", 41) + "。",
	} {
		if got, want := headingTitle([]string{line}), oldTitle([]string{line}); got != want {
			t.Errorf("title of %q: got %q, want %q", lastRunes(line, 60), got, want)
		}
	}
	if got := headingTitle(nil); got != "" {
		t.Errorf("no lines: got %q", got)
	}
}

// TestCutRepeatsKeepIDs: many copies of one clause get the ids the old
// numbering gave them (hash of the key, then of key\x00n for n = 2, 3, …),
// now without rehashing every earlier copy.
func TestCutRepeatsKeepIDs(t *testing.T) {
	const copies = 300
	d := Document{ID: "t", Body: "某通知\n" + strings.Repeat("特此通知。", copies)}
	cs := Cut(&d, ChunkSize{Min: 2, Max: 6})
	if len(cs) != copies {
		t.Fatalf("got %d chunks, want %d", len(cs), copies)
	}
	ids := map[string]bool{}
	for i, c := range cs {
		key := d.ID + "\x00" + c.Label + "\x00" + c.Text
		id := d.ID + "-" + hashHex(key)[:12]
		for n := 2; ids[id]; n++ {
			id = d.ID + "-" + hashHex(key + "\x00" + strconv.Itoa(n))[:12]
		}
		ids[id] = true
		if c.ID != id {
			t.Fatalf("chunk %d: id %s, want %s", i, c.ID, id)
		}
	}
}

// FuzzCutBounded: whatever the text, chunks are pieces of it and none is
// longer than sentenceCap times Max; and titles are cut as they were.
func FuzzCutBounded(f *testing.F) {
	for i, s := range []string{
		"", "某通知\n" + strings.Repeat("甲，", 100), "第四条" + strings.Repeat("0", 30), "一、" + strings.Repeat("乙、", 50) + "。",
		"附件1\n一、甲\n（一）乙。丙。丁！戊？”\n", "\xff\xfe第一条 \xe3。",
	} {
		f.Add(s, uint8(i*37))
	}
	f.Fuzz(func(t *testing.T, body string, n uint8) {
		if got, want := headingTitle([]string{body}), oldTitle([]string{body}); got != want {
			t.Fatalf("title: got %q, want %q", got, want)
		}
		size := ChunkSize{Min: int(n) / 4, Max: 1 + int(n)}
		d := Document{ID: "fuzz", Body: body}
		sb := squeeze(body)
		for _, c := range Cut(&d, size) {
			if !strings.Contains(sb, squeeze(c.Text)) {
				t.Fatalf("chunk %q not within the body", c.Text)
			}
			if got := chunkRunes(c); got > sentenceCap*size.Max {
				t.Fatalf("chunk of %d characters, want at most %d: %q", got, sentenceCap*size.Max, c.Text)
			}
		}
	})
}

// largeBody is a synthetic corpus file of about mb megabytes: chapters of
// articles with numbered items, each clause worded differently, a table
// flattened into a 20,000-character line without a sentence end in every
// megabyte, a 5 MB such line in every 50, and a form reprinted after
// every chapter (the same label and text again and again).
func largeBody(mb int) string {
	var b strings.Builder
	b.Grow(mb<<20 + 1<<20)
	b.WriteString("某省支持企业发展的若干措施\n某政发〔2018〕1号\n各市人民政府：\n")
	article := 0
	for chapter := 1; b.Len() < mb<<20; chapter++ {
		fmt.Fprintf(&b, "第%s章 第%d部分\n", cnNum(chapter%99+1), chapter)
		for range 20 {
			article++
			fmt.Fprintf(&b, "第%s条 对第%d类企业，按规定给予奖励。", cnNum(article%999+1), article)
			for s := range 6 {
				fmt.Fprintf(&b, "符合条件的企业可申请第%d项资金支持，额度不超过%d万元；", s+1, (article*7+s)%500+10)
			}
			b.WriteString("\n")
			for item := 1; item <= 3; item++ {
				fmt.Fprintf(&b, "（%s）第%d条第%d项的申报材料和审核程序，由主管部门另行规定。\n", cnNum(item), article, item)
			}
			b.WriteString("特此通知。\n")
		}
		// The same application form, reprinted after every chapter: the
		// same label and text again and again.
		b.WriteString("附件\n")
		for range 12 {
			b.WriteString("申报单位（盖章）：＿＿＿＿＿＿ 负责人签字：＿＿＿＿ 日期：＿＿＿＿年＿＿月＿＿日\n")
		}
		if chapter%40 == 0 {
			b.WriteString("附表：")
			for i := 0; i < 20000/10; i++ {
				fmt.Fprintf(&b, "项目%05d，", i)
			}
			b.WriteString("\n")
		}
		if chapter%2000 == 0 {
			for end := b.Len() + 5<<20; b.Len() < end; {
				b.WriteString("企业名称、统一社会信用代码、注册地址、法定代表人、联系电话、")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func cnNum(n int) string {
	digits := []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n < 10:
		return digits[n]
	case n < 20:
		return "十" + strings.TrimPrefix(cnNum(n%10), "零")
	case n < 100:
		return digits[n/10] + "十" + strings.TrimPrefix(cnNum(n%10), "零")
	default:
		return digits[n/100] + "百" + cnNum(n%100)
	}
}

// peakHeap samples the heap while a benchmark runs.
type peakHeap struct {
	stop chan struct{}
	done sync.WaitGroup
	peak atomic.Uint64
}

func watchHeap() *peakHeap {
	p := &peakHeap{stop: make(chan struct{})}
	p.done.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > p.peak.Load() {
				p.peak.Store(ms.HeapAlloc)
			}
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	})
	return p
}

func (p *peakHeap) end() uint64 {
	close(p.stop)
	p.done.Wait()
	return p.peak.Load()
}

// BenchmarkCutLarge cuts synthetic files of 1, 10 and 100 MB (and 200 MB
// with POLICYBOT_BENCH_200MB=1), reporting allocations and the peak heap
// (peak-MB, the body itself included) while cutting. One run each:
//
//	go test ./corpus -run '^$' -bench CutLarge -benchtime 1x -benchmem
func BenchmarkCutLarge(b *testing.B) {
	sizes := []int{1, 10, 100}
	if os.Getenv("POLICYBOT_BENCH_200MB") != "" {
		sizes = append(sizes, 200)
	}
	for _, mb := range sizes {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			body := largeBody(mb)
			runtime.GC()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			heap := watchHeap()
			var cs []Chunk
			for b.Loop() {
				d := Document{ID: "large", Body: body}
				cs = Cut(&d, DefaultChunkSize)
			}
			peak := heap.end()
			longest := 0
			for _, c := range cs {
				longest = max(longest, chunkRunes(c))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
			b.ReportMetric(float64(len(cs)), "chunks")
			b.ReportMetric(float64(longest), "longest-chars")
		})
	}
}
