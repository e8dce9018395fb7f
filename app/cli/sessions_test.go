package cli

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"fusebox/backend/schema"
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
	a, err := openApp(ctx, testDataFlags(t, dir), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Importer.SaveImporter(ctx, &schema.Importer{Slug: "contacts", Name: "Contacts",
		Columns: []schema.Column{{Key: "email", Label: "Email", Type: schema.TypeEmail}}}); err != nil {
		t.Fatal(err)
	}
	a.Close()

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
	a, err = openApp(ctx, testDataFlags(t, dir), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := a.Sessions.Verify(ctx, token)
	if err != nil || sess.ImporterSlug != "contacts" || sess.Metadata["user_id"].(interface{ String() string }).String() != "123" {
		t.Fatalf("token from the CLI: %+v %v", sess, err)
	}
	k, err := a.Sessions.Authenticate(ctx, secret)
	if err != nil || k.Name != "billing backend" {
		t.Fatalf("key from the CLI: %+v %v", k, err)
	}
	a.Close()

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
	a, err = openApp(ctx, testDataFlags(t, dir), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Sessions.Verify(ctx, token); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked token still verifies: %v", err)
	}
	if _, err := a.Sessions.Authenticate(ctx, secret); err == nil || !strings.Contains(err.Error(), "deactivated") {
		t.Fatalf("deactivated key still authenticates: %v", err)
	}
}
