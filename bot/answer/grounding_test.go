package answer_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/policybot/policybot/bot/answer"
)

// TestPipelineGrounding checks, through the fake chat endpoint and the real
// client, that a generated answer keeps only the sentences its cited
// clauses bear out, reports each sentence it drops and why, and falls back
// to the extract when nothing grounded is left.
func TestPipelineGrounding(t *testing.T) {
	env := plSetup(t)
	// [1] awards 100万, 90万 and 40万元 for intelligent plants and digital
	// workshops; [2] is the small-profit enterprise income tax notice
	// (50万 to 100万元, 50%, 20%, until 2020年12月31日).
	hits := plHits(t, env.lib,
		"jzqsb-2018-2", plChunkByLabel(t, env.lib, "jzqsb-2018-2", "附件7 五15"),
		"cs-2018-77", plChunkByLabel(t, env.lib, "cs-2018-77", "一、"),
	)
	const (
		question = "评上省级数字化车间能奖多少钱？"
		grounded = "省级数字化车间奖励40万元[1]。"
	)
	offline := plAsk(t, plBuild(t, env, plSearcher{hits: hits}, nil, answer.Options{}, nil), question, nil)
	if got := plNs(offline.Citations); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Fatalf("precondition: offline citations = %v, want [1 2]", got)
	}
	tests := []struct {
		name  string
		model string
		// wantLead and wantBody are what is kept; an empty wantLead means
		// the extract with the ungrounded note.
		wantLead, wantBody string
		wantCites          []int
		// wantDrops is "reason:detail" of each dropped sentence, in order.
		wantDrops []string
	}{
		{
			name:     "correct amount and marker kept",
			model:    grounded,
			wantLead: grounded, wantCites: []int{1},
		},
		{
			name:     "invented amount removed",
			model:    grounded + "省级智能工厂奖励200万元[1]。",
			wantLead: grounded, wantCites: []int{1},
			wantDrops: []string{"ungrounded_figure:200万"},
		},
		{
			name:     "figure from the other clause removed",
			model:    grounded + "所得减按50%计入应纳税所得额[1]。",
			wantLead: grounded, wantCites: []int{1},
			wantDrops: []string{"ungrounded_figure:50%"},
		},
		{
			name:     "figure with the right marker kept",
			model:    grounded + "所得减按50%计入应纳税所得额[2]。",
			wantLead: grounded, wantBody: "所得减按50%计入应纳税所得额[2]。", wantCites: []int{1, 2},
		},
		{
			name:     "forged 来源 and 时效提示 removed",
			model:    grounded + "\n\n来源：《国务院关于支持企业的通知》（国发〔2025〕99号）\n时效提示：该政策现行有效。",
			wantLead: grounded, wantCites: []int{1},
			wantDrops: []string{"forged_block:", "forged_block:"},
		},
		{
			name:     "validity claim removed",
			model:    grounded + "该政策现行有效[1]。",
			wantLead: grounded, wantCites: []int{1},
			wantDrops: []string{"validity_claim:现行有效"},
		},
		{
			name:     "link removed",
			model:    grounded + "申报入口见 https://example.com/apply 。",
			wantLead: grounded, wantCites: []int{1},
			wantDrops: []string{"link:https://example.com/apply"},
		},
		{
			name:     "phone number removed",
			model:    grounded + "详情请拨打热线 0311-66668888。",
			wantLead: grounded, wantCites: []int{1},
			wantDrops: []string{"phone:0311-66668888"},
		},
		{
			name:     "unknown 文号 removed",
			model:    "依据国发〔2025〕99号，奖励40万元[1]。" + grounded,
			wantLead: grounded, wantCites: []int{1},
			wantDrops: []string{"unknown_doc_no:依据国发〔2025〕99号"},
		},
		{
			name:      "nothing grounded left",
			model:     "省级智能工厂奖励200万元[1]。该政策现行有效。\n\n来源：《国务院关于支持企业的通知》",
			wantDrops: []string{"ungrounded_figure:200万", "validity_claim:现行有效", "forged_block:"},
		},
		{
			name:      "what is left cites nothing",
			model:     "您好，这要看企业认定的级别。奖励40万元[3]。",
			wantDrops: []string{"invalid_marker:[3]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := plNewFake(t, plReply{content: tt.model})
			ans := plAsk(t, plBuild(t, env, plSearcher{hits: hits}, f, answer.Options{}, nil), question, nil)
			if n := len(f.requests()); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
			if got := plDrops(ans); !reflect.DeepEqual(got, tt.wantDrops) {
				t.Errorf("drops = %q, want %q\n%+v", got, tt.wantDrops, ans.Sentences)
			}
			// The report covers every sentence the model wrote.
			var written strings.Builder
			for _, s := range ans.Sentences {
				written.WriteString(s.Text)
			}
			if got, want := strings.Join(strings.Fields(written.String()), ""), strings.Join(strings.Fields(tt.model), ""); got != want {
				t.Errorf("sentences add up to %q, want the model's text %q", got, want)
			}
			// What was dropped is nowhere in the answer.
			for _, s := range ans.Sentences {
				if !s.Kept && strings.Contains(ans.Text, strings.TrimSpace(s.Text)) {
					t.Errorf("dropped sentence %q (%s) is in the answer:\n%s", s.Text, s.Reason, ans.Text)
				}
			}
			if tt.wantLead == "" {
				want := plFallback(offline, plUngroundedNote)
				want.Sentences = ans.Sentences
				if !reflect.DeepEqual(ans, want) {
					t.Errorf("answer =\n%s\nwant the extract with the ungrounded note:\n%s", ans.Text, want.Text)
				}
				return
			}
			if ans.Lead != tt.wantLead || ans.Body != tt.wantBody || ans.Note != "" {
				t.Errorf("lead, body, note = %q, %q, %q; want %q, %q and none", ans.Lead, ans.Body, ans.Note, tt.wantLead, tt.wantBody)
			}
			if got := plNs(ans.Citations); !reflect.DeepEqual(got, tt.wantCites) {
				t.Errorf("citations = %v, want %v", got, tt.wantCites)
			}
			if !strings.HasPrefix(ans.Text, tt.wantLead+"\n时效：[1]") {
				t.Errorf("text does not open with the lead and the 时效 line:\n%s", ans.Text)
			}
		})
	}
}

