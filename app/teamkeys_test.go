package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/sessions"
	"fusebox/backend/store/storetest"
)

// teamConfig is the Config of one replica of a team server on url: a data
// dir of its own, keys from keys, the admin token from the keys.
func teamConfig(t *testing.T, url string, keys KeyConfig) Config {
	t.Helper()
	return Config{Version: "test", DataDir: t.TempDir(), DatabaseURL: url, Keys: keys,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Server: ServerConfig{AdminTokenFromKeys: true}}
}

// readKey is the content of a file in the key dir, trimmed.
func readKey(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// adminStatus is the status of a console API request with the admin token
// as Bearer token, to a's handler.
func adminStatus(t *testing.T, a *App, token string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/api/admin/importers", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	return rec.Code
}

// Two replicas on one PostgreSQL database with one key dir: the first makes
// the keys and the admin token in the key dir, the second reads them; a
// session token issued by either verifies on the other, the marketplace
// secrets each seals open on the other, and the one admin token works on
// both. A third replica gets the same keys as environment variables (the
// key file's line, or the bare base64 key) and does the same.
func TestTeamReplicasShareKeys(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	keyDir := t.TempDir()
	a, err := New(ctx, teamConfig(t, url, KeyConfig{Dir: keyDir}))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, f := range []string{"sessions.key", "secrets.key", "admin.token"} {
		if _, err := os.Stat(filepath.Join(keyDir, f)); err != nil {
			t.Fatalf("the first replica made no %s in the key dir: %v", f, err)
		}
		if _, err := os.Stat(filepath.Join(a.DataDir(), f)); err == nil {
			t.Fatalf("the first replica made %s in its data dir, not the key dir", f)
		}
	}
	ws := "version: 1\nimporters:\n  - slug: orders\n    name: Orders\n    columns: [{key: customer_id, label: Customer id}]\n"
	if _, err := a.Workspace.Apply(ctx, []byte(ws), "ws.yaml"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Marketplace.CreateSecret(ctx, "host app a"); err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, teamConfig(t, url, KeyConfig{Dir: keyDir}))
	if err != nil {
		t.Fatalf("second replica with the same key dir: %v", err)
	}
	defer b.Close()
	env := KeyConfig{
		SessionsKey: readKey(t, keyDir, "sessions.key"), // the key file's line
		SecretsKey:  strings.TrimPrefix(readKey(t, keyDir, "secrets.key"), "fusebox-key v1 "),
		AdminToken:  readKey(t, keyDir, "admin.token"),
	}
	c, err := New(ctx, teamConfig(t, url, env))
	if err != nil {
		t.Fatalf("third replica with the keys in the environment: %v", err)
	}
	defer c.Close()
	if _, err := b.Marketplace.CreateSecret(ctx, "host app b"); err != nil {
		t.Fatal(err)
	}
	replicas := map[string]*App{"a": a, "b": b, "env": c}
	for name, r := range replicas {
		if r.adminToken != a.adminToken {
			t.Fatalf("replica %s has another admin token", name)
		}
		if code := adminStatus(t, r, a.adminToken); code != http.StatusOK {
			t.Fatalf("the admin token on replica %s: status %d", name, code)
		}
		if _, err := r.Marketplace.Verifier(ctx); err != nil {
			t.Fatalf("replica %s does not open the marketplace secrets: %v", name, err)
		}
		iss, err := r.Sessions.Issue(ctx, sessions.IssueParams{ImporterSlug: "orders"})
		if err != nil {
			t.Fatalf("issue on %s: %v", name, err)
		}
		for other, o := range replicas {
			if _, err := o.Sessions.Verify(ctx, iss.Token); err != nil {
				t.Fatalf("a session token issued on %s does not verify on %s: %v", name, other, err)
			}
		}
	}
}

// Servers sharing one PostgreSQL database must share their keys. A server
// given no secrets.key is refused while the database records one, and
// makes none; a server whose secrets.key differs from the first server's
// is refused, even while nothing is sealed yet: otherwise each would seal
// marketplace secrets under its own key, and neither could open the
// other's. With the first server's key files it starts.
func TestSecuritySharedDatabaseRefusesOtherKeyFiles(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, second := t.TempDir(), t.TempDir()
	a, err := New(ctx, Config{Version: "test", DataDir: first, DatabaseURL: url, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	copyKey := func(name string) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(first, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(second, name), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// No key at all: refused, naming what to pass, and no key is made.
	_, err = New(ctx, Config{Version: "test", DataDir: second, DatabaseURL: url, Logger: log})
	if err == nil {
		t.Fatal("a server with no keys started on a shared database that has them")
	}
	for _, want := range []string{"sessions.key", "given no", "FUSEBOX_SESSIONS_KEY", "--key-dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q: want it to name %q", err, want)
		}
	}
	for _, f := range []string{"sessions.key", "secrets.key"} {
		if _, err := os.Stat(filepath.Join(second, f)); err == nil {
			t.Fatalf("the refused server made %s", f)
		}
	}
	// The session signing key is sealed already, so sessions.key has to
	// be the same; secrets.key has sealed nothing yet, but its check value
	// is recorded.
	copyKey("sessions.key")
	_, err = New(ctx, Config{Version: "test", DataDir: second, DatabaseURL: url, Logger: log})
	if err == nil || !strings.Contains(err.Error(), "secrets.key") || !strings.Contains(err.Error(), "FUSEBOX_SECRETS_KEY") {
		t.Fatalf("a server with no secrets.key: %v; want a refusal naming secrets.key and FUSEBOX_SECRETS_KEY", err)
	}
	// Another key of its own: refused as not matching.
	if err := os.WriteFile(filepath.Join(second, "secrets.key"), []byte("fusebox-key v1 "+strings.Repeat("A", 43)+"=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, Config{Version: "test", DataDir: second, DatabaseURL: url, Logger: log})
	if err == nil {
		b.Close()
		t.Fatal("a server with another secrets.key started on the shared database")
	}
	if !strings.Contains(err.Error(), "secrets.key") || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("error %q: want one naming secrets.key and saying it does not match", err)
	}
	copyKey("secrets.key")
	b, err = New(ctx, Config{Version: "test", DataDir: second, DatabaseURL: url, Logger: log})
	if err != nil {
		t.Fatalf("with the first server's key files: %v", err)
	}
	if _, err := b.Marketplace.CreateSecret(ctx, "host app"); err != nil {
		t.Fatal(err)
	}
	b.Close()
	a, err = New(ctx, Config{Version: "test", DataDir: first, DatabaseURL: url, Logger: log})
	if err != nil {
		t.Fatalf("the first server after the second sealed a secret: %v", err)
	}
	a.Close()
}

// A replica given other keys than the ones the database was set up with is
// refused with a message naming the key and how to give the right one:
// another key dir, a key in the environment, another admin token.
func TestSecurityTeamReplicaWithOtherKeysRefused(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	keyDir := t.TempDir()
	a, err := New(ctx, teamConfig(t, url, KeyConfig{Dir: keyDir}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Marketplace.CreateSecret(ctx, "host app"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	otherDir := t.TempDir()
	// Another key dir's keys, made for another database.
	o, err := New(ctx, teamConfig(t, storetest.PostgresURL(t), KeyConfig{Dir: otherDir}))
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	otherKey := readKey(t, otherDir, "secrets.key")
	for _, c := range []struct {
		name  string
		keys  KeyConfig
		wants []string
	}{
		{"other key dir", KeyConfig{Dir: otherDir}, []string{"sessions.key", "does not match", "FUSEBOX_SESSIONS_KEY", otherDir}},
		{"empty key dir", KeyConfig{Dir: t.TempDir()}, []string{"sessions.key", "given no", "--key-dir"}},
		{"other secrets key in the environment", KeyConfig{Dir: keyDir, SecretsKey: otherKey}, []string{"secrets.key", "does not match", "$FUSEBOX_SECRETS_KEY"}},
		{"other admin token", KeyConfig{Dir: keyDir, AdminToken: strings.Repeat("b", 64)}, []string{"admin token", "does not match", "FUSEBOX_ADMIN_TOKEN"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := New(ctx, teamConfig(t, url, c.keys))
			if err == nil {
				r.Close()
				t.Fatal("started")
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q: want %q in it", err, w)
				}
			}
			if strings.Contains(err.Error(), otherKey) || strings.Contains(err.Error(), strings.Repeat("b", 64)) {
				t.Fatalf("error %q quotes a key", err)
			}
		})
	}
	b, err := New(ctx, teamConfig(t, url, KeyConfig{Dir: keyDir}))
	if err != nil {
		t.Fatalf("with the right key dir after the refusals: %v", err)
	}
	b.Close()
}

// Keys given in the environment that are not keys are refused before
// anything opens, naming the variable, on both engines.
func TestSecurityBadKeyValuesRefused(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		keys KeyConfig
		want string
	}{
		{"sessions key", KeyConfig{SessionsKey: "not-base64!"}, "FUSEBOX_SESSIONS_KEY"},
		{"secrets key too short", KeyConfig{SecretsKey: "c2hvcnQ="}, "FUSEBOX_SECRETS_KEY"},
		{"admin token too short", KeyConfig{AdminToken: "short"}, "FUSEBOX_ADMIN_TOKEN"},
	} {
		for _, url := range []string{"", storetest.PostgresURL(t)} {
			cfg := teamConfig(t, url, c.keys)
			a, err := New(ctx, cfg)
			if err == nil {
				a.Close()
				t.Fatalf("%s (database %q): started", c.name, url)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "want") {
				t.Fatalf("%s: error %q: want it to name %s and say what it wants", c.name, err, c.want)
			}
		}
	}
}

// Two replicas started at once on an empty database, each with a key dir
// of its own and no keys: exactly one makes the keys; the other is refused
// and told to use them, instead of each sealing under a key of its own.
func TestSecurityReplicasStartingTogetherMakeOneSetOfKeys(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	cfgs := []Config{teamConfig(t, url, KeyConfig{Dir: t.TempDir()}), teamConfig(t, url, KeyConfig{Dir: t.TempDir()})}
	errc := make(chan error, len(cfgs))
	apps := make(chan *App, len(cfgs))
	for _, cfg := range cfgs {
		go func() {
			a, err := New(ctx, cfg)
			if err == nil {
				apps <- a
			}
			errc <- err
		}()
	}
	var started, refused int
	for range cfgs {
		err := <-errc
		switch {
		case err == nil:
			started++
		case strings.Contains(err.Error(), "given no") || strings.Contains(err.Error(), "does not match"):
			refused++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	close(apps)
	for a := range apps {
		a.Close()
	}
	if started != 1 || refused != 1 {
		t.Fatalf("%d started, %d refused; want exactly one of each", started, refused)
	}
	made := 0
	for _, cfg := range cfgs {
		if _, err := os.Stat(filepath.Join(cfg.Keys.Dir, "sessions.key")); err == nil {
			made++
		}
	}
	if made != 1 {
		t.Fatalf("sessions.key made in %d key dirs, want 1", made)
	}
}
