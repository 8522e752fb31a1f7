package retrieval

import (
	"context"
	"testing"
	"time"

	"github.com/policybot/policybot/corpus"
)

// TestSearchFilters checks the domain, kind and in-force filters and the
// restriction to a document the question names by number.
func TestSearchFilters(t *testing.T) {
	lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	ix, err := Build(context.Background(), lib, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    Query
		ok   func(d corpus.Document) bool
		want string // what every hit must satisfy, for the message
	}{
		{"domain", Query{Question: "小微企业贷款", Domain: "税务", K: 10},
			func(d corpus.Document) bool { return d.Domain == "税务" }, "domain 税务"},
		{"kind", Query{Question: "小微企业贷款", Kind: "解读", K: 10},
			func(d corpus.Document) bool { return d.Kind == "解读" }, "kind 解读"},
		{"in force", Query{Question: "小型微利企业所得税优惠", InForce: true, K: 10},
			func(d corpus.Document) bool { return !d.Expired(now) }, "not expired on 2026-11-27"},
		{"named by number", Query{Question: "财税〔2018〕77号讲了什么", K: 10},
			func(d corpus.Document) bool { return d.DocNo == "财税〔2018〕77号" }, "from 财税〔2018〕77号"},
		{"named with other brackets", Query{Question: "冀政办字〔2017〕127号的融资措施", K: 10},
			func(d corpus.Document) bool { return d.DocNo == "冀政办字﹝2017﹞127号" }, "from 冀政办字﹝2017﹞127号"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) == 0 {
				t.Fatalf("got no hits, want some %s", tt.want)
			}
			for _, h := range res.Hits {
				d, _ := lib.Document(h.DocID)
				if !tt.ok(d) {
					t.Errorf("hit %d from %s (%s, %s, until %q), want only %s", h.Rank, h.DocID, d.Domain, d.Kind, d.EffectiveUntil, tt.want)
				}
			}
		})
	}
	// Without filters the same question reaches expired documents, so the
	// in-force filter above did filter something.
	res, err := ix.Search(context.Background(), Query{Question: "小型微利企业所得税优惠", K: 10})
	if err != nil {
		t.Fatal(err)
	}
	expired := false
	for _, h := range res.Hits {
		d, _ := lib.Document(h.DocID)
		expired = expired || d.Expired(now)
	}
	if !expired {
		t.Error("unfiltered search found no expired document; the in-force case proves nothing")
	}
}
