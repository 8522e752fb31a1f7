package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/policybot/policybot/retrieval"
)

// teacher keeps what staff teach retrieval (a retrieval.Taught).
type teacher interface {
	Add(ctx context.Context, it retrieval.TaughtItem) (retrieval.TaughtItem, error)
}

const (
	msgNoTaught     = "未启用教学：请联系管理员。"
	msgTeachWhat    = "请选择正确的条款、填写条款编号，或勾选“资料中没有答案”（只选一项）。"
	msgNoChunk      = "找不到这个条款编号，请从引用或原文中选择。"
	msgTeachFailed  = "教学保存失败，请稍后再试。"
	msgTeachNoAsked = "找不到这条答复的问题（可能服务已重启），无法教学。"
)

type teachRequest struct {
	ID      string `json:"id"` // the answer id of the draft
	ChunkID string `json:"chunk_id"`
	None    bool   `json:"none"`
}

// handleTeach stores the question of a draft a console gave as an alias
// of the clause that answers it, or as a question the corpus has no
// answer to; retrieval uses it at once for questions very like it.
func (s *Server) handleTeach(w http.ResponseWriter, r *http.Request) {
	if s.opts.Taught == nil {
		writeError(w, http.StatusServiceUnavailable, msgNoTaught)
		return
	}
	var req teachRequest
	if !s.decode(w, r, &req) {
		return
	}
	req.ID, req.ChunkID = strings.TrimSpace(req.ID), strings.TrimSpace(req.ChunkID)
	switch {
	case req.ID == "":
		writeError(w, http.StatusBadRequest, msgNoID)
		return
	case !validID(req.ID):
		writeError(w, http.StatusBadRequest, msgBadID)
		return
	case req.None == (req.ChunkID != ""):
		writeError(w, http.StatusBadRequest, msgTeachWhat)
		return
	}
	question, ok, err := s.issuedQuestion(r.Context(), req.ID)
	switch {
	case err != nil:
		s.log.Error("look up web answer to teach", "id", req.ID, "err", err)
		writeError(w, http.StatusServiceUnavailable, msgRecordUnavailable)
		return
	case !ok:
		writeError(w, http.StatusNotFound, msgUnknownAnswer)
		return
	case question == "":
		writeError(w, http.StatusNotFound, msgTeachNoAsked)
		return
	case req.ChunkID != "" && !s.hasChunk(req.ChunkID):
		writeError(w, http.StatusBadRequest, msgNoChunk)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), journalTimeout)
	defer cancel()
	it, err := s.opts.Taught.Add(ctx, retrieval.TaughtItem{Question: question, ChunkID: req.ChunkID, None: req.None, AnswerID: req.ID})
	if err != nil {
		s.log.Error("teach", "id", req.ID, "err", err)
		writeError(w, http.StatusInternalServerError, msgTeachFailed)
		return
	}
	s.log.Info("web teach", "id", req.ID, "taught", it.ID, "chunk", it.ChunkID, "none", it.None, "author", authorOf(r.Context()))
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "taught": it})
}

// hasChunk reports whether a document of the library has the chunk id.
func (s *Server) hasChunk(id string) bool {
	for _, d := range s.library.Documents() {
		for _, c := range d.Chunks {
			if c.ID == id {
				return true
			}
		}
	}
	return false
}
