package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/policybot/policybot/postgres/pgtest"
)

// replicas opens n pools on one fresh database, as n replicas of serve
// would.
func replicas(t *testing.T, n int) []*DB {
	t.Helper()
	dsn := pgtest.Database(t)
	out := make([]*DB, n)
	for i := range out {
		db, err := Open(t.Context(), Options{DSN: dsn}, nil)
		if err != nil {
			t.Fatalf("open replica %d: %v", i, err)
		}
		t.Cleanup(db.Close)
		out[i] = db
	}
	return out
}

// unmigrated is a DB on a fresh database whose schema was not touched.
func unmigrated(t *testing.T) *DB {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &DB{pool: pool, opts: Options{OpTimeout: time.Minute}, log: slog.New(slog.DiscardHandler)}
}

// recorded is the versions schema_migrations holds, with how often.
func recorded(t *testing.T, db *DB) map[int]int {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), `SELECT version, count(*) FROM schema_migrations GROUP BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var v, n int
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		out[v] = n
	}
	return out
}

func TestMigrations(t *testing.T) {
	steps, err := loadMigrations(migrations)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) == 0 {
		t.Fatal("no migrations embedded")
	}
	t.Run("idempotent", func(t *testing.T) {
		db := unmigrated(t)
		for i, want := range []int{len(steps), 0, 0} {
			applied, err := db.migrate(t.Context())
			if err != nil {
				t.Fatalf("migrate %d: %v", i+1, err)
			}
			if len(applied) != want {
				t.Errorf("migrate %d applied %v, want %d steps", i+1, applied, want)
			}
		}
		if got := recorded(t, db); len(got) != len(steps) {
			t.Errorf("schema_migrations holds %v, want %d steps once each", got, len(steps))
		}
	})
	t.Run("replicas starting together", func(t *testing.T) {
		const starts = 6
		first := unmigrated(t)
		dbs := []*DB{first}
		for range starts - 1 {
			// Separate pools on the same database, as separate replicas.
			pool, err := pgxpool.New(t.Context(), first.pool.Config().ConnString())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			dbs = append(dbs, &DB{pool: pool, opts: first.opts, log: first.log})
		}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			applied = map[string]int{}
			errs    []error
		)
		gate := make(chan struct{})
		for _, db := range dbs {
			wg.Go(func() {
				<-gate
				names, err := db.migrate(context.Background())
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				for _, n := range names {
					applied[n]++
				}
			})
		}
		close(gate)
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("%d of %d concurrent migrations failed, first: %v", len(errs), starts, errs[0])
		}
		for _, s := range steps {
			if applied[s.name] != 1 {
				t.Errorf("step %s applied %d times by %d replicas starting together, want once", s.name, applied[s.name], starts)
			}
		}
		for v, n := range recorded(t, first) {
			if n != 1 {
				t.Errorf("step %d recorded %d times", v, n)
			}
		}
	})
	t.Run("a failing step applies nothing", func(t *testing.T) {
		db := unmigrated(t)
		bad := fstest.MapFS{
			"migrations/0001_a.sql": {Data: []byte(`CREATE TABLE a (x int);`)},
			"migrations/0002_b.sql": {Data: []byte(`CREATE TABLE b (x no_such_type);`)},
		}
		if _, err := db.migrateFS(t.Context(), bad); err == nil || !strings.Contains(err.Error(), "0002_b") {
			t.Fatalf("got %v, want an error naming 0002_b", err)
		}
		var a *string
		if err := db.pool.QueryRow(t.Context(), `SELECT to_regclass('a')::text`).Scan(&a); err != nil {
			t.Fatal(err)
		}
		if a != nil {
			t.Error("table a of the good step exists after the bad step failed, want neither")
		}
	})
	t.Run("numbers", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			fs   fstest.MapFS
			want string
		}{
			{"no number", fstest.MapFS{"migrations/init.sql": {}}, "want NNNN_name.sql"},
			{"twice", fstest.MapFS{"migrations/0001_a.sql": {}, "migrations/0001_b.sql": {}}, "share a number"},
		} {
			_, err := loadMigrations(tt.fs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: got %v, want an error saying %q", tt.name, err, tt.want)
			}
		}
	})
}

func TestOpenNeverShowsThePassword(t *testing.T) {
	const secret = "s3cr3t-pw"
	for _, dsn := range []string{
		"postgres://policybot:" + secret + "@127.0.0.1:1/x?sslmode=disable&connect_timeout=nonsense",
		"host=127.0.0.1 port=notaport password=" + secret,
		"postgres://policybot:" + secret + "@127.0.0.1:1/x?sslmode=disable",
	} {
		_, err := Open(t.Context(), Options{DSN: dsn, ConnectTimeout: 500 * time.Millisecond}, nil)
		if err == nil {
			t.Errorf("opened %q, want an error", strings.ReplaceAll(dsn, secret, "…"))
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestHealth(t *testing.T) {
	db := replicas(t, 1)[0]
	if err := db.Health(t.Context()); err != nil {
		t.Fatalf("Health of an open database: %v", err)
	}
	db.Close()
	if err := db.Health(t.Context()); err == nil {
		t.Error("Health after Close: nil, want an error")
	}
}

func TestClaimsOneWinner(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0].Claims(time.Hour), rs[1].Claims(time.Hour)
	now := time.Now()
	const ids = 50
	wins := make([][2]bool, ids)
	var wg sync.WaitGroup
	errs := make(chan error, 2*ids)
	for i := range ids {
		id := fmt.Sprintf("mp:%d", 1000+i)
		for j, c := range []*Claims{a, b} {
			wg.Go(func() {
				ok, err := c.Claim(context.Background(), id, now)
				if err != nil {
					errs <- err
				}
				wins[i][j] = ok
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	byA := 0
	for i, w := range wins {
		if w[0] == w[1] {
			t.Errorf("id %d: replica A won %v, B won %v; want exactly one", i, w[0], w[1])
		}
		if w[0] {
			byA++
		}
	}
	t.Logf("%d ids claimed concurrently by two pools: A won %d, B %d", ids, byA, ids-byA)

	tests := []struct {
		name string
		c    *Claims
		at   time.Time
		want bool
	}{
		{"again on A before the claim lapses", a, now.Add(time.Minute), false},
		{"again on B before the claim lapses", b, now.Add(59 * time.Minute), false},
		{"after it lapsed", b, now.Add(time.Hour), true},
		{"once more, within the new claim", a, now.Add(time.Hour + time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Claim(t.Context(), "mp:1000", tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Claim = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLimitsShared(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0].Limits(), rs[1].Limits()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		l      *Limits
		sender string
		at     time.Time
		want   int
	}{
		{"first on A", a, "u1", t0, 1},
		{"second on B", b, "u1", t0.Add(10 * time.Second), 2},
		{"third on A", a, "u1", t0.Add(59 * time.Second), 3},
		{"another sender", b, "u2", t0.Add(20 * time.Second), 1},
		{"next minute starts again", b, "u1", t0.Add(time.Minute), 1},
		{"and counts on A", a, "u1", t0.Add(90 * time.Second), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.l.Count(t.Context(), tt.sender, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Count = %d, want %d", got, tt.want)
			}
		})
	}
	// The sender's id is not what the table keeps.
	var raw int
	if err := rs[0].pool.QueryRow(t.Context(), `SELECT count(*) FROM rate_counts WHERE subject = 'u1'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if raw != 0 {
		t.Error("rate_counts keeps the sender's id as it is, want a hash")
	}
}

