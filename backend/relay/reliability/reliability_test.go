package reliability_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"fusebox/backend/relay"
)

func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// kill -9 while a 10,000-record import is being delivered; after a
// restart every record has arrived, and a record that arrived twice
// carried the same idempotency id both times.
func TestKill9DuringDeliveryLosesNothing(t *testing.T) {
	const rows = 10_000
	var mu sync.Mutex
	ids := map[int][]string{} // record n -> webhook-ids it arrived with
	rc := newReceiver(t, func(_ int, r *http.Request, w http.ResponseWriter) int {
		time.Sleep(time.Millisecond) // a receiver with some work to do
		return http.StatusOK
	})
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(ids)
	}
	collect := func() {
		reqs := rc.requests()
		mu.Lock()
		defer mu.Unlock()
		clear(ids)
		for _, r := range reqs {
			var rec struct {
				N int `json:"n"`
			}
			if err := json.Unmarshal(r.body, &rec); err != nil {
				t.Errorf("receiver got %s: %v", r.body, err)
				continue
			}
			ids[rec.N] = append(ids[rec.N], r.header.Get("webhook-id"))
		}
	}
	dir := t.TempDir()
	applyWorkspace(t, dir, "version: 1\n"+peopleImporter+`destinations:
  - id: receiver
    importer: people
    url: `+rc.url+`/records
    batch: 0
    concurrency: 4
    retry: [100ms, 200ms, 500ms, 1s, 2s]
`)
	env := []string{"FUSEBOX_RELAY_LEASE=2s"}
	srv := startServer(t, dir, env)
	cli(t, nil, "import", "--data-dir", dir, "--importer", "people", writeCSV(t, t.TempDir(), rows))
	waitFor(t, "the first 2,000 records", 60*time.Second, func() bool { collect(); return count() >= 2000 })
	srv.kill9()
	collect()
	atKill := count()
	if atKill >= rows {
		t.Fatalf("all %d records arrived before the kill; the test did not interrupt delivery", atKill)
	}
	t.Logf("killed with -9 after %d of %d records arrived", atKill, rows)

	srv = startServer(t, dir, env)
	waitFor(t, "every record after the restart", 90*time.Second, func() bool { collect(); return count() == rows })
	st := srv.settled("receiver", rows)
	if st.ByStatus["delivered"] != rows || len(st.ByStatus) != 1 {
		t.Fatalf("after the restart: %+v; want %d delivered and nothing else", st, rows)
	}
	collect()
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	seen := map[string]int{}
	for n := 1; n <= rows; n++ {
		got := ids[n]
		if len(got) == 0 {
			t.Fatalf("record %d never arrived", n)
		}
		for _, id := range got {
			if id == "" || id != got[0] {
				t.Fatalf("record %d arrived with different idempotency ids %v", n, got)
			}
		}
		if prev, ok := seen[got[0]]; ok {
			t.Fatalf("records %d and %d share the idempotency id %s", prev, n, got[0])
		}
		seen[got[0]] = n
		if len(got) > 1 {
			dups++
		}
	}
	t.Logf("%d records arrived twice (sent but not yet recorded at the kill), each with its one idempotency id", dups)
}

