package chat

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// seenIDs remembers recent message ids so that a message the transport
// delivers twice (WeChat resends after a network hiccup) is answered once.
// It holds at most max ids and forgets an id after ttl, whichever comes
// first, so memory stays bounded however long the bot runs.
type seenIDs struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	order *list.List // of seenID, oldest at the front
	index map[string]*list.Element
}

type seenID struct {
	id   string
	when time.Time
}

func newSeenIDs(max int, ttl time.Duration) *seenIDs {
	return &seenIDs{max: max, ttl: ttl, order: list.New(), index: make(map[string]*list.Element)}
}

// add records id at now and reports whether it was already there.
func (s *seenIDs) add(id string, now time.Time) (dup bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for e := s.order.Front(); e != nil; e = s.order.Front() {
		v := e.Value.(seenID)
		if now.Sub(v.when) < s.ttl && s.order.Len() < s.max {
			break
		}
		s.order.Remove(e)
		delete(s.index, v.id)
	}
	if _, ok := s.index[id]; ok {
		return true
	}
	s.index[id] = s.order.PushBack(seenID{id: id, when: now})
	return false
}

func (s *seenIDs) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}

// userLimits is a token bucket per sender. A bucket that has been idle long
// enough to refill completely is indistinguishable from a new one, so it is
// dropped; the map therefore holds only senders active in the last refill
// period.
type userLimits struct {
	mu        sync.Mutex
	every     rate.Limit
	burst     int
	idle      time.Duration // time for an empty bucket to refill
	users     map[string]*userLimit
	lastSweep time.Time
}

type userLimit struct {
	lim      *rate.Limiter
	last     time.Time
	notified bool // the "too fast" note was sent since the last allowed message
}

// newUserLimits returns the limits of perMinute messages with a bucket of
// burst, or nil, which allows everything, when perMinute is not positive.
func newUserLimits(perMinute float64, burst int) *userLimits {
	if perMinute <= 0 {
		return nil
	}
	burst = max(burst, 1)
	idle := time.Duration(float64(burst) / perMinute * float64(time.Minute))
	return &userLimits{
		every: rate.Limit(perMinute / 60),
		burst: burst,
		idle:  idle,
		users: make(map[string]*userLimit),
	}
}

// verdict is what the limiter decided for one message.
type verdict int

const (
	allowed verdict = iota
	limitedNotify
	limitedSilent
)

// allow takes a token for user at now. When the bucket is empty it asks
// for the "too fast" note only the first time, so a user who keeps sending
// does not make the bot send as many notes as they send messages.
func (u *userLimits) allow(user string, now time.Time) verdict {
	if u == nil {
		return allowed
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if now.Sub(u.lastSweep) >= u.idle {
		for k, v := range u.users {
			if now.Sub(v.last) >= u.idle {
				delete(u.users, k)
			}
		}
		u.lastSweep = now
	}
	l, ok := u.users[user]
	if !ok {
		l = &userLimit{lim: rate.NewLimiter(u.every, u.burst)}
		u.users[user] = l
	}
	l.last = now
	switch {
	case l.lim.AllowN(now, 1):
		l.notified = false
		return allowed
	case l.notified:
		return limitedSilent
	default:
		l.notified = true
		return limitedNotify
	}
}

func (u *userLimits) len() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.users)
}

// pacer spaces out all sends of the process, whatever the chat, because
// WeChat flags accounts that send in bursts. It is a timetable: every
// send books a slot at least interval away from every other booked slot,
// the earliest free one at or after the time asked for, so that a reply
// can book all its parts at once (see reserve) while other replies fill
// the gaps between them. A nil pacer does not wait.
type pacer struct {
	interval time.Duration
	now      func() time.Time // time.Now; the slots are slept on

	mu    sync.Mutex
	slots []time.Time // booked, sorted; at most one interval in the past
}

func newPacer(interval time.Duration) *pacer {
	if interval <= 0 {
		return nil
	}
	return &pacer{interval: interval, now: time.Now}
}

// errPastDeadline is the pacer's refusal of a send whose first slot would
// come after its deadline.
var errPastDeadline = errors.New("no send slot before the deadline")

