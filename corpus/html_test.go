package corpus

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// govPage wraps an article in a government site's chrome: navigation,
// breadcrumbs, a sidebar of links and a footer, none of which may show.
func govPage(head, article string) string {
	return `<!DOCTYPE html><html><head>` + head + `<title>通知_政府文件_某某市人民政府</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="/zwfw/">政务服务</a> <a href="/hdjl/">互动交流</a></div>
<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>
<div class="side"><ul><li><a href="/a1.html">关于印发某某市促进经济发展若干政策的通知</a></li><li><a href="/a2.html">关于做好稳就业工作的通知</a></li></ul></div>
<div class="content"><div class="article">` + article + `</div></div>
<div class="footer"><p>主办单位：某某市人民政府办公室</p><p><a href="https://beian.miit.gov.cn/">浙ICP备12345678号</a> 网站标识码：3300000001</p></div>
</body></html>`
}

const htmlClauses = `<p>　　一、对符合条件的小微企业新增贷款给予贴息，贴息比例不超过贷款市场报价利率的50%，单户企业年度贴息额最高不超过100万元。</p>
<p>　　二、对首次升级为规模以上工业企业的小微企业，由所在地政府给予一次性奖励10万元，所需资金由市、县财政按现行体制分担。</p>`

const htmlClauseLines = "一、对符合条件的小微企业新增贷款给予贴息，贴息比例不超过贷款市场报价利率的50%，单户企业年度贴息额最高不超过100万元。\n" +
	"二、对首次升级为规模以上工业企业的小微企业，由所在地政府给予一次性奖励10万元，所需资金由市、县财政按现行体制分担。"

func TestReadHTML(t *testing.T) {
	gbk := func(s string) string {
		out, err := simplifiedchinese.GBK.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name, page, want string
	}{
		{
			name: "title from ArticleTitle when the heading is dropped",
			page: govPage(`<meta charset="utf-8"><meta name="ArticleTitle" content="某某市关于支持小微企业的通知">`,
				`<h1>某某市关于支持小微企业的通知</h1>`+htmlClauses),
			want: "某某市关于支持小微企业的通知\n" + htmlClauseLines,
		},
		{
			name: "paragraphs split by <br> in one <p>, signature set right",
			page: govPage(`<meta charset="utf-8">`, `<div class="TRS_Editor"><p>　　一、对符合条件的小微企业新增贷款给予贴息，贴息比例不超过贷款市场报价利率的50%，单户企业年度贴息额最高不超过100万元。<br>`+
				`　　二、对首次升级为规模以上工业企业的小微企业，由所在地政府给予一次性奖励10万元，所需资金由市、县财政按现行体制分担。<br/><br/></p>`+
				`<p style="text-align:right">某某市人民政府<br>2023年3月15日</p></div>`),
			want: htmlClauseLines + "\n某某市人民政府\n2023年3月15日",
		},
		{
			name: "a table row per line, cells apart by tabs; scripts and hidden text dropped",
			page: govPage(`<meta charset="utf-8">`, htmlClauses+`<table><tr><th>项目</th><th>标准</th></tr><tr><td>贷款贴息</td><td> 最高 <b>100</b>万元 </td></tr></table>`+
				`<script>document.write("广告")</script><p style="display: none">隐藏的文字</p><p hidden>也隐藏</p>`),
			want: htmlClauseLines + "\n项目\t标准\n贷款贴息\t最高 100万元",
		},
		{
			name: "gb2312 declared in http-equiv",
			page: gbk(govPage(`<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`, htmlClauses)),
			want: htmlClauseLines,
		},
		{
			name: "GBK with no declaration",
			page: gbk(govPage(``, htmlClauses)),
			want: htmlClauseLines,
		},
		{
			name: "declared UTF-8 but saved as GBK",
			page: gbk(govPage(`<meta charset="utf-8">`, htmlClauses)),
			want: htmlClauseLines,
		},
		{
			name: "GBK declared as ISO-8859-1",
			page: gbk(govPage(`<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">`, htmlClauses)),
			want: htmlClauseLines,
		},
		{
			name: "charset declared after 1024 bytes",
			page: gbk(`<!DOCTYPE html><html><head><!--` + strings.Repeat("x", 1100) + `--><meta charset="gbk"></head><body><div>` + htmlClauses + `</div></body></html>`),
			want: htmlClauseLines,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readText(context.Background(), "a.html", []byte(tt.page))
			if err != nil {
				t.Fatalf("readText: %v", err)
			}
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestReadHTMLNoChrome checks the fixture page loses all of the site's
// chrome: navigation, breadcrumbs, sidebar, metadata table, tools and
// footer.
func TestReadHTMLNoChrome(t *testing.T) {
	for _, file := range []string{"notice.html", "notice-gbk.html"} {
		t.Run(file, func(t *testing.T) {
			text, err := readText(context.Background(), file, readFixture(t, file))
			if err != nil {
				t.Fatalf("readText: %v", err)
			}
			for _, chrome := range []string{"首页", "当前位置", "政务服务", "推动高质量发展", "热点专题", "索引号", "字号", "打印本页", "分享到", "相关解读", "友情链接", "主办单位", "ICP备", "公网安备", "网站标识码", "浏览器"} {
				if strings.Contains(text, chrome) {
					t.Errorf("text holds the page's %q:\n%s", chrome, text)
				}
			}
		})
	}
}

func FuzzReadHTML(f *testing.F) {
	f.Add(readFixture(f, "notice.html"))
	f.Add(readFixture(f, "notice-gbk.html"))
	f.Add([]byte(govPage(`<meta charset="gbk">`, htmlClauses)))
	f.Add([]byte(`<table><tr><td><p>甲<br>乙</td></tr></table><pre>一
二</pre>`))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, "f.html", data) })
}
