package pgtest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// scripts/pg-test-cluster.sh starts a cluster the command can use (as a
// non-root user when run as root), passes the command's exit status on,
// and removes the cluster's directory afterwards.
func TestClusterScript(t *testing.T) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 && os.Getenv("FUSEBOX_REQUIRE_TOOLS") == "" {
		t.Skip("postgresql is not installed (make deps-test installs it)")
	}
	script, err := filepath.Abs("../../scripts/pg-test-cluster.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, "bash", "-c", `echo "URL=$FUSEBOX_TEST_DATABASE_URL"; exit 7`)
	cmd.Env = append(os.Environ(), "FUSEBOX_TEST_DATABASE_URL=")
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !asExit(err, &exitErr) || exitErr.ExitCode() != 7 {
		t.Fatalf("exit: %v, want status 7 of the command\n%s", err, out)
	}
	m := regexp.MustCompile(`URL=(postgres://\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the command saw no URL:\n%s", out)
	}
	dir := regexp.MustCompile(`\((/tmp/fusebox-pg\.[^)]+)\)`).FindSubmatch(out)
	if dir == nil {
		t.Fatalf("the script did not say where the cluster lives:\n%s", out)
	}
	if _, err := os.Stat(string(dir[1])); !os.IsNotExist(err) {
		t.Fatalf("cluster directory %s still exists after the command (stat: %v)", dir[1], err)
	}
	if conn, err := pgx.Connect(context.Background(), string(m[1])); err == nil {
		conn.Close(context.Background())
		t.Fatalf("the cluster still answers after the command")
	}
	if !strings.Contains(string(out), "PostgreSQL") {
		t.Fatalf("no version line:\n%s", out)
	}
}

func asExit(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}
