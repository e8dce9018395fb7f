package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fusebox/backend/store/storetest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"fusebox/backend/importer"
	"fusebox/backend/keyring"
	"fusebox/backend/schema"
	"fusebox/backend/sessions"
	"fusebox/backend/store"
)

// sessClock is the sessions service's clock in these tests.
type sessClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *sessClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *sessClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sessEnv is the real server (port door) over a temp data dir with the
// real importer and sessions services, and two importers: contacts and
// orders (session_ttl 2h).
type sessEnv struct {
	t       *testing.T
	dir     string
	db      *store.DB
	imp     *importer.Service
	sess    *sessions.Service
	clock   *sessClock
	srv     *Server
	h       http.Handler
	admin   string // admin bearer token
	secret  string // an active secret key
	keyFile string
}

const sessAdminToken = "admin-token-for-sessions-tests-0123456789"

func newSessEnv(t *testing.T) *sessEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := storetest.OpenIn(t, dir)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	imp := importer.New(db, dir, log)
	for _, def := range []*schema.Importer{
		{Slug: "contacts", Name: "Contacts", Columns: []schema.Column{
			{Key: "name", Label: "Name", Type: schema.TypeString, Required: true},
			{Key: "email", Label: "Email", Type: schema.TypeEmail},
			{Key: "age", Label: "Age", Type: schema.TypeInteger},
			{Key: "score", Label: "Score", Type: schema.TypeFloat},
			{Key: "vip", Label: "VIP", Type: schema.TypeBoolean},
			{Key: "joined", Label: "Joined", Type: schema.TypeDate, Pattern: "MM/dd/yyyy"},
		}},
		{Slug: "orders", Name: "Orders", Settings: schema.Settings{SessionTTL: "2h"}, Columns: []schema.Column{
			{Key: "sku", Label: "SKU", Type: schema.TypeString},
		}},
	} {
		if _, err := imp.SaveImporter(ctx, def); err != nil {
			t.Fatal(err)
		}
	}
	clock := &sessClock{t: time.Now().UTC().Truncate(time.Second)}
	ttl := func(ctx context.Context, slug string) (time.Duration, error) {
		d, err := imp.GetImporter(ctx, slug)
		if err != nil {
			return 0, err
		}
		return d.Settings.TTL(), nil
	}
	keyFile := filepath.Join(dir, "sessions.key")
	ss := sessions.New(db, sessions.TTLFunc(ttl), sessions.Options{KeyFile: keyFile, Now: clock.Now, Logger: log})
	srv := New(Config{Version: "test", DataDir: dir, Logger: log, AdminToken: sessAdminToken},
		Deps{DB: db, Importer: imp, Sessions: ss, VerifySession: SessionVerifier(ss)})
	e := &sessEnv{t: t, dir: dir, db: db, imp: imp, sess: ss, clock: clock, srv: srv, h: srv.PortHandler(), admin: sessAdminToken, keyFile: keyFile}
	k, err := ss.CreateKey(ctx, sessions.NewKey{Name: "backend", Kind: sessions.KindSecret})
	if err != nil {
		t.Fatal(err)
	}
	e.secret = k.Secret
	return e
}

type sessReq struct {
	method, path string
	headers      map[string]string
	body         string
}

type sessResp struct {
	status int
	header http.Header
	body   string
}

// do sends a request through the port door, as a browser or a host app
// backend on the machine would.
func (e *sessEnv) do(rq sessReq) sessResp {
	e.t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, rq.path, body)
	r.Host = "127.0.0.1:8787"
	for k, v := range rq.headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return sessResp{status: w.Code, header: w.Header(), body: w.Body.String()}
}

func bearerH(tok string, more ...string) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + tok}
	for i := 0; i+1 < len(more); i += 2 {
		h[more[i]] = more[i+1]
	}
	return h
}

// wantErr checks a JSON error answer: status, code and message part.
func wantErr(t *testing.T, r sessResp, status int, code, msgPart string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	var eb struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &eb); err != nil {
		t.Fatalf("error body is not JSON: %q", r.body)
	}
	if eb.Error.Code != code || eb.Error.Message == "" {
		t.Fatalf("error = %+v, want code %s and a message", eb.Error, code)
	}
	if msgPart != "" && !strings.Contains(eb.Error.Message, msgPart) {
		t.Fatalf("error message %q does not mention %q", eb.Error.Message, msgPart)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error Content-Type = %q", ct)
	}
}

