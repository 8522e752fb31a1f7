package wxreply

import (
	"context"
	"sync"
)

// Serial runs the jobs given for one key one after another, in the order
// they were given, and jobs of different keys concurrently. The channels
// give it each message's handling keyed by chat, because the conversation
// core answers a chat's messages in the order Handle is called, and
// goroutines started one after another may call it in any order. A key
// with no job pending has no entry, so Serial holds only busy chats.
type Serial struct {
	mu     sync.Mutex
	lines  map[string][]func()
	wg     sync.WaitGroup
	closed bool
}

// NewSerial returns a Serial that runs no job yet.
func NewSerial() *Serial {
	return &Serial{lines: make(map[string][]func())}
}

// Go schedules job after the jobs already given for key. It reports false,
// and drops job, once Close has been called.
func (s *Serial) Go(key string, job func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if q, busy := s.lines[key]; busy {
		s.lines[key] = append(q, job)
		return true
	}
	s.lines[key] = nil
	s.wg.Add(1)
	go s.run(key, job)
	return true
}

// run does job and then the jobs given for key meanwhile.
func (s *Serial) run(key string, job func()) {
	defer s.wg.Done()
	for {
		job()
		s.mu.Lock()
		q := s.lines[key]
		if len(q) == 0 {
			delete(s.lines, key)
			s.mu.Unlock()
			return
		}
		job = q[0]
		q[0] = nil
		s.lines[key] = q[1:]
		s.mu.Unlock()
	}
}

// Close refuses new jobs and waits until the given ones are done or ctx
// ends.
func (s *Serial) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
