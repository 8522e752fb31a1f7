package corpus

import "testing"

func TestInformative(t *testing.T) {
	const title = "国家税务总局关于统一小规模纳税人标准等若干增值税问题的公告"
	tests := []struct {
		name, text, want string
	}{
		{"transmittal", "现将统一小规模纳税人标准等若干增值税问题公告如下：", ""},
		{"salutation and transmittal", "各设区市、定州市、辛集市财政局：\n现将《资产证券化奖励资金管理办法》印发给你们，请遵照执行。", ""},
		{"signature and date", "特此公告。\n国家税务总局\n2018年4月20日", ""},
		{"title repeated", "国家税务总局关于统一小规模纳税人标准等若干增值税问题的公告", ""},
		{"repeal and publicity", "三、《关于扩大小型微利企业所得税优惠政策范围的通知》（财税〔2017〕43号）自2018年1月1日起废止。\n四、各级财政、税务部门要严格按照本通知的规定，积极做好小型微利企业所得税优惠政策的宣传辅导工作，确保优惠政策落实到位。\n财政部 税务总局\n2018年7月11日", ""},
		{"a provision", "一、增值税小规模纳税人标准为年应征增值税销售额500万元及以下。", "一、增值税小规模纳税人标准为年应征增值税销售额500万元及以下。"},
		{"provision after formulas", "各省财政厅：\n现将有关事项通知如下：\n一、标准为500万元及以下。", "一、标准为500万元及以下。"},
		{"provision with a repeal sentence", "本办法自2019年1月1日起施行，原办法同时废止。对首台套给予奖励。", "本办法自2019年1月1日起施行，原办法同时废止。对首台套给予奖励。"},
		{"repeal of another document", "原办法同时废止。对首台套给予奖励。", "对首台套给予奖励。"},
		{"a 版记's list wrapped over lines", "（十四）本政策自2024年1月1日起施行。\n抄送：市委各部门，市人大常委会办公室，市监\n委，市法院，市检察院。\n某市人民政府办公室 2024年1月12日印发", "（十四）本政策自2024年1月1日起施行。"},
		{"purpose statement", "为贯彻落实《实施意见》，鼓励社会资本参与设立私募股权投资基金，特制定本办法。", "为贯彻落实《实施意见》，鼓励社会资本参与设立私募股权投资基金，特制定本办法。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Informative(tt.text, title); got != tt.want {
				t.Errorf("Informative(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestFormulaic(t *testing.T) {
	const title = "国家税务总局关于统一小规模纳税人标准等若干增值税问题的公告"
	tests := []struct {
		name, text string
		want       bool
	}{
		{"transmittal", "现将统一小规模纳税人标准等若干增值税问题公告如下：", true},
		{"salutation and transmittal", "各设区市、定州市、辛集市财政局：\n现将《资产证券化奖励资金管理办法》印发给你们，请遵照执行。", true},
		{"signature and date", "特此公告。\n国家税务总局\n2018年4月20日", true},
		{"signature of a committee", "特此通知。\n省制造强省建设领导小组\n2018 年 6 月 1 日\n（此件公开发布）", true},
		{"title repeated", "国家税务总局关于统一小规模纳税人标准等若干增值税问题的公告", true},
		{"signature in Chinese numerals and the printing record", "某省人民政府\n二〇一二年四月二十八日\n（此件公开发布）\n抄送：省委各部门，省人大常委会办公厅，省政协办公厅，省法院，省检察院。\n某省人民政府办公厅 2012年4月30日印发", true},
		{"a provision", "一、增值税小规模纳税人标准为年应征增值税销售额500万元及以下。", false},
		{"formulas with a provision", "各省财政厅：\n现将有关事项通知如下：\n一、增值税小规模纳税人标准为年应征增值税销售额500万元及以下。", false},
		{"purpose statement", "为贯彻落实《实施意见》，鼓励社会资本参与设立私募股权投资基金，推动股权投资基金业发展壮大，支持重点产业和中小企业加快发展，特制定本办法。", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Formulaic(tt.text, title); got != tt.want {
				t.Errorf("Formulaic(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}
