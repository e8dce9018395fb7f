package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"fusebox/backend/workspace"
)

// ssrfWorkspace has listings whose step URL host comes from an end user's
// config value, and allows the host "localhost" by name.
const ssrfWorkspace = `marketplace:
  org_id: acme-org
  allowed_hosts: [ALLOWED]
  plans:
    - name: pro
      default: true
      max_integrations: 50
      allowed_actions: [install, customize]
  listings:
    - id: whole
      name: Whole URL
      config_fields:
        - {name: url, label: URL, type: url, required: true}
      workflow:
        - kind: http_request
          url: "{{config.url}}/demo/api/config"
          timeout: 1s
    - id: hostpart
      name: Host part
      config_fields:
        - {name: host, label: Host, required: true}
      workflow:
        - kind: http_request
          url: "http://{{config.host}}:PORT/demo/api/config"
          timeout: 1s
    - id: literal
      name: Admin literal host
      workflow:
        - kind: http_request
          url: "TARGET/ok/literal"
`

func applySSRFWorkspace(t *testing.T, e *mpEnv, allowed string) {
	t.Helper()
	port := e.target.URL[strings.LastIndex(e.target.URL, ":")+1:]
	y := strings.NewReplacer("ALLOWED", allowed, "PORT", port, "TARGET", e.target.URL).Replace(ssrfWorkspace)
	if _, err := workspace.New(e.db, e.svc.Section()).Apply(context.Background(), []byte(y), "ssrf.yaml"); err != nil {
		t.Fatal(err)
	}
}

// TestSecurityMarketplaceStepURLsCannotReachInternalAddresses installs
// listings whose step URL host is an end user's value and points it at
// loopback (by IP and by a name that resolves to it), the cloud metadata
// address and a private address: each install fails with a clear refusal
// and the loopback server is never reached. An admin-written literal host
// keeps working, and a host the admin allows by name passes.
func TestSecurityMarketplaceStepURLsCannotReachInternalAddresses(t *testing.T) {
	e := newMPEnv(t, nil)
	applySSRFWorkspace(t, e, "allowed.invalid")
	sid, _ := e.login(rawToken(hs256(), baseClaims("u-ssrf"), e.secret))
	port := e.target.URL[strings.LastIndex(e.target.URL, ":")+1:]
	install := func(listing string, config map[string]string) map[string]any {
		t.Helper()
		st, body, _ := e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": listing, "config": config})
		if st != 202 {
			t.Fatalf("install %s: %d %v", listing, st, body)
		}
		return e.waitInstall(sid, body["install"].(map[string]any)["id"].(string))
	}
	for _, c := range []struct {
		listing, key, value, kind string
	}{
		{"whole", "url", e.target.URL, "loopback"},
		{"whole", "url", "http://localhost:" + port, "loopback"},
		{"whole", "url", "http://[::ffff:127.0.0.1]:" + port, "loopback"},
		{"whole", "url", "http://169.254.169.254", "link-local"},
		{"whole", "url", "http://10.20.30.40", "private"},
		{"hostpart", "host", "localhost", "loopback"},
		{"hostpart", "host", "127.0.0.1", "loopback"},
	} {
		in := install(c.listing, map[string]string{c.key: c.value})
		msg := fmt.Sprint(in["error"])
		if in["status"] != "failed" || !strings.Contains(msg, "is not a public address") {
			t.Errorf("%s %s=%s (%s): status %v, error %q; want failed, refused as not a public address", c.listing, c.key, c.value, c.kind, in["status"], msg)
		}
	}
	if got := e.target.requests(); len(got) != 0 {
		t.Fatalf("the loopback server was reached: %v", got)
	}
	// An admin-written literal host is trusted (it may be on loopback).
	if in := install("literal", nil); in["status"] != "installed" {
		t.Fatalf("literal host: %v", in)
	}
	// A host the admin allows by name passes.
	applySSRFWorkspace(t, e, "localhost")
	if in := install("whole", map[string]string{"url": "http://localhost:" + port + "/ok"}); in["status"] != "installed" {
		t.Fatalf("allowed host: %v", in)
	}
	if in := install("whole", map[string]string{"url": "http://127.0.0.1:" + port + "/ok"}); in["status"] != "failed" {
		t.Fatalf("127.0.0.1 passes when only localhost is allowed: %v", in)
	}
}

// TestSecurityMarketplaceStepLogHasNoResponseBody checks that what an end
// user sees of an http_request step (the step log and the install error)
// is its outcome, never the response body.
func TestSecurityMarketplaceStepLogHasNoResponseBody(t *testing.T) {
	e := newMPEnv(t, nil)
	claims := baseClaims("u-body")
	claims["user"].(map[string]any)["monetizationPlan"] = "pro"
	sid, _ := e.login(rawToken(hs256(), claims, e.secret))
	for _, listing := range []string{"hook", "broken"} {
		req := map[string]any{"listing_id": listing}
		if listing == "hook" {
			req["config"] = map[string]string{"api_key": "sk-test-9999"}
		}
		st, body, _ := e.do("POST", "/api/marketplace/installs", sid, req)
		if st != 202 {
			t.Fatalf("install %s: %d %v", listing, st, body)
		}
		id := body["install"].(map[string]any)["id"].(string)
		in := e.waitInstall(sid, id)
		_, list, _ := e.do("GET", "/api/marketplace/installs", sid, nil)
		all := fmt.Sprint(in, list)
		if strings.Contains(all, `"ok":true`) || strings.Contains(all, "ok:true") || strings.Contains(all, "upstream says no") {
			t.Fatalf("%s: the end user sees the response body: %v", listing, in)
		}
		if !strings.Contains(all, "200 OK") && !strings.Contains(all, "502 Bad Gateway") {
			t.Fatalf("%s: the outcome is missing: %v", listing, in)
		}
	}
}
