// Package rerank reorders search hits with a cross-encoder served behind
// the rerank API that Jina, Cohere, SiliconFlow, Xinference and vLLM
// share: POST {base_url}/rerank with a query and documents, answered with
// each document's index and relevance score. It owns that call and
// nothing else; whether a failed call falls back to the fused order is
// the index's choice.
package rerank

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/policybot/policybot/retrieval"
)

const (
	// defaultTimeout bounds one call when Config.Timeout is zero: a
	// reranker sits on every search's path, so a stuck one must not hold
	// an answer long.
	defaultTimeout = 5 * time.Second
	// docRunes caps each document sent. A policy clause is a few hundred
	// characters; the cap keeps a rare long one from making the call
	// slow and costly (the APIs bill by token) while the title and the
	// clause's opening, which carry its subject, still reach the model.
	docRunes = 800
	// maxBody bounds the response read: a few hundred scores need a few
	// kilobytes, so more is a broken server.
	maxBody = 1 << 20
	// snippetBytes bounds how much of an error response is quoted.
	snippetBytes = 200
)

// Config describes one rerank endpoint.
type Config struct {
	// BaseURL is the API's root, to which /rerank is added, e.g.
	// https://api.siliconflow.cn/v1; required.
	BaseURL string
	// APIKey is sent as a bearer token; empty sends none (a local server).
	APIKey string
	Model  string // required, e.g. BAAI/bge-reranker-v2-m3
	// Timeout bounds one call; the caller's ctx bounds it too. Zero means
	// 5s.
	Timeout time.Duration
	// TopN is how many hits, best first, are sent and scored; the others
	// are dropped, since their fused scores cannot be ranked against
	// relevance scores. Zero sends every hit.
	TopN int
}

// Client calls a rerank endpoint. It is safe for concurrent use.
type Client struct {
	hc      *http.Client
	url     string
	key     string
	model   string
	timeout time.Duration
	topN    int
	log     *slog.Logger
}

// New validates cfg and builds a client. log may be nil.
func New(cfg Config, log *slog.Logger) (*Client, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is not quoted back: it may carry credentials.
		return nil, errors.New("rerank config: base URL: want http(s)://host/path")
	}
	model := strings.TrimSpace(cfg.Model)
	switch {
	case model == "":
		return nil, errors.New("rerank config: model is required")
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("rerank config: timeout %s is negative", cfg.Timeout)
	case cfg.TopN < 0:
		return nil, fmt.Errorf("rerank config: top n %d is negative", cfg.TopN)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = defaultTimeout
	}
	return &Client{
		// No client-wide timeout: each call's deadline travels in its ctx.
		hc:      &http.Client{},
		url:     strings.TrimRight(u.String(), "/") + "/rerank",
		key:     strings.TrimSpace(cfg.APIKey),
		model:   model,
		timeout: timeout,
		topN:    cfg.TopN,
		log:     log,
	}, nil
}

type request struct {
	Model     string   `json:"model"`
	Query     string   `json:"query"`
	Documents []string `json:"documents"`
	TopN      int      `json:"top_n"`
	// ReturnDocuments is false: the documents are ours already, and
	// echoing them would only lengthen the answer.
	ReturnDocuments bool `json:"return_documents"`
}

// response is every shape the servers answer in: Jina, Cohere,
// SiliconFlow, Xinference and vLLM's /rerank give results with
// relevance_score; vLLM's score API gives data with score.
type response struct {
	Results []result `json:"results"`
	Data    []result `json:"data"`
}

type result struct {
	Index          *int     `json:"index"`
	RelevanceScore *float64 `json:"relevance_score"`
	Score          *float64 `json:"score"`
}

// errTimeout marks a call cut by the client's own timeout while the
// caller's ctx was still alive; it is a deadline exceeded like the
// caller's.
var errTimeout = fmt.Errorf("timed out: %w", context.DeadlineExceeded)

