package chat

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/policybot/policybot/bot/answer"
)

// The fixed lines users see. They are friendly on purpose and never carry
// an error's text: the cause goes to the log.
const (
	msgNonText      = "暂时只能看懂文字消息，请把问题用文字发给我。"
	msgEmpty        = "请直接输入您想了解的政策问题，例如“小微企业有哪些减税政策？”。发送“帮助”查看用法。"
	msgChineseOnly  = "我查询的是中文政策文件，请用中文提问，例如“小微企业有哪些减税政策？”。\nPlease ask in Chinese: the policy documents I search are in Chinese."
	msgTooLong      = "您的问题有点长（%d 字），请精简到 %d 字以内再发给我。"
	msgTooFast      = "您问得太快了，请稍等一分钟再问。"
	msgPending      = "正在查询，请稍候…"
	msgFailed       = "抱歉，系统暂时出了点问题，请稍后再试。"
	msgReset        = "好的，之前的对话已清除，可以开始新的问题了。"
	msgNoAnswerYet  = "还没有可以查看原文的回答，请先提一个问题。"
	msgNoCitations  = "上一个回答没有引用政策原文。"
	msgNoSuchSource = "上一个回答没有这条出处，请发送“原文 1”到“原文 %d”查看。"
	msgOnlySource   = "上一个回答只有 1 条出处，请发送“原文 1”查看。"
	msgSourceUsage  = "请在“原文”后面加上出处编号，例如“原文 1”。"

	msgScope = "我能回答已收录的政策文件中的问题，回答会注明依据的文件名称、文号和条款，并说明发文时间和文件是否已过有效期。"

	msgThanks = "不客气！还有其他政策问题，随时发给我。"

	helpIntro = "您好！我是政策助手。直接把问题发给我即可，例如“科技型中小企业能享受哪些支持？”。" +
		"每个回答都会注明依据的《文件名》（文号）和条款，并说明发文时间、文件是否已过有效期；内容仅供参考，以政策原文和主管部门解释为准。"
	helpCommands = "可用命令：\n" +
		"帮助 — 查看本说明\n" +
		"范围 — 我能回答哪些政策\n" +
		"原文 N — 查看上一个回答第 N 条出处的原文\n" +
		"重置 — 清除对话记忆，开始新话题"
)

// command is a control word the user can send instead of a question.
type command int

const (
	cmdNone command = iota
	cmdHelp
	cmdReset
	cmdScope
	cmdSource // 原文 N; the number comes with it
	// A greeting or a thank-you alone is no question: searching the
	// policies for 你好 could only end in "not found".
	cmdGreeting
	cmdThanks
)

// parseCommand recognises a command in text, which has been trimmed and
// stripped of any group mention. Full-width digits, letters and spaces are
// accepted because Chinese input methods produce them. For cmdSource, n is
// the citation number, 0 when none was given and -1 when it is not a
// usable number.
func parseCommand(text string) (cmd command, n int) {
	t := strings.ToLower(strings.TrimSpace(foldWidth(text)))
	switch t {
	case "帮助", "/help":
		return cmdHelp, 0
	case "重置", "/reset":
		return cmdReset, 0
	case "范围", "/scope":
		return cmdScope, 0
	}
	if cmd := social(t); cmd != cmdNone {
		return cmd, 0
	}
	var arg string
	switch {
	case strings.HasPrefix(t, "原文"):
		arg = strings.TrimPrefix(t, "原文")
	case t == "/source" || strings.HasPrefix(t, "/source "):
		arg = strings.TrimPrefix(t, "/source")
	default:
		return cmdNone, 0
	}
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return cmdSource, 0
	}
	if strings.TrimFunc(arg, isDigit) != "" {
		// "原文是什么意思" is a question, not a command.
		return cmdNone, 0
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n <= 0 {
		return cmdSource, -1
	}
	return cmdSource, n
}

// Greetings and thanks, as a whole message: each pattern is repeated
// with anything between that is only punctuation, spaces or WeChat's
// [表情] codes (你好，在吗？ / 好的谢谢[抱拳]).
var (
	greetingRe = regexp.MustCompile(`^(?:(?:你好|您好|你们好|大家好|在吗|在么|在不在|有人吗|哈喽|嗨|hello|hi|hey|早上好|上午好|中午好|下午好|晚上好|早安|请问|老师|小助手|助手)` + socialGap + `)+$`)
	thanksRe   = regexp.MustCompile(`^(?:(?:好的|好滴|好嘞|嗯嗯|嗯|哦哦|哦|ok|okay|收到|知道了|明白了|明白|了解了|懂了|谢谢你?|谢谢您|多谢|感谢|谢了|thanks|thank you|thx|辛苦了|麻烦了)` + socialGap + `)+$`)
)

