package retrieval

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/policybot/policybot/corpus"
)

// TestDocNoSpellings: a question naming 财税〔2018〕77号 in any common
// spelling searches as the canonical spelling does: within that document,
// with the same hits and judgement.
func TestDocNoSpellings(t *testing.T) {
	ix := buildBuiltin(t)
	const canonical = "财税〔2018〕77号讲了什么"
	want, err := ix.Search(context.Background(), Query{Question: canonical})
	if err != nil {
		t.Fatal(err)
	}
	if !want.Found || len(want.Hits) == 0 {
		t.Fatalf("%s: found %v (%s) with %d hits, want found with hits", canonical, want.Found, want.Reason, len(want.Hits))
	}
	for _, h := range want.Hits {
		if h.DocNo != "财税〔2018〕77号" {
			t.Fatalf("%s: hit from %s, want only 财税〔2018〕77号", canonical, h.DocNo)
		}
	}
	spellings := []string{
		"财税【2018】77号", "财税[2018]77号", "财税［2018］77号", "财税(2018)77号", "财税（2018）77号",
		"财税﹝2018﹞77号", "财税〖2018〗77号", "财税〔2018年〕77号", "财税〔2018〕第77号", "财税〔2018〕77",
		"财税2018年77号", "财税2018年第77号", "财税18年77号", "财税〔18〕77号", "财税２０１８年７７号",
		"财税 〔2018〕 77号", "财税 2018 年 77 号", "财税\u3000〔2018〕\u300077号",
		"77号文", "77号文件", "第77号文", "77 号文", "财税77号文", "财税77号", "财税第77号", "2018年77号文", "18年77号文",
		"〔2018〕77号", "2018年第77号",
	}
	for _, s := range spellings {
		t.Run(s, func(t *testing.T) {
			got, err := ix.Search(context.Background(), Query{Question: s + "讲了什么"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Query != want.Query || got.Found != want.Found || got.Reason != want.Reason {
				t.Errorf("query %q found %v reason %q, want %q %v %q", got.Query, got.Found, got.Reason, want.Query, want.Found, want.Reason)
			}
			if g, w := hitIDs(got), hitIDs(want); g != w {
				t.Errorf("hits %s, want %s", g, w)
			}
		})
	}
}

func hitIDs(r Result) string {
	var ids []string
	for _, h := range r.Hits {
		ids = append(ids, h.ChunkID)
	}
	return strings.Join(ids, " ")
}

// TestDocNoResolve: which documents a question's 文号 name, in the
// built-in corpus: one restricts the search to it, several make the
// result ambiguous with the candidates as hits, none make it unknown,
// and what is no 文号 changes nothing.
func TestDocNoResolve(t *testing.T) {
	ix := buildBuiltin(t)
	tests := []struct {
		name     string
		question string
		reason   string   // "" for a search within want, or free when want is nil
		want     []string // the 文号 of every hit; nil: not restricted
	}{
		{"other brackets in the corpus", "冀政办字〔2017〕127号的融资措施", "", []string{"冀政办字﹝2017﹞127号"}},
		{"公告 as printed", "国家税务总局公告2018年第17号讲了什么", "", []string{"国家税务总局公告2018年第17号"}},
		{"公告 without 国家", "税务总局公告2018年第17号讲了什么", "", []string{"国家税务总局公告2018年第17号"}},
		{"公告 after the number", "国家税务总局2018年第23号公告讲了什么", "", []string{"国家税务总局公告2018年第23号"}},
		{"公告 without issuer", "2018年第17号公告讲了什么", "", []string{"国家税务总局公告2018年第17号"}},
		{"公告 by number only", "17号公告讲了什么", "", []string{"国家税务总局公告2018年第17号"}},
		{"after a lead-in", "请问根据财税18年77号文，研发费用怎么算", "", []string{"财税〔2018〕77号"}},
		{"after a year", "2018年出台的财税77号文讲了什么", "", []string{"财税〔2018〕77号"}},
		{"two documents", "财税〔2018〕99号和财税〔2018〕77号有什么不同", "", []string{"财税〔2018〕77号", "财税〔2018〕99号"}},
		{"year tells apart", "2018年44号文讲了什么", "", []string{"财税〔2018〕44号"}},
		{"two-digit year tells apart", "16年44号文讲了什么", "", []string{"冀财金〔2016〕44号"}},
		{"issuer tells apart", "冀财金44号文讲了什么", "", []string{"冀财金〔2016〕44号"}},

		{"number of two documents", "44号文讲了什么", ReasonAmbiguousDocNo, []string{"冀财金〔2016〕44号", "财税〔2018〕44号"}},
		{"number of two issuers", "2号文讲了什么", ReasonAmbiguousDocNo, []string{"冀制强省办〔2018〕2号", "冀政发〔2017〕2号"}},
		{"ambiguous beside a known one", "财税〔2018〕77号和44号文", ReasonAmbiguousDocNo, []string{"冀财金〔2016〕44号", "财税〔2018〕44号"}},

		{"issuer not in the corpus", "国税发〔2018〕77号讲了什么", ReasonUnknownDocNo, []string{}},
		{"provincial issuer", "冀财税〔2018〕77号讲了什么", ReasonUnknownDocNo, []string{}},
		{"year not in the corpus", "财税〔2019〕77号讲了什么", ReasonUnknownDocNo, []string{}},
		{"year before 年 not in the corpus", "财税2019年77号讲了什么", ReasonUnknownDocNo, []string{}},
		{"number not in the corpus", "财税〔2018〕78号讲了什么", ReasonUnknownDocNo, []string{}},
		{"号文 not in the corpus", "78号文讲了什么", ReasonUnknownDocNo, []string{}},
		{"公告 of another issuer", "省局公告2018年第17号讲了什么", ReasonUnknownDocNo, []string{}},
		{"unknown beside a known one", "财税〔2018〕77号和财税〔2018〕78号", ReasonUnknownDocNo, []string{}},

		{"a date", "5月1号之前按17%开出去的票怎么冲红", "", nil},
		{"a date after", "听说11月1号以后出口退税率又调了一次？", "", nil},
		{"a bare number", "楼77号的企业能享受吗", "", nil},
		{"a year and a day", "2018年77号之前成立的企业", "", nil},
		{"a numbered list", "（10）5号楼的企业有补贴吗", "", nil},
		{"a period", "截至2018年5号的申报", "", nil},
		{"not 文", "3号文化广场的企业有补贴吗", "", nil},
		{"inside a longer number", "编号12345678号文", "", nil},
		{"no number", "研发费用加计扣除比例是多少", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), Query{Question: tt.question, K: 10})
			if err != nil {
				t.Fatal(err)
			}
			docNoReason := res.Reason == ReasonUnknownDocNo || res.Reason == ReasonAmbiguousDocNo
			switch {
			case tt.want == nil:
				if docNoReason {
					t.Errorf("reason %q, want no 文号 judgement", res.Reason)
				}
				return
			case tt.reason != "":
				if res.Reason != tt.reason || res.Found {
					t.Errorf("found %v reason %q, want not found, %q", res.Found, res.Reason, tt.reason)
				}
			case docNoReason:
				t.Errorf("reason %q, want a search within %v", res.Reason, tt.want)
			}
			var got []string
			for i, h := range res.Hits {
				if h.Rank != i+1 {
					t.Errorf("hit %d has rank %d", i, h.Rank)
				}
				if !slices.Contains(got, h.DocNo) {
					got = append(got, h.DocNo)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if tt.reason == ReasonAmbiguousDocNo && len(res.Hits) != len(want) {
				t.Errorf("%d hits, want one per candidate: %v", len(res.Hits), want)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("hits from %v, want %v", got, want)
			}
		})
	}
}

// TestParseDocNos: the parts read from each spelling, without a corpus.
func TestParseDocNos(t *testing.T) {
	tests := []struct {
		in   string
		want string // run/year/num/strong of each mention, space-separated
	}{
		{"财税〔2018〕77号", "财税/2018/77/true"},
		{"财税【18】77号", "财税/2018/77/false"},
		{"财税【18】77号文", "财税/2018/77/true"},
		{"（10）5号楼", "/2010/5/false"},
		{"财税〔2018〕77", "财税/2018/77/false"},
		{"财税2018年77号", "财税/2018/77/false"},
		{"财税2018年第77号", "财税/2018/77/true"},
		{"请问77号文", "请问/0/77/true"},
		{"第77号文件", "/0/77/true"},
		{"财税77号", "财税/0/77/false"},
		{"国家税务总局2018年第23号公告", "国家税务总局公告/2018/23/true"},
		{"23号公告", "公告/0/23/true"},
		{"国务院令第708号", "国务院令/0/708/false"},
		{"财税〔2018〕99号和财税〔2018〕77号", "财税/2018/99/true 和财税/2018/77/true"},
		{"财税〔1800〕77号", ""},
		{"财税〔2018〕0号", ""},
		{"5月1号文件", ""},
		{"12345678号文", ""},
		{"abc2018年第3号", ""},
		{"3号文化", "/0/3/false"},
		{"财税２０１８年第７７号", "财税/2018/77/true"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			for _, m := range parseDocNos(tt.in) {
				got = append(got, fmt.Sprintf("%s/%d/%d/%v", m.run, m.year, m.num, m.strong))
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("got %q, want %q", g, tt.want)
			}
		})
	}
}

