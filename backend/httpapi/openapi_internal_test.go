package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"fusebox/backend/importer"
	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
	"fusebox/backend/sessions"
	"fusebox/backend/sink"
)

// internalPrefixes are the surfaces openapi-internal.json describes: the
// importer engine (the importer iframe), the marketplace iframe and the
// console. The frontend's
// TypeScript types are generated from it (frontend: npm run api-types).
var internalPrefixes = []string{"/api/importer/", "/api/marketplace/", "/api/admin/"}

// The stand-ins below are never called: the test only asks the mux which
// pattern a request goes to, so every optional surface is registered.
type routeOnlyWorkspace struct{ WorkspaceFile }
type routeOnlyDemo struct{ DemoSwitch }

func TestOpenAPIInternalDocumentsEveryImporterMarketplaceAndAdminRoute(t *testing.T) {
	body, err := os.ReadFile("openapi-internal.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	srv := New(Config{Version: "test", DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Deps{
		Importer: &importer.Service{}, Sessions: &sessions.Service{}, Marketplace: &marketplace.Service{},
		Relay: &relay.Service{}, Sink: &sink.Sink{}, Workspace: routeOnlyWorkspace{}, Demo: routeOnlyDemo{},
	})
	internal := func(path string) bool {
		for _, p := range internalPrefixes {
			if strings.HasPrefix(path, p) {
				return true
			}
		}
		return false
	}

	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		if !internal(path) {
			t.Errorf("path %s is outside %v (the public API is openapi.json's)", path, internalPrefixes)
		}
		for m := range ops {
			if httpMethods[m] {
				documented[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	// Every documented operation is what the server routes the request to.
	for op := range documented {
		method, path, _ := strings.Cut(op, " ")
		req := httptest.NewRequest(method, pathParam.ReplaceAllString(path, "x1"), nil)
		if _, pattern := srv.mux.Handler(req); pattern != op {
			t.Errorf("documented %s is routed to pattern %q", op, pattern)
		}
	}
	// Every registered route under the prefixes is documented and really
	// registered.
	registered := 0
	for _, p := range registeredPatterns(t) {
		method, path, hasMethod := strings.Cut(p, " ")
		if !hasMethod {
			method, path = "", p
		}
		if !internal(path) {
			continue
		}
		registered++
		if method == "" {
			t.Errorf("route %q has no method; importer, marketplace and console routes name theirs", p)
			continue
		}
		if !documented[p] {
			t.Errorf("route %q is not in openapi-internal.json", p)
		}
		req := httptest.NewRequest(method, pathParam.ReplaceAllString(path, "x1"), nil)
		if _, got := srv.mux.Handler(req); got != p {
			t.Errorf("route %q found in the source is not registered (request routed to %q)", p, got)
		}
	}
	if registered != len(documented) {
		t.Errorf("%d importer, marketplace and console routes registered, %d operations documented", registered, len(documented))
	}
	if registered < 50 {
		t.Fatalf("found only %d importer, marketplace and console routes; the source scan is broken", registered)
	}
	checkRefs(t, body)

	// The public document stays the public API: nothing internal in it.
	pub, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var pubDoc openAPIDocument
	if err := json.Unmarshal(pub, &pubDoc); err != nil {
		t.Fatal(err)
	}
	for path := range pubDoc.Paths {
		if internal(path) {
			t.Errorf("public openapi.json documents internal path %s", path)
		}
	}
}

// checkRefs fails for every $ref in an OpenAPI document that does not
// resolve inside it.
func checkRefs(t *testing.T, body []byte) {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				cur := any(raw)
				for _, seg := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := cur.(map[string]any)
					cur = m[seg]
				}
				if cur == nil {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(raw)
}
