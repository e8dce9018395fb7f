package httpapi_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestSecurityMarketplaceBlockedStepShowsNoResolvedAddress: when an end
// user's step URL names a host that resolves to a non-public address
// ("localhost"), what the end user sees (the install's error, its step
// log, the installs list) says the host is not a public address and
// never shows the address it resolved to, so the server cannot be used to
// resolve internal names.
func TestSecurityMarketplaceBlockedStepShowsNoResolvedAddress(t *testing.T) {
	e := newMPEnv(t, nil)
	applySSRFWorkspace(t, e, "allowed.invalid")
	sid, _ := e.login(rawToken(hs256(), baseClaims("u-resolve"), e.secret))
	port := e.target.URL[strings.LastIndex(e.target.URL, ":")+1:]
	ipLiteral := regexp.MustCompile(`\b127\.\d+\.\d+\.\d+\b|::1\b|::ffff:`)
	for _, c := range []struct{ listing, key, value string }{
		{"whole", "url", "http://localhost:" + port},
		{"hostpart", "host", "localhost"},
	} {
		st, body, _ := e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": c.listing, "config": map[string]string{c.key: c.value}})
		if st != 202 {
			t.Fatalf("install %s: %d %v", c.listing, st, body)
		}
		id := body["install"].(map[string]any)["id"].(string)
		in := e.waitInstall(sid, id)
		_, list, _ := e.do("GET", "/api/marketplace/installs", sid, nil)
		seen := fmt.Sprint(in, list)
		if in["status"] != "failed" || !strings.Contains(fmt.Sprint(in["error"]), "refused: localhost is not a public address") {
			t.Errorf("%s: status %v error %q; want failed with \"refused: localhost is not a public address\"", c.listing, in["status"], in["error"])
		}
		if ip := ipLiteral.FindString(seen); ip != "" {
			t.Errorf("%s: the end user sees the resolved address %s: %s", c.listing, ip, seen)
		}
	}
	if got := e.target.requests(); len(got) != 0 {
		t.Fatalf("the loopback server was reached: %v", got)
	}
}
