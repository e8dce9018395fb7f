package relay_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/relay"
)

// A sync inbound route sends at once, but its requests count against the
// destination's concurrency and rate limit like the worker's: sync
// requests and background deliveries to one destination, from one replica
// or several, never go over them together. What is checked is what the
// receiver saw: how many requests it was answering at once, and how many
// arrived within a window.

// budgetRun is a destination with a sync route and background deliveries,
// sent by the workers of relays while sync requests arrive at all of them.
type budgetRun struct {
	relays   []*env
	dest     relay.Destination
	queued   int // background deliveries
	sync     int // sync inbound requests, sent at once over the relays
	answered int // sync requests that got the downstream answer
	refused  int // sync requests refused with the limit error
	f        *flight
	rc       *receiver
}

func (b *budgetRun) run(t *testing.T) {
	t.Helper()
	a := b.relays[0]
	b.f = newFlight(5 * time.Millisecond)
	b.rc = newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		b.f.serve(r, nil)
		return http.StatusOK
	})
	b.dest.URL = b.rc.URL
	b.dest.Inbound = &relay.Inbound{Route: b.dest.ID, Mode: relay.InboundSync}
	a.create(b.dest)
	recs := make([]string, b.queued)
	for i := range recs {
		recs[i] = `{"i":` + strconv.Itoa(i) + `}`
	}
	a.enqueue(b.dest.ID, recs, relay.EnqueueOptions{})
	for _, e := range b.relays {
		e.startWorker(fast)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range b.sync {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := b.relays[i%len(b.relays)]
			res, err := e.relay.Inbound(context.Background(), b.dest.ID, relay.InboundRequest{Body: []byte(`{"sync":` + strconv.Itoa(i) + `}`)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && res.Sync != nil && res.Sync.Status == http.StatusOK:
				b.answered++
			case errs.Is(err, errs.ERATELIMIT):
				b.refused++
			default:
				t.Errorf("sync request %d: %+v, %v; want the downstream answer or the limit error", i, res.Sync, err)
			}
		}()
	}
	wg.Wait()
	a.waitSettled(b.dest.ID, int64(b.queued+b.answered))
	if got, want := b.rc.count(), b.queued+b.answered; got != want {
		t.Errorf("the receiver got %d requests; want %d (%d queued, %d sync answered, %d refused)", got, want, b.queued, b.answered, b.refused)
		seen := map[string]int{}
		for _, r := range b.rc.requests() {
			if seen[string(r.body)]++; seen[string(r.body)] == 2 {
				t.Errorf("sent more than once: %s (webhook-id %s)", r.body, r.header.Get("webhook-id"))
			}
		}
	}
	if b.answered == 0 {
		t.Errorf("no sync request was answered (%d refused)", b.refused)
	}
}

