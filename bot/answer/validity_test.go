package answer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/prompts"
	"github.com/policybot/policybot/retrieval"
)

// vtSearcher finds the given clauses whatever is asked.
type vtSearcher []retrieval.Hit

// Search finds its clauses as holding all the question asks.
func (s vtSearcher) Search(_ context.Context, q retrieval.Query) (retrieval.Result, error) {
	return retrieval.Result{Question: q.Question, Query: q.Question, Found: true, Hits: s, Coverage: 1}, nil
}

// vtCorpus is a users' corpus loaded without the built-in one: recent
// notices with no compilation, no scope file and no interpretations. Files
// load in name order, which is the order named documents are noted in.
func vtCorpus(t *testing.T) *corpus.Library {
	t.Helper()
	files := map[string]string{
		"opinions.md":  "浙江省人民政府办公厅关于进一步减负纾困助力中小微企业发展的若干意见\n浙政办发〔2022〕25号\n各市、县（市、区）人民政府，省政府直属各单位：\n一、对符合条件的小微企业贷款给予贴息。\n二、本意见自2022年5月1日起施行，有效期至2025年12月31日。\n浙江省人民政府办公厅\n2022年4月18日\n",
		"notice.txt":   "财政部 税务总局公告2023年第12号\n关于进一步支持小微企业和个体工商户发展有关税费政策的公告\n为进一步支持小微企业和个体工商户发展，现将有关税费政策公告如下：\n一、自2023年1月1日至2027年12月31日，对个体工商户年应纳税所得额不超过200万元的部分，减半征收个人所得税。\n二、本公告相关政策执行至2027年12月31日。\n财政部 税务总局\n2023年8月2日\n",
		"bare.txt":     "关于做好企业服务工作的意见\n一、各部门要做好服务，及时回应企业诉求。\n",
		"measures.txt": "某省降低企业成本若干措施\n一、降低用工成本。将阶段性降低失业保险费率政策执行期限延长至2019年4月30日；将降低住房公积金缴存比例政策执行期限延长至2020年4月30日；将残疾人就业保障金征收上限降至当地社会平均工资的2倍。\n二、各地要抓好落实。\n",
		"jobs.txt":     "某省稳就业若干措施\n一、将阶段性降低失业保险费率政策执行期限延长至2020年4月30日；将稳岗返还政策执行期限延长至2021年6月30日；对吸纳就业给予补贴。\n二、本措施自2019年1月1日起施行，有效期至2019年12月31日。\n",
		"guide.md":     "某市惠企政策问答\n一、贷款贴息按浙政办发〔2022〕25号执行，贴息期限延长至2023年6月30日；个体工商户减半征收个人所得税，按财政部 税务总局公告2023年第12号执行。\n二、其他问题请咨询当地主管部门。\n",
	}
	return vtLibrary(t, files)
}

// vtLibrary loads a users' corpus of the given files (name → text) alone.
func vtLibrary(t *testing.T, files map[string]string) *corpus.Library {
	t.Helper()
	return vtLoad(t, corpus.Options{}, files)
}

