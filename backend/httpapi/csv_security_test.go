package httpapi

import (
	"context"
	"encoding/csv"
	"fusebox/backend/store/storetest"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"fusebox/backend/relay"
)

// TestSecurityCSVExportsNeutralizeFormulas: records.csv and the relay
// deliveries CSV write cells that a spreadsheet would run as formulas
// with a leading single quote, and leave plain negative numbers alone.
func TestSecurityCSVExportsNeutralizeFormulas(t *testing.T) {
	t.Run("records.csv", func(t *testing.T) {
		e := newSessEnv(t)
		tok := e.createSession("contacts", `{"user_id":"u1"}`).Token
		slug := e.importAs(tok, "Name,Email,Age,Score\n"+
			"\"=cmd|' /C calc'!A0\",a@example.com,1,-12.5\n"+
			"@SUM(1+1),b@example.com,-2,\n"+
			"+1+1,c@example.com,3,\n"+
			"-1+1,d@example.com,4,\n"+
			"-42,e@example.com,5,\n")
		cv := e.do(sessReq{"GET", "/api/v1/imports/" + slug + "/records.csv", bearerH(e.secret), ""})
		if cv.status != 200 {
			t.Fatalf("records.csv: %d %s", cv.status, cv.body)
		}
		rows, err := csv.NewReader(strings.NewReader(cv.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rows[1:] {
			got[r[1]] = r[0] + "|" + r[2] + "|" + r[3]
		}
		for email, want := range map[string]string{
			"a@example.com": "'=cmd|' /C calc'!A0|1|-12.5",
			"b@example.com": "'@SUM(1+1)|-2|",
			"c@example.com": "'+1+1|3|",
			"d@example.com": "'-1+1|4|",
			"e@example.com": "-42|5|",
		} {
			if got[email] != want {
				t.Errorf("row %s = %q, want %q", email, got[email], want)
			}
		}
	})

	t.Run("deliveries.csv", func(t *testing.T) {
		ctx := context.Background()
		db := storetest.Open(t)
		rs := relay.New(db, relay.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		srv := New(Config{Version: "test", Assets: fstest.MapFS{}, AdminToken: sessAdminToken}, Deps{DB: db, Relay: rs})
		do := func(method, path, body string) (int, string) {
			var rd io.Reader
			if body != "" {
				rd = strings.NewReader(body)
			}
			r := httptest.NewRequest(method, path, rd)
			r.Host = "127.0.0.1:8787"
			r.Header.Set("Authorization", "Bearer "+sessAdminToken)
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			srv.PortHandler().ServeHTTP(w, r)
			return w.Code, w.Body.String()
		}
		if st, b := do("POST", "/api/admin/relay/destinations", `{"id":"crm","url":"https://crm.example.com/v1","inbound":{"route":"crm","allowed_urls":["https://api.example.com/v2/"]}}`); st != 201 {
			t.Fatalf("create destination: %d %s", st, b)
		}
		if _, err := rs.EnqueueRecords(ctx, "crm", [][]byte{[]byte(`{"a":1}`)}, relay.EnqueueOptions{}); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		if _, err := db.Write.ExecContext(ctx, `UPDATE relay_deliveries SET reason = ?, import_slug = ?, source = ?`,
			"=HYPERLINK(\"http://evil.example\")", "+1+1", "@SUM(1)"); err != nil {
			t.Fatal(err)
		}
		st, body := do("GET", "/api/admin/relay/deliveries.csv?destination=crm", "")
		if st != 200 {
			t.Fatalf("deliveries.csv: %d %s", st, body)
		}
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("deliveries.csv rows %q: %v", rows, err)
		}
		row := map[string]string{}
		for i, h := range rows[0] {
			row[h] = rows[1][i]
		}
		for k, want := range map[string]string{
			"reason": "'=HYPERLINK(\"http://evil.example\")", "import": "'+1+1", "source": "'@SUM(1)", "records": "1",
		} {
			if row[k] != want {
				t.Errorf("%s = %q, want %q", k, row[k], want)
			}
		}
	})
}