// createSession issues a session over HTTP with the env's secret key.
func (e *sessEnv) createSession(importerSlug, metadata string) sessions.Issued {
	e.t.Helper()
	body := `{"importer_slug":"` + importerSlug + `"`
	if metadata != "" {
		body += `,"metadata":` + metadata
	}
	body += "}"
	r := e.do(sessReq{"POST", "/api/v1/importer/sessions", bearerH(e.secret, "Content-Type", "application/json"), body})
	if r.status != http.StatusCreated {
		e.t.Fatalf("create session: %d %s", r.status, r.body)
	}
	var iss sessions.Issued
	if err := json.Unmarshal([]byte(r.body), &iss); err != nil {
		e.t.Fatal(err)
	}
	return iss
}

func (e *sessEnv) createKey(nk sessions.NewKey) sessions.CreatedKey {
	e.t.Helper()
	k, err := e.sess.CreateKey(context.Background(), nk)
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

func TestCreateSessionAsInTheSeed(t *testing.T) {
	e := newSessEnv(t)
	// The seed's request: Bearer key, {importer_slug, metadata} -> 201 {token}.
	r := e.do(sessReq{"POST", "/api/v1/importer/sessions", bearerH(e.secret, "Content-Type", "application/json"),
		`{"importer_slug":"contacts","metadata":{"user_id":123}}`})
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	tok, _ := got["token"].(string)
	exp, _ := got["expires_at"].(string)
	if strings.Count(tok, ".") != 2 || exp == "" || got["id"] == "" {
		t.Fatalf("response = %s", r.body)
	}
	at, err := time.Parse(time.RFC3339, exp)
	if err != nil || !at.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("expires_at %q, want now + 1h", exp)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control = %q", cc)
	}
	// The token opens the importer it was made for, with its metadata.
	def := e.do(sessReq{"GET", "/api/importer/importer", bearerH(tok), ""})
	if def.status != 200 || !strings.Contains(def.body, `"slug":"contacts"`) {
		t.Fatalf("importer definition with the token: %d %s", def.status, def.body)
	}
	cr := e.do(sessReq{"POST", "/api/importer/imports", bearerH(tok, "Content-Type", "application/json"), `{}`})
	if cr.status != http.StatusCreated || !strings.Contains(cr.body, `"user_id":123`) {
		t.Fatalf("create import with the token: %d %s", cr.status, cr.body)
	}
	// The importer's session_ttl sets the expiry.
	o := e.createSession("orders", "")
	if !o.ExpiresAt.Equal(e.clock.Now().Add(2 * time.Hour)) {
		t.Fatalf("orders session expires %v, want now + 2h", o.ExpiresAt)
	}
}

