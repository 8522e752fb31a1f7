// Command policybot answers business owners' questions about government
// support policies, citing the document, its number and the clause.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "policybot:", err)
		os.Exit(1)
	}
}

const usage = `policybot — 政策助手: cited answers from policy documents.

Usage:
  policybot [global flags] <command> [flags] [args]

Commands:
  chat       talk to the bot in the terminal
  ask        answer one question (--json for the contract shape)
  retrieve   show the clauses retrieval finds (--json)
  eval       measure retrieval on an evaluation file shaped like dev.jsonl
  corpus     list or show the documents (corpus list [--json], corpus show ID)
  wechat     run the WeChat bot
  serve      run the HTTP API and the staff console
  review     print the Q&A record with the staff's good/wrong marks
  taught     list, remove or export the questions staff taught (taught list | remove ID | export)

Global flags:
  --config FILE    config file (or POLICYBOT_CONFIG); none means defaults
  --data-dir DIR   where the index, records and login are kept (or POLICYBOT_DATA_DIR; default ./data)
  --corpus DIR     add a folder of documents: .docx, .doc, .wps, .xlsx, .pdf, .html, .md, .txt (repeatable)
  --no-builtin     answer from the --corpus folders only, without the built-in corpus

Run 'policybot <command> --help' for a command's flags.
`

// env is everything a command needs from the outside world, so that run
// is testable without touching the process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command func(ctx context.Context, g *global, args []string) error

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	fs := flag.NewFlagSet("policybot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	g := &global{env: e}
	defer g.closeDB()
	fs.StringVar(&g.configPath, "config", "", "config file")
	fs.StringVar(&g.dataDir, "data-dir", "", "data directory")
	fs.Func("corpus", "extra corpus folder (repeatable)", func(s string) error { g.corpusDirs = append(g.corpusDirs, s); return nil })
	fs.BoolVar(&g.noBuiltin, "no-builtin", false, "without the built-in corpus")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return errors.New("no command given")
	}
	cmds := map[string]command{
		"chat":     cmdChat,
		"ask":      cmdAsk,
		"retrieve": cmdRetrieve,
		"eval":     cmdEval,
		"corpus":   cmdCorpus,
		"wechat":   cmdWeChat,
		"serve":    cmdServe,
		"review":   cmdReview,
		"taught":   cmdTaught,
	}
	c, ok := cmds[rest[0]]
	if !ok {
		fs.Usage()
		return fmt.Errorf("unknown command %q", rest[0])
	}
	return c(ctx, g, rest[1:])
}

// newFlags makes a subcommand's flag set with a usage line.
func newFlags(g *global, name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(g.stderr)
	fs.Usage = func() {
		fmt.Fprintf(g.stderr, "Usage: policybot %s [flags] %s\n\n%s\n\nFlags:\n", name, args, about)
		fs.PrintDefaults()
	}
	return fs
}