// vtLoad loads files, written to a folder of their own, as opts say (the
// built-in corpus beside them, say).
func vtLoad(t *testing.T, opts corpus.Options, files map[string]string) *corpus.Library {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts.Dirs = append(opts.Dirs, dir)
	lib, err := corpus.Load(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// vtClause is a searcher that finds one clause: the first of d's holding
// has.
func vtClause(t *testing.T, d corpus.Document, has string) vtSearcher {
	t.Helper()
	i := slices.IndexFunc(d.Chunks, func(c corpus.Chunk) bool { return strings.Contains(c.Text, has) })
	if i < 0 {
		t.Fatalf("no clause of %q holds %q", d.ID, has)
	}
	c := d.Chunks[i]
	return vtSearcher{{Rank: 1, Score: 1, DocID: d.ID, Title: d.Title, DocNo: d.DocNo, Issuer: d.Issuer, Kind: d.Kind, Clause: c.Label, Text: c.Text, ChunkID: c.ID}}
}

// vtAsk answers question offline from the clause of document id holding
// has.
func vtAsk(t *testing.T, lib *corpus.Library, id, has, question string, opts answer.Options) answer.Result {
	t.Helper()
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	d, ok := lib.Document(id)
	if !ok {
		t.Fatalf("no document %q", id)
	}
	ans, err := answer.New(vtClause(t, d, has), lib, nil, set, opts, nil).Answer(context.Background(), question, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

// TestValidityAnyCorpus: the 时效 and 来源 lines and the 时效提示 word the
// corpus's facts alone. For users' documents nothing is said of a
// compilation they are not in, and whom to ask is read from the documents.
func TestValidityAnyCorpus(t *testing.T) {
	lib := vtCorpus(t)
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 10, 0, 0, 0, time.UTC) }
	const (
		guideSource = "来源：[1]《某市惠企政策问答》%s，未载明发布日期"
		notice      = "[1]条款所述财政部 税务总局公告2023年第12号的执行期限至2027年12月31日。"
	)
	tests := []struct {
		name string
		doc  string
		// has is a piece of the text of the clause cited: the first
		// clause of doc that holds it.
		has         string
		now         time.Time
		question    string // "" asks 这项政策还有效吗？
		wantStatus  string
		wantSources string // %s is the clause's label
		wantNotes   []string
	}{
		{
			name: "ended", doc: "opinions", has: "贷款给予贴息", now: at(2026, 11, 27),
			wantStatus:  "时效：[1]已于2025年12月31日失效",
			wantSources: "来源：[1]《关于进一步减负纾困助力中小微企业发展的若干意见》（浙政办发〔2022〕25号）%s，2022年4月18日发布",
			wantNotes:   []string{"[1]现行政策请向浙江省人民政府办公厅确认。"},
		},
		{
			name: "still running", doc: "notice", has: "减半征收个人所得税", now: at(2026, 11, 27),
			wantStatus:  "时效：[1]有效至2027年12月31日",
			wantSources: "来源：[1]《关于进一步支持小微企业和个体工商户发展有关税费政策的公告》（财政部 税务总局公告2023年第12号）%s，2023年8月2日发布",
		},
		{
			name: "no period, no date", doc: "bare", has: "及时回应企业诉求", now: at(2026, 11, 27),
			wantStatus:  "时效：[1]未写明期限，请确认是否仍有效",
			wantSources: "来源：[1]《关于做好企业服务工作的意见》%s，未载明发布日期",
			wantNotes:   []string{"[1]现行政策请向发文部门确认。"},
		},
		{
			// The period the clause states ended first: it is the
			// clause's status, and the documents it names are noted.
			name: "clause naming documents and extending a period", doc: "guide", has: "延长至2023年6月30日", now: at(2026, 11, 27),
			wantStatus:  "时效：[1]已于2023年6月30日失效",
			wantSources: guideSource,
			wantNotes: []string{
				"[1]现行政策请向发文部门确认。",
				notice,
				"[1]条款所述浙政办发〔2022〕25号的执行期限已于2025年12月31日结束。",
			},
		},
		{
			// While the clause's own period runs it is the status; the
			// documents it names are noted either way.
			name: "clause period still running", doc: "guide", has: "延长至2023年6月30日", now: at(2023, 1, 1),
			wantStatus:  "时效：[1]有效至2023年6月30日",
			wantSources: guideSource,
			wantNotes: []string{
				notice,
				"[1]条款所述浙政办发〔2022〕25号的执行期限至2025年12月31日。",
			},
		},
		{
			// A clause stating a period for each of its measures: the
			// answer quoting one has that one's status, and the others
			// are noted as the other measures'.
			name: "several periods, the later quoted", doc: "measures", has: "延长至2020年4月30日", now: at(2026, 11, 27),
			question:    "降低住房公积金缴存比例的政策执行到什么时候？",
			wantStatus:  "时效：[1]已于2020年4月30日失效",
			wantSources: "来源：[1]《某省降低企业成本若干措施》%s，未载明发布日期",
			wantNotes:   []string{"[1]现行政策请向发文部门确认。", "[1]条款中其他措施的期限已于2019年4月30日结束。"},
		},
		{
			name: "several periods, the later quoted while it runs", doc: "measures", has: "延长至2020年4月30日", now: at(2019, 6, 1),
			question:    "降低住房公积金缴存比例的政策执行到什么时候？",
			wantStatus:  "时效：[1]有效至2020年4月30日",
			wantSources: "来源：[1]《某省降低企业成本若干措施》%s，未载明发布日期",
			wantNotes:   []string{"[1]条款中其他措施的期限已于2019年4月30日结束。"},
		},
		{
			// A measure stated without a period of its own is not given
			// its neighbours'.
			name: "several periods, a measure without one quoted", doc: "measures", has: "延长至2020年4月30日", now: at(2026, 11, 27),
			question:    "残疾人就业保障金征收上限是多少？",
			wantStatus:  "时效：[1]未写明期限，请确认是否仍有效",
			wantSources: "来源：[1]《某省降低企业成本若干措施》%s，未载明发布日期",
			wantNotes:   []string{"[1]现行政策请向发文部门确认。", "[1]条款中其他措施的期限已于2019年4月30日、2020年4月30日结束。"},
		},
		{
			// Asked of the clause as a whole, the earliest end stands,
			// and the other is noted as the clause's.
			name: "several periods, the earliest quoted", doc: "measures", has: "延长至2020年4月30日", now: at(2026, 11, 27),
			question:    "失业保险费率降低政策延长到什么时候？",
			wantStatus:  "时效：[1]已于2019年4月30日失效",
			wantSources: "来源：[1]《某省降低企业成本若干措施》%s，未载明发布日期",
			wantNotes:   []string{"[1]现行政策请向发文部门确认。", "[1]条款中其他措施的期限已于2020年4月30日结束。"},
		},
		{
			// The document's own period ended before the quoted measure's:
			// the status is the document's, and the measure's own end is
			// noted as its, not as another measure's.
			name: "several periods, the document's ended first", doc: "jobs", has: "延长至2021年6月30日", now: at(2026, 11, 27),
			question:    "稳岗返还政策执行期限延长到什么时候？",
			wantStatus:  "时效：[1]已于2019年12月31日失效",
			wantSources: "来源：[1]《某省稳就业若干措施》%s，未载明发布日期",
			wantNotes:   []string{"[1]现行政策请向发文部门确认。", "[1]所引措施的期限已于2021年6月30日结束。条款中其他措施的期限已于2020年4月30日结束。"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := lib.Document(tt.doc)
			if !ok {
				t.Fatalf("corpus has no document %q", tt.doc)
			}
			hits := vtClause(t, d, tt.has)
			now := tt.now
			p := answer.New(hits, lib, nil, set, answer.Options{Now: func() time.Time { return now }}, nil)
			q := tt.question
			if q == "" {
				q = "这项政策还有效吗？"
			}
			ans, err := p.Answer(context.Background(), q, nil)
			if err != nil {
				t.Fatal(err)
			}
			plCheckLayout(t, ans)
			status, sources := plHead(t, ans)
			if status != tt.wantStatus {
				t.Errorf("时效 line\n%s\nwant\n%s", status, tt.wantStatus)
			}
			if want := fmt.Sprintf(tt.wantSources, hits[0].Clause); sources != want {
				t.Errorf("来源 line\n%s\nwant\n%s", sources, want)
			}
			if !reflect.DeepEqual(ans.Validity, append([]string{}, tt.wantNotes...)) {
				t.Errorf("时效提示 = %q, want %q", ans.Validity, tt.wantNotes)
			}
		})
	}
}

// vtModel answers every question with the same text.
type vtModel string

func (m vtModel) Complete(context.Context, string, string) (string, error) { return string(m), nil }

// TestValidityModelFocus: a generated answer citing a clause that states a
// period for each of its measures has the period of the measure its
// sentences state; sentences stating none leave the clause's earliest.
func TestValidityModelFocus(t *testing.T) {
	lib := vtCorpus(t)
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := lib.Document("measures")
	hits := vtClause(t, d, "2020年4月30日")
	now := func() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) }
	tests := []struct {
		name, reply string
		wantStatus  string
		wantNote    string
	}{
		{"the later measure", "降低住房公积金缴存比例政策的执行期限延长至2020年4月30日[1]。", "时效：[1]已于2020年4月30日失效", "[1]条款中其他措施的期限已于2019年4月30日结束。"},
		{"no measure's period stated", "该条款降低企业用工成本[1]。", "时效：[1]已于2019年4月30日失效", "[1]条款所述期限已于2020年4月30日结束。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := answer.New(hits, lib, vtModel(tt.reply), set, answer.Options{Now: now}, nil)
			ans, err := p.Answer(context.Background(), "降低公积金缴存比例的政策到什么时候？", nil)
			if err != nil {
				t.Fatal(err)
			}
			if ans.Lead != tt.reply {
				t.Fatalf("lead %q, want the model's %q", ans.Lead, tt.reply)
			}
			if status, _ := plHead(t, ans); status != tt.wantStatus {
				t.Errorf("时效 line\n%s\nwant\n%s", status, tt.wantStatus)
			}
			if !slices.Contains(ans.Validity, tt.wantNote) {
				t.Errorf("时效提示 = %q, want %q among them", ans.Validity, tt.wantNote)
			}
		})
	}
}

