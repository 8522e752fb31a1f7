package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/policybot/policybot/corpus"
)

// Bounds of one load run, whatever -benchtime asks, so that a slow real
// pipeline cannot keep the benchmark going for ever.
const (
	maxLoadRequests = 20000
	maxLoadTime     = 2 * time.Minute
)

// loadAnswerer is what BenchmarkAskLoad puts behind the server. Swap in
// the real offline pipeline here to measure it end to end.
func loadAnswerer(b *testing.B) answerer {
	return newFixture(Options{}, true).answerer
}

func BenchmarkAskLoad(b *testing.B) {
	for _, clients := range []int{1, 20} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			runAskLoad(b, loadAnswerer(b), clients)
		})
	}
}

// runAskLoad posts /api/ask from concurrent clients over loopback and
// reports throughput and latency percentiles.
func runAskLoad(b *testing.B, a answerer, clients int) {
	b.Helper()
	srv := NewServer(a, &fakeSearcher{}, fakeLibrary{docs: []corpus.Document{testDoc()}}, &fakeJournal{},
		Options{RatePerMinute: -1}, nil)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	transport := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: time.Minute}

	ctx, cancel := context.WithTimeout(context.Background(), maxLoadTime)
	defer cancel()
	total := int64(min(b.N, maxLoadRequests))
	body := []byte(`{"question":"小微企业有什么税收优惠？","history":["我们是一家小微企业"]}`)
	var next atomic.Int64
	latencies := make([][]time.Duration, clients)
	errs := make(chan error, clients)
	var wg sync.WaitGroup

	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for next.Add(1) <= total && ctx.Err() == nil {
				t0 := time.Now()
				if err := postAsk(ctx, client, ts.URL, body); err != nil {
					errs <- err
					return
				}
				latencies[c] = append(latencies[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}

	all := slices.Concat(latencies...)
	if len(all) == 0 {
		b.Fatal("no request completed")
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func postAsk(ctx context.Context, client *http.Client, base string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/ask", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build ask request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post ask: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("read ask response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("post ask: status %d", resp.StatusCode)
	}
	return nil
}