// reserve books n slots for the parts of one reply, the first at the
// earliest free slot and each next one at least pause after the one
// before, and returns them. It books nothing and fails when the first
// slot would come after deadline (zero: none), so that a reply is either
// booked whole or not at all.
func (p *pacer) reserve(n int, pause time.Duration, deadline time.Time) ([]time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.prune(now)
	first := p.free(now)
	if !deadline.IsZero() && first.After(deadline) {
		return nil, fmt.Errorf("book %d send slots: first at %s: %w", n, first.Sub(now).Round(time.Millisecond), errPastDeadline)
	}
	slots := make([]time.Time, 0, n)
	at := now
	for range n {
		at = p.book(at)
		slots = append(slots, at)
		at = at.Add(pause)
	}
	return slots, nil
}

// release gives back slots booked and not used.
func (p *pacer) release(slots []time.Time) {
	if p == nil || len(slots) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range slots {
		i, ok := slices.BinarySearchFunc(p.slots, s, time.Time.Compare)
		if ok {
			p.slots = slices.Delete(p.slots, i, i+1)
		}
	}
}

// prune forgets the slots that can no longer hold a new one back.
func (p *pacer) prune(now time.Time) {
	i := 0
	for i < len(p.slots) && !p.slots[i].Add(p.interval).After(now) {
		i++
	}
	p.slots = p.slots[i:]
}

// free is the earliest time at or after t that is at least interval away
// from every booked slot. The slots are few (bounded by the replies in
// flight), so a scan is cheap.
func (p *pacer) free(t time.Time) time.Time {
	at, _ := p.fit(t)
	return at
}

func (p *pacer) fit(t time.Time) (time.Time, int) {
	at := t
	for i, s := range p.slots {
		if !at.Add(p.interval).After(s) {
			return at, i // fits before s, and after the ones before it
		}
		if e := s.Add(p.interval); at.Before(e) {
			at = e
		}
	}
	return at, len(p.slots)
}

// book takes the earliest free slot at or after t.
func (p *pacer) book(t time.Time) time.Time {
	at, i := p.fit(t)
	p.slots = slices.Insert(p.slots, i, at)
	return at
}

// wait books the next slot and blocks until it comes or ctx ends; a slot
// after ctx's deadline is refused at once instead of slept on.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	deadline, _ := ctx.Deadline()
	slots, err := p.reserve(1, 0, deadline)
	if err != nil {
		return fmt.Errorf("wait for send slot: %w", err)
	}
	if err := sleepUntil(ctx, slots[0]); err != nil {
		p.release(slots)
		return fmt.Errorf("wait for send slot: %w", err)
	}
	return nil
}

// sleepUntil blocks until t or until ctx ends, returning ctx's error then.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// msgBusy replaces a reply that cannot be queued for sending.
const msgBusy = "现在咨询的人较多，请稍后再发一次您的问题。"

// sendQueue bounds the replies booked and not yet sent in full: when it is
// full, a new reply is refused at once, and the user told the bot is busy,
// rather than left to wait past any useful time. A nil queue is unbounded.
type sendQueue struct {
	max int

	mu sync.Mutex
	n  int
}

func newSendQueue(max int) *sendQueue {
	if max <= 0 {
		return nil
	}
	return &sendQueue{max: max}
}

// enter takes a place, reporting false when the queue is full.
func (q *sendQueue) enter() bool {
	if q == nil {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n >= q.max {
		return false
	}
	q.n++
	return true
}

// leave gives a place back; call it once per successful enter.
func (q *sendQueue) leave() {
	if q == nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n--
}

func (q *sendQueue) len() int {
	if q == nil {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// withoutDeadline returns a context with ctx's values that ends when ctx
// is cancelled, but not when ctx's deadline passes: a reply whose parts
// are booked is sent whole even when sending it outlasts the message's
// deadline, yet a shutdown or a caller who gives up still stops it. The
// reply's own schedule bounds how long it runs.
func withoutDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	out, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		// Already cancelled: say so now, not from AfterFunc's goroutine.
		cancel(err)
	}
	stop := context.AfterFunc(ctx, func() {
		if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
			cancel(err)
		}
	})
	return out, func() {
		stop()
		cancel(context.Canceled)
	}
}

// sleep pauses for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pause between parts: %w", ctx.Err())
	}
}
