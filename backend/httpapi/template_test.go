package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// The upload step's template download: the session's importer as a CSV or
// XLSX file, with the session token; refused without one.
func TestImporterTemplate(t *testing.T) {
	e := newSessEnv(t)
	tok := e.createSession("contacts", "").Token
	csv := e.do(sessReq{"GET", "/api/importer/importer/template?format=csv", bearerH(tok), ""})
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %q %s", csv.status, csv.header.Get("Content-Type"), csv.body)
	}
	if first := strings.SplitN(csv.body, "\n", 2)[0]; !strings.Contains(first, "Email") {
		t.Errorf("csv header row %q", first)
	}
	if cd := csv.header.Get("Content-Disposition"); cd != `attachment; filename="contacts-template.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	x := e.do(sessReq{"GET", "/api/importer/importer/template?format=xlsx", bearerH(tok), ""})
	if x.status != http.StatusOK || !strings.HasPrefix(x.body, "PK") || !strings.Contains(x.header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("xlsx: %d %q", x.status, x.header.Get("Content-Type"))
	}
	bad := e.do(sessReq{"GET", "/api/importer/importer/template?format=pdf", bearerH(tok), ""})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "use csv or xlsx") {
		t.Errorf("pdf: %d %s", bad.status, bad.body)
	}
	if r := e.do(sessReq{"GET", "/api/importer/importer/template?format=csv", nil, ""}); r.status != http.StatusUnauthorized {
		t.Errorf("no token: %d", r.status)
	}
}
