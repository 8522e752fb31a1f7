package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/policybot/policybot/bot/journal"
)

// TestRecordEntry: an entry written through one replica is read by id
// through another, as the console of one marks a draft another gave.
func TestRecordEntry(t *testing.T) {
	rs := replicas(t, 2)
	// The database keeps microseconds.
	now := time.Now().UTC().Truncate(time.Microsecond)
	recordOps(t, rs[0].Record(0), now)
	r := rs[1].Record(0)
	all, err := r.Entries(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]journal.Entry{}
	for _, e := range all {
		byID[e.ID] = e
	}
	tests := []struct {
		name  string
		id    string
		found bool
	}{
		{"a web draft with history and an error", "e2", true},
		{"an entry with citations", "e1", true},
		{"an entry marked undelivered", "e3", true},
		{"unknown", "no-such-entry", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := r.Entry(t.Context(), tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if found != tt.found {
				t.Fatalf("found = %v, want %v", found, tt.found)
			}
			if !found {
				if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", journal.Entry{}) {
					t.Errorf("entry = %+v, want the zero entry", got)
				}
				return
			}
			want := byID[tt.id]
			if !got.Time.Equal(want.Time) {
				t.Errorf("time %s, Entries says %s", got.Time, want.Time)
			}
			got.Time, want.Time = time.Time{}, time.Time{}
			if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
				t.Errorf("entry\n%s\nEntries says\n%s", g, w)
			}
		})
	}
	rs[1].Close()
	if _, _, err := r.Entry(t.Context(), "e1"); err == nil {
		t.Error("Entry on a closed pool: nil error, want one")
	}
}

// TestConsoleLimits: a console client's requests are counted across
// replicas, apart from WeChat senders that happen to have the same id.
func TestConsoleLimits(t *testing.T) {
	rs := replicas(t, 2)
	a, b, senders := rs[0].ConsoleLimits(), rs[1].ConsoleLimits(), rs[0].Limits()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		l    *Limits
		who  string
		at   time.Time
		want int
	}{
		{"first on A", a, "192.0.2.1", t0, 1},
		{"second on B", b, "192.0.2.1", t0.Add(time.Second), 2},
		{"a sender with the same id counts apart", senders, "192.0.2.1", t0.Add(2 * time.Second), 1},
		{"third on A", a, "192.0.2.1", t0.Add(3 * time.Second), 3},
		{"another client", b, "192.0.2.2", t0.Add(4 * time.Second), 1},
		{"next minute starts again", a, "192.0.2.1", t0.Add(time.Minute), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.l.Count(t.Context(), tt.who, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Count = %d, want %d", got, tt.want)
			}
		})
	}
	var raw int
	if err := rs[0].pool.QueryRow(t.Context(), `SELECT count(*) FROM rate_counts WHERE subject LIKE '%192.0.2%'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if raw != 0 {
		t.Error("rate_counts keeps the client's address as it is, want a hash")
	}
}