// TestEndedMark: an extract's lead opens with where its clause stands
// when that has ended and the quoted sentence does not say so itself, so
// that a chat's preview of the first line does not read as current.
func TestEndedMark(t *testing.T) {
	lib := vtCorpus(t)
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) }
	tests := []struct {
		name, doc, has, question string
		wantPrefix               string // "" for none
	}{
		{"ended, not said", "opinions", "贷款给予贴息", "小微企业贷款有贴息吗？", "【已于2025年12月31日失效】"},
		{"still running", "notice", "减半征收个人所得税", "个体工商户个人所得税有优惠吗？", ""},
		{"ended, its end said in the sentence", "measures", "延长至2020年4月30日", "失业保险费率降低政策延长到什么时候？", "【已失效】"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := lib.Document(tt.doc)
			hits := vtClause(t, d, tt.has)
			ans, err := answer.New(hits, lib, nil, set, answer.Options{Now: now}, nil).Answer(context.Background(), tt.question, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantPrefix == "" && strings.HasPrefix(ans.Lead, "【") || tt.wantPrefix != "" && !strings.HasPrefix(ans.Lead, tt.wantPrefix) {
				t.Errorf("lead %q, want it opening with %q", ans.Lead, tt.wantPrefix)
			}
			if !strings.HasPrefix(ans.Text, ans.Lead) {
				t.Errorf("the answer does not open with its lead:\n%s", ans.Text)
			}
		})
	}
}

