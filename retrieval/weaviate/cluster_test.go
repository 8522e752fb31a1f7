package weaviate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/retrieval"
)

// The integration tests run against the cluster .ci/cluster starts; they
// skip when it is not there.

// clusterHosts are the nodes of the test cluster.
func clusterHosts(t testing.TB) []string {
	t.Helper()
	v := os.Getenv("POLICYBOT_TEST_WEAVIATE")
	if v == "" && os.Getenv("CI") != "" {
		t.Fatal("POLICYBOT_TEST_WEAVIATE is not set under CI: .ci/run starts the cluster and sets it")
	}
	if v == "" {
		t.Skip("POLICYBOT_TEST_WEAVIATE is not set: run `.ci/cluster start` and export what it prints to test against a Weaviate cluster")
	}
	return strings.Split(v, ",")
}

var nonWord = regexp.MustCompile(`[^0-9A-Za-z]+`)

// className is a class of its own for one test: tests never share data.
func className(t testing.TB) string {
	var b [4]byte
	rand.Read(b[:])
	name := nonWord.ReplaceAllString(t.Name(), "")
	return "T" + name[:min(len(name), 40)] + hex.EncodeToString(b[:])
}

// clusterStore is a Store on the test cluster with a class of its own,
// dropped when the test ends.
func clusterStore(t testing.TB, opts Options) *Store {
	t.Helper()
	if opts.Hosts == nil {
		opts.Hosts = clusterHosts(t)
	}
	if opts.Class == "" {
		opts.Class = className(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropClass(t, s) })
	return s
}

func dropClass(t testing.TB, s *Store) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := s.do(ctx, "drop the class", func(ctx context.Context, c *wv.Client) error {
		return c.Schema().ClassDeleter().WithClassName(s.class).Do(ctx)
	})
	if err != nil {
		t.Logf("drop class %s: %v", s.class, err)
	}
}

// stored is what the class holds: each chunk's last update time.
func storedObjects(t testing.TB, s *Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	after := ""
	for {
		var rows []map[string]any
		err := s.do(context.Background(), "list", func(ctx context.Context, c *wv.Client) error {
			g := c.GraphQL().Get().WithClassName(s.class).WithLimit(1000).WithFields(graphql.Field{Name: propChunk},
				graphql.Field{Name: "_additional", Fields: []graphql.Field{{Name: "id"}, {Name: "lastUpdateTimeUnix"}}})
			if after != "" {
				g = g.WithAfter(after)
			}
			resp, err := g.Do(ctx)
			if err != nil {
				return err
			}
			rows, err = s.rows(resp)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			add := r["_additional"].(map[string]any)
			var ts int64
			fmt.Sscan(fmt.Sprint(add["lastUpdateTimeUnix"]), &ts)
			out[r[propChunk].(string)] = ts
			after = add["id"].(string)
		}
		if len(rows) < 1000 {
			return out
		}
	}
}

// unit is a random unit vector of n dimensions.
func unit(r *mrand.Rand, n int) []float32 {
	v := make([]float32, n)
	var s float64
	for i := range v {
		x := r.NormFloat64()
		v[i] = float32(x)
		s += x * x
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(s))
	}
	return v
}

// testDoc is a document of n clauses with random vectors.
func testDoc(r *mrand.Rand, id string, n int, text string) []retrieval.Clause {
	var out []retrieval.Clause
	for i := range n {
		out = append(out, retrieval.Clause{
			ID: fmt.Sprintf("%s-%d", id, i), DocID: id, Domain: "财政", Kind: "原文",
			Text: fmt.Sprintf("%s 第%d条 %s", id, i, text), Vector: unit(r, 16),
		})
	}
	return out
}

func syncOK(t *testing.T, s *Store, cs []retrieval.Clause) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.Sync(ctx, cs); err != nil {
		t.Fatal(err)
	}
}

func chunkIDs(cs []retrieval.Clause) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

