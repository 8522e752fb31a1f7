package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/policybot/policybot/retrieval"
)

// Taught keeps what staff taught retrieval, shared by every replica. Each
// change bumps a version in the same transaction, so a replica finds out
// with one small read whether to load the items again.
type Taught struct{ db *DB }

// Taught returns the store of taught questions.
func (db *DB) Taught() *Taught { return &Taught{db: db} }

// TaughtVersion names the store's current state: it differs after every
// change.
func (t *Taught) TaughtVersion(ctx context.Context) (string, error) {
	var v int64
	err := t.db.do(ctx, func(ctx context.Context) error {
		return t.db.pool.QueryRow(ctx, `SELECT version FROM store_versions WHERE name = 'taught'`).Scan(&v)
	})
	if err != nil {
		return "", fmt.Errorf("read taught version: %w", err)
	}
	return strconv.FormatInt(v, 10), nil
}

// LoadTaught returns every taught item, oldest first, and the version
// they are.
func (t *Taught) LoadTaught(ctx context.Context) ([]retrieval.TaughtItem, string, error) {
	var (
		items   []retrieval.TaughtItem
		version int64
	)
	// One snapshot: the version says exactly what was read.
	err := t.db.do(ctx, func(ctx context.Context) error {
		return pgx.BeginTxFunc(ctx, t.db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT version FROM store_versions WHERE name = 'taught'`).Scan(&version); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT id, question, chunk_id, no_answer, answer_id, added FROM taught ORDER BY added, id`)
			if err != nil {
				return err
			}
			items, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (retrieval.TaughtItem, error) {
				var it retrieval.TaughtItem
				err := row.Scan(&it.ID, &it.Question, &it.ChunkID, &it.None, &it.AnswerID, &it.Added)
				it.Added = it.Added.UTC()
				return it, err
			})
			return err
		})
	})
	if err != nil {
		return nil, "", fmt.Errorf("load taught questions: %w", err)
	}
	return items, strconv.FormatInt(version, 10), nil
}

// PutTaught stores it, replacing an item with its id.
func (t *Taught) PutTaught(ctx context.Context, it retrieval.TaughtItem) error {
	err := t.change(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO taught (id, question, chunk_id, no_answer, answer_id, added) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET question = EXCLUDED.question, chunk_id = EXCLUDED.chunk_id,
				no_answer = EXCLUDED.no_answer, answer_id = EXCLUDED.answer_id, added = EXCLUDED.added`,
			it.ID, it.Question, it.ChunkID, it.None, it.AnswerID, it.Added)
		return err
	})
	if err != nil {
		return fmt.Errorf("store taught %s: %w", it.ID, err)
	}
	return nil
}

// RemoveTaught deletes the item id; one that is not there is
// retrieval.ErrNoTaught.
func (t *Taught) RemoveTaught(ctx context.Context, id string) error {
	err := t.change(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM taught WHERE id = $1`, id)
		if err == nil && tag.RowsAffected() == 0 {
			return retrieval.ErrNoTaught
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete taught %s: %w", id, err)
	}
	return nil
}

// change runs fn and bumps the version in one transaction.
func (t *Taught) change(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return t.db.do(ctx, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, t.db.pool, func(tx pgx.Tx) error {
			if err := fn(ctx, tx); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE store_versions SET version = version + 1 WHERE name = 'taught'`)
			return err
		})
	})
}
