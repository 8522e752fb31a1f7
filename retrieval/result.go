// Package retrieval finds the clauses that answer a question: a hybrid of
// vector search (chromem-go) and lexical BM25, fused, with a judgement of
// whether the corpus holds an answer at all.
package retrieval

// Query is one search. History holds the earlier user messages of the
// conversation, oldest first, so a follow-up can be understood.
type Query struct {
	Question string
	History  []string
	K        int // results wanted; 0 means the index default
	// Filters; empty means any. InForce keeps documents whose stated
	// period has not ended (documents stating none count as in force).
	Domain  string // 工信, 发改, 科技, 财政, 税务
	Kind    string // 原文 or 解读
	InForce bool
}

// Result is what a search found. Its JSON shape is a contract read by
// other tools (retrieve --json, /api/retrieve).
type Result struct {
	Question string `json:"question"`
	Query    string `json:"query"`
	Found    bool   `json:"found"`
	// Reason says why Found is false (one of the Reason constants); empty
	// when found.
	Reason string `json:"reason,omitempty"`
	Hits   []Hit  `json:"results"`
	// Coverage is the share of the question's informative weight that its
	// best clause holds (the judge's evidence; see minCoverage and Weak);
	// 0 when not measured, for a question naming its document by 文号.
	Coverage float64 `json:"coverage"`
	// Version names the corpus that answered (see Version), so that a
	// record of the answer says which documents it was judged against.
	Version string `json:"corpus_version,omitempty"`
	// Terms weighs the query's two-character terms that the corpus holds,
	// vocabulary expansions included, as ranking did (weight × IDF): what
	// a reader of the clauses looks for in them. Not part of the JSON
	// contract: how ranking read a question is the index's own business.
	Terms map[string]float64 `json:"-"`
}

// Hit is one ranked clause.
type Hit struct {
	Rank   int     `json:"rank"`
	Score  float64 `json:"score"`
	DocID  string  `json:"doc_id"`
	Title  string  `json:"title"`
	DocNo  string  `json:"doc_no"`
	Issuer string  `json:"issuer"`
	Kind   string  `json:"kind"`
	Clause string  `json:"clause"`
	Text   string  `json:"text"`
	// ChunkID identifies the clause within the corpus, so a client can
	// open it highlighted within its document.
	ChunkID string `json:"chunk_id"`
	// Reranked says Score is a reranker's relevance score for the
	// question, not the fused lexical and vector score.
	Reranked bool `json:"reranked,omitempty"`
}

// Weak says whether what was found holds little of what the question
// asks: its best clause holds under weakCoverage of the question's
// informative weight. An answer from it says so, since the clause may
// answer something else.
func (r Result) Weak() bool { return r.Found && r.Coverage > 0 && r.Coverage < weakCoverage }

// weakCoverage is where found clauses start to share too little with the
// question to be presented as its answer without a word of caution. It
// was read off every set's answers (README): below it fall about a tenth
// of the answerable questions the corpus answers and a fifth of the
// unanswerable ones it does not refuse; higher, the caution falls on a
// fifth of the answerable ones and more, and stops meaning anything.
const weakCoverage = 0.2
