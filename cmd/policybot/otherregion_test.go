package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A service centre runs the bot on its own corpus only — Zhejiang,
// Hangzhou and national notices of 2020–2025 in every format
// (corpus/testdata/otherregion/docs) — with the built-in corpus off. The
// answers must come from that corpus with the right citations and
// validity, and the bot must describe that corpus, not the built-in one
// (河北, 2008—2018).
const orDocsDir = "../../corpus/testdata/otherregion/docs"

// orDocWant is a document's fields as corpus/testdata/otherregion/
// want.json gives them, by hand.
type orDocWant struct {
	File           string `json:"file"`
	DocNo          string `json:"doc_no"`
	EffectiveUntil string `json:"effective_until"`
	RepealedFrom   string `json:"repealed_from"`
	RepealedBy     string `json:"repealed_by"`
}

func orWants(t *testing.T) map[string]orDocWant {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(orDocsDir, "..", "want.json"))
	if err != nil {
		t.Fatal(err)
	}
	var w struct{ Documents []orDocWant }
	if err := json.Unmarshal(data, &w); err != nil {
		t.Fatal(err)
	}
	out := map[string]orDocWant{}
	for _, d := range w.Documents {
		out[d.File] = d
	}
	return out
}

// orConfig is a config file that turns the built-in corpus off and names
// the folder.
func orConfig(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(orDocsDir)
	if err != nil {
		t.Fatal(err)
	}
	return configFile(t, fmt.Sprintf("corpus:\n  builtin: false\n  dirs: [%q]\n", dir))
}

// orAnswer is the part of ask --json this test reads.
type orAnswer struct {
	Answer    string   `json:"answer"`
	Found     bool     `json:"found"`
	Reason    string   `json:"reason"`
	Notes     []string `json:"validity_notes"`
	Citations []struct {
		N        int    `json:"n"`
		DocID    string `json:"doc_id"`
		Title    string `json:"title"`
		DocNo    string `json:"doc_no"`
		Expired  bool   `json:"expired"`
		Validity struct {
			Status   string `json:"status"`
			Until    string `json:"until"`
			Because  string `json:"because"`
			Repealed bool   `json:"repealed"`
		} `json:"validity"`
	} `json:"citations"`
}

