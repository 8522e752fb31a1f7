package retrieval

import "testing"

func TestOnlyFormulas(t *testing.T) {
	const title = "国家税务总局关于统一小规模纳税人标准等若干增值税问题的公告"
	tests := []struct {
		name, text string
		want       bool
	}{
		{"transmittal", "现将统一小规模纳税人标准等若干增值税问题公告如下：", true},
		{"salutation and transmittal", "各设区市、定州市、辛集市财政局：\n现将《河北省资产证券化奖励资金管理办法》印发给你们，请遵照执行。", true},
		{"signature and date", "特此公告。\n国家税务总局\n2018年4月20日", true},
		{"title repeated", "国家税务总局关于统一小规模纳税人标准等若干增值税问题的公告", true},
		{"a provision", "一、增值税小规模纳税人标准为年应征增值税销售额500万元及以下。", false},
		{"formulas with a provision", "各省财政厅：\n现将有关事项通知如下：\n一、增值税小规模纳税人标准为年应征增值税销售额500万元及以下。", false},
		{"purpose statement", "为贯彻落实《实施意见》，鼓励社会资本参与设立私募股权投资基金，推动我省股权投资基金业发展壮大，支持我省重点产业和中小企业加快发展，特制定本办法。", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := onlyFormulas(tt.text, title); got != tt.want {
				t.Errorf("onlyFormulas(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}
