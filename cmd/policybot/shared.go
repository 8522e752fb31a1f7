package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/web"
	"github.com/policybot/policybot/postgres"
	"github.com/policybot/policybot/retrieval"
)

// claimTTL is how long a message id stays claimed by the replica that
// answers it: WeChat and WeCom retry a message within seconds, and the
// conversation core remembers ids locally for as long.
const claimTTL = time.Hour

// taughtEvery is how often a running bot checks whether what staff taught
// changed elsewhere: another replica, or the taught command.
const taughtEvery = time.Second

// db opens the shared database once, migrating its schema, when the
// config says store: postgres; otherwise it returns nil. run closes it.
func (g *global) db(ctx context.Context) (*postgres.DB, error) {
	if g.cfg.Store != "postgres" {
		return nil, nil
	}
	if g.pg != nil {
		return g.pg, nil
	}
	p := g.cfg.Postgres
	db, err := postgres.Open(ctx, postgres.Options{
		DSN: p.DSN, MaxConns: p.MaxConns, OpTimeout: p.OpTimeout, ConnectTimeout: p.ConnectTimeout,
	}, g.log)
	if err != nil {
		return nil, err
	}
	g.pg = db
	return db, nil
}

// closeDB closes the shared database, if it was opened.
func (g *global) closeDB() {
	if g.pg != nil {
		g.pg.Close()
	}
}

// taught opens the questions staff taught: in <data_dir>/taught, or in
// the shared database.
func (g *global) taught(ctx context.Context) (*retrieval.Taught, error) {
	db, err := g.db(ctx)
	if err != nil {
		return nil, err
	}
	if db != nil {
		return retrieval.OpenTaughtStore(ctx, db.Taught())
	}
	return retrieval.OpenTaught(filepath.Join(g.cfg.DataDir, "taught"))
}

// shared is what the conversation cores of a command share with the other
// replicas through the database: nil with store: files, where each core
// keeps its own in memory and the record is in files.
type shared struct {
	db      *postgres.DB
	record  *postgres.Record // nil when no record is kept
	history *postgres.History
	claims  *postgres.Claims
	limits  *postgres.Limits
	clients *postgres.Limits // the staff console's requests per client IP
}

// shared opens the shared state when the config asks for it.
func (g *global) shared(ctx context.Context) (*shared, error) {
	db, err := g.db(ctx)
	if db == nil || err != nil {
		return nil, err
	}
	b := g.cfg.Bot
	s := &shared{
		db:      db,
		history: db.History(b.HistoryTurns, b.IdleTimeout),
		claims:  db.Claims(claimTTL),
		limits:  db.Limits(),
		clients: db.ConsoleLimits(),
	}
	if b.Record.Enabled {
		s.record = db.Record(b.Record.Retention)
	}
	return s, nil
}

// apply makes a core keep its state in the shared database.
func (s *shared) apply(o *chat.Options) {
	if s == nil {
		return
	}
	if s.record != nil {
		o.Journal = s.record
	}
	o.History, o.Claims, o.Limits = s.history, s.claims, s.limits
}

// console makes the staff console share with the other replicas which
// drafts the consoles gave, so that staff may mark and teach one on any
// replica, and each client's rate limit.
func (s *shared) console(o *web.Options) {
	if s == nil {
		return
	}
	if s.record != nil {
		o.Answers = s.record
	}
	o.Limits = s.clients
}

// health adds the database's parts to what /healthz reports: whether it
// answers a ping, and whether the last record write failed.
func (s *shared) health(h map[string]func() error) {
	if s == nil {
		return
	}
	h["postgres"] = func() error { return s.db.Health(context.Background()) }
	if s.record != nil {
		h["journal"] = s.record.Healthy
	}
}
