package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/retrieval"
)

func cmdCorpus(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "corpus", "list [--json] | show ID | add FILE... | remove ID...",
		"List the documents, show one with its chunk boundaries and labels, or add and remove documents while the bot runs\n"+
			"(a running serve or wechat loads the change within corpus.watch).")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("corpus: want list, show, add or remove")
	}
	if err := g.load(); err != nil {
		return err
	}
	if fs.Arg(0) == "add" {
		return addDocs(g, fs.Args()[1:])
	}
	lib, err := g.library()
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "remove":
		if fs.NArg() < 2 {
			return errors.New("corpus remove: want document ids (see corpus list)")
		}
		gone := map[string]bool{} // ids removed with a file already
		for _, id := range fs.Args()[1:] {
			if gone[id] {
				continue
			}
			path, err := corpus.Remove(lib, g.cfg.AddedDocuments(), id)
			if err != nil {
				return fmt.Errorf("corpus %w", err)
			}
			d, _ := lib.Document(id)
			ids := corpus.SameFile(lib.Documents(), d)
			for _, o := range ids {
				gone[o] = true
			}
			if len(ids) > 1 {
				// A compilation's documents share its file.
				fmt.Fprintf(g.stdout, "removed %s and %s (%s)\n", id, strings.Join(ids[1:], " "), path)
				continue
			}
			fmt.Fprintf(g.stdout, "removed %s (%s)\n", id, path)
		}
		return nil
	case "list":
		lf := newFlags(g, "corpus list", "", "List the documents.")
		asJSON := lf.Bool("json", false, "one JSON object per document per line")
		if err := lf.Parse(fs.Args()[1:]); err != nil {
			return err
		}
		return listDocs(g.stdout, lib, *asJSON)
	case "show":
		if fs.NArg() != 2 {
			return errors.New("corpus show: want a document id (see corpus list)")
		}
		d, ok := lib.Document(fs.Arg(1))
		if !ok {
			return fmt.Errorf("corpus show: no document %q (see corpus list)", fs.Arg(1))
		}
		return showDoc(g.stdout, d)
	default:
		return fmt.Errorf("corpus: unknown subcommand %q", fs.Arg(0))
	}
}

// addDocs puts each file among the added documents, refusing one that
// does not read as a document.
func addDocs(g *global, files []string) error {
	if len(files) == 0 {
		return errors.New("corpus add: want one or more files")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("corpus add: %w", err)
		}
		docs, err := corpus.Add(g.cfg.AddedDocuments(), f, data)
		if err != nil {
			return fmt.Errorf("corpus %w", err)
		}
		for _, d := range docs {
			fmt.Fprintf(g.stdout, "added %s %s\n", d.ID, d.Cite())
		}
	}
	return nil
}

// docLine is the stable JSON shape of corpus list --json.
type docLine struct {
	ID             string `json:"id"`
	Title          string `json:"title"`
	DocNo          string `json:"doc_no"`
	Issuer         string `json:"issuer"`
	Domain         string `json:"domain"`
	Kind           string `json:"kind"`
	Issued         string `json:"issued"`
	EffectiveFrom  string `json:"effective_from"`
	EffectiveUntil string `json:"effective_until"`
	Chunks         int    `json:"chunks"`
	Text           string `json:"text"`
}

func listDocs(w io.Writer, lib *corpus.Library, asJSON bool) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, d := range lib.Documents() {
		if asJSON {
			if err := enc.Encode(docLine{d.ID, d.Title, d.DocNo, d.Issuer, d.Domain, d.Kind, d.Issued, d.EffectiveFrom, d.EffectiveUntil, len(d.Chunks), d.Body}); err != nil {
				return err
			}
			continue
		}
		until := d.EffectiveUntil
		if until == "" {
			until = "-"
		}
		fmt.Fprintf(bw, "%-26s %-4s %-4s %-22s %-10s %-10s %3d  %s\n", d.ID, d.Kind, d.Domain, orDash(d.DocNo), orDash(d.Issued), until, len(d.Chunks), d.Title)
	}
	return bw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func showDoc(w io.Writer, d corpus.Document) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s\nid %s\n", d.Cite(), d.ID)
	for _, f := range []struct{ key, name, value string }{
		{"title", "标题", d.Title}, {"doc_no", "文号", d.DocNo}, {"issuer", "发文机关", d.Issuer},
		{"issued", "发布日期", d.Issued}, {"effective_from", "施行日期", d.EffectiveFrom},
		{"effective_until", "有效期至", d.EffectiveUntil}, {"domain", "领域", d.Domain}, {"kind", "类别", d.Kind},
	} {
		origin := d.Origin[f.key]
		if origin == "" {
			origin = "printed nowhere"
		}
		fmt.Fprintf(bw, "  %-6s %-28s (%s)\n", f.name, orDash(f.value), origin)
	}
	if len(d.Repeals) > 0 {
		fmt.Fprintf(bw, "  废止   %s\n", strings.Join(d.Repeals, "、"))
	}
	if d.RepealedBy != "" {
		fmt.Fprintf(bw, "  已被废止 %s（%s起）\n", d.RepealedBy, orDash(d.RepealedOn))
	}
	if d.Newer != "" {
		fmt.Fprintf(bw, "  较新的同名文件 %s（%s）\n", d.Newer, d.NewerIssued)
	}
	for _, p := range d.PartsChanged {
		fmt.Fprintf(bw, "  %s已被%s %s（%s起）\n", p.Part, p.Verb(), p.By, orDash(p.On))
	}
	for _, c := range d.Chunks {
		fmt.Fprintf(bw, "\n──── [%d] %s  (%s)  %s\n", c.Ord+1, c.Label, strings.Join(c.Path, " > "), c.ID)
		fmt.Fprintln(bw, c.Text)
	}
	return bw.Flush()
}

