package relay_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"fusebox/backend/relay"
)

// TestRelayInboundSyncSendsOnceAndRecords: a sync route sends each inbound
// request once, at once, beside a running worker: the worker neither sends
// it again nor retries the receiver's 503 (the sender has the answer);
// every delivery is recorded with its one attempt.
func TestRelayInboundSyncSendsOnceAndRecords(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n%2 == 0 {
			return http.StatusServiceUnavailable
		}
		return http.StatusCreated
	})
	o, idle := idlePasses(relay.WorkerOptions{})
	e.startWorker(o)
	ctx := context.Background()
	e.create(relay.Destination{ID: "s", URL: rc.URL + "/in", Inbound: &relay.Inbound{Route: "s", Mode: relay.InboundSync}})
	const n = 10
	for i := range n {
		res, err := e.relay.Inbound(ctx, "s", relay.InboundRequest{Body: []byte(`{"a":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		want := http.StatusCreated
		if i%2 == 0 {
			want = http.StatusServiceUnavailable
		}
		if res.Sync == nil || res.Sync.Status != want || !strings.Contains(string(res.Sync.Body), `"n":`) {
			t.Fatalf("request %d: %+v, want status %d", i, res.Sync, want)
		}
	}
	e.waitIdle(idle, 3)
	if rc.count() != n {
		t.Fatalf("receiver got %d requests, want %d", rc.count(), n)
	}
	st := e.stats("s")
	if st.ByStatus[relay.StatusDelivered] != n/2 || st.ByStatus[relay.StatusFailed] != n/2 {
		t.Fatalf("stats %+v", st)
	}
	for _, d := range e.deliveries(relay.DeliveryFilter{Destination: "s"}) {
		if d.Attempts != 1 {
			t.Fatalf("delivery %d: %d attempts", d.ID, d.Attempts)
		}
	}
}
