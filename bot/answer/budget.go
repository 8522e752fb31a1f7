package answer

import (
	"context"
	"time"
)

// How Options.Budget is shared out. The rewrite of a follow-up and the
// restatement in policy words, made at the same time, may take a quarter
// of it, at most rewriteCap; generation gets what is left up to the
// end less a margin, a tenth of the budget and at most marginCap, in which
// the extract is made and returned.
const (
	rewriteShare = 4
	rewriteCap   = 10 * time.Second
	marginShare  = 10
	marginCap    = time.Second
)

// budget is one answer's deadline for its model steps. The zero budget
// sets none: the caller's ctx and Options.Timeout alone bound them.
type budget struct {
	start, end time.Time
}

// startBudget starts the clock of one answer. When ctx ends before the
// budget would, the budget ends with it, so that the extract still
// reaches a caller that waits no longer.
func (p *Pipeline) startBudget(ctx context.Context) budget {
	if p.gen == nil || p.opts.Budget <= 0 {
		return budget{}
	}
	now := time.Now()
	b := budget{start: now, end: now.Add(p.opts.Budget)}
	if dl, ok := ctx.Deadline(); ok && dl.Before(b.end) {
		b.end = dl
	}
	return b
}

func (b budget) set() bool { return !b.end.IsZero() }

func (b budget) total() time.Duration { return b.end.Sub(b.start) }

// margin is the time kept at the end of the budget to fall back to the
// extract and return it.
func (b budget) margin() time.Duration { return max(min(b.total()/marginShare, marginCap), 0) }

// rewriteEnd is when the rewrite of a follow-up and the restatement in
// policy words must be done.
func (b budget) rewriteEnd() time.Time {
	return b.start.Add(min(b.total()/rewriteShare, rewriteCap))
}

// generateEnd is when generation must be done, with its retries.
func (b budget) generateEnd() time.Time { return b.end.Add(-b.margin()) }

// until bounds ctx by end when the budget is set, and by Options.Timeout
// when that is set: whichever comes first.
func (p *Pipeline) until(ctx context.Context, b budget, end time.Time) (context.Context, context.CancelFunc) {
	ctx, cancelTimeout := p.deadline(ctx)
	if !b.set() {
		return ctx, cancelTimeout
	}
	ctx, cancel := context.WithDeadline(ctx, end)
	return ctx, func() { cancel(); cancelTimeout() }
}