func cmdRetrieve(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "retrieve", "[QUESTION]", "Show the clauses retrieval finds. With no QUESTION, read JSON lines {\"question\",\"history\"} from stdin.")
	asJSON := fs.Bool("json", false, "print the JSON contract shape")
	k := fs.Int("k", 0, "results (default retrieval.top_k)")
	domain := fs.String("domain", "", "only this domain: 工信, 发改, 科技, 财政 or 税务")
	kind := fs.String("kind", "", "only this kind: 原文 or 解读")
	inForce := fs.Bool("in-force", false, "only documents whose stated period has not ended")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := g.load(); err != nil {
		return err
	}
	ix, err := g.live(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetEscapeHTML(false)
	one := func(q retrieval.Query) error {
		q.K, q.Domain, q.Kind, q.InForce = *k, *domain, *kind, *inForce
		res, err := ix.Search(ctx, q)
		if err != nil {
			return err
		}
		if res.Hits == nil {
			res.Hits = []retrieval.Hit{}
		}
		if *asJSON {
			return enc.Encode(res)
		}
		fmt.Fprintf(g.stdout, "query: %s\nfound: %v\n", res.Query, res.Found)
		for _, h := range res.Hits {
			fmt.Fprintf(g.stdout, "\n%d. %.4f 《%s》%s %s\n%s\n", h.Rank, h.Score, h.Title, h.DocNo, h.Clause, h.Text)
		}
		return nil
	}
	if fs.NArg() > 0 {
		return one(retrieval.Query{Question: strings.Join(fs.Args(), " ")})
	}
	sc := bufio.NewScanner(g.stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var in struct {
			Question string   `json:"question"`
			History  []string `json:"history"`
		}
		if err := json.Unmarshal([]byte(line), &in); err != nil {
			return fmt.Errorf("retrieve: stdin line %d: %w", n, err)
		}
		if err := one(retrieval.Query{Question: in.Question, History: in.History}); err != nil {
			return fmt.Errorf("retrieve: stdin line %d: %w", n, err)
		}
	}
	return sc.Err()
}

func cmdEval(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "eval", "FILE...", "Measure retrieval on files shaped like dev.jsonl: clause hit@1, hit@5, doc hit@5, MRR@10 and the not-found rates, per set, per kind and overall.")
	k := fs.Int("k", 10, "results searched per question (at least 10)")
	misses := fs.Bool("misses", false, "also list the answerable items whose gold clause was not first, and the unanswerable items something was found for")
	anchor := fs.Bool("anchor", false, "also print, beside each line, the figures of plain BM25 over the same chunks (no vocabulary, vectors or rules; never refuses)")
	answers := fs.Bool("answers", false, "measure the answers instead: each question goes through the whole pipeline (with a model: its rewrite, restatement and judgement that no clause answers), found is the answer's, the ranks are of the clauses the answer cites, and a last line counts the answers whose lead is a gold sentence of the gold clause they cite first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *answers && *anchor {
		return errors.New("eval: --answers and --anchor measure different things; give one")
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("eval: want at least one FILE")
	}
	if err := g.load(); err != nil {
		return err
	}
	sets := make([][]retrieval.EvalItem, fs.NArg())
	for i, name := range fs.Args() {
		items, err := readEvalFile(name)
		if err != nil {
			return err
		}
		sets[i] = items
	}
	var ix *retrieval.Live
	var measured interface {
		Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error)
	}
	var given answerSearch
	if *answers {
		p, live, err := g.pipeline(ctx)
		if err != nil {
			return err
		}
		given = answerSearch{p: p, lib: live, given: map[string]answer.Result{}}
		ix, measured = live, given
	} else {
		live, err := g.live(ctx)
		if err != nil {
			return err
		}
		ix, measured = live, live
	}
	if t := ix.Taught(); t != nil && len(t.List()) > 0 {
		// What staff taught changes the figures; whoever reads them must
		// know, and may want retrieval alone.
		fmt.Fprintf(g.stderr, "eval: %d taught questions are in use; a data directory without them measures retrieval alone\n", len(t.List()))
	}
	for i, items := range sets {
		if fs.NArg() > 1 {
			if i > 0 {
				fmt.Fprintln(g.stdout)
			}
			fmt.Fprintf(g.stdout, "== %s\n", fs.Arg(i))
		}
		rep, err := retrieval.Evaluate(ctx, measured, items, *k)
		if err != nil {
			return err
		}
		if *misses {
			fmt.Fprintln(g.stdout, "not first:", strings.Join(rep.Overall.Misses, " "))
			fmt.Fprintln(g.stdout, "unanswerable, answered:", strings.Join(rep.Overall.Unrefused, " "))
		}
		if !*anchor {
			if err := rep.Write(g.stdout); err != nil {
				return err
			}
			if *answers {
				shown, of := given.leads(items)
				fmt.Fprintf(g.stdout, "%-14s a gold sentence for %d of %d answers citing a gold clause first\n", "lead", shown, of)
				wa, fa, wu, fu := given.weak(items)
				fmt.Fprintf(g.stdout, "%-14s no clause said to answer directly: answerable %d of %d answered, unanswerable %d of %d answered\n", "weak", wa, fa, wu, fu)
			}
			continue
		}
		arep, err := retrieval.Evaluate(ctx, ix.Anchor(), items, *k)
		if err != nil {
			return err
		}
		if err := rep.WriteBeside(g.stdout, arep); err != nil {
			return err
		}
	}
	return nil
}

// answerSearch measures answers as eval measures searches: found is the
// answer's, and the hits are the clauses it cites, in its order. It keeps
// each answer, by question and history, for what a search does not
// carry: the lead.
type answerSearch struct {
	p   *answer.Pipeline
	lib interface {
		Document(id string) (corpus.Document, bool)
	}
	given map[string]answer.Result
}

// asked keys an answer by its question and history.
func asked(question string, history []string) string {
	return strings.Join(append([]string{question}, history...), "\x00")
}

func (a answerSearch) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	ans, err := a.p.Answer(ctx, q.Question, q.History)
	if err != nil {
		return retrieval.Result{}, err
	}
	a.given[asked(q.Question, q.History)] = ans
	res := retrieval.Result{Question: q.Question, Query: ans.Query, Found: ans.Found, Reason: ans.Reason}
	for i, c := range ans.Citations {
		d, _ := a.lib.Document(c.DocID)
		res.Hits = append(res.Hits, retrieval.Hit{
			Rank: i + 1, DocID: c.DocID, Title: c.Title, DocNo: c.DocNo, Issuer: d.Issuer, Kind: d.Kind,
			Clause: c.Clause, Text: c.Text, ChunkID: c.ChunkID,
		})
	}
	return res, nil
}

// leads counts, of the answerable items whose answer cites a gold clause
// first, those whose lead is a gold sentence of it (retrieval.ShowsGold):
// what the first line a user reads shows of the answer.
func (a answerSearch) leads(items []retrieval.EvalItem) (shown, of int) {
	for _, it := range items {
		ans, ok := a.given[asked(it.Question, it.History)]
		if !it.Answerable || !ok || !ans.Found || len(ans.Citations) == 0 {
			continue
		}
		if gold, shows := retrieval.ShowsGold(it, ans.Citations[0].Text, ans.Lead); gold {
			of++
			if shows {
				shown++
			}
		}
	}
	return shown, of
}

// weak counts the answers that say no clause answers directly
// (answer.Result.Weak), of the answerable items answered and of the
// unanswerable ones answered.
func (a answerSearch) weak(items []retrieval.EvalItem) (weakAns, foundAns, weakUn, foundUn int) {
	for _, it := range items {
		ans, ok := a.given[asked(it.Question, it.History)]
		if !ok || !ans.Found {
			continue
		}
		switch {
		case it.Answerable:
			foundAns++
			if ans.Weak {
				weakAns++
			}
		default:
			foundUn++
			if ans.Weak {
				weakUn++
			}
		}
	}
	return weakAns, foundAns, weakUn, foundUn
}

// readEvalFile reads one evaluation file, naming it in any error.
func readEvalFile(name string) ([]retrieval.EvalItem, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	items, err := retrieval.ReadEval(f)
	if err != nil {
		return nil, fmt.Errorf("eval %s: %w", name, err)
	}
	return items, nil
}

// progressBar draws "embedding 320/780" on one terminal line.
func progressBar(w io.Writer, what string) func(done, total int) {
	return func(done, total int) {
		fmt.Fprintf(w, "\r%s %s/%d", what, strconv.Itoa(done), total)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}
