package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// seedToken builds the token exactly as the APIFuse page's sample builds
// it: iat, exp, nbf, orgId, a user object (monetizationPlan "freemium",
// which this workspace does not have) and a connection object whose key
// claim is "apikey", signed HS256 with the API secret.
func seedToken(e *mpEnv) string {
	now := time.Now().Unix()
	return rawToken(hs256(), map[string]any{
		"iat": now, "exp": now + 3000, "nbf": now, "orgId": mpOrg,
		"user":       map[string]any{"externalId": "id-from-your-db", "firstname": "abc", "lastname": "abc", "email": "abc@test.com", "monetizationPlan": "freemium"},
		"connection": map[string]any{"connectionName": "guid", "connectorId": "hook-v1", "apikey": "seed-key-5678"},
	}, e.secret)
}

func noFollow() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// The seed's links are https://<host>?jwt=... and
// https://<host>/listing/<listingId>?jwt=...: both reach the marketplace.
func TestMarketplaceSeedPathsRedirectToTheMarketplace(t *testing.T) {
	e := newMPEnv(t, nil)
	tok := seedToken(e)
	for _, c := range []struct{ path, want string }{
		{"/?jwt=" + url.QueryEscape(tok), "/marketplace?jwt=" + url.QueryEscape(tok)},
		{"/?jwt=" + url.QueryEscape(tok) + "&origin=http%3A%2F%2Flocalhost%3A3000", "/marketplace?jwt=" + url.QueryEscape(tok) + "&origin=http%3A%2F%2Flocalhost%3A3000"},
		{"/listing/hook?jwt=" + url.QueryEscape(tok), "/marketplace/listing/hook?jwt=" + url.QueryEscape(tok)},
		{"/listing/hook", "/marketplace/listing/hook"},
	} {
		res, err := noFollow().Get(e.url + c.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != c.want {
			t.Fatalf("GET %s: %d Location %q, want 303 %q", c.path, res.StatusCode, res.Header.Get("Location"), c.want)
		}
		if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("GET %s: Cache-Control %q Referrer-Policy %q", c.path, res.Header.Get("Cache-Control"), res.Header.Get("Referrer-Policy"))
		}
	}
	// Followed, the seed's links open the marketplace with the token checked.
	for _, p := range []string{"/?jwt=", "/listing/hook?jwt="} {
		res, err := http.Get(e.url + p + url.QueryEscape(tok))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Request.URL.Path, "/marketplace") {
			t.Fatalf("GET %s followed: %d at %s", p, res.StatusCode, res.Request.URL.Path)
		}
	}
	// A bad token still gets the marketplace's refusal, not the console.
	res, err := http.Get(e.url + "/?jwt=" + url.QueryEscape(tok+"x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("bad seed token: %d, want 401", res.StatusCode)
	}
	// Without jwt, / is the console exactly as before: no redirect, not frameable.
	res, err = noFollow().Get(e.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusSeeOther || res.Header.Get("Location") != "" || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("GET / without jwt: %d Location %q XFO %q", res.StatusCode, res.Header.Get("Location"), res.Header.Get("X-Frame-Options"))
	}
}

// A listing's connection_fields maps the seed's claim names to its config
// fields: the seed's "apikey" fills the listing's api_key.
func TestMarketplaceSeedTokenFillsConnectionFields(t *testing.T) {
	e := newMPEnv(t, nil)
	sid, _ := e.login(seedToken(e))
	_, lb, _ := e.do("GET", "/api/marketplace/listings/hook", sid, nil)
	pre, _ := lb["prefill"].(map[string]any)
	if pre == nil || strings.Join(toStrings(pre["secrets"]), ",") != "api_key" || pre["name"] != "guid" {
		t.Fatalf("prefill from the seed token: %v", lb["prefill"])
	}
	st, body, _ := e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": "hook"})
	if st != 202 {
		t.Fatalf("install: %d %v", st, body)
	}
	id := body["install"].(map[string]any)["id"].(string)
	if in := e.waitInstall(sid, id); in["status"] != "installed" {
		t.Fatalf("install: %v", in)
	}
	reqs := e.target.requests()
	if len(reqs) != 1 || !strings.Contains(reqs[0], "auth=Bearer seed-key-5678 ") {
		t.Fatalf("target saw %v", reqs)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }
