package retrieval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestReadEval(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []EvalItem
		wantErr string
	}{
		{
			name: "items and blank lines",
			in: `{"id":"q1","question":"研发费用加计扣除比例？","answerable":true,"kind":"direct","gold":[{"doc":"财税〔2018〕99号","clause":"75%"}]}

{"id":"q2","question":"那豆粕呢？","history":["出口退税率调了吗？"],"answerable":true,"kind":"followup","gold":[{"doc":"财税〔2018〕123号","clause":"取消豆粕出口退税"}]}
   
{"id":"q3","question":"天津有什么政策？","answerable":false,"kind":"out-of-scope"}
`,
			want: []EvalItem{
				{ID: "q1", Question: "研发费用加计扣除比例？", Answerable: true, Kind: "direct", Gold: []EvalGold{{Doc: "财税〔2018〕99号", Clause: "75%"}}},
				{ID: "q2", Question: "那豆粕呢？", History: []string{"出口退税率调了吗？"}, Answerable: true, Kind: "followup", Gold: []EvalGold{{Doc: "财税〔2018〕123号", Clause: "取消豆粕出口退税"}}},
				{ID: "q3", Question: "天津有什么政策？", Kind: "out-of-scope"},
			},
		},
		{name: "empty", in: "", want: nil},
		{name: "CRLF", in: "{\"id\":\"a\"}\r\n{\"id\":\"b\"}\r\n", want: []EvalItem{{ID: "a"}, {ID: "b"}}},
		{
			name:    "malformed line",
			in:      "{\"id\":\"a\"}\n\n{\"id\":\"b\",}\n{\"id\":\"c\"}\n",
			wantErr: "line 3",
		},
		{name: "not an object", in: "[1,2]\n", wantErr: "line 1"},
		{name: "wrong type", in: "{\"id\":\"a\"}\n{\"answerable\":\"yes\"}\n", wantErr: "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadEval(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzReadEval(f *testing.F) {
	f.Add("{\"id\":\"q1\",\"question\":\"研发费用？\",\"answerable\":true,\"gold\":[{\"doc\":\"x\",\"clause\":\"y\"}]}\n")
	f.Add("\n\n{\"id\":\"a\"}\n{")
	f.Add("{\"history\":[\"a\",\"b\"]}\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		items, err := ReadEval(strings.NewReader(in))
		if err != nil {
			return
		}
		// Whatever was read writes back and reads again the same.
		var b bytes.Buffer
		for _, it := range items {
			line, err := json.Marshal(it)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(line)
			b.WriteByte('\n')
		}
		again, err := ReadEval(&b)
		if err != nil {
			t.Fatalf("re-reading %q: %v", b.String(), err)
		}
		if len(again) != len(items) {
			t.Fatalf("re-read %d items, want %d", len(again), len(items))
		}
	})
}

// cannedSearcher answers each question with a fixed result and records
// the queries it was asked.
type cannedSearcher struct {
	results map[string]Result
	err     error
	asked   []Query
}

func (s *cannedSearcher) Search(_ context.Context, q Query) (Result, error) {
	s.asked = append(s.asked, q)
	if s.err != nil {
		return Result{}, s.err
	}
	return s.results[q.Question], nil
}

// ranked numbers hits from 1.
func ranked(found bool, hits ...Hit) Result {
	for i := range hits {
		hits[i].Rank = i + 1
	}
	return Result{Found: found, Hits: hits}
}

func filler(n int) []Hit {
	out := make([]Hit, n)
	for i := range out {
		out[i] = Hit{Title: "无关的通知", Kind: "原文", Issuer: "某厅", Text: "与问题无关的条款。"}
	}
	return out
}

