// Package reliability_test runs the relay's reliability tests against the
// real fusebox binary: built once in TestMain, started with
// `serve --addr 127.0.0.1:0 --data-dir D`, fed through the real importer
// (`fusebox import`) and the inbound relay, and killed with SIGKILL.
package reliability_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fusebox-relay-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "find the module root:", err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "fusebox")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = strings.TrimSpace(string(root))
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's stderr.
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

// server is one running `fusebox serve`.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	token  string
	dir    string
	stderr *syncBuffer
	exited chan struct{}
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

// startServer starts the binary on a free port over dir with env added to
// the environment, and stops it (SIGTERM) when the test ends.
func startServer(t *testing.T, dir string, env []string) *server {
	t.Helper()
	s := &server{t: t, dir: dir, stderr: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--no-demo")
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stderr = s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	select {
	case s.url = <-urls:
	case <-s.exited:
		t.Fatalf("fusebox serve exited before listening:\n%s", s.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("fusebox serve did not print its URL in 30s:\n%s", s.stderr.String())
	}
	tok, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	s.token = strings.TrimSpace(string(tok))
	t.Cleanup(s.stop)
	return s
}

func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	if s.t.Failed() {
		s.t.Logf("server log:\n%s", s.stderr.String())
	}
}

// kill9 kills the server with SIGKILL: no shutdown, no flush.
func (s *server) kill9() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatal(err)
	}
	<-s.exited
}

// api calls the console API as admin; out (if not nil) receives the JSON.
func (s *server) api(method, path string, body any, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return res.StatusCode
}

// post sends a public request (no admin token).
func (s *server) post(path string, headers map[string]string, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json") // the inbound relay takes JSON only
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// cli runs a fusebox subcommand and returns its stdout; it fails the test
// on a non-zero exit.
func cli(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("fusebox %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// waitFor polls cond until it holds; the bound is generous (a wait for an
// event, not a performance assertion).
func waitFor(t *testing.T, what string, bound time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", bound, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stats are the relay's delivery counts for a destination.
type stats struct {
	ByStatus    map[string]int64 `json:"by_status"`
	Records     map[string]int64 `json:"records"`
	PendingJobs int64            `json:"pending_jobs"`
}

func (s *server) stats(dest string) stats {
	var st stats
	if code := s.api("GET", "/api/admin/relay/stats?destination="+dest, nil, &st); code != 200 {
		s.t.Fatalf("stats %s: HTTP %d", dest, code)
	}
	return st
}

// settled waits until dest has no pending work and at least n deliveries.
func (s *server) settled(dest string, n int64) stats {
	s.t.Helper()
	var st stats
	waitFor(s.t, "deliveries of "+dest+" to settle", 60*time.Second, func() bool {
		st = s.stats(dest)
		var total int64
		for _, c := range st.ByStatus {
			total += c
		}
		return st.ByStatus["pending"] == 0 && st.PendingJobs == 0 && total >= n
	})
	return st
}

type delivery struct {
	ID       int64  `json:"id"`
	UID      string `json:"uid"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Attempts []struct {
		StatusCode int    `json:"status_code"`
		Outcome    string `json:"outcome"`
		Error      string `json:"error"`
	} `json:"attempt_log"`
	Request struct {
		Body string `json:"body"`
	} `json:"request"`
}

func (s *server) deliveries(query string) []delivery {
	s.t.Helper()
	var out struct {
		Deliveries []delivery `json:"deliveries"`
	}
	if code := s.api("GET", "/api/admin/relay/deliveries?"+query, nil, &out); code != 200 {
		s.t.Fatalf("deliveries?%s: HTTP %d", query, code)
	}
	var full []delivery
	for _, d := range out.Deliveries {
		var dd delivery
		if code := s.api("GET", fmt.Sprintf("/api/admin/relay/deliveries/%d", d.ID), nil, &dd); code != 200 {
			s.t.Fatalf("delivery %d: HTTP %d", d.ID, code)
		}
		full = append(full, dd)
	}
	return full
}

// receiver is a loopback HTTP receiver for the server to deliver to.
type receiver struct {
	srv     *http.Server
	url     string
	mu      sync.Mutex
	got     []received
	respond func(n int, r *http.Request, w http.ResponseWriter) int
}

type received struct {
	at     time.Time
	uri    string
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, respond func(n int, r *http.Request, w http.ResponseWriter) int) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.got)
		rc.got = append(rc.got, received{at: time.Now(), uri: r.URL.RequestURI(), header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
		status := http.StatusOK
		if rc.respond != nil {
			status = rc.respond(n, r, w)
		}
		w.WriteHeader(status)
	})
	ln, err := listen()
	if err != nil {
		t.Fatal(err)
	}
	rc.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	rc.url = "http://" + ln.Addr().String()
	go rc.srv.Serve(ln)
	t.Cleanup(func() { rc.srv.Close() })
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// people is the importer the tests import with.
const peopleImporter = `importers:
  - slug: people
    name: People
    settings:
      invalid_rows: exclude
    columns:
      - key: email
        label: Email
        type: email
        required: true
      - key: first_name
        label: First name
        type: string
      - key: last_name
        label: Last name
        type: string
      - key: n
        label: N
        type: integer
`

func writeCSV(t *testing.T, dir string, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("Email,First name,Last name,N\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "p%d@example.com,First%d,Last%d,%d\n", i, i, i, i)
	}
	path := filepath.Join(dir, fmt.Sprintf("people-%d.csv", n))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func applyWorkspace(t *testing.T, dir, yaml string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "workspace.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cli(t, nil, "apply", "--data-dir", dir, path)
}
