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

// TestKeyFilesLostRefuseToStart: a new data dir gets both key files at its
// first start; once values are sealed under them, a data dir without one
// refuses to start, naming the file and saying to restore it from the
// backup, and no new key file appears. With the file restored it starts.
func TestKeyFilesLostRefuseToStart(t *testing.T) {
	// The key files beside a SQLite database; servers sharing PostgreSQL
	// follow the team rules (TestTeamReplicasShareKeys).
	storetest.SQLiteOnly(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	a, err := New(ctx, Config{Version: "test", DatabaseURL: testDatabaseURL(t, dir), DataDir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Marketplace.CreateSecret(ctx, "host app"); err != nil {
		a.Close()
		t.Fatal(err)
	}
	a.Close()
	for _, name := range []string{"sessions.key", "secrets.key"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			b, err := os.ReadFile(path)
			if err != nil || !strings.HasPrefix(string(b), "fusebox-key v1 ") {
				t.Fatalf("key file after the first start: %q %v", b, err)
			}
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			_, err = New(ctx, Config{Version: "test", DatabaseURL: testDatabaseURL(t, dir), DataDir: dir, Logger: log})
			for _, want := range []string{path, "restore " + name + " from the backup"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("start without %s: %v, want it to say %q", name, err, want)
				}
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatalf("a new %s was made: %v", name, err)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			a, err := New(ctx, Config{Version: "test", DatabaseURL: testDatabaseURL(t, dir), DataDir: dir, Logger: log})
			if err != nil {
				t.Fatalf("start with %s restored: %v", name, err)
			}
			a.Close()
		})
	}
}
