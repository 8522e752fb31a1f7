package answer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/prompts"
	"github.com/policybot/policybot/retrieval"
)

// A service centre's own corpus — Zhejiang, Hangzhou and national notices
// of 2020–2025 in every format (corpus/testdata/otherregion) — answered
// offline with the built-in corpus off, and judged against what each
// document SHOULD say about its period (want.json there, written by
// hand), not against what the extractor reads.
const (
	orDocs = "../../corpus/testdata/otherregion/docs"
	orWant = "../../corpus/testdata/otherregion/want.json"
)

// The two days the answers are judged on: the users' today, when the
// periods of 2025 and before have ended, and a day in mid-2024, when most
// were running.
var (
	orToday = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	orThen  = time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
)

// orDoc is a document's period as want.json gives it, by hand.
type orDoc struct {
	File           string `json:"file"`
	Title          string `json:"title"`
	DocNo          string `json:"doc_no"`
	Issued         string `json:"issued"`
	EffectiveUntil string `json:"effective_until"`
	RepealedBy     string `json:"repealed_by"`
	RepealedFrom   string `json:"repealed_from"`
}

type orEnv struct {
	lib   *corpus.Library
	ix    *retrieval.Index
	set   *prompts.Set
	want  map[string]orDoc // by document id
	files map[string]string
}

var orShared = sync.OnceValues(func() (orEnv, error) {
	env := orEnv{want: map[string]orDoc{}, files: map[string]string{}}
	lib, err := corpus.Load(corpus.Options{Builtin: false, Dirs: []string{orDocs}}, nil)
	if err != nil {
		return env, err
	}
	env.lib = lib
	if env.ix, err = retrieval.Build(context.Background(), lib, retrieval.Options{Now: func() time.Time { return orToday }}); err != nil {
		return env, err
	}
	if env.set, err = prompts.Load(""); err != nil {
		return env, err
	}
	data, err := os.ReadFile(orWant)
	if err != nil {
		return env, err
	}
	var w struct{ Documents []orDoc }
	if err := json.Unmarshal(data, &w); err != nil {
		return env, fmt.Errorf("want.json: %w", err)
	}
	byFile := map[string]orDoc{}
	for _, d := range w.Documents {
		byFile[d.File] = d
	}
	for _, d := range lib.Documents() {
		f := filepath.Base(d.File)
		wd, ok := byFile[f]
		if !ok {
			return env, fmt.Errorf("want.json has no %s", f)
		}
		env.want[d.ID], env.files[d.ID] = wd, f
	}
	return env, nil
})

func orSetup(t *testing.T) orEnv {
	t.Helper()
	env, err := orShared()
	if err != nil {
		t.Fatalf("load the other region's corpus, index and prompts: %v", err)
	}
	return env
}

// orClausePeriods are periods clauses state of their own, ending before
// their document's (by hand, from the texts): a citation whose text holds
// the fragment ends then, whatever its document's period.
var orClausePeriods = []struct{ file, fragment, until string }{
	{"zzb-2024-8.html", "一次性扩岗补助", "2024-12-31"}, // 对2024年1月1日至2024年12月31日期间新招用…
	{"zzb-2024-8.html", "一次性创业补贴", "2025-12-31"}, // 自2024年1月1日至2025年12月31日，…
}

// orExpect is where a cited clause should stand on a day: expired when
// its document's stated period or its own has ended, or its document has
// been repealed; otherwise in force when an end is stated, else unstated.
type orExpect struct {
	status corpus.Status
	until  string // the day it ended, for an expired one
	why    string
}

func (env orEnv) expect(c answer.Citation, day time.Time) orExpect {
	w := env.want[c.DocID]
	d := day.Format(time.DateOnly)
	if w.RepealedFrom != "" && d >= w.RepealedFrom {
		return orExpect{corpus.StatusExpired, w.RepealedFrom, "repealed by " + w.RepealedBy}
	}
	ends := []string{}
	if w.EffectiveUntil != "" {
		ends = append(ends, w.EffectiveUntil)
	}
	for _, p := range orClausePeriods {
		if p.file == w.File && strings.Contains(c.Text, p.fragment) {
			ends = append(ends, p.until)
		}
	}
	sort.Strings(ends)
	if len(ends) == 0 {
		return orExpect{status: corpus.StatusUnstated, why: "no end stated"}
	}
	if ends[0] < d {
		return orExpect{corpus.StatusExpired, ends[0], "ended " + ends[0]}
	}
	return orExpect{status: corpus.StatusInForce, why: "runs to " + ends[len(ends)-1]}
}

