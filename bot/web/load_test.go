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

	"github.com/policybot/policybot/bot/answer"
	"github.com/policybot/policybot/bot/chat"
	"github.com/policybot/policybot/bot/journal"
	"github.com/policybot/policybot/corpus"
	"github.com/policybot/policybot/prompts"
	"github.com/policybot/policybot/retrieval"
)

// Bounds of one load run, whatever -benchtime asks, so that a slow real
// pipeline cannot keep the benchmark going for ever.
const (
	maxLoadRequests = 20000
	maxLoadTime     = 2 * time.Minute
)

// loadStack is the real offline stack: the built-in corpus, its index and
// the answer pipeline without a chat model, as `policybot serve` runs it
// when no LLM is configured.
type loadStack struct {
	p   *answer.Pipeline
	ix  *retrieval.Index
	lib *corpus.Library
}

func newLoadStack(b *testing.B) loadStack {
	b.Helper()
	lib, err := corpus.Load(corpus.Options{Builtin: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ix, err := retrieval.Build(context.Background(), lib, retrieval.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	pr, err := prompts.Load("")
	if err != nil {
		b.Fatal(err)
	}
	return loadStack{p: answer.New(ix, lib, nil, pr, answer.Options{}, nil), ix: ix, lib: lib}
}

// BenchmarkAskLoad measures /api/ask end to end over loopback with the
// real offline pipeline behind a real chat.Conversations and Q&A record,
// from 1 and 20 concurrent clients.
func BenchmarkAskLoad(b *testing.B) {
	st := newLoadStack(b)
	for _, clients := range []int{1, 20} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			runAskLoad(b, st, clients)
		})
	}
}

// runAskLoad posts /api/ask from concurrent clients over loopback and
// reports throughput and latency percentiles.
func runAskLoad(b *testing.B, st loadStack, clients int) {
	b.Helper()
	j, err := journal.Open(b.TempDir(), 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	conv := chat.New(st.p, chat.Options{HistoryTurns: 3, MaxInputChars: 500, Journal: j, Channel: "web"}, nil)
	srv := NewServer(conv, st.ix, st.lib, Options{RatePerMinute: -1}, nil)
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
