package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestSecurityCallbackFailureDoesNotShowTheEndpointAddress: a validation
// endpoint's address may carry a key (?api_key=..., a path token). When it
// does not answer, the import's callback state, which the end user's
// importer shows, says why without the address.
func TestSecurityCallbackFailureDoesNotShowTheEndpointAddress(t *testing.T) {
	ctx := context.Background()
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	port := freePort(t) // nothing listens there
	for _, c := range []struct{ name, host, allowed string }{
		{"refused", "127.0.0.1", "marketplace:\n  org_id: test-org\n  allowed_hosts: [127.0.0.1]\n"},
		{"blocked", "[::1]", ""}, // loopback, not an allowed host
	} {
		t.Run(c.name, func(t *testing.T) {
			ws := "version: 1\nimporters:\n  - slug: orders\n    name: Orders\n    columns: [{key: customer_id, label: Customer id}]\n" +
				"    hooks: {validate: {url: \"http://" + c.host + ":" + port + "/hook/TOKENINPATH/validate?api_key=TOPSECRETKEY\", timeout: 1s}}\n" + c.allowed
			if _, err := a.Workspace.Apply(ctx, []byte(ws), "ws.yaml"); err != nil {
				t.Fatal(err)
			}
			a.Importer.Callbacks.Backoff = []time.Duration{} // one attempt
			csv := "Customer id\nC-1\n"
			imp := stageCSV(t, a, "orders", csv)
			sum, _ := a.Importer.Summary(ctx, imp.Slug)
			if sum.Callback == nil || sum.Callback.State != "failed" {
				t.Fatalf("callback %+v", sum.Callback)
			}
			if m := sum.Callback.Message; strings.Contains(m, "TOPSECRETKEY") || strings.Contains(m, "TOKENINPATH") {
				t.Fatalf("the end user sees the endpoint's address: %q", m)
			}
			t.Logf("message: %s", sum.Callback.Message)
		})
	}
}
