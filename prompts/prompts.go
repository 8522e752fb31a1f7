// Package prompts holds the text templates policybot sends to the chat
// model, embedded in the binary and overridable from a folder.
package prompts

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

//go:embed *.tmpl
var builtin embed.FS

// Names of the templates every Set holds.
const (
	System  = "system.tmpl"
	Answer  = "answer.tmpl"
	Rewrite = "rewrite.tmpl"
)

// Set is a parsed set of templates.
type Set struct{ t *template.Template }

// Load parses the embedded templates, replacing each with the file of the
// same name in dir when dir is not empty and holds one.
func Load(dir string) (*Set, error) {
	t := template.New("prompts").Option("missingkey=error")
	for _, name := range []string{System, Answer, Rewrite} {
		data, err := builtin.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("load prompt %s: %w", name, err)
		}
		if dir != "" {
			if own, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				data = own
			} else if !os.IsNotExist(err) {
				return nil, fmt.Errorf("load prompt %s: %w", name, err)
			}
		}
		if _, err := t.New(name).Parse(string(data)); err != nil {
			return nil, fmt.Errorf("parse prompt %s: %w", name, err)
		}
	}
	return &Set{t: t}, nil
}

// Clause is one numbered clause shown to the model.
type Clause struct {
	N        int
	Title    string
	DocNo    string
	Label    string
	Issued   string // 2018年7月11日, or the year alone
	Validity string // one line: the stated period and whether it has ended
	Text     string
}

// Data is what the templates render.
type Data struct {
	Today    string   // 2026年11月27日
	Scope    string   // what the corpus covers, one sentence; may be empty
	Question string   // the user's question, as data
	History  []string // earlier user messages, oldest first
	Clauses  []Clause
	MaxChars int // the answer's length cap
}

// Render executes one template.
func (s *Set) Render(name string, d Data) (string, error) {
	var b strings.Builder
	if err := s.t.ExecuteTemplate(&b, name, d); err != nil {
		return "", fmt.Errorf("render prompt %s: %w", name, err)
	}
	return strings.TrimSpace(b.String()), nil
}
