package answer

import (
	"strings"
	"testing"

	"github.com/policybot/policybot/corpus"
)

// TestLayout pins the wording of an answer's head and details: the 时效
// line per citation's validity, the compact 来源 line and the order of
// the parts.
func TestLayout(t *testing.T) {
	expired := corpus.Validity{Status: corpus.StatusExpired, Until: "2020-12-31"}
	tests := []struct {
		name        string
		r           Result
		wantHead    string
		wantDetails string
	}{
		{
			name: "statuses grouped, sources compact",
			r: Result{
				Lead: "奖励40万元。[1]",
				Note: offlineNote,
				Body: "[1]一、：“……”",
				Citations: []Citation{
					{N: 1, Title: "财政部 税务总局关于进一步扩大小型微利企业所得税优惠政策范围的通知", DocNo: "财税〔2018〕77号", Clause: "一、", Issued: "2018-07-11", Validity: expired},
					{N: 2, Title: "河北省某办公室关于印发《某工作方案》的通知", DocNo: "冀某办〔2018〕2号", Clause: "附件7 五15", Validity: corpus.Validity{Status: corpus.StatusUnstated}},
					{N: 3, Title: "某解读", Clause: "二（一）", Validity: corpus.Validity{Status: corpus.StatusExpired, Until: "2020-12-31", Because: "《财政部税务总局关于设备器具扣除有关企业所得税政策的通知》（财税〔2018〕54号）"}},
					{N: 4, Title: "某意见", Clause: "三16", Validity: corpus.Validity{Status: corpus.StatusInForce, Until: "2027-04-30", Because: corpus.BecauseClause}},
					{N: 5, Title: "某问答", Clause: "一、", Validity: corpus.Validity{Status: corpus.StatusInForce, Until: "2027-12-31", Because: "《关于某事项的公告》"}},
					{N: 6, Title: "某通知", Clause: "二、", Validity: corpus.Validity{Status: corpus.StatusExpired, Until: "2022-12-31", Because: "《关于延长某政策的公告》（某部公告2021年第6号）", Extended: true}},
				},
				Validity: []string{"[1][2][3]现行政策请向某厅确认。", "[3]条款所述期限已于2019年4月30日结束。"},
			},
			wantHead: "奖励40万元。[1]\n" +
				"时效：[1]已于2020年12月31日失效；[2]未写明期限，请确认是否仍有效；[3]已于2020年12月31日失效（依财税〔2018〕54号）；[4]有效至2027年4月30日；[5]有效至2027年12月31日（依《关于某事项的公告》）；[6]已于2022年12月31日失效（经某部公告2021年第6号延长）\n" +
				"来源：[1]《关于进一步扩大小型微利企业所得税优惠政策范围的通知》（财税〔2018〕77号）一、，2018年7月11日发布；[2]《某工作方案》（冀某办〔2018〕2号）附件7 五15，2018年发布；[3]《某解读》二（一），未载明发布日期；[4]《某意见》三16，未载明发布日期；[5]《某问答》一、，未载明发布日期；[6]《某通知》二、，未载明发布日期",
			wantDetails: "原文摘录：\n[1]一、：“……”\n\n时效提示：\n[1][2][3]现行政策请向某厅确认。\n[3]条款所述期限已于2019年4月30日结束。",
		},
		{
			name: "long title cut",
			r: Result{
				Lead:      "可以。[1]",
				Citations: []Citation{{N: 1, Title: strings.Repeat("长", 45), Clause: "一", Validity: expired}},
			},
			wantHead: "可以。[1]\n时效：[1]已于2020年12月31日失效\n来源：[1]《" + strings.Repeat("长", 39) + "…》一，未载明发布日期",
		},
		{
			// A document's title, 文号 and date are said once, its clauses
			// in the order of their first citation's document.
			name: "clauses of one document share its entry",
			r: Result{
				Lead: "补偿比例不超过40%。[1]",
				Citations: []Citation{
					{N: 1, DocID: "new", Title: "某办法", DocNo: "某财企〔2024〕5号", Clause: "第二条", Issued: "2024-03-20", Validity: expired},
					{N: 2, DocID: "guide", Title: "某问答", Clause: "一、", Validity: expired},
					{N: 3, DocID: "new", Title: "某办法", DocNo: "某财企〔2024〕5号", Clause: "第三条", Issued: "2024-03-20", Validity: expired},
				},
			},
			wantHead: "补偿比例不超过40%。[1]\n时效：[1][2][3]已于2020年12月31日失效\n来源：[1]《某办法》（某财企〔2024〕5号）第二条 [3]第三条，2024年3月20日发布；[2]《某问答》一、，未载明发布日期",
		},
		{
			name:        "nothing cited",
			r:           Result{Lead: "抱歉，我收录的政策文件中没有找到能回答这个问题的内容。", Body: "我能查询的是……\n建议咨询有关主管部门。"},
			wantHead:    "抱歉，我收录的政策文件中没有找到能回答这个问题的内容。",
			wantDetails: "我能查询的是……\n建议咨询有关主管部门。",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Head(); got != tt.wantHead {
				t.Errorf("Head =\n%s\nwant\n%s", got, tt.wantHead)
			}
			if got := tt.r.Details(); got != tt.wantDetails {
				t.Errorf("Details =\n%s\nwant\n%s", got, tt.wantDetails)
			}
			want := tt.wantHead
			if tt.wantDetails != "" {
				want += "\n\n" + tt.wantDetails
			}
			if got := layout(tt.r); got != want {
				t.Errorf("layout =\n%s\nwant\n%s", got, want)
			}
		})
	}
}
