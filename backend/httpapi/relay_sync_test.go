package httpapi_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The seed's relay sample server answers the sender with the downstream
// status; a route in sync mode does the same, with the sample's own header
// names (Outbound-Url, Query-Param-Fields), secrets masked in the body.
func TestRelayInboundSyncMode(t *testing.T) {
	var mu sync.Mutex
	var gotAuth, gotQuery, gotBody string
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		gotAuth, gotQuery, gotBody = r.Header.Get("Authorization"), r.URL.RawQuery, string(b)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "no tea for key crm-secret-value")
	}))
	defer rc.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/v1"
	ln.Close()

	s := newRelayServer(t)
	admin := map[string]string{"Authorization": "Bearer " + adminToken, "Content-Type": "application/json"}
	dest := `{"id":"tea","url":"` + rc.URL + `/v1","headers":{"Authorization":"Bearer {{ secret \"CRM_KEY\" }}"},
		"inbound":{"route":"tea","mode":"sync","private_hosts":["127.0.0.1"]}}`
	seed := map[string]string{"Content-Type": "application/json", "Outbound-Url": rc.URL + "/v1/cups", "Query-Param-Fields": "queryparam1,queryparam2"}
	for _, sc := range []scenario{
		{name: "unknown mode", method: "POST", url: "/api/admin/relay/destinations", headers: admin,
			body: `{"id":"bad","url":"/x","inbound":{"route":"bad","mode":"fast"}}`, wantStatus: 422, wantContain: []string{"inbound.mode", "durable", "sync"}},
		{name: "create", method: "POST", url: "/api/admin/relay/destinations", headers: admin, body: dest, wantStatus: 201, wantContain: []string{`"mode":"sync"`}},
		{name: "exported back", method: "GET", url: "/api/admin/relay/destinations/tea", headers: admin, wantStatus: 200, wantContain: []string{`"mode":"sync"`}},
		{name: "seed sample request gets the downstream status", method: "POST", url: "/relay/tea", headers: seed,
			body: `{"queryparam1":"dqp1","queryparam2":"dqp2","name":"Ann"}`, wantStatus: 418,
			wantContain: []string{"no tea for key «secret»"}, wantAbsent: []string{"crm-secret-value"}},
		{name: "one record per request", method: "POST", url: "/relay/tea", headers: seed, body: `[{"a":1},{"a":2}]`, wantStatus: 422, wantContain: []string{"one record"}},
		{name: "off the allowlist by the seed header", method: "POST", url: "/relay/tea",
			headers: map[string]string{"Content-Type": "application/json", "Outbound-Url": "https://evil.example.com/v1"}, body: `{"a":1}`, wantStatus: 403},
		{name: "recorded for the console", method: "GET", url: "/api/admin/relay/deliveries?destination=tea", headers: admin, wantStatus: 200,
			wantContain: []string{`"status":"failed"`, `"source":"inbound"`}, wantAbsent: []string{"crm-secret-value"}},
		{name: "downstream down", method: "PUT", url: "/api/admin/relay/destinations/tea", headers: admin,
			body: `{"url":"` + closed + `","inbound":{"route":"tea","mode":"sync"}}`, wantStatus: 200},
		{name: "network error is 502", method: "POST", url: "/relay/tea", headers: map[string]string{"Content-Type": "application/json"},
			body: `{"a":1}`, wantStatus: 502, wantContain: []string{`"error"`, "could not reach the destination"}},
	} {
		res := sc.run(t, s)
		if sc.wantStatus == 418 {
			if ct := res.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("content type %q, want the receiver's", ct)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if gotAuth != "Bearer crm-secret-value" || gotQuery != "queryparam1=dqp1&queryparam2=dqp2" || !strings.Contains(gotBody, `"name":"Ann"`) {
		t.Errorf("receiver got auth %q query %q body %s", gotAuth, gotQuery, gotBody)
	}
}

// The durable route honours the seed sample's unprefixed headers too.
func TestRelayInboundSeedHeaderAliases(t *testing.T) {
	s := newRelayServer(t)
	admin := map[string]string{"Authorization": "Bearer " + adminToken, "Content-Type": "application/json"}
	for _, sc := range []scenario{
		{name: "create", method: "POST", url: "/api/admin/relay/destinations", headers: admin,
			body: `{"id":"crm","url":"https://crm.example.com/v1","inbound":{"route":"crm","allowed_urls":["https://api.example.com/v2/"]}}`, wantStatus: 201},
		{name: "off the allowlist", method: "POST", url: "/relay/crm", headers: map[string]string{"Content-Type": "application/json", "Outbound-Url": "https://evil.example.com/v2/x"},
			body: `{"a":1}`, wantStatus: 403, wantContain: []string{"not on the allowlist"}},
		{name: "on the allowlist", method: "POST", url: "/relay/crm", headers: map[string]string{"Content-Type": "application/json", "Outbound-Url": "https://api.example.com/v2/c", "Query-Param-Fields": "qp"},
			body: `{"qp":"7","a":1}`, wantStatus: 202, wantContain: []string{`"accepted":1`}},
		{name: "delivery", method: "GET", url: "/api/admin/relay/deliveries/1", headers: admin, wantStatus: 200, wantContain: []string{`https://api.example.com/v2/c?qp=7`}},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, s) })
	}
}

// A sync route never goes over its destination's limits: while the
// receiver's 429 pause lasts, the route answers 429 itself with a
// Retry-After, without sending.
func TestRelayInboundSyncRefusedWhilePaused(t *testing.T) {
	var mu sync.Mutex
	got := 0
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got++
		mu.Unlock()
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer rc.Close()
	s := newRelayServer(t)
	admin := map[string]string{"Authorization": "Bearer " + adminToken, "Content-Type": "application/json"}
	json := map[string]string{"Content-Type": "application/json"}
	(scenario{name: "create", method: "POST", url: "/api/admin/relay/destinations", headers: admin,
		body: `{"id":"busy","url":"` + rc.URL + `","inbound":{"route":"busy","mode":"sync"}}`, wantStatus: 201}).run(t, s)
	(scenario{name: "the receiver's 429 is passed on", method: "POST", url: "/relay/busy", headers: json, body: `{"a":1}`, wantStatus: 429}).run(t, s)
	res := (scenario{name: "refused while paused", method: "POST", url: "/relay/busy", headers: json, body: `{"a":2}`, wantStatus: 429,
		wantContain: []string{`"ERATELIMIT"`, "destination busy", "paused"}}).run(t, s)
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 60 || ra > 120 {
		t.Errorf("Retry-After %q; want the seconds left of the receiver's 120", res.Header.Get("Retry-After"))
	}
	mu.Lock()
	defer mu.Unlock()
	if got != 1 {
		t.Errorf("the receiver got %d requests; want 1", got)
	}
}
