package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policybot/policybot/retrieval"
)

// TestTaughtCommand: what staff taught is in the store under the data
// directory; retrieve uses it, and taught lists, exports and removes it.
func TestTaughtCommand(t *testing.T) {
	dir := indexedCopy(t)
	st, err := retrieval.OpenTaught(filepath.Join(dir, "taught"))
	if err != nil {
		t.Fatal(err)
	}
	const q = "首台套保险补偿，保费补贴多少"
	it, err := st.Add(context.Background(), retrieval.TaughtItem{Question: q, None: true})
	if err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }
	runIt := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), append([]string{"--data-dir", dir}, args...), strings.NewReader(""), &out, &errOut, noEnv); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		return out.String()
	}
	var res retrieval.Result
	if err := json.Unmarshal([]byte(runIt("retrieve", "--json", "首台套保险补偿的保费补贴是多少")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Found || res.Reason != retrieval.ReasonTaughtOutOfScope {
		t.Errorf("retrieve: found %v reason %q, want not found, %q", res.Found, res.Reason, retrieval.ReasonTaughtOutOfScope)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"list by default", []string{"taught"}, []string{it.ID, "资料中没有答案", q}},
		{"list", []string{"taught", "list"}, []string{it.ID, q}},
		{"export", []string{"taught", "export"}, []string{`"id":"` + it.ID + `"`, `"none":true`, `"question":"` + q + `"`}},
		{"remove", []string{"taught", "remove", it.ID}, []string{"removed " + it.ID}},
		{"list after remove", []string{"taught", "list"}, []string{"nothing taught"}},
	}
	for _, tt := range tests {
		got := runIt(tt.args...)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: got\n%s\nwant it to contain %q", tt.name, got, w)
			}
		}
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"--data-dir", dir, "taught", "remove", it.ID}, strings.NewReader(""), &out, &errOut, noEnv); err == nil {
		t.Error("removing an id twice succeeded, want an error")
	}
}