// Rerank returns the first TopN hits ordered by the endpoint's relevance
// to query, best first, each with Score set to its relevance score and
// Reranked set; hits of equal score keep their order. No hits make no
// call. Any failure — transport, timeout, a status other than 200, or an
// answer that does not score each document sent exactly once — is an
// error, and hits are left as they were.
func (c *Client) Rerank(ctx context.Context, query string, hits []retrieval.Hit) ([]retrieval.Hit, error) {
	if len(hits) == 0 {
		return hits, nil
	}
	n := len(hits)
	if c.topN > 0 && n > c.topN {
		n = c.topN
	}
	op := fmt.Sprintf("rerank %d hits (model %s)", n, c.model)
	docs := make([]string, n)
	for i, h := range hits[:n] {
		docs[i] = document(h)
	}
	body, err := json.Marshal(request{Model: c.model, Query: query, Documents: docs, TopN: n})
	if err != nil {
		return nil, fmt.Errorf("%s: encode request: %w", op, err)
	}
	start := time.Now()
	scores, err := c.call(ctx, body, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	c.log.Debug("reranked", "hits", n, "model", c.model, "took", time.Since(start).Round(time.Millisecond))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	out := make([]retrieval.Hit, n)
	for r, i := range order {
		h := hits[i]
		h.Rank = r + 1
		h.Score = scores[i]
		h.Reranked = true
		out[r] = h
	}
	return out, nil
}

// call posts one request and returns the score of each of the n
// documents, by their index.
func (c *Client) call(ctx context.Context, body []byte, n int) ([]float64, error) {
	actx, cancel := context.WithTimeoutCause(ctx, c.timeout, fmt.Errorf("after %s: %w", c.timeout, errTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, cut(ctx, actx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, cut(ctx, actx, fmt.Errorf("read response: %w", err))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, c.snippet(data))
	}
	if len(data) > maxBody {
		return nil, fmt.Errorf("response larger than %d bytes", maxBody)
	}
	return scores(data, n)
}

// cut names the client's own timeout as the cause when it, not the
// caller's ctx, ended the call.
func cut(parent, call context.Context, err error) error {
	if parent.Err() == nil && call.Err() != nil && !errors.Is(err, errTimeout) {
		return fmt.Errorf("%w: %w", context.Cause(call), err)
	}
	return err
}

// scores reads a response that must score each of n documents once.
func scores(data []byte, n int) ([]float64, error) {
	var r response
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	rs := r.Results
	if rs == nil {
		rs = r.Data
	}
	if len(rs) != n {
		return nil, fmt.Errorf("got %d scores for %d documents", len(rs), n)
	}
	out := make([]float64, n)
	seen := make([]bool, n)
	for k, x := range rs {
		s := x.RelevanceScore
		if s == nil {
			s = x.Score
		}
		switch {
		case x.Index == nil:
			return nil, fmt.Errorf("result %d has no index", k)
		case *x.Index < 0 || *x.Index >= n:
			return nil, fmt.Errorf("result %d: index %d out of range [0, %d)", k, *x.Index, n)
		case seen[*x.Index]:
			return nil, fmt.Errorf("result %d: index %d scored twice", k, *x.Index)
		case s == nil:
			return nil, fmt.Errorf("result %d has no relevance_score", k)
		}
		seen[*x.Index] = true
		out[*x.Index] = *s
	}
	return out, nil
}

// document is what the reranker judges a hit by: its document's title,
// which often names the subject a clause leaves implicit, and the clause.
func document(h retrieval.Hit) string {
	s := strings.TrimSpace(h.Title + "\n" + h.Text)
	if utf8.RuneCountInString(s) <= docRunes {
		return s
	}
	return string([]rune(s)[:docRunes])
}

// snippet is the start of an error response, on one line, for the
// error; a server that echoes the key back does not get it logged.
func (c *Client) snippet(data []byte) string {
	s := strings.Join(strings.Fields(string(data)), " ")
	if c.key != "" {
		s = strings.ReplaceAll(s, c.key, "REDACTED")
	}
	if len(s) <= snippetBytes {
		return s
	}
	cut := snippetBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
