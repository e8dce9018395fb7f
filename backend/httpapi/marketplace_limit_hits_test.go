package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Installs refused by a plan limit leave no install behind; the console
// lists them (the dashboard's plan-limit tile counts them) for a range of
// UTC days.
func TestMarketplaceConsoleLimitHitsList(t *testing.T) {
	e := newMPEnv(t, nil)
	sid, _ := e.login(rawToken(hs256(), baseClaims("u-free"), e.secret))
	st, body, _ := e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": "hook"})
	if st != 202 {
		t.Fatalf("install: %d %v", st, body)
	}
	e.waitInstall(sid, body["install"].(map[string]any)["id"].(string))
	// The free plan allows 1 integration: the next one is refused.
	if st, body, _ = e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": "hook"}); st != 403 {
		t.Fatalf("over the limit: %d %v", st, body)
	}

	today := time.Now().UTC().Format(time.DateOnly)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	hits := func(query string) []any {
		t.Helper()
		st, body, _ := e.do("GET", "/api/admin/marketplace/limit-hits?"+query, "", nil)
		if st != 200 {
			t.Fatalf("%s: %d %v", query, st, body)
		}
		return body["limit_hits"].([]any)
	}
	all := hits("")
	if len(all) != 1 {
		t.Fatalf("limit hits: %v, want 1", all)
	}
	h := all[0].(map[string]any)
	if h["external_id"] != "u-free" || h["listing_id"] != "hook" || h["plan"] != "free" ||
		!strings.Contains(fmt.Sprint(h["detail"]), "the free plan allows 1 integration") || h["created_at"] == nil {
		t.Errorf("limit hit: %v", h)
	}
	for q, want := range map[string]int{
		"from=" + today + "&to=" + today:         1,
		"from=" + yesterday + "&to=" + yesterday: 0,
		"to=" + yesterday:                        0,
	} {
		if got := len(hits(q)); got != want {
			t.Errorf("%q: %d limit hits, want %d", q, got, want)
		}
	}
	st, body, _ = e.do("GET", "/api/admin/marketplace/limit-hits?to=tomorrow", "", nil)
	if st != 422 || !strings.Contains(fmt.Sprint(body), "to must be a day") {
		t.Errorf("bad to: %d %v", st, body)
	}
}
