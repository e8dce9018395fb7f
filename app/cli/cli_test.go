package cli

import (
	"bytes"
	"context"
	"fusebox/backend/store/storetest"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fusebox/backend/demo"
)

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	useTestDatabase(t, args)
	var out, errb bytes.Buffer
	code = Run(context.Background(), "test", args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndExitCodes(t *testing.T) {
	for _, c := range []struct {
		args       []string
		code       int
		wantOut    string
		wantStderr string
	}{
		{[]string{"version"}, 0, "fusebox ", ""},
		{[]string{"help"}, 0, "Usage: fusebox", ""},
		{[]string{"--help"}, 0, "Usage: fusebox", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"serve", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"serve", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"apply"}, 2, "", "expected exactly one workspace file"},
		{[]string{"export", "--nope"}, 2, "", "flag provided but not defined"},
		{[]string{"serve", "--log-level", "loud", "--data-dir", "x"}, 2, "", "--log-level"},
	} {
		code, out, errOut := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(out, c.wantOut) || !strings.Contains(errOut, c.wantStderr) {
			t.Errorf("fusebox %v: code %d stdout %q stderr %q; want code %d, stdout ~%q, stderr ~%q",
				c.args, code, out, errOut, c.code, c.wantOut, c.wantStderr)
		}
	}
}

func TestApplyExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	code, first, errOut := runCLI(t, "export", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	file := filepath.Join(t.TempDir(), "ws.yaml")
	if err := os.WriteFile(file, []byte(first), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "apply", "--data-dir", dir, file)
	if code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("apply of export: code %d out %q err %q", code, out, errOut)
	}
	_, second, _ := runCLI(t, "export", "--data-dir", dir)
	if first != second {
		t.Fatalf("export changed after apply:\n%s\n---\n%s", first, second)
	}
}

func TestApplyDemoWorkspaceThenExportIsAFixedPoint(t *testing.T) {
	dir := t.TempDir()
	demoFile := filepath.Join(t.TempDir(), "demo.yaml")
	a, err := openApp(context.Background(), testDataFlags(t, dir), os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Workspace.Initialize(context.Background(), demo.Workspace()); err != nil {
		t.Fatalf("apply demo workspace: %v", err)
	}
	a.Close()
	code, exported, errOut := runCLI(t, "export", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	if err := os.WriteFile(demoFile, []byte(exported), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "apply", "--data-dir", dir, demoFile)
	if code != 0 || strings.TrimSpace(out) != "no changes" {
		t.Fatalf("re-applying the export of the demo workspace: code %d out %q err %q\n%s", code, out, errOut, exported)
	}
	_, again, _ := runCLI(t, "export", "--data-dir", dir)
	if again != exported {
		t.Fatalf("export not a fixed point:\n%s\n---\n%s", exported, again)
	}
}

func TestApplyBadFileNamesThePath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(file, []byte("version: 1\nimporterz: []\n"), 0o644)
	code, _, errOut := runCLI(t, "apply", "--data-dir", t.TempDir(), file)
	if code != 1 || !strings.Contains(errOut, file) || !strings.Contains(errOut, "line 2") || !strings.Contains(errOut, "importerz") {
		t.Fatalf("code %d stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "apply", "--data-dir", t.TempDir(), filepath.Join(t.TempDir(), "missing.yaml"))
	if code != 1 || !strings.Contains(errOut, "missing.yaml") {
		t.Fatalf("missing file: code %d stderr %q", code, errOut)
	}
}

func TestRefusesNonSQLiteDatabaseFile(t *testing.T) {
	storetest.SQLiteOnly(t) // the data dir's database file
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "fusebox.db")
	os.WriteFile(dbPath, []byte("this is my thesis, not a database"), 0o644)
	code, _, errOut := runCLI(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, dbPath) || !strings.Contains(errOut, "not a SQLite database") {
		t.Fatalf("code %d stderr %q", code, errOut)
	}
	if b, _ := os.ReadFile(dbPath); string(b) != "this is my thesis, not a database" {
		t.Fatal("the file was overwritten")
	}
}

func TestUnwritableDataDir(t *testing.T) {
	// A path under a regular file can never be created, even as root
	// (which ignores permission bits).
	file := filepath.Join(t.TempDir(), "plainfile")
	os.WriteFile(file, nil, 0o644)
	dir := filepath.Join(file, "data")
	code, _, errOut := runCLI(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, dir) {
		t.Fatalf("code %d stderr %q", code, errOut)
	}
}

func TestServeAnswersHealthzAndShutsDownOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	dir := t.TempDir()
	useTestDatabase(t, []string{"--data-dir", dir})
	go func() {
		done <- Run(ctx, "test", []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir}, &out, &errb)
	}()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		// The URL block is printed line by line; "Data dir:" ends it.
		if m := re.FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "Data dir:") {
			base = m[1]
			break
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("no URL printed; stdout %q stderr %q", out.String(), errb.String())
	}
	for _, want := range []string{"/login?code=", "/demo", "/marketplace", "/sdk/importer.js", "/healthz"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed URLs lack %s:\n%s", want, out.String())
		}
	}
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	if info, err := os.Stat(filepath.Join(dir, "admin.token")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("admin.token: %v %v", info, err)
	}

	// A second server on the same port fails with a message naming it.
	addr := strings.TrimPrefix(base, "http://")
	code, _, errOut := runCLI(t, "serve", "--addr", addr, "--data-dir", t.TempDir())
	if code != 1 || !strings.Contains(errOut, addr) || !strings.Contains(errOut, "already in use") {
		t.Errorf("port in use: code %d stderr %q", code, errOut)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d; stderr %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("port still open after shutdown")
	}
}
