package relay_test

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"fusebox/backend/relay"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// Workers of several replicas on one PostgreSQL database (a team server):
// each relay here has its own database handle and its own worker, as two
// `fusebox serve --database URL` processes have. They run on the test
// cluster whatever FUSEBOX_TEST_ENGINE says (SQLite has one process).

// twoReplicas is two relays over one fresh PostgreSQL database.
func twoReplicas(t *testing.T) (*env, *env) {
	t.Helper()
	dbURL, _ := storetest.LocationOn(t, store.Postgres)
	a := newEnvAt(t, t.TempDir(), dbURL, "")
	return a, a.replica()
}

// flight counts the requests a receiver is answering at once.
type flight struct {
	mu         sync.Mutex
	now, peak  int
	hold       time.Duration
	byID       map[string]int // webhook-id -> requests
	bodyByID   map[string]string
	sameIDDiff int // requests whose webhook-id came before with another body
}

func newFlight(hold time.Duration) *flight {
	return &flight{hold: hold, byID: map[string]int{}, bodyByID: map[string]string{}}
}

func (f *flight) serve(r *http.Request, body []byte) {
	id := r.Header.Get("webhook-id")
	f.mu.Lock()
	f.now++
	f.peak = max(f.peak, f.now)
	f.byID[id]++
	if b, ok := f.bodyByID[id]; ok && b != string(body) {
		f.sameIDDiff++
	}
	f.bodyByID[id] = string(body)
	f.mu.Unlock()
	time.Sleep(f.hold)
	f.mu.Lock()
	f.now--
	f.mu.Unlock()
}

