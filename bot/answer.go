package bot

// Answer is the bot's reply to one question, with the clauses it cites.
// Its JSON shape is a contract read by other tools (ask --json, /api/ask).
type Answer struct {
	Text      string     `json:"answer"`
	Found     bool       `json:"found"`
	Query     string     `json:"query"`
	Citations []Citation `json:"citations"`
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
