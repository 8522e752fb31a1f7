package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/policybot/policybot/bot/answer"
)

// History keeps what the bot remembers of each chat, shared by every
// replica: the recent questions, which the answerer reads follow-ups
// with, and the citations of the last answer, for 原文 N. It forgets a
// chat silent for longer than its idle time, as the in-memory history of
// bot/chat does. The times it is given are the callers' clocks.
type History struct {
	db    *DB
	turns int
	idle  time.Duration
	sweep *sweeper
}

// History returns the chats' memory: at most turns questions a chat
// (zero keeps none), forgotten after idle without a message (zero never
// forgets).
func (db *DB) History(turns int, idle time.Duration) *History {
	every := idle
	if every <= 0 {
		every = time.Hour
	}
	return &History{db: db, turns: max(turns, 0), idle: idle, sweep: &sweeper{every: every}}
}

// Touch marks chat as active at now, forgetting it first when it has been
// idle too long; now and then it drops the other idle chats too.
func (h *History) Touch(ctx context.Context, chat string, now time.Time) error {
	// A chat idle for idle or longer starts afresh; a zero idle never
	// forgets.
	err := h.db.do(ctx, func(ctx context.Context) error {
		_, err := h.db.pool.Exec(ctx, `
		INSERT INTO chat_history (chat, seen) VALUES ($1, $2)
		ON CONFLICT (chat) DO UPDATE SET
			questions = CASE WHEN $3::float8 > 0 AND chat_history.seen <= $2::timestamptz - make_interval(secs => $3::float8) THEN '{}' ELSE chat_history.questions END,
			last      = CASE WHEN $3::float8 > 0 AND chat_history.seen <= $2::timestamptz - make_interval(secs => $3::float8) THEN NULL ELSE chat_history.last END,
			seen      = GREATEST(chat_history.seen, $2)`,
			subject("chat", chat), now, h.idle.Seconds())
		if err != nil || h.idle <= 0 || !h.sweep.due(now) {
			return err
		}
		if _, err := h.db.pool.Exec(ctx, `DELETE FROM chat_history WHERE seen <= $1`, now.Add(-h.idle)); err != nil {
			return fmt.Errorf("forget idle chats: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("touch chat history: %w", err)
	}
	return nil
}

// Recent returns chat's recent questions, oldest first; nil when there
// are none.
func (h *History) Recent(ctx context.Context, chat string) ([]string, error) {
	var qs []string
	err := h.db.do(ctx, func(ctx context.Context) error {
		return h.db.pool.QueryRow(ctx, `SELECT questions FROM chat_history WHERE chat = $1`, subject("chat", chat)).Scan(&qs)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read chat history: %w", err)
	}
	if len(qs) == 0 {
		return nil, nil
	}
	return qs, nil
}

// Remember records an answered question and the citations of its answer
// at now, keeping the last turns questions.
func (h *History) Remember(ctx context.Context, chat, question string, cited []answer.Citation, now time.Time) error {
	if cited == nil {
		cited = []answer.Citation{} // answered, without citations: not NULL
	}
	last, err := json.Marshal(cited)
	if err != nil {
		return fmt.Errorf("remember chat answer: %w", err)
	}
	// The append and the trim are one statement, so that two replicas
	// answering the same chat at once both keep their question.
	err = h.db.do(ctx, func(ctx context.Context) error {
		_, err := h.db.pool.Exec(ctx, `
		INSERT INTO chat_history (chat, questions, last, seen)
		VALUES ($1, CASE WHEN $5::int > 0 THEN ARRAY[$2::text] ELSE '{}' END, $3, $4)
		ON CONFLICT (chat) DO UPDATE SET
			questions = CASE WHEN $5::int > 0
				THEN (chat_history.questions || $2::text)[GREATEST(cardinality(chat_history.questions) + 2 - $5::int, 1):]
				ELSE '{}' END,
			last = $3,
			seen = GREATEST(chat_history.seen, $4)`,
			subject("chat", chat), question, last, now, h.turns)
		return err
	})
	if err != nil {
		return fmt.Errorf("remember chat answer: %w", err)
	}
	return nil
}

// LastCited returns the citations of chat's last answer, and whether it
// had one.
func (h *History) LastCited(ctx context.Context, chat string) ([]answer.Citation, bool, error) {
	var raw []byte
	err := h.db.do(ctx, func(ctx context.Context) error {
		return h.db.pool.QueryRow(ctx, `SELECT last FROM chat_history WHERE chat = $1`, subject("chat", chat)).Scan(&raw)
	})
	if errors.Is(err, pgx.ErrNoRows) || err == nil && raw == nil {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read chat's last answer: %w", err)
	}
	var cited []answer.Citation
	if err := json.Unmarshal(raw, &cited); err != nil {
		return nil, false, fmt.Errorf("read chat's last answer: %w", err)
	}
	return cited, true, nil
}

// Forget drops everything about chat.
func (h *History) Forget(ctx context.Context, chat string) error {
	err := h.db.do(ctx, func(ctx context.Context) error {
		_, err := h.db.pool.Exec(ctx, `DELETE FROM chat_history WHERE chat = $1`, subject("chat", chat))
		return err
	})
	if err != nil {
		return fmt.Errorf("forget chat: %w", err)
	}
	return nil
}