// evalFixture is six items whose outcomes are known:
//
//	a1 tax    clause at 1, doc at 1 (title)                 found
//	a2 tax    clause at 3, doc at 2 (doc_no)                found
//	a3 jiedu  clause at 7, doc at 1 (issuer+解读)          not found
//	a4 jiedu  no clause, doc at 6 (a 原文 by the issuer at 1 does not count)  found
//	u1 out    unanswerable                                  not found
//	u2 out    unanswerable                                  found
func evalFixture() ([]EvalItem, *cannedSearcher) {
	items := []EvalItem{
		{ID: "a1", Question: "q1", Answerable: true, Kind: "tax", Gold: []EvalGold{{Doc: "小型微利企业的 通知", Clause: "减按50%计入 应纳税所得额"}}},
		{ID: "a2", Question: "q2", Answerable: true, Kind: "tax", Gold: []EvalGold{{Doc: "财税〔2018〕99号", Clause: "实际发生额的75% 在税前加计扣除"}}},
		{ID: "a3", Question: "q3", History: []string{"earlier"}, Answerable: true, Kind: "jiedu", Gold: []EvalGold{{Doc: "河北省税务局解读", Clause: "延长至10年"}}},
		{ID: "a4", Question: "q4", Answerable: true, Kind: "jiedu", Gold: []EvalGold{{Doc: "省财政厅解读", Clause: "不在任何结果里"}}},
		{ID: "u1", Question: "q5", Kind: "out"},
		{ID: "u2", Question: "q6", Kind: "out"},
	}
	s := &cannedSearcher{results: map[string]Result{
		"q1": ranked(true,
			Hit{Title: "关于小型微利企业的通知", Kind: "原文", Text: "其所得减按50%计入\n应纳税所得额，按20%的税率缴纳企业所得税。"},
			Hit{Title: "其他", Text: "减按50%计入应纳税所得额"}),
		"q2": ranked(true, append([]Hit{
			{Title: "无关", Text: "无关"},
			{Title: "关于提高研究开发费用税前加计扣除比例的通知", DocNo: "财税〔2018〕 99号", Text: "按照实际发生额的50%"},
			{Title: "无关", Text: "在按规定据实扣除的基础上，再按照实际发生额的 75% 在税前加计扣除；"},
		}, filler(2)...)...),
		"q3": ranked(false, append(append([]Hit{
			{Title: "国家税务总局河北省税务局支持民营企业发展税收政策解读", Issuer: "河北省 税务局", Kind: "解读", Text: "其他内容"},
		}, filler(5)...), Hit{Title: "通知", Text: "最长结转年限由5年延长至10年。"})...),
		"q4": ranked(true, append(append([]Hit{
			{Title: "财政厅的通知", Issuer: "省财政厅", Kind: "原文", Text: "无关"},
		}, filler(4)...), Hit{Title: "政策解读", Issuer: "省财政厅", Kind: "解读", Text: "无关"})...),
		"q5": ranked(false, filler(3)...),
		"q6": ranked(true, filler(3)...),
	}}
	return items, s
}

func TestEvaluate(t *testing.T) {
	items, s := evalFixture()
	rep, err := Evaluate(context.Background(), s, items, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range s.asked {
		if q.K != 10 {
			t.Errorf("asked with k=%d, want 10 (at least the MRR@10 cut)", q.K)
		}
	}
	if len(s.asked) != len(items) || !reflect.DeepEqual(s.asked[2].History, []string{"earlier"}) {
		t.Errorf("asked %+v, want every item once with its history", s.asked)
	}
	tests := []struct {
		name string
		got  Metrics
		want Metrics
	}{
		{"overall", rep.Overall, Metrics{
			N: 6, Answerable: 4, Unanswerable: 2,
			ClauseHit1: 1.0 / 4, ClauseHit5: 2.0 / 4, DocHit5: 3.0 / 4,
			MRR10:                (1 + 1.0/3 + 1.0/7) / 4,
			NotFoundUnanswerable: 1.0 / 2, NotFoundAnswerable: 1.0 / 4,
			Misses: []string{"a2@3", "a3@7", "a4@0"},
		}},
		{"tax", rep.Kinds["tax"], Metrics{
			N: 2, Answerable: 2,
			ClauseHit1: 1.0 / 2, ClauseHit5: 1, DocHit5: 1,
			MRR10:  (1 + 1.0/3) / 2,
			Misses: []string{"a2@3"},
		}},
		{"jiedu", rep.Kinds["jiedu"], Metrics{
			N: 2, Answerable: 2,
			DocHit5: 1.0 / 2, MRR10: (1.0 / 7) / 2, NotFoundAnswerable: 1.0 / 2,
			Misses: []string{"a3@7", "a4@0"},
		}},
		{"out", rep.Kinds["out"], Metrics{N: 2, Unanswerable: 2, NotFoundUnanswerable: 1.0 / 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !metricsEqual(tt.got, tt.want) {
				t.Errorf("got %+v, want %+v", tt.got, tt.want)
			}
		})
	}
	if len(rep.Kinds) != 3 {
		t.Errorf("kinds %v, want tax, jiedu, out", rep.Kinds)
	}
}

func metricsEqual(a, b Metrics) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.N == b.N && a.Answerable == b.Answerable && a.Unanswerable == b.Unanswerable &&
		near(a.ClauseHit1, b.ClauseHit1) && near(a.ClauseHit5, b.ClauseHit5) &&
		near(a.DocHit5, b.DocHit5) && near(a.MRR10, b.MRR10) &&
		near(a.NotFoundUnanswerable, b.NotFoundUnanswerable) && near(a.NotFoundAnswerable, b.NotFoundAnswerable) &&
		reflect.DeepEqual(a.Misses, b.Misses)
}

