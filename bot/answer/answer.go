// Package answer turns a question and its history into a structured,
// cited answer: retrieve, generate or extract, verify, and attach each
// citation's validity.
package answer

import "github.com/policybot/policybot/corpus"

// Result is the answer to one question, in parts, so that each channel
// can lay it out within its own limits, and as one plain text. Its JSON
// shape is a contract read by other tools (ask --json, /api/ask): fields
// are only ever added.
type Result struct {
	// Text is the whole answer as plain text: Head, then Details.
	Text  string `json:"answer"`
	Found bool   `json:"found"`
	Query string `json:"query"`
	// Reason says why the corpus holds no answer (retrieval's reasons);
	// empty when Found.
	Reason string `json:"reason,omitempty"`
	// Lead answers the question in a sentence or two: the model's first
	// grounded sentence, or offline the most informative sentence of the
	// best clause. Not found, it says why.
	Lead string `json:"lead"`
	// Weak says the clauses found share little with the question
	// (retrieval.Result.Weak): an extract's lead says so.
	Weak bool `json:"weak,omitempty"`
	// Note says how Body was made when that matters to the reader: an
	// extract offline, an extract because the model failed, or a model
	// answer whose markers did not verify. Empty for a verified answer.
	Note string `json:"note,omitempty"`
	// Body is the answer proper: the model's text with [n] markers, the
	// quoted extract, or why the corpus cannot answer.
	Body      string     `json:"body"`
	Citations []Citation `json:"citations"`
	// Validity holds the 时效提示 lines, each starting with the [n] of the
	// citations it concerns.
	Validity []string `json:"validity_notes"`
	// Sentences reports what grounding made of each sentence the model
	// wrote; empty for extracts.
	Sentences []Sentence `json:"sentences,omitempty"`
	// Corpus names the version of the corpus that answered, so that the
	// record of an answer says which documents it was judged against.
	Corpus string `json:"corpus_version,omitempty"`
}

// Citation is one clause an answer rests on. N matches the [n] marker in
// the answer text.
type Citation struct {
	N      int    `json:"n"`
	DocID  string `json:"doc_id"`
	Title  string `json:"title"`
	DocNo  string `json:"doc_no"`
	Clause string `json:"clause"`
	Issued string `json:"issued"`
	// Expired is Validity.Status == expired, kept for readers of the
	// older contract.
	Expired bool `json:"expired"`
	// Validity is where the clause stands today: its document's period,
	// or what the clause itself brings in (a period it states, a document
	// it names or repeats), whichever ended first.
	Validity corpus.Validity `json:"validity"`
	Text     string          `json:"text"`
	// ChunkID identifies the clause in the corpus, so a client can open
	// it highlighted within its document.
	ChunkID string `json:"chunk_id"`

	score float64 // retrieval's, for choosing what an extract quotes
	// compiled is the year of the compilation the document was taken
	// from, when it prints no date of its own: the 来源 line then says
	// when it was at least in force.
	compiled int
	// part, when set, is the part of a clause stating several periods
	// that the answer rests on, and Validity was judged on it (see focus).
	part string
	// newer is the issue date (ISO) of a later loaded version of the
	// document, which does not say it repeals it (corpus.Document.Newer):
	// the status line says a newer one exists.
	newer string
}