// TestPipelineGroundingJSON: the grounding report is part of the answer's
// JSON, as ask --json and /api/ask give it; extracts have none.
func TestPipelineGroundingJSON(t *testing.T) {
	env := plSetup(t)
	hits := plHits(t, env.lib, "jzqsb-2018-2", plChunkByLabel(t, env.lib, "jzqsb-2018-2", "附件7 五15"))
	f := plNewFake(t, plReply{content: "省级数字化车间奖励40万元[1]。省级智能工厂奖励200万元[1]。"})
	ans := plAsk(t, plBuild(t, env, plSearcher{hits: hits}, f, answer.Options{}, nil), "评上省级数字化车间能奖多少钱？", nil)
	b, err := json.Marshal(ans)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Lead      string            `json:"lead"`
		Sentences []json.RawMessage `json:"sentences"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"text":"省级数字化车间奖励40万元[1]。","kept":true}`,
		`{"text":"省级智能工厂奖励200万元[1]。","kept":false,"reason":"ungrounded_figure","detail":"200万"}`,
	}
	var sents []string
	for _, s := range got.Sentences {
		sents = append(sents, string(s))
	}
	if got.Lead != "省级数字化车间奖励40万元[1]。" || !reflect.DeepEqual(sents, want) {
		t.Errorf("JSON lead %q sentences\n%s\nwant %q and\n%s", got.Lead, strings.Join(sents, "\n"), "省级数字化车间奖励40万元[1]。", strings.Join(want, "\n"))
	}
	offline := plAsk(t, plBuild(t, env, plSearcher{hits: hits}, nil, answer.Options{}, nil), "评上省级数字化车间能奖多少钱？", nil)
	if b, _ := json.Marshal(offline); strings.Contains(string(b), `"sentences"`) {
		t.Errorf("extract's JSON has sentences: %s", b)
	}
}
