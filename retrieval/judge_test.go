package retrieval

import (
	"slices"
	"strings"
	"testing"

	"github.com/policybot/policybot/corpus"
)

// judgeScope is a hand-made scope for a fictional province: its own
// region's words, one of its cities, two other regions, one of them a
// partner the corpus speaks of by a joint word, and its year of issue.
var judgeScope = corpus.Scope{
	Home:         []string{"南岭", "省里"},
	Cities:       []string{"青川"},
	LocalPolicy:  []string{"市里", "县里"},
	OtherRegions: []string{"东海", "西川"},
	Partners:     map[string]string{"西川": "川岭"},
	Years:        [2]int{2016, 2016},
}

// judgeTopics are vocabulary topics; the hand-made corpus mentions only
// the first.
var judgeTopics = []Topic{{"高新技术企业"}, {"车辆购置税"}, {"民宿"}}

// judgeOver builds a judge, and the BM25 index it judges by, over
// hand-made documents.
func judgeOver(scope corpus.Scope, docs []corpus.Document, regions map[string]string, topics []Topic) (*judge, *bm25) {
	var entries []entry
	var texts []string
	for i := range docs {
		for _, c := range docs[i].Chunks {
			e := entry{doc: &docs[i], chunk: c, text: indexText(&docs[i], c)}
			entries = append(entries, e)
			texts = append(texts, e.text)
		}
	}
	lex := newBM25(texts)
	return newJudge(scope, docs, regions, entries, lex, topics), lex
}

