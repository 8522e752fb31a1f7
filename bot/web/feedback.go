package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/policybot/policybot/bot/chat"
)

// Bounds of what a mark keeps, in characters.
const (
	maxStaffName = 20
	maxComment   = 2000
)

type feedbackRequest struct {
	ID      string `json:"id"`
	Good    *bool  `json:"good"`
	Comment string `json:"comment"`
	// Staff is the name the staff member signs with on the page; empty
	// signs with the session.
	Staff string `json:"staff"`
}

// handleFeedback records a staff member's mark on a draft a console gave
// (this server, or another replica sharing Options.Answers), signed 「[author] comment」 in the mark's comment: the name the page
// sends, else the session's label (会话 and a short hash), 令牌 for a
// bearer token, or 本机 on a console without a token.
func (s *Server) handleFeedback(w http.ResponseWriter, r *http.Request) {
	var req feedbackRequest
	if !s.decode(w, r, &req) {
		return
	}
	req.ID = strings.TrimSpace(req.ID)
	switch {
	case req.ID == "":
		writeError(w, http.StatusBadRequest, msgNoID)
		return
	case req.Good == nil:
		writeError(w, http.StatusBadRequest, msgNoGood)
		return
	case !validID(req.ID):
		writeError(w, http.StatusBadRequest, msgBadID)
		return
	}
	// Only drafts a console gave can be marked: the record's other
	// entries are not the page's to judge, and a made-up id would leave a
	// mark on nothing.
	switch _, ok, err := s.issuedQuestion(r.Context(), req.ID); {
	case err != nil:
		s.log.Error("look up web answer for feedback", "id", req.ID, "err", err)
		writeError(w, http.StatusServiceUnavailable, msgRecordUnavailable)
		return
	case !ok:
		s.log.Info("web feedback for an unknown answer", "id", req.ID, "ip", s.clientIP(r))
		writeError(w, http.StatusNotFound, msgUnknownAnswer)
		return
	}
	author := staffName(req.Staff)
	if author == "" {
		author = authorOf(r.Context())
	}
	comment := signed(author, req.Comment)
	s.log.Debug("web feedback", "id", req.ID, "good", *req.Good, "comment", comment)
	ctx, cancel := context.WithTimeout(r.Context(), journalTimeout)
	defer cancel()
	switch err := s.asker.Mark(ctx, req.ID, *req.Good, comment); {
	case errors.Is(err, chat.ErrNoRecord):
		writeError(w, http.StatusServiceUnavailable, msgNoJournal)
		return
	case err != nil:
		s.log.Error("mark web answer", "id", req.ID, "err", err)
		writeError(w, http.StatusInternalServerError, msgMarkFailed)
		return
	}
	s.log.Info("web feedback", "id", req.ID, "good", *req.Good, "author", author)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// signed is the comment a mark keeps: 「[author] comment」, or 「[author]」.
func signed(author, comment string) string {
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > maxComment {
		comment = string([]rune(comment)[:maxComment])
	}
	if author == "" {
		return comment
	}
	if comment == "" {
		return "[" + author + "]"
	}
	return "[" + author + "] " + comment
}

// staffName cleans the name the page sends: one line of at most 20
// characters, without brackets that would blur where it ends.
func staffName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r) || unicode.IsSpace(r):
			return ' '
		case strings.ContainsRune("[]【】「」", r):
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxStaffName {
		s = strings.TrimSpace(string([]rune(s)[:maxStaffName]))
	}
	return s
}

// idSet remembers the last max ids added, each with a value: the question
// an answer id answered.
type idSet struct {
	max int

	mu    sync.Mutex
	ids   map[string]string
	order []string // a ring of the ids, oldest at next
	next  int
}

func newIDSet(max int) *idSet {
	return &idSet{max: max, ids: make(map[string]string, max)}
}

func (s *idSet) add(id string) { s.put(id, "") }

// put remembers id with value; an id already there keeps its place and
// takes the new value.
func (s *idSet) put(id, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ids[id]; ok {
		s.ids[id] = value
		return
	}
	if len(s.order) < s.max {
		s.order = append(s.order, id)
	} else {
		delete(s.ids, s.order[s.next])
		s.order[s.next] = id
		s.next = (s.next + 1) % s.max
	}
	s.ids[id] = value
}

func (s *idSet) has(id string) bool {
	_, ok := s.get(id)
	return ok
}

// get is id's value, and whether id is remembered.
func (s *idSet) get(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.ids[id]
	return v, ok
}

func (s *idSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids)
}