func TestSessionRequestErrors(t *testing.T) {
	e := newSessEnv(t)
	ctx := context.Background()
	old := e.createKey(sessions.NewKey{Name: "old", Kind: sessions.KindSecret})
	if _, err := e.sess.DeactivateKey(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	pub := e.createKey(sessions.NewKey{Name: "web", Kind: sessions.KindPublishable, Importers: []string{"contacts"}, Origins: []string{"https://app.example.com"}})
	// Another base62 character at one position: the key is well formed
	// but unknown.
	wrong := []byte(e.secret)
	if wrong[10] == 'Q' {
		wrong[10] = 'R'
	} else {
		wrong[10] = 'Q'
	}
	ok := `{"importer_slug":"contacts","metadata":{"user_id":1}}`
	big := `{"importer_slug":"contacts","metadata":{"blob":"` + strings.Repeat("x", 70<<10) + `"}}`
	overMeta := `{"importer_slug":"contacts","metadata":{"blob":"` + strings.Repeat("x", 17<<10) + `"}}`
	const path = "/api/v1/importer/sessions"
	for _, tc := range []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		code    string
		msg     string
	}{
		{"no key", nil, ok, 401, "EUNAUTHORIZED", "missing API key"},
		{"wrong key", bearerH(string(wrong)), ok, 401, "EUNAUTHORIZED", "no such key"},
		{"not a key", bearerH("sk_live_abc"), ok, 401, "EUNAUTHORIZED", "not valid"},
		{"deactivated key", bearerH(old.Secret), ok, 401, "EUNAUTHORIZED", "deactivated"},
		{"basic auth", map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(e.secret+":"))}, ok, 401, "EUNAUTHORIZED", "missing API key"},
		{"unknown importer", bearerH(e.secret), `{"importer_slug":"nope"}`, 404, "ENOTFOUND", `"nope"`},
		{"empty body", bearerH(e.secret), "", 422, "EINVALID", "empty"},
		{"not JSON", bearerH(e.secret), "importer_slug=contacts", 422, "EINVALID", "not valid JSON"},
		{"missing importer_slug", bearerH(e.secret), `{"metadata":{}}`, 422, "EINVALID", "importer_slug is required"},
		{"importer_slug not a string", bearerH(e.secret), `{"importer_slug":5}`, 422, "EINVALID", "importer_slug"},
		{"metadata not an object", bearerH(e.secret), `{"importer_slug":"contacts","metadata":[1]}`, 422, "EINVALID", "must be a JSON object"},
		{"metadata over 16 KiB", bearerH(e.secret), overMeta, 422, "EINVALID", "the limit is 16384 bytes"},
		{"body over the size limit", bearerH(e.secret), big, 413, "ETOOLARGE", "65536 bytes"},
		{"publishable key, no Origin", bearerH(pub.Secret), ok, 403, "EFORBIDDEN", "no Origin header"},
		{"publishable key, origin not on its list", bearerH(pub.Secret, "Origin", "https://evil.example"), ok, 403, "EFORBIDDEN", `origin "https://evil.example" is not allowed`},
		{"publishable key, importer not allowed", bearerH(pub.Secret, "Origin", "https://app.example.com"), `{"importer_slug":"orders"}`, 403, "EFORBIDDEN", `importer "orders"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(sessReq{"POST", path, tc.headers, tc.body})
			wantErr(t, r, tc.status, tc.code, tc.msg)
			if tc.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
	// Nothing above created a session.
	if list, total, err := e.sess.ListSessions(ctx, sessions.SessionFilter{}); err != nil || total != 0 {
		t.Fatalf("sessions after refused requests: %v (%v)", list, err)
	}
}

func TestPublishableKeyCORS(t *testing.T) {
	e := newSessEnv(t)
	pub := e.createKey(sessions.NewKey{Name: "web", Kind: sessions.KindPublishable, Importers: []string{"contacts"}, Origins: []string{"https://app.example.com", "http://localhost:*"}})
	const path = "/api/v1/importer/sessions"

	// Preflight: allowed origin reflected (never *), methods and headers.
	pre := e.do(sessReq{"OPTIONS", path, map[string]string{"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}, ""})
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Fatalf("preflight: %d %v", pre.status, pre.header)
	}
	if !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") || pre.header.Get("Access-Control-Allow-Methods") != "POST" {
		t.Fatalf("preflight headers: %v", pre.header)
	}
	if !strings.Contains(strings.Join(pre.header.Values("Vary"), ","), "Origin") {
		t.Fatalf("preflight without Vary: Origin: %v", pre.header)
	}
	if pre.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatal("preflight allows credentials")
	}
	bad := e.do(sessReq{"OPTIONS", path, map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, ""})
	wantErr(t, bad, 403, "EFORBIDDEN", "not allowed")
	if bad.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("preflight from an unlisted origin got Access-Control-Allow-Origin")
	}

	// The request itself from an allowed origin: 201 with its origin.
	r := e.do(sessReq{"POST", path, bearerH(pub.Secret, "Origin", "https://app.example.com"), `{"importer_slug":"contacts","metadata":{"user_id":"u7"}}`})
	if r.status != 201 || r.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("client-side session: %d %v %s", r.status, r.header, r.body)
	}
	var iss sessions.Issued
	_ = json.Unmarshal([]byte(r.body), &iss)
	sess, err := e.sess.GetSession(context.Background(), iss.ID)
	if err != nil || sess.Origin != "https://app.example.com" || sess.KeyID == "" {
		t.Fatalf("stored session %+v %v", sess, err)
	}
	// From an unlisted origin: 403 and no CORS header (the browser hides it).
	r = e.do(sessReq{"POST", path, bearerH(pub.Secret, "Origin", "https://evil.example"), `{"importer_slug":"contacts"}`})
	wantErr(t, r, 403, "EFORBIDDEN", "is not allowed")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("unlisted origin got Access-Control-Allow-Origin")
	}
	// No route of the API ever answers "*".
	for _, rq := range []sessReq{
		{"GET", "/api/v1/imports", bearerH(e.secret, "Origin", "https://app.example.com"), ""},
		{"POST", path, bearerH(e.secret, "Origin", "https://evil.example"), `{"importer_slug":"contacts"}`},
	} {
		if got := e.do(rq).header.Get("Access-Control-Allow-Origin"); got == "*" {
			t.Fatalf("%s %s answered Access-Control-Allow-Origin: *", rq.method, rq.path)
		}
	}
}

func TestPublishableKeyOnlyCreatesSessions(t *testing.T) {
	e := newSessEnv(t)
	pub := e.createKey(sessions.NewKey{Name: "web", Kind: sessions.KindPublishable, Importers: []string{"*"}, Origins: []string{"https://app.example.com"}})
	iss := e.createSession("contacts", "")
	h := bearerH(pub.Secret, "Origin", "https://app.example.com")
	for _, rq := range []sessReq{
		{"GET", "/api/v1/imports", h, ""},
		{"GET", "/api/v1/imports/imp_x", h, ""},
		{"GET", "/api/v1/imports/imp_x/records.csv", h, ""},
		{"GET", "/api/v1/importer/sessions", h, ""},
		{"GET", "/api/v1/importer/sessions/" + iss.ID, h, ""},
		{"DELETE", "/api/v1/importer/sessions/" + iss.ID, h, ""},
	} {
		t.Run(rq.method+" "+rq.path, func(t *testing.T) {
			wantErr(t, e.do(rq), 403, "EFORBIDDEN", "publishable keys (fbx_pk_…) can only create importer sessions")
		})
	}
	// The session was not revoked by the refused DELETE.
	if s, _ := e.sess.GetSession(context.Background(), iss.ID); s.Status != sessions.StatusActive {
		t.Fatalf("session status %s after a refused revoke", s.Status)
	}
}

// sessSigningSecret opens the current signing key the way the sessions
// service does (through the keyring of the key file, the kid as associated
// data), so tests can forge tokens that differ from real ones in one way.
func (e *sessEnv) sessSigningSecret() (string, []byte) {
	e.t.Helper()
	e.createSession("contacts", "") // makes sure the key exists
	kr, err := keyring.Open(e.keyFile)
	if err != nil {
		e.t.Fatal(err)
	}
	var kid, sealed string
	if err := e.db.Read.QueryRow(`SELECT kid, secret FROM session_signing_keys WHERE retired_at = ''`).Scan(&kid, &sealed); err != nil {
		e.t.Fatal(err)
	}
	secret, err := kr.Open(sealed, []byte("fusebox session signing key "+kid))
	if err != nil {
		e.t.Fatalf("unseal signing key: %v", err)
	}
	return kid, secret
}

func sessForge(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessionTokensOnImporterRoutes(t *testing.T) {
	e := newSessEnv(t)
	kid, secret := e.sessSigningSecret()
	valid := e.createSession("contacts", `{"user_id":42}`)
	toRevoke := e.createSession("contacts", "")
	if r := e.do(sessReq{"DELETE", "/api/v1/importer/sessions/" + toRevoke.ID, bearerH(e.secret), ""}); r.status != 200 || !strings.Contains(r.body, `"status":"revoked"`) {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	now := e.clock.Now()
	claims := func(aud any, jti string) jwt.MapClaims {
		return jwt.MapClaims{"iss": "fusebox", "sub": "contacts", "importer": "contacts", "aud": aud, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "jti": jti}
	}
	parts := strings.Split(valid.Token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(bytes.Replace(payload, []byte(`"contacts"`), []byte(`"orders"`), -1)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"`+sessions.TokenType+`","kid":"`+kid+`"}`)) + "." + parts[1] + "."
	// A marketplace link token, as a host app signs it (APIFuse style,
	// its own org secret and audience).
	marketplace := sessForge(t, jwt.SigningMethodHS256, []byte("marketplace-org-secret-0123456789abcdef"), map[string]any{"typ": "JWT"},
		jwt.MapClaims{"aud": "fusebox:marketplace", "orgId": "org_1", "user": map[string]any{"externalId": "42"}, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
	// Even signed with the session key itself, the marketplace audience is refused.
	marketplaceSameKey := sessForge(t, jwt.SigningMethodHS256, secret, map[string]any{"kid": kid, "typ": sessions.TokenType}, claims("fusebox:marketplace", valid.ID))
	baseline := sessForge(t, jwt.SigningMethodHS256, secret, map[string]any{"kid": kid, "typ": sessions.TokenType}, claims(sessions.Audience, valid.ID))

	for _, tc := range []struct {
		name, token string
		status      int
		code, msg   string
	}{
		{"valid", valid.Token, 200, "", ""},
		{"forged baseline (same key, same claims)", baseline, 200, "", ""},
		{"revoked", toRevoke.Token, 401, "EUNAUTHORIZED", "revoked"},
		{"tampered", tampered, 401, "EUNAUTHORIZED", "signature does not match"},
		{"alg none", none, 401, "EUNAUTHORIZED", `"none" is not allowed`},
		{"marketplace token", marketplace, 401, "EUNAUTHORIZED", "not an importer session token"},
		{"marketplace audience with the session key", marketplaceSameKey, 401, "EUNAUTHORIZED", "audience"},
		{"API key instead of a token", e.secret, 401, "EUNAUTHORIZED", "not a well-formed JWT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(sessReq{"GET", "/api/importer/importer", bearerH(tc.token), ""})
			if tc.status == 200 {
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				return
			}
			wantErr(t, r, tc.status, tc.code, tc.msg)
		})
	}

	t.Run("token for importer A used for importer B", func(t *testing.T) {
		r := e.do(sessReq{"POST", "/api/importer/imports", bearerH(valid.Token, "Content-Type", "application/json"), `{"importer_slug":"orders"}`})
		wantErr(t, r, 403, "EFORBIDDEN", `"orders"`)
	})

	t.Run("expired", func(t *testing.T) {
		e.clock.Add(time.Hour + sessions.Leeway + time.Second)
		r := e.do(sessReq{"GET", "/api/importer/importer", bearerH(valid.Token), ""})
		wantErr(t, r, 401, "EUNAUTHORIZED", "expired")
	})
}

