// Package pgtest gives tests a PostgreSQL database of their own on the
// server that POLICYBOT_TEST_PG_DSN names, and skips them when it is not
// set.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN is the environment variable naming the test server: a DSN whose
// role may create databases.
const EnvDSN = "POLICYBOT_TEST_PG_DSN"

// Database creates an empty database for t, drops it when t ends, and
// returns its DSN. It skips t when EnvDSN is not set.
func Database(t testing.TB) string {
	t.Helper()
	admin := AdminDSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to the test server (%s): %v", EnvDSN, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("connect to drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		// FORCE: a pool a failed test left open must not keep it.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return WithDatabase(admin, name)
}

// AdminDSN is EnvDSN's value; it skips t when that is not set, and fails
// it under CI, where .ci/run starts PostgreSQL and sets it.
func AdminDSN(t testing.TB) string {
	t.Helper()
	dsn := strings.TrimSpace(os.Getenv(EnvDSN))
	if dsn == "" && os.Getenv("CI") != "" {
		t.Fatal(EnvDSN + " is not set under CI: .ci/run starts PostgreSQL with .ci/cluster and sets it")
	}
	if dsn == "" {
		t.Skip(EnvDSN + " is not set: these tests need a PostgreSQL server (for example postgres://postgres@127.0.0.1:55432/postgres)")
	}
	return dsn
}

// WithDatabase is dsn naming the database name instead.
func WithDatabase(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}