// TestParseDocNoBuiltin: every 文号 of the built-in corpus is read whole.
func TestParseDocNoBuiltin(t *testing.T) {
	for _, d := range loadBuiltin(t).Documents() {
		if d.DocNo == "" {
			continue
		}
		if k, ok := parseDocNo(d.DocNo); !ok || k.prefix == "" || k.num <= 0 || k.year == 0 {
			t.Errorf("parseDocNo(%q) = %+v, %v; want issuer, year and number", d.DocNo, k, ok)
		}
	}
}

// fuzzDocNos are the 文号 of the index FuzzResolve resolves against: two
// sharing a number, a 公告, other brackets, one without a year and one the
// parser does not read.
var fuzzDocNos = []string{"财税〔2018〕77号", "财税〔2018〕44号", "冀财金〔2016〕44号", "国家税务总局公告2018年第17号", "冀政办字﹝2017﹞127号", "国务院令第708号", "冀办传〔2018〕号"}

func fuzzDocNoIndex() *docNoIndex {
	var entries []entry
	for i, no := range fuzzDocNos {
		d := &corpus.Document{ID: fmt.Sprint("d", i), DocNo: no}
		for c := range 2 {
			entries = append(entries, entry{doc: d, chunk: corpus.Chunk{ID: fmt.Sprint(d.ID, "-", c)}})
		}
	}
	return newDocNoIndex(entries)
}

