package retrieval

import (
	"context"
	"strings"
	"testing"
)

// followCorpus is a small hand-made corpus: two notices whose clauses
// share words (保费, 奖励, 企业) across topics.
const followCorpus = `---
id: support
title: 关于支持企业创新发展的若干措施
doc_no: 测政〔2018〕1号
issuer: 测试省人民政府
domain: 工信
kind: 原文
---

关于支持企业创新发展的若干措施
第一条 对投保首台（套）重大技术装备综合保险的企业，省级财政按实际投保年度保费的80%给予补贴。
第二条 对出口企业投保出口信用保险的，按保费的30%给予补助。
第三条 对新认定的高新技术企业，省财政给予一次性奖励资金30万元。
第四条 对新认定的省级工业设计中心，奖励100万元。
第五条 首台（套）保险补贴由企业向省财政厅提出申请。
第六条 对参加境外展会的企业，按展位费给予补助，最高给予20万元。
第七条 对开拓国际市场的企业，最高给予10万元补助。
第八条 对参加国内展会的企业，最高给予5万元补助。
`

const followTax = `---
id: tax
title: 关于小型微利企业所得税优惠政策的通知
doc_no: 测税〔2018〕2号
issuer: 测试省税务局
domain: 税务
kind: 原文
---

关于小型微利企业所得税优惠政策的通知
一、对年应纳税所得额低于100万元的小型微利企业，其所得减按50%计入应纳税所得额，按20%的税率缴纳企业所得税。
二、小型微利企业是指从业人数不超过100人、资产总额不超过3000万元的企业。
三、本通知执行期限为2018年1月1日至2020年12月31日。
四、高新技术企业减按15%的税率缴纳企业所得税，不再享受小型微利企业所得税减半政策。
`

func followIndex(t *testing.T) *Index {
	t.Helper()
	dir := writeDir(t, map[string]string{"support.md": followCorpus, "tax.md": followTax})
	ix, err := Build(context.Background(), loadDir(t, dir), Options{Embedder: &countingEmbedder{model: "test", dims: 32}})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestFollowUpOrNewTopic checks that a question with history is read as
// a follow-up only when the evidence says so: an elliptical question
// keeps its history, a question about another topic drops it.
func TestFollowUpOrNewTopic(t *testing.T) {
	ix := followIndex(t)
	ctx := context.Background()
	cases := []struct {
		name, question string
		history        []string
		followUp       bool   // the query carries the history
		top            string // a piece of the clause ranked first
	}{
		{
			name:     "elliptical follow-up keeps its history",
			history:  []string{"首台套重大技术装备保险补偿是怎么回事"},
			question: "保费能补多少",
			followUp: true,
			top:      "实际投保年度保费的80%",
		},
		{
			name:     "a new topic drops the history",
			history:  []string{"小型微利企业所得税减半征收的企业所得税优惠还能享受吗"},
			question: "我们公司新认定为高新技术企业，有没有奖励？",
			followUp: false,
			top:      "一次性奖励资金30万元",
		},
		{
			// Alone, a stranger's 最高给予 covers the question's few
			// words as well as any clause: coverage says nothing of a
			// question that says this little.
			name:     "a follow-up of a word or two keeps its history",
			history:  []string{"新认定的省级工业设计中心有奖励吗"},
			question: "最高给多少",
			followUp: true,
			top:      "奖励100万元",
		},
		{
			// Without 另外问下 it reads as a follow-up, and the history's
			// 首台套 clause comes first.
			name:     "a message turning to another matter drops the history",
			history:  []string{"首台套重大技术装备保险补偿是怎么回事"},
			question: "另外问下，去德国参展的展位费能给补助吗，我们明年要去",
			followUp: false,
			top:      "按展位费给予补助",
		},
		{
			name:     "turning to a matter it does not name keeps the history",
			history:  []string{"首台套重大技术装备保险补偿是怎么回事"},
			question: "对了，保费能补多少",
			followUp: true,
			top:      "实际投保年度保费的80%",
		},
		{
			name:     "no history",
			question: "小型微利企业从业人数有什么要求",
			followUp: false,
			top:      "从业人数不超过100人",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := ix.Search(ctx, Query{Question: c.question, History: c.history})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(res.Query, strings.Join(c.history, " ")) && len(c.history) > 0; got != c.followUp {
				t.Errorf("query %q: read as follow-up %v, want %v", res.Query, got, c.followUp)
			}
			if len(res.Hits) == 0 || !strings.Contains(res.Hits[0].Text, c.top) {
				t.Errorf("first hit %q, want the clause with %q", first(res).Text, c.top)
			}
		})
	}
}