// Two replicas deliver every record of a destination exactly once (no
// lease expired: nothing is sent twice), and never have more requests in
// flight together than the destination's concurrency.
func TestReplicasDeliverEveryRecordOnceWithinConcurrency(t *testing.T) {
	a, b := twoReplicas(t)
	f := newFlight(3 * time.Millisecond)
	var rc *receiver
	rc = newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		f.serve(r, rc.requests()[n].body)
		return http.StatusOK
	})
	a.create(relay.Destination{ID: "shared", URL: rc.URL, Concurrency: 3})
	const n = 600
	recs := make([]string, n)
	for i := range recs {
		recs[i] = `{"i":` + strconv.Itoa(i) + `}`
	}
	a.enqueue("shared", recs, relay.EnqueueOptions{})
	a.startWorker(fast)
	b.startWorker(fast)
	st := a.waitSettled("shared", n)
	if st.ByStatus[relay.StatusDelivered] != n {
		t.Fatalf("deliveries by status %v; want %d delivered", st.ByStatus, n)
	}
	uids := map[string]bool{}
	rows, err := a.db.Read.Query(`SELECT uid FROM relay_deliveries WHERE destination_id = 'shared'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			t.Fatal(err)
		}
		uids[uid] = true
	}
	rows.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	if rc.count() != n || len(f.byID) != n {
		t.Errorf("the receiver got %d requests with %d distinct webhook-ids; want %d of each", rc.count(), len(f.byID), n)
	}
	twice := 0
	for id, k := range f.byID {
		if k != 1 {
			if twice++; twice <= 3 {
				t.Errorf("webhook-id %s sent %d times without any lease expiring", id, k)
			}
		}
		if !uids[id] {
			t.Errorf("webhook-id %s is no delivery's id", id)
		}
	}
	if twice > 3 {
		t.Errorf("%d webhook-ids sent more than once", twice)
	}
	if f.peak > 3 {
		t.Errorf("%d requests in flight at once across the two replicas; the destination's concurrency is 3", f.peak)
	}
}

// The rate limit holds for the two replicas together: n requests at r/s
// take at least (n-1)/r whoever sends them.
func TestReplicasHoldTheRateLimitTogether(t *testing.T) {
	a, b := twoReplicas(t)
	rc := newReceiver(t, nil)
	// More than one lane claims at once (64 for batch 0), so replicas that
	// ignored each other would both be sending.
	const n, rate = 150, 100
	a.create(relay.Destination{ID: "rated", URL: rc.URL, RateLimit: relay.Rate{PerSecond: rate}, Concurrency: 8})
	recs := make([]string, n)
	for i := range recs {
		recs[i] = `{"i":1}`
	}
	a.enqueue("rated", recs, relay.EnqueueOptions{})
	a.startWorker(fast)
	b.startWorker(fast)
	a.waitSettled("rated", n)
	got := rc.requests()
	if len(got) != n {
		t.Fatalf("%d requests; want %d", len(got), n)
	}
	at := make([]time.Time, len(got))
	for i, r := range got {
		at[i] = r.at
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	least := (n - 1) * time.Second / rate * 9 / 10
	if span := at[n-1].Sub(at[0]); span < least {
		t.Fatalf("%d requests at %d/s from two replicas took %s; one bucket needs at least %s", n, rate, span, least)
	}
}

// A 429's pause, seen by one replica, holds for the other: no request to
// the destination before Retry-After has passed.
func TestReplicasHonourAnotherReplicasPause(t *testing.T) {
	a, b := twoReplicas(t)
	second := make(chan struct{})
	rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n == 0 {
			// Answered once a second request comes in (it should not), or
			// after a while: a replica that ignores the lanes sends its
			// own request meanwhile.
			select {
			case <-second:
			case <-time.After(500 * time.Millisecond):
			}
			w.Header().Set("Retry-After", "1")
			return http.StatusTooManyRequests
		}
		if n == 1 {
			close(second)
		}
		return http.StatusOK
	})
	a.create(relay.Destination{ID: "busy", URL: rc.URL, Concurrency: 1})
	a.enqueue("busy", []string{`{"i":1}`, `{"i":2}`, `{"i":3}`}, relay.EnqueueOptions{})
	a.startWorker(fast)
	b.startWorker(fast)
	a.waitSettled("busy", 3)
	a.waitFor("the retried request", func() bool { return rc.count() >= 4 })
	got := rc.requests()
	answered := got[0].at.Add(500 * time.Millisecond)
	if got[1].at.Before(answered) || got[1].at.Sub(answered) < 900*time.Millisecond {
		t.Fatalf("the next request came %s after the first (answered 429 with Retry-After: 1 after at most 500ms)", got[1].at.Sub(got[0].at))
	}
}

// A 410 disables the destination for every replica: with concurrency 1,
// one request is sent and no replica sends another.
func TestReplicasStopAfter410(t *testing.T) {
	a, b := twoReplicas(t)
	second := make(chan struct{})
	rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		switch n {
		case 0: // as in TestReplicasHonourAnotherReplicasPause
			select {
			case <-second:
			case <-time.After(500 * time.Millisecond):
			}
		case 1:
			close(second)
		}
		return http.StatusGone
	})
	a.create(relay.Destination{ID: "gone", URL: rc.URL, Concurrency: 1})
	recs := make([]string, 200) // more than one claim (64 for batch 0)
	for i := range recs {
		recs[i] = `{"i":1}`
	}
	a.enqueue("gone", recs, relay.EnqueueOptions{})
	oa, idleA := idlePasses(fast)
	ob, idleB := idlePasses(fast)
	a.startWorker(oa)
	b.startWorker(ob)
	a.waitFor("the destination disabled", func() bool {
		d, err := a.relay.GetDestination(context.Background(), "gone")
		return err == nil && !d.Enabled
	})
	a.waitIdle(idleA, 3)
	b.waitIdle(idleB, 3)
	if n := rc.count(); n != 1 {
		t.Fatalf("%d requests after a 410 Gone with concurrency 1; want 1", n)
	}
}

// A lane and deliveries leased by a worker that died are taken over once
// their leases expire: not before, and with the deliveries' own ids.
func TestExpiredLaneIsTakenOver(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.create(relay.Destination{ID: "orphan", URL: rc.URL})
	e.enqueue("orphan", []string{`{"i":1}`, `{"i":2}`}, relay.EnqueueOptions{})
	uids := map[string]bool{}
	rows, err := e.db.Read.Query(`SELECT uid FROM relay_deliveries`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			t.Fatal(err)
		}
		uids[uid] = true
	}
	rows.Close()
	until := time.Now().Add(400 * time.Millisecond).UnixMilli()
	if _, err := e.db.Write.Exec(`UPDATE relay_deliveries SET lease_owner = 'w_dead', lease_until = ?`, until); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Write.Exec(`INSERT INTO relay_lanes (destination_id, lane_owner, lane_until) VALUES ('orphan', 'w_dead', ?)`, until); err != nil {
		t.Fatal(err)
	}
	e.startWorker(fast)
	e.waitSettled("orphan", 2)
	for _, r := range rc.requests() {
		if r.at.UnixMilli() < until {
			t.Errorf("sent %dms before the dead worker's lease expired", until-r.at.UnixMilli())
		}
		if !uids[r.header.Get("webhook-id")] {
			t.Errorf("webhook-id %q is not the delivery's id", r.header.Get("webhook-id"))
		}
	}
	if rc.count() != 2 {
		t.Errorf("%d requests; want 2", rc.count())
	}
}
