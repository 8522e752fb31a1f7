package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// docKeys is the contract of corpus list --json.
var docKeys = []string{"id", "title", "doc_no", "issuer", "domain", "kind", "issued", "effective_from", "effective_until", "chunks", "text"}

// listDocs runs corpus list --json and decodes its lines.
func listDocsJSON(t *testing.T, c cli, global ...string) []map[string]json.RawMessage {
	t.Helper()
	out, _ := c.mustRun(t, "", append(global, "corpus", "list", "--json")...)
	var docs []map[string]json.RawMessage
	for _, l := range lines(out) {
		docs = append(docs, object(t, []byte(l)))
	}
	return docs
}

func str(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("decode %s as a string: %v", raw, err)
	}
	return s
}

func TestCorpusListJSON(t *testing.T) {
	docs := listDocsJSON(t, newCLI(t))
	if got, want := len(docs), 47; got != want {
		t.Fatalf("got %d lines, want %d", got, want)
	}
	kinds := map[string]int{}
	ids := map[string]bool{}
	for i, d := range docs {
		what := "line " + strconv.Itoa(i+1)
		checkKeys(t, what, d, docKeys, nil)
		id := str(t, d["id"])
		if ids[id] {
			t.Errorf("%s: id %q repeated", what, id)
		}
		ids[id] = true
		kinds[str(t, d["kind"])]++
		var chunks int
		if err := json.Unmarshal(d["chunks"], &chunks); err != nil {
			t.Fatalf("%s: chunks %s: %v", what, d["chunks"], err)
		}
		if chunks <= 0 {
			t.Errorf("%s (%s): got %d chunks, want > 0", what, id, chunks)
		}
		if str(t, d["title"]) == "" || str(t, d["text"]) == "" {
			t.Errorf("%s (%s): got an empty title or text", what, id)
		}
	}
	for kind, want := range map[string]int{"解读": 5, "原文": 42} {
		if got := kinds[kind]; got != want {
			t.Errorf("got %d documents of kind %s, want %d", got, kind, want)
		}
	}
	if len(kinds) != 2 {
		t.Errorf("got kinds %v, want only 解读 and 原文", kinds)
	}
}

