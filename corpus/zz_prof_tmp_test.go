package corpus

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func genShape(shape string, mb int) string {
	var b strings.Builder
	b.WriteString("某通知\n冀财金〔2019〕1号\n")
	target := mb << 20
	switch shape {
	case "oneline-noend":
		for b.Len() < target {
			b.WriteString("企业研发费用加计扣除政策，")
		}
	case "oneline-sentences":
		for b.Len() < target {
			b.WriteString(fmt.Sprintf("企业研发费用加计扣除政策执行%d。", b.Len()))
		}
	case "lines":
		for b.Len() < target {
			b.WriteString(fmt.Sprintf("企业研发费用加计扣除政策执行第%d项，按规定享受优惠。\n", b.Len()))
		}
	case "headings":
		i := 0
		for b.Len() < target {
			i++
			b.WriteString(fmt.Sprintf("一、总体要求\n（一）指导思想。企业研发费用加计扣除政策执行第%d项，按规定享受优惠。\n1. 任务。做好各项工作%d。\n", i, i))
		}
	}
	return b.String()
}

func TestZZProfTmp(t *testing.T) {
	for _, shape := range []string{"oneline-noend", "oneline-sentences", "lines", "headings"} {
		for _, mb := range []int{1, 4, 16} {
			d := Document{ID: "x", Body: genShape(shape, mb)}
			start := time.Now()
			cs := Cut(&d, DefaultChunkSize)
			mx := 0
			for _, c := range cs {
				mx = max(mx, len(c.Text))
			}
			t.Logf("%s %dMB: %v, %d chunks, max %d bytes", shape, mb, time.Since(start), len(cs), mx)
		}
	}
}