func keys(m map[string]int64) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestSyncIncremental: a sync writes only the documents that changed,
// removes the ones gone, and a second sync of the same clauses writes
// nothing; a document cut short by an interrupted sync is written again.
func TestSyncIncremental(t *testing.T) {
	s := clusterStore(t, Options{})
	r := mrand.New(mrand.NewPCG(1, 2))
	a := testDoc(r, "a", 3, "小型微利企业所得税减半征收")
	b := testDoc(r, "b", 4, "研发费用加计扣除")
	c := testDoc(r, "c", 2, "高新技术企业认定")
	all := slices.Concat(a, b, c)

	syncOK(t, s, all)
	if got := s.written.Load(); got != int64(len(all)) {
		t.Errorf("first sync wrote %d objects, want %d", got, len(all))
	}
	first := storedObjects(t, s)
	if !slices.Equal(keys(first), chunkIDs(all)) {
		t.Fatalf("stored %v, want %v", keys(first), chunkIDs(all))
	}

	// Object update times have a millisecond grain: let a write show.
	time.Sleep(5 * time.Millisecond)
	syncOK(t, s, all)
	if got := s.written.Load(); got != 0 {
		t.Errorf("second sync wrote %d objects, want none", got)
	}
	if again := storedObjects(t, s); !mapsEqual(again, first) {
		t.Errorf("second sync changed objects:\nbefore %v\nafter  %v", first, again)
	}

	// b changes one clause and loses another, c goes, d comes.
	b2 := slices.Clone(b[:3])
	b2[1].Text = "研发费用加计扣除比例提高到100%"
	d := testDoc(r, "d", 2, "稳岗返还")
	next := slices.Concat(a, b2, d)
	syncOK(t, s, next)
	if got, want := s.written.Load(), int64(len(b2)+len(d)); got != want {
		t.Errorf("sync of a change wrote %d objects, want %d (document b and d)", got, want)
	}
	if got := s.deleted.Load(); got != 1 {
		t.Errorf("sync removed %d documents, want 1 (c)", got)
	}
	after := storedObjects(t, s)
	if !slices.Equal(keys(after), chunkIDs(next)) {
		t.Errorf("stored %v, want %v", keys(after), chunkIDs(next))
	}
	for _, cl := range a {
		if after[cl.ID] != first[cl.ID] {
			t.Errorf("unchanged clause %s was written again", cl.ID)
		}
	}
	// The changed text is what is found.
	got, err := s.Search(context.Background(), retrieval.BackendQuery{Text: "比例提高到100%", N: 1})
	if err != nil || len(got) == 0 || got[0].ID != b2[1].ID {
		t.Errorf("search for the changed text = %v, %v; want %s", got, err, b2[1].ID)
	}

	syncOK(t, s, next)
	if got := s.written.Load(); got != 0 {
		t.Errorf("sync after the change wrote %d objects again, want none", got)
	}

	// An interrupted sync left document a short of a clause.
	err = s.deleteWhere(context.Background(), whereChunk(a[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	syncOK(t, s, next)
	if got := s.written.Load(); got != int64(len(a)) {
		t.Errorf("sync after a lost clause wrote %d objects, want document a's %d", got, len(a))
	}
	if final := storedObjects(t, s); !slices.Equal(keys(final), chunkIDs(next)) {
		t.Errorf("stored %v, want %v", keys(final), chunkIDs(next))
	}

	// A second replica of the same corpus finds nothing to do.
	s2, err := New(context.Background(), Options{Hosts: clusterHosts(t), Class: s.class})
	if err != nil {
		t.Fatal(err)
	}
	syncOK(t, s2, next)
	if got := s2.written.Load(); got != 0 {
		t.Errorf("another replica's sync wrote %d objects, want none", got)
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestSearchFilters: every filter of a query holds on what comes back,
// and keeps what it should.
func TestSearchFilters(t *testing.T) {
	s := clusterStore(t, Options{})
	r := mrand.New(mrand.NewPCG(3, 4))
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	mk := func(id, domain, kind string, ends time.Time) []retrieval.Clause {
		cs := testDoc(r, id, 2, "企业研发费用补贴申报")
		for i := range cs {
			cs[i].Domain, cs[i].Kind, cs[i].Ends = domain, kind, ends
		}
		return cs
	}
	docs := slices.Concat(
		mk("tax-open", "税务", "原文", time.Time{}),
		mk("tax-old", "税务", "原文", day(2021, 1, 1)),
		mk("fin-open", "财政", "原文", time.Time{}),
		mk("fin-read", "财政", "解读", day(2030, 1, 1)),
		mk("tech-ends", "科技", "原文", day(2024, 3, 2)),
	)
	syncOK(t, s, docs)
	docOf := func(id string) string { return id[:strings.LastIndex(id, "-")] }
	vec := unit(r, 16)
	tests := []struct {
		name string
		q    retrieval.BackendQuery
		want []string // the documents found, sorted
	}{
		{"none", retrieval.BackendQuery{}, []string{"fin-open", "fin-read", "tax-old", "tax-open", "tech-ends"}},
		{"domain", retrieval.BackendQuery{Domain: "税务"}, []string{"tax-old", "tax-open"}},
		{"kind", retrieval.BackendQuery{Kind: "解读"}, []string{"fin-read"}},
		{"in force", retrieval.BackendQuery{InForceAt: time.Date(2024, 3, 1, 20, 0, 0, 0, time.FixedZone("CST", 8*3600))},
			[]string{"fin-open", "fin-read", "tax-open", "tech-ends"}},
		{"in force the day it ends", retrieval.BackendQuery{InForceAt: day(2024, 3, 2)}, []string{"fin-open", "fin-read", "tax-open"}},
		{"documents", retrieval.BackendQuery{DocIDs: []string{"tax-old", "tech-ends"}}, []string{"tax-old", "tech-ends"}},
		{"all at once", retrieval.BackendQuery{Domain: "财政", Kind: "原文", InForceAt: day(2025, 1, 1), DocIDs: []string{"fin-open", "tax-open"}}, []string{"fin-open"}},
	}
	for _, tt := range tests {
		for _, mode := range []string{"hybrid", "keywords"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				q := tt.q
				q.Text, q.N = "研发费用补贴", 50
				if mode == "hybrid" {
					q.Vector = vec
				}
				got, err := s.Search(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				seen := map[string]bool{}
				for i, c := range got {
					seen[docOf(c.ID)] = true
					if i > 0 && c.Score > got[i-1].Score {
						t.Errorf("not best first: %v", got)
					}
				}
				var found []string
				for d := range seen {
					found = append(found, d)
				}
				slices.Sort(found)
				if !slices.Equal(found, tt.want) {
					t.Errorf("found %v, want %v", found, tt.want)
				}
			})
		}
	}
	t.Run("N", func(t *testing.T) {
		got, err := s.Search(context.Background(), retrieval.BackendQuery{Text: "研发费用补贴", Vector: vec, N: 3})
		if err != nil || len(got) != 3 {
			t.Errorf("got %d candidates, %v; want 3", len(got), err)
		}
	})
}

// devSetPath is the development evaluation set beside the clone.
const devSetPath = "../../../shared/eval/dev.jsonl"

func devSet(t testing.TB) []retrieval.EvalItem {
	t.Helper()
	f, err := os.Open(devSetPath)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("open dev set: %v", err)
		}
		t.Skipf("dev set not here: %v", err)
	}
	defer f.Close()
	items, err := retrieval.ReadEval(f)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// evaluate scores the dev set through an index of the built-in corpus on
// backend (nil: chromem-go in this process).
// dir, shared by the calls of one test, keeps the fitted embedder and the
// vectors: fitting them is most of the time building takes.
func evaluate(t testing.TB, items []retrieval.EvalItem, dir string, backend retrieval.Backend) retrieval.Report {
	t.Helper()
	ctx := context.Background()
	lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := retrieval.Options{Dir: dir}
	if backend != nil {
		opts.Backend = backend
	}
	ix, err := retrieval.Build(ctx, lib, opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := retrieval.Evaluate(ctx, ix, items, 10)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func table(rep retrieval.Report) string {
	var b strings.Builder
	rep.Write(&b)
	return b.String()
}

// TestDevSetThroughWeaviate holds the index on the Weaviate backend to
// the embedded one's clause hit@5 on the development set, within 0.02.
func TestDevSetThroughWeaviate(t *testing.T) {
	hosts := clusterHosts(t)
	items := devSet(t)
	dir := t.TempDir()
	embedded := evaluate(t, items, dir, nil)
	s := clusterStore(t, Options{Hosts: hosts})
	through := evaluate(t, items, dir, s)
	t.Logf("embedded:\n%s\nweaviate (%s, alpha %.2f):\n%s", table(embedded), s.tok, s.alpha, table(through))
	e, w := embedded.Overall, through.Overall
	if w.ClauseHit5 < e.ClauseHit5-0.02 {
		t.Errorf("clause hit@5 through weaviate %.3f, embedded %.3f: more than 0.02 below", w.ClauseHit5, e.ClauseHit5)
	}
}

// clusterScript is .ci/cluster, which the node-down test uses to kill a
// node and start it again.
func clusterScript(t *testing.T) string {
	t.Helper()
	if os.Getenv("POLICYBOT_CLUSTER_DIR") == "" && os.Getenv("CI") != "" {
		t.Fatal("POLICYBOT_CLUSTER_DIR is not set under CI: .ci/run starts the cluster with .ci/cluster and sets it")
	}
	if os.Getenv("POLICYBOT_CLUSTER_DIR") == "" {
		t.Skip("POLICYBOT_CLUSTER_DIR is not set: the cluster was not started by .ci/cluster, so no node can be killed")
	}
	p, err := filepath.Abs("../../.ci/cluster")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runScript(t *testing.T, script string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, script, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(script), args, err, out)
	}
}

// TestNodeDown: with one node killed, searches answer as before, from a
// Store whose first host is that node too; health says degraded. The node
// is started again at the end, so other tests find the cluster whole.
func TestNodeDown(t *testing.T) {
	script := clusterScript(t)
	hosts := clusterHosts(t)
	s := clusterStore(t, Options{Hosts: hosts})
	r := mrand.New(mrand.NewPCG(5, 6))
	var docs []retrieval.Clause
	texts := []string{"小型微利企业所得税减半征收", "研发费用加计扣除", "高新技术企业认定", "稳岗返还失业保险", "中小企业贷款贴息", "出口退税率调整"}
	for i, tx := range texts {
		docs = append(docs, testDoc(r, fmt.Sprintf("doc%d", i), 5, tx)...)
	}
	syncOK(t, s, docs)
	var queries []retrieval.BackendQuery
	for i, tx := range texts {
		queries = append(queries, retrieval.BackendQuery{Text: tx, Vector: docs[i*5].Vector, N: 10})
		queries = append(queries, retrieval.BackendQuery{Text: tx, N: 10, Domain: "财政"})
	}
	search := func(s *Store) [][]retrieval.Candidate {
		t.Helper()
		var out [][]retrieval.Candidate
		for _, q := range queries {
			got, err := s.Search(context.Background(), q)
			if err != nil {
				t.Fatalf("search %q: %v", q.Text, err)
			}
			out = append(out, got)
		}
		return out
	}
	before := search(s)
	// A node started again by an earlier run may still be settling.
	for try := 0; ; try++ {
		err := s.Health(context.Background())
		if err == nil {
			break
		}
		if try == 30 {
			t.Fatalf("health before: %v", err)
		}
		t.Logf("health before: %v; waiting", err)
		time.Sleep(time.Second)
	}

	// The worst node to lose is the cluster's Raft leader: schema reads
	// wait for the next one. The script's node N is hosts[N].
	down := raftLeader(t, hosts[0])
	// The killed node first: every search has to fail over.
	first := append([]string{hosts[down]}, slices.Delete(slices.Clone(hosts), down, down+1)...)
	s2, err := New(context.Background(), Options{Hosts: first, Class: s.class, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	runScript(t, script, "kill-node", fmt.Sprint(down))
	t.Cleanup(func() { runScript(t, script, "start-node", fmt.Sprint(down)) })
	for name, st := range map[string]*Store{"same store": s, "down node first": s2} {
		after := search(st)
		for i := range queries {
			if !sameIDs(after[i], before[i]) {
				t.Errorf("%s: %q with a node down = %v, before %v", name, queries[i].Text, after[i], before[i])
			}
		}
	}
	if s2.preferred.Load() == 0 {
		t.Error("the store whose first host is down still prefers it")
	}
	// A replica starting meanwhile on the same corpus finds nothing to
	// write, so it starts though writes could not reach every replica.
	syncOK(t, s2, docs)
	if got := s2.written.Load(); got != 0 {
		t.Errorf("sync with a node down wrote %d objects, want none", got)
	}
	if err := s.Health(context.Background()); err == nil || !strings.Contains(err.Error(), "degraded") {
		t.Errorf("health with a node down = %v, want degraded", err)
	}
}

// raftLeader is the number of the node leading the cluster's Raft.
func raftLeader(t *testing.T, host string) int {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v1/cluster/statistics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Statistics []struct {
			Name string
			Raft struct{ State string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	for _, n := range st.Statistics {
		var i int
		if _, err := fmt.Sscanf(n.Name, "weaviate-%d", &i); err == nil && n.Raft.State == "Leader" {
			return i
		}
	}
	t.Fatalf("no Raft leader in %+v", st)
	return 0
}

func sameIDs(a, b []retrieval.Candidate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}

func whereChunk(id string) *filters.WhereBuilder {
	return filters.Where().WithPath([]string{propChunk}).WithOperator(filters.Equal).WithValueText(id)
}
