// Package answer turns a question and its history into a structured,
// cited answer: retrieve, generate or extract, verify, and attach each
// citation's validity.
package answer

// Result is the answer to one question, in parts, so that each channel
// can lay it out within its own limits, and as one plain text. Its JSON
// shape is a contract read by other tools (ask --json, /api/ask): fields
// are only ever added.
type Result struct {
	// Text is the whole answer as plain text: Note, Body, the 来源 block
	// and the 时效提示 block.
	Text  string `json:"answer"`
	Found bool   `json:"found"`
	Query string `json:"query"`
	// Reason says why the corpus holds no answer (retrieval's reasons);
	// empty when Found.
	Reason string `json:"reason,omitempty"`
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
}

// Citation is one clause an answer rests on. N matches the [n] marker in
// the answer text.
type Citation struct {
	N       int    `json:"n"`
	DocID   string `json:"doc_id"`
	Title   string `json:"title"`
	DocNo   string `json:"doc_no"`
	Clause  string `json:"clause"`
	Issued  string `json:"issued"`
	Expired bool   `json:"expired"`
	Text    string `json:"text"`
	// ChunkID identifies the clause in the corpus, so a client can open
	// it highlighted within its document.
	ChunkID string `json:"chunk_id"`
}
