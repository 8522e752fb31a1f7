package journal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDeliveryFields: whether an answer reached the user is kept, under
// "delivered" always and "delivery_error" only when there is one, and
// read back; a record written before the fields existed reads as not
// delivered.
func TestDeliveryFields(t *testing.T) {
	dir := t.TempDir()
	j := openTestJournal(t, dir, 0)
	tests := []struct {
		name     string
		in       Entry
		wantJSON []string
		notJSON  []string
	}{
		{"delivered", Entry{Question: "一", Delivered: true}, []string{`"delivered":true`}, []string{"delivery_error"}},
		{"not delivered", Entry{Question: "二", DeliveryError: "reply not delivered: part 2 of 2: operate too often"},
			[]string{`"delivered":false`, `"delivery_error":"reply not delivered: part 2 of 2: operate too often"`}, nil},
	}
	for _, tt := range tests {
		if _, err := j.Append(t.Context(), tt.in); err != nil {
			t.Fatalf("%s: Append: %v", tt.name, err)
		}
	}
	old := `{"type":"qa","id":"old","time":"` + time.Now().Format(time.RFC3339) + `","channel":"wechat","chat":"x","question":"三","answer":"","found":false,"latency_ms":0}` + "\n"
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("got day files %v, want one", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.wantJSON {
				if !strings.Contains(lines[i], w) {
					t.Errorf("record %s lacks %s", lines[i], w)
				}
			}
			for _, w := range tt.notJSON {
				if strings.Contains(lines[i], w) {
					t.Errorf("record %s has %s", lines[i], w)
				}
			}
		})
	}
	f, err := os.OpenFile(files[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(old); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	es, err := j.Entries(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Entry{}
	for _, e := range es {
		got[e.Question] = e
	}
	if e := got["一"]; !e.Delivered || e.DeliveryError != "" {
		t.Errorf("delivered: read back %+v", e)
	}
	if e := got["二"]; e.Delivered || e.DeliveryError != tests[1].in.DeliveryError {
		t.Errorf("not delivered: read back %+v", e)
	}
	if e, ok := got["三"]; !ok || e.Delivered {
		t.Errorf("old record: read back %+v (found %v), want not delivered", e, ok)
	}
}
