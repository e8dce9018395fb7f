package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
	"fusebox/backend/schema"
	"fusebox/backend/sink"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"

	"github.com/jackc/pgx/v5"
)

// received is what the test receiver saw.
type received struct {
	auth, key, team string
}

// TestInstallSecretsTravelByReference installs a listing whose relay_route
// sends a secret config field in a header and in the query, through the
// marketplace with the real relay wired, and checks that the secret is
// nowhere in the database files or the log while the receiver gets it.
func TestInstallSecretsTravelByReference(t *testing.T) {
	const apiKey = "sk_live 7Qw/9+zX&k=v" // characters that need escaping in a URL
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	dir := t.TempDir()
	var logs syncBuffer
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, dir), DataDir: dir, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	stopWorkers := runWorkers(t, ctx, cancel, a)

	got := make(chan received, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The receiver also records the request in the built-in sink, as
		// this server's own /sink does when a route points there.
		if _, err := a.Sink.Record(r.Context(), "crm", r); err != nil {
			t.Errorf("sink record: %v", err)
		}
		got <- received{auth: r.Header.Get("Authorization"), key: r.URL.Query().Get("key"), team: r.Header.Get("X-Team")}
		// A receiver that echoes the credential: the stored response must
		// not keep it.
		_, _ = io.WriteString(w, `{"echo":"`+r.Header.Get("Authorization")+`"}`)
	}))
	defer srv.Close()

	m := a.Marketplace
	if _, err := m.CreateSecret(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.SaveListing(ctx, marketplace.Listing{
		ID: "crm", Name: "CRM",
		ConfigFields: []marketplace.ConfigField{
			{Name: "api_key", Label: "API key", Type: "password", Required: true},
			{Name: "team", Label: "Team", Type: "text"},
		},
		Workflow: []marketplace.Step{{Kind: marketplace.StepRelayRoute, Name: "route", Method: "POST",
			URL:     srv.URL + "/hook?key={{config.api_key}}",
			Headers: map[string]string{"Authorization": "Bearer {{config.api_key}}", "X-Team": "{{config.team}}"}}},
	}); err != nil {
		t.Fatal(err)
	}
	link, err := m.SignLink(ctx, marketplace.LinkRequest{ExternalID: "user-1", ListingID: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	login, err := m.Login(ctx, link.Token)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := m.StartInstall(ctx, login.Session, marketplace.InstallRequest{ListingID: "crm", Config: map[string]string{"api_key": apiKey, "team": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	for inst.Status == marketplace.StatusRunning {
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
		time.Sleep(10 * time.Millisecond)
		if inst, err = m.Install(ctx, login.Session.User.ID, inst.ID); err != nil {
			t.Fatal(err)
		}
	}
	if inst.Status != marketplace.StatusInstalled || inst.DestinationID == "" {
		t.Fatalf("install: status %s, destination %q, error %q", inst.Status, inst.DestinationID, inst.Error)
	}
	view, err := a.Relay.GetDestination(ctx, inst.DestinationID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(view.Destination.URL, `{{ install_secret "api_key" }}`) {
		t.Fatalf("route URL %q does not reference the install secret", view.Destination.URL)
	}

	res, err := a.Relay.EnqueueRecords(ctx, inst.DestinationID, [][]byte{[]byte(`{"email":"a@example.com"}`)}, relay.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deliveries != 1 {
		t.Fatalf("enqueued %+v", res)
	}
	deliveryID := onlyDelivery(t, a, inst.DestinationID)
	var r received
	select {
	case r = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("the receiver got no request")
	}
	if r.auth != "Bearer "+apiKey || r.key != apiKey || r.team != "blue" {
		t.Fatalf("receiver got %+v", r)
	}
	var dd relay.DeliveryDetail
	for {
		if dd, err = a.Relay.GetDelivery(ctx, deliveryID); err != nil {
			t.Fatal(err)
		}
		if dd.Status == relay.StatusDelivered {
			break
		}
		if dd.Status == relay.StatusFailed || ctx.Err() != nil {
			t.Fatalf("delivery %s: %s", dd.Status, dd.Reason)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What the console shows: the request with the secret masked.
	var shown strings.Builder
	for _, h := range dd.Request.Headers {
		shown.WriteString(h[0] + ": " + h[1] + "\n")
	}
	shown.WriteString(dd.Request.URL)
	for _, a := range dd.Attempts {
		shown.WriteString(a.Response)
	}
	if strings.Contains(shown.String(), "sk_live") || !strings.Contains(shown.String(), "Authorization: Bearer «install secret api_key: set»") {
		t.Fatalf("console view of the delivery:\n%s", shown.String())
	}

	// What the console's sink viewer shows: the install secret masked in
	// the header and, URL-escaped, in the query.
	sunk, _, _ := a.Sink.Requests(ctx, "crm", 0, 10)
	sunk = sink.Mask(sunk, a.Relay.SecretMasker(ctx, sink.LastReceived(sunk)))
	if len(sunk) != 1 {
		t.Fatalf("sink holds %d requests, want 1", len(sunk))
	}
	var seen strings.Builder
	seen.WriteString(sunk[0].URL + "\n")
	for _, h := range sunk[0].Headers {
		seen.WriteString(h[0] + ": " + h[1] + "\n")
	}
	if strings.Contains(seen.String(), "sk_live") || !strings.Contains(seen.String(), "Bearer «install secret api_key»") ||
		!strings.Contains(sunk[0].URL, "key=«install secret api_key»") {
		t.Fatalf("the sink viewer shows:\n%s", seen.String())
	}

	assertNoSecret := func(when string) {
		t.Helper()
		for _, where := range databaseHolds(t, dir, "sk_live") {
			t.Errorf("%s: %s holds the install secret in plaintext", when, where)
		}
	}
	// The check can fail: it finds what the database does hold in
	// plaintext (the end user's external id).
	if len(databaseHolds(t, dir, "user-1")) == 0 {
		t.Fatal("the database holds no end user \"user-1\" for this check: it would pass whatever the database holds")
	}
	assertNoSecret("while open")
	if strings.Contains(logs.String(), "sk_live") {
		t.Errorf("the log holds the install secret:\n%s", logs.String())
	}

	// Removing the install makes later deliveries fail with a clear reason.
	if _, err := m.Uninstall(ctx, login.Session.User.ID, inst.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.InstallSecret(ctx, inst.ID, "api_key"); err == nil || !strings.Contains(err.Error(), "was removed") {
		t.Fatalf("install secret of a removed install: %v", err)
	}

	stopWorkers()
	a.Close()
	assertNoSecret("after close")
}

// databaseHolds returns where the database of the app over data dir dir
// holds needle in plaintext: on SQLite, which of its files (fusebox.db,
// fusebox.db-wal); on PostgreSQL, which table columns (text as text, bytea
// as bytes; every table of the public schema, sink_requests too: a team
// server keeps the sink's recordings there sealed, a single process in
// memory).
func databaseHolds(t *testing.T, dir, needle string) []string {
	t.Helper()
	var out []string
	if storetest.Engine(t) != store.Postgres {
		for _, f := range []string{"fusebox.db", "fusebox.db-wal"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(needle)) {
				out = append(out, f)
			}
		}
		return out
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDatabaseURL(t, dir))
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`)
	if err != nil {
		t.Fatalf("list the columns: %v", err)
	}
	type column struct{ table, name, typ string }
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.table, &c.name, &c.typ); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cols) == 0 {
		t.Fatal("the test database has no tables")
	}
	for _, c := range cols {
		id := pgx.Identifier{c.name}.Sanitize()
		cond := "strpos(" + id + "::text, $1) > 0"
		arg := any(needle)
		if c.typ == "bytea" {
			cond, arg = "position($1::bytea in "+id+") > 0", []byte(needle)
		}
		var found bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+pgx.Identifier{c.table}.Sanitize()+" WHERE "+cond+")", arg).Scan(&found); err != nil {
			t.Fatalf("search %s.%s: %v", c.table, c.name, err)
		}
		if found {
			out = append(out, c.table+"."+c.name)
		}
	}
	return out
}

// TestMissingInstallSecretFailsTheDelivery: a route whose install has no
// value for the referenced field fails its delivery, naming the field.
func TestMissingInstallSecretFailsTheDelivery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		a.Close()
	})
	for _, w := range a.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w(ctx)
		}()
	}
	if _, err := a.Marketplace.CreateSecret(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	link, err := a.Marketplace.SignLink(ctx, marketplace.LinkRequest{ExternalID: "user-1"})
	if err != nil {
		t.Fatal(err)
	}
	login, err := a.Marketplace.Login(ctx, link.Token)
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.Relay.CreateUserRoute(ctx, relay.UserRoute{OwnerID: login.Session.User.ID, InstallID: "inst_missing", URL: "http://127.0.0.1:1/hook",
		Headers: map[string]string{"Authorization": `Bearer {{ install_secret "api_key" }}`}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Relay.EnqueueRecords(ctx, id, [][]byte{[]byte(`{"a":1}`)}, relay.EnqueueOptions{}); err != nil {
		t.Fatal(err)
	}
	deliveryID := onlyDelivery(t, a, id)
	for {
		d, err := a.Relay.GetDelivery(ctx, deliveryID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == relay.StatusFailed {
			if want := "install secret api_key of install inst_missing could not be read: install inst_missing does not exist"; d.Reason != want {
				t.Fatalf("reason %q; want %q", d.Reason, want)
			}
			break
		}
		if d.Status == relay.StatusDelivered {
			t.Fatal("delivered without its secret")
		}
		if ctx.Err() != nil {
			t.Fatalf("delivery still %s (%s)", d.Status, d.Reason)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A marketplace route may not read this process's environment, and a
	// console destination may not read install secrets.
	if _, err := a.Relay.CreateUserRoute(ctx, relay.UserRoute{OwnerID: "eu_1", InstallID: "inst_2", URL: "http://127.0.0.1:1/hook",
		Headers: map[string]string{"Authorization": `{{ secret "HOME" }}`}}); err == nil || !strings.Contains(err.Error(), "cannot read the environment secret HOME") {
		t.Fatalf("env secret in a user route: %v", err)
	}
	if _, err := a.Relay.CreateDestination(ctx, relay.Destination{ID: "crm", URL: "http://127.0.0.1:1/hook",
		Headers: map[string]string{"Authorization": `{{ install_secret "api_key" }}`}}); err == nil || !strings.Contains(err.Error(), "can only be used by the route of a marketplace install") {
		t.Fatalf("install secret in a console destination: %v", err)
	}
}

// onlyDelivery returns the id of the one delivery of destination id.
func onlyDelivery(t *testing.T, a *App, id string) int64 {
	t.Helper()
	ds, err := a.Relay.ListDeliveries(context.Background(), relay.DeliveryFilter{Destination: id})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries of %s: %v %v", id, ds, err)
	}
	return ds[0].ID
}

// TestStatusWebhookHearsFailedAndCompleted: a status destination receives
// submitted and failed for a submit that an OnSubmit hook refuses (and no
// completed for it), and submitted and completed for a good one.
func TestStatusWebhookHearsFailedAndCompleted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		a.Close()
	})
	for _, w := range a.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w(ctx)
		}()
	}
	events := make(chan relay.StatusEvent, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev relay.StatusEvent
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("status event: %v", err)
		}
		events <- ev
	}))
	defer srv.Close()

	if _, err := a.Importer.SaveImporter(ctx, &schema.Importer{Slug: "contacts", Name: "Contacts",
		Columns: []schema.Column{{Key: "email", Label: "Email", Type: schema.TypeEmail, Required: true}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Relay.CreateDestination(ctx, relay.Destination{ID: "status", Importer: "contacts", Send: relay.SendStatus, URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	// A later OnSubmit hook that refuses bad.csv: the completing
	// transaction rolls back, relay events included, and the import fails.
	a.Importer.OnSubmit(func(ctx context.Context, tx *store.Tx, imp importer.Import) error {
		if imp.FileName == "bad.csv" {
			return errs.Unavailable("the CRM refused the import")
		}
		return nil
	})
	submit := func(name string) string {
		t.Helper()
		actor := importer.Actor{Admin: true}
		imp, err := a.Importer.CreateImport(ctx, actor, "contacts")
		if err != nil {
			t.Fatal(err)
		}
		csv := "E-mail\nada@example.com\n"
		if _, err := a.Importer.Upload(ctx, imp.Slug, strings.NewReader(csv), name, int64(len(csv))); err != nil {
			t.Fatal(err)
		}
		mv, err := a.Importer.GetMapping(ctx, imp.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Importer.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()); err != nil {
			t.Fatal(err)
		}
		if err := a.Importer.Stage(ctx, imp.Slug); err != nil {
			t.Fatal(err)
		}
		_, err = a.Importer.Submit(ctx, imp.Slug)
		if (err != nil) != (name == "bad.csv") {
			t.Fatalf("submit %s: %v", name, err)
		}
		return imp.Slug
	}
	bad := submit("bad.csv")
	good := submit("good.csv")

	want := map[string]bool{bad + " submitted": true, bad + " failed": true, good + " submitted": true, good + " completed": true}
	var got []string
	for len(got) < len(want) {
		select {
		case ev := <-events:
			if ev.Type != "import.status" || ev.Importer != "contacts" {
				t.Fatalf("event %+v", ev)
			}
			e := ev.ImportSlug + " " + ev.Status
			if !want[e] {
				t.Fatalf("unexpected status event %q (so far %q)", e, got)
			}
			got = append(got, e)
		case <-ctx.Done():
			t.Fatalf("status events received: %q; want %d", got, len(want))
		}
	}
	slices.Sort(got)
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("status event %q sent twice", got[i])
		}
	}
}

// syncBuffer is a bytes.Buffer safe to read while the App logs to it.
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
