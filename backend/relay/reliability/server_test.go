// Package reliability_test runs the relay's reliability tests against the
// real fusebox binary: built once in TestMain, started with
// `serve --addr 127.0.0.1:0 --data-dir D`, fed through the real importer
// (`fusebox import`) and the inbound relay, and killed with SIGKILL.
package reliability_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

func TestMain(m *testing.M) { testbin.Main(m, &bin, "") }

// server is one running `fusebox serve`.
type server struct{ *testbin.Server }

// startServer starts the binary on a free port over dir with env added to
// the environment, and stops it (SIGTERM) when the test ends.
func startServer(t *testing.T, dir string, env []string) *server {
	t.Helper()
	return &server{testbin.Start(t, bin, dir, env)}
}

// kill9 kills the server with SIGKILL: no shutdown, no flush.
func (s *server) kill9() { s.Kill9() }

// api calls the console API as admin; out (if not nil) receives the JSON.
func (s *server) api(method, path string, body any, out any) int {
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
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.T.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return res.StatusCode
}

// post sends a public request (no admin token).
func (s *server) post(path string, headers map[string]string, body string) (int, string) {
	s.T.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
	if err != nil {
		s.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json") // the inbound relay takes JSON only
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// cli runs a fusebox subcommand and returns its stdout; it fails the test
// on a non-zero exit.
func cli(t *testing.T, env []string, args ...string) string {
	t.Helper()
	stdout, stderr, err := testbin.Run(bin, env, args...)
	if err != nil {
		t.Fatalf("fusebox %s: %v\n%s%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// waitFor polls cond until it holds (testbin.WaitFor).
func waitFor(t *testing.T, what string, bound time.Duration, cond func() bool) {
	t.Helper()
	testbin.WaitFor(t, what, bound, cond)
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
		s.T.Fatalf("stats %s: HTTP %d", dest, code)
	}
	return st
}

// settled waits until dest has no pending work and at least n deliveries.
func (s *server) settled(dest string, n int64) stats {
	s.T.Helper()
	var st stats
	waitFor(s.T, "deliveries of "+dest+" to settle", 60*time.Second, func() bool {
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
	s.T.Helper()
	var out struct {
		Deliveries []delivery `json:"deliveries"`
	}
	if code := s.api("GET", "/api/admin/relay/deliveries?"+query, nil, &out); code != 200 {
		s.T.Fatalf("deliveries?%s: HTTP %d", query, code)
	}
	var full []delivery
	for _, d := range out.Deliveries {
		var dd delivery
		if code := s.api("GET", fmt.Sprintf("/api/admin/relay/deliveries/%d", d.ID), nil, &dd); code != 200 {
			s.T.Fatalf("delivery %d: HTTP %d", d.ID, code)
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
