package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// servedCLI is `fusebox serve` running in this process, as the binary runs it.
type servedCLI struct {
	t      *testing.T
	base   string // http://127.0.0.1:<port>, whatever address it listens on
	out    *syncBuffer
	errb   *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

func serveCLI(t *testing.T, args ...string) *servedCLI {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &servedCLI{t: t, out: &syncBuffer{}, errb: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	useTestDatabase(t, args)
	go func() { s.done <- Run(ctx, "test", append([]string{"serve"}, args...), s.out, s.errb) }()
	re := regexp.MustCompile(`listening on https?://[^\s]*:(\d+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(s.out.String()); m != nil && strings.Contains(s.out.String(), "Data dir:") {
			s.base = "http://127.0.0.1:" + m[1]
			break
		}
		select {
		case code := <-s.done:
			t.Fatalf("serve %v exited %d: %s", args, code, s.errb.String())
		default:
		}
	}
	if s.base == "" {
		cancel()
		t.Fatalf("serve %v printed no URL; stdout %q stderr %q", args, s.out.String(), s.errb.String())
	}
	return s
}

func (s *servedCLI) status(path string) int {
	s.t.Helper()
	res, err := http.Get(s.base + path)
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (s *servedCLI) stop() {
	s.t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		if code != 0 {
			s.t.Fatalf("serve exited %d: %s", code, s.errb.String())
		}
	case <-time.After(20 * time.Second):
		s.t.Fatal("serve did not stop")
	}
}

const userWorkspace = `version: 1
importers:
  - slug: leads
    name: Leads
    columns:
      - {key: email, label: Email, type: email, required: true}
marketplace:
  org_id: acme-prod
  title: Acme
  listings:
    - id: acme-hook
      name: Acme hook
      category: CRM
      workflow:
        - kind: notify
          message: hi
`

// TestSecurityServeNeverAppliesTheDemoOverAWorkspace: apply a workspace
// to a new data dir, serve it, export it: the export is what was applied
// (the org id and listings are the user's, no demo importer appears), and
// the demo app is off.
func TestSecurityServeNeverAppliesTheDemoOverAWorkspace(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "my.yaml")
	if err := os.WriteFile(file, []byte(userWorkspace), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "apply", "--data-dir", dir, file); code != 0 {
		t.Fatalf("apply: %d %s %s", code, out, errOut)
	}
	code, applied, errOut := runCLI(t, "export", "--data-dir", dir)
	if code != 0 || !strings.Contains(applied, "org_id: acme-prod") {
		t.Fatalf("export after apply: %d %s %s", code, applied, errOut)
	}
	s := serveCLI(t, "--addr", "127.0.0.1:0", "--data-dir", dir)
	if strings.Contains(s.out.String(), "Demo app:") {
		t.Errorf("serve printed the demo app over the user's workspace:\n%s", s.out.String())
	}
	if st := s.status("/demo/api/config"); st != http.StatusNotFound {
		t.Errorf("demo config over the user's workspace: %d", st)
	}
	s.stop()
	code, served, errOut := runCLI(t, "export", "--data-dir", dir)
	if code != 0 || served != applied {
		t.Fatalf("serve changed the applied workspace (code %d, %s):\n--- applied\n%s\n--- after serve\n%s", code, errOut, applied, served)
	}
}

// TestSecurityServeDemoSwitches: a new data dir gets the demo and serves
// it on loopback; --no-demo keeps it off; a non-loopback --addr keeps it
// off unless --demo-on-public; --public-url is the printed base URL.
func TestSecurityServeDemoSwitches(t *testing.T) {
	dir := t.TempDir()
	s := serveCLI(t, "--addr", "127.0.0.1:0", "--data-dir", dir)
	if !strings.Contains(s.out.String(), "Demo app:") || s.status("/demo/api/config") != 200 {
		t.Fatalf("the demo is not served on a new data dir:\n%s", s.out.String())
	}
	s.stop()

	s = serveCLI(t, "--addr", "127.0.0.1:0", "--data-dir", dir, "--no-demo")
	if strings.Contains(s.out.String(), "Demo app:") || s.status("/demo/api/config") != http.StatusNotFound {
		t.Errorf("--no-demo serves the demo:\n%s", s.out.String())
	}
	s.stop()

	s = serveCLI(t, "--addr", "0.0.0.0:0", "--data-dir", dir)
	if strings.Contains(s.out.String(), "Demo app:") || s.status("/demo/api/config") != http.StatusNotFound {
		t.Errorf("a non-loopback address serves the demo:\n%s", s.out.String())
	}
	s.stop()

	s = serveCLI(t, "--addr", "0.0.0.0:0", "--data-dir", dir, "--demo-on-public")
	if !strings.Contains(s.out.String(), "Demo app:") || s.status("/demo/api/config") != 200 {
		t.Errorf("--demo-on-public does not serve the demo:\n%s", s.out.String())
	}
	s.stop()

	s = serveCLI(t, "--addr", "127.0.0.1:0", "--data-dir", dir, "--public-url", "https://fusebox.example.com/")
	if !strings.Contains(s.out.String(), "Demo app:     https://fusebox.example.com/demo") {
		t.Errorf("--public-url is not the printed base URL:\n%s", s.out.String())
	}
	s.stop()

	if code, _, errOut := runCLI(t, "serve", "--data-dir", dir, "--public-url", "ftp://x"); code != 2 || !strings.Contains(errOut, "--public-url") {
		t.Errorf("bad --public-url: %d %s", code, errOut)
	}
}
