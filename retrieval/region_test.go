package retrieval

import (
	"context"
	"testing"

	"github.com/policybot/policybot/corpus"
)

func TestRegionIsSubject(t *testing.T) {
	tests := []struct {
		q, region string
		want      bool
	}{
		{"天津对高新技术企业认定有什么奖励？", "天津", true},
		{"北京的高新技术企业有什么奖励", "北京", true},
		{"上海市有什么补贴", "上海", true},
		{"浙江省对融资担保机构有什么补偿", "浙江", true},
		{"内蒙古自治区的补贴", "内蒙古", true},
		{"科技创新券在北京天津能不能用", "北京", false},
		{"科技创新券在北京天津能不能用", "天津", false},
		{"从北京搬过来有什么支持", "北京", false},
		{"和天津合作，天津的企业能享受吗", "天津", true}, // the second mention is the subject
	}
	for _, tt := range tests {
		t.Run(tt.q+"/"+tt.region, func(t *testing.T) {
			if got := regionIsSubject(tt.q, tt.region); got != tt.want {
				t.Errorf("regionIsSubject(%q, %q) = %v, want %v", tt.q, tt.region, got, tt.want)
			}
		})
	}
}

// TestPartnerRegions: a region the corpus deals with jointly, or speaks
// of by a word of its own, is in scope when the clause found uses that
// word; its own policies are not.
func TestPartnerRegions(t *testing.T) {
	lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Build(context.Background(), lib, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q          string
		wantFound  bool
		wantReason string
	}{
		{"科技创新券在北京天津能不能用", true, ""},
		{"北京的高新技术企业有什么奖励", false, ReasonOtherRegion},
		{"山东的科技创新券能用吗", false, ReasonOtherRegion},
		// Hong Kong named in passing, where the clause says 境外 (the
		// gazetteer's word for it); its own policy is not here.
		{"我们想去香港上市，有没有奖励", true, ""},
		{"香港对内地企业有什么补贴", false, ReasonOtherRegion},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			res, err := ix.Search(context.Background(), Query{Question: tt.q})
			if err != nil {
				t.Fatal(err)
			}
			if res.Found != tt.wantFound || res.Reason != tt.wantReason {
				t.Errorf("found %v reason %q, want %v %q", res.Found, res.Reason, tt.wantFound, tt.wantReason)
			}
		})
	}
}

// TestPlacedElsewhere: a question placed in another city of the province
// whose city's documents the corpus holds (咸阳, beside 西安's) is
// answered first from the province's measure, which applies there, not
// the city's, which does not; asked without a place, from the city
// itself, or naming it too, the city's closer wording may come first.
func TestPlacedElsewhere(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"province.txt": "陕西省财政厅关于支持中小企业技术改造的通知\n陕财企〔2017〕5号\n各设区市财政局：\n一、对纺织企业更换织机等老旧设备实施技术改造的，按设备投资额的8%给予补助。\n陕西省财政厅\n2017年6月1日\n",
		"city.txt":     "西安市人民政府关于纺织企业技术改造设备更新补贴的通知\n市政发〔2018〕3号\n各区县人民政府：\n一、对纺织企业更换织机等设备实施技术改造的，按设备投资额的10%给予补贴。\n西安市人民政府\n2018年3月1日\n",
	})
	ix, err := Build(t.Context(), loadDir(t, dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ question, first string }{
		{"咸阳的纺织厂 想换一批新织机 有没有技术改造补贴", "陕财企〔2017〕5号"},
		{"纺织厂想换一批新织机 有没有技术改造补贴", "市政发〔2018〕3号"},
		{"西安的纺织厂 想换一批新织机 有没有技术改造补贴", "市政发〔2018〕3号"},
		// Named beside the held city, another is no longer where the
		// asker is: 搬到西安 brings the city's measure back.
		{"咸阳的纺织厂 想搬到西安 换一批新织机 有没有技术改造补贴", "市政发〔2018〕3号"},
	} {
		t.Run(tt.question, func(t *testing.T) {
			res, err := ix.Search(t.Context(), Query{Question: tt.question, K: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) == 0 || res.Hits[0].DocNo != tt.first {
				t.Fatalf("hits %+v, want %s first", res.Hits, tt.first)
			}
			if !res.Found {
				t.Errorf("refused (%s): the corpus answers it", res.Reason)
			}
		})
	}
}
