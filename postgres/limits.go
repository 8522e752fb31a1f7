package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Limits counts each sender's messages, or each console client's
// requests, per minute across replicas, so that a rate limit holds
// whichever replica a message or request reaches.
type Limits struct {
	db    *DB
	kind  string // what is counted: part of each subject, so kinds never meet
	sweep *sweeper
}

// rateWindow is the length of one counting window.
const rateWindow = time.Minute

// Limits returns the shared counters of WeChat senders' messages.
func (db *DB) Limits() *Limits { return db.limits("sender") }

// ConsoleLimits returns the shared counters of the staff console's costly
// requests per client IP. They are kept apart from the senders' (an IP
// and a sender id never share a count) and hashed like them.
func (db *DB) ConsoleLimits() *Limits { return db.limits("web client") }

func (db *DB) limits(kind string) *Limits {
	return &Limits{db: db, kind: kind, sweep: &sweeper{every: rateWindow}}
}

// Count counts one message or request of who in the minute that holds now
// and returns how many who sent in that minute, this one included.
func (l *Limits) Count(ctx context.Context, who string, now time.Time) (int, error) {
	window := now.Truncate(rateWindow)
	var n int
	err := l.db.do(ctx, func(ctx context.Context) error {
		err := l.db.pool.QueryRow(ctx, `
		INSERT INTO rate_counts (subject, window_start, n) VALUES ($1, $2, 1)
		ON CONFLICT (subject, window_start) DO UPDATE SET n = rate_counts.n + 1
		RETURNING n`, subject(l.kind, who), window).Scan(&n)
		if err == nil && l.sweep.due(now) {
			// Windows before the last one count no more.
			if _, err := l.db.pool.Exec(ctx, `DELETE FROM rate_counts WHERE window_start < $1`, window.Add(-rateWindow)); err != nil {
				l.db.log.Warn("delete old message counts", "err", err)
			}
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("count %s rate: %w", l.kind, err)
	}
	return n, nil
}

// Claims hands each message id to one replica: the first to claim it
// answers it, and the others, which WeChat's retries or a load balancer
// may send it to as well, drop it.
type Claims struct {
	db    *DB
	ttl   time.Duration
	sweep *sweeper
}

// Claims returns the claims on message ids; a claim lapses after ttl, by
// when no platform retries a message any more.
func (db *DB) Claims(ttl time.Duration) *Claims {
	return &Claims{db: db, ttl: ttl, sweep: &sweeper{every: ttl}}
}

// Claim claims message id at now and reports whether this caller got it:
// false when another claim on it has not lapsed.
func (c *Claims) Claim(ctx context.Context, id string, now time.Time) (bool, error) {
	var got string
	// A lapsed claim is taken over: the DO UPDATE's WHERE lets through
	// only an expired one, and RETURNING yields no row otherwise.
	err := c.db.do(ctx, func(ctx context.Context) error {
		err := c.db.pool.QueryRow(ctx, `
		INSERT INTO message_claims (id, expires) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET expires = EXCLUDED.expires
			WHERE message_claims.expires <= $3
		RETURNING id`, id, now.Add(c.ttl), now).Scan(&got)
		if err == nil && c.sweep.due(now) {
			if _, err := c.db.pool.Exec(ctx, `DELETE FROM message_claims WHERE expires <= $1`, now); err != nil {
				c.db.log.Warn("delete lapsed message claims", "err", err)
			}
		}
		return err
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("claim message %s: %w", id, err)
	}
	return true, nil
}
