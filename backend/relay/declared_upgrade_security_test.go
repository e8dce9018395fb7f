package relay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"fusebox/backend/relay"
	"fusebox/backend/store"
	"fusebox/backend/workspace"
)

// logBuffer collects what a relay logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// reopen closes the env's database and opens it again (running any
// pending migration), with a new relay over it that logs into logs.
func (e *env) reopen(logs *logBuffer) {
	e.t.Helper()
	e.db.Close()
	db, err := store.OpenDatabase(context.Background(), e.dbURL, e.dbPath)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	e.db = db
	e.relay = relay.New(db, relay.Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), Secrets: e.secret})
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Write.Exec(q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

func (e *env) setting(key string) (string, bool) {
	e.t.Helper()
	v, ok, err := e.db.Setting(context.Background(), key)
	if err != nil {
		e.t.Fatal(err)
	}
	return v, ok
}

// A data dir made before secrets had to be declared holds destinations
// that read {{ secret "X" }} and no stored secrets: list. The upgrade
// declares exactly the names its destinations read, once, says so in one
// log line, and the deliveries go on working; a new data dir gets no such
// upgrade, so there an undeclared name stays refused.
func TestSecurityUpgradeDeclaresSecretsInUse(t *testing.T) {
	ctx := context.Background()
	const key = "FUSEBOX_DEMO_CRM_KEY"

	t.Run("older data dir", func(t *testing.T) {
		e := newEnv(t)
		e.setSecret(key, "crm-key-1")
		e.setSecret("OLD_SIGNING", "sign-1")
		e.setSecret("NOT_READ", "unused")
		rc := newReceiver(t, nil)
		e.create(relay.Destination{ID: "crm", URL: rc.URL + "/in", Headers: map[string]string{"Authorization": `Bearer {{ secret "FUSEBOX_DEMO_CRM_KEY" }}`}})
		e.create(relay.Destination{ID: "signed", URL: rc.URL + "/signed", SigningSecret: "OLD_SIGNING"})
		e.create(relay.Destination{ID: "plain", URL: rc.URL + "/plain"})
		// Back to the shape an older Fusebox left: no declared list,
		// schema before the upgrade migration.
		e.exec(`DELETE FROM settings WHERE key IN ('relay.secrets', 'relay.secrets_upgrade')`)
		e.exec(`DELETE FROM schema_migrations WHERE version = 6`) // later migrations stay applied: only the upgrade replays

		var logs logBuffer
		e.reopen(&logs)
		names, err := e.relay.DeclaredSecrets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(names, ",") != key+",OLD_SIGNING" {
			t.Fatalf("declared after the upgrade = %v, want exactly the names the destinations read", names)
		}
		if v, _ := e.setting("relay.secrets_upgrade"); !strings.HasPrefix(v, "done") {
			t.Fatalf("upgrade mark = %q, want done", v)
		}
		if got := strings.Count(logs.String(), "declared secrets"); got != 1 || !strings.Contains(logs.String(), key+", OLD_SIGNING") {
			t.Fatalf("want one log line naming the declared secrets, got:\n%s", logs.String())
		}

		// The deliveries work as they did before.
		e.enqueue("crm", []string{`{"i":1}`}, relay.EnqueueOptions{})
		e.enqueue("signed", []string{`{"i":2}`}, relay.EnqueueOptions{})
		e.startWorker(fast)
		if st := e.waitSettled("crm", 1); st.ByStatus[relay.StatusDelivered] != 1 {
			t.Fatalf("crm: %+v %+v", st, e.deliveries(relay.DeliveryFilter{Destination: "crm"}))
		}
		if st := e.waitSettled("signed", 1); st.ByStatus[relay.StatusDelivered] != 1 {
			t.Fatalf("signed: %+v %+v", st, e.deliveries(relay.DeliveryFilter{Destination: "signed"}))
		}
		var sawKey bool
		for _, r := range rc.requests() {
			if r.uri == "/in" && r.header.Get("Authorization") == "Bearer crm-key-1" {
				sawKey = true
			}
		}
		if !sawKey {
			t.Fatalf("the crm destination did not send its secret: %+v", rc.requests())
		}

		// Once only: a file that later declares nothing is not undone by
		// the next start.
		if err := e.relay.SetDeclaredSecrets(ctx, []string{}); err != nil {
			t.Fatal(err)
		}
		var again logBuffer
		e.reopen(&again)
		if names, _ := e.relay.DeclaredSecrets(ctx); len(names) != 0 {
			t.Fatalf("the upgrade ran again: declared %v", names)
		}
		if strings.Contains(again.String(), "declared secrets") {
			t.Fatalf("the upgrade logged again:\n%s", again.String())
		}
	})

	t.Run("new data dir", func(t *testing.T) {
		e := newEnv(t)
		e.setSecret(key, "crm-key-1")
		if err := e.relay.SetDeclaredSecrets(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if _, ok := e.setting("relay.secrets_upgrade"); ok {
			t.Fatal("a new data dir was marked for the upgrade")
		}
		// A file without secrets: is refused.
		ws := workspace.New(e.db, e.relay.SecretsSection(), e.relay.Section())
		file := "version: 1\ndestinations:\n  - id: crm\n    url: https://crm.example/in\n    headers:\n      Authorization: 'Bearer {{ secret \"FUSEBOX_DEMO_CRM_KEY\" }}'\n"
		if _, err := ws.Apply(ctx, []byte(file), "ws.yaml"); err == nil || !strings.Contains(err.Error(), "does not declare") {
			t.Fatalf("applying an undeclared secret on a new data dir: %v", err)
		}

		// Even a destination row holding an undeclared name (and no
		// declared list at all) is not upgraded on the next start, and its
		// delivery is refused.
		rc := newReceiver(t, nil)
		e.create(relay.Destination{ID: "crm", URL: rc.URL + "/in"})
		e.setSpec("crm", "headers", map[string]string{"Authorization": `Bearer {{ secret "FUSEBOX_DEMO_CRM_KEY" }}`})
		e.exec(`DELETE FROM settings WHERE key = 'relay.secrets'`)
		var logs logBuffer
		e.reopen(&logs)
		if names, _ := e.relay.DeclaredSecrets(ctx); len(names) != 0 {
			t.Fatalf("a new data dir declared %v", names)
		}
		e.enqueue("crm", []string{`{"i":1}`}, relay.EnqueueOptions{})
		e.startWorker(fast)
		e.waitSettled("crm", 1)
		d := e.deliveries(relay.DeliveryFilter{Destination: "crm"})[0]
		if d.Status != relay.StatusFailed || !strings.Contains(d.Reason, "secret "+key+" is not declared") || rc.count() != 0 {
			t.Fatalf("delivery %+v, %d requests", d, rc.count())
		}
	})
}

// setSpec sets one field of a stored destination's spec, as a row written
// by an older Fusebox would hold it (JSON edited in Go: no engine's JSON
// functions).
func (e *env) setSpec(id, field string, value any) {
	e.t.Helper()
	var raw string
	if err := e.db.Read.QueryRow(`SELECT spec FROM relay_destinations WHERE id = ?`, id).Scan(&raw); err != nil {
		e.t.Fatal(err)
	}
	spec := map[string]any{}
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		e.t.Fatal(err)
	}
	spec[field] = value
	b, err := json.Marshal(spec)
	if err != nil {
		e.t.Fatal(err)
	}
	e.exec(`UPDATE relay_destinations SET spec = ? WHERE id = ?`, string(b), id)
}
