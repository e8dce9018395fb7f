// Package datatest_test holds the data dir's life-cycle tests against the
// real fusebox binary (built once in TestMain): a backup taken while the
// server imports and delivers, restored into a new dir; and a data dir
// written by an earlier release opened by this one.
package datatest_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
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
	dir, err := os.MkdirTemp("", "fusebox-datatest-")
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
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v0.0.0-datatest", "-o", bin, ".")
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
	stderr *syncBuffer
	exited chan struct{}
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

// startServer starts the binary on a free port over dir and stops it
// (SIGTERM) when the test ends.
func startServer(t *testing.T, dir string) *server {
	t.Helper()
	s := &server{t: t, stderr: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--no-demo")
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

// call sends a request with the bearer token (if any) and a JSON body (if
// any); out (if not nil) receives the JSON answer.
func (s *server) call(method, path, bearer string, body any, out any) int {
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
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 && res.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return res.StatusCode
}

// admin calls the console API with the admin token.
func (s *server) admin(method, path string, body any, out any) int {
	s.t.Helper()
	return s.call(method, path, s.token, body, out)
}

// run runs a fusebox command and returns its stdout, stderr and error.
func run(args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// cli runs a fusebox command and fails the test on a non-zero exit.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	out, errb, err := run(args...)
	if err != nil {
		t.Fatalf("fusebox %s: %v\n%s%s", strings.Join(args, " "), err, out, errb)
	}
	return out
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
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

// receiver is a loopback HTTP receiver the relay delivers to; each
// request takes delay, so deliveries are in flight while a test acts.
type receiver struct {
	url string
	mu  sync.Mutex
	n   int
}

func newReceiver(t *testing.T, delay time.Duration) *receiver {
	t.Helper()
	rc := &receiver{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(delay)
		rc.mu.Lock()
		rc.n++
		rc.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})}
	rc.url = "http://" + ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rc
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.n
}

// peopleWorkspace is a workspace with one importer whose records go to
// url, one delivery per record.
func peopleWorkspace(url string) string {
	return `version: 1
importers:
  - slug: people
    name: People
    settings:
      invalid_rows: exclude
    columns:
      - {key: email, label: Email, type: email, required: true}
      - {key: name, label: Name, type: string}
      - {key: n, label: N, type: integer}
destinations:
  - id: receiver
    importer: people
    url: ` + url + `/records
    batch: 0
    concurrency: 2
    retry: [100ms, 200ms, 500ms]
`
}

func applyWorkspace(t *testing.T, dir, yaml string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "workspace.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cli(t, "apply", "--data-dir", dir, path)
}

// writeCSV writes rows people rows numbered from first.
func writeCSV(t *testing.T, dir string, first, rows int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("Email,Name,N\n")
	for i := first; i < first+rows; i++ {
		fmt.Fprintf(&b, "p%d@example.com,Person %d,%d\n", i, i, i)
	}
	path := filepath.Join(dir, fmt.Sprintf("people-%d.csv", first))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// signLink signs a marketplace link token (HS256) with secret.
func signLink(t *testing.T, orgID, secretID, secret, userID string) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now()
	head := enc(map[string]any{"alg": "HS256", "typ": "JWT", "kid": secretID})
	body := enc(map[string]any{"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "orgId": orgID,
		"user": map[string]any{"externalId": userID, "email": userID + "@example.com"}})
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(head + "." + body))
	return head + "." + body + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