// Receivers that fail in the ways real ones do, on one server.
func TestReceiverFailures(t *testing.T) {
	flaky := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n < 3 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	busy := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	})
	release := make(chan struct{})
	defer close(release)
	slow := newReceiver(t, func(n int, r *http.Request, w http.ResponseWriter) int {
		if n == 0 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		return http.StatusOK
	})
	gone := newReceiver(t, func(int, *http.Request, http.ResponseWriter) int { return http.StatusGone })

	dir := t.TempDir()
	dest := func(id, url, extra string) string {
		return fmt.Sprintf("  - id: %s\n    url: %s\n    concurrency: 1\n    retry: [50ms, 50ms, 50ms, 50ms]\n    inbound: {route: %s}\n%s", id, url, id, extra)
	}
	applyWorkspace(t, dir, "version: 1\ndestinations:\n"+
		dest("flaky", flaky.url, "")+
		dest("busy", busy.url, "")+
		dest("slow", slow.url, "    timeout: 300ms\n")+
		dest("gone", gone.url, ""))
	srv := startServer(t, dir, nil)
	for _, route := range []string{"flaky", "busy", "slow", "gone"} {
		if code, body := srv.post("/relay/"+route, nil, `{"hello":"`+route+`"}`); code != http.StatusAccepted {
			t.Fatalf("POST /relay/%s: %d %s", route, code, body)
		}
	}
	if code, body := srv.post("/relay/busy", nil, `{"hello":"second"}`); code != http.StatusAccepted {
		t.Fatalf("POST /relay/busy: %d %s", code, body)
	}

	t.Run("500 for a while, then 200", func(t *testing.T) {
		srv.settled("flaky", 1)
		ds := srv.deliveries("destination=flaky")
		if len(ds) != 1 || ds[0].Status != "delivered" {
			t.Fatalf("deliveries %+v", ds)
		}
		var log []string
		for _, a := range ds[0].Attempts {
			log = append(log, fmt.Sprintf("%d %s", a.StatusCode, a.Outcome))
		}
		if strings.Join(log, ", ") != "500 retry, 500 retry, 500 retry, 200 delivered" {
			t.Fatalf("attempt log: %v", log)
		}
	})
	t.Run("429 with Retry-After is honoured", func(t *testing.T) {
		srv.settled("busy", 2)
		got := busy.requests()
		if len(got) != 3 {
			t.Fatalf("%d requests, want 3 (the 429, then both records)", len(got))
		}
		for _, r := range got[1:] {
			if gap := r.at.Sub(got[0].at); gap < time.Second {
				t.Fatalf("a request came %s after 429 Retry-After: 1", gap)
			}
		}
	})
	t.Run("a timeout is retried", func(t *testing.T) {
		srv.settled("slow", 1)
		ds := srv.deliveries("destination=slow")
		if len(ds) != 1 || ds[0].Status != "delivered" || len(ds[0].Attempts) != 2 || ds[0].Attempts[0].Error != "timed out after 300ms" {
			t.Fatalf("deliveries %+v", ds)
		}
	})
	t.Run("410 disables the destination", func(t *testing.T) {
		var v struct {
			Enabled        bool   `json:"enabled"`
			DisabledReason string `json:"disabled_reason"`
		}
		waitFor(t, "the destination to be disabled", 30*time.Second, func() bool {
			srv.api("GET", "/api/admin/relay/destinations/gone", nil, &v)
			return !v.Enabled
		})
		if !strings.Contains(v.DisabledReason, "410 Gone") {
			t.Fatalf("disabled reason %q", v.DisabledReason)
		}
		ds := srv.deliveries("destination=gone&status=failed,dead")
		if len(ds) != 1 || len(ds[0].Attempts) != 1 || len(gone.requests()) != 1 {
			t.Fatalf("failed list %+v after %d requests", ds, len(gone.requests()))
		}
	})
}

// What the receiver gets: the secret header from the environment, param
// fields moved to the query and headers, the flat row reshaped into nested
// JSON, a Standard Webhooks signature; records with invalid session
// tokens never arrive.
func TestWhatTheReceiverGets(t *testing.T) {
	rc := newReceiver(t, nil)
	dir := t.TempDir()
	const signing = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	applyWorkspace(t, dir, "version: 1\n"+peopleImporter+`secrets: [RELAY_TEST_CRM_KEY, RELAY_TEST_SIGNING]
destinations:
  - id: crm
    importer: people
    url: `+rc.url+`/crm?v=2
    headers:
      Authorization: 'Bearer {{ secret "RELAY_TEST_CRM_KEY" }}'
    batch: 2
    params:
      source: "{{ metadata.source }}"
      file: "{{ file_name }}"
    query_param_fields: [source]
    header_fields: {file: X-Source-File}
    map:
      first_name: contact.name.first
      last_name: contact.name.last
      email: contact.email
    signing_secret: RELAY_TEST_SIGNING
  - id: guarded
    importer: people
    url: `+rc.url+`/guarded
    session_token_field: session_token
    params: {user: "{{ user_id }}"}
    inbound: {route: guarded}
`)
	env := []string{"RELAY_TEST_CRM_KEY=crm-key-123456", "RELAY_TEST_SIGNING=" + signing}
	srv := startServer(t, dir, env)

	t.Run("secret, param fields, nested mapping, signature", func(t *testing.T) {
		csv := writeCSV(t, t.TempDir(), 3)
		cli(t, nil, "import", "--data-dir", dir, "--importer", "people", csv)
		srv.settled("crm", 2)
		var got []received
		for _, r := range rc.requests() {
			if strings.HasPrefix(r.uri, "/crm") {
				got = append(got, r)
			}
		}
		if len(got) != 2 {
			t.Fatalf("%d requests, want 2 (batch 2 of 3 records)", len(got))
		}
		var all []map[string]any
		for _, r := range got {
			if r.uri != "/crm?v=2&source=cli" {
				t.Errorf("uri %s", r.uri)
			}
			if h := r.header.Get("Authorization"); h != "Bearer crm-key-123456" {
				t.Errorf("Authorization %q", h)
			}
			if h := r.header.Get("X-Source-File"); h != "people-3.csv" {
				t.Errorf("X-Source-File %q", h)
			}
			if !relay.Verify(signing, r.header.Get("webhook-id"), r.header.Get("webhook-timestamp"), r.body, r.header.Get("webhook-signature")) {
				t.Errorf("signature does not verify: %v", r.header)
			}
			var arr []map[string]any
			if err := json.Unmarshal(r.body, &arr); err != nil {
				t.Fatal(err)
			}
			all = append(all, arr...)
		}
		sort.Slice(all, func(i, j int) bool { return all[i]["n"].(float64) < all[j]["n"].(float64) })
		want := `{"contact":{"email":"p1@example.com","name":{"first":"First1","last":"Last1"}},"n":1}`
		if b, _ := json.Marshal(all[0]); string(b) != want {
			t.Fatalf("first record %s, want %s", b, want)
		}
		// The console shows the secret only masked.
		var view json.RawMessage
		srv.api("GET", "/api/admin/relay/destinations/crm", nil, &view)
		ds := srv.deliveries("destination=crm")
		all2, _ := json.Marshal(ds)
		if strings.Contains(string(view)+string(all2), "crm-key-123456") {
			t.Fatal("the console API shows the secret")
		}
		if !strings.Contains(string(view), `{"name":"RELAY_TEST_CRM_KEY","set":true,"declared":true}`) {
			t.Fatalf("destination view %s", view)
		}
	})

	t.Run("invalid session tokens are discarded", func(t *testing.T) {
		token := func() (id, tok string) {
			out := cli(t, nil, "sessions", "create", "--data-dir", dir, "--importer", "people", "--metadata", `{"user_id":"u-77"}`)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			f := strings.Fields(lines[0])
			return f[2], lines[len(lines)-1]
		}
		_, good := token()
		revokedID, revoked := token()
		cli(t, nil, "sessions", "revoke", "--data-dir", dir, revokedID)
		body := fmt.Sprintf(`[{"k":"good","session_token":%q},{"k":"revoked","session_token":%q},{"k":"forged","session_token":%q},{"k":"none"}]`,
			good, revoked, good[:len(good)-4]+"AAAA")
		code, resp := srv.post("/relay/guarded", nil, body)
		if code != http.StatusAccepted || !strings.Contains(resp, `"accepted":1`) || !strings.Contains(resp, `"discarded":3`) {
			t.Fatalf("POST /relay/guarded: %d %s", code, resp)
		}
		// 3 records of the first import (no token field: discarded) + these 4.
		srv.settled("guarded", 7)
		var got []string
		for _, r := range rc.requests() {
			if r.uri == "/guarded" {
				got = append(got, string(r.body))
			}
		}
		if len(got) != 1 || got[0] != `{"k":"good","user":"u-77"}` {
			t.Fatalf("receiver got %v", got)
		}
		reasons := map[string]string{}
		for _, d := range srv.deliveries("destination=guarded&status=discarded") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(d.Request.Body), &rec); err != nil {
				t.Fatal(err)
			}
			if _, ok := rec["session_token"]; ok {
				t.Errorf("the discarded record keeps its token: %s", d.Request.Body)
			}
			if k, ok := rec["k"].(string); ok {
				reasons[k] = d.Reason
			} else if !strings.Contains(d.Reason, `no session token in field "session_token"`) {
				t.Errorf("imported record discarded for %q", d.Reason)
			}
		}
		for k, want := range map[string]string{"revoked": "revoked", "forged": "signature", "none": "no session token"} {
			if !strings.Contains(reasons[k], want) {
				t.Errorf("%s discarded for %q, want %q", k, reasons[k], want)
			}
		}
	})
}

