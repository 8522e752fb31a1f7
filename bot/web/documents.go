package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/policybot/policybot/corpus"
)

// shelf lets staff add, replace and remove the documents the bot answers
// from while it runs.
type shelf interface {
	Add(ctx context.Context, name string, data []byte) ([]corpus.Document, error)
	Remove(ctx context.Context, id string) error
}

// maxUpload bounds one uploaded document: a long PDF, not a disk.
const maxUpload = 20 << 20

// The messages staff see about uploads.
const (
	msgNoShelf       = "未启用上传：请联系管理员。"
	msgUploadTooBig  = "文件太大（超过 20 MB）。"
	msgNoFile        = "请选择要上传的政策文件。"
	msgUnsupported   = "不支持该文件格式，请上传 .docx、.doc、.wps、.xlsx、.pdf、.html、.md 或 .txt 文件。"
	msgDamaged       = "文件已损坏或不完整，无法读取。"
	msgNoTextLayer   = "这个 PDF 没有文字层（可能是扫描件），请先做文字识别再上传。"
	msgEncrypted     = "文件有密码保护，请去掉密码后再上传。"
	msgEmptyFile     = "文件里没有文字。"
	msgUploadFailed  = "上传失败，请稍后再试。"
	msgNotRemovable  = "只能删除在工作台或命令行添加的文件。"
	msgRemoveFailed  = "删除失败，请稍后再试。"
	msgBadUploadName = "文件名不正确。"
)

// handleUpload takes one document, as a multipart form's "file" or as the
// body with ?name=, and adds it; a file of the same name is replaced. The
// reply is the document as read, so staff see its title, 文号 and
// period at once (a compilation's reply lists its documents).
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	if s.opts.Documents == nil {
		writeError(w, http.StatusServiceUnavailable, msgNoShelf)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	name, data, err := uploaded(r)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || len(data) > maxUpload:
		writeError(w, http.StatusRequestEntityTooLarge, msgUploadTooBig)
		return
	case err != nil:
		s.log.Info("bad upload", "err", err)
		writeError(w, http.StatusBadRequest, msgNoFile)
		return
	case name == "" || strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, "."):
		writeError(w, http.StatusBadRequest, msgBadUploadName)
		return
	}
	docs, err := s.opts.Documents.Add(r.Context(), name, data)
	if err != nil {
		status, msg := http.StatusUnprocessableEntity, uploadMessage(err)
		if msg == msgUploadFailed {
			status = http.StatusInternalServerError
		}
		s.log.Warn("upload refused", "file", name, "err", err)
		writeError(w, status, msg)
		return
	}
	s.log.Info("document added", "file", name, "id", docs[0].ID, "documents", len(docs))
	out := uploadReply{docMeta: meta(docs[0])}
	if len(docs) > 1 {
		for _, d := range docs {
			out.Documents = append(out.Documents, meta(d))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// uploadReply is the document as read; a compilation's reply is its first
// document's, with every document it holds in Documents.
type uploadReply struct {
	docMeta
	Documents []docMeta `json:"documents,omitempty"`
}

// removeReply names the document removed; removing one of a compilation's
// removes its file, and Documents lists every document that went with it.
type removeReply struct {
	Removed   string   `json:"removed"`
	Documents []string `json:"documents,omitempty"`
}

// uploaded reads the file of an upload and its name.
func uploaded(r *http.Request) (string, []byte, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		f, h, err := r.FormFile("file")
		if err != nil {
			return "", nil, err
		}
		defer f.Close()
		data, err := io.ReadAll(f)
		return filepath.Base(h.Filename), data, err
	}
	data, err := io.ReadAll(r.Body)
	return r.URL.Query().Get("name"), data, err
}

// uploadMessage words why a document was refused.
func uploadMessage(err error) string {
	switch {
	case errors.Is(err, corpus.ErrUnsupported):
		return msgUnsupported
	case errors.Is(err, corpus.ErrNoText):
		return msgNoTextLayer
	case errors.Is(err, corpus.ErrEncrypted):
		return msgEncrypted
	case errors.Is(err, corpus.ErrDamaged):
		return msgDamaged
	case errors.Is(err, corpus.ErrEmpty):
		return msgEmptyFile
	}
	return msgUploadFailed
}

// handleRemove takes an added document out of the corpus.
func (s *Server) handleRemove(w http.ResponseWriter, r *http.Request) {
	if s.opts.Documents == nil {
		writeError(w, http.StatusServiceUnavailable, msgNoShelf)
		return
	}
	id := r.PathValue("id")
	d, ok := s.library.Document(id)
	if !ok {
		writeError(w, http.StatusNotFound, msgNoDocument)
		return
	}
	gone := corpus.SameFile(s.library.Documents(), d)
	if err := s.opts.Documents.Remove(r.Context(), id); err != nil {
		if errors.Is(err, corpus.ErrNotAdded) {
			writeError(w, http.StatusForbidden, msgNotRemovable)
			return
		}
		s.log.Error("remove document", "id", id, "err", err)
		writeError(w, http.StatusInternalServerError, msgRemoveFailed)
		return
	}
	s.log.Info("document removed", "id", id, "documents", max(1, len(gone)))
	out := removeReply{Removed: id}
	if len(gone) > 1 {
		out.Documents = gone
	}
	writeJSON(w, http.StatusOK, out)
}
