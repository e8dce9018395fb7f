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

	"fusebox/backend/httpapi"
	"fusebox/backend/relay"
	"fusebox/backend/sink"
)

// newRelaySecurityServer is the real handler with a relay over a real
// database file.
func newRelaySecurityServer(t *testing.T) (http.Handler, *relay.Service, *sink.Sink) {
	t.Helper()
	db := storetest.Open(t)
	secrets := map[string]string{"CRM_KEY": "crm-secret-value"}
	rs := relay.New(db, relay.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Secrets: func(n string) (string, bool) { v, ok := secrets[n]; return v, ok }})
	sk := sink.New(0, 0)
	s := httpapi.New(httpapi.Config{Version: "v-test", Assets: fstest.MapFS{}, AdminToken: adminToken}, httpapi.Deps{DB: db, Relay: rs, Sink: sk})
	return s.PortHandler(), rs, sk
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	r.Host = "127.0.0.1:8787"
	if r.RemoteAddr == "" || r.RemoteAddr == "192.0.2.1:1234" {
		r.RemoteAddr = "127.0.0.1:50000"
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestSecuritySinkMemoryIsBounded posts 2000 requests with 900 KB of
// headers, a long URL and a large body to one sink, then requests to more
// sinks than kept: what the sink stores stays under its byte budget,
// each request's URL, headers and body are capped with a marker, and a
// new sink name beyond the limit forgets the least recently used sink.
func TestSecuritySinkMemoryIsBounded(t *testing.T) {
	h, _, sk := newRelaySecurityServer(t)
	big := strings.Repeat("x", 900<<10)
	body := strings.Repeat("b", 1<<20)
	longPath := "/sink/flood?q=" + strings.Repeat("u", 64<<10)
	for i := range 2000 {
		r := httptest.NewRequest("POST", longPath, strings.NewReader(body))
		r.Header.Set("X-Big", big)
		// Many clients, so that the per-client rate limit does not stop
		// the flood before the sink's own caps are reached.
		r.RemoteAddr = fmt.Sprintf("198.51.%d.%d:40000", i/250, i%250)
		if w := serve(h, r); w.Code != 200 {
			t.Fatalf("post %d: %d %s", i, w.Code, w.Body)
		}
	}
	if got, limit := sk.StoredBytes(), int64(sink.DefaultLimits().TotalBytes); got > limit {
		t.Fatalf("the sink stores %d bytes after 2000 large posts; the budget is %d", got, limit)
	}
	reqs, sum, _ := sk.Requests(context.Background(), "flood", 0, 1)
	if sum.Total != 2000 || len(reqs) != 1 {
		t.Fatalf("summary %+v", sum)
	}
	r := reqs[0]
	lim := sink.DefaultLimits()
	if len(r.URL) > lim.URLBytes+64 || !r.URLTruncated || len(r.Body) > lim.BodyBytes || !r.Truncated || !r.HeadersTruncated {
		t.Fatalf("stored request not capped: url %d bytes (truncated %v), body %d (truncated %v), headers truncated %v", len(r.URL), r.URLTruncated, len(r.Body), r.Truncated, r.HeadersTruncated)
	}
	var hb int
	for _, kv := range r.Headers {
		hb += len(kv[0]) + len(kv[1])
	}
	if hb > lim.HeaderBytes+256 {
		t.Fatalf("stored headers are %d bytes; the cap is %d", hb, lim.HeaderBytes)
	}
	// More sinks than kept: every name is recorded, the least recently
	// used sinks are forgotten, the count stays at the limit.
	for i := range lim.Sinks + 5 {
		r := httptest.NewRequest("POST", fmt.Sprintf("/sink/s%d", i), strings.NewReader("{}"))
		r.RemoteAddr = fmt.Sprintf("203.0.113.%d:40000", i%250)
		if w := serve(h, r); w.Code != 200 {
			t.Fatalf("sink %d: %d %s", i, w.Code, w.Body)
		}
	}
	if list, _ := sk.List(context.Background()); len(list) > lim.Sinks {
		t.Fatalf("%d sinks kept; the limit is %d", len(list), lim.Sinks)
	}
	if _, sum, _ := sk.Requests(context.Background(), "flood", 0, 1); sum.Total != 0 {
		t.Fatalf("the least recently used sink was not forgotten: %+v", sum)
	}
	if reqs, _, _ := sk.Requests(context.Background(), fmt.Sprintf("s%d", lim.Sinks+4), 0, 0); len(reqs) != 1 {
		t.Fatalf("the newest sink kept %d requests", len(reqs))
	}
}

// TestSecurityInboundRelayRefusesCrossSiteAndNonJSON: POST /relay/{route}
// on a route without a secret takes JSON only, and refuses requests a
// browser sends from another site (Origin, Sec-Fetch-Site) unless the
// route allows that origin; an allowed origin gets CORS answers.
func TestSecurityInboundRelayRefusesCrossSiteAndNonJSON(t *testing.T) {
	h, rs, _ := newRelaySecurityServer(t)
	ctx := context.Background()
	if _, err := rs.CreateDestination(ctx, relay.Destination{ID: "open", URL: "/sink/open",
		Inbound: &relay.Inbound{Route: "open"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.CreateDestination(ctx, relay.Destination{ID: "web", URL: "/sink/web",
		Inbound: &relay.Inbound{Route: "web", AllowBrowserOrigins: []string{"https://app.example"}}}); err != nil {
		t.Fatal(err)
	}
	post := func(route, ctype string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/relay/"+route, strings.NewReader(`{"email":"a@example.com"}`))
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		return serve(h, r)
	}
	for _, c := range []struct {
		name, route, ctype string
		hdr                map[string]string
		want               int
		msg                string
	}{
		{"text/plain from another site", "open", "text/plain", map[string]string{"Origin": "https://evil.example"}, 0, ""},
		{"text/plain", "open", "text/plain", nil, 422, "application/json"},
		{"form", "open", "application/x-www-form-urlencoded", nil, 422, "application/json"},
		{"no content type", "open", "", nil, 422, "application/json"},
		{"JSON from another site", "open", "application/json", map[string]string{"Origin": "https://evil.example"}, 403, "https://evil.example"},
		{"cross-site fetch metadata", "open", "application/json", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "allow_browser_origins"},
		{"same-site fetch metadata", "open", "application/json", map[string]string{"Sec-Fetch-Site": "same-site"}, 403, "allow_browser_origins"},
		{"null origin", "open", "application/json", map[string]string{"Origin": "null"}, 403, "allow_browser_origins"},
		{"server to server", "open", "application/json; charset=utf-8", nil, 202, ""},
		{"same-origin page", "open", "application/json", map[string]string{"Sec-Fetch-Site": "same-origin"}, 202, ""},
		{"allowed origin", "web", "application/json", map[string]string{"Origin": "https://app.example", "Sec-Fetch-Site": "cross-site"}, 202, ""},
		{"other origin on a browser route", "web", "application/json", map[string]string{"Origin": "https://evil.example"}, 403, "https://evil.example"},
	} {
		w := post(c.route, c.ctype, c.hdr)
		if c.want == 0 {
			if w.Code < 400 {
				t.Errorf("%s: %d %s; want a refusal", c.name, w.Code, w.Body)
			}
			continue
		}
		if w.Code != c.want || !strings.Contains(w.Body.String(), c.msg) {
			t.Errorf("%s: %d %s; want %d mentioning %q", c.name, w.Code, w.Body, c.want, c.msg)
		}
		if c.name == "allowed origin" && w.Header().Get("Access-Control-Allow-Origin") != "https://app.example" {
			t.Errorf("allowed origin: no CORS header: %v", w.Header())
		}
	}
	// Preflight: the allowed origin gets its answer, another does not.
	pre := func(origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("OPTIONS", "/relay/web", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", "content-type")
		return serve(h, r)
	}
	if w := pre("https://app.example"); w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(strings.ToLower(w.Header().Get("Access-Control-Allow-Headers")), "content-type") {
		t.Fatalf("preflight from the allowed origin: %d %v", w.Code, w.Header())
	}
	if w := pre("https://evil.example"); w.Code != 403 || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", w.Code, w.Header())
	}
	if n := len(mustStats(t, rs, "open")); n != 2 {
		t.Fatalf("open route queued %d deliveries, want 2 (server to server, same-origin page)", n)
	}
}

func mustStats(t *testing.T, rs *relay.Service, dest string) []relay.Delivery {
	t.Helper()
	ds, err := rs.ListDeliveries(context.Background(), relay.DeliveryFilter{Destination: dest})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestSecuritySinkMasksCredentialHeaders: a marketplace http_request step
// sends "Authorization: Bearer <the end user's api_key>" to this server's
// /sink/crm-auth (as the demo listing does); the admin sink API must not
// show the key in clear, whichever way it arrived.
func TestSecuritySinkMasksCredentialHeaders(t *testing.T) {
	h, rs, _ := newRelaySecurityServer(t)
	const key = "sk-live-enduser-7Qw9zX"
	r := httptest.NewRequest("GET", "/sink/crm-auth", nil)
	r.Header.Set("Authorization", "Bearer "+key)
	r.Header.Set("Proxy-Authorization", "Basic "+key)
	r.Header.Set("User-Agent", "Fusebox-Marketplace/1")
	if w := serve(h, r); w.Code != 200 {
		t.Fatalf("sink: %d %s", w.Code, w.Body)
	}
	// The marketplace tells the relay the secret values it sends, so they
	// are masked by name wherever they appear (here: the query).
	rs.RememberSentSecret("sk-live-other-1234", "api_key")
	r = httptest.NewRequest("POST", "/sink/crm-auth?key=sk-live-other-1234", strings.NewReader(`{"k":"sk-live-other-1234"}`))
	if w := serve(h, r); w.Code != 200 {
		t.Fatalf("sink: %d %s", w.Code, w.Body)
	}
	ar := httptest.NewRequest("GET", "/api/admin/relay/sinks/crm-auth", nil)
	ar.Header.Set("Authorization", "Bearer "+adminToken)
	w := serve(h, ar)
	got := w.Body.String()
	if w.Code != 200 || strings.Contains(got, key) || strings.Contains(got, "sk-live-other-1234") {
		t.Fatalf("the admin sink API shows an end user's credential: %d %s", w.Code, got)
	}
	if !strings.Contains(got, `"Bearer «credential»"`) || !strings.Contains(got, "«install secret api_key»") {
		t.Fatalf("masks missing: %s", got)
	}
}

// TestSecurityInboundOutboundURLDoubleEncodingRefused: an outbound URL
// whose path hides dot segments or slashes under more than one layer of
// percent-encoding is normalized before the allowlist check and refused.
func TestSecurityInboundOutboundURLDoubleEncodingRefused(t *testing.T) {
	h, rs, _ := newRelaySecurityServer(t)
	if _, err := rs.CreateDestination(context.Background(), relay.Destination{ID: "crm", URL: "https://crm.example.com/v1",
		Inbound: &relay.Inbound{Route: "crm", AllowedURLs: []string{"https://api.example.com/v2/"}}}); err != nil {
		t.Fatal(err)
	}
	post := func(outbound string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/relay/crm", strings.NewReader(`{"a":1}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("x-Osmos-Outbound-Url", outbound)
		return serve(h, r)
	}
	for _, bad := range []string{
		"https://api.example.com/v2/%252e%252e/admin",
		"https://api.example.com/v2/%252E%252E/%252E%252E/admin",
		"https://api.example.com/v2/%25252e%25252e/admin",
		"https://api.example.com/v2/x%252f..%252fadmin",
		"https://api.example.com/v2/%255c..%255cadmin",
	} {
		if w := post(bad); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "EFORBIDDEN") {
			t.Errorf("%s: %d %s; want 403", bad, w.Code, w.Body)
		}
	}
	if w := post("https://api.example.com/v2/contacts%2520list"); w.Code != http.StatusAccepted {
		t.Fatalf("an encoded space is fine: %d %s", w.Code, w.Body)
	}
}