// TestEndedMarkRepealed: a clause of a repealed document opens the lead
// with 【已废止】.
func TestEndedMarkRepealed(t *testing.T) {
	lib := vtLibrary(t, map[string]string{
		"old.txt": "某省财政厅关于印发《某省风险补偿资金管理办法》的通知\n某财企〔2021〕8号\n第一条 风险补偿资金对融资担保机构的代偿损失给予补偿，比例不超过30%。\n第二条 本办法自2021年5月1日起施行。\n某省财政厅\n2021年3月15日\n",
		"new.txt": "某省财政厅关于印发《某省风险补偿资金管理办法》的通知\n某财企〔2024〕5号\n第一条 风险补偿资金对政府性融资担保机构的代偿损失给予补偿，比例不超过40%。\n第二条 本办法自2024年4月1日起施行。《某省财政厅关于印发〈某省风险补偿资金管理办法〉的通知》（某财企〔2021〕8号）同时废止。\n某省财政厅\n2024年3月20日\n",
	})
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := lib.Document("old")
	hits := vtClause(t, d, "30%")
	now := func() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) }
	ans, err := answer.New(hits, lib, nil, set, answer.Options{Now: now}, nil).Answer(context.Background(), "代偿损失补偿比例是多少？", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ans.Lead, "【已废止】") {
		t.Errorf("lead %q, want it opening with 【已废止】", ans.Lead)
	}
}

