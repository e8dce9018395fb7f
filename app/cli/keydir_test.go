package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/store/storetest"
)

// The data commands take --key-dir (or FUSEBOX_KEY_DIR): keys made by one
// command land there, not in the data dir, and a command from another data
// dir with the same key dir reads what the first wrote, on one PostgreSQL
// database.
func TestKeyDirSharedByCommands(t *testing.T) {
	url := storetest.PostgresURL(t)
	keyDir := filepath.Join(t.TempDir(), "keys")
	a, b := t.TempDir(), t.TempDir()
	code, out, errOut := runCLI(t, "keys", "create", "--data-dir", a, "--database", url, "--key-dir", keyDir, "--name", "billing")
	if code != 0 || !strings.Contains(out, "fbx_sk_") {
		t.Fatalf("keys create: code %d stdout %q stderr %q", code, out, errOut)
	}
	for _, f := range []string{"sessions.key", "secrets.key"} {
		if _, err := os.Stat(filepath.Join(keyDir, f)); err != nil {
			t.Fatalf("%s not in the key dir: %v", f, err)
		}
		if _, err := os.Stat(filepath.Join(a, f)); err == nil {
			t.Fatalf("%s made in the data dir although --key-dir was given", f)
		}
	}
	t.Setenv("FUSEBOX_KEY_DIR", keyDir)
	code, out, errOut = runCLI(t, "keys", "list", "--data-dir", b, "--database", url)
	if code != 0 || !strings.Contains(out, "billing") {
		t.Fatalf("keys list with FUSEBOX_KEY_DIR: code %d stdout %q stderr %q", code, out, errOut)
	}
}

// A key in the environment that is not a key stops every command with an
// error naming the variable; nothing is made.
func TestSecurityBadKeyEnvironmentStopsCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FUSEBOX_SECRETS_KEY", "hunter2-is-not-a-key")
	code, _, errOut := runCLI(t, "keys", "list", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "FUSEBOX_SECRETS_KEY") || !strings.Contains(errOut, "base64") || strings.Contains(errOut, "hunter2") {
		t.Fatalf("code %d stderr %q: want 1 and an error naming FUSEBOX_SECRETS_KEY and the encoding, not the value", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "secrets.key")); err == nil {
		t.Fatal("a secrets.key was made")
	}
}
