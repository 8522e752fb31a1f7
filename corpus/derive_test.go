package corpus

import (
	"maps"
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
	// The province's own documents, and the city's that has some.
	if sc.Region != "浙江省、杭州市" {
		t.Errorf("Region = %q, want 浙江省、杭州市", sc.Region)
	}
	if want := "我能查询的是已收录的政策文件：浙江省、杭州市政策（另含国家政策）。"; sc.Summary() != want {
		t.Errorf("Summary = %q, want %q", sc.Summary(), want)
	}
	for _, w := range []string{"浙江", "杭州", "省里"} {
		if !slices.Contains(sc.Home, w) {
			t.Errorf("Home %v lacks %s", sc.Home, w)
		}
	}
	// Another province's large cities are other regions too; the
	// corpus's own province's are not.
	for _, w := range []string{"北京", "广东", "河北", "深圳", "苏州", "石家庄"} {
		if !slices.Contains(sc.OtherRegions, w) {
			t.Errorf("OtherRegions lacks %s", w)
		}
	}
	for _, w := range []string{"浙江", "杭州", "宁波"} {
		if slices.Contains(sc.OtherRegions, w) {
			t.Errorf("OtherRegions holds %s, of the region the corpus covers", w)
		}
	}
	// With the city's documents, a question about the city's own rules
	// is the corpus's to answer, and one about another city's of the
	// province is not (宁波对…); 市里 is the held city.
	if slices.Contains(sc.Cities, "杭州") || !slices.Contains(sc.Cities, "宁波") || len(sc.LocalPolicy) > 0 {
		t.Errorf("a corpus with a city's documents: Cities %v, LocalPolicy %v; want the province's other cities (宁波), not 杭州, and no local phrases", sc.Cities, sc.LocalPolicy)
	}
	// Without them, the province's cities' own rules are not here.
	prov, err := deriveScope([]Document{docs[0], docs[2], docs[3]})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(prov.Cities, "宁波") || !slices.Contains(prov.LocalPolicy, "市里") {
		t.Errorf("a province's corpus: Cities %v, LocalPolicy %v; want its cities (宁波) and 市里", prov.Cities, prov.LocalPolicy)
	}
	// A city's documents hold their province through the city.
	city, err := deriveScope([]Document{
		{Title: "深圳市关于促进中小企业高质量发展的若干措施", Issuer: "深圳市人民政府", DocNo: "深府规〔2023〕5号"},
		docs[3],
	})
	if err != nil {
		t.Fatal(err)
	}
	if city.Region != "广东省深圳市" {
		t.Errorf("a city's corpus: Region = %q, want 广东省深圳市", city.Region)
	}
	if !slices.Contains(city.Home, "深圳") || !slices.Contains(city.OtherRegions, "杭州") || slices.Contains(city.OtherRegions, "深圳") {
		t.Errorf("a city's corpus: Home %v, other regions %v; want 深圳 home and 杭州 another region", city.Home, city.OtherRegions)
	}
	// A city's 文号 may open on another province's character: 青 is
	// 青海's, 青人社发 青岛's.
	// A city's body is known by its city whatever it is called.
	qingdao, err := deriveScope([]Document{
		{Title: "关于贯彻落实阶段性减免企业社会保险费政策的通知", Issuer: "青岛市人力资源和社会保障局 青岛市财政局", DocNo: "青人社发〔2020〕5号"},
		{Title: "关于做好中小微企业贷款临时性延期还本付息工作的通知", Issuer: "青岛市地方金融监督管理局 中国人民银行青岛市中心支行", DocNo: "青金监发〔2020〕4号"},
		{Title: "关于支持个体工商户复工复业的通知", Issuer: "国家市场监督管理总局", DocNo: "国市监注〔2020〕38号"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if qingdao.Region != "山东省青岛市" || qingdao.Level != "政策（另含国家政策）" || !slices.Contains(qingdao.OtherRegions, "青海") {
		t.Errorf("a city's documents numbered with another province's character: Region = %q, level %q, other regions %v; want 山东省青岛市, national ones besides, and 青海 another", qingdao.Region, qingdao.Level, qingdao.OtherRegions)
	}
	// A province's full name inside the issuer places a body that does
	// not start with it: a national office's provincial branch.
	branch, err := deriveScope([]Document{{Title: "支持小微企业发展税费政策解读", Issuer: "国家税务总局浙江省税务局"}})
	if err != nil {
		t.Fatal(err)
	}
	if branch.Region != "浙江省" {
		t.Errorf("a provincial tax bureau's document: Region = %q, want 浙江省", branch.Region)
	}
	if want := "我能查询的是已收录的政策文件：浙江省政策。"; branch.Summary() != want {
		t.Errorf("a province's corpus without national notices: Summary = %q, want %q", branch.Summary(), want)
	}
	national, err := deriveScope(docs[3:])
	if err != nil {
		t.Fatal(err)
	}
	if national.Region != "" || len(national.Home) != 0 || len(national.OtherRegions) != 0 {
		t.Errorf("a national corpus: Region %q, Home %v, other regions %v; want none: national rules apply everywhere", national.Region, national.Home, national.OtherRegions)
	}
}

// TestWidenScope: users' documents loaded beside a named corpus (the
// built-in one's) make the regions they hold the corpus's own.
func TestWidenScope(t *testing.T) {
	builtin := Scope{
		Name: "某省政策汇编", Region: "河北省", Home: []string{"河北", "省里"},
		OtherRegions: []string{"北京", "浙江", "宁波", "杭州", "广东", "香港"},
		LocalPolicy:  []string{"市里"},
	}
	docs := []Document{
		{Title: "浙江省人民政府办公厅关于促进中小企业发展的若干意见", Issuer: "浙江省人民政府办公厅", DocNo: "浙政办发〔2023〕12号"},
		{Title: "关于印发杭州市稳外贸若干措施的通知", Issuer: "杭州市人民政府", DocNo: "杭政函〔2022〕45号"},
	}
	sc, err := widenScope(builtin, docs)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"北京", "广东", "香港"}; !slices.Equal(sc.OtherRegions, want) {
		t.Errorf("OtherRegions %v, want %v: the province, its cities and the city held are the corpus's", sc.OtherRegions, want)
	}
	for _, h := range []string{"河北", "浙江", "杭州"} {
		if !slices.Contains(sc.Home, h) {
			t.Errorf("Home %v lacks %s", sc.Home, h)
		}
	}
	if want := "我能查询的是《某省政策汇编》：河北省，另收录浙江省、杭州市政策。"; sc.Summary() != want {
		t.Errorf("Summary %q, want %q", sc.Summary(), want)
	}
	// National documents only widen nothing: they apply everywhere.
	same, err := widenScope(builtin, []Document{{Title: "财政部 税务总局关于某事的公告", Issuer: "财政部 税务总局", DocNo: "财政部 税务总局公告2023年第12号"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(same.OtherRegions, builtin.OtherRegions) || same.Summary() != builtin.Summary() {
		t.Errorf("national documents changed the scope: %+v", same)
	}
}

// TestSpeakOf: every scope, given or derived, learns the gazetteer's word
// for the other regions the mainland's documents speak of by one (香港 →
// 境外), and keeps the words it names itself.
func TestSpeakOf(t *testing.T) {
	tests := []struct {
		name string
		in   Scope
		want map[string]string
	}{
		{"none named", Scope{OtherRegions: []string{"北京", "香港", "澳门", "台湾"}}, map[string]string{"香港": "境外", "澳门": "境外", "台湾": "境外"}},
		{"own word kept", Scope{OtherRegions: []string{"北京", "香港"}, Partners: map[string]string{"北京": "京津", "香港": "港澳"}}, map[string]string{"北京": "京津", "香港": "港澳"}},
		{"held, not other", Scope{OtherRegions: []string{"北京"}, Home: []string{"香港"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			given := maps.Clone(tt.in.Partners)
			got, err := speakOf(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got.Partners, tt.want) {
				t.Errorf("Partners %v, want %v", got.Partners, tt.want)
			}
			if !maps.Equal(tt.in.Partners, given) {
				t.Errorf("the scope given was changed: %v", tt.in.Partners)
			}
		})
	}
	lib, err := Load(Options{Builtin: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := lib.Scope().Partners["香港"]; got != "境外" {
		t.Errorf("built-in scope: 香港 spoken of as %q, want 境外", got)
	}
}

// TestRegions: a document's region is its issuer's, a city's body's its
// province's, whatever the 文号 opens on; a ministry's none.
func TestRegions(t *testing.T) {
	lib := loadFiles(t, map[string][]byte{
		"prov.txt":   []byte("山东省人民政府办公厅关于应对疫情支持中小企业的意见\n鲁政办发〔2020〕6号\n一、减免房租。\n山东省人民政府办公厅\n2020年2月7日\n"),
		"city.txt":   []byte("关于贯彻落实阶段性减免企业社会保险费政策的通知\n青人社发〔2020〕5号\n一、免征三项社会保险单位缴费。\n青岛市人力资源和社会保障局\n2020年3月2日\n"),
		"county.txt": []byte("晋江市人民政府关于支持鞋服企业技术改造的通知\n晋政文〔2022〕8号\n一、技改补助。\n晋江市人民政府\n2022年5月1日\n"),
		"nat.txt":    []byte("财政部 税务总局关于支持个体工商户复工复业增值税政策的公告\n财政部 税务总局公告2020年第13号\n一、免征增值税。\n财政部 税务总局\n2020年2月28日\n"),
	})
	got := lib.Regions()
	for id, want := range map[string]string{"prov": "山东省", "city": "山东省", "county": "晋江市", "nat": ""} {
		if got[id] != want {
			t.Errorf("%s: region %q, want %q", id, got[id], want)
		}
	}
	// A city's document is its province's, and its city's alone too.
	cities := lib.Cities()
	for id, want := range map[string]string{"prov": "", "city": "青岛", "county": "晋江", "nat": ""} {
		if cities[id] != want {
			t.Errorf("%s: city %q, want %q", id, cities[id], want)
		}
	}
}