// maxInWindow is the most arrivals the receiver saw within any window of
// length d.
func (b *budgetRun) maxInWindow(d time.Duration) int {
	got := b.rc.requests()
	at := make([]time.Time, len(got))
	for i, r := range got {
		at[i] = r.at
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	most, j := 0, 0
	for i := range at {
		for at[i].Sub(at[j]) >= d {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

func checkConcurrency(t *testing.T, relays []*env) {
	b := &budgetRun{relays: relays, dest: relay.Destination{ID: "one", Concurrency: 1}, queued: 30, sync: 16}
	b.run(t)
	b.f.mu.Lock()
	defer b.f.mu.Unlock()
	if b.f.peak > 1 {
		t.Fatalf("the receiver was answering %d requests at once (sync and background, %d relays); the destination's concurrency is 1", b.f.peak, len(relays))
	}
}

func checkRate(t *testing.T, relays []*env) {
	const rate = 40
	b := &budgetRun{relays: relays, dest: relay.Destination{ID: "rated", Concurrency: 4, RateLimit: relay.Rate{PerSecond: rate}}, queued: 20, sync: 16}
	b.run(t)
	// Half a second at 40/s holds 20 requests, 21 counting both ends; 3
	// more allow for requests sent on time that arrive late together.
	const window, most = 500 * time.Millisecond, rate/2 + 1 + 3
	if n := b.maxInWindow(window); n > most {
		t.Fatalf("the receiver got %d requests within %s (sync and background, %d relays); the rate limit of %d/s allows %d", n, window, len(relays), rate, most)
	}
}

// One relay: sync requests and the worker's lane share the destination's
// concurrency of 1.
func TestSyncRequestsShareConcurrencyWithTheWorker(t *testing.T) {
	checkConcurrency(t, []*env{newEnv(t)})
}

// One relay: sync requests and the worker's lane share the rate limit.
func TestSyncRequestsShareTheRateLimitWithTheWorker(t *testing.T) {
	checkRate(t, []*env{newEnv(t)})
}

// Two replicas on one PostgreSQL: sync requests to either and both workers
// share the destination's concurrency of 1.
func TestReplicasSyncRequestsShareConcurrency(t *testing.T) {
	a, b := twoReplicas(t)
	checkConcurrency(t, []*env{a, b})
}

// Two replicas on one PostgreSQL: sync requests to either and both workers
// share the rate limit.
func TestReplicasSyncRequestsShareTheRateLimit(t *testing.T) {
	a, b := twoReplicas(t)
	checkRate(t, []*env{a, b})
}

// A sync request that finds every slot of its destination in flight for
// longer than the wait gets the limit error with a Retry-After, and nothing
// is sent or queued for it.
func TestSyncRequestRefusedWhenNoSlotFrees(t *testing.T) {
	e := newEnv(t, func(o *relay.Options) { o.SyncSlotWait = 100 * time.Millisecond })
	unblock := make(chan struct{})
	rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n == 0 {
			<-unblock
		}
		return http.StatusOK
	})
	e.create(relay.Destination{ID: "one", URL: rc.URL, Concurrency: 1, Inbound: &relay.Inbound{Route: "one", Mode: relay.InboundSync}})
	ctx := context.Background()
	first := make(chan error, 1)
	go func() {
		res, err := e.relay.Inbound(ctx, "one", relay.InboundRequest{Body: []byte(`{"i":1}`)})
		if err == nil && (res.Sync == nil || res.Sync.Status != http.StatusOK) {
			err = fmt.Errorf("answer %+v; want the receiver's 200", res.Sync)
		}
		first <- err
	}()
	e.waitFor("the first request at the receiver", func() bool { return rc.count() == 1 })
	_, err := e.relay.Inbound(ctx, "one", relay.InboundRequest{Body: []byte(`{"i":2}`)})
	var busy *relay.BusyError
	if !errs.Is(err, errs.ERATELIMIT) || !errors.As(err, &busy) || busy.RetryAfterSeconds() < 1 {
		t.Errorf("second request while the only slot is in flight: %v; want the limit error with a Retry-After", err)
	}
	close(unblock)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if n := rc.count(); n != 1 {
		t.Errorf("the receiver got %d requests; want 1", n)
	}
	if ds := e.deliveries(relay.DeliveryFilter{Destination: "one"}); len(ds) != 1 {
		t.Errorf("%d deliveries; want 1 (the refused request queues nothing)", len(ds))
	}
	// The slot is free again.
	if res, err := e.relay.Inbound(ctx, "one", relay.InboundRequest{Body: []byte(`{"i":3}`)}); err != nil || res.Sync == nil || res.Sync.Status != http.StatusOK {
		t.Fatalf("third request: %+v, %v", res.Sync, err)
	}
}

// A sync request waiting for a slot while the destination becomes paused
// (another replica's request got a 429 with a long Retry-After) is told
// at once, with the pause's end as its Retry-After, instead of waiting
// out its whole slot wait.
func TestSyncRequestWaitingForASlotHearsOfAPause(t *testing.T) {
	e := newEnv(t, func(o *relay.Options) { o.SyncSlotWait = 10 * time.Minute })
	unblock := make(chan struct{})
	rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n == 0 {
			<-unblock
		}
		return http.StatusOK
	})
	e.create(relay.Destination{ID: "one", URL: rc.URL, Concurrency: 1, Inbound: &relay.Inbound{Route: "one", Mode: relay.InboundSync}})
	first := make(chan error, 1)
	go func() {
		_, err := e.relay.Inbound(context.Background(), "one", relay.InboundRequest{Body: []byte(`{"i":1}`)})
		first <- err
	}()
	defer func() {
		close(unblock)
		if err := <-first; err != nil {
			t.Error(err)
		}
	}()
	e.waitFor("the first request at the receiver", func() bool { return rc.count() == 1 })
	// The second request is bounded well below its slot wait: it must be
	// answered because of the pause, not because the wait ran out.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := make(chan error, 1)
	go func() {
		_, err := e.relay.Inbound(ctx, "one", relay.InboundRequest{Body: []byte(`{"i":2}`)})
		second <- err
	}()
	time.Sleep(200 * time.Millisecond) // let it find the only slot in flight first
	e.exec(`UPDATE relay_lanes SET paused_until = ? WHERE destination_id = ?`, time.Now().Add(time.Hour).UnixMilli(), "one")
	err := <-second
	var busy *relay.BusyError
	if !errs.Is(err, errs.ERATELIMIT) || !errors.As(err, &busy) || busy.RetryAfter < 30*time.Minute {
		t.Errorf("request waiting for a slot when the destination is paused for an hour: %v; want the limit error with the pause's Retry-After", err)
	}
}
