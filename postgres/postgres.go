// Package postgres owns the state that several replicas of policybot
// serve share through one PostgreSQL database, so that they behave as one
// bot: each chat's recent questions and last answer, the Q&A record with
// the staff's marks and delivery status, what staff taught retrieval, the
// per-sender rate limits and the claims on message ids that keep a message
// retried to another replica from being answered twice.
//
// It owns the schema too: the SQL files under migrations/ are applied in
// order when a DB is opened (see migrate). Each store is a small concrete
// type over one pool; the consumers (bot/chat, retrieval, cmd) declare the
// interfaces they need.
package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/policybot/policybot/retrieval"
)

// Options configures Open. A zero duration or count means its default.
type Options struct {
	// DSN is the connection string, a postgres:// URL or key=value pairs.
	// It may hold a password, so it is never logged or put in an error.
	DSN string
	// MaxConns bounds the pool (default 10).
	MaxConns int
	// OpTimeout bounds one operation when the caller's context allows
	// longer (default 2 s): a database that does not answer must not hold
	// up an answer, which goes on without what the database would add.
	OpTimeout time.Duration
	// ConnectTimeout bounds opening one connection (default 5 s).
	ConnectTimeout time.Duration
}

// Defaults of Options.
const (
	defaultMaxConns       = 10
	defaultOpTimeout      = 2 * time.Second
	defaultConnectTimeout = 5 * time.Second
	// healthTimeout bounds Health's ping when ctx allows longer.
	healthTimeout = time.Second
)

// DB is a pool of connections to the shared database, migrated to the
// schema this package knows. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	opts Options
	log  *slog.Logger
	// downUntil is when the database is tried again after it failed to
	// answer (Unix ns); zero while it answers.
	downUntil atomic.Int64
}

// Open connects to the database opts.DSN names and brings its schema up
// to date. Replicas may open it at the same time: the migrations are
// applied by one of them, under a lock. A nil log discards.
func Open(ctx context.Context, opts Options, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = defaultMaxConns
	}
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = defaultOpTimeout
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = defaultConnectTimeout
	}
	if opts.DSN == "" {
		return nil, errors.New("open postgres: empty dsn")
	}
	cfg, err := pgxpool.ParseConfig(opts.DSN)
	if err != nil {
		// pgx redacts passwords only as well as it can read the string:
		// the parse error's text is left out on purpose.
		return nil, errors.New("open postgres: the dsn does not parse (not shown: it may hold a password)")
	}
	cfg.MaxConns = int32(opts.MaxConns)
	cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db := &DB{pool: pool, opts: opts, log: log}
	applied, err := db.migrate(ctx)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if len(applied) > 0 {
		log.Info("postgres schema migrated", "applied", applied)
	}
	return db, nil
}

// Close closes the pool, waiting for the connections in use.
func (db *DB) Close() { db.pool.Close() }

// Health pings the database within a second (or ctx, when sooner): nil
// when it answers.
func (db *DB) Health(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	if db.downUntil.Swap(0) != 0 {
		db.log.Info("postgres answers again")
	}
	return nil
}

// ErrDown is the error of an operation not tried because the database
// failed to answer moments ago: while it is down, each answer pays for
// one timeout, not one per operation.
var ErrDown = errors.New("postgres is down")

// downFor is how long the database is taken for down after it failed to
// answer; a Health ping that succeeds ends it sooner.
const downFor = 3 * time.Second

// do runs one operation under OpTimeout, unless the database is taken for
// down, and takes it for down when the operation could not reach it.
func (db *DB) do(ctx context.Context, fn func(ctx context.Context) error) error {
	if until := db.downUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		return ErrDown
	}
	octx, cancel := context.WithTimeout(ctx, db.opts.OpTimeout)
	defer cancel()
	err := fn(octx)
	if unreachable(ctx, err) {
		if db.downUntil.Swap(time.Now().Add(downFor).UnixNano()) == 0 {
			db.log.Warn("postgres does not answer; going on without it", "for", downFor, "err", err)
		}
	} else if err == nil && db.downUntil.Swap(0) != 0 {
		db.log.Info("postgres answers again")
	}
	return err
}

// unreachable reports whether err says the database could not be
// reached, as opposed to an answer from it or the caller giving up.
func unreachable(ctx context.Context, err error) bool {
	var pgErr *pgconn.PgError
	switch {
	case err == nil, ctx.Err() != nil, errors.As(err, &pgErr), errors.Is(err, pgx.ErrNoRows), errors.Is(err, errNoEntry), errors.Is(err, retrieval.ErrNoTaught):
		return false
	}
	return true
}

// subject is how a transport's id (a chat, a sender) is kept: hashed, so
// the database does not point back at a WeChat account.
func subject(kind, id string) string {
	sum := sha256.Sum256([]byte("policybot " + kind + "\x00" + id))
	return hex.EncodeToString(sum[:16])
}

// sweeper runs a clean-up at most once per interval per process, so that
// tables of short-lived rows stay small without a job of their own.
type sweeper struct {
	every time.Duration

	mu   sync.Mutex
	last time.Time
}

// due reports whether a sweep should run at now, and if so records it as
// run.
func (s *sweeper) due(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.last) < s.every {
		return false
	}
	s.last = now
	return true
}
