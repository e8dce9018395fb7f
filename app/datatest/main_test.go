// Package datatest_test holds the data dir's life-cycle tests against the
// real fusebox binary (built once in TestMain): a backup taken while the
// server imports and delivers, restored into a new dir; and a data dir
// written by an earlier release opened by this one.
package datatest_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fusebox/app/testbin"
)

var bin string

func TestMain(m *testing.M) { testbin.Main(m, &bin, "v0.0.0-datatest") }

// server is one running `fusebox serve`.
type server struct{ *testbin.Server }

// startServer starts the binary on a free port over dir and stops it
// (SIGTERM) when the test ends.
func startServer(t *testing.T, dir string) *server {
	t.Helper()
	return &server{testbin.Start(t, bin, dir, nil)}
}

// call sends a request with the bearer token (if any) and a JSON body (if
// any); out (if not nil) receives the JSON answer.
func (s *server) call(method, path, bearer string, body any, out any) int {
	s.T.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.T.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.T.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 && res.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.T.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return res.StatusCode
}

// admin calls the console API with the admin token.
func (s *server) admin(method, path string, body any, out any) int {
	s.T.Helper()
	return s.call(method, path, s.Token, body, out)
}

// run runs a fusebox command and returns its stdout, stderr and error.
func run(args ...string) (string, string, error) { return testbin.Run(bin, nil, args...) }

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

// waitFor polls cond until it holds (testbin.WaitFor).
func waitFor(t *testing.T, what string, bound time.Duration, cond func() bool) {
	t.Helper()
	testbin.WaitFor(t, what, bound, cond)
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
