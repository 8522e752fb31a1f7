// Package corpus owns the policy documents policybot answers from: reading
// them and what they print about themselves (title, 文号, issuer, dates,
// validity), cutting them into citable clauses, and loading the built-in
// corpus and users' folders with the scope they cover.
package corpus

// Document is one policy document or one department's interpretation.
// Dates are ISO (2006-01-02) strings, empty when the text prints none.
type Document struct {
	ID             string  `json:"id" yaml:"id"`
	Title          string  `json:"title" yaml:"title"`
	DocNo          string  `json:"doc_no" yaml:"doc_no"`
	Issuer         string  `json:"issuer" yaml:"issuer"`
	Domain         string  `json:"domain" yaml:"domain"`
	Kind           string  `json:"kind" yaml:"kind"`
	Issued         string  `json:"issued" yaml:"issued"`
	EffectiveFrom  string  `json:"effective_from" yaml:"effective_from"`
	EffectiveUntil string  `json:"effective_until" yaml:"effective_until"`
	Source         string  `json:"source" yaml:"source"`
	Body           string  `json:"text" yaml:"-"`
	Chunks         []Chunk `json:"-" yaml:"-"`
	// File is the file the document was read from; empty for a built-in
	// one.
	File string `json:"-" yaml:"-"`
	// Origin says, per field (by its front-matter key), where its value
	// came from: OriginFrontMatter or OriginText; a field printed nowhere
	// has none, and stays empty.
	Origin map[string]string `json:"-" yaml:"-"`
	// Repeals lists the 文号 of the documents this one says are 废止 or
	// 停止执行 (the 《title》 of one it names by title alone), with the part
	// when it ends only a part (…6号第七条).
	Repeals []string `json:"repeals,omitempty" yaml:"-"`
	// RepealedBy cites, 《title》（文号）, the loaded document that repeals
	// this one, from RepealedOn (ISO; empty when it prints no date).
	RepealedBy string `json:"-" yaml:"-"`
	RepealedOn string `json:"-" yaml:"-"`
	// ExtendedBy cites the loaded document that extends this one's
	// stated period (…（财税〔2019〕21号）规定的…执行期限延长至2022年12月31日)
	// to ExtendedTo (ISO), later than its own end.
	ExtendedBy string `json:"-" yaml:"-"`
	ExtendedTo string `json:"-" yaml:"-"`
	// PartsChanged are the parts of this document (第七条) loaded
	// documents repeal while the rest stands.
	PartsChanged []PartChange `json:"-" yaml:"-"`
	// Newer cites the newest loaded document of the same title (or
	// issuing the same measures) issued after this one, when that one
	// does not say it repeals this: a later version may replace an
	// earlier without saying so, and whoever applies it should check.
	Newer, NewerIssued string `json:"-" yaml:"-"`
	// Compiled is the year the compilation (汇编) that holds the document
	// was made, when it was read from one: the built-in corpus's (its
	// scope's), or a user's compilation's, no earlier than the dates its
	// cover and preface print and its documents' issue. For a document
	// that prints no date of its own it is the best "when" there is.
	Compiled int `json:"-" yaml:"-"`
	// sectionEnds are the ends one article's own sentence states for the
	// whole of its top-level section (三、…（四）…本条政策执行至…), by
	// section (sectionOf), for the section's other clauses.
	sectionEnds map[string]string
}

// Chunk is one clause (or a run of small sibling clauses, or one part of a
// long clause) with what is needed to cite it.
type Chunk struct {
	ID    string   // content hash, stable across runs
	DocID string   // Document.ID
	Path  []string // heading path, outermost first
	Label string   // citation label, e.g. 第十二条, 三（一）1, 附件2 一、
	Text  string   // the clause text as printed
	Ord   int      // position within the document
}

// Where a document's field came from (Document.Origin).
const (
	OriginFrontMatter = "front matter"
	OriginText        = "read from the text"
)
