package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/policybot/policybot/bot/journal"
)

func cmdReview(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "review", "", "Print the Q&A record with the staff's marks, newest last, so wrong answers can be found and the corpus, vocabulary or prompts fixed.")
	since := fs.Duration("since", 7*24*time.Hour, "how far back to read")
	wrong := fs.Bool("wrong", false, "only answers marked wrong")
	unmarked := fs.Bool("unmarked", false, "only answers nobody has marked yet")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *wrong && *unmarked {
		return errors.New("review: --wrong and --unmarked exclude each other")
	}
	if err := g.load(); err != nil {
		return err
	}
	j, err := g.recordReader(ctx)
	if err != nil {
		return err
	}
	from := time.Now().Add(-*since)
	entries, err := j.Entries(ctx, from)
	if err != nil {
		return err
	}
	marks, err := j.Marks(ctx, from)
	if err != nil {
		return err
	}
	keep := func(m journal.Mark, marked bool) bool {
		return !(*wrong && (!marked || m.Good)) && !(*unmarked && marked)
	}
	return writeReview(g.stdout, entries, marks, from, keep)
}

// writeReview prints the entries keep keeps, each with its last mark, and
// a count.
func writeReview(out io.Writer, entries []journal.Entry, marks []journal.Mark, from time.Time, keep func(m journal.Mark, marked bool) bool) error {
	// The last mark of an entry is the one that stands.
	last := map[string]journal.Mark{}
	for _, m := range marks {
		last[m.Ref] = m
	}
	w := bufio.NewWriter(out)
	shown := 0
	for _, e := range entries {
		m, marked := last[e.ID]
		if !keep(m, marked) {
			continue
		}
		shown++
		verdict := "未标记"
		if marked && m.Good {
			verdict = "✓ 正确"
		} else if marked {
			verdict = "✗ 错误"
		}
		if marked && m.Comment != "" {
			verdict += "：" + m.Comment
		}
		fmt.Fprintf(w, "── %s  %s  %s  %d ms  id %s\n", e.Time.Local().Format("2006-01-02 15:04"), e.Channel, verdict, e.LatencyMS, e.ID)
		fmt.Fprintf(w, "问：%s\n", e.Question)
		if e.Error != "" {
			fmt.Fprintf(w, "错误：%s\n", e.Error)
		}
		answer, _, _ := strings.Cut(e.Answer, "\n\n来源：")
		fmt.Fprintf(w, "答：%s\n", answer)
		for _, c := range e.Citations {
			fmt.Fprintf(w, "  [%d] %s %s %s\n", c.N, c.DocID, c.DocNo, c.Clause)
		}
		if !e.Found {
			fmt.Fprintln(w, "  （未找到依据）")
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%d of %d answers since %s\n", shown, len(entries), from.Local().Format("2006-01-02 15:04"))
	return w.Flush()
}

// recordReader reads the Q&A record: a *journal.Files, or the database's.
type recordReader interface {
	Entries(ctx context.Context, since time.Time) ([]journal.Entry, error)
	Marks(ctx context.Context, since time.Time) ([]journal.Mark, error)
}

// recordReader opens the Q&A record for reading: every replica's, in the
// shared database, with store: postgres. The record is read even when no
// longer kept: what is there stays worth reviewing. Reading files never
// prunes, creates or writes.
func (g *global) recordReader(ctx context.Context) (recordReader, error) {
	db, err := g.db(ctx)
	if err != nil {
		return nil, err
	}
	if db != nil {
		return db.Record(0), nil
	}
	j, err := journal.OpenReader(filepath.Join(g.cfg.DataDir, "qa"), g.log)
	if err != nil {
		return nil, err
	}
	// A reader holds no file open: nothing to close.
	return j, nil
}
