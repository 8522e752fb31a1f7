package corpus

import (
	"slices"
	"testing"
)

func TestDeriveScope(t *testing.T) {
	docs := []Document{
		{Title: "浙江省人民政府办公厅关于促进中小企业发展的若干意见", Issuer: "浙江省人民政府办公厅", DocNo: "浙政办发〔2023〕12号", Issued: "2023-03-01"},
		{Title: "关于印发杭州市稳外贸若干措施的通知", Issuer: "杭州市人民政府", DocNo: "杭政函〔2022〕45号", Issued: "2022-05-01"},
		{Title: "关于支持科技型企业的若干措施", DocNo: "浙科发〔2021〕3号"},
		{Title: "财政部 税务总局关于进一步实施小微企业所得税优惠政策的公告", Issuer: "财政部 税务总局", DocNo: "财政部 税务总局公告2022年第13号"},
	}
	sc, err := deriveScope(docs)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Region != "浙江省" {
		t.Errorf("Region = %q, want 浙江省", sc.Region)
	}
	for _, w := range []string{"浙江", "杭州", "省里"} {
		if !slices.Contains(sc.Home, w) {
			t.Errorf("Home %v lacks %s", sc.Home, w)
		}
	}
	for _, w := range []string{"北京", "广东", "河北"} {
		if !slices.Contains(sc.OtherRegions, w) {
			t.Errorf("OtherRegions lacks %s", w)
		}
	}
	if slices.Contains(sc.OtherRegions, "浙江") {
		t.Errorf("OtherRegions holds the region the corpus covers")
	}
	national, err := deriveScope(docs[3:])
	if err != nil {
		t.Fatal(err)
	}
	if national.Region != "" || len(national.Home) != 0 || len(national.OtherRegions) != 0 {
		t.Errorf("a national corpus: Region %q, Home %v, other regions %v; want none: national rules apply everywhere", national.Region, national.Home, national.OtherRegions)
	}
}