// aboutRe is a whole message asking who the bot is or what it can
// answer (你能回答哪些政策？, 你们这里有哪些地方的文件, 你是谁): it is
// answered as a greeting is, with who the bot is and what it holds.
// Anything more (你能查查高企奖励吗) is a question and is searched.
var aboutRe = regexp.MustCompile(`^(?:(?:你好|您好)` + socialGap + `)?(?:请问)?(?:你|您)们?(?:这里|这儿|这边)?(?:都|还)?(?:` +
	`是谁|是什么|是(?:干|做)(?:什么|啥)的|` +
	`(?:能|可以|会)?(?:帮我)?(?:回答|查询|查|解答|提供|做|干|咨询|答)(?:些|点)?(?:什么|哪些|啥)|` +
	`(?:有|收录了?|包含|覆盖)(?:哪些|什么|啥)` +
	`)(?:地方|地区|方面|领域|范围)?的?(?:政策|文件|问题|事情?|内容|服务)?(?:呀|啊|呢|吗|么)?` + socialGap + `$`)

// socialGap is what may stand between the words of a greeting: punctuation,
// spaces, stickers' codes.
const socialGap = `(?:[\pP\pS\s]|` + sticker + `)*`

// sticker is WeChat's text code for a built-in sticker: [微笑], [抱拳].
const sticker = `\[[^\[\]]{1,6}\]`

// social recognises a message that only greets or thanks: t is trimmed,
// lower-case and width-folded.
func social(t string) command {
	switch {
	case greetingRe.MatchString(t):
		return cmdGreeting
	case thanksRe.MatchString(t):
		return cmdThanks
	case aboutRe.MatchString(t):
		return cmdGreeting
	}
	return cmdNone
}

var stickerRe = regexp.MustCompile(sticker)

// wordless says whether a message holds no letter, digit or character of
// any script once its stickers' codes are taken out.
func wordless(text string) bool {
	return !strings.ContainsFunc(stickerRe.ReplaceAllString(text, ""), func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r)
	})
}

// foreign says whether a message is a sentence in another script: three
// or more words of letters and no Han character (what tax breaks are there
// for small firms). The documents are Chinese, so nothing in it can match
// them, and a follow-up would be read from the chat's last question alone;
// a word or two of Latin letters (PPP, ok) is searched as usual.
func foreign(text string) bool {
	if strings.ContainsFunc(text, isHan) {
		return false
	}
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) })
	return len(words) >= 3
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// foldWidth maps full-width ASCII forms and the ideographic space to their
// ASCII equivalents.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '！' && r <= '～':
			return r - '！' + '!'
		case r == '\u3000':
			return ' '
		}
		return r
	}, s)
}

// helpText is the reply to 帮助. In a group it also says how to address
// the bot, since it stays quiet otherwise.
func helpText(opts Options, group bool) string {
	if opts.HelpText != "" {
		return opts.HelpText
	}
	var b strings.Builder
	b.WriteString(intro(opts))
	b.WriteString("\n\n")
	b.WriteString(helpCommands)
	if group {
		b.WriteString("\n\n在群里提问请先 @我")
		if opts.GroupPrefix != "" {
			fmt.Fprintf(&b, "，或以“%s”开头", opts.GroupPrefix)
		}
		b.WriteString("。")
	}
	return b.String()
}

// greetingText is the reply to a greeting: who the bot is, what it holds
// and how to ask.
func greetingText(opts Options) string {
	return intro(opts) + "\n发送“帮助”查看可用命令。"
}

// intro says who the bot is, how to ask, and what it holds.
func intro(opts Options) string {
	return helpIntro + opts.Scope
}

// sourceText is the reply to 原文 N: the cited clause in full, headed the
// way citations are written in answers.
func sourceText(last answer.Result, ok bool, n int) string {
	switch {
	case n == 0:
		return msgSourceUsage
	case !ok:
		return msgNoAnswerYet
	case len(last.Citations) == 0:
		return msgNoCitations
	}
	for _, c := range last.Citations {
		if c.N != n {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "[%d]《%s》", c.N, c.Title)
		if c.DocNo != "" {
			fmt.Fprintf(&b, "（%s）", c.DocNo)
		}
		b.WriteString(c.Clause)
		b.WriteString("\n")
		b.WriteString(c.Text)
		return b.String()
	}
	maxN := 0
	for _, c := range last.Citations {
		maxN = max(maxN, c.N)
	}
	if maxN <= 1 {
		return msgOnlySource
	}
	return fmt.Sprintf(msgNoSuchSource, maxN)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }
