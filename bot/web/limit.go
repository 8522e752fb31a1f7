package web

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per client IP. The map is bounded so that a
// flood of addresses cannot grow it without limit.
type limiter struct {
	every rate.Limit
	burst int
	size  int

	mu      sync.Mutex
	clients map[string]*client
}

type client struct {
	bucket *rate.Limiter
	seen   time.Time
}

// newLimiter allows perMinute requests a minute with a burst of a sixth of
// that (at least one, at most 20): a staff member may regenerate a few
// drafts in a row, but not script the LLM.
func newLimiter(perMinute float64, size int) *limiter {
	burst := int(math.Ceil(perMinute / 6))
	return newBurstLimiter(perMinute, min(max(burst, 1), 20), size)
}

// newBurstLimiter allows perMinute requests a minute, burst of them at
// once.
func newBurstLimiter(perMinute float64, burst, size int) *limiter {
	return &limiter{
		every:   rate.Limit(perMinute / 60),
		burst:   max(burst, 1),
		size:    size,
		clients: make(map[string]*client),
	}
}

// blocked reports whether key has no request left at now, without
// taking one.
func (l *limiter) blocked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.clients[key]
	return ok && c.bucket.TokensAt(now) < 1
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.clients[key]
	if !ok {
		if len(l.clients) >= l.size {
			l.evict(now)
		}
		c = &client{bucket: rate.NewLimiter(l.every, l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	return c.bucket.AllowN(now, 1)
}

// evict first forgets clients whose bucket has refilled (forgetting them
// changes nothing), then, if the map is still full, the least recently
// seen one. It runs only when the map is full, so its O(n) is rare.
func (l *limiter) evict(now time.Time) {
	for k, c := range l.clients {
		if c.bucket.TokensAt(now) >= float64(l.burst) {
			delete(l.clients, k)
		}
	}
	if len(l.clients) < l.size {
		return
	}
	var oldest string
	var when time.Time
	for k, c := range l.clients {
		if oldest == "" || c.seen.Before(when) {
			oldest, when = k, c.seen
		}
	}
	delete(l.clients, oldest)
}
