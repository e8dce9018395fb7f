package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"fusebox/backend/store/storetest"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"fusebox/backend/httpapi"
	"fusebox/backend/marketplace"
	"fusebox/backend/store"
	"fusebox/backend/workspace"
)

const mpOrg = "acme-org"

// mpEnv is a real marketplace behind the real handler on a loopback port,
// with its install worker running and a target server for http_request
// steps.
type mpEnv struct {
	t        *testing.T
	url      string
	svc      *marketplace.Service
	db       *store.DB
	secretID string
	secret   string
	target   *targetServer
}

// targetServer records the requests that workflow steps make.
type targetServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string
}

func (ts *targetServer) requests() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.reqs...)
}

const mpWorkspace = `marketplace:
  org_id: acme-org
  embed_origins: [http://localhost:3000]
  plans:
    - name: free
      default: true
      max_integrations: 1
      max_transactions: 3
      allowed_actions: [install]
      upgrade_message: Upgrade to Pro now.
    - name: pro
      max_integrations: 5
      allowed_actions: [install, customize]
  listings:
    - id: hook
      name: Hook
      category: Developer tools
      connector_id: hook-v1
      config_fields:
        - {name: channel, label: Channel, default: general}
        - {name: api_key, label: API key, type: password, required: true}
      connection_fields: {apikey: api_key}
      workflow:
        - kind: http_request
          name: Test the connection
          method: POST
          url: "TARGET/ok/{{config.channel}}?user={{user.externalId}}"
          headers: {Authorization: "Bearer {{config.api_key}}"}
          body: {install: "{{install.id}}", user: "{{user.externalId}}"}
        - kind: notify
          message: Hello {{user.firstname}} on {{config.channel}}
    - id: routed
      name: Routed
      category: CRM
      workflow:
        - kind: http_request
          url: "TARGET/ok/routed"
        - kind: relay_route
          url: "TARGET/deliver"
          headers: {X-User: "{{user.externalId}}"}
    - id: broken
      name: Broken
      category: CRM
      workflow:
        - kind: http_request
          url: "TARGET/fail"
        - kind: notify
          message: never
`