func TestSessionAdminAndListing(t *testing.T) {
	e := newSessEnv(t)
	adm := bearerH(e.admin, "Content-Type", "application/json")
	// Console: create a publishable key; the key is in the answer once.
	r := e.do(sessReq{"POST", "/api/admin/keys", adm, `{"name":"web","kind":"publishable","importers":["contacts"],"origins":["https://app.example.com/"]}`})
	if r.status != 201 {
		t.Fatalf("create key: %d %s", r.status, r.body)
	}
	var ck sessions.CreatedKey
	_ = json.Unmarshal([]byte(r.body), &ck)
	if !strings.HasPrefix(ck.Secret, "fbx_pk_") || ck.Origins[0] != "https://app.example.com" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("created key %s", r.body)
	}
	wantErr(t, e.do(sessReq{"POST", "/api/admin/keys", adm, `{"name":"x","kind":"publishable"}`}), 422, "EINVALID", "needs the importers")
	wantErr(t, e.do(sessReq{"POST", "/api/admin/keys", nil, `{"name":"x","kind":"secret"}`}), 401, "EUNAUTHORIZED", "admin login required")
	// An API key is not an admin login.
	wantErr(t, e.do(sessReq{"GET", "/api/admin/keys", bearerH(e.secret), ""}), 401, "EUNAUTHORIZED", "admin")

	list := e.do(sessReq{"GET", "/api/admin/keys", adm, ""})
	if list.status != 200 || strings.Contains(list.body, ck.Secret) || strings.Contains(list.body, e.secret) || !strings.Contains(list.body, ck.Prefix) {
		t.Fatalf("key list leaks keys or misses prefixes: %s", list.body)
	}
	r = e.do(sessReq{"POST", "/api/admin/keys/" + ck.ID + "/deactivate", adm, ""})
	if r.status != 200 || !strings.Contains(r.body, `"active":false`) {
		t.Fatalf("deactivate: %d %s", r.status, r.body)
	}
	wantErr(t, e.do(sessReq{"POST", "/api/admin/keys/key_nope/deactivate", adm, ""}), 404, "ENOTFOUND", "key_nope")
	wantErr(t, e.do(sessReq{"POST", "/api/v1/importer/sessions", bearerH(ck.Secret, "Origin", "https://app.example.com"), `{"importer_slug":"contacts"}`}),
		401, "EUNAUTHORIZED", "deactivated")

	// Sessions: issued from the console and by the API, listed with paging.
	a := e.do(sessReq{"POST", "/api/admin/sessions", adm, `{"importer_slug":"contacts","metadata":{"user_id":"u1"}}`})
	if a.status != 201 {
		t.Fatalf("console session: %d %s", a.status, a.body)
	}
	e.clock.Add(time.Second)
	b := e.createSession("orders", `{"user_id":"u2"}`)
	e.clock.Add(time.Second)
	c := e.createSession("contacts", "")
	var page struct {
		Data       []sessions.Session `json:"data"`
		Pagination map[string]any     `json:"pagination"`
	}
	r = e.do(sessReq{"GET", "/api/v1/importer/sessions?per_page=2", bearerH(e.secret), ""})
	if err := json.Unmarshal([]byte(r.body), &page); err != nil || r.status != 200 {
		t.Fatalf("list sessions: %d %s", r.status, r.body)
	}
	if len(page.Data) != 2 || page.Data[0].ID != c.ID || page.Data[1].ID != b.ID {
		t.Fatalf("page 1 = %+v", page.Data)
	}
	if p := page.Pagination; p["current"] != 1.0 || p["previous"] != nil || p["next"] != 2.0 || p["limit"] != 2.0 || p["total_pages"] != 2.0 || p["total_count"] != 3.0 {
		t.Fatalf("pagination = %v", p)
	}
	if page.Data[1].Metadata["user_id"] != "u2" || page.Data[1].KeyID == "" {
		t.Fatalf("session b = %+v", page.Data[1])
	}
	r = e.do(sessReq{"DELETE", "/api/admin/sessions/" + b.ID, adm, ""})
	if r.status != 200 || !strings.Contains(r.body, `"status":"revoked"`) {
		t.Fatalf("console revoke: %d %s", r.status, r.body)
	}
	r = e.do(sessReq{"GET", "/api/admin/sessions?status=revoked", adm, ""})
	if !strings.Contains(r.body, b.ID) || strings.Contains(r.body, c.ID) {
		t.Fatalf("revoked filter: %s", r.body)
	}
	wantErr(t, e.do(sessReq{"GET", "/api/admin/sessions?status=gone", adm, ""}), 422, "EINVALID", "status must be")
	wantErr(t, e.do(sessReq{"GET", "/api/admin/sessions?page=0", adm, ""}), 422, "EINVALID", "page must be a positive integer")
	wantErr(t, e.do(sessReq{"DELETE", "/api/v1/importer/sessions/ses_nope", bearerH(e.secret), ""}), 404, "ENOTFOUND", "ses_nope")
	r = e.do(sessReq{"GET", "/api/v1/importer/sessions/" + c.ID, bearerH(e.secret), ""})
	if r.status != 200 || !strings.Contains(r.body, `"status":"active"`) {
		t.Fatalf("get session: %d %s", r.status, r.body)
	}
}