// asker builds a judge over a small hand-made corpus and returns a
// function that judges one question the way Search does: rewritten
// offline, ranked by BM25, then judged.
func asker(t *testing.T, scope corpus.Scope) func(question string) string {
	t.Helper()
	doc := corpus.Document{
		ID:    "innovation",
		Title: "关于支持创新发展的若干措施",
		Body:  "2016年印发。到2020年，全省高新技术企业数量翻一番。",
	}
	for i, text := range []string{
		"对认定的高新技术企业给予一次性奖励五十万元。",
		"对首台套产品给予奖励，具体奖励办法另行制定。",
		"推动科技创新券在川岭两地互认互通。",
		"本措施自2016年1月1日起施行。",
		"到2020年，全省高新技术企业数量翻一番。",
	} {
		doc.Chunks = append(doc.Chunks, corpus.Chunk{ID: doc.ID + string(rune('a'+i)), DocID: doc.ID, Text: text, Ord: i})
	}
	// A ministry's notice, which applies in every region.
	notice := corpus.Document{ID: "notice", Title: "关于小型微利企业所得税优惠政策的通知", Issuer: "财政部 税务总局", Body: "2016年印发。"}
	notice.Chunks = []corpus.Chunk{{ID: "notice-a", DocID: notice.ID, Text: "对小型微利企业减按25%计算应纳税所得额。"}}
	// The notice names no region; the measures are the province's.
	j, lex := judgeOver(scope, []corpus.Document{doc, notice}, map[string]string{doc.ID: "南岭省"}, judgeTopics)
	// An empty vocabulary: the questions are judged on their own words.
	ix := &Index{vocab: &Vocabulary{stop: map[string]bool{}}}
	return func(question string) string {
		pq := ix.rewrite(question, nil)
		// The questions are asked in 2030.
		found := lex.search(pq.weights, nil, nil, 50)
		return j.reason(question, pq, found, j.evidence(pq, found), 2030)
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name, question, want string
	}{
		{"answered", "高新技术企业有什么奖励", ""},
		{"another region as subject", "东海对高新技术企业有什么奖励", ReasonOtherRegion},
		{"partner as subject", "西川的科技创新券政策", ReasonOtherRegion},
		{"partner named in passing, clause speaks of the partnership", "科技创新券在西川能不能用", ""},
		{"home words outweigh another region", "省里对东海的高新技术企业有奖励吗", ""},
		{"another region's policy first, compared with home", "东海那边对高新技术企业的奖励跟省里一样吗", ReasonOtherRegion},
		{"another region in passing before home", "搬到东海的企业省里还给高新技术企业奖励吗", ""},
		{"another region a place, then the subject, before home", "我们在东海有个分公司 东海那边的高新技术企业奖励跟省里一样不", ReasonOtherRegion},
		{"another region in passing, a national clause", "在东海注册的小型微利企业所得税怎么算", ""},
		{"another region as subject, a national clause", "东海对小型微利企业所得税有什么优惠", ReasonOtherRegion},
		{"another region in passing, a provincial clause", "高新技术企业搬到东海还有奖励吗", ReasonOtherRegion},
		{"local-policy phrase", "市里对高新技术企业有没有额外奖励", ReasonLocalPolicy},
		{"local-policy phrase before a policy noun", "县里的奖励高新技术企业能拿多少", ReasonLocalPolicy},
		{"local word as where the firm is", "县里的小厂评上高新技术企业有什么奖励", ""},
		{"local word as where a project is", "在县里开发区的高新技术企业有什么奖励", ""},
		{"own city's rules", "青川市对高新技术企业有什么奖励", ReasonLocalPolicy},
		{"a city's rules, over there", "我们在青川有个厂 青川那边对高新技术企业奖励多少", ReasonLocalPolicy},
		{"a city's rules, this year", "青川市今年有没有高新技术企业奖励", ReasonLocalPolicy},
		{"a city's own rules", "青川自己对高新技术企业有什么奖励", ReasonLocalPolicy},
		{"a city as where the firm is", "青川的小厂评上高新技术企业有什么奖励", ""},
		{"a city's rules compared with home's", "青川的高新技术企业奖励跟省里一样吗", ReasonLocalPolicy},
		{"a city where the firm is, home's rules asked", "我们在青川 省里对高新技术企业有什么奖励", ""},
		{"topic the corpus never mentions", "车辆购置税能减免吗", ReasonTopic},
		{"topic the corpus never mentions, asked of", "开了家小饭馆 民宿有什么奖励", ReasonTopic},
		{"topic the corpus never mentions, the asker's trade", "开民宿的 评上高新技术企业有什么奖励", ""},
		{"the asker's trade, then asked of", "我们是做民宿的 民宿有什么奖励", ReasonTopic},
		{"running the business asked of, unpunctuated", "开民宿需要什么手续有什么奖励", ReasonTopic},
		{"year the corpus never mentions", "2030年高新技术企业有什么奖励", ReasonYear},
		{"year the corpus mentions", "2016年高新技术企业有什么奖励", ""},
		{"whether a policy still holds this year", "2030年高新技术企业奖励还有效吗", ""},
		{"whether an earlier year's policy still holds", "2025年高新技术企业奖励还有效吗", ReasonYear},
		// This year said as the asker's present asks of no year.
		{"this year as now", "现在都2030年了 高新技术企业能拿多少奖励", ""},
		{"this year as the policy's", "2030年高新技术企业有没有奖励", ReasonYear},
		{"whether a later year's new policy holds", "2030年新出台的首台套奖励还有效吗", ReasonYear},
		{"policy issued after the newest document", "2020年新出台的首台套奖励办法", ReasonYear},
		{"issued after, said with a month", "2020年3月出的首台套奖励办法", ReasonYear},
		{"issued after, said with its issuer", "2020年省里新出的首台套奖励办法", ReasonYear},
		{"issued after, said with the corpus's region", "2020年南岭新出台的首台套奖励有哪些", ReasonYear},
		{"issued in the corpus's years, said with its issuer", "2016年省里出台的高新技术企业奖励", ""},
		{"later year the best clause speaks of", "2020年出台的高新技术企业数量目标", ""},
		{"later year, not said as a policy's", "2020年高新技术企业数量能翻一番吗", ""},
		{"nothing in common", "hello world", ReasonNoMatch},
		{"a word the corpus lacks, standing apart", "驾照到期了去哪换", ReasonNoMatch},
		{"a firm's story, then what it asks", "我们厂在城郊做铸件和阀门，去年外贸订单掉了一半多，熟练工人走了不少，原材料涨价，老板天天发愁睡不着，银行也催着还贷款，账上现金撑不过三个月。现在评上高新技术企业有奖励吗", ""},
		{"a story, then a question the corpus lacks", "我们厂做铸件的，去年订单掉了一半，工人走了不少。驾照到期了去哪换", ReasonNoMatch},
	}
	ask := asker(t, judgeScope)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ask(tt.question); got != tt.want {
				t.Errorf("reason(%q) = %q, want %q", tt.question, got, tt.want)
			}
		})
	}
}

// TestAbsentTopics: a topic is outside the corpus only when the corpus
// names it none of the ways it goes by.
func TestAbsentTopics(t *testing.T) {
	doc := corpus.Document{ID: "rent", Title: "关于减免国有房屋租金的通知"}
	doc.Chunks = []corpus.Chunk{{ID: "rent-a", DocID: doc.ID, Text: "对承租国有房屋的小微企业免除3个月租金减免。"}}
	tests := []struct {
		name   string
		topics []Topic
		want   []string
	}{
		{"named one of its ways", []Topic{{"房租减免", "租金减免"}}, nil},
		{"named none of its ways", []Topic{{"稳岗补贴", "稳岗返还"}}, []string{"稳岗补贴", "稳岗返还"}},
		{"one name each", []Topic{{"租金减免"}, {"房租减免"}}, []string{"房租减免"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, _ := judgeOver(corpus.Scope{}, []corpus.Document{doc}, nil, tt.topics)
			if !slices.Equal(j.absent, tt.want) {
				t.Errorf("absent = %v, want %v", j.absent, tt.want)
			}
		})
	}
}

