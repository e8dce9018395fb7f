package httpapi_test

import (
	"context"
	"encoding/json"
	"fusebox/backend/store/storetest"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"fusebox/backend/httpapi"
	"fusebox/backend/importer"
	"fusebox/backend/workspace"
)

func newWorkspaceServer(t *testing.T) (http.Handler, *importer.Service) {
	t.Helper()
	dir := t.TempDir()
	db := storetest.OpenIn(t, dir)
	svc := importer.New(db, dir, nil)
	deps := httpapi.Deps{DB: db, Importer: svc, Workspace: workspace.New(db, svc.Section())}
	srv := httpapi.New(httpapi.Config{Version: "v-test", Assets: fstest.MapFS{"index.html": {Data: []byte("x")}}, AdminToken: adminToken}, deps)
	return srv.PortHandler(), svc
}

func wsCall(t *testing.T, h http.Handler, method, target, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Host = "127.0.0.1:8787"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "text/yaml")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const wsGood = `version: 1
importers:
  - slug: people
    name: People
    columns:
      - key: email
        label: Email
        type: email
        required: true
`

func TestWorkspaceEndpointsNeedAdmin(t *testing.T) {
	h, svc := newWorkspaceServer(t)
	for _, tc := range []struct{ method, token string }{
		{"GET", ""}, {"POST", ""}, {"GET", "wrong"}, {"POST", "wrong"},
	} {
		rec := wsCall(t, h, tc.method, "/api/admin/workspace", tc.token, wsGood)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s with token %q: status %d, want 401: %s", tc.method, tc.token, rec.Code, rec.Body)
		}
	}
	if _, err := svc.GetImporter(context.Background(), "people"); err == nil {
		t.Fatal("an unauthorized apply stored the importer")
	}
}

func TestWorkspaceApplyAndExport(t *testing.T) {
	h, svc := newWorkspaceServer(t)
	rec := wsCall(t, h, "POST", "/api/admin/workspace", adminToken, wsGood)
	if rec.Code != http.StatusOK {
		t.Fatalf("apply: status %d: %s", rec.Code, rec.Body)
	}
	var out struct{ Changes []string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Changes) != 1 || !strings.Contains(out.Changes[0], "people") {
		t.Fatalf("changes = %q, want one line naming people", out.Changes)
	}
	if _, err := svc.GetImporter(context.Background(), "people"); err != nil {
		t.Fatalf("importer not stored: %v", err)
	}

	rec = wsCall(t, h, "GET", "/api/admin/workspace", adminToken, "")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/yaml") {
		t.Fatalf("export: status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	exported := rec.Body.String()
	if !strings.Contains(exported, "slug: people") || rec.Header().Get("Content-Disposition") != "" {
		t.Fatalf("export:\n%s", exported)
	}
	dl := wsCall(t, h, "GET", "/api/admin/workspace?download=1", adminToken, "")
	if !strings.Contains(dl.Header().Get("Content-Disposition"), "fusebox-workspace.yaml") {
		t.Fatalf("download disposition = %q", dl.Header().Get("Content-Disposition"))
	}

	// The export applies back unchanged.
	rec = wsCall(t, h, "POST", "/api/admin/workspace", adminToken, exported)
	if rec.Code != http.StatusOK {
		t.Fatalf("re-apply: status %d: %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	for _, c := range out.Changes {
		if !strings.Contains(c, "unchanged") {
			t.Errorf("re-applying the export changed something: %q", c)
		}
	}

	// JSON is a workspace file too.
	rec = wsCall(t, h, "POST", "/api/admin/workspace", adminToken,
		`{"importers":[{"slug":"tags","name":"Tags","columns":[{"key":"tag","label":"Tag","type":"string"}]}]}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("json apply: status %d: %s", rec.Code, rec.Body)
	}
}

func TestWorkspaceApplyErrorsStoreNothing(t *testing.T) {
	h, svc := newWorkspaceServer(t)
	// The first importer is fine; the file as a whole is not.
	okFirst := `importers:
  - slug: first
    name: First
    columns:
      - {key: a, label: A, type: string}
`
	cases := []struct {
		name, body string
		status     int
		want       []string
	}{
		{"unknown key", okFirst + "  - slug: second\n    name: Second\n    colour: red\n    columns: [{key: b, label: B}]\n",
			422, []string{"EINVALID", "colour", "[8:"}},
		{"bad regex", okFirst + "  - slug: second\n    name: Second\n    columns:\n      - key: b\n        label: B\n        validations: [{type: regex, value: \"([\"}]\n",
			422, []string{"EINVALID", `column \"b\"`, "regex"}},
		{"syntax", "importers:\n  - slug: [unclosed\n", 422, []string{"EINVALID", "team.yaml: [2:11]"}},
		{"unknown section", "widgets: []\n", 422, []string{"line 1", "widgets"}},
		{"too large", "# " + strings.Repeat("x", 2<<20) + "\n" + okFirst, 413, []string{"ETOOLARGE", "2 MiB"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := wsCall(t, h, "POST", "/api/admin/workspace?name=team.yaml", adminToken, tc.body)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			for _, w := range tc.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("body %s does not contain %q", rec.Body, w)
				}
			}
			list, err := svc.ListImporters(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 0 {
				t.Fatalf("a rejected file stored %d importers", len(list))
			}
		})
	}
}
