package corpus

import (
	"strings"
	"testing"
)

// TestBodyStartingWithAClause: a user's document whose text starts with
// 第一条 has no header, and that clause is chunked like the rest.
func TestBodyStartingWithAClause(t *testing.T) {
	d, err := Parse("rules.md", []byte("---\nid: rules\ntitle: 测试办法\n---\n第一条 本办法适用于全省小微企业。\n第二条 本办法有效期一年。\n"))
	if err != nil {
		t.Fatal(err)
	}
	chunks := Cut(&d, DefaultChunkSize)
	var all []string
	for _, c := range chunks {
		all = append(all, c.Text)
	}
	if got := strings.Join(all, "\n"); !strings.Contains(got, "第一条 本办法适用于全省小微企业。") {
		t.Errorf("chunks %q lack the first clause", got)
	}
}
