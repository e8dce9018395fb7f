package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"fusebox/backend/relay"
)

// TestSecuritySinkNameFloodDoesNotBreakDeliveries: anyone may post to 150
// distinct /sink names (more than the 100 the sink keeps); a relay
// destination then created to /sink/leak still gets its delivery
// delivered and recorded, and the sink's memory stays within its caps.
func TestSecuritySinkNameFloodDoesNotBreakDeliveries(t *testing.T) {
	a, addr := startedPort(t)
	ctx := context.Background()
	for i := range 150 {
		res, err := http.Post(fmt.Sprintf("http://%s/sink/junk%d", addr, i), "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("POST /sink/junk%d: %d", i, res.StatusCode)
		}
	}
	if _, err := a.Relay.CreateDestination(ctx, relay.Destination{ID: "leak", URL: "/sink/leak"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Relay.EnqueueRecords(ctx, "leak", [][]byte{[]byte(`{"email":"a@example.com"}`)}, relay.EnqueueOptions{}); err != nil {
		t.Fatal(err)
	}
	a.Relay.Wake()
	var ds []relay.Delivery
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var err error
		ds, err = a.Relay.ListDeliveries(ctx, relay.DeliveryFilter{Destination: "leak"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && ds[0].Status != relay.StatusPending {
			break
		}
	}
	if len(ds) != 1 || ds[0].Status != relay.StatusDelivered {
		t.Fatalf("the delivery to /sink/leak after 150 sink names: %+v", ds)
	}
	if reqs, _, _ := a.Sink.Requests(context.Background(), "leak", 0, 0); len(reqs) != 1 {
		t.Fatalf("/sink/leak recorded %d requests, want 1", len(reqs))
	}
	lim := a.Sink.Limits()
	if list, _ := a.Sink.List(context.Background()); len(list) > lim.Sinks {
		t.Fatalf("%d sinks kept; the cap is %d", len(list), lim.Sinks)
	}
	if b := a.Sink.StoredBytes(); b > lim.TotalBytes {
		t.Fatalf("the sink stores %d bytes; the cap is %d", b, lim.TotalBytes)
	}
}
