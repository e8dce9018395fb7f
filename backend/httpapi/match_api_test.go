package httpapi

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// An importer with match_on: the records API, the NDJSON export and the
// CSV export carry each record's operation.
func TestImportsAPICarryOperation(t *testing.T) {
	e := newSessEnv(t)
	ctx := context.Background()
	def, err := e.imp.GetImporter(ctx, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	def.MatchOn = []string{"email"}
	if _, err := e.imp.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	u := e.createSession("contacts", `{"user_id":"1"}`)
	e.importAs(u.Token, contactsCSV)
	edited := strings.Replace(contactsCSV, "alan@example.com,41", "alan@example.com,42", 1)
	slug := e.importAs(u.Token, edited)

	var page importsPage
	if r := e.getJSON("/api/v1/imports/"+slug+"/records", &page); r.status != 200 {
		t.Fatalf("records: %d %s", r.status, r.body)
	}
	var ops []string
	for _, d := range page.Data {
		ops = append(ops, d["operation"].(string))
	}
	want := []string{"unchanged", "update", "unchanged"}
	if !reflect.DeepEqual(ops, want) {
		t.Fatalf("records API operations %v, want %v", ops, want)
	}
	nd := e.do(sessReq{"GET", "/api/v1/imports/" + slug + "/records.ndjson", bearerH(e.secret), ""})
	sc := bufio.NewScanner(strings.NewReader(nd.body))
	ops = nil
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		ops = append(ops, m["operation"].(string))
	}
	if !reflect.DeepEqual(ops, want) {
		t.Fatalf("ndjson operations %v, want %v", ops, want)
	}
	cv := e.do(sessReq{"GET", "/api/v1/imports/" + slug + "/records.csv", bearerH(e.secret), ""})
	rows, err := csv.NewReader(strings.NewReader(cv.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][len(rows[0])-1] != "operation" || rows[2][len(rows[2])-1] != "update" || rows[1][len(rows[1])-1] != "unchanged" {
		t.Fatalf("csv = %q", rows)
	}
}