// TestJudgeEmptyScope: a user's corpus without scope data has no regions
// of its own or others, so a question naming a region is judged on the
// evidence alone.
func TestJudgeEmptyScope(t *testing.T) {
	tests := []struct {
		name, question, want string
	}{
		{"region as subject, clause answers", "东海对高新技术企业有什么奖励", ""},
		{"city's rules, clause answers", "青川市对高新技术企业有什么奖励", ""},
		{"local-policy phrase, clause answers", "市里对高新技术企业有没有额外奖励", ""},
		{"region named, nothing in common", "东海车船税怎么交", ReasonNoMatch},
		{"region named, topic never mentioned", "东海车辆购置税能减免吗", ReasonTopic},
	}
	ask := asker(t, corpus.Scope{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ask(tt.question); got != tt.want {
				t.Errorf("reason(%q) = %q, want %q", tt.question, got, tt.want)
			}
		})
	}
}

// TestJudgeYearsCovered: a year the corpus's documents span — between its
// first and last issue, or within a period a document states — is no year
// the corpus cannot speak of, printed or not; a year past them is.
func TestJudgeYearsCovered(t *testing.T) {
	docs := []corpus.Document{
		{ID: "old", Title: "关于扶持中小企业发展的若干意见", Issued: "2009-02-10",
			Chunks: []corpus.Chunk{{ID: "old-a", DocID: "old", Text: "对中小企业技术改造项目，按设备投资额的5%给予补助。"}}},
		{ID: "new", Title: "关于进一步扶持中小企业发展的意见", Issued: "2014-09-20", EffectiveFrom: "2014-10-01", EffectiveUntil: "2019-09-30",
			Body:   "到2025年，全省培育100家专精特新企业。执行到2019年底。",
			Chunks: []corpus.Chunk{{ID: "new-a", DocID: "new", Text: "对中小企业技术改造项目，按设备投资额的8%给予补助。"}}},
	}
	j, lex := judgeOver(corpus.Scope{Years: [2]int{2009, 2014}}, docs, nil, nil)
	ix := &Index{vocab: &Vocabulary{stop: map[string]bool{}}}
	tests := []struct {
		name, question, want string
	}{
		{"between the first and last issue", "2011年技术改造补助比例是多少", ""},
		{"within a stated period", "2017年技术改造补助比例是多少", ""},
		{"past every document", "2023年技术改造补助比例是多少", ReasonYear},
		{"only a plan's target", "2025年技术改造补助比例是多少", ReasonYear},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pq := ix.rewrite(tt.question, nil)
			found := lex.search(pq.weights, nil, nil, 50)
			if got := j.reason(tt.question, pq, found, j.evidence(pq, found), 2026); got != tt.want {
				t.Errorf("reason(%q) = %q, want %q", tt.question, got, tt.want)
			}
		})
	}
}

// TestAsked: a message of several sentences, set apart by stops or, as
// phones type them, by spaces, or of three or more parts set apart by
// commas, is asked in its last.
func TestAsked(t *testing.T) {
	tests := []struct{ text, want string }{
		{"我们是做钢材贸易的。现在有没有政策能稳岗？", "现在有没有政策能稳岗"},
		{"开火锅店的 疫情反反复复 有哪些政策能帮餐饮", "有哪些政策能帮餐饮"},
		{"稳岗返还怎么申请", "稳岗返还怎么申请"},
		{"我们是个小机加工厂，一年也就卖个几十万，增值税是不是能免啊", "增值税是不是能免啊"},
		{"员工干了三年辞退了，补偿金怎么算", "员工干了三年辞退了，补偿金怎么算"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			pq := parsedQuery{text: tt.text, weights: map[string]float64{"稳岗": 1, "餐饮": 1, "钢材": 1}}
			got := asked(pq)
			if got.text != tt.want {
				t.Fatalf("asked %q, want %q", got.text, tt.want)
			}
			for term := range got.weights {
				if tt.want != tt.text && !strings.Contains(tt.want, term) {
					t.Errorf("term %q of another sentence kept", term)
				}
			}
		})
	}
}

// TestAskingPairs: the words asking for a kind of answer that the corpus
// never prints are no content the corpus lacks; its own words, and words
// asking nothing, are.
func TestAskingPairs(t *testing.T) {
	doc := corpus.Document{ID: "d", Title: "关于稳岗返还的通知"}
	doc.Chunks = []corpus.Chunk{{ID: "d-a", DocID: doc.ID, Text: "稳岗返还于2025年3月31日前申报，逾期不再受理。"}}
	j, _ := judgeOver(corpus.Scope{}, []corpus.Document{doc}, nil, nil)
	got := j.askingPairs("稳岗返还那个申报截止是哪天 我们还没报 多少钱")
	for _, p := range []string{"截止", "哪天", "多少", "少钱"} {
		if !got[p] {
			t.Errorf("%s not taken as asking: %v", p, got)
		}
	}
	for _, p := range []string{"申报", "还没", "稳岗"} {
		if got[p] {
			t.Errorf("%s taken as asking: %v", p, got)
		}
	}
}
