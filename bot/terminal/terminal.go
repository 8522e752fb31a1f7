// Package terminal is the text-terminal channel: it reads questions a line
// at a time, hands them to the conversation core and prints the answers
// as they are written.
package terminal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/policybot/policybot/bot/chat"
)

// handler is the conversation core, as the terminal uses it.
type handler interface {
	Handle(ctx context.Context, m chat.Message, send chat.Sender) error
}

// The terminal is one chat with one person.
const (
	chatID = "terminal"
	hint   = "输入问题后回车；“帮助”查看命令，Ctrl-D 退出。"
	prompt = "\n> "
)

// Run prints banner, then reads questions from in, a line at a time, and
// passes each to h, printing the answer while it is written and every
// reply after it. It returns when in ends, with nil or the read error, or
// when ctx is done, with nil: an interrupted session is not a failure.
func Run(ctx context.Context, h handler, in io.Reader, out io.Writer, banner string) error {
	if _, err := fmt.Fprintf(out, "%s\n%s\n", strings.TrimRight(banner, "\n"), hint); err != nil {
		return fmt.Errorf("print the banner: %w", err)
	}
	lines := make(chan string) // unbuffered: read at most one line ahead
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
	}()
	for n := 1; ; n++ {
		if _, err := io.WriteString(out, prompt); err != nil {
			return fmt.Errorf("print the prompt: %w", err)
		}
		var line string
		// A reader blocked on a keyboard cannot be interrupted: the
		// select lets ctx end the session while it waits.
		select {
		case <-ctx.Done():
			_, _ = io.WriteString(out, "\n")
			return nil
		case err := <-readErr:
			if err != nil {
				return fmt.Errorf("read the input: %w", err)
			}
			if _, err := io.WriteString(out, "\n"); err != nil {
				return fmt.Errorf("print the end: %w", err)
			}
			return nil
		case line = <-lines:
		}
		if ctx.Err() != nil {
			_, _ = io.WriteString(out, "\n")
			return nil
		}
		if err := ask(ctx, h, strconv.Itoa(n), line, out); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if onlyNotRecorded(err) {
				// The answer is on the screen; a full disk must not end the
				// conversation. The core has logged the cause.
				if _, err := io.WriteString(out, "\n（提示：本次问答未能写入记录。）\n"); err != nil {
					return fmt.Errorf("print a note: %w", err)
				}
				continue
			}
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
}

// ask hands one line to h and prints what comes back.
func ask(ctx context.Context, h handler, id, line string, out io.Writer) error {
	s := &screen{out: out}
	m := chat.Message{
		ID: id, ChatID: chatID, SenderID: chatID, Text: line, Kind: chat.KindText,
		Time: time.Now(), Show: s.show,
	}
	err := h.Handle(ctx, m, s.send)
	if ferr := s.finish(); err == nil {
		err = ferr
	}
	return err
}

// screen prints the replies to one message. The core calls show from the
// goroutine that makes the answer and send from its own, so a reply (the
// note asking to wait) may race with the first piece of text.
type screen struct {
	out io.Writer

	mu   sync.Mutex
	held string // trailing blanks not printed yet: the text may end there
	open bool   // shown text is on screen and its line not ended
	err  error  // the first failed write of show, for the next send
}

// show prints a piece of the answer as it is written, keeping blanks at
// its ends off the screen so that the rest of the answer follows it as in
// the whole text.
func (s *screen) show(delta string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delta = s.held + delta
	text := strings.TrimRightFunc(delta, unicode.IsSpace)
	s.held = delta[len(text):]
	if !s.open {
		if text = strings.TrimLeftFunc(text, unicode.IsSpace); text == "" {
			s.held = ""
			return
		}
		text, s.open = "\n"+text, true
	}
	s.write(text)
}

// send prints one reply. The reply that completes a shown answer either
// continues it (its text starts with the blank line before the sources,
// or is empty) or, starting with a line saying that what was shown does
// not stand, follows it as a paragraph of its own. Every other reply is a
// paragraph of its own.
func (s *screen) send(_ context.Context, r chat.Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.err; err != nil {
		s.err = nil
		return err
	}
	var text string
	switch {
	case s.open && r.Shown && continues(r.Text):
		// r.Text brings its own blank line; the held blanks go.
		text = r.Text + "\n"
	case s.open && r.Shown:
		text = "\n\n" + r.Text + "\n"
	case s.open:
		// Only the note asking to wait, which the text appearing makes
		// moot, can come while the answer is being shown.
		return nil
	default:
		text = "\n" + r.Text + "\n"
	}
	if r.Shown {
		s.open, s.held = false, ""
	}
	s.write(text)
	return s.takeErr()
}

// finish ends a shown line that no reply completed, and reports a failed
// write no send has reported.
func (s *screen) finish() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open {
		s.open, s.held = false, ""
		s.write("\n")
	}
	return s.takeErr()
}

// write prints text, keeping the first error. s.mu must be held.
func (s *screen) write(text string) {
	if _, err := io.WriteString(s.out, text); err != nil && s.err == nil {
		s.err = fmt.Errorf("print the answer: %w", err)
	}
}

// takeErr returns and clears the kept error. s.mu must be held.
func (s *screen) takeErr() error {
	err := s.err
	s.err = nil
	return err
}

// continues reports whether text goes on from shown text rather than
// standing apart from it.
func continues(text string) bool {
	r, _ := utf8.DecodeRuneInString(text)
	return text == "" || unicode.IsSpace(r)
}

// onlyNotRecorded says whether err is only the failure to write the Q&A
// record.
func onlyNotRecorded(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !onlyNotRecorded(e) {
				return false
			}
		}
		return true
	}
	return errors.Is(err, chat.ErrNotRecorded)
}