func newMPEnv(t *testing.T, routes marketplace.Routes) *mpEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := storetest.OpenIn(t, dir)
	target := &targetServer{}
	target.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		target.mu.Lock()
		target.reqs = append(target.reqs, r.Method+" "+r.URL.RequestURI()+" auth="+r.Header.Get("Authorization")+" body="+string(b))
		target.mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/fail") {
			http.Error(w, "upstream says no", http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(target.Close)

	svc := marketplace.New(db, marketplace.Options{KeyFile: filepath.Join(dir, "secrets.key"), Routes: routes})
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.Worker(wctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	ws := workspace.New(db, svc.Section())
	if _, err := ws.Apply(ctx, []byte(strings.ReplaceAll(mpWorkspace, "TARGET", target.URL)), "test.yaml"); err != nil {
		t.Fatal(err)
	}
	sec, err := svc.CreateSecret(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	assets := fstest.MapFS{"marketplace/index.html": {Data: []byte("<!doctype html><title>Fusebox Marketplace</title>")},
		"index.html": {Data: []byte("<!doctype html><title>Fusebox console</title>")}}
	// The JWT table sends dozens of bad links from one address on purpose.
	s := httpapi.New(httpapi.Config{Version: "v-test", Assets: assets, AdminToken: adminToken,
		RateLimits: httpapi.RateLimits{FailedBurst: 1000, OpenBurst: 1000}}, httpapi.Deps{DB: db, Marketplace: svc})
	srv := httptest.NewServer(s.PortHandler())
	t.Cleanup(srv.Close)
	return &mpEnv{t: t, url: srv.URL, svc: svc, db: db, secretID: sec.ID, secret: sec.Value, target: target}
}

// rawToken builds a token from any header and claims, signed with an HMAC
// of alg's hash (or unsigned for "none"), so malformed variants are easy.
func rawToken(header, claims map[string]any, secret string) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(header) + "." + enc(claims)
	var sig []byte
	switch header["alg"] {
	case "HS384", "HS512":
		m := jwt.GetSigningMethod(header["alg"].(string))
		s, _ := m.Sign(signing, []byte(secret))
		sig = s
	case "none":
	default:
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(signing))
		sig = mac.Sum(nil)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func baseClaims(ext string) map[string]any {
	now := time.Now().Unix()
	return map[string]any{
		"iat": now, "exp": now + 3000, "nbf": now, "orgId": mpOrg,
		"user":       map[string]any{"externalId": ext, "firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com", "monetizationPlan": "free"},
		"connection": map[string]any{"connectionName": "Ada's hook", "connectorId": "hook-v1", "api_key": "sk-live-ada-1234"},
	}
}

func hs256() map[string]any { return map[string]any{"alg": "HS256", "typ": "JWT"} }

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func (e *mpEnv) do(method, path, session string, body any) (int, map[string]any, http.Header) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	if session != "" {
		req.Header.Set(httpapi.MarketplaceSessionHeader, session)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(path, "/api/admin/") {
		req.Header.Set("Authorization", "Bearer "+adminToken)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: bad JSON %q", method, path, raw)
		}
	} else {
		out = map[string]any{"_body": string(raw)}
	}
	return res.StatusCode, out, res.Header
}

func (e *mpEnv) login(tok string) (string, map[string]any) {
	e.t.Helper()
	st, body, _ := e.do("POST", "/api/marketplace/login", "", map[string]any{"token": tok})
	if st != 200 {
		e.t.Fatalf("login: %d %v", st, body)
	}
	return body["session"].(string), body
}

func errMessage(body map[string]any) string {
	if e, ok := body["error"].(map[string]any); ok {
		return fmt.Sprint(e["code"], ": ", e["message"])
	}
	return fmt.Sprint(body)
}

// TestSignedLinkTokens runs every token case through the real handler: the
// page (?jwt=, HTML) and the login API (JSON) must agree.
func TestSignedLinkTokens(t *testing.T) {
	e := newMPEnv(t, nil)
	ctx := context.Background()
	old, err := e.svc.CreateSecret(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeactivateSecret(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rs256, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(baseClaims("u-rsa"))).SignedString(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	valid := rawToken(hs256(), baseClaims("u-valid"), e.secret)
	parts := strings.Split(valid, ".")
	tamperedClaims := with(baseClaims("u-valid"), "orgId", mpOrg, "user", map[string]any{"externalId": "someone-else"})
	tamperedPayload, _ := json.Marshal(tamperedClaims)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2]
	big := rawToken(hs256(), with(baseClaims("u-big"), "connection", map[string]any{"blob": strings.Repeat("x", 16<<10)}), e.secret)
	importerSession := rawToken(hs256(), with(baseClaims("u-aud"), "aud", "fusebox:importer-session"), e.secret)
	jtiTok := rawToken(hs256(), with(baseClaims("u-jti"), "jti", "once-123"), e.secret)

	cases := []struct {
		name       string
		token      string
		wantStatus int
		wantReason string // in the page and in the JSON message
	}{
		{"valid", valid, 200, ""},
		{"valid with kid", rawToken(with(hs256(), "kid", e.secretID), baseClaims("u-kid"), e.secret), 200, ""},
		{"numeric externalId and orgId as sent by some hosts", rawToken(hs256(), with(baseClaims(""), "user", map[string]any{"externalId": 42}), e.secret), 200, ""},
		{"wrong secret", rawToken(hs256(), baseClaims("u1"), "not-the-secret"), 401, "does not match any active API secret"},
		{"deactivated secret", rawToken(hs256(), baseClaims("u1"), old.Value), 401, "deactivated"},
		{"deactivated secret named by kid", rawToken(with(hs256(), "kid", old.ID), baseClaims("u1"), old.Value), 401, "deactivated"},
		{"unknown kid", rawToken(with(hs256(), "kid", "sec_nope"), baseClaims("u1"), e.secret), 401, "names no API secret"},
		{"alg none", rawToken(map[string]any{"alg": "none"}, baseClaims("u1"), ""), 401, `alg "none" is not accepted`},
		{"HS384", rawToken(map[string]any{"alg": "HS384"}, baseClaims("u1"), e.secret), 401, `alg "HS384" is not accepted`},
		{"HS512", rawToken(map[string]any{"alg": "HS512"}, baseClaims("u1"), e.secret), 401, `alg "HS512" is not accepted`},
		{"RS256", rs256, 401, `alg "RS256" is not accepted`},
		{"expired", rawToken(hs256(), with(baseClaims("u1"), "iat", now-7200, "nbf", now-7200, "exp", now-3600), e.secret), 401, "expired"},
		{"nbf ahead", rawToken(hs256(), with(baseClaims("u1"), "nbf", now+600), e.secret), 401, "not valid before"},
		{"missing exp", rawToken(hs256(), with(baseClaims("u1"), "exp", nil), e.secret), 401, "exp claim is required"},
		{"missing orgId", rawToken(hs256(), with(baseClaims("u1"), "orgId", nil), e.secret), 401, "orgId claim is required"},
		{"wrong orgId", rawToken(hs256(), with(baseClaims("u1"), "orgId", "12345"), e.secret), 401, `orgId "12345" is not this marketplace's org id`},
		{"missing externalId (the seed's typo)", rawToken(hs256(), with(baseClaims("u1"), "user", map[string]any{"exernalId": "x"}), e.secret), 401, "user.externalId claim is required; the user object has exernalId"},
		{"missing user", rawToken(hs256(), with(baseClaims("u1"), "user", nil), e.secret), 401, "user claim is required"},
		{"16 KB token", big, 413, "the limit is 8192 bytes"},
		{"crit header", rawToken(with(hs256(), "crit", []string{"exp"}), baseClaims("u1"), e.secret), 401, "crit"},
		{"tampered payload", tampered, 401, "does not match any active API secret"},
		{"not a JWT", "abc.def", 401, "three base64url parts"},
		{"garbage segments", "!!.??.**", 401, "malformed"},
		{"lifetime over the cap", rawToken(hs256(), with(baseClaims("u1"), "exp", now+48*3600), e.secret), 401, "allows at most 24h"},
		{"importer session token (other audience)", importerSession, 401, "not for the marketplace"},
		{"clock skew inside the leeway", rawToken(hs256(), with(baseClaims("u-skew"), "iat", now+30, "nbf", now+30, "exp", now-30+3000), e.secret), 200, ""},
		{"expired inside the leeway", rawToken(hs256(), with(baseClaims("u-skew2"), "iat", now-600, "nbf", now-600, "exp", now-30), e.secret), 200, ""},
		{"clock skew outside the leeway (iat ahead)", rawToken(hs256(), with(baseClaims("u1"), "iat", now+120, "nbf", now), e.secret), 401, "issued in the future"},
		{"expired outside the leeway", rawToken(hs256(), with(baseClaims("u1"), "iat", now-600, "nbf", now-600, "exp", now-90), e.secret), 401, "expired"},
		{"jti first use", jtiTok, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The page checks the token first (401 HTML inside the iframe).
			res, err := http.Get(e.url + "/marketplace?jwt=" + url.QueryEscape(c.token))
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.wantStatus {
				t.Fatalf("GET /marketplace?jwt=: status %d, want %d: %s", res.StatusCode, c.wantStatus, page)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' http://localhost:3000") {
				t.Errorf("page CSP %q lacks the embed origin", csp)
			}
			if c.wantStatus != 200 {
				if !strings.Contains(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), htmlEscape(c.wantReason)) {
					t.Errorf("page does not explain %q: %s", c.wantReason, page)
				}
			}
			// The login API answers in the JSON error shape.
			st, body, _ := e.do("POST", "/api/marketplace/login", "", map[string]any{"token": c.token})
			if st != c.wantStatus {
				t.Fatalf("login: status %d, want %d: %v", st, c.wantStatus, body)
			}
			if c.wantStatus == 200 {
				if s, _ := body["session"].(string); len(s) < 40 {
					t.Errorf("login gave no session id: %v", body)
				}
				return
			}
			if msg := errMessage(body); !strings.Contains(msg, c.wantReason) {
				t.Errorf("login error %q does not contain %q", msg, c.wantReason)
			}
		})
	}

	t.Run("replayed jti", func(t *testing.T) {
		for _, path := range []string{"page", "login"} {
			if path == "page" {
				res, err := http.Get(e.url + "/marketplace/listing/hook?jwt=" + url.QueryEscape(jtiTok))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 401 {
					t.Errorf("page with a spent jti: %d, want 401", res.StatusCode)
				}
				continue
			}
			st, body, _ := e.do("POST", "/api/marketplace/login", "", map[string]any{"token": jtiTok})
			if st != 401 || !strings.Contains(errMessage(body), "already used") {
				t.Errorf("replayed jti: %d %v, want 401 already used", st, body)
			}
		}
	})

	t.Run("a marketplace session is not an importer session and not an admin login", func(t *testing.T) {
		sid, _ := e.login(rawToken(hs256(), baseClaims("u-sess"), e.secret))
		req, _ := http.NewRequest("GET", e.url+"/api/admin/marketplace/settings", nil)
		req.Header.Set("Authorization", "Bearer "+sid)
		req.Header.Set(httpapi.MarketplaceSessionHeader, sid)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Errorf("admin route with a marketplace session: %d, want 401", res.StatusCode)
		}
		// and a raw token is not a session
		if st, _, _ := e.do("GET", "/api/marketplace/me", valid, nil); st != 401 {
			t.Errorf("token used as a session: %d, want 401", st)
		}
	})

	t.Run("secret last_used_at and end users from claims", func(t *testing.T) {
		list, err := e.svc.Secrets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			if s.ID == e.secretID && s.LastUsedAt == "" {
				t.Errorf("secret %s has no last_used_at after logins", s.ID)
			}
		}
		users, err := e.svc.EndUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, u := range users {
			if u.ExternalID == "u-valid" {
				found = u.Firstname == "Ada" && u.Email == "ada@example.com" && u.Plan == "free" && u.OrgID == mpOrg
			}
			if u.ExternalID == "42" {
				continue
			}
		}
		if !found {
			t.Errorf("end user u-valid not stored from claims: %+v", users)
		}
	})
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func TestMarketplaceUnknownPlanFallsBackToDefaultAndIsRecorded(t *testing.T) {
	e := newMPEnv(t, nil)
	claims := baseClaims("u-plan")
	claims["user"].(map[string]any)["monetizationPlan"] = "enterprise"
	_, body := e.login(rawToken(hs256(), claims, e.secret))
	if p := body["plan"].(map[string]any)["name"]; p != "free" {
		t.Fatalf("plan %v, want the default plan free", p)
	}
	u := body["user"].(map[string]any)
	if u["requested_plan"] != "enterprise" || !strings.Contains(fmt.Sprint(u["plan_note"]), `"enterprise" is not a plan`) {
		t.Fatalf("unknown plan not recorded: %v", u)
	}
}

