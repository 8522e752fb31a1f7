package answer

import (
	"context"
	"testing"
	"time"
)

type nopGen struct{}

func (nopGen) Complete(context.Context, string, string) (string, error) { return "", nil }

// TestBudgetShares checks how a budget is shared out: the rewrite's
// share, generation's end and the margin left for the extract.
func TestBudgetShares(t *testing.T) {
	tests := []struct {
		name       string
		budget     time.Duration
		callerLeft time.Duration // the caller's ctx's time left; 0: no deadline
		rewrite    time.Duration // from the start
		generate   time.Duration // from the start
	}{
		{"test budget", 300 * time.Millisecond, 0, 75 * time.Millisecond, 270 * time.Millisecond},
		{"default budget", 25 * time.Second, 0, 6250 * time.Millisecond, 24 * time.Second},
		{"long budget: rewrite capped at 10s", time.Minute, 0, 10 * time.Second, 59 * time.Second},
		{"caller's deadline first", 25 * time.Second, 4 * time.Second, time.Second, 3600 * time.Millisecond},
		{"caller's deadline later", 25 * time.Second, time.Minute, 6250 * time.Millisecond, 24 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Pipeline{gen: nopGen{}, opts: Options{Budget: tt.budget}}
			ctx := context.Background()
			if tt.callerLeft > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.callerLeft)
				defer cancel()
			}
			b := p.startBudget(ctx)
			if !b.set() {
				t.Fatal("budget not set")
			}
			const slack = 20 * time.Millisecond // the caller's deadline was set a moment before
			if got := b.rewriteEnd().Sub(b.start); got > tt.rewrite || got < tt.rewrite-slack {
				t.Errorf("rewrite share %v, want %v", got, tt.rewrite)
			}
			if got := b.generateEnd().Sub(b.start); got > tt.generate || got < tt.generate-slack {
				t.Errorf("generation ends after %v, want %v", got, tt.generate)
			}
		})
	}
	t.Run("no budget", func(t *testing.T) {
		for _, p := range []*Pipeline{{gen: nopGen{}}, {opts: Options{Budget: time.Second}}} {
			if b := p.startBudget(context.Background()); b.set() {
				t.Errorf("startBudget with budget %v and model %v set one", p.opts.Budget, p.gen != nil)
			}
		}
	})
}