// orQuestions ask one thing of each document, in its own words but not
// quoting it; fact is what the answer's lead must say.
var orQuestions = []struct{ file, question, fact string }{
	{"zjzb-2022-37.md", "承租国有房屋的个体工商户，房租能减免几个月？", "6个月"},
	{"hzzb-2022-65.md", "新认定的市级科技企业孵化器奖励多少钱？", "50万元"},
	{"zzf-2020-4.md", "受疫情影响的企业可以缓缴社会保险费吗，最长多久？", "6个月"},
	{"cs-2023-12.txt", "个体工商户年应纳税所得额不超过200万元的部分，个人所得税怎么优惠？", "减半征收个人所得税"},
	{"zcq-2021-8.txt", "浙财企〔2021〕8号规定的融资担保代偿风险补偿比例是多少？", "30%"},
	{"zcq-2024-5.docx", "融资担保机构为首贷户担保发生代偿，风险补偿比例能提高到多少？", "50%"},
	{"hzf-2022-45.docx", "标准地项目实行承诺制后，全流程审批时间压缩到多少个工作日？", "40个工作日"},
	{"cs-2022-28.pdf", "高新技术企业第四季度新购置的设备能一次性税前扣除吗？", "一次性全额"},
	{"sat-2023-6.pdf", "跨省临时经营填报跨区域涉税事项报告，还要去税务机关现场办理吗？", "不再需要到税务机关现场办理"},
	{"hcq-2025-3.pdf", "中小企业数字化改造项目验收合格后能补助多少？", "20%"},
	{"zcs-2023-9.html", "脱贫人口从事个体经营，每户每年扣减税费的限额是多少？", "24000元"},
	{"zzb-2024-8.html", "新招用离校未就业高校毕业生的企业，一次性扩岗补助每人多少钱？", "1500元"},
}

// orStatusRe is one part of the 时效 line: the [n] of the citations it
// concerns, then their status.
var orStatusRe = regexp.MustCompile(`^((?:\[\d+\])+)(.+)$`)

// orHeadStatus is what the answer's 时效 line says of citation n.
func orHeadStatus(head string, n int) string {
	for _, line := range strings.Split(head, "\n") {
		rest, ok := strings.CutPrefix(line, "时效：")
		if !ok {
			continue
		}
		for _, part := range strings.Split(rest, "；") {
			if m := orStatusRe.FindStringSubmatch(part); m != nil && strings.Contains(m[1], fmt.Sprintf("[%d]", n)) {
				return m[2]
			}
		}
	}
	return ""
}

// orHeadFlags says whether a 时效 status tells the reader the clause no
// longer applies.
func orHeadFlags(status string) bool {
	return strings.Contains(status, "失效") || strings.Contains(status, "废止")
}

// The checks of an answer, in the order the report shows them:
//   - cite: its first citation is the document asked about;
//   - source: that citation shows the document's title and 文号 (as
//     want.json gives them) in its 来源;
//   - fact: its lead says what the question asks (orQuestions' fact);
//   - flag: every citation, and its part of the 时效 line, is flagged as
//     no longer applying exactly when its period has ended or its document
//     has been repealed by that day;
//   - status: the asked-about citation's status (expired, in force,
//     unstated) and, when ended, the day it ended are right.
var orChecks = []string{"cite", "source", "fact", "flag", "status"}

// orMisses are the answers known to be wrong, "day file" ("*" for both
// days) → check → what is wrong and why; the test fails on any other
// wrong answer, and on a miss listed here that has come right, so that the
// list says only what is true.
var orMisses = map[string]map[string]string{}

func orKnown(day, file, check string) (string, bool) {
	if why, ok := orMisses[day+" "+file][check]; ok {
		return why, true
	}
	why, ok := orMisses["* "+file][check]
	return why, ok
}

type orOutcome struct {
	ok        map[string]bool
	got, want string
}

// TestOtherRegionAnswers asks one question per document on two days and
// checks that the answer cites the document and that each citation's
// validity, and the 时效 line of the answer's head, flag exactly the
// clauses whose period has ended by that day.
func TestOtherRegionAnswers(t *testing.T) {
	env := orSetup(t)
	if n := len(env.lib.Documents()); n != len(orQuestions) {
		t.Fatalf("got %d documents, want one question for each of %d", n, len(orQuestions))
	}
	ids := map[string]string{}
	for id, f := range env.files {
		ids[f] = id
	}
	var report strings.Builder
	for _, day := range []time.Time{orToday, orThen} {
		dayS := day.Format(time.DateOnly)
		p := answer.New(env.ix, env.lib, nil, env.set, answer.Options{Now: func() time.Time { return day }}, nil)
		fmt.Fprintf(&report, "\nanswers judged on %s:\n", dayS)
		right := map[string]int{}
		for _, q := range orQuestions {
			id, ok := ids[q.file]
			if !ok {
				t.Fatalf("%s is not loaded", q.file)
			}
			res, err := p.Answer(context.Background(), q.question, nil)
			if err != nil {
				t.Fatalf("%s: %v", q.question, err)
			}
			o := orJudgeAnswer(env, res, id, q.fact, day)
			fmt.Fprintf(&report, "  %-17s", q.file)
			for _, check := range orChecks {
				mark := "ok"
				if !o.ok[check] {
					mark = "NO"
				}
				fmt.Fprintf(&report, " %s %-2s", check, mark)
			}
			fmt.Fprintf(&report, "  %s\n", o.got)
			for _, q := range orEmptyQuotes(res.Body) {
				fmt.Fprintf(&report, "      observation: the extract %s quotes nothing but its number\n", q)
			}
			for _, check := range orChecks {
				why, known := orKnown(dayS, q.file, check)
				switch {
				case o.ok[check]:
					right[check]++
					if known {
						t.Errorf("FIXED %s %s %s: take it off orMisses", dayS, q.file, check)
					}
				case known:
					fmt.Fprintf(&report, "      known miss (%s): %s\n", check, why)
				default:
					t.Errorf("%s %s: %q: %s wrong: got %s; want %s\nanswer:\n%s", dayS, q.file, q.question, check, o.got, o.want, res.Text)
				}
			}
		}
		for _, q := range orQuestions {
			if w := env.want[ids[q.file]]; w.Issued > dayS {
				fmt.Fprintf(&report, "  note: %s was issued on %s, after this day; validity has no \"not yet issued\", so it is judged by its stated end\n", q.file, w.Issued)
			}
		}
		fmt.Fprintf(&report, "  right:")
		for _, check := range orChecks {
			fmt.Fprintf(&report, " %s %d/%d", check, right[check], len(orQuestions))
		}
		report.WriteString("\n")
	}
	t.Log(report.String())
}