// waitInstall polls an install until its workflow is done.
func (e *mpEnv) waitInstall(sid, id string) map[string]any {
	e.t.Helper()
	var in map[string]any
	waitUntil(e.t, "install "+id+"'s workflow to finish", func() (bool, string) {
		st, body, _ := e.do("GET", "/api/marketplace/installs/"+id, sid, nil)
		if st != 200 {
			e.t.Fatalf("get install: %d %v", st, body)
		}
		in = body["install"].(map[string]any)
		return in["status"] != "running", fmt.Sprintf("install %v", in)
	})
	return in
}

func TestMarketplaceInstallRunsWorkflowAndEnforcesThePlan(t *testing.T) {
	e := newMPEnv(t, nil)
	// Browsing needs no login; installing does.
	if st, body, _ := e.do("GET", "/api/marketplace/listings?category=crm", "", nil); st != 200 || len(body["listings"].([]any)) != 2 {
		t.Fatalf("catalog by category: %d %v", st, body)
	}
	if st, body, _ := e.do("GET", "/api/marketplace/listings?q=hook", "", nil); st != 200 || len(body["listings"].([]any)) != 1 {
		t.Fatalf("catalog search: %d %v", st, body)
	}
	if st, body, _ := e.do("POST", "/api/marketplace/installs", "", map[string]any{"listing_id": "hook"}); st != 401 {
		t.Fatalf("anonymous install: %d %v, want 401", st, body)
	}

	sid, _ := e.login(rawToken(hs256(), baseClaims("u-inst"), e.secret))
	// The wizard gets the non-secret prefill; secret values stay on the server.
	_, lb, _ := e.do("GET", "/api/marketplace/listings/hook", sid, nil)
	pre := lb["prefill"].(map[string]any)
	if fmt.Sprint(pre["secrets"]) != "[api_key]" || pre["name"] != "Ada's hook" || pre["locked"] != true {
		t.Fatalf("prefill: %v", pre)
	}
	if strings.Contains(fmt.Sprint(lb), "sk-live-ada-1234") || strings.Contains(fmt.Sprint(lb), e.target.URL) {
		t.Fatalf("listing view leaks a secret or the workflow URLs: %v", lb)
	}
	// The free plan has no customize: changing a preset value is refused.
	st, body, _ := e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": "hook", "config": map[string]string{"channel": "random"}})
	if st != 403 || !strings.Contains(errMessage(body), "ELIMIT: Upgrade to Pro now. (the free plan does not allow changing Channel") {
		t.Fatalf("customize on free: %d %v", st, body)
	}
	st, body, _ = e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": "hook"})
	if st != 202 {
		t.Fatalf("install: %d %v", st, body)
	}
	id := body["install"].(map[string]any)["id"].(string)
	in := e.waitInstall(sid, id)
	if in["status"] != "installed" {
		t.Fatalf("install status %v: %v", in["status"], in)
	}
	steps := in["steps"].([]any)
	s0, s1 := steps[0].(map[string]any), steps[1].(map[string]any)
	if s0["status"] != "ok" || !strings.Contains(s0["detail"].(string), "200 OK") || s1["detail"] != "Hello Ada on general" {
		t.Fatalf("step log: %v", steps)
	}
	if strings.Contains(fmt.Sprint(steps), "sk-live-ada-1234") {
		t.Fatalf("step log shows the secret: %v", steps)
	}
	reqs := e.target.requests()
	if len(reqs) != 1 || !strings.HasPrefix(reqs[0], "POST /ok/general?user=u-inst auth=Bearer sk-live-ada-1234 body={") || !strings.Contains(reqs[0], `"install":"`+id+`"`) {
		t.Fatalf("target saw %v", reqs)
	}
	// One integration on free: the next install is refused with the upgrade message.
	st, body, _ = e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": "hook"})
	if st != 403 || !strings.Contains(errMessage(body), "ELIMIT: Upgrade to Pro now. (the free plan allows 1 integration and you have 1)") {
		t.Fatalf("over the limit: %d %v", st, body)
	}
	// Disable, enable, uninstall; then there is room again.
	for _, a := range []struct{ method, path, want string }{{"POST", "/disable", "false"}, {"POST", "/enable", "true"}} {
		st, body, _ := e.do(a.method, "/api/marketplace/installs/"+id+a.path, sid, nil)
		if st != 200 || fmt.Sprint(body["install"].(map[string]any)["enabled"]) != a.want {
			t.Fatalf("%s: %d %v", a.path, st, body)
		}
	}
	if st, body, _ := e.do("DELETE", "/api/marketplace/installs/"+id, sid, nil); st != 200 || body["install"].(map[string]any)["status"] != "removed" {
		t.Fatalf("uninstall: %d %v", st, body)
	}
	if st, body, _ := e.do("GET", "/api/marketplace/me", sid, nil); st != 200 || fmt.Sprint(body["usage"].(map[string]any)["integrations"]) != "0" {
		t.Fatalf("me after uninstall: %d %v", st, body)
	}
	// Another user's session cannot see or touch the install.
	other, _ := e.login(rawToken(hs256(), baseClaims("u-other"), e.secret))
	if st, _, _ := e.do("GET", "/api/marketplace/installs/"+id, other, nil); st != 404 {
		t.Fatalf("other user's install: %d, want 404", st)
	}
}

