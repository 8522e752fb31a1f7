package web

import (
	"context"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/retrieval"
)

// What replicas of the console share when they stand behind one load
// balancer: a draft given by one may be marked and taught on another, and
// a client's costly requests count against one budget, not one per
// replica.

// Channel is the channel the console's conversation core records its
// answers under; only entries of it were drafts a console gave.
const Channel = "web"

// answerLookup reads one entry of the Q&A record that replicas share (a
// *postgres.Record): found is false when the record holds no entry id.
type answerLookup interface {
	Entry(ctx context.Context, id string) (e journal.Entry, found bool, err error)
}

// rateCounter counts a client's requests across replicas (a
// *postgres.Limits for console clients): Count counts one at now and
// returns how many the client made in the minute that holds now, this one
// included.
type rateCounter interface {
	Count(ctx context.Context, client string, now time.Time) (int, error)
}

const msgRecordUnavailable = "暂时无法查询这条答复，请稍后再试。"

// issuedQuestion is the question of the draft id names, as the draft
// read it (see readAs), and whether a console gave that draft: this
// server, or, with Options.Answers, any replica's. A failing lookup is an
// error, for the caller to answer 503: the draft may well be real.
func (s *Server) issuedQuestion(ctx context.Context, id string) (question string, ok bool, err error) {
	if q, ok := s.issued.get(id); ok {
		return q, true, nil
	}
	if s.opts.Answers == nil {
		return "", false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, journalTimeout)
	defer cancel()
	e, found, err := s.opts.Answers.Entry(ctx, id)
	switch {
	case err != nil:
		return "", false, err
	// WeChat's answers are not the page's to judge, and a failed answer
	// was recorded but never shown, so its id was never given out.
	case !found || e.Channel != Channel || e.Error != "":
		return "", false, nil
	}
	// chat.Ask records the question trimmed, as handleAsk keeps it, and
	// refuses one over the length limit rather than cutting it: the
	// record's question is the one this server would have kept. Its
	// reading with the history is not recorded: the search gives it again.
	q := e.Question
	if len(e.History) > 0 {
		if res, err := s.searcher.Search(ctx, retrieval.Query{Question: e.Question, History: e.History}); err == nil {
			q = readAs(q, e.History, res.Query)
		}
	}
	s.issued.put(id, q)
	return q, true, nil
}

// readAs is what teaching a draft stores as its question: the question
// as the search read it (its history's words with it) when it was asked
// with history. A follow-up taught alone (那申请条件呢) would hand its
// clause to the same words asked after any other question.
func readAs(question string, history []string, read string) string {
	for _, h := range history {
		if strings.TrimSpace(h) != "" && strings.TrimSpace(read) != "" {
			return strings.TrimSpace(read)
		}
	}
	return question
}

// costly limits the calls that cost LLM or embedding time per client IP:
// through the shared counter when there is one, else, or while it fails,
// through this server's own buckets.
func (s *Server) costly(next http.HandlerFunc) http.HandlerFunc {
	if s.limits == nil || s.opts.Limits == nil {
		return s.limited(s.limits, next)
	}
	// A fixed window lets through its allowance at once; the bucket's
	// burst is smaller, its steady rate the same.
	most := max(int(math.Ceil(s.opts.RatePerMinute)), 1)
	return func(w http.ResponseWriter, r *http.Request) {
		ip, now := s.clientIP(r), s.opts.Now()
		ok, retry := s.sharedAllow(r.Context(), ip, now, most)
		if !ok {
			tooMany(w, retry)
			return
		}
		next(w, r)
	}
}

// sharedAllow counts one request of ip with the shared counter and
// reports whether it is within most a minute, and if not, in how many
// seconds the window ends. A counter that fails hands the decision to the
// local buckets: a database that is down must not lock staff out.
func (s *Server) sharedAllow(ctx context.Context, ip string, now time.Time, most int) (bool, int) {
	ctx, cancel := context.WithTimeout(ctx, journalTimeout)
	defer cancel()
	n, err := s.opts.Limits.Count(ctx, ip, now)
	if err != nil {
		if !s.sharedDown.Swap(true) {
			s.log.Warn("web requests not counted across replicas; limiting them in this process", "ip", ip, "err", err)
		} else {
			s.log.Debug("web request not counted across replicas", "ip", ip, "err", err)
		}
		return s.limits.allow(ip, now), 10
	}
	if s.sharedDown.Swap(false) {
		s.log.Info("web requests counted across replicas again")
	}
	if n <= most {
		return true, 0
	}
	end := now.Truncate(time.Minute).Add(time.Minute)
	return false, max(int(math.Ceil(end.Sub(now).Seconds())), 1)
}
