package httpapi_test

import (
	"context"
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
)

// TestSecurityInboundOutboundURLLenientDotSegmentsRefused: a sender's
// outbound URL that a lenient receiver would read as leaving the allowed
// path (Tomcat/Spring cut a segment at ";", some servers drop whitespace
// and control characters, decode overlong UTF-8 or fold fullwidth dots) is
// refused; plain paths, %20 and printable escapes still pass.
func TestSecurityInboundOutboundURLLenientDotSegmentsRefused(t *testing.T) {
	db := storetest.Open(t)
	rs := relay.New(db, relay.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := httpapi.New(httpapi.Config{Version: "v-test", Assets: fstest.MapFS{}, AdminToken: adminToken}, httpapi.Deps{DB: db, Relay: rs}).PortHandler()
	if _, err := rs.CreateDestination(context.Background(), relay.Destination{ID: "r2", URL: "https://crm.example.com/v1",
		Inbound: &relay.Inbound{Route: "r2", AllowedURLs: []string{"http://127.0.0.1:18556/allowed/"}}}); err != nil {
		t.Fatal(err)
	}
	post := func(outbound string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/relay/r2", strings.NewReader(`{"a":1}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header["X-Osmos-Outbound-Url"] = []string{outbound}
		return serve(h, r)
	}
	const base = "http://127.0.0.1:18556/allowed/"
	for _, bad := range []string{
		base + "..;/admin",
		base + "..;jsessionid=1/admin",
		base + ".;/x",
		base + "%c0%ae%c0%ae/x",
		base + "%C0%AE%C0%AE/x",
		base + "%EF%BC%8E%EF%BC%8E/x",
		base + "．．/x",
		base + ".%00./x",
		base + "..%09/x",
		base + "..%3b/x",
		base + "..%3B/admin",
		base + ".. /x",
		base + "..%20/x",
		base + "%20../x",
		base + "x/%e2%80%a4%e2%80%a4/x",
		base + "a%00b",
		base + "a%7fb",
		base + "%252e%252e;/admin",
		base + "..%253b/admin",
	} {
		w := post(bad)
		if w.Code == http.StatusAccepted || (w.Code != http.StatusForbidden && w.Code != http.StatusUnprocessableEntity) {
			t.Errorf("%q: %d %s; want 403 or 422", bad, w.Code, w.Body)
		}
	}
	for _, ok := range []string{
		base + "contacts",
		base + "contacts%20list",
		base + "a;b=c/x",
		base + "v1.2/x..y/...",
		base + "%41%7e",
	} {
		if w := post(ok); w.Code != http.StatusAccepted {
			t.Errorf("%q: %d %s; want 202", ok, w.Code, w.Body)
		}
	}
}
