package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"fusebox/backend/httpapi"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// Tests of what the replicas of a team server share: two servers, each
// with its own connections to one PostgreSQL database, as two replicas
// behind a load balancer are. They run on PostgreSQL whatever the run's
// engine (a single process on SQLite has nothing to share).

// twoReplicaDBs opens one fresh PostgreSQL database twice.
func twoReplicaDBs(t *testing.T) (*store.DB, *store.DB) {
	t.Helper()
	url := storetest.PostgresURL(t)
	open := func() *store.DB {
		db, err := store.OpenPostgres(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	return open(), open()
}

// replica is one server of a two-replica pair, on its own port.
type replica struct {
	t   *testing.T
	srv *httpapi.Server
	url string
}

func startReplica(t *testing.T, cfg httpapi.Config, deps httpapi.Deps) *replica {
	t.Helper()
	if cfg.Version == "" {
		cfg.Version = "v-test"
	}
	if cfg.Assets == nil {
		cfg.Assets = fstest.MapFS{}
	}
	s := httpapi.New(cfg, deps)
	hs := httptest.NewServer(s.PortHandler())
	t.Cleanup(hs.Close)
	return &replica{t: t, srv: s, url: hs.URL}
}

// do sends a request from the console's own page (same origin) and
// returns the response with its body read.
func (r *replica) do(method, path, cookie, body string) (*http.Response, string) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if cookie != "" {
		req.Header.Set("Cookie", "fusebox_admin="+cookie)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", r.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, res.Body)
	return res, b.String()
}

// TestSecurityConsoleSessionSharedAcrossReplicas: a login code printed by
// one replica logs in through the other, once; the console session it
// gives is accepted by both; a logout through one ends it on both.
func TestSecurityConsoleSessionSharedAcrossReplicas(t *testing.T) {
	dbA, dbB := twoReplicaDBs(t)
	a := startReplica(t, httpapi.Config{}, httpapi.Deps{DB: dbA})
	b := startReplica(t, httpapi.Config{}, httpapi.Deps{DB: dbB})

	code := a.srv.NewLoginCode()
	res, body := b.do("GET", "/login?code="+code, "", "")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the code replica A printed, used through replica B: %d %s", res.StatusCode, body)
	}
	var cookie string
	for _, c := range res.Cookies() {
		if c.Name == "fusebox_admin" {
			cookie = c.Value
		}
	}
	if cookie == "" {
		t.Fatal("login through replica B set no console cookie")
	}
	if res, _ := a.do("GET", "/login?code="+code, "", ""); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the same code again, through replica A: %d, want 401 (a code works once)", res.StatusCode)
	}
	for name, r := range map[string]*replica{"A": a, "B": b} {
		if res, body := r.do("GET", "/api/admin/whoami", cookie, ""); res.StatusCode != http.StatusOK {
			t.Fatalf("console session on replica %s: %d %s", name, res.StatusCode, body)
		}
	}
	if res, body := a.do("POST", "/logout", cookie, ""); res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout through replica A: %d %s", res.StatusCode, body)
	}
	for name, r := range map[string]*replica{"A": a, "B": b} {
		if res, _ := r.do("GET", "/api/admin/whoami", cookie, ""); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("console session on replica %s after logout through A: %d, want 401", name, res.StatusCode)
		}
	}
}
