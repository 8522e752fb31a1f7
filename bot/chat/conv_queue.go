package chat

import (
	"context"
	"fmt"
	"sync"
)

// turns keeps the replies of one chat in the order its messages arrived.
// Each message takes a ticket when it arrives and waits until the message
// before it in the same chat is done; chats do not wait for each other.
// The tickets of a chat form a chain of channels, and a chat with no
// message in flight has no entry, so the map holds only busy chats.
type turns struct {
	mu    sync.Mutex
	chats map[string]*chatLine
}

type chatLine struct {
	tail    chan struct{} // closed when the latest ticket is done
	waiting int           // tickets taken and not yet done
}

// ticket is one message's place in its chat's line.
type ticket struct {
	t    *turns
	chat string
	prev chan struct{} // closed when the message before is done; nil if first
	own  chan struct{}
}

func newTurns() *turns {
	return &turns{chats: make(map[string]*chatLine)}
}

// take puts a message at the end of chat's line. It does not block.
func (t *turns) take(chat string) *ticket {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.chats[chat]
	if !ok {
		l = &chatLine{}
		t.chats[chat] = l
	}
	tk := &ticket{t: t, chat: chat, prev: l.tail, own: make(chan struct{})}
	l.tail = tk.own
	l.waiting++
	return tk
}

// wait blocks until it is this ticket's turn. If ctx ends first, the
// ticket still keeps its place: it is released only after the message
// before it, so the messages after it stay in order.
func (tk *ticket) wait(ctx context.Context) error {
	if tk.prev == nil {
		return nil
	}
	select {
	case <-tk.prev:
		return nil
	case <-ctx.Done():
		go func() {
			<-tk.prev
			tk.done()
		}()
		return fmt.Errorf("wait for earlier messages of the chat: %w", ctx.Err())
	}
}

// done lets the next message of the chat go. Call it exactly once, after
// a successful wait.
func (tk *ticket) done() {
	close(tk.own)
	tk.t.mu.Lock()
	defer tk.t.mu.Unlock()
	l := tk.t.chats[tk.chat]
	l.waiting--
	if l.waiting == 0 {
		delete(tk.t.chats, tk.chat)
	}
}

// queued reports how many messages of chat hold a ticket; tests use it to
// know a message is in line without sleeping.
func (t *turns) queued(chat string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.chats[chat]; ok {
		return l.waiting
	}
	return 0
}

// release gives up the ticket's place without waiting for its turn: the
// message after it goes once the one before it is done, so the order of
// the others holds.
func (tk *ticket) release() {
	if tk.prev == nil {
		tk.done()
		return
	}
	go func() {
		<-tk.prev
		tk.done()
	}()
}