func TestCorpusCommands(t *testing.T) {
	c := newCLI(t)
	// The number of chunks of jcj-2016-27, to check show against list.
	var chunks int
	for _, d := range listDocsJSON(t, c) {
		if str(t, d["id"]) == "jcj-2016-27" {
			if err := json.Unmarshal(d["chunks"], &chunks); err != nil {
				t.Fatal(err)
			}
		}
	}
	if chunks == 0 {
		t.Fatal("corpus list --json has no jcj-2016-27")
	}
	tests := []struct {
		name string
		args []string
		// want are pieces of stdout, in this order.
		want []string
		// lines is the number of non-empty stdout lines, when not zero.
		lines int
		// boundaries is the number of chunk boundaries, when not zero.
		boundaries int
		// wantErr is a piece of the error; empty means success.
		wantErr string
	}{
		{name: "list", args: []string{"corpus", "list"}, lines: 47, want: []string{"jiedu-gongxin", "jcj-2016-27", "冀财金〔2016〕27号"}},
		{
			name:       "show",
			args:       []string{"corpus", "show", "jcj-2016-27"},
			want:       []string{"《河北省资产证券化奖励资金管理办法》（冀财金〔2016〕27号）", "id jcj-2016-27", "──── [1] 正文", "] 第八条", "] 第九条  (第三章 资金的申报和发放)", "第九条 "},
			boundaries: chunks,
		},
		{name: "show unknown", args: []string{"corpus", "show", "no-such-doc"}, wantErr: `"no-such-doc"`},
		{name: "show without id", args: []string{"corpus", "show"}, wantErr: "document id"},
		{name: "no subcommand", args: []string{"corpus"}, wantErr: "list, show, add or remove"},
		{name: "unknown subcommand", args: []string{"corpus", "burn"}, wantErr: `"burn"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := c.run(t, "", tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v; stderr:\n%s", err, stderr)
			}
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("got stdout without %q (in order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			if tt.lines > 0 {
				if got := len(lines(out)); got != tt.lines {
					t.Errorf("got %d lines, want %d", got, tt.lines)
				}
			}
			if tt.boundaries > 0 {
				if got := strings.Count(out, "\n──── ["); got != tt.boundaries {
					t.Errorf("got %d chunk boundaries, want %d (the chunks corpus list reports)", got, tt.boundaries)
				}
			}
		})
	}
}

// userDocs are documents in the form a user's corpus folder holds.
const (
	droneDoc = `---
id: test-drone-2018
title: 河北省测试厅关于支持无人机产业发展的通知
doc_no: 冀测〔2018〕1号
issuer: 河北省测试厅
domain: 工信
kind: 原文
issued: "2018-05-01"
effective_from: ""
effective_until: ""
---

河北省测试厅关于支持无人机产业发展的通知
第一条 对在本省新设立的无人机整机制造企业，给予一次性奖励50万元。
第二条 无人机企业研发投入超过1000万元的，按研发投入的10%给予补助。
第三条 本通知自发布之日起施行。
`
	boatDoc = `---
id: test-boat-2018
title: 河北省测试厅关于支持游艇制造业发展的通知
doc_no: 冀测〔2018〕2号
issuer: 河北省测试厅
domain: 工信
kind: 原文
issued: "2018-06-01"
effective_from: "2018-06-01"
effective_until: "2019-05-31"
---

河北省测试厅关于支持游艇制造业发展的通知
第一条 对新建游艇码头的企业，按码头投资额的5%给予补助，最高不超过200万元。
第二条 本通知有效期一年。
`
)

// corpusDir makes a folder holding files, name → content.
func corpusDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestExtraCorpusFolder(t *testing.T) {
	c := newCLI(t)
	drones := corpusDir(t, map[string]string{"drone.md": droneDoc, "notes.pdf": "not a document"})
	boats := corpusDir(t, map[string]string{"boat.md": boatDoc})

	t.Run("added to the built-in corpus", func(t *testing.T) {
		docs := listDocsJSON(t, c, "--corpus", drones)
		if got, want := len(docs), 48; got != want {
			t.Fatalf("got %d documents, want %d", got, want)
		}
		last := docs[len(docs)-1]
		for key, want := range map[string]string{"id": "test-drone-2018", "doc_no": "冀测〔2018〕1号", "kind": "原文", "issued": "2018-05-01"} {
			if got := str(t, last[key]); got != want {
				t.Errorf("last document %s: got %q, want %q", key, got, want)
			}
		}
		out, _ := c.mustRun(t, "", "--corpus", drones, "corpus", "show", "test-drone-2018")
		if !strings.Contains(out, "《河北省测试厅关于支持无人机产业发展的通知》（冀测〔2018〕1号）") || !strings.Contains(out, "第一条 对在本省新设立的无人机整机制造企业") {
			t.Errorf("got corpus show:\n%s\nwant the citation and the first article", out)
		}
	})

	t.Run("repeated flag", func(t *testing.T) {
		docs := listDocsJSON(t, c, "--corpus", drones, "--corpus", boats)
		if got, want := len(docs), 49; got != want {
			t.Fatalf("got %d documents, want %d", got, want)
		}
		if got := str(t, docs[48]["id"]); got != "test-boat-2018" {
			t.Errorf("got last id %q, want test-boat-2018", got)
		}
	})

	t.Run("without the flag", func(t *testing.T) {
		if got, want := len(listDocsJSON(t, c)), 47; got != want {
			t.Errorf("got %d documents, want %d", got, want)
		}
	})

	// With the built-in corpus off, the index is small and quick to
	// build, so retrieval over a --corpus folder can be checked too.
	cfg := configFile(t, fmt.Sprintf("corpus:\n  builtin: false\n  dirs: [%q]\n", drones))
	t.Run("built-in corpus off", func(t *testing.T) {
		var ids []string
		for _, d := range listDocsJSON(t, c, "--config", cfg, "--corpus", boats) {
			ids = append(ids, str(t, d["id"]))
		}
		if len(ids) != 2 || ids[0] != "test-drone-2018" || ids[1] != "test-boat-2018" {
			t.Fatalf("got documents %v, want [test-drone-2018 test-boat-2018]", ids)
		}
	})
	t.Run("the flag supplies the only folder", func(t *testing.T) {
		// corpus.builtin: false with no folder in the file is valid once
		// --corpus gives one: flags apply before validation.
		only := configFile(t, "corpus:\n  builtin: false\n")
		docs := listDocsJSON(t, c, "--config", only, "--corpus", boats)
		if len(docs) != 1 || str(t, docs[0]["id"]) != "test-boat-2018" {
			t.Fatalf("got %d documents, want only test-boat-2018", len(docs))
		}
	})
	t.Run("the built-in corpus off by flag", func(t *testing.T) {
		docs := listDocsJSON(t, c, "--no-builtin", "--corpus", boats)
		if len(docs) != 1 || str(t, docs[0]["id"]) != "test-boat-2018" {
			t.Fatalf("got %d documents, want only test-boat-2018", len(docs))
		}
		if _, stderr, err := c.run(t, "", "--no-builtin", "corpus", "list"); err == nil || !strings.Contains(stderr+err.Error(), "corpus.dirs") {
			t.Errorf("--no-builtin without a folder: err %v, stderr %q; want an error naming corpus.dirs", err, stderr)
		}
	})
	t.Run("the same folder twice", func(t *testing.T) {
		docs := listDocsJSON(t, c, "--config", cfg, "--corpus", drones)
		if len(docs) != 1 {
			t.Fatalf("got %d documents, want the folder's 1 once", len(docs))
		}
	})
	t.Run("retrieval finds a flag's document", func(t *testing.T) {
		out, _ := c.mustRun(t, "", "--config", cfg, "--corpus", boats, "retrieve", "--json", "-k", "1", "新建游艇码头有补助吗？")
		_, found, hits := checkRetrieve(t, out)
		if !found || len(hits) != 1 || str(t, hits[0]["doc_id"]) != "test-boat-2018" {
			t.Errorf("got found %v, results %v; want test-boat-2018 found", found, hits)
		}
	})
}

// retrieveKeys and hitKeys are the contract of retrieve --json; the
// allowed lists are extras the contract tolerates.
var (
	retrieveKeys    = []string{"question", "query", "found", "results"}
	retrieveAllowed = []string{"reason", "coverage", "corpus_version"}
	hitKeys         = []string{"rank", "score", "doc_id", "title", "doc_no", "issuer", "kind", "clause", "text"}
	hitAllowed      = []string{"chunk_id"}
)

// retrieved is one retrieve --json line, checked against the contract.
type retrieved struct {
	question, query string
	found           bool
	hits            []map[string]json.RawMessage
}

// checkRetrieve checks one retrieve --json line and decodes it.
func checkRetrieve(t *testing.T, line string) (question string, found bool, hits []map[string]json.RawMessage) {
	t.Helper()
	r := decodeRetrieve(t, line)
	return r.question, r.found, r.hits
}

func decodeRetrieve(t *testing.T, line string) retrieved {
	t.Helper()
	obj := object(t, []byte(line))
	checkKeys(t, "result", obj, retrieveKeys, retrieveAllowed)
	r := retrieved{question: str(t, obj["question"]), query: str(t, obj["query"])}
	if err := json.Unmarshal(obj["found"], &r.found); err != nil {
		t.Fatalf("found %s: %v", obj["found"], err)
	}
	if got := strings.TrimSpace(string(obj["results"])); !strings.HasPrefix(got, "[") {
		t.Errorf("got results %s, want an array", got)
	}
	if err := json.Unmarshal(obj["results"], &r.hits); err != nil {
		t.Fatalf("results %s: %v", obj["results"], err)
	}
	for i, h := range r.hits {
		what := "results[" + strconv.Itoa(i) + "]"
		checkKeys(t, what, h, hitKeys, hitAllowed)
		var rank int
		if err := json.Unmarshal(h["rank"], &rank); err != nil || rank != i+1 {
			t.Errorf("%s: got rank %s, want %d", what, h["rank"], i+1)
		}
	}
	return r
}

func TestRetrieve(t *testing.T) {
	t.Parallel()
	c := indexedCLI()
	const bike = "做自行车的，评上省级数字化车间能奖多少钱？"
	tests := []struct {
		name      string
		args      []string
		wantHits  int // 0: any number
		wantFound bool
		wantDoc   string // doc_id of the first result, when not empty
	}{
		{name: "default k", args: []string{"retrieve", "--json", bike}, wantHits: 5, wantFound: true, wantDoc: "jzqsb-2018-2"},
		{name: "-k 3", args: []string{"retrieve", "--json", "-k", "3", bike}, wantHits: 3, wantFound: true, wantDoc: "jzqsb-2018-2"},
		{name: "other region", args: []string{"retrieve", "--json", "天津对高新技术企业认定有什么奖励？"}, wantFound: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := c.mustRun(t, "", tt.args...)
			ls := lines(out)
			if len(ls) != 1 {
				t.Fatalf("got %d lines, want 1:\n%s", len(ls), out)
			}
			q, found, hits := checkRetrieve(t, ls[0])
			if want := tt.args[len(tt.args)-1]; q != want {
				t.Errorf("got question %q, want %q", q, want)
			}
			if found != tt.wantFound {
				t.Errorf("got found %v, want %v", found, tt.wantFound)
			}
			if tt.wantHits > 0 && len(hits) != tt.wantHits {
				t.Errorf("got %d results, want %d", len(hits), tt.wantHits)
			}
			if tt.wantDoc != "" && (len(hits) == 0 || str(t, hits[0]["doc_id"]) != tt.wantDoc) {
				t.Errorf("got first result %v, want doc_id %s", hits, tt.wantDoc)
			}
		})
	}

	t.Run("plain text, words joined", func(t *testing.T) {
		out, _ := c.mustRun(t, "", "retrieve", "-k", "2", "做自行车的，", "评上省级数字化车间能奖多少钱？")
		for _, w := range []string{"query: 做自行车的， 评上省级数字化车间能奖多少钱？", "found: true", "\n1. ", "\n2. ", "冀制强省办〔2018〕2号"} {
			if !strings.Contains(out, w) {
				t.Errorf("got stdout without %q:\n%s", w, out)
			}
		}
		if strings.Contains(out, "\n3. ") {
			t.Errorf("got a third result with -k 2:\n%s", out)
		}
	})
}

func TestRetrieveStdin(t *testing.T) {
	t.Parallel()
	c := indexedCLI()
	// An empty file makes every corpus load warn once, which shows how
	// often the index is loaded; it adds no chunk, so the index built by
	// TestMain still serves.
	dir := corpusDir(t, map[string]string{"empty.md": ""})
	const (
		bike     = "做自行车的，评上省级数字化车间能奖多少钱？"
		national = "那国家级的呢？"
	)
	tests := []struct {
		name    string
		stdin   string
		want    []string // the questions echoed, one per output line
		wantErr string
	}{
		{
			name: "three questions, one with history, blank line, no final newline",
			stdin: `{"question":"` + bike + `"}` + "\n\n" +
				`{"question":"` + national + `","history":["` + bike + `"]}` + "\n" +
				`{"question":"` + national + `"}`,
			want: []string{bike, national, national},
		},
		{name: "empty stdin", stdin: "", want: nil},
		{
			name:    "malformed third line",
			stdin:   `{"question":"小型微利企业所得税"}` + "\n\n" + `{"question": oops}` + "\n" + `{"question":"x"}` + "\n",
			want:    []string{"小型微利企业所得税"},
			wantErr: "line 3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := c.run(t, tt.stdin, "--corpus", dir, "retrieve", "--json", "-k", "3")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v; stderr:\n%s", err, stderr)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got error %v, want one naming %s", err, tt.wantErr)
			}
			ls := lines(out)
			if len(ls) != len(tt.want) {
				t.Fatalf("got %d output lines, want %d:\n%s", len(ls), len(tt.want), out)
			}
			var got []retrieved
			for i, l := range ls {
				r := decodeRetrieve(t, l)
				if r.question != tt.want[i] {
					t.Errorf("line %d: got question %q, want %q", i+1, r.question, tt.want[i])
				}
				if len(r.hits) != 3 {
					t.Errorf("line %d: got %d results, want 3", i+1, len(r.hits))
				}
				got = append(got, r)
			}
			if got := strings.Count(stderr, `msg="skip corpus file" file=`+filepath.Join(dir, "empty.md")); got != 1 {
				t.Errorf("got the corpus loaded %d times, want once; stderr:\n%s", got, stderr)
			}
			if len(got) == 3 {
				// The history reaches retrieval: the follow-up's query
				// carries the earlier question, the same question without
				// history does not.
				if with, without := got[1].query, got[2].query; with == without || !strings.Contains(with, "数字化车间") {
					t.Errorf("got query %q with history and %q without, want the history folded in", with, without)
				}
			}
		})
	}
}

// TestEvalAnswers: eval --answers measures what the whole pipeline
// answers: a model that judges no clause to answer makes every question
// not found, which retrieval alone never says.
func TestEvalAnswers(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&fakeChat{status: http.StatusOK, content: "【条款未涉及】"})
	defer srv.Close()
	c := indexedCLI().with("OPENAI_BASE_URL", srv.URL+"/v1", "OPENAI_API_KEY", "test-key", "POLICYBOT_LLM_MODEL", "fake")
	cfg := configFile(t, "llm:\n  max_retries: 0\n  timeout: 5s\n  policy_queries: 0\n")
	file := writeFile(t, "eval.jsonl", `{"id":"t1","question":"做自行车的，评上省级数字化车间能奖多少钱？","history":[],"answerable":true,"kind":"number","gold":[{"doc":"冀制强省办〔2018〕2号","clause":"省级智能工厂和数字化车间的企业分别给予90万元和40万元"}]}`+"\n")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"retrieval", []string{"--config", cfg, "eval", file}, "hit@1 1.00  hit@5 1.00  doc hit@5 1.00  MRR@10 1.00  not-found: unanswerable 0.00 (0)  answerable 0.00"},
		{"answers", []string{"--config", cfg, "eval", "--answers", file}, "hit@1 0.00  hit@5 0.00  doc hit@5 0.00  MRR@10 0.00  not-found: unanswerable 0.00 (0)  answerable 1.00"},
		{"no lead measured of an answer not found", []string{"--config", cfg, "eval", "--answers", file}, "a gold sentence for 0 of 0 answers"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := c.run(t, "", tt.args...)
			if err != nil {
				t.Fatalf("got error %v; stderr:\n%s", err, stderr)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("got\n%s\nwant a line with %q", out, tt.want)
			}
		})
	}
}

func TestEval(t *testing.T) {
	t.Parallel()
	c := indexedCLI()
	items := `{"id":"t1","question":"做自行车的，评上省级数字化车间能奖多少钱？","history":[],"answerable":true,"kind":"number","gold":[{"doc":"冀制强省办〔2018〕2号","clause":"省级智能工厂和数字化车间的企业分别给予90万元和40万元"}]}
{"id":"t2","question":"天津对高新技术企业认定有什么奖励？","history":[],"answerable":false,"kind":"unanswerable","gold":[]}
`
	file := writeFile(t, "eval.jsonl", items)
	bad := writeFile(t, "bad.jsonl", items+"{not json\n")
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{name: "report with misses", args: []string{"eval", "--misses", "-k", "10", file}, want: []string{"not first:", "unanswerable, answered:", "number", "overall        n=2", "hit@1 1.00"}},
		{name: "bad line", args: []string{"eval", bad}, wantErr: "line 3"},
		{name: "a bad file among good ones is named", args: []string{"eval", file, bad}, wantErr: "bad.jsonl"},
		{name: "several sets, anchor beside", args: []string{"eval", "--anchor", file, file}, want: []string{"== " + file, "overall        n=2", "| anchor hit@1"}},
		{name: "answers", args: []string{"eval", "--answers", file}, want: []string{"overall        n=2", "hit@1 1.00", "not-found: unanswerable 1.00 (1)  answerable 0.00", "lead           a gold sentence for 1 of 1 answers citing a gold clause first"}},
		{name: "answers and anchor", args: []string{"eval", "--answers", "--anchor", file}, wantErr: "give one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := c.run(t, "", tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v; stderr:\n%s", err, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("got stdout without %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestEvalSaysTaught: eval says when what staff taught is in use, since it
// changes the figures; with nothing taught it says nothing.
func TestEvalSaysTaught(t *testing.T) {
	c := newCLI(t)
	file := writeFile(t, "eval.jsonl", `{"id":"t1","question":"做自行车的，评上省级数字化车间能奖多少钱？","history":[],"answerable":true,"kind":"number","gold":[{"doc":"冀制强省办〔2018〕2号","clause":"省级智能工厂和数字化车间的企业分别给予90万元和40万元"}]}`+"\n")
	const says = "taught questions are in use"
	if _, stderr := c.mustRun(t, "", "eval", file); strings.Contains(stderr, says) {
		t.Errorf("nothing taught, yet stderr says:\n%s", stderr)
	}
	dir := filepath.Join(c.dataDir, "taught")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "taught.jsonl"), []byte(`{"id":"abc","question":"驾照到期了去哪换","none":true,"added":"2026-11-01T00:00:00Z"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr := c.mustRun(t, "", "eval", file); !strings.Contains(stderr, "1 "+says) {
		t.Errorf("one question taught, stderr:\n%s\nwant it said", stderr)
	}
}

// TestCorpusAddRemoveCompilation: corpus add of a compilation adds each
// of its documents; removing one removes its file, and says which others
// went with it.
func TestCorpusAddRemoveCompilation(t *testing.T) {
	c := newCLI(t)
	file := filepath.Join(t.TempDir(), "huibian.txt")
	const text = "某市人民政府\n关于支持小微企业发展的若干意见\n某政发〔2023〕5号\n各区县人民政府，市政府各部门：\n一、对新设立的小微企业，给予一次性开办补贴2万元。\n二、本意见自印发之日起施行。\n某市人民政府\n2023年3月1日\n" +
		"某市财政局\n关于技术改造补助的通知\n某财企〔2023〕12号\n各区县财政局：\n一、对设备投资500万元以上的技术改造项目，按设备投资额的10%给予补助。\n二、本通知自印发之日起施行。\n某市财政局\n2023年6月8日\n"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := c.mustRun(t, "", "--no-builtin", "--corpus", t.TempDir(), "corpus", "add", file)
	if !strings.Contains(out, "added huibian-01 《某市人民政府关于支持小微企业发展的若干意见》（某政发〔2023〕5号）") || !strings.Contains(out, "added huibian-02 ") {
		t.Fatalf("corpus add:\n%s\nwant both documents added", out)
	}
	out, _ = c.mustRun(t, "", "corpus", "remove", "huibian-01", "huibian-02")
	if !strings.Contains(out, "removed huibian-01 and huibian-02 (") || strings.Count(out, "removed") != 1 {
		t.Errorf("corpus remove:\n%s\nwant one line saying both went", out)
	}
	for _, d := range listDocsJSON(t, c) {
		if strings.HasPrefix(str(t, d["id"]), "huibian") {
			t.Errorf("%s is still listed", str(t, d["id"]))
		}
	}
}
