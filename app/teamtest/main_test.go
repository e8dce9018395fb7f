// Package teamtest runs two real `fusebox serve --database URL` replicas
// on one PostgreSQL database (the throwaway cluster of
// scripts/pg-test-cluster.sh) behind a round-robin reverse proxy, as a team
// server runs behind a load balancer.
package teamtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fusebox/app/testbin"
	"fusebox/internal/pgtest"
)

var bin string

func TestMain(m *testing.M) { testbin.Main(m, &bin, "v0.0.0-teamtest") }

// cluster is a database on the test cluster and the replicas serving it.
type cluster struct {
	t        *testing.T
	url      string // the database's URL
	dirs     []string
	replicas []*testbin.Server
	proxy    *testbin.RoundRobin
	token    string // the admin token all replicas share
}

// newCluster makes an empty database, applies workspace to it (the first
// data dir makes the key files; the others get copies, as an operator
// copies them to every replica) and starts n replicas behind a
// round-robin proxy.
func newCluster(t *testing.T, n int, workspace string) *cluster {
	t.Helper()
	return newClusterWith(t, n, workspace, nil)
}

// newClusterWith is newCluster with env added to each replica's
// environment and args to its serve flags.
func newClusterWith(t *testing.T, n int, workspace string, env []string, args ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, url: pgtest.CreateDatabase(t, "")}
	for range n {
		c.dirs = append(c.dirs, t.TempDir())
	}
	ws := filepath.Join(t.TempDir(), "workspace.yaml")
	if err := os.WriteFile(ws, []byte(workspace), 0o600); err != nil {
		t.Fatal(err)
	}
	c.cli("apply", "--data-dir", c.dirs[0], "--database", c.url, ws)
	c.token = strings.Repeat("7e", 32)
	if err := os.WriteFile(filepath.Join(c.dirs[0], "admin.token"), []byte(c.token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	shareKeyFiles(t, c.dirs[0], c.dirs[1:]...)
	var urls []string
	for _, d := range c.dirs {
		s := testbin.Start(t, bin, d, append([]string{"FUSEBOX_DATABASE_URL=" + c.url}, env...), args...)
		if s.Token != c.token {
			t.Fatalf("replica over %s uses admin token %q, want the shared one", d, s.Token)
		}
		c.replicas = append(c.replicas, s)
		urls = append(urls, s.URL)
	}
	c.proxy = testbin.StartRoundRobin(t, urls...)
	return c
}

// shareKeyFiles copies the key files and the admin token of from into
// each of to.
func shareKeyFiles(t *testing.T, from string, to ...string) {
	t.Helper()
	for _, f := range []string{"sessions.key", "secrets.key", "admin.token"} {
		raw, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			t.Fatalf("key material of the first replica: %v", err)
		}
		for _, d := range to {
			if err := os.WriteFile(filepath.Join(d, f), raw, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func (c *cluster) cli(args ...string) string {
	c.t.Helper()
	out, errb, err := testbin.Run(bin, nil, args...)
	if err != nil {
		c.t.Fatalf("fusebox %s: %v\n%s%s", strings.Join(args, " "), err, out, errb)
	}
	return out
}

// answer is one HTTP answer and the replica that gave it.
type answer struct {
	status  int
	body    []byte
	replica int // -1: not through the proxy
}

// do sends a request to base (the proxy or one replica) with the bearer
// token and JSON body (if any); out receives a 2xx JSON answer.
func (c *cluster) do(base, method, path string, headers map[string]string, body any, out any) answer {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, ok := body.(string); !ok && body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, body: raw, replica: -1}
	if v := res.Header.Get(testbin.ReplicaHeader); v != "" {
		a.replica, _ = strconv.Atoi(v)
	}
	if out != nil && res.StatusCode < 300 && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return a
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// waitFor polls cond until it holds (a wait for an event, not a timing
// assertion).
func waitFor(t *testing.T, what string, bound time.Duration, cond func() bool) {
	t.Helper()
	testbin.WaitFor(t, what, bound, cond)
}

// receiver is a loopback HTTP receiver: it answers 200 and keeps each
// request's path, idempotency key and body.
type receiver struct {
	url string
	mu  sync.Mutex
	got []received
}

type received struct {
	path, idempotency string
	body              []byte
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{path: r.URL.Path, idempotency: r.Header.Get("Idempotency-Key"), body: b})
		rc.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})}
	rc.url = "http://" + ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rc
}

// on is what arrived at path.
func (rc *receiver) on(path string) []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []received
	for _, r := range rc.got {
		if r.path == path {
			out = append(out, r)
		}
	}
	return out
}

func csvOf(rows int) string {
	var b strings.Builder
	b.WriteString("Email,Name,N\n")
	for i := 1; i <= rows; i++ {
		email := fmt.Sprintf("p%d@example.com", i)
		if i%10 == 0 {
			email = fmt.Sprintf("broken-%d", i) // an error to fix in the review
		}
		fmt.Fprintf(&b, "%s,Person %d,%d\n", email, i, i)
	}
	return b.String()
}
