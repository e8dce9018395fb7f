package httpapi_test

import (
	"context"
	"fmt"
	"fusebox/backend/store/storetest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"fusebox/backend/httpapi"
	"fusebox/backend/relay"
	"fusebox/backend/sink"
)

// The relay delivering to this server's own sink is not throttled by the
// per-client limit of /sink (on loopback it shares its address with every
// other caller): a bulk delivery of more requests than the burst goes
// through without one 429, and the sink never records the relay's token.
// Other callers, and callers forging the header, are still limited.
func TestSecurityRelayOwnSinkNotRateLimited(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rs := relay.New(db, relay.Options{Logger: log})
	sk := sink.New(0, 0)
	const burst = 5
	srv := httpapi.New(httpapi.Config{Version: "v-test", Assets: fstest.MapFS{}, AdminToken: adminToken, Logger: log,
		RateLimits: httpapi.RateLimits{RelayPerSecond: 0.01, RelayBurst: burst}}, httpapi.Deps{DB: db, Relay: rs, Sink: sk})
	ts := httptest.NewServer(srv.PortHandler())
	t.Cleanup(ts.Close)
	srv.SetBaseURL(ts.URL)
	rs.SetBaseURL(ts.URL)

	if _, err := rs.CreateDestination(ctx, relay.Destination{ID: "bulk", URL: "/sink/bulk"}); err != nil {
		t.Fatal(err)
	}
	const n = 6 * burst
	var recs [][]byte
	for i := range n {
		recs = append(recs, []byte(fmt.Sprintf(`{"i":%d}`, i)))
	}
	if _, err := rs.EnqueueRecords(ctx, "bulk", recs, relay.EnqueueOptions{}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		rs.NewWorker(relay.WorkerOptions{Poll: 20 * time.Millisecond, FlushEvery: 5 * time.Millisecond}).Run(wctx)
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := rs.Stats(ctx, "bulk")
		if err != nil {
			t.Fatal(err)
		}
		if st.ByStatus[relay.StatusDelivered] == n {
			break
		}
		if time.Now().After(deadline) {
			ds, _ := rs.ListDeliveries(ctx, relay.DeliveryFilter{Destination: "bulk"})
			t.Fatalf("after 30s: %+v; deliveries %+v", st, ds)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ds, err := rs.ListDeliveries(ctx, relay.DeliveryFilter{Destination: "bulk", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Attempts != 1 {
			t.Fatalf("delivery %d took %d attempts (%s): the relay was throttled by its own server", d.ID, d.Attempts, d.Reason)
		}
	}
	got, _, _ := sk.Requests(ctx, "bulk", 0, 1000)
	got = sink.Mask(got, rs.SecretMasker(ctx, sink.LastReceived(got)))
	if len(got) != n {
		t.Fatalf("the sink recorded %d requests, want %d", len(got), n)
	}
	for _, r := range got {
		for _, h := range r.Headers {
			if strings.EqualFold(h[0], relay.SelfHeader) {
				t.Fatalf("the sink recorded the relay's token header: %v", r.Headers)
			}
		}
	}

	// Anyone else, with or without a forged header, is still limited.
	for _, forged := range []string{"", "not-the-token"} {
		limited := false
		for i := 0; i < burst+1 && !limited; i++ {
			req, _ := http.NewRequest("POST", ts.URL+"/sink/other", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			if forged != "" {
				req.Header.Set(relay.SelfHeader, forged)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			limited = resp.StatusCode == http.StatusTooManyRequests
		}
		if !limited {
			t.Fatalf("forged=%q: %d requests to /sink passed a burst of %d", forged, burst+1, burst)
		}
	}
}
