package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/policybot/policybot/retrieval"
)

// cmdTaught lists, removes and exports the questions staff taught from
// the console.
func cmdTaught(ctx context.Context, g *global, args []string) error {
	fs := newFlags(g, "taught", "[list | remove ID... | export]",
		"List the questions staff taught (each an alias of a clause, or a question the documents do not answer),\n"+
			"remove some, or export them all as JSON lines. A running serve or wechat sees a change within a second or so.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := g.load(); err != nil {
		return err
	}
	st, err := g.taught(ctx)
	if err != nil {
		return err
	}
	sub := fs.Arg(0)
	if sub == "" {
		sub = "list"
	}
	switch sub {
	case "list":
		if fs.NArg() > 1 {
			return errors.New("taught list: takes no arguments")
		}
		return listTaught(g.stdout, st.List())
	case "export":
		if fs.NArg() > 1 {
			return errors.New("taught export: takes no arguments")
		}
		return st.Export(g.stdout)
	case "remove":
		if fs.NArg() < 2 {
			return errors.New("taught remove: want ids (see taught list)")
		}
		for _, id := range fs.Args()[1:] {
			if err := st.Remove(ctx, id); err != nil {
				return fmt.Errorf("taught %w", err)
			}
			fmt.Fprintf(g.stdout, "removed %s\n", id)
		}
		return nil
	default:
		return fmt.Errorf("taught: unknown subcommand %q", sub)
	}
}

// listTaught prints one line per taught question: id, date, what was
// taught and the question.
func listTaught(w io.Writer, items []retrieval.TaughtItem) error {
	var b strings.Builder
	if len(items) == 0 {
		b.WriteString("nothing taught\n")
	}
	for _, it := range items {
		what := it.ChunkID
		if it.None {
			what = "资料中没有答案"
		}
		fmt.Fprintf(&b, "%s  %s  %s  %s\n", it.ID, it.Added.Format("2006-01-02"), what, it.Question)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