func TestDocMatches(t *testing.T) {
	tests := []struct {
		name string
		hit  Hit
		doc  string
		want bool
	}{
		{"title", Hit{Title: "关于小型微利企业的通知"}, "小型微利企业", true},
		{"doc_no with spaces", Hit{DocNo: "财税〔2018〕 99号"}, "财税〔2018〕99号", true},
		{"interpretation by issuer", Hit{Issuer: "河北省 税务局", Kind: "解读"}, "河北省税务局解读", true},
		{"original by the same issuer", Hit{Issuer: "河北省税务局", Kind: "原文"}, "河北省税务局解读", false},
		{"interpretation by another issuer", Hit{Issuer: "河北省财政厅", Kind: "解读"}, "河北省税务局解读", false},
		{"empty gold", Hit{Title: "任何"}, "", false},
		{"other document", Hit{Title: "关于出口退税的通知", DocNo: "财税〔2018〕123号"}, "财税〔2018〕99号", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := docMatches(tt.hit, tt.doc); got != tt.want {
				t.Errorf("docMatches(%+v, %q) = %v, want %v", tt.hit, tt.doc, got, tt.want)
			}
		})
	}
}

func TestEvaluateSearchError(t *testing.T) {
	items, s := evalFixture()
	down := errors.New("index down")
	s.err = down
	_, err := Evaluate(context.Background(), s, items, 10)
	if !errors.Is(err, down) || !strings.Contains(err.Error(), "a1") {
		t.Errorf("err %v, want it wrapped and naming item a1", err)
	}
}

func TestEvaluateEmpty(t *testing.T) {
	rep, err := Evaluate(context.Background(), &cannedSearcher{}, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !metricsEqual(rep.Overall, Metrics{}) || len(rep.Kinds) != 0 {
		t.Errorf("got %+v, want zero metrics", rep)
	}
	var b strings.Builder
	if err := rep.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "overall") || strings.Contains(b.String(), "NaN") {
		t.Errorf("report of nothing:\n%s", b.String())
	}
}