// TestLeadOfQuestionAndAnswer: in a question-and-answer text the lead is
// the answer, never the question (which shares the user's words most),
// and the quote below does not repeat the question alone.
func TestLeadOfQuestionAndAnswer(t *testing.T) {
	lib := vtLibrary(t, map[string]string{
		"qanda.txt": "小型微利企业所得税优惠政策问答\n某省税务局\n问：小型微利企业的标准是什么？\n答：同时符合年度应纳税所得额不超过300万元、从业人数不超过300人、资产总额不超过5000万元等三个条件的企业。\n问：需要备案吗？\n答：不需要。企业在申报时填报即可享受，相关资料留存备查。\n",
	})
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := lib.Document("qanda")
	if d.Kind != "解读" {
		t.Errorf("kind %q, want 解读", d.Kind)
	}
	hits := vtClause(t, d, "300万元")
	if hits[0].Clause != "第1问" {
		t.Errorf("label %q, want 第1问", hits[0].Clause)
	}
	ans, err := answer.New(hits, lib, nil, set, answer.Options{}, nil).Answer(context.Background(), "小型微利企业的标准是什么？", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ans.Lead, "同时符合年度应纳税所得额不超过300万元") {
		t.Errorf("lead %q, want the answer", ans.Lead)
	}
	if strings.Contains(ans.Body, "标准是什么") {
		t.Errorf("the quote repeats the question:\n%s", ans.Body)
	}
	// An answer opening too short to lead alone (不需要。) leads with the
	// sentence after it.
	ans, err = answer.New(vtClause(t, d, "相关资料留存备查"), lib, nil, set, answer.Options{}, nil).Answer(context.Background(), "需要备案吗？", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "不需要。企业在申报时填报即可享受，相关资料留存备查。"; !strings.HasPrefix(ans.Lead, want) {
		t.Errorf("lead %q, want it opening with %q", ans.Lead, want)
	}
}

// A document read from a user's compilation that prints no date is dated
// by the compilation, as the built-in corpus's are: the first lines say
// how old it is at least.
func TestUndatedDocumentOfACompilation(t *testing.T) {
	lib := vtLibrary(t, map[string]string{
		"huibian.txt": "某市惠企政策汇编\n前言\n本汇编收录截至2023年12月31日本市出台的惠企政策。\n" +
			"某市人民政府\n关于支持小微企业发展的若干意见\n某政发〔2022〕5号\n各区县人民政府，市政府各部门：\n一、对新设立的小微企业，给予一次性开办补贴2万元。\n二、本意见自印发之日起施行。\n某市人民政府\n2022年3月1日\n" +
			"某市支持企业上市若干措施\n为推动更多企业利用资本市场做大做强，结合本市实际，制定如下措施。\n一、企业在境内主板上市的，给予一次性奖励300万元。\n二、企业在新三板挂牌的，给予一次性奖励50万元。\n",
	})
	d, ok := lib.Document("huibian-02")
	if !ok || d.Issued != "" || d.Compiled != 2023 {
		t.Fatalf("the measures: found %v, issued %q, compiled %d; want undated, in the compilation of 2023", ok, d.Issued, d.Compiled)
	}
	ans := vtAsk(t, lib, "huibian-02", "300万元", "企业上市奖励多少", answer.Options{})
	if want := "来源：[1]《某市支持企业上市若干措施》一、，未载明发布日期（收录于2023年的汇编）"; !strings.Contains(ans.Text, want) {
		t.Errorf("answer:\n%s\nwant it to hold %q", ans.Text, want)
	}
}

// A user's undated document loaded beside the built-in compilation is not
// the compilation's: its answer names no compilation year.
func TestUndatedDocumentBesideTheBuiltin(t *testing.T) {
	lib := vtLoad(t, corpus.Options{Builtin: true}, map[string]string{
		"listing.txt": "某市支持企业上市若干措施\n为推动更多企业利用资本市场做大做强，结合本市实际，制定如下措施。\n一、企业在境内主板上市的，给予一次性奖励300万元。\n",
	})
	ans := vtAsk(t, lib, "listing", "300万元", "上市奖励多少", answer.Options{})
	if !strings.Contains(ans.Text, "一、，未载明发布日期\n") || strings.Contains(ans.Text, "收录于") {
		t.Errorf("answer:\n%s\nwant the source line to say 未载明发布日期 and no compilation", ans.Text)
	}
}

// A notice issued today that takes effect next year: its measure cannot
// be had yet, and the first lines say so.
func TestPeriodYetToBegin(t *testing.T) {
	lib := vtLibrary(t, map[string]string{
		"future.txt": "某市财政局关于支持企业数字化改造的通知\n某财企〔2026〕21号\n各区县财政局：\n一、对实施数字化改造的中小企业，按投资额的20%给予补助，最高100万元。\n二、本通知自2027年1月1日起施行，有效期至2029年12月31日。\n某市财政局\n2026年11月20日\n",
	})
	now := func() time.Time { return time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC) }
	ans := vtAsk(t, lib, "future", "数字化改造", "数字化改造补助多少", answer.Options{Now: now})
	for _, want := range []string{
		"【2027年1月1日起施行】对实施数字化改造的中小企业",
		"时效：[1]自2027年1月1日起施行，尚未生效，有效至2029年12月31日",
		"[1]该文件自2027年1月1日起施行，此前尚不能按其享受。",
	} {
		if !strings.Contains(ans.Text, want) {
			t.Errorf("answer:\n%s\nwant it to hold %q", ans.Text, want)
		}
	}
	if v := ans.Citations[0].Validity; v.Starts != "2027-01-01" {
		t.Errorf("validity %+v, want it to start on 2027-01-01", v)
	}
}

