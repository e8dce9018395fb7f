package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestMarketplaceSecretsCLI(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "marketplace", "secrets", "create", "--data-dir", dir, "--label", "prod")
	if code != 0 {
		t.Fatalf("create: %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := regexp.MustCompile(`^(sec_[0-9a-f]{16}) (fbms_[A-Za-z0-9_-]{43})$`).FindStringSubmatch(lines[len(lines)-1])
	if last == nil {
		t.Fatalf("last line is not \"<id> <secret>\": %q", out)
	}
	id, secret := last[1], last[2]
	fi, err := os.Stat(filepath.Join(dir, "secrets.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets.key: %v %v", err, fi)
	}
	if code, out, _ := runCLI(t, "marketplace", "secrets", "create", "--data-dir", dir); code != 0 || strings.Contains(out, secret) {
		t.Fatalf("second create: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "marketplace", "secrets", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "prod") || strings.Contains(out, secret) || strings.Count(out, "active") != 2 {
		t.Fatalf("list: %d %q", code, out)
	}

	// The secret signs tokens the marketplace accepts, until it is deactivated.
	a, err := openApp(context.Background(), testDataFlags(t, dir), os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.Marketplace.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"exp": time.Now().Add(time.Minute).Unix(), "orgId": st.OrgID,
		"user": map[string]any{"externalId": "x"}}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Marketplace.Verify(context.Background(), fresh); err != nil {
		t.Fatalf("token signed with the printed secret: %v", err)
	}
	a.Close()

	if code, out, _ := runCLI(t, "marketplace", "secrets", "deactivate", "--data-dir", dir, id); code != 0 || !strings.Contains(out, "deactivated "+id) {
		t.Fatalf("deactivate: %d %q", code, out)
	}
	a, err = openApp(context.Background(), testDataFlags(t, dir), os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Marketplace.Verify(context.Background(), fresh); err == nil || !strings.Contains(err.Error(), "deactivated") {
		t.Fatalf("token of a deactivated secret: %v", err)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"marketplace"}, 2, "Usage: fusebox marketplace secrets"},
		{[]string{"marketplace", "secrets", "rotate"}, 2, `unknown subcommand "rotate"`},
		{[]string{"marketplace", "secrets", "deactivate", "--data-dir", dir}, 2, "expected exactly one secret id"},
		{[]string{"marketplace", "secrets", "deactivate", "--data-dir", dir, "sec_nope"}, 1, `no marketplace secret "sec_nope"`},
	} {
		code, _, errOut := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: %d %q, want %d ~%q", c.args, code, errOut, c.code, c.want)
		}
	}
}
