package relay_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/relay"
)

var fast = relay.WorkerOptions{Poll: 20 * time.Millisecond, FlushEvery: 5 * time.Millisecond, Lease: 2 * time.Second}

func TestDeliveryCarriesSecretsParamFieldsNestedBodyAndSignature(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.setSecret("CRM_API_KEY", "k-123456")
	e.setSecret("CRM_SIGNING", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	e.create(relay.Destination{
		ID: "crm", URL: rc.URL + "/v1/contacts?src=fusebox", Method: "PUT",
		Headers:          map[string]string{"Authorization": `Bearer {{ secret "CRM_API_KEY" }}`, "X-Static": "yes"},
		Params:           map[string]string{"user_id": "{{ user_id }}", "team": "{{ metadata.team }}", "file": "{{ file_name }}"},
		QueryParamFields: relay.FieldMap{{Field: "user_id", Name: "user_id"}, {Field: "qp", Name: "qp"}},
		HeaderFields:     relay.FieldMap{{Field: "team", Name: "X-Team"}},
		Map:              map[string]string{"email": "contact.email", "first": "contact.name.first"},
		SigningSecret:    "CRM_SIGNING",
	})
	e.enqueue("crm", []string{`{"first":"Ada","email":"ada@x.io","qp":"a b","plan":"pro"}`},
		relay.EnqueueOptions{Context: relay.Context{UserID: "u-9", FileName: "people.csv", Metadata: map[string]any{"team": "blue"}}})
	e.startWorker(fast)
	e.waitSettled("crm", 1)

	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	r := got[0]
	if r.method != "PUT" || r.uri != "/v1/contacts?src=fusebox&user_id=u-9&qp=a+b" {
		t.Errorf("request line %s %s", r.method, r.uri)
	}
	for name, want := range map[string]string{"Authorization": "Bearer k-123456", "X-Static": "yes", "X-Team": "blue", "Content-Type": "application/json"} {
		if v := r.header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	wantBody := map[string]any{"contact": map[string]any{"name": map[string]any{"first": "Ada"}, "email": "ada@x.io"}, "plan": "pro", "file": "people.csv"}
	if body := decodeJSON(t, r.body); !reflect.DeepEqual(body, wantBody) {
		t.Errorf("body = %s, want %v", r.body, wantBody)
	}
	id := r.header.Get("webhook-id")
	if !strings.HasPrefix(id, "msg_") || r.header.Get("Idempotency-Key") != id {
		t.Errorf("webhook-id %q, Idempotency-Key %q", id, r.header.Get("Idempotency-Key"))
	}
	if !relay.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, r.header.Get("webhook-timestamp"), r.body, r.header.Get("webhook-signature")) {
		t.Errorf("webhook-signature %q does not verify", r.header.Get("webhook-signature"))
	}
	// The console never sees the secret: not in the destination, not in
	// the delivery's request, not in the attempt log.
	ds := e.deliveries(relay.DeliveryFilter{Destination: "crm"})
	d := e.detail(ds[0].ID)
	js, _ := json.Marshal(d)
	if strings.Contains(string(js), "k-123456") || strings.Contains(string(js), "MfKQ9r8") {
		t.Errorf("delivery detail leaks a secret: %s", js)
	}
	if d.UID != id || d.Status != relay.StatusDelivered || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 200 {
		t.Errorf("delivery %+v", d)
	}
	if !strings.Contains(string(js), "«secret CRM_API_KEY: set»") {
		t.Errorf("delivery request does not show the masked secret: %s", js)
	}
}

func TestRetriesUntilTheReceiverRecovers(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n < 3 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	e.create(relay.Destination{ID: "flaky", URL: rc.URL, Retry: []relay.Duration{ms(20), ms(20), ms(20), ms(20)}})
	e.enqueue("flaky", []string{`{"i":1}`}, relay.EnqueueOptions{})
	e.startWorker(fast)
	st := e.waitSettled("flaky", 1)
	if st.ByStatus[relay.StatusDelivered] != 1 {
		t.Fatalf("stats %+v", st)
	}
	d := e.detail(e.deliveries(relay.DeliveryFilter{Destination: "flaky"})[0].ID)
	var codes []int
	for _, a := range d.Attempts {
		codes = append(codes, a.StatusCode)
	}
	if !reflect.DeepEqual(codes, []int{500, 500, 500, 200}) {
		t.Fatalf("attempt log codes %v, want 500 500 500 200", codes)
	}
	if d.Attempts[0].Outcome != "retry" || !strings.Contains(d.Attempts[0].Error, "HTTP 500") || d.Attempts[0].Response != `{"n":0}` {
		t.Errorf("first attempt %+v", d.Attempts[0])
	}
	ids := map[string]bool{}
	for _, r := range rc.requests() {
		ids[r.header.Get("webhook-id")] = true
	}
	if len(ids) != 1 {
		t.Errorf("retries used %d idempotency ids, want 1", len(ids))
	}
}

func TestGivesUpAfterTheSchedule(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(int, *http.Request, http.ResponseWriter) int { return http.StatusBadGateway })
	e.create(relay.Destination{ID: "down", URL: rc.URL, Retry: []relay.Duration{ms(10), ms(10)}})
	e.enqueue("down", []string{`{"i":1}`}, relay.EnqueueOptions{})
	e.startWorker(fast)
	st := e.waitSettled("down", 1)
	if st.ByStatus[relay.StatusDead] != 1 || rc.count() != 3 {
		t.Fatalf("stats %+v after %d requests; want dead after 3", st, rc.count())
	}
	d := e.deliveries(relay.DeliveryFilter{Status: "failed,dead"})
	if len(d) != 1 || !strings.Contains(d[0].Reason, "gave up after 3 attempts") {
		t.Fatalf("failed/dead list %+v", d)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	})
	e.create(relay.Destination{ID: "busy", URL: rc.URL, Concurrency: 1, Retry: []relay.Duration{ms(10), ms(10)}})
	e.enqueue("busy", []string{`{"i":1}`, `{"i":2}`}, relay.EnqueueOptions{})
	e.startWorker(fast)
	e.waitSettled("busy", 2)
	got := rc.requests()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3 (one 429, then both)", len(got))
	}
	// Every request after the 429 waited for Retry-After, not the 10ms
	// schedule: the destination paused.
	for _, r := range got[1:] {
		if gap := r.at.Sub(got[0].at); gap < time.Second {
			t.Errorf("a request came %s after the 429 with Retry-After: 1", gap)
		}
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n == 0 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		return http.StatusOK
	})
	e.create(relay.Destination{ID: "slow", URL: rc.URL, Timeout: ms(100), Retry: []relay.Duration{ms(10)}})
	e.enqueue("slow", []string{`{"i":1}`}, relay.EnqueueOptions{})
	e.startWorker(fast)
	st := e.waitSettled("slow", 1)
	if st.ByStatus[relay.StatusDelivered] != 1 {
		t.Fatalf("stats %+v", st)
	}
	d := e.detail(e.deliveries(relay.DeliveryFilter{Destination: "slow"})[0].ID)
	if len(d.Attempts) != 2 || d.Attempts[0].Error != "timed out after 100ms" || d.Attempts[1].StatusCode != 200 {
		t.Fatalf("attempts %+v", d.Attempts)
	}
}

