package web

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestServeShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	started := make(chan struct{})
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, mux, 15*time.Second, nil) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()

	<-started
	cancel() // shut down while /slow is in flight
	close(release)
	if r := <-got; r.err != nil || r.body != "done" {
		t.Errorf("in-flight request: got %q, %v, want \"done\"", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("serve: got %v, want nil after a clean shutdown", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/slow"); err == nil {
		t.Errorf("request after shutdown: got a response, want a connection error")
	}
}

func TestListenAndServeBadAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	tests := []struct{ name, addr string }{
		{"port in use", ln.Addr().String()},
		{"no port", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ListenAndServe(context.Background(), tt.addr, http.NotFoundHandler(), time.Second, nil)
			if err == nil {
				t.Errorf("ListenAndServe(%q): got nil, want an error", tt.addr)
			}
		})
	}
}

func TestListenAndServeStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a literal IP needs no lookup, so the listen succeeds and serve stops at once
	if err := ListenAndServe(ctx, "127.0.0.1:0", http.NotFoundHandler(), time.Second, nil); err != nil {
		t.Errorf("ListenAndServe with a cancelled context: got %v, want nil", err)
	}
}

// TestServeFinishesInFlight: a shutdown lets an answer in flight finish
// and returns only after it has, so the caller can close the Q&A record
// with nothing lost.
func TestServeFinishesInFlight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, finished := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		close(finished)
		w.Write([]byte("ok"))
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, slow, 5*time.Second, nil) }()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	select {
	case <-finished:
	default:
		t.Fatal("serve returned before the request in flight finished")
	}
	if g := <-got; g != "ok" {
		t.Errorf("the request in flight got %q, want its answer", g)
	}
}
