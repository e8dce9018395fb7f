package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"fusebox/backend/httpapi"
	"fusebox/backend/keyring"
	"fusebox/backend/marketplace"
	"fusebox/backend/sink"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
	"fusebox/backend/workspace"
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

// TestSecurityRateLimitsHoldAcrossReplicas: the per-client limits count
// the requests of every replica. A client sending to /sink through two
// replicas in turn gets the one burst in all, not one per replica; and
// failed login attempts spread over both replicas run out of the one
// failed-check budget (else each replica added would multiply what a
// guesser may try).
func TestSecurityRateLimitsHoldAcrossReplicas(t *testing.T) {
	dbA, dbB := twoReplicaDBs(t)
	cfg := httpapi.Config{RateLimits: httpapi.RateLimits{RelayPerSecond: 0.001, RelayBurst: 3, FailedPerSecond: 0.001, FailedBurst: 4}}
	a := startReplica(t, cfg, httpapi.Deps{DB: dbA})
	b := startReplica(t, cfg, httpapi.Deps{DB: dbB})
	pair := []*replica{a, b}

	limited := 0
	for i := range 8 {
		res, _ := pair[i%2].do("POST", "/sink/shared", "", `{"n":1}`)
		if res.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 5 {
		t.Fatalf("8 requests to /sink through two replicas with a burst of 3: %d refused, want 5", limited)
	}

	failed, limited := 0, 0
	for i := range 10 {
		res, _ := pair[i%2].do("GET", "/login?code=guess", "", "")
		switch res.StatusCode {
		case http.StatusUnauthorized:
			failed++
		case http.StatusTooManyRequests:
			limited++
		default:
			t.Fatalf("a bad login code: %d", res.StatusCode)
		}
	}
	if failed != 4 || limited != 6 {
		t.Fatalf("10 bad login codes through two replicas with a failed-check burst of 4: %d failed, %d refused; want 4 and 6", failed, limited)
	}

	// At once: 20 requests on both replicas together still get 3 in all.
	dbC, dbD := twoReplicaDBs(t)
	pair = []*replica{startReplica(t, cfg, httpapi.Deps{DB: dbC}), startReplica(t, cfg, httpapi.Deps{DB: dbD})}
	codes := make(chan int, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			res, err := http.Post(pair[i%2].url+"/sink/shared", "application/json", strings.NewReader(`{}`))
			if err != nil {
				codes <- 0
				return
			}
			res.Body.Close()
			codes <- res.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	passed := 0
	for c := range codes {
		switch c {
		case http.StatusTooManyRequests:
		case 0:
			t.Fatal("a request to /sink failed")
		default:
			passed++
		}
	}
	if passed != 3 {
		t.Fatalf("20 requests at once to /sink through two replicas with a burst of 3: %d passed, want 3", passed)
	}
}

// TestSinkRequestsSharedAcrossReplicas: the console of either replica
// lists what the other's /sink received, and a clear through one clears
// it for both.
func TestSinkRequestsSharedAcrossReplicas(t *testing.T) {
	dbA, dbB := twoReplicaDBs(t)
	cfg := httpapi.Config{AdminToken: "admin-token-for-the-test"}
	a := startReplica(t, cfg, httpapi.Deps{DB: dbA, Sink: sinkShared(t, dbA)})
	b := startReplica(t, cfg, httpapi.Deps{DB: dbB, Sink: sinkShared(t, dbB)})
	admin := func(r *replica, method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, r.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+cfg.AdminToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if res, body := a.do("POST", "/sink/orders?x=1", "", `{"order":"through A"}`); res.StatusCode != http.StatusOK {
		t.Fatalf("record through A: %d %s", res.StatusCode, body)
	}
	if res, body := b.do("PUT", "/sink/orders", "", `{"order":"through B"}`); res.StatusCode != http.StatusOK {
		t.Fatalf("record through B: %d %s", res.StatusCode, body)
	}
	for name, r := range map[string]*replica{"A": a, "B": b} {
		code, body := admin(r, "GET", "/api/admin/relay/sinks/orders")
		if code != http.StatusOK || !strings.Contains(body, `through A`) || !strings.Contains(body, `through B`) || !strings.Contains(body, `"total":2`) {
			t.Fatalf("sink requests read through replica %s: %d %s", name, code, body)
		}
		if code, body := admin(r, "GET", "/api/admin/relay/sinks"); code != http.StatusOK || !strings.Contains(body, `"name":"orders"`) {
			t.Fatalf("sinks listed through replica %s: %d %s", name, code, body)
		}
	}
	if code, body := admin(b, "DELETE", "/api/admin/relay/sinks/orders"); code != http.StatusNoContent {
		t.Fatalf("clear through B: %d %s", code, body)
	}
	if code, body := admin(a, "GET", "/api/admin/relay/sinks/orders"); code != http.StatusOK || strings.Contains(body, "through") {
		t.Fatalf("sink read through A after a clear through B: %d %s", code, body)
	}
}

// marketplaceReplicas are two replicas of one marketplace (its workspace
// applied, one API secret), each with its own connections.
func marketplaceReplicas(t *testing.T) (a, b *replica, secret string) {
	t.Helper()
	ctx := context.Background()
	dbA, dbB := twoReplicaDBs(t)
	keyFile := filepath.Join(t.TempDir(), "secrets.key") // the key both replicas are given
	svcA := marketplace.New(dbA, marketplace.Options{KeyFile: keyFile})
	svcB := marketplace.New(dbB, marketplace.Options{KeyFile: keyFile})
	if _, err := workspace.New(dbA, svcA.Section()).Apply(ctx, []byte(strings.ReplaceAll(mpWorkspace, "TARGET", "http://127.0.0.1:9")), "test.yaml"); err != nil {
		t.Fatal(err)
	}
	sec, err := svcA.CreateSecret(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	return startReplica(t, httpapi.Config{}, httpapi.Deps{DB: dbA, Marketplace: svcA}),
		startReplica(t, httpapi.Config{}, httpapi.Deps{DB: dbB, Marketplace: svcB}), sec.Value
}

// mpPost posts a marketplace request with an optional session header.
func mpPost(url, path, session, body string) (int, string, error) {
	req, err := http.NewRequest("POST", url+path, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.Header.Set(httpapi.MarketplaceSessionHeader, session)
	}
	if path == "/api/marketplace/me" {
		req.Method = "GET"
		req.Body, req.ContentLength = http.NoBody, 0
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

// TestSecurityJTISingleUseAcrossReplicas: a signed link with a jti logs in
// once, whichever replicas it reaches and however many times at once.
func TestSecurityJTISingleUseAcrossReplicas(t *testing.T) {
	a, b, secret := marketplaceReplicas(t)
	login := func(r *replica, jti string) (int, string) {
		t.Helper()
		tok := rawToken(hs256(), with(baseClaims("u-"+jti), "jti", jti), secret)
		code, body, err := mpPost(r.url, "/api/marketplace/login", "", `{"token":"`+tok+`"}`)
		if err != nil {
			t.Fatal(err)
		}
		return code, body
	}
	if code, body := login(a, "jti-once"); code != http.StatusOK {
		t.Fatalf("first use through replica A: %d %s", code, body)
	}
	if code, body := login(b, "jti-once"); code == http.StatusOK || !strings.Contains(body, "already used") {
		t.Fatalf("the same link through replica B: %d %s, want it refused as already used", code, body)
	}

	// At once: 12 logins with one link, half through each replica.
	tok := rawToken(hs256(), with(baseClaims("u-race"), "jti", "jti-race"), secret)
	codes := make(chan int, 12)
	var wg sync.WaitGroup
	for i := range 12 {
		url := []*replica{a, b}[i%2].url
		wg.Go(func() {
			code, _, err := mpPost(url, "/api/marketplace/login", "", `{"token":"`+tok+`"}`)
			if err != nil {
				code = 0
			}
			codes <- code
		})
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		switch {
		case c == http.StatusOK:
			ok++
		case c == 0:
			t.Fatal("a login request failed")
		}
	}
	if ok != 1 {
		t.Fatalf("12 logins at once with one jti through two replicas: %d succeeded, want 1", ok)
	}
}

// TestSecurityMarketplaceSessionSharedAcrossReplicas: a marketplace
// session made through one replica works through the other, and a logout
// through one ends it on both.
func TestSecurityMarketplaceSessionSharedAcrossReplicas(t *testing.T) {
	a, b, secret := marketplaceReplicas(t)
	code, body, err := mpPost(a.url, "/api/marketplace/login", "", `{"token":"`+rawToken(hs256(), baseClaims("u-shared"), secret)+`"}`)
	if err != nil || code != http.StatusOK {
		t.Fatalf("login through replica A: %d %s %v", code, body, err)
	}
	var res struct {
		Session string `json:"session"`
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil || res.Session == "" {
		t.Fatalf("login answer %s: %v", body, err)
	}
	for name, r := range map[string]*replica{"A": a, "B": b} {
		if code, body, err := mpPost(r.url, "/api/marketplace/me", res.Session, ""); err != nil || code != http.StatusOK {
			t.Fatalf("the session through replica %s: %d %s %v", name, code, body, err)
		}
	}
	if code, body, err := mpPost(b.url, "/api/marketplace/logout", res.Session, ""); err != nil || code != http.StatusNoContent {
		t.Fatalf("logout through replica B: %d %s %v", code, body, err)
	}
	for name, r := range map[string]*replica{"A": a, "B": b} {
		if code, body, err := mpPost(r.url, "/api/marketplace/me", res.Session, ""); err != nil || code != http.StatusUnauthorized {
			t.Fatalf("the session through replica %s after logout through B: %d %s %v, want 401", name, code, body, err)
		}
	}
}

// TestSinkRequestsSealedAtRest: what a team server's /sink receives (an
// install secret a workflow sends to the server's own sink, say) is
// sealed in sink_requests, while the console's sink view still shows the
// request, masked as ever.
func TestSinkRequestsSealedAtRest(t *testing.T) {
	storetest.PostgresOnly(t)
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	db, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := httpapi.Config{AdminToken: "admin-token-for-the-test"}
	r := startReplica(t, cfg, httpapi.Deps{DB: db, Sink: sinkShared(t, db)})

	const secret = "install-secret-3f9c1a7e5b"
	req, err := http.NewRequest("POST", r.url+"/sink/orders?key="+secret, strings.NewReader(`{"token":"`+secret+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("X-Note", "carries "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("record: %d", res.StatusCode)
	}

	// Every column of every row, as text, must be free of the secret.
	rows, err := db.Read.QueryContext(ctx, `SELECT name, received_at, method, url, headers, encode(body, 'escape') FROM sink_requests`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
		cols := make([]string, 6)
		if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5]); err != nil {
			t.Fatal(err)
		}
		for i, c := range cols {
			if strings.Contains(c, secret) {
				t.Errorf("sink_requests column %d holds the secret in plain text: %q", i, c)
			}
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("sink_requests holds %d rows, want 1", n)
	}

	get, _ := http.NewRequest("GET", r.url+"/api/admin/relay/sinks/orders", nil)
	get.Header.Set("Authorization", "Bearer "+cfg.AdminToken)
	res, err = http.DefaultClient.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"total":1`) ||
		!strings.Contains(string(body), "/sink/orders?key=") || !strings.Contains(string(body), "Bearer «credential»") ||
		!strings.Contains(string(body), "carries "+secret) || !strings.Contains(string(body), `\"token\"`) {
		t.Fatalf("the console's sink view: %d %s", res.StatusCode, body)
	}
}

// sinkShared is a shared sink in db, sealed with the one key every
// replica of a test is given (as secrets.key).
func sinkShared(t *testing.T, db *store.DB) *sink.Sink {
	t.Helper()
	kr, err := keyring.FromValue("test secrets key", strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	return sink.NewShared(db, sink.Limits{}, kr)
}