// TestChangedDocumentAnswer: a clause of an article a later notice
// repealed or rewrote opens with 【已废止】 or 【已修改】 and says which
// article and by whom; a clause of another article of that notice stands,
// with a note of what went beside it; a clause of measures a later
// version of the same title follows, without saying it repeals them, says
// so in its status line and notes.
func TestChangedDocumentAnswer(t *testing.T) {
	const (
		taxOld   = "某省税务局关于某事项的公告\n某省税务局公告2022年第3号\n一、纳税人可按季度申报附加税费。\n二、小型企业可享受附加税费减半征收。\n三、本公告自2022年3月1日起施行，有效期至2027年12月31日。\n某省税务局\n2022年2月20日\n"
		taxNew   = "某省税务局关于调整某事项的公告\n某省税务局公告2025年第1号\n一、纳税人按月申报附加税费。\n二、本公告自2025年7月1日起施行。《某省税务局关于某事项的公告》（某省税务局公告2022年第3号）第一条同时废止。\n某省税务局\n2025年6月1日\n"
		loanOld  = "某省财政厅关于印发某省中小企业贷款贴息办法的通知\n某财金〔2020〕3号\n第一条 为支持中小企业融资，制定本办法。\n第五条 贷款贴息比例不超过30%。\n第六条 本办法自2020年3月1日起施行，有效期至2027年12月31日。\n某省财政厅\n2020年2月20日\n"
		loanNew  = "某省财政厅关于修改某省中小企业贷款贴息办法的通知\n某财金〔2025〕8号\n一、将《某省中小企业贷款贴息办法》（某财金〔2020〕3号）第五条修改为：“贷款贴息比例不超过50%。”\n二、本通知自2025年9月1日起施行。\n某省财政厅\n2025年8月1日\n"
		jobs2019 = "某市稳岗补贴实施办法\n第一条 稳岗补贴比例为上年度失业保险费的50%。\n某市人力资源和社会保障局\n2019年4月1日\n"
		jobs2025 = "某市稳岗补贴实施办法\n第一条 稳岗补贴标准按上年度实际缴纳失业保险费的75%返还。\n某市人力资源和社会保障局\n2025年6月1日\n"
	)
	tests := []struct {
		name                          string
		files                         map[string]string
		doc, has, question, leadStart string // leadStart "" for no mark
		want                          []string
	}{
		{"a repealed article", map[string]string{"old.txt": taxOld, "new.txt": taxNew}, "old", "按季度申报", "附加税费可以按季度申报吗？", "【已废止】",
			[]string{"时效：[1]本条（第一条）已被", "本条（第一条）已被《某省税务局关于调整某事项的公告》（某省税务局公告2025年第1号）废止"}},
		{"another article of its notice", map[string]string{"old.txt": taxOld, "new.txt": taxNew}, "old", "减半征收", "小型企业附加税费有减免吗？", "",
			[]string{"有效至2027年12月31日", "该文件第一条已被"}},
		{"an amended article", map[string]string{"old.txt": loanOld, "new.txt": loanNew}, "old", "不超过30%", "贷款贴息比例是多少？", "【已修改】",
			[]string{"时效：[1]本条（第五条）已被", "本条（第五条）已被《某省财政厅关于修改某省中小企业贷款贴息办法的通知》（某财金〔2025〕8号）修改，现行规定以修改后的条文为准"}},
		{"a later version", map[string]string{"v2019.txt": jobs2019, "v2025.txt": jobs2025}, "v2019", "50%", "稳岗补贴比例是多少？", "",
			[]string{"时效：[1]未写明期限，请确认是否仍有效，另有2025年6月1日发布的同名文件", "[1]另有同名的较新文件《某市稳岗补贴实施办法》（2025年6月1日发布），请核对本文件是否已被取代。"}},
	}
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib := vtLibrary(t, tt.files)
			d, _ := lib.Document(tt.doc)
			ans, err := answer.New(vtClause(t, d, tt.has), lib, nil, set, answer.Options{Now: now}, nil).Answer(context.Background(), tt.question, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.leadStart == "" && strings.HasPrefix(ans.Lead, "【") || tt.leadStart != "" && !strings.HasPrefix(ans.Lead, tt.leadStart) {
				t.Errorf("lead %q, want it opening with %q", ans.Lead, tt.leadStart)
			}
			for _, w := range tt.want {
				if !strings.Contains(ans.Text, w) {
					t.Errorf("answer lacks %q:\n%s", w, ans.Text)
				}
			}
		})
	}
}

