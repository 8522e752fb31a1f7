package chat

import (
	"container/list"
	"context"
	"fmt"
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
// WeChat flags accounts that send in bursts. A nil pacer does not wait.
type pacer struct {
	lim *rate.Limiter
}

func newPacer(interval time.Duration) *pacer {
	if interval <= 0 {
		return nil
	}
	return &pacer{lim: rate.NewLimiter(rate.Every(interval), 1)}
}

// wait blocks until the next send may go out or ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if err := p.lim.Wait(ctx); err != nil {
		return fmt.Errorf("wait for send slot: %w", err)
	}
	return nil
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