func TestMarketplaceFailedStepFailsTheInstallAndFreesTheSlot(t *testing.T) {
	e := newMPEnv(t, nil)
	claims := baseClaims("u-fail")
	claims["user"].(map[string]any)["monetizationPlan"] = "pro"
	sid, _ := e.login(rawToken(hs256(), claims, e.secret))
	_, body, _ := e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": "broken"})
	in := e.waitInstall(sid, body["install"].(map[string]any)["id"].(string))
	steps := in["steps"].([]any)
	if in["status"] != "failed" || !strings.Contains(in["error"].(string), "502 Bad Gateway") || !strings.HasSuffix(in["error"].(string), "(expected 2xx)") || strings.Contains(in["error"].(string), "upstream says no") ||
		steps[0].(map[string]any)["status"] != "failed" || steps[1].(map[string]any)["status"] != "skipped" {
		t.Fatalf("failed install: %v", in)
	}
	// Without a relay, relay_route steps fail clearly.
	_, body, _ = e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": "routed"})
	in = e.waitInstall(sid, body["install"].(map[string]any)["id"].(string))
	if in["status"] != "failed" || !strings.Contains(in["error"].(string), "relay not available") {
		t.Fatalf("relay_route without relay: %v", in)
	}
	if _, me, _ := e.do("GET", "/api/marketplace/me", sid, nil); fmt.Sprint(me["usage"].(map[string]any)["integrations"]) != "0" {
		t.Fatalf("failed installs count against the plan: %v", me)
	}
}