// weakSearcher finds its clauses holding little of the question.
type weakSearcher struct{ vtSearcher }

func (s weakSearcher) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	res, err := s.vtSearcher.Search(ctx, q)
	res.Coverage = 0.15
	return res, err
}

// TestWeakLead: offline, a clause sharing little with the question is not
// quoted as its answer: the lead says that no clause answers it directly,
// after where the clause stands, which stays first.
func TestWeakLead(t *testing.T) {
	lib := vtLibrary(t, map[string]string{
		"future.txt": "某市财政局关于支持企业数字化改造的通知\n某财企〔2026〕21号\n各区县财政局：\n一、对实施数字化改造的中小企业，按投资额的20%给予补助，最高100万元。\n二、本通知自2027年1月1日起施行，有效期至2029年12月31日。\n某市财政局\n2026年11月20日\n",
	})
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := lib.Document("future")
	now := func() time.Time { return time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		name string
		s    answer.Options
		src  interface {
			Search(context.Context, retrieval.Query) (retrieval.Result, error)
		}
		want string
		weak bool
	}{
		{"weak", answer.Options{Now: now}, weakSearcher{vtClause(t, d, "数字化改造")}, "【2027年1月1日起施行】未找到与问题直接对应的条款，用词最接近的是：对实施数字化改造的中小企业", true},
		{"held", answer.Options{Now: now}, vtClause(t, d, "数字化改造"), "【2027年1月1日起施行】对实施数字化改造的中小企业", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ans, err := answer.New(tt.src, lib, nil, set, tt.s, nil).Answer(context.Background(), "厂里上信息系统有补助吗", nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ans.Lead, tt.want) || ans.Weak != tt.weak {
				t.Errorf("lead %q, weak %v; want it opening with %q, weak %v", ans.Lead, ans.Weak, tt.want, tt.weak)
			}
		})
	}
}

