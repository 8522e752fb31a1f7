package web

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// healthTimeout bounds one part's check; a check should only report a
// state kept elsewhere, not do I/O. A variable for tests.
var healthTimeout = 2 * time.Second

// maxHealthText bounds the error text reported for a part, in runes.
const maxHealthText = 200

// healthResponse is /healthz's body: "ok" when every part is, else
// "degraded" with the failing parts' errors. The status code stays 200
// while the server answers: each part has a fallback (answers without a
// record id, keyword search, quoted clauses), so a degraded part makes
// answers poorer, not impossible.
type healthResponse struct {
	Status string            `json:"status"`
	Parts  map[string]string `json:"parts"`
}

// healthCheck is one part's check, with a guard so that a check that
// hangs is not started again while it runs.
type healthCheck struct {
	name    string
	check   func() error
	running atomic.Bool
}

func newHealthChecks(m map[string]func() error) []*healthCheck {
	out := make([]*healthCheck, 0, len(m))
	for name, f := range m {
		if f != nil {
			out = append(out, &healthCheck{name: name, check: f})
		}
	}
	return out
}

// run reports the part's state: nil when it is fine.
func (h *healthCheck) run() error {
	if !h.running.CompareAndSwap(false, true) {
		return fmt.Errorf("check still running")
	}
	done := make(chan error, 1)
	go func() {
		var err error
		// The guard is released before the result is sent: released
		// after, a request arriving just after this one was answered
		// would see a check that has finished as still running.
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("check panicked: %v", p)
			}
			h.running.Store(false)
			done <- err
		}()
		err = h.check()
	}()
	t := time.NewTimer(healthTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("check timed out after %s", healthTimeout)
	}
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	res := healthResponse{Status: "ok", Parts: make(map[string]string, len(s.health))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, h := range s.health {
		wg.Go(func() {
			state := "ok"
			if err := h.run(); err != nil {
				state = healthText(err)
			}
			mu.Lock()
			defer mu.Unlock()
			res.Parts[h.name] = state
			if state != "ok" {
				res.Status = "degraded"
			}
		})
	}
	wg.Wait()
	if res.Status != "ok" {
		s.log.Debug("web health degraded", "parts", res.Parts)
	}
	writeJSON(w, http.StatusOK, res)
}

// healthText is an error as one short line.
func healthText(err error) string {
	t := strings.Join(strings.Fields(err.Error()), " ")
	if t == "" || t == "ok" {
		t = "error"
	}
	if utf8.RuneCountInString(t) > maxHealthText {
		t = string([]rune(t)[:maxHealthText]) + "…"
	}
	return t
}
