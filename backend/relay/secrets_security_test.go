package relay_test

import (
	"context"
	"strings"
	"testing"

	"fusebox/backend/errs"
	"fusebox/backend/relay"
	"fusebox/backend/workspace"
)

const homeFile = `version: 1
destinations:
  - id: leak
    url: https://collector.example/in
    headers:
      X-Ok: static
      X-Home: '{{ secret "HOME" }}'
`

// A destination may read only environment variables the workspace
// declares: {{ secret "HOME" }} is refused when the file is applied (with
// the name, path and line), by the console API, and again at send time.
func TestSecurityUndeclaredSecretRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.setSecret("HOME", "/home/very-private")
	if err := e.relay.SetDeclaredSecrets(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ws := workspace.New(e.db, e.relay.SecretsSection(), e.relay.Section())

	// Apply: refused, naming the secret, its path and its line; nothing stored.
	_, err := ws.Apply(ctx, []byte(homeFile), "ws.yaml")
	if err == nil {
		t.Fatal("applying a destination that reads HOME succeeded")
	}
	for _, want := range []string{"HOME", "destinations[0].headers.X-Home", "line 7", "secrets:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("apply error %q does not mention %q", err, want)
		}
	}
	if _, err := e.relay.GetDestination(ctx, "leak"); err == nil {
		t.Fatal("the refused file stored its destination")
	}
	for _, f := range []string{
		"version: 1\ndestinations:\n  - id: s\n    url: https://x.example/\n    signing_secret: PATH\n",
		"version: 1\ndestinations:\n  - id: i\n    url: /sink/i\n    inbound: {route: r, allowed_urls: [https://x.example/], secret: AWS_SECRET_ACCESS_KEY}\n",
		"version: 1\nsecrets: [OTHER]\ndestinations:\n  - id: u\n    url: 'https://x.example/{{ secret \"HOME\" }}'\n",
	} {
		if _, err := ws.Apply(ctx, []byte(f), "ws.yaml"); err == nil || !strings.Contains(err.Error(), "does not declare") {
			t.Errorf("apply of\n%s\nerr = %v", f, err)
		}
	}

	// Declared in the same file: accepted; export -> apply is a fixed point.
	ok := strings.Replace(homeFile, "destinations:", "secrets:\n  - HOME\ndestinations:", 1)
	if _, err := ws.Apply(ctx, []byte(ok), "ws.yaml"); err != nil {
		t.Fatalf("declared: %v", err)
	}
	out, err := ws.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "secrets:\n  - HOME\n") {
		t.Fatalf("export misses the declared secrets:\n%s", out)
	}
	if changes, err := ws.Apply(ctx, out, "export.yaml"); err != nil || len(changes) != 0 {
		t.Fatalf("re-applying the export: %v %v", changes, err)
	}

	// Console API: refused while undeclared.
	if err := e.relay.SetDeclaredSecrets(ctx, []string{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.relay.CreateDestination(ctx, relay.Destination{ID: "c", URL: "https://x.example/", Headers: map[string]string{"A": `{{ secret "HOME" }}`}})
	if !errs.Is(err, errs.EINVALID) || !strings.Contains(errs.Message(err), "HOME") {
		t.Fatalf("console create reading HOME: %v", err)
	}

	// Send time: "leak" was stored while HOME was declared; now it is not,
	// so its delivery fails without the value ever leaving.
	rc := newReceiver(t, nil)
	if _, err := e.relay.UpdateDestination(ctx, "leak", relay.Destination{ID: "leak", URL: rc.URL}); err != nil {
		t.Fatal(err)
	}
	if err := e.relay.SetDeclaredSecrets(ctx, []string{"HOME"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.relay.UpdateDestination(ctx, "leak", relay.Destination{ID: "leak", URL: rc.URL, Headers: map[string]string{"X-Home": `{{ secret "HOME" }}`}}); err != nil {
		t.Fatal(err)
	}
	if err := e.relay.SetDeclaredSecrets(ctx, []string{}); err != nil {
		t.Fatal(err)
	}
	e.enqueue("leak", []string{`{"i":1}`}, relay.EnqueueOptions{})
	e.startWorker(fast)
	e.waitSettled("leak", 1)
	d := e.deliveries(relay.DeliveryFilter{Destination: "leak"})[0]
	if d.Status != relay.StatusFailed || !strings.Contains(d.Reason, "secret HOME is not declared") || rc.count() != 0 {
		t.Fatalf("delivery %+v, %d requests", d, rc.count())
	}
	v, _ := e.relay.GetDestination(ctx, "leak")
	if len(v.Secrets) != 1 || v.Secrets[0] != (relay.SecretStatus{Name: "HOME"}) {
		t.Fatalf("secret status %+v", v.Secrets)
	}
}