// TestDownFailsFast: a database that does not answer (a listener that
// never speaks) costs one OpTimeout; the operations after it fail at once
// with ErrDown until downFor has passed.
func TestDownFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var (
		mu   sync.Mutex
		held []net.Conn
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // silent: never answers the startup message
			mu.Unlock()
		}
	}()
	const opTimeout = 300 * time.Millisecond
	pool, err := pgxpool.New(t.Context(), "postgres://u:p@"+ln.Addr().String()+"/db?sslmode=disable&connect_timeout=10")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := &DB{pool: pool, opts: Options{OpTimeout: opTimeout}, log: slog.New(slog.DiscardHandler)}
	h := db.History(6, time.Hour)

	start := time.Now()
	if _, err := h.Recent(t.Context(), "c"); err == nil || errors.Is(err, ErrDown) {
		t.Fatalf("first call: %v, want a timeout", err)
	}
	first := time.Since(start)
	if first < opTimeout || first > opTimeout+time.Second {
		t.Errorf("first call took %s, want about OpTimeout (%s)", first, opTimeout)
	}
	start = time.Now()
	for range 5 {
		if err := h.Touch(t.Context(), "c", time.Now()); !errors.Is(err, ErrDown) {
			t.Fatalf("call while down: %v, want ErrDown", err)
		}
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("5 calls while down took %s, want them at once", d)
	}
	t.Logf("first call %s, then 5 calls in %s", first.Round(time.Millisecond), time.Since(start))
	db.downUntil.Store(time.Now().Add(-time.Second).UnixNano()) // as after downFor
	if _, err := h.Recent(t.Context(), "c"); err == nil || errors.Is(err, ErrDown) {
		t.Errorf("after downFor: %v, want the database tried again", err)
	}
}
