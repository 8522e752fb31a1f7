package answer

import (
	"context"
	"strings"
)

// StreamGenerator is a Generator that can also pass on its answer as it
// is written. The pipeline uses Stream only in AnswerStream; everything
// else (the follow-up rewrite, Answer) still calls Complete.
type StreamGenerator interface {
	Generator
	// Stream is Complete that calls onDelta with each piece of text, in
	// order, as it arrives, and returns the whole text. After a failure
	// the pieces already passed on are void.
	Stream(ctx context.Context, system, user string, onDelta func(string)) (string, error)
}

// AnswerStream is Result that shows the model's answer while it is being
// written: when the Generator is a StreamGenerator, onDelta receives the
// raw text as it arrives, on the caller's goroutine and never after
// AnswerStream returns. Offline, with a Generator that cannot stream, or
// when the corpus does not cover the question, onDelta is never called. The returned Result is exactly what
// Answer gives for the same model text. Since the [n] markers can only be
// verified once the whole text is there, the caller must then ask Revise
// whether what it showed still stands.
func (p *Pipeline) AnswerStream(ctx context.Context, question string, history []string, onDelta func(string)) (Result, error) {
	return p.answer(ctx, question, history, onDelta)
}

// complete generates with the model, streaming to onDelta when it is not
// nil and the model can stream.
func (p *Pipeline) complete(ctx context.Context, system, user string, onDelta func(string)) (string, error) {
	if sg, ok := p.gen.(StreamGenerator); ok && onDelta != nil {
		return sg.Stream(ctx, system, user, onDelta)
	}
	return p.gen.Complete(ctx, system, user)
}

// Revision says whether the text AnswerStream streamed stands in its
// Answer.
type Revision int

const (
	// RevisionNone: the streamed text is the answer's body as it is, or
	// nothing was streamed. What Revise returns is still to be shown.
	RevisionNone Revision = iota
	// RevisionCorrected: the answer's body differs from what was
	// streamed, because verification dropped a marker or added the
	// unverified note, or because the text was trimmed to length or of
	// Markdown. The answer's text replaces what was streamed.
	RevisionCorrected
	// RevisionReplaced: the model failed after it had begun to stream,
	// and the answer is the fallback extract. The answer's text replaces
	// what was streamed, which was never finished.
	RevisionReplaced
)

// Revise compares a, a Result returned by AnswerStream, with streamed,
// the pieces AnswerStream passed to onDelta for it, concatenated. It says
// whether streamed stands and returns what is left to show: with
// RevisionNone, the validity and 来源 lines and the 时效提示 block, or all
// of a.Text when nothing visible was streamed; otherwise all of a.Text, to
// be shown in place of streamed.
func Revise(a Result, streamed string) (Revision, string) {
	shown := strings.TrimSpace(streamed)
	if shown == "" {
		return RevisionNone, a.Text
	}
	switch {
	case a.Note == unavailableNote:
		return RevisionReplaced, a.Text
	case a.Note != "" || squeeze(plain(shown)) != squeeze(a.Lead+a.Body):
		return RevisionCorrected, a.Text
	}
	rest := a
	rest.Lead, rest.Body = "", ""
	if more := layout(rest); more != "" {
		return RevisionNone, "\n\n" + more
	}
	return RevisionNone, ""
}

// squeeze drops white space, which layout and streaming place differently.
func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }
