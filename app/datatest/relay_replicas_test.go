package datatest_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"fusebox/app/testbin"
	"fusebox/internal/pgtest"
)

// Two `fusebox serve --database URL` replicas on one PostgreSQL database
// deliver a 10,000-record import to a loopback receiver, one request per
// record. The replica sending is killed with SIGKILL part way; the other
// takes its lane and its deliveries over once their leases expire
// (FUSEBOX_RELAY_LEASE=2s here) and finishes: every record arrives, and a
// record that arrived twice (sent by the dead replica, its outcome never
// written) came both times with the same idempotency id.
func TestReplicaKilledDuringDeliveryOtherFinishes(t *testing.T) {
	dbURL := pgtest.CreateDatabase(t, "")
	const records = 10_000
	rc := newIDReceiver(t)
	env := []string{"FUSEBOX_DATABASE_URL=" + dbURL, "FUSEBOX_RELAY_LEASE=2s"}

	dirA, dirB := t.TempDir(), t.TempDir()
	a := testbin.Start(t, bin, dirA, env)
	for _, k := range []string{"sessions.key", "secrets.key", "admin.token"} { // the replicas share their keys (as a --key-dir would)
		b, err := os.ReadFile(filepath.Join(dirA, k))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dirB, k), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b := testbin.Start(t, bin, dirB, env)

	ws := filepath.Join(t.TempDir(), "workspace.yaml")
	if err := os.WriteFile(ws, []byte(`version: 1
importers:
  - slug: people
    name: People
    columns:
      - {key: email, label: Email, type: email, required: true}
      - {key: name, label: Name, type: string}
      - {key: n, label: N, type: integer}
destinations:
  - id: receiver
    importer: people
    url: `+rc.url+`/records
    batch: 0
    concurrency: 4
    retry: [100ms, 200ms, 500ms]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cli(t, "apply", "--data-dir", dirA, "--database", dbURL, ws)
	cli(t, "import", "--data-dir", dirA, "--database", dbURL, "--importer", "people", writeCSV(t, t.TempDir(), 1, records))

	waitFor(t, "a fifth of the records delivered", 2*time.Minute, func() bool { return rc.distinct() >= records/5 })
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Kill the replica whose worker holds the destination's lane (the one
	// sending), by the worker id each replica logs at start.
	var victim, survivor *testbin.Server
	waitFor(t, "the replica holding the lane", time.Minute, func() bool {
		var owner string
		if err := conn.QueryRow(ctx, `SELECT lane_owner FROM relay_lanes WHERE destination_id = 'receiver'`).Scan(&owner); err != nil || owner == "" {
			return false
		}
		for _, s := range []*testbin.Server{a, b} {
			if workerID(s) == owner {
				victim = s
			} else {
				survivor = s
			}
		}
		return victim != nil
	})
	victim.Kill9()
	atKill, dupAtKill := rc.distinct(), rc.twice()
	var recorded int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM relay_deliveries WHERE status = 'delivered'`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	// What the receiver got beyond what the database recorded was sent
	// but not yet written by the killed replica: it is sent again.
	t.Logf("killed the replica sending (%s) with %d of %d records received (%d of them twice), %d recorded delivered", victim.Dir, atKill, records, dupAtKill, recorded)
	if atKill >= records {
		t.Fatalf("all %d records were delivered before the kill: nothing left for the other replica", records)
	}

	waitFor(t, "every record delivered by the replica left", 3*time.Minute, func() bool {
		if rc.distinct() < records {
			return false
		}
		var pending int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM relay_deliveries WHERE status = 'pending'`).Scan(&pending)
		return err == nil && pending == 0
	})
	var delivered, total int
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'delivered'), count(*) FROM relay_deliveries WHERE destination_id = 'receiver'`).Scan(&delivered, &total); err != nil {
		t.Fatal(err)
	}
	if delivered != records || total != records {
		t.Errorf("%d deliveries, %d delivered; want %d of each", total, delivered, records)
	}
	var owner string
	if err := conn.QueryRow(ctx, `SELECT lane_owner FROM relay_lanes WHERE destination_id = 'receiver'`).Scan(&owner); err == nil && owner != "" && owner != workerID(survivor) {
		t.Errorf("the lane is held by %s, which is not the replica left (%s)", owner, workerID(survivor))
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	dup, idOf := 0, map[string]int{}
	for n := 1; n <= records; n++ {
		ids := rc.ids[n]
		if len(ids) == 0 {
			t.Errorf("record %d never arrived", n)
			continue
		}
		if len(ids) > 1 {
			dup++
		}
		for _, id := range ids {
			if id == "" || id != ids[0] {
				t.Errorf("record %d arrived with idempotency ids %q: a record sent again must keep its id", n, ids)
				break
			}
		}
		if m, ok := idOf[ids[0]]; ok {
			t.Errorf("records %d and %d share the idempotency id %s", m, n, ids[0])
		}
		idOf[ids[0]] = n
	}
	t.Logf("%d records arrived more than once, each time with one id; %d requests in all", dup, rc.requests)
	for _, s := range []*testbin.Server{a, b} {
		for _, line := range strings.Split(s.Stderr.String(), "\n") {
			if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
				t.Logf("%s: %s", s.Dir, line)
			}
		}
	}
}

var workerRE = regexp.MustCompile(`relay: worker started" worker=(w_\S+)`)

// workerID is the relay worker id s logged at start.
func workerID(s *testbin.Server) string {
	if m := workerRE.FindStringSubmatch(s.Stderr.String()); m != nil {
		return m[1]
	}
	return ""
}

// idReceiver records the idempotency ids (webhook-id) each record (its n
// field) arrived with.
type idReceiver struct {
	url      string
	mu       sync.Mutex
	ids      map[int][]string
	requests int
}

func newIDReceiver(t *testing.T) *idReceiver {
	t.Helper()
	rc := &idReceiver{ids: map[int][]string{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var rec struct {
			N int `json:"n"`
		}
		if err := json.Unmarshal(raw, &rec); err != nil || rec.N <= 0 {
			http.Error(w, "want a record with n", http.StatusBadRequest)
			return
		}
		time.Sleep(time.Millisecond) // requests overlap, so some are in flight at the kill
		rc.mu.Lock()
		rc.ids[rec.N] = append(rc.ids[rec.N], r.Header.Get("webhook-id"))
		rc.requests++
		rc.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})}
	rc.url = "http://" + ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rc
}

// twice is the number of records that arrived more than once.
func (rc *idReceiver) twice() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, ids := range rc.ids {
		if len(ids) > 1 {
			n++
		}
	}
	return n
}

// distinct is the number of records that arrived at least once.
func (rc *idReceiver) distinct() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.ids)
}
