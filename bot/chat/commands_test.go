package chat

import (
	"strings"
	"testing"

	"github.com/policybot/policybot/bot/answer"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text  string
		want  command
		wantN int
	}{
		{"帮助", cmdHelp, 0},
		{" 帮助 ", cmdHelp, 0},
		{"/help", cmdHelp, 0},
		{"／ＨＥＬＰ", cmdHelp, 0},
		{"重置", cmdReset, 0},
		{"/reset", cmdReset, 0},
		{"范围", cmdScope, 0},
		{"/scope", cmdScope, 0},
		{"原文 2", cmdSource, 2},
		{"原文2", cmdSource, 2},
		{"原文　１２", cmdSource, 12},
		{"原文", cmdSource, 0},
		{"原文 0", cmdSource, -1},
		{"原文 99999999999999999999", cmdSource, -1},
		{"/source 3", cmdSource, 3},
		{"原文是什么意思", cmdNone, 0},
		{"帮助我申请补贴", cmdNone, 0},
		{"/sourcecode", cmdNone, 0},
		{"补贴怎么申请", cmdNone, 0},
		{"你好", cmdGreeting, 0},
		{"您好！在吗？", cmdGreeting, 0},
		{"Hi~", cmdGreeting, 0},
		{"你好[微笑]", cmdGreeting, 0},
		{"老师您好", cmdGreeting, 0},
		{"谢谢", cmdThanks, 0},
		{"好的，谢谢！", cmdThanks, 0},
		{"明白了，多谢[抱拳]", cmdThanks, 0},
		{"OK", cmdThanks, 0},
		{"你好，小微企业有什么优惠", cmdNone, 0},
		{"请问高企有奖励吗", cmdNone, 0},
		{"谢谢，那申请条件呢", cmdNone, 0},
		{"好的那要交什么材料", cmdNone, 0},
		{"你能回答哪些地方的政策", cmdGreeting, 0},
		{"你好，你能做什么？", cmdGreeting, 0},
		{"你是谁", cmdGreeting, 0},
		{"您这里都有哪些文件？", cmdGreeting, 0},
		{"你们收录了什么政策呀", cmdGreeting, 0},
		{"你能查查高企奖励吗", cmdNone, 0},
		{"你们有哪些小微企业的政策", cmdNone, 0},
		{"你能回答哪些关于研发费用的问题", cmdNone, 0},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, n := parseCommand(tt.text)
			if got != tt.want || n != tt.wantN {
				t.Errorf("parseCommand(%q) = %v, %d, want %v, %d", tt.text, got, n, tt.want, tt.wantN)
			}
		})
	}
}

func TestSourceText(t *testing.T) {
	two := answer.Result{Text: "答", Citations: []answer.Citation{
		{N: 1, Title: "关于支持企业发展的若干措施", DocNo: "冀政发〔2018〕1号", Clause: "第三条", Text: "对小微企业给予补贴。"},
		{N: 2, Title: "无文号的通知", Clause: "第一条", Text: "正文。"},
	}}
	one := answer.Result{Text: "答", Citations: two.Citations[:1]}
	tests := []struct {
		name string
		last answer.Result
		ok   bool
		n    int
		want string
	}{
		{"first", two, true, 1, "[1]《关于支持企业发展的若干措施》（冀政发〔2018〕1号）第三条\n对小微企业给予补贴。"},
		{"no doc number", two, true, 2, "[2]《无文号的通知》第一条\n正文。"},
		{"out of range", two, true, 3, "上一个回答没有这条出处，请发送“原文 1”到“原文 2”查看。"},
		{"bad number", two, true, -1, "上一个回答没有这条出处，请发送“原文 1”到“原文 2”查看。"},
		{"only one", one, true, 5, msgOnlySource},
		{"no number", two, true, 0, msgSourceUsage},
		{"no answer", answer.Result{}, false, 1, msgNoAnswerYet},
		{"no citations", answer.Result{Text: "答"}, true, 1, msgNoCitations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sourceText(tt.last, tt.ok, tt.n); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHelpText(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		group   bool
		want    []string
		notWant []string
	}{
		{"private", Options{}, false, []string{"帮助", "范围", "原文 N", "重置"}, []string{"@我"}},
		{"group", Options{}, true, []string{"@我"}, []string{"开头"}},
		{"group with prefix", Options{GroupPrefix: "问："}, true, []string{"@我", "以“问：”开头"}, nil},
		{"override", Options{HelpText: "自定义说明"}, true, []string{"自定义说明"}, []string{"@我"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := helpText(tt.opts, tt.group)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("got %q, want it to contain %q", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("got %q, want it not to contain %q", got, w)
				}
			}
		})
	}
}
