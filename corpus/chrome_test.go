package corpus

import (
	"context"
	"strings"
	"testing"
)

// TestPageChrome: what a page prints around a document goes, whatever
// the page was saved as; the page's date and source stay.
func TestPageChrome(t *testing.T) {
	tests := []struct{ line, want string }{
		{"当前位置：首页 > 政策发布 > 财税政策", ""},
		{"江苏省人民政府 > 政府信息公开 > 省政府办公厅文件", ""},
		{"首页 » 政务公开 » 通知公告", ""},
		{"政策文件 ｜ 国家税务总局某市税务局转发", ""},
		{"发布日期：2023年03月26日 来源：财政部税政司 【字体：大 中 小】 【打印】", "发布日期：2023年03月26日 来源：财政部税政司"},
		{"发布日期：2024-07-19 来源：某省人民政府办公厅 浏览次数：5826", "发布日期：2024-07-19 来源：某省人民政府办公厅"},
		{"发布时间：2017-07-25 来源：某市科学技术局 浏览次数：1286 字号：[大 中 小] [打印本页] [关闭窗口]", "发布时间：2017-07-25 来源：某市科学技术局"},
		{"发布机构：某市工业和信息化局 ｜ 发布日期：2026-03-25", "发布机构：某市工业和信息化局 ｜ 发布日期：2026-03-25"},
		{"年营业收入>1000万元的企业，给予奖励。", "年营业收入>1000万元的企业，给予奖励。"},
		{"贷款贴息 | 最高100万元 | 按年度核定", "贷款贴息 | 最高100万元 | 按年度核定"},
		{"一、对月销售额10万元以下的小规模纳税人免征增值税。", "一、对月销售额10万元以下的小规模纳税人免征增值税。"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			if got := pageChrome(tt.line); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPageCopies: documents copied from web pages into text, Markdown or
// a page saved whole read as their documents: the breadcrumb and tool
// bar are not in the title, a quoted metadata line (> 发布机构：… ｜
// 发布日期：…) dates and signs an interpretation, a regulation's red head
// (…局 规范性文件) is no part of its title, and a 文号 the page prints
// outside its article is read.
func TestPageCopies(t *testing.T) {
	tests := []struct {
		file, text                         string
		title, docNo, issuer, issued, kind string
	}{
		{
			file:  "yanfa.txt",
			text:  "当前位置：首页 > 政策发布 > 财税政策\n某部关于研发费用加计扣除的公告\n某部公告2023年第7号\n发布日期：2023年03月26日　　来源：某部税政司　　【字体：大 中 小】　【打印】\n一、研发费用按100%加计扣除。\n特此公告。\n",
			title: "某部关于研发费用加计扣除的公告", docNo: "某部公告2023年第7号", issued: "2023-03-26", kind: "原文",
		},
		{
			file:  "jiedu.md",
			text:  "# 《某市专精特新若干措施》政策解读\n\n> 发布机构：某市工业和信息化局　｜　发布日期：2026-03-25　｜　来源：某市工业和信息化局\n\n近日，市政府办公室印发《措施》。\n\n## 一、哪些企业可以享受？\n\n在本市注册的中小企业。\n",
			title: "某市工业和信息化局《某市专精特新若干措施》政策解读", issuer: "某市工业和信息化局", issued: "2026-03-25", kind: "解读",
		},
		{
			file:  "jianxi.txt",
			text:  "某市人力资源和社会保障局　规范性文件\n某市人力资源和社会保障局 某市财政局关于实施就业见习补贴政策的通知\n某人社发〔2025〕22号\n各区人力资源和社会保障局：\n一、见习补贴按最低工资标准的80%给予。\n某市人力资源和社会保障局\n2025年6月25日\n",
			title: "某市人力资源和社会保障局 某市财政局关于实施就业见习补贴政策的通知", docNo: "某人社发〔2025〕22号", issued: "2025-06-25", kind: "原文",
		},
		{
			file: "minying.html",
			text: govPage(`<meta charset="utf-8"><meta name="ArticleTitle" content="某省人民政府关于促进民营经济发展的若干措施">`, `<ul class="meta"><li>索引号：014000319/2025-00089</li><li>文号：某政发〔2025〕18号</li></ul>`+
				`<div class="title">某省人民政府关于促进民营经济发展的若干措施</div><div class="docno">某政发〔2025〕18号</div><div class="content">`+htmlClauses+`</div>`),
			title: "某省人民政府关于促进民营经济发展的若干措施", docNo: "某政发〔2025〕18号", kind: "原文",
		},
		{
			// The date and source line sits between the title and the
			// article the page's reader view takes.
			file: "jiedu.html",
			text: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>《某市研发费用补助办法》政策解读_某市科学技术局</title></head><body>` +
				`<div class="top">某市科学技术局</div><div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 政策解读</div><div class="main">` +
				`<div class="title">《某市研发费用补助办法》政策解读</div>` +
				`<div class="info">发布时间：2017-07-25　　来源：某市科学技术局　　浏览次数：1286　　字号：[大 中 小]　　[打印本页] [关闭窗口]</div>` +
				`<div class="content"><p>近日，市科技局、市财政局联合印发了《某市研发费用补助办法》，现就有关内容解读如下。</p><p><b>一、哪些企业可以申请？</b></p><p>在本市注册、当年通过科技型中小企业评价的企业，按研发费用实际发生额的10%给予补助，单个企业年度补助最高50万元。</p></div>` +
				`</div><div class="foot">主办：某市科学技术局</div></body></html>`,
			title: "某市科学技术局《某市研发费用补助办法》政策解读", issuer: "某市科学技术局", issued: "2017-07-25", kind: "解读",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			docs, err := readDocument(context.Background(), tt.file, []byte(tt.text))
			if err != nil || len(docs) != 1 {
				t.Fatalf("%d documents, err %v", len(docs), err)
			}
			d := docs[0]
			if d.Title != tt.title || d.DocNo != tt.docNo || d.Kind != tt.kind || tt.issuer != "" && d.Issuer != tt.issuer || tt.issued != "" && d.Issued != tt.issued {
				t.Errorf("read %q %q %q issued %q by %q, want %q %q %q issued %q by %q", d.Title, d.DocNo, d.Kind, d.Issued, d.Issuer, tt.title, tt.docNo, tt.kind, tt.issued, tt.issuer)
			}
			text := d.Title
			for _, c := range Cut(&d, DefaultChunkSize) {
				text += c.Text
			}
			for _, chrome := range []string{"当前位置", "字体", "打印", "规范性文件"} {
				if strings.Contains(text, chrome) {
					t.Errorf("the page's %q is in the document's title or clauses", chrome)
				}
			}
		})
	}
}
