package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// cli runs the command in-process with its own data folder and an
// environment of its own: the real one is never read.
type cli struct {
	dataDir string
	env     map[string]string
}

// newCLI gives a test a fresh data folder and an empty environment.
func newCLI(t *testing.T) cli {
	t.Helper()
	return cli{dataDir: t.TempDir(), env: map[string]string{}}
}

// indexedDataDir is a data folder holding the search index of the
// built-in corpus, built once by TestMain and only read afterwards:
// building takes a second, twenty under -race, loading a fraction.
var indexedDataDir string

// indexedCLI is a cli whose data folder already holds the index. Tests
// that write to the data folder (the Q&A record) must not run in
// parallel with each other.
func indexedCLI() cli { return cli{dataDir: indexedDataDir, env: map[string]string{}} }

func TestMain(m *testing.M) {
	os.Exit(buildIndexThenRun(m))
}

func buildIndexThenRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "policybot-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	var stderr bytes.Buffer
	noEnv := func(string) string { return "" }
	if err := run(context.Background(), []string{"--data-dir", dir, "retrieve", "小型微利企业"}, strings.NewReader(""), io.Discard, &stderr, noEnv); err != nil {
		fmt.Fprintf(os.Stderr, "build the test index: %v\n%s", err, stderr.String())
		return 1
	}
	indexedDataDir = dir
	return m.Run()
}

// indexedCopy is a fresh data folder holding a copy of the test index,
// for tests that write to their data folder but need not build the index.
func indexedCopy(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join(indexedDataDir, "index")
	files, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dst, "index"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(src, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, "index", f.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// with returns c with more environment variables; c is unchanged.
func (c cli) with(kv ...string) cli {
	env := make(map[string]string, len(c.env)+len(kv)/2)
	for k, v := range c.env {
		env[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	c.env = env
	return c
}

func (c cli) getenv(key string) string { return c.env[key] }

// run calls run with --data-dir first, then args (global flags, then the
// command).
func (c cli) run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut syncBuffer
	full := append([]string{"--data-dir", c.dataDir}, args...)
	err = run(t.Context(), full, strings.NewReader(stdin), &out, &errOut, c.getenv)
	return out.String(), errOut.String(), err
}

// mustRun is run for calls that must succeed.
func (c cli) mustRun(t *testing.T, stdin string, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := c.run(t, stdin, args...)
	if err != nil {
		t.Fatalf("policybot %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr)
	}
	return stdout, stderr
}

// syncBuffer is a bytes.Buffer safe for the log handler and a test
// reading it at the same time.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// writeFile writes content to name in a new temporary folder and returns
// its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// object decodes one JSON object, keeping its values raw so that the
// keys can be checked.
func object(t *testing.T, data []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return m
}

// checkKeys fails unless obj has every required key and no key outside
// required and allowed.
func checkKeys(t *testing.T, what string, obj map[string]json.RawMessage, required, allowed []string) {
	t.Helper()
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s: key %q missing; got keys %v", what, k, sortedKeys(obj))
		}
	}
	for k := range obj {
		if !slices.Contains(required, k) && !slices.Contains(allowed, k) {
			t.Errorf("%s: unexpected key %q", what, k)
		}
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// configFile writes a YAML config and returns its path.
func configFile(t *testing.T, yaml string) string {
	t.Helper()
	return writeFile(t, "policybot.yaml", yaml)
}

func TestRunErrors(t *testing.T) {
	c := newCLI(t)
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	tests := []struct {
		name string
		env  []string
		args []string
		// want are pieces of the error message.
		want []string
		// help says the error must be flag.ErrHelp.
		help bool
		// usage is a piece of the text stderr must show.
		usage string
	}{
		{name: "no command", args: nil, want: []string{"no command"}, usage: "Commands:"},
		{name: "unknown command", args: []string{"frobnicate"}, want: []string{`"frobnicate"`}, usage: "Commands:"},
		{name: "unknown global flag", args: []string{"--nope", "corpus", "list"}, want: []string{"nope"}},
		{name: "ask --help", args: []string{"ask", "--help"}, help: true, usage: "Usage: policybot ask"},
		{name: "retrieve -h", args: []string{"retrieve", "-h"}, help: true, usage: "Usage: policybot retrieve"},
		{name: "ask without question", args: []string{"ask"}, want: []string{"QUESTION"}, usage: "Usage: policybot ask"},
		{name: "eval without file", args: []string{"eval"}, want: []string{"FILE"}},
		{name: "eval missing file", args: []string{"eval", missing}, want: []string{missing}},
		{
			name: "unknown config key",
			args: []string{"--config", configFile(t, "llm:\n  timout: 5s\n"), "corpus", "list"},
			want: []string{"timout"},
		},
		{
			name: "negative llm timeout",
			args: []string{"--config", configFile(t, "llm:\n  timeout: \"-1s\"\n"), "corpus", "list"},
			want: []string{"llm.timeout"},
		},
		{
			name: "bad retrieval top_k",
			args: []string{"--config", configFile(t, "retrieval:\n  top_k: 0\n"), "retrieve", "x"},
			want: []string{"retrieval.top_k"},
		},
		{name: "missing --config file", args: []string{"--config", missing, "corpus", "list"}, want: []string{missing}},
		{name: "POLICYBOT_CONFIG names a missing file", env: []string{"POLICYBOT_CONFIG", missing}, args: []string{"corpus", "list"}, want: []string{missing}},
		{
			name: "llm key without model",
			env:  []string{"OPENAI_API_KEY", "sk-secret-value"},
			args: []string{"ask", "小微企业有什么优惠？"},
			want: []string{"llm.model"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := c.with(tt.env...).run(t, "", tt.args...)
			if err == nil {
				t.Fatalf("got no error, want one")
			}
			if tt.help != errors.Is(err, flag.ErrHelp) {
				t.Errorf("got error %v, want flag.ErrHelp %v", err, tt.help)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("got a %d-line error %q, want one line", strings.Count(msg, "\n")+1, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("got error %q, want it to mention %q", msg, w)
				}
			}
			if tt.usage != "" && !strings.Contains(stderr, tt.usage) {
				t.Errorf("got stderr %q, want it to contain %q", stderr, tt.usage)
			}
			for i := 0; i+1 < len(tt.env); i += 2 {
				if strings.Contains(tt.env[i], "KEY") && strings.Contains(stderr+msg, tt.env[i+1]) {
					t.Errorf("the value of %s appears in the output", tt.env[i])
				}
			}
		})
	}
}

func TestServeRefusesPublicAddressWithoutToken(t *testing.T) {
	c := newCLI(t)
	tests := []struct {
		name string
		env  []string
		args []string
	}{
		{name: "--listen 0.0.0.0:0", args: []string{"serve", "--listen", "0.0.0.0:0"}},
		{name: "--listen :0 (every interface)", args: []string{"serve", "--listen", ":0"}},
		{name: "web.listen in the config", args: []string{"--config", configFile(t, "web:\n  listen: 0.0.0.0:0\n"), "serve"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := c.with(tt.env...).run(t, "", tt.args...)
			if err == nil {
				t.Fatalf("got no error, want a refusal")
			}
			if !strings.Contains(err.Error(), "web.token") {
				t.Errorf("got error %q, want it to name web.token", err)
			}
			if strings.Contains(stderr, "listening") {
				t.Errorf("got stderr %q, want no server started", stderr)
			}
		})
	}
}