// routeBook is a Routes implementation that keeps routes in memory, for
// checking what the marketplace asks of the relay.
type routeBook struct {
	mu      sync.Mutex
	routes  map[string]marketplace.RouteSpec
	enabled map[string]bool
}

func (b *routeBook) CreateUserRoute(_ context.Context, spec marketplace.RouteSpec) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := "route-" + spec.InstallID
	b.routes[id], b.enabled[id] = spec, true
	return id, nil
}

func (b *routeBook) DeleteUserRoute(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.routes, id)
	return nil
}

func (b *routeBook) SetUserRouteEnabled(_ context.Context, id string, enabled bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enabled[id] = enabled
	return nil
}

func TestMarketplaceRelayRouteLifecycle(t *testing.T) {
	book := &routeBook{routes: map[string]marketplace.RouteSpec{}, enabled: map[string]bool{}}
	e := newMPEnv(t, book)
	claims := baseClaims("u-route")
	claims["user"].(map[string]any)["monetizationPlan"] = "pro"
	sid, login := e.login(rawToken(hs256(), claims, e.secret))
	userID := login["user"].(map[string]any)["id"].(string)
	_, body, _ := e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": "routed"})
	in := e.waitInstall(sid, body["install"].(map[string]any)["id"].(string))
	id := in["id"].(string)
	spec, ok := book.routes["route-"+id]
	if in["status"] != "installed" || !ok || in["destination_id"] != "route-"+id {
		t.Fatalf("routed install: %v routes %v", in, book.routes)
	}
	if spec.OwnerID != userID || spec.ExternalID != "u-route" || spec.URL != e.target.URL+"/deliver" || spec.Method != "POST" || spec.Headers["X-User"] != "u-route" || spec.ListingID != "routed" {
		t.Fatalf("route spec %+v", spec)
	}
	e.do("POST", "/api/marketplace/installs/"+id+"/disable", sid, nil)
	if book.enabled["route-"+id] {
		t.Fatal("disable did not pause the route")
	}
	e.do("DELETE", "/api/marketplace/installs/"+id, sid, nil)
	if _, ok := book.routes["route-"+id]; ok {
		t.Fatal("uninstall did not delete the route")
	}
}

