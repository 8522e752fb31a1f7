package chat

import (
	"context"
	"sync"
	"time"

	"github.com/policybot/policybot/bot/answer"
)

// memory holds what the bot remembers of each chat: the recent questions,
// which the answerer uses to resolve follow-ups like "那申请条件呢？", and
// the last answer, for 原文 N. A chat silent for longer than idle is
// forgotten, both for the user's sake (a new topic next morning) and to
// keep the map bounded.
type memory struct {
	mu        sync.Mutex
	turns     int
	idle      time.Duration
	chats     map[string]*chatMemory
	lastSweep time.Time
}

type chatMemory struct {
	questions []string       // oldest first, at most turns
	last      *answer.Result // nil before the first answer
	seen      time.Time
}

func newMemory(turns int, idle time.Duration) *memory {
	return &memory{turns: turns, idle: idle, chats: make(map[string]*chatMemory)}
}

// touch marks chat as active at now, forgetting it first if it has been
// idle too long, and drops other idle chats now and then.
func (m *memory) touch(chat string, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.idle > 0 && now.Sub(m.lastSweep) >= m.idle {
		for k, v := range m.chats {
			if now.Sub(v.seen) >= m.idle {
				delete(m.chats, k)
			}
		}
		m.lastSweep = now
	}
	c, ok := m.chats[chat]
	if !ok || m.idle > 0 && now.Sub(c.seen) >= m.idle {
		c = &chatMemory{}
		m.chats[chat] = c
	}
	c.seen = now
}

// history returns a copy of chat's recent questions, oldest first.
func (m *memory) history(chat string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.chats[chat]
	if !ok || len(c.questions) == 0 {
		return nil
	}
	return append([]string(nil), c.questions...)
}

// remember records an answered question and its answer at now.
func (m *memory) remember(chat, question string, a answer.Result, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.chats[chat]
	if !ok {
		// Swept while the answer was being made; start afresh.
		c = &chatMemory{}
		m.chats[chat] = c
	}
	if m.turns > 0 {
		c.questions = append(c.questions, question)
		if n := len(c.questions) - m.turns; n > 0 {
			c.questions = append([]string(nil), c.questions[n:]...)
		}
	}
	c.last = &a
	c.seen = now
}

// lastAnswer returns chat's last answer, if any.
func (m *memory) lastAnswer(chat string) (answer.Result, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.chats[chat]
	if !ok || c.last == nil {
		return answer.Result{}, false
	}
	return *c.last, true
}

// forget drops everything about chat.
func (m *memory) forget(chat string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.chats, chat)
}

func (m *memory) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.chats)
}

// localHistory is a memory seen as the conversation core's historyStore:
// the history kept in this process, for a bot that runs as one.
type localHistory struct{ m *memory }

func (l localHistory) Touch(_ context.Context, chat string, now time.Time) error {
	l.m.touch(chat, now)
	return nil
}

func (l localHistory) Recent(_ context.Context, chat string) ([]string, error) {
	return l.m.history(chat), nil
}

func (l localHistory) Remember(_ context.Context, chat, question string, cited []answer.Citation, now time.Time) error {
	l.m.remember(chat, question, answer.Result{Citations: cited}, now)
	return nil
}

func (l localHistory) LastCited(_ context.Context, chat string) ([]answer.Citation, bool, error) {
	a, ok := l.m.lastAnswer(chat)
	return a.Citations, ok, nil
}

func (l localHistory) Forget(_ context.Context, chat string) error {
	l.m.forget(chat)
	return nil
}
