package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/journal"
)

// TestReview: answers from a chat are in the record, a staff mark shows
// against its answer, and --wrong and --unmarked select by mark.
func TestReview(t *testing.T) {
	dir := indexedCopy(t)
	noEnv := func(string) string { return "" }
	var out, errOut bytes.Buffer
	stdin := strings.NewReader("做自行车的，评上省级数字化车间能奖多少钱？\n天津有什么奖励\n")
	if err := run(context.Background(), []string{"--data-dir", dir, "chat"}, stdin, &out, &errOut, noEnv); err != nil {
		t.Fatalf("chat: %v\n%s", err, errOut.String())
	}
	j, err := journal.Open(filepath.Join(dir, "qa"), time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := j.Entries(context.Background(), time.Time{})
	if err != nil || len(entries) != 2 {
		t.Fatalf("got %d entries (%v), want 2", len(entries), err)
	}
	if err := j.Mark(context.Background(), entries[1].ID, false, "应说明只收录河北省政策"); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		want      []string
		wantNot   []string
		wantCount string
	}{
		{"all", nil, []string{"问：做自行车的", "未标记", "问：天津有什么奖励", "✗ 错误：应说明只收录河北省政策", "jzqsb-2018-2"}, nil, "2 of 2 answers"},
		{"wrong", []string{"--wrong"}, []string{"问：天津有什么奖励", "✗ 错误"}, []string{"问：做自行车的"}, "1 of 2 answers"},
		{"unmarked", []string{"--unmarked"}, []string{"问：做自行车的"}, []string{"问：天津有什么奖励"}, "1 of 2 answers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"--data-dir", dir, "review"}, tt.args...)
			if err := run(context.Background(), args, strings.NewReader(""), &out, &errOut, noEnv); err != nil {
				t.Fatalf("review: %v\n%s", err, errOut.String())
			}
			got := out.String()
			for _, w := range append(tt.want, tt.wantCount) {
				if !strings.Contains(got, w) {
					t.Errorf("got\n%s\nwant it to contain %q", got, w)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("got\n%s\nwant no %q", got, w)
				}
			}
		})
	}
	t.Run("exclusive flags", func(t *testing.T) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"--data-dir", dir, "review", "--wrong", "--unmarked"}, strings.NewReader(""), &out, &errOut, noEnv)
		if err == nil {
			t.Fatal("got no error, want one for --wrong with --unmarked")
		}
	})
}
