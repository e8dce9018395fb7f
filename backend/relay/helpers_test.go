package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/relay"
	"fusebox/backend/sessions"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// env is a relay over a real database, with the real importer (records,
// submit hook) and sessions (token checks) wired the way main wires them.
type env struct {
	t        *testing.T
	dir      string
	db       *store.DB
	dbURL    string // where db lives (storetest.Location)
	dbPath   string
	relay    *relay.Service
	importer *importer.Service
	sessions *sessions.Service

	mu      sync.Mutex
	secrets map[string]string
}

type envOption func(*relay.Options)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	dbURL, dbPath := storetest.Location(t)
	return newEnvAt(t, t.TempDir(), dbURL, dbPath, opts...)
}

// replica is another relay over its own handle of e's database (with its
// own importer and sessions, sharing e's key files): what a second replica
// of a team server runs.
func (e *env) replica(opts ...envOption) *env {
	e.t.Helper()
	return newEnvAt(e.t, e.dir, e.dbURL, e.dbPath, opts...)
}

// newEnvAt is a relay over the database at dbURL or dbPath (opened here)
// with its files in dir.
func newEnvAt(t *testing.T, dir, dbURL, dbPath string, opts ...envOption) *env {
	t.Helper()
	db, err := store.OpenDatabase(context.Background(), dbURL, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{t: t, dir: dir, db: db, dbURL: dbURL, dbPath: dbPath, secrets: map[string]string{}}
	e.importer = importer.New(db, dir, log)
	e.sessions = sessions.New(db, sessions.TTLFunc(func(context.Context, string) (time.Duration, error) { return 0, nil }),
		sessions.Options{KeyFile: filepath.Join(dir, "sessions.key"), Logger: log})
	o := relay.Options{Logger: log, Secrets: e.secret, Tokens: tokens{e.sessions}, Records: records{e.importer}}
	for _, f := range opts {
		f(&o)
	}
	e.relay = relay.New(db, o)
	// The names these tests' destinations read; setSecret declares more.
	if err := e.relay.SetDeclaredSecrets(context.Background(), []string{"CRM_API_KEY", "CRM_SIGNING", "CRM_SIGNING_SECRET",
		"LATER_KEY", "ROUTE_TOKEN", "UNSET_ONE"}); err != nil {
		t.Fatal(err)
	}
	e.importer.OnSubmit(func(ctx context.Context, tx *store.Tx, imp importer.Import) error {
		return e.relay.OnImportSubmitted(ctx, tx, relay.ImportInfo{Slug: imp.Slug, Importer: imp.Template.Slug, Status: imp.Status,
			UserID: imp.UserID, Metadata: imp.Metadata, FileName: imp.FileName, RowCount: imp.RowCount, RecordCount: imp.RecordCount})
	})
	return e
}

func (e *env) secret(name string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.secrets[name]
	return v, ok
}

// setSecret sets an environment secret and declares its name.
func (e *env) setSecret(name, value string) {
	e.t.Helper()
	e.mu.Lock()
	e.secrets[name] = value
	e.mu.Unlock()
	ctx := context.Background()
	names, err := e.relay.DeclaredSecrets(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, n := range names {
		if n == name {
			return
		}
	}
	if err := e.relay.SetDeclaredSecrets(ctx, append(names, name)); err != nil {
		e.t.Fatal(err)
	}
}

// tokens adapts sessions to the relay as main does.
type tokens struct{ s *sessions.Service }

func (t tokens) VerifyImporterToken(ctx context.Context, token, slug string) (map[string]any, error) {
	sess, err := t.s.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	if slug != "" && sess.ImporterSlug != slug {
		return nil, errs.Unauthorized("the session is for importer %q, not %q", sess.ImporterSlug, slug)
	}
	return sess.Metadata, nil
}

type records struct{ s *importer.Service }

func (r records) StreamRecords(ctx context.Context, slug string, fn func(int64, []byte) error) error {
	return r.s.StreamRecords(ctx, slug, func(rec importer.Record) error { return fn(rec.Sort, rec.Data) })
}

// startWorker runs a worker until the test ends.
func (e *env) startWorker(o relay.WorkerOptions) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	w := e.relay.NewWorker(o)
	go func() {
		w.Run(ctx)
		close(done)
	}()
	e.t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (e *env) create(d relay.Destination) {
	e.t.Helper()
	if _, err := e.relay.CreateDestination(context.Background(), d); err != nil {
		e.t.Fatal(err)
	}
}

// enqueue queues records for a destination as the inbound relay does.
func (e *env) enqueue(dest string, recs []string, o relay.EnqueueOptions) relay.EnqueueResult {
	e.t.Helper()
	var raw [][]byte
	for _, r := range recs {
		raw = append(raw, []byte(r))
	}
	res, err := e.relay.EnqueueRecords(context.Background(), dest, raw, o)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// waitFor polls cond until it holds, failing the test after a generous
// bound (this is a wait for an event, not a performance assertion).
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// idlePasses makes o report each idle dispatch pass (WorkerOptions.OnIdle)
// on the returned channel; waitIdle reads it.
func idlePasses(o relay.WorkerOptions) (relay.WorkerOptions, <-chan struct{}) {
	ch := make(chan struct{}, 1)
	o.OnIdle = func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return o, ch
}

// waitIdle waits for n idle dispatch passes that end after the call: the
// worker looked for due work n times, found none and had nothing in flight.
// This is how a test says "nothing more is sent", without sleeping.
func (e *env) waitIdle(idle <-chan struct{}, n int) {
	e.t.Helper()
	select { // a pass reported before the call does not count
	case <-idle:
	default:
	}
	deadline := time.After(30 * time.Second)
	for i := 0; i <= n; i++ { // the first may have started before the call
		select {
		case <-idle:
		case <-deadline:
			e.t.Fatalf("timed out waiting for idle worker pass %d of %d", i+1, n+1)
		}
	}
}

func (e *env) stats(dest string) relay.Stats {
	e.t.Helper()
	st, err := e.relay.Stats(context.Background(), dest)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// waitSettled waits until dest has no pending deliveries or jobs and n
// deliveries in total.
func (e *env) waitSettled(dest string, n int64) relay.Stats {
	e.t.Helper()
	var st relay.Stats
	e.waitFor(fmt.Sprintf("%d settled deliveries of %s", n, dest), func() bool {
		st = e.stats(dest)
		var total int64
		for _, c := range st.ByStatus {
			total += c
		}
		return st.ByStatus[relay.StatusPending] == 0 && st.PendingJobs == 0 && total >= n
	})
	return st
}

func (e *env) deliveries(f relay.DeliveryFilter) []relay.Delivery {
	e.t.Helper()
	f.Limit = 500
	ds, err := e.relay.ListDeliveries(context.Background(), f)
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

func (e *env) detail(id int64) relay.DeliveryDetail {
	e.t.Helper()
	d, err := e.relay.GetDelivery(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// receiver is a loopback HTTP server that records what it gets and
// answers with respond (default 200).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(n int, r *http.Request, w http.ResponseWriter) int
}

type received struct {
	at     time.Time
	method string
	uri    string
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, respond func(n int, r *http.Request, w http.ResponseWriter) int) *receiver {
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.got)
		rc.got = append(rc.got, received{at: time.Now(), method: r.Method, uri: r.URL.RequestURI(), header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
		status := http.StatusOK
		if rc.respond != nil {
			status = rc.respond(n, r, w)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"n":%d}`, n)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func ms(n int) relay.Duration { return relay.Duration(time.Duration(n) * time.Millisecond) }
