package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fusebox/backend/marketplace"
	"fusebox/backend/store"
)

// TestSinkViewOpensOnlyTheInstallSecretsItsPageCanHold: the console's
// sink view masks stored install secrets, which it must open (decrypt)
// to know them. It opens only those the page it shows can hold: none for
// a page with no request (the console polls a sink with ?after=), and
// only those of installs made before the page's newest request (a secret
// stored later was not sent then). An install whose secrets cannot be
// opened (its sealed value damaged here) makes the view log a warning
// when it tries; the view of an older page must not try.
func TestSinkViewOpensOnlyTheInstallSecretsItsPageCanHold(t *testing.T) {
	const keyA, keyB = "sk-live-install-a-9Qx4", "sk-live-install-b-2Lm7"
	const admin = "7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	var logs syncBuffer
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, dir), DataDir: dir, Server: ServerConfig{AdminToken: admin},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	runWorkers(t, ctx, cancel, a)
	m := a.Marketplace
	saveCRMListing(t, ctx, m, []marketplace.Step{{Kind: marketplace.StepNotify, Name: "done", Message: "Installed."}})
	install := func(user, key string) string {
		t.Helper()
		link, err := m.SignLink(ctx, marketplace.LinkRequest{ExternalID: user, ListingID: "crm"})
		if err != nil {
			t.Fatal(err)
		}
		login, err := m.Login(ctx, link.Token)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := m.StartInstall(ctx, login.Session, marketplace.InstallRequest{ListingID: "crm", Config: map[string]string{"api_key": key}})
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
		if inst.Status != marketplace.StatusInstalled {
			t.Fatalf("install: status %s, error %q", inst.Status, inst.Error)
		}
		return inst.ID
	}
	instA := install("user-a", keyA)
	r := httptest.NewRequest("POST", "/sink/crm?key="+keyA, strings.NewReader(`{"key":"`+keyA+`"}`))
	if _, err := a.Sink.Record(ctx, "crm", r); err != nil {
		t.Fatal(err)
	}
	// Install B is made an hour after the recorded request, and its
	// sealed secrets cannot be opened.
	instB := install("user-b", keyB)
	db := a.db
	if _, err := db.Write.ExecContext(ctx, `UPDATE marketplace_installs SET secrets = ?, created_at = ? WHERE id = ?`,
		"damaged", store.FormatTime(time.Now().Add(time.Hour)), instB); err != nil {
		t.Fatal(err)
	}

	view := func(query string) string {
		t.Helper()
		req := httptest.NewRequest("GET", "/api/admin/relay/sinks/crm"+query, nil)
		req.Host = "127.0.0.1:8787"
		req.Header.Set("Authorization", "Bearer "+admin)
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Result().Body)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /api/admin/relay/sinks/crm%s: HTTP %d %s", query, rec.Code, body)
		}
		return string(body)
	}
	const warning = "the sink may show install secrets unmasked"
	page := view("")
	if strings.Contains(page, keyA) || !strings.Contains(page, "«install secret api_key»") {
		t.Fatalf("the sink view does not mask install A's secret:\n%s", page)
	}
	if strings.Contains(logs.String(), warning) {
		t.Fatalf("the view of a page older than install B opened install B's secrets:\n%s", logs.String())
	}

	// Polling with ?after= the last request: an empty page opens nothing,
	// not even install A's secrets (damaged now too).
	if _, err := db.Write.ExecContext(ctx, `UPDATE marketplace_installs SET secrets = ? WHERE id = ?`, "damaged", instA); err != nil {
		t.Fatal(err)
	}
	if page := view("?after=1000000"); !strings.Contains(page, `"requests":[]`) {
		t.Fatalf("the page after the last request: %s", page)
	}
	if strings.Contains(logs.String(), warning) {
		t.Fatalf("the view of an empty page opened install secrets:\n%s", logs.String())
	}

	// The control: a page that can hold install B's secret opens it (and
	// says it could not).
	if _, err := db.Write.ExecContext(ctx, `UPDATE marketplace_installs SET created_at = ? WHERE id = ?`, store.FormatTime(time.Now().Add(-time.Hour)), instB); err != nil {
		t.Fatal(err)
	}
	view("")
	if !strings.Contains(logs.String(), warning) {
		t.Fatalf("the view of a page that can hold install B's secret did not try to open it:\n%s", logs.String())
	}
}
