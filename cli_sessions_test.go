package main

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"fusebox/backend/importer"
	"fusebox/backend/sessions"
)

func cliLastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

var cliKeyRE = regexp.MustCompile(`^fbx_(sk|pk)_[0-9A-Za-z]{43}$`)

func TestKeysAndSessionsCLI(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// An importer to make sessions for.
	p, err := openCLI(ctx, dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.importer.SaveImporter(ctx, &importer.Importer{Slug: "contacts", Name: "Contacts",
		Columns: []importer.Column{{Key: "email", Label: "Email", Type: importer.TypeEmail}}}); err != nil {
		t.Fatal(err)
	}
	p.close()

	code, out, errOut := runCLI(t, "keys", "create", "--data-dir", dir, "--name", "billing backend", "--kind", "secret")
	if code != 0 {
		t.Fatalf("keys create: %d %s", code, errOut)
	}
	secret := cliLastLine(out)
	if !cliKeyRE.MatchString(secret) || !strings.HasPrefix(secret, "fbx_sk_") {
		t.Fatalf("last line %q is not the key alone; output:\n%s", secret, out)
	}
	code, out, _ = runCLI(t, "keys", "create", "--data-dir", dir, "--name", "web", "--kind", "publishable",
		"--importers", "contacts", "--origins", "http://localhost:3000,https://app.example.com/", "--origins", "http://127.0.0.1:*")
	pub := cliLastLine(out)
	if code != 0 || !strings.HasPrefix(pub, "fbx_pk_") || !strings.Contains(out, "https://app.example.com, http://127.0.0.1:*") {
		t.Fatalf("publishable key create: %d\n%s", code, out)
	}

	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"keys"}, 2, ""},
		{[]string{"keys", "rotate"}, 2, `unknown command "rotate"`},
		{[]string{"keys", "create", "--data-dir", dir}, 2, "--name is required"},
		{[]string{"keys", "create", "--data-dir", dir, "--name", "x", "--kind", "admin"}, 1, `kind must be "secret" or "publishable"`},
		{[]string{"keys", "create", "--data-dir", dir, "--name", "x", "--kind", "publishable", "--importers", "contacts"}, 1, "needs the browser origins"},
		{[]string{"keys", "create", "--data-dir", dir, "--name", "x", "--kind", "publishable", "--importers", "contacts", "--origins", "https://*.example.com"}, 1, "host wildcards"},
		{[]string{"keys", "deactivate", "--data-dir", dir}, 2, "exactly one key id"},
		{[]string{"keys", "deactivate", "--data-dir", dir, "key_nope"}, 1, `API key "key_nope" not found`},
		{[]string{"sessions", "create", "--data-dir", dir}, 2, "--importer is required"},
		{[]string{"sessions", "create", "--data-dir", dir, "--importer", "nope"}, 1, `importer "nope" not found`},
		{[]string{"sessions", "create", "--data-dir", dir, "--importer", "contacts", "--metadata", "[1]"}, 1, "must be a JSON object"},
		{[]string{"sessions", "list", "--data-dir", dir, "--status", "sleeping"}, 1, "status must be"},
		{[]string{"sessions", "revoke", "--data-dir", dir, "ses_nope"}, 1, `session "ses_nope" not found`},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("fusebox %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.stderr)
		}
	}

	// The list shows prefixes, never keys.
	code, out, _ = runCLI(t, "keys", "list", "--data-dir", dir)
	if code != 0 || strings.Contains(out, secret) || strings.Contains(out, pub) || !strings.Contains(out, secret[:11]+"…") || !strings.Contains(out, "billing backend") {
		t.Fatalf("keys list:\n%s", out)
	}

	// sessions create prints the token on its last line; it verifies.
	code, out, errOut = runCLI(t, "sessions", "create", "--data-dir", dir, "--importer", "contacts", "--metadata", `{"user_id": 123}`)
	if code != 0 {
		t.Fatalf("sessions create: %d %s", code, errOut)
	}
	token := cliLastLine(out)
	p, err = openCLI(ctx, dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := p.sessions.Verify(ctx, token)
	if err != nil || sess.ImporterSlug != "contacts" || sess.Metadata["user_id"].(interface{ String() string }).String() != "123" {
		t.Fatalf("token from the CLI: %+v %v", sess, err)
	}
	k, err := p.sessions.Authenticate(ctx, secret)
	if err != nil || k.Name != "billing backend" {
		t.Fatalf("key from the CLI: %+v %v", k, err)
	}
	p.close()

	code, out, _ = runCLI(t, "sessions", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, sess.ID) || !strings.Contains(out, `{"user_id":123}`) || !strings.Contains(out, "active") {
		t.Fatalf("sessions list:\n%s", out)
	}
	if code, out, _ = runCLI(t, "sessions", "revoke", sess.ID, "--data-dir", dir); code != 0 || !strings.Contains(out, "Revoked session "+sess.ID) {
		t.Fatalf("sessions revoke: %d %s", code, out)
	}
	if code, out, _ = runCLI(t, "keys", "deactivate", k.ID, "--data-dir", dir); code != 0 || !strings.Contains(out, "Deactivated secret key "+k.ID) {
		t.Fatalf("keys deactivate: %d %s", code, out)
	}
	p, err = openCLI(ctx, dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	if _, err := p.sessions.Verify(ctx, token); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked token still verifies: %v", err)
	}
	if _, err := p.sessions.Authenticate(ctx, secret); err == nil || !strings.Contains(err.Error(), "deactivated") {
		t.Fatalf("deactivated key still authenticates: %v", err)
	}
}

func TestDemoKeysOnFirstStart(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, noDemo := range []bool{false, true} {
		dir := t.TempDir()
		a, err := start(ctx, serveFlags{dataDir: dir, noDemo: noDemo}, log)
		if err != nil {
			t.Fatal(err)
		}
		d, err := a.parts.sessions.DemoKeys(ctx)
		if noDemo {
			if err == nil {
				t.Fatal("--no-demo workspace has demo keys")
			}
			a.close()
			continue
		}
		if err != nil || !d.SecretActive || !d.PublishableActive {
			t.Fatalf("demo keys: %+v %v", d, err)
		}
		k, err := a.parts.sessions.Authenticate(ctx, d.Secret)
		if err != nil || k.Name != sessions.DemoSecretName {
			t.Fatalf("demo secret key: %+v %v", k, err)
		}
		a.close()
		// A second start finds them again (derived from the key file) and
		// does not add more.
		a, err = start(ctx, serveFlags{dataDir: dir}, log)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := a.parts.sessions.DemoKeys(ctx)
		keys, _ := a.parts.sessions.ListKeys(ctx)
		a.close()
		if err != nil || d2 != d || len(keys) != 2 {
			t.Fatalf("after restart: %+v %v, %d keys", d2, err, len(keys))
		}
	}
}

func TestBenchSessionsRuns(t *testing.T) {
	code, out, errOut := runCLI(t, "bench", "sessions", "--duration", "150ms", "--clients", "4")
	if code != 0 {
		t.Fatalf("bench sessions: %d %s", code, errOut)
	}
	for _, want := range []string{"reference: bare loopback HTTP handler", "sessions issued: POST /api/v1/importer/sessions", "token verifications in process", "token verifications over HTTP", "target >= 3000 sessions/s"} {
		if !strings.Contains(out, want) {
			t.Fatalf("bench output lacks %q:\n%s", want, out)
		}
	}
}