func TestReportWrite(t *testing.T) {
	items, s := evalFixture()
	rep, err := Evaluate(context.Background(), s, items, 10)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.Write(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	want := []string{"jiedu", "out", "tax", "overall"} // kinds sorted, overall last
	if len(lines) != len(want) {
		t.Fatalf("report has %d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w+" ") {
			t.Errorf("line %d is %q, want it to start with %q", i+1, lines[i], w)
		}
	}
	for _, piece := range []string{"n=6", "hit@1 0.25", "hit@5 0.50", "doc hit@5 0.75", "MRR@10 0.37", "unanswerable 0.50 (2)", "answerable 0.25"} {
		if !strings.Contains(lines[3], piece) {
			t.Errorf("overall line %q lacks %q", lines[3], piece)
		}
	}
	if err := rep.Write(failingWriter{}); err == nil {
		t.Error("writing to a failing writer succeeded, want its error")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestShowsGold(t *testing.T) {
	it := EvalItem{Gold: []EvalGold{
		{Doc: "某通知", Clause: "对认定为省级数字化车间的企业给予40万元奖励"},
		{Doc: "另一通知", Clause: "按实际发生额的75%在税前加计扣除"},
	}}
	const clause = "一、鼓励智能化改造。对认定为省级数字化车间的企业给予40万元奖励，省级专项资金列支。"
	tests := []struct {
		name, clause, shown string
		gold, shows         bool
	}{
		{"the gold sentence", clause, "对认定为省级数字化车间的企业给予40万元奖励，省级专项资金列支。", true, true},
		{"cut but holding most of it", clause, "…省级数字化车间的企业给予40万元奖励…", true, true},
		{"another sentence of the gold clause", clause, "鼓励智能化改造。", true, false},
		{"a clause holding no gold", "二、其他事项另行通知。", "其他事项另行通知。", false, false},
		{"spaces do not count", "按 实际发生额的75% 在税前加计扣除", "按实际发生额的75%在税前加计扣除", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gold, shows := ShowsGold(it, tt.clause, tt.shown)
			if gold != tt.gold || shows != tt.shows {
				t.Errorf("ShowsGold(%q, %q) = %v, %v; want %v, %v", tt.clause, tt.shown, gold, shows, tt.gold, tt.shows)
			}
		})
	}
}

// historySearcher answers by question and history together.
type historySearcher map[string]Result

func (s historySearcher) Search(_ context.Context, q Query) (Result, error) {
	return s[strings.Join(append(append([]string{}, q.History...), q.Question), "|")], nil
}

func TestEvaluateConversation(t *testing.T) {
	clause := func(id string) Hit { return Hit{ChunkID: id, Title: "通知", Text: "条款" + id} }
	items := []EvalItem{
		// A switch answered as alone, one that stayed on the earlier
		// message's clause, and one moved to another clause of its own.
		{ID: "s1", Question: "s1", History: []string{"h1"}, Kind: "topic_switch"},
		{ID: "s2", Question: "s2", History: []string{"h0", "h2"}, Kind: "topic_switch"},
		{ID: "s3", Question: "s3", History: []string{"h3"}, Kind: "topic_switch", Answerable: true, Gold: []EvalGold{{Clause: "条款C"}}},
		// Follow-ups: one the history helps, one it does not; an
		// unanswerable one and one asked alone count in neither.
		{ID: "f1", Question: "f1", History: []string{"h1"}, Kind: "followup", Answerable: true, Gold: []EvalGold{{Clause: "条款F"}}},
		{ID: "f2", Question: "f2", History: []string{"h1"}, Kind: "followup", Answerable: true, Gold: []EvalGold{{Clause: "条款G"}}},
		{ID: "f3", Question: "f3", History: []string{"h1"}, Kind: "followup"},
		{ID: "f4", Question: "f4", Kind: "followup", Answerable: true, Gold: []EvalGold{{Clause: "条款G"}}},
	}
	s := historySearcher{
		"h1|s1": ranked(true, clause("A")), "s1": ranked(true, clause("A")),
		"h0|h2|s2": ranked(true, clause("OLD")), "s2": ranked(true, clause("B")), "h0|h2": ranked(true, clause("X"), clause("OLD")),
		"h3|s3": ranked(true, clause("C")), "s3": ranked(true, clause("D")), "h3": ranked(true, clause("E")),
		"h1|f1": ranked(true, clause("F")), "f1": ranked(true, clause("E"), clause("F")),
		"h1|f2": ranked(true, clause("E"), clause("G")), "f2": ranked(true, clause("G")),
		"f4": ranked(true, clause("G")),
	}
	rep, err := Evaluate(context.Background(), s, items, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := Conversation{Switches: 3, AsAlone: 1, Stayed: 1, Followups: 2, Hit1: 0.5, AloneHit1: 0.5}
	if rep.Conversation != want {
		t.Errorf("got %+v, want %+v", rep.Conversation, want)
	}
	var b strings.Builder
	if err := rep.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, piece := range []string{"topic switches answered on the new topic 2 of 3 (1 as asked alone)", "follow-ups (n=2) clause hit@1 0.50 with history, 0.50 alone"} {
		if !strings.Contains(b.String(), piece) {
			t.Errorf("report lacks %q:\n%s", piece, b.String())
		}
	}
	items, cs := evalFixture()
	rep, err = Evaluate(context.Background(), cs, items, 10)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Conversation != (Conversation{}) {
		t.Errorf("a set of no switches or follow-ups measured %+v", rep.Conversation)
	}
}