// FuzzResolve: the parser and resolver never panic, read only sane parts,
// reach exactly one verdict, and a question rewritten with the 文号 as
// printed names the same documents again.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{
		"财税〔2018〕77号讲了什么", "财税【18】77号", "财税 2018 年 77 号", "77号文", "44号文", "第17号公告",
		"国家税务总局2018年第17号公告", "请问财税77号文", "冀财税〔2018〕77号", "5月1号文件", "３号文化",
		"国务院令第708号", "冀办传〔2018〕号", "财税〔2018〕77号和44号文", "12345号文", "（18）77号（2018）",
		"财税〔18〕77㒌1号文",
	} {
		f.Add(s)
	}
	ix := fuzzDocNoIndex()
	f.Fuzz(func(t *testing.T, q string) {
		for _, m := range parseDocNos(q) {
			if m.start < 0 || m.end > len(q) || m.start >= m.end || m.num <= 0 || m.lit > len(m.run) ||
				m.year != 0 && (m.year < 1949 || m.year > 2099) {
				t.Fatalf("parseDocNos(%q): bad mention %+v", q, m)
			}
		}
		r := ix.resolve(q)
		verdicts := 0
		if r.reason != "" {
			verdicts++
		}
		if r.chunks != nil {
			verdicts++
		}
		if verdicts > 1 || r.reason == ReasonAmbiguousDocNo && len(r.candidates) < 2 ||
			r.reason != ReasonAmbiguousDocNo && len(r.candidates) > 0 {
			t.Fatalf("resolve(%q) = %+v: not one verdict", q, r)
		}
		if r.chunks == nil {
			if r.question != q {
				t.Fatalf("resolve(%q) rewrote the question to %q without naming a document", q, r.question)
			}
			return
		}
		if utf8.ValidString(q) && !utf8.ValidString(r.question) {
			t.Fatalf("resolve(%q) rewrote the question to invalid UTF-8 %q", q, r.question)
		}
		again := ix.resolve(r.question)
		if fmt.Sprint(again.chunks) != fmt.Sprint(r.chunks) {
			t.Fatalf("resolve(%q) names %v, but its rewrite %q names %v (%s)", q, r.chunks, r.question, again.chunks, again.reason)
		}
	})
}

// builtinIndex is the built-in corpus indexed with the offline defaults,
// built once for the tests that only search it.
var builtinIndex = sync.OnceValues(func() (*Index, error) {
	lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
	if err != nil {
		return nil, err
	}
	return Build(context.Background(), lib, Options{})
})

func buildBuiltin(t *testing.T) *Index {
	t.Helper()
	ix, err := builtinIndex()
	if err != nil {
		t.Fatal(err)
	}
	return ix
}
