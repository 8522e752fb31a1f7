package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/policybot/policybot/bot/journal"
)

// Record is the Q&A record kept in the database, shared by every replica:
// the same entries, marks and delivery corrections as journal.Files keeps
// in files, read back in the shapes journal defines.
type Record struct {
	db        *DB
	retention time.Duration
	prune     *sweeper
	now       func() time.Time

	mu      sync.Mutex
	lastErr error // of the last write
}

// Record returns the Q&A record; entries and marks older than retention
// are deleted now and then as it writes (zero or less keeps everything).
func (db *DB) Record(retention time.Duration) *Record {
	return &Record{db: db, retention: retention, prune: &sweeper{every: time.Hour}, now: time.Now}
}

// Append writes e, filling ID and Time when they are empty, and returns
// its ID.
func (r *Record) Append(ctx context.Context, e journal.Entry) (string, error) {
	if e.ID == "" {
		e.ID = journal.NewID()
	}
	if e.Time.IsZero() {
		e.Time = r.now()
	}
	history, err := json.Marshal(orEmpty(e.History))
	if err != nil {
		return "", fmt.Errorf("append record entry %s: %w", e.ID, err)
	}
	citations, err := json.Marshal(orEmpty(e.Citations))
	if err != nil {
		return "", fmt.Errorf("append record entry %s: %w", e.ID, err)
	}
	err = r.write(ctx, func(ctx context.Context) error {
		_, err := r.db.pool.Exec(ctx, `
			INSERT INTO qa_entries (id, at, channel, chat, question, history, answer, found, citations,
				latency_ms, corpus_version, error, delivered, delivery_error)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			e.ID, e.Time, e.Channel, e.Chat, e.Question, history, e.Answer, e.Found, citations,
			e.LatencyMS, e.Corpus, e.Error, e.Delivered, e.DeliveryError)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("append record entry %s: %w", e.ID, err)
	}
	return e.ID, nil
}

// Mark records a reviewer's judgement of the entry with the given id.
// Later marks of the same entry supersede earlier ones.
func (r *Record) Mark(ctx context.Context, id string, good bool, comment string) error {
	if id == "" {
		return errors.New("mark record entry: empty id")
	}
	err := r.write(ctx, func(ctx context.Context) error {
		_, err := r.db.pool.Exec(ctx, `INSERT INTO qa_marks (ref, good, comment, at) VALUES ($1, $2, $3, $4)`,
			id, good, comment, r.now())
		return err
	})
	if err != nil {
		return fmt.Errorf("mark record entry %s: %w", id, err)
	}
	return nil
}

// errNoEntry is Undelivered's error for an id the record does not hold.
var errNoEntry = errors.New("no such entry")

// Undelivered records that the answer of the entry with the given id did
// not reach its user after all.
func (r *Record) Undelivered(ctx context.Context, id string, cause error) error {
	if id == "" {
		return errors.New("record undelivered entry: empty id")
	}
	why := "undelivered"
	if cause != nil {
		why = cause.Error()
	}
	err := r.write(ctx, func(ctx context.Context) error {
		tag, err := r.db.pool.Exec(ctx, `UPDATE qa_entries SET delivered = false, delivery_error = $2 WHERE id = $1`, id, why)
		if err == nil && tag.RowsAffected() == 0 {
			return errNoEntry
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("record undelivered entry %s: %w", id, err)
	}
	return nil
}

// Healthy reports why the last write failed, or nil when it succeeded
// (or nothing was written yet).
func (r *Record) Healthy() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastErr != nil {
		return fmt.Errorf("record write failed: %w", r.lastErr)
	}
	return nil
}

// write runs one write under OpTimeout, keeps its outcome for Healthy and
// now and then deletes what is past the retention.
func (r *Record) write(ctx context.Context, fn func(ctx context.Context) error) error {
	// The reply may have failed because ctx ended; the record is still
	// worth keeping, within OpTimeout.
	err := r.db.do(context.WithoutCancel(ctx), func(ctx context.Context) error {
		err := fn(ctx)
		if err == nil && r.retention > 0 && r.prune.due(r.now()) {
			cutoff := r.now().Add(-r.retention)
			if _, perr := r.db.pool.Exec(ctx, `DELETE FROM qa_entries WHERE at < $1`, cutoff); perr != nil {
				r.db.log.Warn("delete old record entries", "err", perr)
			} else if _, perr := r.db.pool.Exec(ctx, `DELETE FROM qa_marks WHERE at < $1`, cutoff); perr != nil {
				r.db.log.Warn("delete old record marks", "err", perr)
			}
		}
		return err
	})
	if errors.Is(err, errNoEntry) {
		return err // the database answered: nothing is wrong with it
	}
	r.mu.Lock()
	switch {
	case err != nil && r.lastErr == nil:
		r.db.log.Warn("record write failed; records are lost until writes succeed again", "err", err)
	case err == nil && r.lastErr != nil:
		r.db.log.Info("record writes succeed again")
	}
	r.lastErr = err
	r.mu.Unlock()
	return err
}

// Entries returns the entries written at or after since, oldest first.
func (r *Record) Entries(ctx context.Context, since time.Time) ([]journal.Entry, error) {
	var out []journal.Entry
	err := r.db.do(ctx, func(ctx context.Context) error {
		rows, err := r.db.pool.Query(ctx, selectEntries+` WHERE at >= $1 ORDER BY at, seq`, since)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanEntry)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read record entries: %w", err)
	}
	return out, nil
}

// Entry returns the entry with the given id; found is false when the
// record holds none (never written, or deleted past the retention).
func (r *Record) Entry(ctx context.Context, id string) (e journal.Entry, found bool, err error) {
	err = r.db.do(ctx, func(ctx context.Context) error {
		rows, err := r.db.pool.Query(ctx, selectEntries+` WHERE id = $1`, id)
		if err != nil {
			return err
		}
		e, err = pgx.CollectOneRow(rows, scanEntry)
		return err
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return journal.Entry{}, false, nil
	case err != nil:
		return journal.Entry{}, false, fmt.Errorf("read record entry %s: %w", id, err)
	}
	return e, true, nil
}

// selectEntries reads the columns of qa_entries that scanEntry scans, in
// its order.
const selectEntries = `
	SELECT id, at, channel, chat, question, history, answer, found, citations,
		latency_ms, corpus_version, error, delivered, delivery_error
	FROM qa_entries`

// scanEntry reads one row of qa_entries.
func scanEntry(row pgx.CollectableRow) (journal.Entry, error) {
	var e journal.Entry
	var history, citations []byte
	if err := row.Scan(&e.ID, &e.Time, &e.Channel, &e.Chat, &e.Question, &history, &e.Answer, &e.Found, &citations,
		&e.LatencyMS, &e.Corpus, &e.Error, &e.Delivered, &e.DeliveryError); err != nil {
		return e, err
	}
	if err := json.Unmarshal(history, &e.History); err != nil {
		return e, fmt.Errorf("entry %s: history: %w", e.ID, err)
	}
	if err := json.Unmarshal(citations, &e.Citations); err != nil {
		return e, fmt.Errorf("entry %s: citations: %w", e.ID, err)
	}
	e.History, e.Citations = nilIfEmpty(e.History), nilIfEmpty(e.Citations)
	return e, nil
}

// Marks returns the marks written at or after since, oldest first.
func (r *Record) Marks(ctx context.Context, since time.Time) ([]journal.Mark, error) {
	var out []journal.Mark
	err := r.db.do(ctx, func(ctx context.Context) error {
		rows, err := r.db.pool.Query(ctx, `SELECT ref, good, comment, at FROM qa_marks WHERE at >= $1 ORDER BY at, seq`, since)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (journal.Mark, error) {
			var m journal.Mark
			err := row.Scan(&m.Ref, &m.Good, &m.Comment, &m.Time)
			return m, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read record marks: %w", err)
	}
	return out, nil
}

// orEmpty makes a nil slice an empty one, which JSON writes as [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nilIfEmpty makes an empty slice nil, as a journal file reads it back.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