// The inbound relay is never an open proxy: an outbound URL off the
// allowlist is refused; one on it gets the records, with the seed's
// x-Osmos-Query-Param-Fields applied.
func TestInboundRelayRefusesURLsOffTheAllowlist(t *testing.T) {
	rc := newReceiver(t, nil)
	dir := t.TempDir()
	applyWorkspace(t, dir, `version: 1
destinations:
  - id: proxy
    url: `+rc.url+`/default
    inbound:
      route: osmos
      allowed_urls: [`+rc.url+`/api/]
      private_hosts: [127.0.0.1]   # the test receiver is on loopback
`)
	srv := startServer(t, dir, nil)
	for _, bad := range []string{"http://example.com/api/x", rc.url + "/admin", rc.url + "/api/../admin", rc.url + ".evil.test/api/"} {
		code, body := srv.post("/relay/osmos", map[string]string{"x-Osmos-Outbound-Url": bad}, `{"a":1}`)
		if code != http.StatusForbidden && code != http.StatusUnprocessableEntity {
			t.Errorf("outbound %s: HTTP %d %s; want 403", bad, code, body)
		}
		if !strings.Contains(body, `"error"`) {
			t.Errorf("outbound %s: body %s", bad, body)
		}
	}
	code, body := srv.post("/relay/osmos", map[string]string{"x-Osmos-Outbound-Url": rc.url + "/api/post", "x-Osmos-Query-Param-Fields": "queryparam1,queryparam2"},
		`{"queryparam1":"dqp1","queryparam2":"dqp2","name":"x"}`)
	if code != http.StatusAccepted {
		t.Fatalf("allowed outbound: %d %s", code, body)
	}
	srv.settled("proxy", 1)
	got := rc.requests()
	if len(got) != 1 || got[0].uri != "/api/post?queryparam1=dqp1&queryparam2=dqp2" || string(got[0].body) != `{"name":"x"}` {
		t.Fatalf("receiver got %+v", got)
	}
	if code, _ := srv.post("/relay/nope", nil, `{}`); code != http.StatusNotFound {
		t.Fatalf("unknown route: %d", code)
	}
}
