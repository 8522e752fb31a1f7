package corpus

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestOlderPeriodCorpus reads documents printed the way other provinces
// and earlier years print them (testdata/olderperiod): dates in Chinese
// numerals, 文号 in round brackets or after the title, periods stated in
// other words, a period inside a measure, the printed record at a
// notice's end, a repeal, an interpretation with its author under the
// title, a question-and-answer text.
func TestOlderPeriodCorpus(t *testing.T) {
	lib := loadFolder(t, "testdata/olderperiod")
	tests := []struct {
		id, title, docNo, issuer, kind, issued, from, until, repealedBy string
	}{
		{"gd-2012-45", "广东省人民政府办公厅关于促进小微企业发展的若干意见", "粤府办〔2012〕45号", "广东省人民政府办公厅", "原文", "2012-05-08", "2012-07-01", "2015-06-30", ""},
		{"js-2009-12", "江苏省人民政府关于扶持中小企业发展的若干意见", "苏政发（2009）12号", "江苏省人民政府", "原文", "2009-02-10", "2009-02-10", "", "《江苏省人民政府关于进一步扶持中小企业发展的意见》（苏政发〔2014〕88号）"},
		{"js-2013-22", "江苏省人民政府办公厅关于加快发展小微企业融资担保的通知", "苏政办发〔2013〕22号", "江苏省人民政府办公厅", "原文", "2013-03-01", "", "2016-12-31", ""},
		{"js-2014-88", "江苏省人民政府关于进一步扶持中小企业发展的意见", "苏政发〔2014〕88号", "江苏省人民政府", "原文", "2014-09-20", "2014-10-01", "2019-09-30", ""},
		{"js-2014-jd", "江苏省经济和信息化委员会《关于进一步扶持中小企业发展的意见》政策解读", "", "江苏省经济和信息化委员会", "解读", "", "", "", ""},
		{"js-qa", "江苏省国家税务局小型微利企业所得税优惠政策问答", "", "江苏省国家税务局", "解读", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			d, ok := lib.Document(tt.id)
			if !ok {
				t.Fatal("not loaded")
			}
			got := []string{d.Title, d.DocNo, d.Issuer, d.Kind, d.Issued, d.EffectiveFrom, d.EffectiveUntil, d.RepealedBy}
			want := []string{tt.title, tt.docNo, tt.issuer, tt.kind, tt.issued, tt.from, tt.until, tt.repealedBy}
			if !slices.Equal(got, want) {
				t.Errorf("title, 文号, issuer, kind, issued, from, until, repealed by:\n got %q\nwant %q", got, want)
			}
		})
	}

	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	gd, _ := lib.Document("gd-2012-45")
	for _, c := range gd.Chunks {
		if strings.Contains(Informative(c.Text, gd.Title), "抄送") || strings.Contains(Informative(c.Text, gd.Title), "印发") {
			t.Errorf("chunk %s quotes the printed record:\n%s", c.Label, Informative(c.Text, gd.Title))
		}
		// The measure's own period is the clause's: it ends before the
		// document's.
		if strings.Contains(c.Text, "执行期限为") {
			if vs := lib.ClauseValidity(c, now); len(vs) == 0 || vs[0].Until != "2015-12-31" {
				t.Errorf("clause %s: validity %+v, want its own period to 2015-12-31", c.Label, vs)
			}
		}
	}
	qa, _ := lib.Document("js-qa")
	var labels []string
	for _, c := range qa.Chunks {
		labels = append(labels, c.Label)
	}
	if want := []string{"第1问", "第2问", "第3问"}; !slices.Equal(labels, want) {
		t.Errorf("question-and-answer labels %q, want %q", labels, want)
	}
	if sc := lib.Scope(); !strings.Contains(sc.Summary(), "江苏省") || !strings.Contains(sc.Summary(), "广东省") || sc.Years != [2]int{2009, 2014} {
		t.Errorf("scope %q, years %v; want 江苏省 and 广东省, 2009—2014", sc.Summary(), sc.Years)
	}
}
