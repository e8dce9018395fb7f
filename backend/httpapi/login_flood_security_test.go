package httpapi_test

import (
	"context"
	"encoding/json"
	"fusebox/backend/store/storetest"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"fusebox/backend/httpapi"
	"fusebox/backend/marketplace"
	"fusebox/backend/workspace"
)

// TestSecurityLoginFloodDoesNotLockOutValidLogins: a page on another
// localhost port can send no-cors requests to /login and
// /api/marketplace/login as fast as it likes, from the same address as
// every local caller. After such a flood (bad codes, bad links, empty
// bodies), with the port's default limits, a valid console login code
// and a valid signed link still log in; the bad attempts themselves end
// in 429 once past the failed-check budget.
func TestSecurityLoginFloodDoesNotLockOutValidLogins(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := storetest.OpenIn(t, dir)
	svc := marketplace.New(db, marketplace.Options{KeyFile: filepath.Join(dir, "secrets.key")})
	if _, err := workspace.New(db, svc.Section()).Apply(ctx, []byte(strings.ReplaceAll(mpWorkspace, "TARGET", "http://127.0.0.1:9")), "test.yaml"); err != nil {
		t.Fatal(err)
	}
	sec, err := svc.CreateSecret(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	s := httpapi.New(httpapi.Config{Version: "v-test", Assets: fstest.MapFS{}, AdminToken: adminToken}, httpapi.Deps{DB: db, Marketplace: svc})
	srv := httptest.NewServer(s.PortHandler())
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, ctype, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Origin", "http://127.0.0.1:6666") // the attacking page
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	limited := 0
	for range 60 {
		for _, res := range []*http.Response{
			do("GET", "/login", "", ""),
			do("GET", "/login?code=guess", "", ""),
			do("POST", "/api/marketplace/login", "text/plain", `{"token":"not.a.link"}`),
			do("POST", "/api/marketplace/login", "text/plain", ""),
			do("POST", "/api/marketplace/login", "application/x-www-form-urlencoded", "token=x"),
		} {
			if res.StatusCode == http.StatusTooManyRequests {
				limited++
			}
		}
	}
	if limited == 0 {
		t.Fatal("300 bad login attempts from one address were never limited")
	}

	// A valid console login code still logs in.
	req, _ := http.NewRequest("GET", srv.URL+"/login?code="+s.NewLoginCode(), nil)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) == 0 {
		t.Fatalf("valid login code after the flood: %d, want 303 with a cookie", res.StatusCode)
	}
	// A valid signed link still logs in.
	b, _ := json.Marshal(map[string]string{"token": rawToken(hs256(), baseClaims("u-flood"), sec.Value)})
	req, _ = http.NewRequest("POST", srv.URL+"/api/marketplace/login", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("valid signed link after the flood: %d, want 200", res.StatusCode)
	}
}