func TestMarketplaceConsoleAPI(t *testing.T) {
	e := newMPEnv(t, nil)
	// Signed-link builder -> a URL whose token logs in.
	st, link, _ := e.do("POST", "/api/admin/marketplace/links", "", map[string]any{"external_id": "built-1", "firstname": "Bo", "plan": "pro", "listing_id": "hook", "jti": true, "origin": "http://localhost:3000"})
	if st != 200 {
		t.Fatalf("sign link: %d %v", st, link)
	}
	u, _ := url.Parse(link["url"].(string))
	if u.Path != "/marketplace/listing/hook" || u.Query().Get("origin") != "http://localhost:3000" {
		t.Fatalf("link URL %v", u)
	}
	st, rep, _ := e.do("POST", "/api/admin/marketplace/inspect", "", map[string]any{"token": u.Query().Get("jwt")})
	if st != 200 || rep["valid"] != true || rep["plan"] != "pro" {
		t.Fatalf("inspect valid: %d %v", st, rep)
	}
	e.login(u.Query().Get("jwt"))
	// The inspector explains each failing check.
	now := time.Now().Unix()
	bad := rawToken(map[string]any{"alg": "HS256", "crit": []string{"x"}}, with(baseClaims("i"), "orgId", "nope", "exp", now-3600, "iat", now-7200), "wrong")
	st, rep, _ = e.do("POST", "/api/admin/marketplace/inspect", "", map[string]any{"token": bad})
	if st != 200 || rep["valid"] != false || rep["check"] != "crit" {
		t.Fatalf("inspect bad: %d %v", st, rep)
	}
	failed := map[string]bool{}
	for _, c := range rep["checks"].([]any) {
		c := c.(map[string]any)
		if c["status"] == "failed" {
			failed[c["name"].(string)] = true
		}
	}
	for _, want := range []string{"crit", "signature", "exp", "orgId"} {
		if !failed[want] {
			t.Errorf("inspector did not flag %s: %v", want, rep["checks"])
		}
	}
	st, rep, _ = e.do("POST", "/api/admin/marketplace/inspect", "", map[string]any{"token": u.Query().Get("jwt")})
	if rep["valid"] != false || rep["check"] != "jti" {
		t.Fatalf("inspect spent jti: %d %v", st, rep)
	}
	// Plans and listings round-trip with validation naming the field.
	if st, body, _ := e.do("PUT", "/api/admin/marketplace/plans/team", "", map[string]any{"max_integrations": -1}); st != 422 || !strings.Contains(errMessage(body), "max_integrations") {
		t.Fatalf("bad plan: %d %v", st, body)
	}
	if st, body, _ := e.do("PUT", "/api/admin/marketplace/listings/x1", "", map[string]any{"name": "X", "workflow": []any{map[string]any{"kind": "http_request", "url": "{{config.nope}}"}}}); st != 422 || !strings.Contains(errMessage(body), "listing.workflow[0]: placeholder {{config.nope}} names no config field") {
		t.Fatalf("bad listing: %d %v", st, body)
	}
	// Secrets: shown once, listed without the value.
	st, created, _ := e.do("POST", "/api/admin/marketplace/secrets", "", map[string]any{"label": "ci"})
	if st != 201 || !strings.HasPrefix(fmt.Sprint(created["secret"]), "fbms_") {
		t.Fatalf("create secret: %d %v", st, created)
	}
	_, list, _ := e.do("GET", "/api/admin/marketplace/secrets", "", nil)
	if strings.Contains(fmt.Sprint(list), fmt.Sprint(created["secret"])) || len(list["secrets"].([]any)) != 2 {
		t.Fatalf("secret list: %v", list)
	}
	// Demo links only where the demo workspace was applied.
	if st, _, _ := e.do("POST", "/demo/api/marketplace-link", "", nil); st != 404 {
		t.Fatalf("demo link without the demo: %d", st)
	}
}

func TestMarketplaceConfigPicksTheParentOrigin(t *testing.T) {
	e := newMPEnv(t, nil)
	for _, c := range []struct{ query, want string }{
		{"origin=http://localhost:3000", "http://localhost:3000"},
		{"referrer=" + url.QueryEscape("http://localhost:3000/app/page?x=1"), "http://localhost:3000"},
		{"origin=http://evil.example&referrer=http://evil.example/", ""},
		{"referrer=" + url.QueryEscape(e.url+"/demo"), strings.ToLower(e.url)},
		{"", ""},
	} {
		_, body, _ := e.do("GET", "/api/marketplace/config?"+c.query, "", nil)
		if body["parent_origin"] != c.want {
			t.Errorf("config?%s: parent_origin %v, want %q", c.query, body["parent_origin"], c.want)
		}
	}
}
