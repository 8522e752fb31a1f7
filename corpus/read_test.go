package corpus

import (
	"testing"
)

// TestParseUserDocuments reads documents as users add them — recent
// notices in the forms they are published in, none from the built-in
// corpus — and checks every field the extractor reads. Nothing that is not
// printed may be filled in.
func TestParseUserDocuments(t *testing.T) {
	tests := []struct {
		name, file, text                   string
		title, docNo, issuer, kind, domain string
		issued, from, until                string
	}{
		{
			name: "provincial opinions with 有效期至",
			file: "zj-2022-25.md",
			text: `浙江省人民政府办公厅关于进一步减负纾困助力中小微企业发展的若干意见
浙政办发〔2022〕25号
各市、县（市、区）人民政府，省政府直属各单位：
为进一步减轻中小微企业负担，经省政府同意，现提出如下意见。
一、加大财政支持力度。对符合条件的小微企业贷款给予贴息。
二、本意见自2022年5月1日起施行，有效期至2025年12月31日。
浙江省人民政府办公厅
2022年4月18日
（此件公开发布）
`,
			title: "浙江省人民政府办公厅关于进一步减负纾困助力中小微企业发展的若干意见", docNo: "浙政办发〔2022〕25号",
			issuer: "浙江省人民政府办公厅", kind: "原文", issued: "2022-04-18", from: "2022-05-01", until: "2025-12-31",
		},
		{
			// A 公告 prints its joint number above its title and its
			// signers only at the end.
			name: "national 公告 with a joint number",
			file: "mof-sat-2023-12.txt",
			text: `财政部 税务总局公告2023年第12号
关于进一步支持小微企业和个体工商户发展有关税费政策的公告
为进一步支持小微企业和个体工商户发展，现将有关税费政策公告如下：
一、自2023年1月1日至2027年12月31日，对个体工商户年应纳税所得额不超过200万元的部分，减半征收个人所得税。
二、本公告相关政策执行至2027年12月31日。
特此公告。
财政部 税务总局
2023年8月2日
`,
			title: "关于进一步支持小微企业和个体工商户发展有关税费政策的公告", docNo: "财政部 税务总局公告2023年第12号",
			issuer: "财政部 税务总局", kind: "原文", issued: "2023-08-02", from: "2023-01-01", until: "2027-12-31",
		},
		{
			name: "measures starting on a date with a term, Markdown title",
			file: "digital.md",
			text: `# 关于促进中小企业数字化转型的若干措施

为加快中小企业数字化转型，制定以下措施。

一、支持企业上云用云，按实际费用的30%给予补助。

二、以上措施自2023年1月1日起施行，有效期3年。

某省经济和信息化厅

2022年12月20日
`,
			title: "关于促进中小企业数字化转型的若干措施", issuer: "某省经济和信息化厅", kind: "原文",
			issued: "2022-12-20", from: "2023-01-01", until: "2025-12-31",
		},
		{
			name: "red head above the number",
			file: "red-head.txt",
			text: `浙江省人民政府办公厅文件
浙政办发〔2023〕12号
浙江省人民政府办公厅关于印发浙江省促进民营经济高质量发展若干措施的通知
各市、县（市、区）人民政府，省政府直属各单位：
《浙江省促进民营经济高质量发展若干措施》已经省政府同意，现印发给你们，请认真贯彻执行。
浙江省人民政府办公厅
2023年3月1日
`,
			title: "浙江省人民政府办公厅关于印发浙江省促进民营经济高质量发展若干措施的通知", docNo: "浙政办发〔2023〕12号",
			issuer: "浙江省人民政府办公厅", kind: "原文", issued: "2023-03-01",
		},
		{
			name: "web page metadata block",
			file: "portal.txt",
			text: `索引号：11330000002482870P/2023-00123
发布机构：浙江省经济和信息化厅
发文字号：浙经信企业〔2023〕45号
成文日期：2023-03-10
标题：浙江省经济和信息化厅关于开展2023年度专精特新中小企业认定工作的通知
各市经信局：
为做好2023年度专精特新中小企业认定工作，现将有关事项通知如下。
一、认定条件。
`,
			title: "浙江省经济和信息化厅关于开展2023年度专精特新中小企业认定工作的通知", docNo: "浙经信企业〔2023〕45号",
			issuer: "浙江省经济和信息化厅", kind: "原文", issued: "2023-03-10",
		},
		{
			name:  "number on a label line",
			file:  "label.txt",
			text:  "某市支持科技企业发展若干政策\n文号：某科发〔2024〕3号\n一、支持研发投入。\n",
			title: "某市支持科技企业发展若干政策", docNo: "某科发〔2024〕3号", kind: "原文",
		},
		{
			// A date under the title dates the text; the title is not its signer.
			name:  "date under the title",
			file:  "dated.txt",
			text:  "某区企业服务指南\n2024年5月6日\n一、办理流程。\n",
			title: "某区企业服务指南", kind: "原文", issued: "2024-05-06",
		},
		{
			name: "front matter overrides what is read",
			file: "override.md",
			text: `---
issuer: ""
domain: 科技
effective_until: "2024-06-30"
---
某市科学技术局关于组织申报2024年度科技项目的通知
某科发〔2024〕7号
各有关单位：
本通知自发布之日起施行，有效期2年。
某市科学技术局
2024年1月5日
`,
			title: "某市科学技术局关于组织申报2024年度科技项目的通知", docNo: "某科发〔2024〕7号",
			kind: "原文", domain: "科技", issued: "2024-01-05", from: "2024-01-05", until: "2024-06-30",
		},
		{
			// An interpretation quotes periods; it states none of its own.
			name: "interpretation",
			file: "jd.md",
			text: `---
kind: 解读
---
浙江省财政厅
《关于进一步减负纾困助力中小微企业发展的若干意见》政策解读
一、出台背景。
二、贴息政策自2022年5月1日起至2025年12月31日执行，本意见有效期至2025年12月31日。
`,
			title: "浙江省财政厅《关于进一步减负纾困助力中小微企业发展的若干意见》政策解读", issuer: "浙江省财政厅", kind: "解读",
		},
		{
			name:  "nothing printed",
			file:  "bare.txt",
			text:  "关于做好企业服务工作的意见\n各部门要做好服务，及时回应企业诉求。\n",
			title: "关于做好企业服务工作的意见", kind: "原文",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.file, []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct{ name, got, want string }{
				{"title", d.Title, tt.title},
				{"doc_no", d.DocNo, tt.docNo},
				{"issuer", d.Issuer, tt.issuer},
				{"kind", d.Kind, tt.kind},
				{"domain", d.Domain, tt.domain},
				{"issued", d.Issued, tt.issued},
				{"effective_from", d.EffectiveFrom, tt.from},
				{"effective_until", d.EffectiveUntil, tt.until},
			} {
				if f.got != f.want {
					t.Errorf("%s: got %q, want %q", f.name, f.got, f.want)
				}
			}
		})
	}
}

// TestFromLines: the generator's entry point normalizes as Parse does and
// reads the same fields.
func TestFromLines(t *testing.T) {
	d := FromLines([]string{"　财政部  税务总局关于某项政策的通知", "", "财税〔2018〕77号 ", "一、自2018年1月1日至2020年12月31日，减半征收。", "财政部 税务总局", "2018年7月11日"}, "")
	want := Document{
		Title: "财政部 税务总局关于某项政策的通知", DocNo: "财税〔2018〕77号", Issuer: "财政部 税务总局", Kind: "原文",
		Issued: "2018-07-11", EffectiveFrom: "2018-01-01", EffectiveUntil: "2020-12-31",
		Body: "财政部 税务总局关于某项政策的通知\n财税〔2018〕77号\n一、自2018年1月1日至2020年12月31日，减半征收。\n财政部 税务总局\n2018年7月11日",
	}
	if d.Title != want.Title || d.DocNo != want.DocNo || d.Issuer != want.Issuer || d.Kind != want.Kind || d.Issued != want.Issued ||
		d.EffectiveFrom != want.EffectiveFrom || d.EffectiveUntil != want.EffectiveUntil || d.Body != want.Body {
		t.Errorf("got  %+v\nwant %+v", d, want)
	}
}