func TestGoneDisablesTheDestination(t *testing.T) {
	e := newEnv(t)
	gone := true
	rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n == 0 && gone {
			return http.StatusGone
		}
		return http.StatusOK
	})
	e.create(relay.Destination{ID: "old", URL: rc.URL, Concurrency: 1})
	e.enqueue("old", []string{`{"i":1}`, `{"i":2}`, `{"i":3}`}, relay.EnqueueOptions{})
	o, idle := idlePasses(fast)
	e.startWorker(o)
	var v relay.DestinationView
	e.waitFor("destination disabled", func() bool {
		var err error
		v, err = e.relay.GetDestination(context.Background(), "old")
		return err == nil && !v.Enabled
	})
	if !strings.Contains(v.DisabledReason, "410 Gone") {
		t.Errorf("disabled reason %q", v.DisabledReason)
	}
	e.waitIdle(idle, 3) // several polls find nothing to send while disabled
	if n := rc.count(); n != 1 {
		t.Fatalf("receiver got %d requests after the 410, want 1", n)
	}
	st := e.stats("old")
	if st.ByStatus[relay.StatusFailed] != 1 || st.ByStatus[relay.StatusPending] != 2 {
		t.Fatalf("stats %+v; want 1 failed, 2 pending", st)
	}
	if err := e.relay.SetEnabled(context.Background(), "old", true, ""); err != nil {
		t.Fatal(err)
	}
	st = e.waitSettled("old", 3)
	if st.ByStatus[relay.StatusDelivered] != 2 {
		t.Fatalf("after enabling: %+v", st)
	}
}

