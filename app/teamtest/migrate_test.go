package teamtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fusebox/app/testbin"
	"fusebox/internal/pgtest"
)

// TestTwoReplicasMigrateAnEmptyDatabaseOnce: two `fusebox serve`
// processes started at the same moment on one empty PostgreSQL database
// both come up, and exactly one of them applied the migrations (the other
// waited for it under the advisory lock and found the schema current).
func TestTwoReplicasMigrateAnEmptyDatabaseOnce(t *testing.T) {
	url := pgtest.CreateDatabase(t, "")
	// The key files both replicas share, made once in a scratch data dir.
	seed := t.TempDir()
	if out, errb, err := testbin.Run(bin, nil, "keys", "list", "--data-dir", seed); err != nil {
		t.Fatalf("make key files: %v\n%s%s", err, out, errb)
	}
	if err := os.WriteFile(filepath.Join(seed, "admin.token"), []byte(strings.Repeat("5a", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dirs := []string{t.TempDir(), t.TempDir()}
	shareKeyFiles(t, seed, dirs...)

	type proc struct {
		cmd    *exec.Cmd
		stderr *testbin.Buffer
		exited chan struct{}
	}
	var procs []*proc
	for _, d := range dirs {
		p := &proc{stderr: &testbin.Buffer{}, exited: make(chan struct{})}
		p.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", d, "--database", url, "--no-demo")
		p.cmd.Stderr = p.stderr
		procs = append(procs, p)
	}
	// Both processes start before either opens the database.
	for _, p := range procs {
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = p.cmd.Wait(); close(p.exited) }()
		t.Cleanup(func() {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(15 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.exited
			}
			if t.Failed() {
				t.Logf("server log:\n%s", p.stderr.String())
			}
		})
	}
	for i, p := range procs {
		waitFor(t, "replica to listen", 60*time.Second, func() bool {
			select {
			case <-p.exited:
				t.Fatalf("replica %d exited:\n%s", i, p.stderr.String())
			default:
			}
			return strings.Contains(p.stderr.String(), "msg=listening")
		})
	}
	migrated := 0
	for _, p := range procs {
		migrated += strings.Count(p.stderr.String(), `msg="migrated the database"`)
	}
	if migrated != 1 {
		t.Fatalf("%d replicas migrated the database, want exactly 1", migrated)
	}
}