func TestOtherRegionCLI(t *testing.T) {
	c := newCLI(t)
	cfg := orConfig(t)
	wants := orWants(t)
	// The command judges validity against the clock, as users see it.
	today := time.Now().Format(time.DateOnly)

	t.Run("corpus list holds the folder only", func(t *testing.T) {
		out, stderr := c.mustRun(t, "", "--config", cfg, "corpus", "list", "--json")
		ls := lines(out)
		if len(ls) != len(wants) {
			t.Fatalf("got %d documents, want the folder's %d:\n%s", len(ls), len(wants), out)
		}
		for _, l := range ls {
			var d struct{ ID, Title string }
			if err := json.Unmarshal([]byte(l), &d); err != nil {
				t.Fatal(err)
			}
			if !orHasID(wants, d.ID) {
				t.Errorf("got document %s %q, which is not in the folder", d.ID, d.Title)
			}
		}
		// The damaged files are skipped with a warning naming each.
		for _, f := range []string{"broken-download.docx", "scanned-notice.pdf", "photo-renamed.txt"} {
			if !strings.Contains(stderr, f) || !strings.Contains(stderr, "level=WARN") {
				t.Errorf("got stderr without a warning about %s:\n%s", f, stderr)
			}
		}
	})

	tests := []struct {
		file, question string
	}{
		{file: "zjzb-2022-37.md", question: "承租国有房屋的个体工商户，房租能减免几个月？"},
		{file: "cs-2023-12.txt", question: "个体工商户年应纳税所得额不超过200万元的部分，个人所得税怎么优惠？"},
		{file: "zcq-2021-8.txt", question: "浙财企〔2021〕8号规定的融资担保代偿风险补偿比例是多少？"},
		{file: "cs-2022-28.pdf", question: "高新技术企业第四季度新购置的设备能一次性税前扣除吗？"},
		// 国家税务总局公告2023年第6号 is printed over two lines.
		{file: "sat-2023-6.pdf", question: "跨省临时经营填报跨区域涉税事项报告，还要去税务机关现场办理吗？"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out, _ := c.mustRun(t, "", "--config", cfg, "ask", "--json", tt.question)
			decodeAnswer(t, out) // the contract's keys
			var a orAnswer
			if err := json.Unmarshal([]byte(lines(out)[0]), &a); err != nil {
				t.Fatal(err)
			}
			w := wants[tt.file]
			id := strings.TrimSuffix(tt.file, filepath.Ext(tt.file))
			if !a.Found || len(a.Citations) == 0 {
				t.Fatalf("got no answer (reason %q), want one citing %s:\n%s", a.Reason, id, a.Answer)
			}
			ct := a.Citations[0]
			if ct.DocID != id {
				t.Fatalf("got first citation %s, want %s:\n%s", ct.DocID, id, a.Answer)
			}
			if ct.DocNo != w.DocNo {
				t.Errorf("got 文号 %q, want %q", ct.DocNo, w.DocNo)
			}
			// Where the document stands today, by want.json.
			status, until := "in_force", w.EffectiveUntil
			switch {
			case w.RepealedFrom != "" && today >= w.RepealedFrom:
				status, until = "expired", w.RepealedFrom
			case w.EffectiveUntil == "":
				status = "unstated"
			case w.EffectiveUntil < today:
				status = "expired"
			}
			v := ct.Validity
			if v.Status != status || v.Until != until || ct.Expired != (status == "expired") {
				t.Errorf("got validity %+v expired %v, want %s until %q", v, ct.Expired, status, until)
			}
			if v.Repealed != (w.RepealedFrom != "" && status == "expired") {
				t.Errorf("got repealed %v, want %v", v.Repealed, !v.Repealed)
			}
			// The head's 时效 line, second of the answer, says it in words.
			ls := strings.Split(a.Answer, "\n")
			if len(ls) < 3 || !strings.HasPrefix(ls[1], "时效：[1]") {
				t.Fatalf("got an answer without a 时效 line after the lead:\n%s", a.Answer)
			}
			head := ls[1]
			switch {
			case v.Repealed:
				if !strings.Contains(head, "废止") || !strings.Contains(head, w.RepealedBy) {
					t.Errorf("got %q, want it to say the document was repealed by %s", head, w.RepealedBy)
				}
			case status == "expired":
				if want := "已于" + orChineseDate(until) + "失效"; !strings.Contains(head, want) {
					t.Errorf("got %q, want %q", head, want)
				}
			case status == "in_force":
				if want := "有效至" + orChineseDate(until); !strings.Contains(head, want) || strings.Contains(head, "失效") {
					t.Errorf("got %q, want %q and no 失效", head, want)
				}
			default:
				if !strings.Contains(head, "未写明期限") {
					t.Errorf("got %q, want 未写明期限", head)
				}
			}
			// A clause no longer in force sends the reader to the office to
			// confirm the current policy; one in force does not.
			referred := false
			for _, n := range a.Notes {
				if refs := orRefsRe.FindString(n); strings.Contains(refs, "[1]") && strings.Contains(n, "现行政策请向") {
					referred = true
				}
			}
			if referred != (status != "in_force") {
				t.Errorf("got validity notes %q, want a referral for [1]: %v", a.Notes, status != "in_force")
			}
			if notes := strings.Join(a.Notes, "\n"); v.Repealed && !strings.Contains(notes, "废止") {
				t.Errorf("got validity notes %q, want the repeal said", a.Notes)
			}
		})
	}

	t.Run("scope", func(t *testing.T) {
		out, _ := c.mustRun(t, "范围\n江苏省的小微企业房租能减免吗？\n", "--config", cfg, "chat")
		parts := strings.Split(out, "\n> ")
		if len(parts) != 4 {
			t.Fatalf("got %d prompts, want 3:\n%s", len(parts)-1, out)
		}
		banner, scope, other := parts[0], parts[1], parts[2]
		// The built-in corpus's region and years appear nowhere.
		for _, bad := range []string{"河北", "2008", "2018"} {
			if strings.Contains(out, bad) {
				t.Errorf("chat output mentions %q, which is the built-in corpus's, not the loaded one's:\n%s", bad, out)
			}
		}
		// The loaded corpus: issued 2020—2025, by Zhejiang's bodies.
		for _, s := range []string{banner, scope} {
			for _, want := range []string{"我能查询的是", "2020", "2025", "浙江"} {
				if !strings.Contains(s, want) {
					t.Errorf("got %q, want it to describe the loaded corpus (%q)", s, want)
				}
			}
		}
		// A question about another province is declined, naming the
		// region the corpus holds.
		if !strings.Contains(other, "其他地区") || !strings.Contains(other, "浙江") {
			t.Errorf("got %q, want it declined as another region's, naming 浙江", other)
		}
		t.Logf("scope reply: %s", strings.TrimSpace(scope))
	})
}

// orRefsRe is the [n] a validity note starts with.
var orRefsRe = regexp.MustCompile(`^(?:\[\d+\])+`)

// orHasID says whether id is the id of one of the folder's files.
func orHasID(wants map[string]orDocWant, id string) bool {
	for f := range wants {
		if strings.TrimSuffix(f, filepath.Ext(f)) == id {
			return true
		}
	}
	return false
}

// orChineseDate renders 2025-12-31 as 2025年12月31日.
func orChineseDate(iso string) string {
	d, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year(), int(d.Month()), d.Day())
}
