package marketplace

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyFileOnlyForANewDataDir: an empty data dir gets secrets.key at
// start; one whose database holds sealed secrets refuses to start without
// it, naming the file and saying to restore it.
func TestKeyFileOnlyForANewDataDir(t *testing.T) {
	ctx := context.Background()
	s, db, dir := newService(t)
	path := filepath.Join(dir, "secrets.key")
	if err := s.OpenKeyring(ctx); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new data dir: key file %v, %v", fi, err)
	}
	if _, err := s.CreateSecret(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	err := New(db, Options{KeyFile: path}).OpenKeyring(ctx)
	for _, want := range []string{path, "does not exist", "restore secrets.key from the backup"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("start without the key file: %v, want it to say %q", err, want)
		}
	}
	if _, err := New(db, Options{KeyFile: path}).CreateSecret(ctx, "two"); err == nil {
		t.Fatal("sealed a new secret without the key file")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a new key file was made: %v", err)
	}
}

// TestLegacyKeyFileMigrates: a secrets.key of 64 hex digits and a secret
// sealed by the marketplace before the keyring keep working, and the key
// file is rewritten in the keyring's format.
func TestLegacyKeyFileMigrates(t *testing.T) {
	ctx := context.Background()
	_, db, dir := newService(t)
	path := filepath.Join(dir, "secrets.key")
	// Written by the previous marketplace sealer (key file and sealed value).
	const (
		legacyKeyFile = "b4f3899cbb33bde57a1e4958c980a5cf7f96457da0e48ced2f6d7cd84b3bf1ef\n"
		legacyID      = "sec_0123456789abcdef"
		legacySealed  = "sQ8w_DquaNyAk6sgAeHlRfRy3NBAEOrB9Q0hSL2bCZUAlk6oH6DXbIxLpyRm--AhuVAe28bRIRKSCQ"
		legacyValue   = "fbms_legacy-marketplace-secret"
	)
	if err := os.WriteFile(path, []byte(legacyKeyFile), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`INSERT INTO marketplace_secrets (id, label, sealed, hint, created_at) VALUES (?, '', ?, 'cret', '2025-01-01T00:00:00.000Z')`,
		legacyID, legacySealed); err != nil {
		t.Fatal(err)
	}
	s := New(db, Options{KeyFile: path})
	if err := s.OpenKeyring(ctx); err != nil {
		t.Fatal(err)
	}
	active, _, err := s.keys(ctx, false)
	if err != nil || len(active) != 1 || string(active[0].secret) != legacyValue {
		t.Fatalf("legacy secret: %v %v", active, err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(b), "fusebox-key v1 ") {
		t.Fatalf("key file after migration: %q %v", b, err)
	}
	// A secret made now opens in another process beside the old one.
	if _, err := s.CreateSecret(ctx, "new"); err != nil {
		t.Fatal(err)
	}
	if active, _, err := New(db, Options{KeyFile: path}).keys(ctx, false); err != nil || len(active) != 2 {
		t.Fatalf("after migration: %v %v", active, err)
	}
}
