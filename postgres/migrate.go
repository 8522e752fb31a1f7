package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrations are the schema's steps, applied in the order of their
// numbers: NNNN_name.sql. A step once released is never edited; a change
// is a new step.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key under which one opener applies
// the migrations while the others wait ("policybot" in ASCII, as a
// number).
const migrationLock int64 = 0x706f6c696379626f

// migration is one step of the schema.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded steps, in order, and refuses two
// with one number.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(base, ".sql"), sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrate applies the steps the database lacks, in one transaction: all
// of them or none. The transaction first takes an advisory lock, so that
// replicas starting together apply each step once; the ones that wait
// find it applied. It returns the names of the steps it applied.
func (db *DB) migrate(ctx context.Context) ([]string, error) {
	return db.migrateFS(ctx, migrations)
}

// migrateFS is migrate with the steps in fsys.
func (db *DB) migrateFS(ctx context.Context, fsys fs.FS) ([]string, error) {
	steps, err := loadMigrations(fsys)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var applied []string
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		done, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		for _, s := range steps {
			if slices.Contains(done, int32(s.version)) {
				continue
			}
			if _, err := tx.Exec(ctx, s.sql); err != nil {
				return fmt.Errorf("apply %s: %w", s.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, s.version, s.name); err != nil {
				return fmt.Errorf("record %s: %w", s.name, err)
			}
			applied = append(applied, s.name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}