// TestAnchor checks the plain BM25 anchor: same chunks, ranked by the
// question's and history's words alone, never refusing.
func TestAnchor(t *testing.T) {
	ix := followIndex(t)
	res, err := ix.Anchor().Search(context.Background(), Query{Question: "出口信用保险保费补助多少", K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || len(res.Hits) == 0 || len(res.Hits) > 3 {
		t.Fatalf("found %v with %d hits, want found with 1–3", res.Found, len(res.Hits))
	}
	if !strings.Contains(res.Hits[0].Text, "出口信用保险") || res.Hits[0].Rank != 1 {
		t.Errorf("first hit %+v, want the 出口信用保险 clause at rank 1", res.Hits[0])
	}
	// An unrelated question is still answered: the anchor never refuses.
	res, err = ix.Anchor().Search(context.Background(), Query{Question: "个人所得税专项附加扣除", History: []string{"你好"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || res.Query != "你好 个人所得税专项附加扣除" {
		t.Errorf("found %v, query %q; want found, query of history and question", res.Found, res.Query)
	}
	if got := anchorTerms("省 奖励ABC 2018年"); strings.Join(got, ",") != "省,年,奖励,abc,2018" {
		t.Errorf("anchorTerms = %v", got)
	}
}

// TestSeams: the pairs of characters between the words of a question in
// everyday words are seams, not words the corpus lacks; a long question
// of such words is judged on what it asks.
func TestSeams(t *testing.T) {
	ix, err := Build(context.Background(), loadBuiltin(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text     string
		seams    []string
		notSeams []string
	}{
		// 备政 straddles 设备 and 政府; 工中 加工 and 中心.
		{"买设备政府给补贴吗", []string{"备政"}, []string{"设备", "政府"}},
		{"上了一台加工中心", []string{"工中"}, []string{"加工", "中心"}},
		// A word the corpus never prints, with no word it knows beside it.
		{"驾照", nil, []string{"驾照"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := ix.judge.seams(tt.text)
			for _, s := range tt.seams {
				if !got[s] {
					t.Errorf("seams(%q) = %v, want %s among them", tt.text, got, s)
				}
			}
			for _, s := range tt.notSeams {
				if got[s] {
					t.Errorf("seams(%q) = %v, want no %s", tt.text, got, s)
				}
			}
		})
	}
	q := "我们是唐山丰润做轴承的小厂，前年被环保要求关停整改，现在想搬到开发区去，有没有搬迁方面的扶持"
	res, err := ix.Search(context.Background(), Query{Question: q})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found {
		t.Errorf("%s: not found (%s); its seams counted as words the corpus lacks", q, res.Reason)
	}
}

// TestCityIsWhere: one of the corpus's own cities, whose local rules it
// does not hold, says where the asker is; it does not pick the clause of a
// plan that names the city.
func TestCityIsWhere(t *testing.T) {
	ix, err := Build(context.Background(), loadBuiltin(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := "沧州做化工的小厂，被要求搬进园区，搬迁有什么补助"
	res, err := ix.Search(context.Background(), Query{Question: q})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || len(res.Hits) == 0 || !strings.Contains(res.Hits[0].Text, "退城搬迁") {
		t.Errorf("%s: first clause %+v, want the one on relocating out of town", q, res.Hits[:min(1, len(res.Hits))])
	}
}
