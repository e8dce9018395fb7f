package httpapi

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"fusebox/backend/schema"
)

// An importer that keeps unmapped columns: the imports API, the NDJSON
// export and the CSV export carry them (under "custom", "custom.<header>").
func TestRecordsKeepUnmappedColumns(t *testing.T) {
	e := newSessEnv(t)
	def := &schema.Importer{Slug: "keepers", Name: "Keepers", Settings: schema.Settings{UnmappedColumns: "keep"}, Columns: []schema.Column{
		{Key: "name", Label: "Name", Required: true},
		{Key: "email", Label: "Email", Type: schema.TypeEmail},
	}}
	if _, err := e.imp.SaveImporter(context.Background(), def); err != nil {
		t.Fatal(err)
	}
	tok := e.createSession("keepers", `{"user_id":"u1"}`).Token
	slug := e.importAs(tok, "Name,Email,Notes,Region\nAda,ada@example.com,met at the fair,EU\nAlan,alan@example.com,,UK\n")

	recs := e.do(sessReq{"GET", "/api/v1/imports/" + slug + "/records", bearerH(e.secret), ""})
	if recs.status != 200 || !strings.Contains(recs.body, `"custom":{"Notes":"met at the fair","Region":"EU"}`) {
		t.Fatalf("records: %d %s", recs.status, recs.body)
	}
	nd := e.do(sessReq{"GET", "/api/v1/imports/" + slug + "/records.ndjson", bearerH(e.secret), ""})
	if nd.status != 200 || !strings.Contains(nd.body, `"custom":{"Notes":"","Region":"UK"}`) {
		t.Fatalf("ndjson: %d %s", nd.status, nd.body)
	}
	cv := e.do(sessReq{"GET", "/api/v1/imports/" + slug + "/records.csv", bearerH(e.secret), ""})
	rows, err := csv.NewReader(strings.NewReader(cv.body)).ReadAll()
	if err != nil || cv.status != 200 {
		t.Fatalf("csv: %d %v %s", cv.status, err, cv.body)
	}
	if got := strings.Join(rows[0], ","); got != "name,email,custom.Notes,custom.Region" {
		t.Errorf("csv header %q", got)
	}
	if got := strings.Join(rows[1], ","); got != "Ada,ada@example.com,met at the fair,EU" {
		t.Errorf("csv row %q", got)
	}
}
