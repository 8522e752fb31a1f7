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
	// Queries asks for a question restated as short search queries in
	// the words of policy documents, one a line.
	Queries = "queries.tmpl"
)

// Set is a parsed set of templates.
type Set struct{ t *template.Template }

// Load parses the embedded templates, replacing each with the file of the
// same name in dir when dir is not empty and holds one.
func Load(dir string) (*Set, error) {
	t := template.New("prompts").Option("missingkey=error")
	for _, name := range []string{System, Answer, Rewrite, Queries} {
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

// Data is what the templates render. Render neutralises every field that
// carries user or document text before any template sees it (see AsData
// and OneLine), so an overriding template gets the same guarantees.
type Data struct {
	Today    string   // 2026年11月27日
	Scope    string   // what the corpus covers, one sentence; may be empty
	Question string   // the user's question, as data; rendered on one line
	History  []string // earlier user messages, oldest first; each rendered on one line
	Clauses  []Clause // Text keeps its lines; the other fields are rendered on one line
	MaxChars int      // the answer's length cap
	// MaxQueries is how many search queries Queries asks for.
	MaxQueries int
	// NoAnswer, when set, is the whole reply the model is to give when
	// none of the clauses answers the question; empty, the model is not
	// offered that reply.
	NoAnswer string
}

// Render executes one template on d made safe to show as data.
func (s *Set) Render(name string, d Data) (string, error) {
	var b strings.Builder
	if err := s.t.ExecuteTemplate(&b, name, d.neutral()); err != nil {
		return "", fmt.Errorf("render prompt %s: %w", name, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// neutral is d with its user and document text unable to pass for prompt
// text: no field can open or close a tag such as <question>, <history> or
// <clauses>, and no question, history turn or clause heading can start a
// line of its own. Clause text keeps its lines, inside <clauses>.
func (d Data) neutral() Data {
	d.Scope = OneLine(d.Scope)
	d.Question = OneLine(d.Question)
	if d.History != nil {
		h := make([]string, len(d.History))
		for i, s := range d.History {
			h[i] = OneLine(s)
		}
		d.History = h
	}
	if d.Clauses != nil {
		cs := make([]Clause, len(d.Clauses))
		for i, c := range d.Clauses {
			c.Title, c.DocNo, c.Label = OneLine(c.Title), OneLine(c.DocNo), OneLine(c.Label)
			c.Issued, c.Validity = OneLine(c.Issued), OneLine(c.Validity)
			c.Text = AsData(c.Text)
			cs[i] = c
		}
		d.Clauses = cs
	}
	return d
}

var foldBrackets = strings.NewReplacer("<", "＜", ">", "＞")

// AsData folds angle brackets to full width (＜ ＞), so that text shown to
// the model as data can neither close the tag it sits in nor open one of
// the prompt's own. Full-width brackets read the same to the model.
func AsData(s string) string { return foldBrackets.Replace(s) }

// OneLine is AsData with the text's lines joined by single spaces, blank
// lines and the space around each break dropped: a question or a history
// turn stays on its own line and cannot begin one that reads as prompt
// text (系统通知：…, a forged [1]《…》 clause heading).
func OneLine(s string) string {
	parts := strings.FieldsFunc(s, isLineBreak)
	kept := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return AsData(strings.Join(kept, " "))
}

// isLineBreak is every character a reader or a model may take as the end
// of a line: LF, CR, VT, FF, NEL, and the Unicode line and paragraph
// separators.
func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}
