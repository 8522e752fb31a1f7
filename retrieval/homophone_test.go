package retrieval

import (
	"context"
	"testing"
)

func TestHomophoneRepair(t *testing.T) {
	ix, err := Build(context.Background(), loadBuiltin(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"小危企业所得税有啥优惠", "小微企业所得税有啥优惠"},
		{"首台套保线补偿怎么申请", "首台套保险补偿怎么申请"},
		{"评上省级数字话车间能奖多少钱", "评上省级数字化车间能奖多少钱"},
		// Written right: nothing changes, function words included.
		{"企业引进高层次人才有补贴吗", "企业引进高层次人才有补贴吗"},
		{"个体户经营所得个税怎么交", "个体户经营所得个税怎么交"},
		{"搞技改，政府最多给补多少", "搞技改，政府最多给补多少"},
		// Words of grammar the corpus's formal prose never prints, whose
		// homophone it prints in three characters but not in four: left
		// alone (是不折 of 不折不扣, 的化工 of 化工业, 用地占 of 用地).
		{"增值税是不是不用交", "增值税是不是不用交"},
		{"买地的话工业用地出让价能不能便宜点", "买地的话工业用地出让价能不能便宜点"},
		{"研发费用得占收入多少", "研发费用得占收入多少"},
		// A typo at a word's end, with no fourth character on one side.
		{"评专经特新中小企业要满足哪些条件", "评专精特新中小企业要满足哪些条件"},
		// A typo forming one bigram the corpus uses (心技, of 核心技术),
		// where the three are not printed together and 高新技术 is.
		{"高心技术企业认定奖励多少", "高新技术企业认定奖励多少"},
		// Sound words of the same kind: 或 is read huo, 和 is offered for
		// he; 试行 with no fourth character beside it.
		{"销售货物或劳务月销售额不超过3万元", "销售货物或劳务月销售额不超过3万元"},
		{"该意见2022-07-01起试行2年", "该意见2022-07-01起试行2年"},
		// A character at the edge of a run has one neighbour: left alone.
		{"危企业", "危企业"},
		{"", ""},
		{"hello world", "hello world"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ix.homophones.repair(tt.in); got != tt.want {
				t.Errorf("repair(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	// The repaired question finds what the one written right finds.
	typo, err := ix.Search(context.Background(), Query{Question: "小危企业所得税有啥优惠"})
	if err != nil {
		t.Fatal(err)
	}
	right, err := ix.Search(context.Background(), Query{Question: "小微企业所得税有啥优惠"})
	if err != nil {
		t.Fatal(err)
	}
	if typo.Hits[0].ChunkID != right.Hits[0].ChunkID {
		t.Errorf("with the typo the first clause is %s, written right %s", typo.Hits[0].ChunkID, right.Hits[0].ChunkID)
	}
}

func BenchmarkHomophoneRepair(b *testing.B) {
	ix, err := Build(context.Background(), loadBuiltin(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{"小危企业所得税有啥优惠", "我们是做机械加工的，六十来个人，资产两千万，算不算小型微利企业"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				ix.homophones.repair(q)
			}
		})
	}
}

// TestHomophoneSpoken: the spoken language's grammar (我是, 有吗) is typed
// as meant. The second corpus prints 我市科技, so 我是科技人员 read as a
// typo of it before.
func TestHomophoneSpoken(t *testing.T) {
	ix, err := Build(context.Background(), loadDir(t, "../corpus/testdata/otherregion/docs"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"我是科技人员，个人创业有补贴吗", "我是做外贸的，出口退税快吗"} {
		if got := ix.homophones.repair(q); got != q {
			t.Errorf("repair(%q) = %q, want it as typed", q, got)
		}
	}
}