// TestLeadOfLabelledFields: a lead quotes what a form's field says, not
// its bracketed label, which read after 【已于…失效】 as a second status;
// an answer marked A： leads as one marked 答： does.
func TestLeadOfLabelledFields(t *testing.T) {
	lib := vtLibrary(t, map[string]string{
		"items.txt": "某市惠企政策汇编\n某市中小企业服务中心\n第一部分 税费支持\n1. 小型微利企业所得税优惠\n【政策内容】对小型微利企业年应纳税所得额超过100万元但不超过300万元的部分，减按25%计入应纳税所得额。\n【执行期限】2022年1月1日至2024年12月31日\n【受理部门】各区税务局\n2. 小规模纳税人月销售额15万元以下免征增值税\n【政策内容】对月销售额15万元以下（含本数）的增值税小规模纳税人，免征增值税。\n【执行期限】2021年4月1日至2022年12月31日\n",
		"faq.txt":   "某市惠企政策热点问答\n某市中小企业服务中心　整理\n1. Q：旅行社质量保证金暂退后什么时候补足？\nA：旅行社应于2023年3月31日前足额补足质量保证金。\n",
	})
	now := func() time.Time { return time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		id, has, question, want string
	}{
		{"items", "减按25%", "小型微利企业所得税怎么减", "【已于2024年12月31日失效】对小型微利企业年应纳税所得额超过100万元"},
		// An item's name over its fields is its heading, figures and
		// all: the field says what the measure is.
		{"items", "含本数", "小规模纳税人月销售额多少以下免增值税", "【已于2022年12月31日失效】对月销售额15万元以下（含本数）的增值税小规模纳税人"},
		{"faq", "足额补足", "旅行社质量保证金什么时候补足", "旅行社应于2023年3月31日前足额补足质量保证金。"},
	} {
		t.Run(tt.id, func(t *testing.T) {
			ans := vtAsk(t, lib, tt.id, tt.has, tt.question, answer.Options{Now: now})
			if !strings.HasPrefix(ans.Lead, tt.want) {
				t.Errorf("lead %q, want it opening with %q", ans.Lead, tt.want)
			}
		})
	}
}

// TestLeadGivesWhatIsAsked: the lead is the sentence giving the kind of
// answer the question asks for, who or how much; a figure alone does not
// make a sentence lead a question asking who.
func TestLeadGivesWhatIsAsked(t *testing.T) {
	lib := vtLibrary(t, map[string]string{
		"insure.txt": "某市关于出口信用保险保费补助的通知\n某商务〔2022〕3号\n一、出口信用保险保费补助按实际缴纳保费的50%给予补助，最高200万元。出口信用保险保费补助由企业向所在区商务主管部门申请。出口信用保险保费补助的保单和发票通过商务局网上办事系统提交。\n",
	})
	for _, tt := range []struct{ question, want string }{
		{"出口信用保险保费补助找哪个部门申请", "出口信用保险保费补助由企业向所在区商务主管部门申请"},
		{"出口信用保险保费补助最高多少", "出口信用保险保费补助按实际缴纳保费的50%给予补助"},
		{"出口信用保险保费补助要交什么材料", "出口信用保险保费补助的保单和发票通过商务局网上办事系统提交"},
	} {
		t.Run(tt.question, func(t *testing.T) {
			ans := vtAsk(t, lib, "insure", "保费", tt.question, answer.Options{})
			if !strings.HasPrefix(ans.Lead, tt.want) {
				t.Errorf("lead %q, want it opening with %q", ans.Lead, tt.want)
			}
		})
	}
}

// TestSectionEnd: a clause of a section whose last item states the
// section's own end (本条政策执行至…), earlier than its notice's, opens
// its answer with the section's end, not the notice's.
func TestSectionEnd(t *testing.T) {
	lib := vtLibrary(t, map[string]string{
		"jobs.txt": "某省人力资源和社会保障厅关于做好稳岗扩就业工作的通知\n某人社发〔2023〕18号\n各市人力资源和社会保障局：\n" +
			"三、继续实施稳岗返还政策\n（一）返还标准。对上年度不裁员或少裁员的参保企业，大型企业按不超过企业及其职工上年度实际缴纳失业保险费的30%返还，中小微企业按不超过60%返还，社会团体、基金会参照实施。\n" +
			"（二）经办方式。推行免申即享，经办机构通过大数据比对识别符合条件的企业，公示后直接拨付资金，企业无需提交申请。本条政策执行至2023年12月31日。\n" +
			"四、本通知自2023年5月1日起执行，有效期至2024年12月31日。\n某省人力资源和社会保障厅\n2023年5月22日\n",
	})
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) }
	d, _ := lib.Document("jobs")
	ans, err := answer.New(vtClause(t, d, "中小微企业按不超过60%返还"), lib, nil, set, answer.Options{Now: now}, nil).Answer(context.Background(), "稳岗返还中小微企业返还多少？", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ans.Lead, "【已于2023年12月31日失效】") {
		t.Errorf("lead %q, want it opening with the section's end, 【已于2023年12月31日失效】", ans.Lead)
	}
}
