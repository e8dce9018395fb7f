package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/store/storetest"
)

// Servers sharing one PostgreSQL database must share their key files too.
// A server whose secrets.key differs from the one the first server made is
// refused at start, even while nothing is sealed yet: otherwise each would
// seal marketplace secrets under its own key, and neither could open the
// other's. With the first server's key file it starts.
func TestSharedDatabaseRefusesOtherKeyFiles(t *testing.T) {
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
	// The session signing key is sealed already, so sessions.key has to
	// be the same; secrets.key has sealed nothing yet.
	copyKey("sessions.key")
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