// orJudgeAnswer judges one answer: its first citation must be the
// document asked about; every citation's validity and its status in the
// head must flag it exactly when expect says it has ended; and the
// asked-about citation's status (and end, when ended) must be expect's.
func orJudgeAnswer(env orEnv, res answer.Result, id, fact string, day time.Time) orOutcome {
	o := orOutcome{ok: map[string]bool{}}
	if !res.Found || len(res.Citations) == 0 {
		o.got, o.want = "not found: "+res.Reason, "a citation of "+id
		return o
	}
	o.ok["cite"] = res.Citations[0].DocID == id
	o.ok["fact"] = strings.Contains(res.Lead, fact)
	head := res.Head()
	o.ok["flag"] = true
	var flags []string
	for _, c := range res.Citations {
		e := env.expect(c, day)
		headSays := orHeadStatus(head, c.N)
		want := e.status == corpus.StatusExpired
		if (c.Validity.Status == corpus.StatusExpired) != want || c.Expired != want || orHeadFlags(headSays) != want {
			o.ok["flag"] = false
			flags = append(flags, fmt.Sprintf("[%d]%s %s %q, want expired %v (%s)", c.N, c.DocID, c.Validity.Status, headSays, want, e.why))
		}
	}
	// The status of the asked-about document's first citation.
	var c *answer.Citation
	for i := range res.Citations {
		if res.Citations[i].DocID == id {
			c = &res.Citations[i]
			break
		}
	}
	if c == nil {
		o.got = fmt.Sprintf("cites %s, not %s", res.Citations[0].DocID, id)
		o.want = "a citation of " + id
		return o
	}
	e := env.expect(*c, day)
	w := env.want[id]
	nospace := func(s string) string { return strings.Join(strings.Fields(s), "") }
	o.ok["source"] = nospace(c.Title) == nospace(w.Title) && nospace(c.DocNo) == nospace(w.DocNo)
	v := c.Validity
	o.got = fmt.Sprintf("[%d]%s %s %s→%s %q", c.N, c.DocID, c.Clause, v.Status, v.Until, orHeadStatus(head, c.N))
	o.want = fmt.Sprintf("%s %s (%s)", e.status, e.until, e.why)
	if !o.ok["source"] {
		o.got += fmt.Sprintf("; cited as 《%s》（%s）", c.Title, c.DocNo)
		o.want += fmt.Sprintf("; cited as 《%s》（%s）", w.Title, w.DocNo)
	}
	if !o.ok["fact"] {
		o.got += fmt.Sprintf("; lead %q", res.Lead)
		o.want += fmt.Sprintf("; a lead saying %s", fact)
	}
	o.ok["status"] = v.Status == e.status && (e.status != corpus.StatusExpired || v.Until == e.until)
	if len(flags) > 0 {
		o.got += "; flags: " + strings.Join(flags, "; ")
	}
	return o
}

// orQuoteRe is one quoted extract of an offline answer's body:
// [1]第二条：“…”.
var orQuoteRe = regexp.MustCompile(`^(\[\d+\][^：]*)：“(.*)”$`)

// orMarkRe is a clause's numbering and white space.
var orMarkRe = regexp.MustCompile(`第[一二三四五六七八九十百零]+条|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\s`)

// orEmptyQuotes lists the extracts that quote only a clause's number
// (“一、”, “第三条 ”): what is left once the lead's sentence is taken out
// of a one-sentence clause. Reported, not failed: the layout is being
// reworked.
func orEmptyQuotes(body string) []string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if m := orQuoteRe.FindStringSubmatch(strings.TrimSpace(l)); m != nil && orMarkRe.ReplaceAllString(m[2], "") == "" {
			out = append(out, m[0])
		}
	}
	return out
}
