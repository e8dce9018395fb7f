package httpapi_test

import (
	"context"
	"encoding/json"
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
	"fusebox/backend/store"
)

// The console's deliveries list narrows to a range of UTC days of
// creation, as the dashboard's delivery tiles count them, with the same
// from/to as the imports and installs lists.
func TestRelayDeliveriesFilterByDays(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	rs := relay.New(db, relay.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	s := httpapi.New(httpapi.Config{Version: "v-test", Assets: fstest.MapFS{}, AdminToken: adminToken}, httpapi.Deps{DB: db, Relay: rs, Sink: sink.New(0, 0)})
	do := func(method, url, body string) (int, string) {
		t.Helper()
		req := httptest.NewRequest(method, "http://127.0.0.1"+url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.PortHandler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if st, body := do("POST", "/api/admin/relay/destinations", `{"id":"crm","url":"https://crm.example.com/v1","inbound":{"route":"crm"}}`); st != 201 {
		t.Fatalf("create destination: %d %s", st, body)
	}
	if st, body := do("POST", "/relay/crm", `[{"a":1},{"a":2},{"a":3}]`); st != 202 {
		t.Fatalf("inbound: %d %s", st, body)
	}
	// One delivery was made two days ago.
	if _, err := db.Write.ExecContext(ctx, `UPDATE relay_deliveries SET created_at = ? WHERE id = (SELECT min(id) FROM relay_deliveries)`,
		store.FormatTime(time.Now().UTC().AddDate(0, 0, -2))); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	twoAgo := time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	for q, want := range map[string]int{
		"":                                       3,
		"from=" + today + "&to=" + today:         2,
		"from=" + twoAgo + "&to=" + twoAgo:       1,
		"from=" + yesterday + "&to=" + yesterday: 0,
		"from=" + twoAgo:                         3,
		"to=" + yesterday:                        1,
		"destination=crm&from=" + today:          2,
	} {
		st, body := do("GET", "/api/admin/relay/deliveries?"+q, "")
		var got struct{ Deliveries []any }
		if st != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("%q: %d %s", q, st, body)
		}
		if len(got.Deliveries) != want {
			t.Errorf("%q: %d deliveries, want %d", q, len(got.Deliveries), want)
		}
		if st, body := do("GET", "/api/admin/relay/deliveries.csv?"+q, ""); st != 200 || strings.Count(body, "\n") != want+1 {
			t.Errorf("CSV %q: %d, %d lines, want %d: %s", q, st, strings.Count(body, "\n"), want+1, body)
		}
	}
	for q, want := range map[string]string{
		"from=today":    `from must be a day written YYYY-MM-DD (UTC), not \"today\"`,
		"to=2026-13-01": `to must be a day written YYYY-MM-DD (UTC), not \"2026-13-01\"`,
	} {
		st, body := do("GET", "/api/admin/relay/deliveries?"+q, "")
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, want) {
			t.Errorf("%q: %d %s, want 422 with %q", q, st, body, want)
		}
	}
}
