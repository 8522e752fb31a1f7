package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server timeouts. The write timeout must exceed the longest answer
// (Options.Timeout is capped at maxTimeout below it).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = maxTimeout + time.Minute
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// afterClose is how long requests cut off by a forced close have to
	// record what they did before the caller closes the Q&A record.
	afterClose = 5 * time.Second
)

// ListenAndServe serves h on addr until ctx is cancelled, then shuts down
// gracefully: it stops accepting, lets requests in flight finish for up
// to grace — give it the longest an answer may take, so that none is cut
// off — and returns nil once every request has returned. It returns an
// error when it cannot listen or the server fails.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, grace time.Duration, log *slog.Logger) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return serve(ctx, ln, h, grace, log)
}

func serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Requests are counted so that, even after a forced close, the
	// caller learns when the last one has returned and recorded its
	// answer.
	var inflight sync.WaitGroup
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inflight.Add(1)
		defer inflight.Done()
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{
		Handler:           counted,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("web console listening", "addr", ln.Addr().String())

	select {
	case err := <-done:
		return fmt.Errorf("serve web console: %w", err)
	case <-ctx.Done():
	}
	log.Info("web console shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		waitFor(&inflight, afterClose)
		return fmt.Errorf("shut down web console: %w", err)
	}
	waitFor(&inflight, afterClose)
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve web console: %w", err)
	}
	return nil
}

// waitFor waits for wg, at most d.
func waitFor(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}