func TestNoKeyInDatabaseFileThroughTheAPI(t *testing.T) {
	storetest.SQLiteOnly(t) // reads the database file and its WAL
	e := newSessEnv(t)
	adm := bearerH(e.admin, "Content-Type", "application/json")
	keys := []string{e.secret}
	for i, body := range []string{
		`{"name":"a","kind":"secret"}`,
		`{"name":"b","kind":"publishable","importers":["*"],"origins":["http://localhost:*"]}`,
	} {
		r := e.do(sessReq{"POST", "/api/admin/keys", adm, body})
		var ck sessions.CreatedKey
		if err := json.Unmarshal([]byte(r.body), &ck); err != nil || ck.Secret == "" {
			t.Fatalf("create key %d: %d %s", i, r.status, r.body)
		}
		keys = append(keys, ck.Secret)
	}
	// Use them, so last_used_at and sessions are written too.
	e.createSession("contacts", `{"user_id":1}`)
	e.do(sessReq{"POST", "/api/v1/importer/sessions", bearerH(keys[2], "Origin", "http://localhost:3000"), `{"importer_slug":"contacts"}`})
	kid, secret := e.sessSigningSecret()
	_ = kid
	for _, checkpointed := range []bool{false, true} {
		if checkpointed {
			if _, err := e.db.Write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
				t.Fatal(err)
			}
		}
		var raw []byte
		for _, p := range []string{e.db.Path, e.db.Path + "-wal"} {
			b, err := os.ReadFile(p)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			raw = append(raw, b...)
		}
		if len(raw) < 4096 {
			t.Fatalf("database files hold only %d bytes", len(raw))
		}
		for _, k := range keys {
			if bytes.Contains(raw, []byte(k)) || bytes.Contains(raw, []byte(k[len("fbx_sk_"):])) {
				t.Fatalf("database file holds key %s… in plain text (checkpointed=%v)", k[:11], checkpointed)
			}
		}
		if bytes.Contains(raw, secret) || bytes.Contains(raw, []byte(base64.RawURLEncoding.EncodeToString(secret))) {
			t.Fatal("database file holds the signing secret")
		}
	}
}