func TestClientErrorFailsWithoutRetryAndBulkRetry(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n < 2 {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	e.create(relay.Destination{ID: "strict", URL: rc.URL, Concurrency: 1, Retry: []relay.Duration{ms(10), ms(10), ms(10)}})
	e.enqueue("strict", []string{`{"i":1}`, `{"i":2}`}, relay.EnqueueOptions{})
	e.startWorker(fast)
	st := e.waitSettled("strict", 2)
	if st.ByStatus[relay.StatusFailed] != 2 || rc.count() != 2 {
		t.Fatalf("stats %+v after %d requests; want 2 failed after 2 requests", st, rc.count())
	}
	failed := e.deliveries(relay.DeliveryFilter{Status: "failed"})
	if !strings.Contains(failed[0].Reason, "HTTP 400") {
		t.Errorf("reason %q", failed[0].Reason)
	}
	n, err := e.relay.RetryFailed(context.Background(), relay.RetryFilter{Destination: "strict"})
	if err != nil || n != 2 {
		t.Fatalf("retry failed: %d, %v", n, err)
	}
	st = e.waitSettled("strict", 2)
	if st.ByStatus[relay.StatusDelivered] != 2 {
		t.Fatalf("after bulk retry: %+v", st)
	}
	if _, err := e.relay.RetryFailed(context.Background(), relay.RetryFilter{Statuses: []string{"delivered"}}); !errs.Is(err, errs.EINVALID) {
		t.Fatalf("retrying delivered deliveries: %v", err)
	}
}

func TestMissingSecretFailsTheDeliveryUntilSet(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.create(relay.Destination{ID: "needs-key", URL: rc.URL, Headers: map[string]string{"X-Key": `{{ secret "LATER_KEY" }}`}})
	e.enqueue("needs-key", []string{`{"i":1}`}, relay.EnqueueOptions{})
	e.startWorker(fast)
	e.waitSettled("needs-key", 1)
	d := e.deliveries(relay.DeliveryFilter{Destination: "needs-key"})[0]
	if d.Status != relay.StatusFailed || !strings.Contains(d.Reason, "secret LATER_KEY is not set") || rc.count() != 0 {
		t.Fatalf("delivery %+v, %d requests", d, rc.count())
	}
	v, _ := e.relay.GetDestination(context.Background(), "needs-key")
	if len(v.Secrets) != 1 || v.Secrets[0] != (relay.SecretStatus{Name: "LATER_KEY", Set: false, Declared: true}) {
		t.Fatalf("secret status %+v", v.Secrets)
	}
	e.setSecret("LATER_KEY", "now-set")
	if _, err := e.relay.Replay(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	e.waitFor("delivery", func() bool { return rc.count() == 1 })
	if got := rc.requests()[0].header.Get("X-Key"); got != "now-set" {
		t.Fatalf("X-Key = %q", got)
	}
}

func TestReplayKeepsTheIdempotencyID(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.create(relay.Destination{ID: "r", URL: rc.URL})
	e.enqueue("r", []string{`{"i":1}`}, relay.EnqueueOptions{})
	e.startWorker(fast)
	e.waitSettled("r", 1)
	d := e.deliveries(relay.DeliveryFilter{Destination: "r"})[0]
	if _, err := e.relay.Replay(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	e.waitFor("replay", func() bool { return rc.count() == 2 })
	got := rc.requests()
	if got[0].header.Get("webhook-id") != got[1].header.Get("webhook-id") || string(got[0].body) != string(got[1].body) {
		t.Fatalf("replay differs: %v / %v", got[0].header, got[1].header)
	}
	e.waitFor("second attempt logged", func() bool { return len(e.detail(d.ID).Attempts) == 2 })
	if _, err := e.relay.Replay(context.Background(), 999999); !errs.Is(err, errs.ENOTFOUND) {
		t.Fatalf("replay of a missing delivery: %v", err)
	}
}

// A delivery claimed by a process that died (its lease still runs) is
// sent by the next worker once the lease expires, with the same id.
func TestExpiredLeaseIsReclaimed(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.create(relay.Destination{ID: "lease", URL: rc.URL})
	e.enqueue("lease", []string{`{"i":1}`}, relay.EnqueueOptions{})
	var uid string
	if err := e.db.Read.QueryRow(`SELECT uid FROM relay_deliveries`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(400 * time.Millisecond).UnixMilli()
	if _, err := e.db.Write.Exec(`UPDATE relay_deliveries SET lease_owner = 'w_dead', lease_until = ?`, until); err != nil {
		t.Fatal(err)
	}
	e.startWorker(fast)
	e.waitFor("reclaimed delivery", func() bool { return rc.count() == 1 })
	r := rc.requests()[0]
	if r.at.UnixMilli() < until {
		t.Errorf("sent %dms before the dead worker's lease expired", until-r.at.UnixMilli())
	}
	if r.header.Get("webhook-id") != uid {
		t.Errorf("webhook-id %q, want %q", r.header.Get("webhook-id"), uid)
	}
}

func TestRateLimitAndConcurrency(t *testing.T) {
	e := newEnv(t)
	inFlight, peak := 0, 0
	var mu = make(chan struct{}, 1)
	rc := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		mu <- struct{}{}
		inFlight++
		peak = max(peak, inFlight)
		<-mu
		time.Sleep(20 * time.Millisecond)
		mu <- struct{}{}
		inFlight--
		<-mu
		return http.StatusOK
	})
	e.create(relay.Destination{ID: "limited", URL: rc.URL, Concurrency: 2})
	recs := make([]string, 12)
	for i := range recs {
		recs[i] = `{"i":1}`
	}
	e.enqueue("limited", recs, relay.EnqueueOptions{})
	e.create(relay.Destination{ID: "rated", URL: rc.URL, RateLimit: relay.Rate{PerSecond: 20}, Concurrency: 8})
	e.startWorker(fast)
	e.waitSettled("limited", 12)
	if peak > 2 {
		t.Fatalf("%d requests in flight at once; concurrency is 2", peak)
	}
	start := len(rc.requests())
	e.enqueue("rated", recs[:6], relay.EnqueueOptions{})
	e.waitSettled("rated", 6)
	got := rc.requests()[start:]
	// 20/s: six requests span at least five intervals of 50ms.
	if span := got[len(got)-1].at.Sub(got[0].at); span < 240*time.Millisecond {
		t.Fatalf("6 requests at 20/s took %s", span)
	}
}
