package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The console's installs list narrows to one listing, one plan (the end
// user's) and a range of UTC days, as the dashboard's "installs by listing
// and plan" rows and its Installs tile link to it.
func TestMarketplaceConsoleInstallsFilterByListingPlanAndDays(t *testing.T) {
	e := newMPEnv(t, nil)
	free, _ := e.login(rawToken(hs256(), baseClaims("u-free"), e.secret))
	proClaims := baseClaims("u-pro")
	proClaims["user"].(map[string]any)["monetizationPlan"] = "pro"
	pro, _ := e.login(rawToken(hs256(), proClaims, e.secret))
	install := func(sid, listing string) {
		st, body, _ := e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": listing})
		if st != 202 {
			t.Fatalf("install %s: %d %v", listing, st, body)
		}
		e.waitInstall(sid, body["install"].(map[string]any)["id"].(string))
	}
	install(free, "hook")
	install(pro, "hook")
	install(pro, "broken") // fails: still an install the dashboard counts

	count := func(query string) int {
		t.Helper()
		st, body, _ := e.do("GET", "/api/admin/marketplace/installs?"+query, "", nil)
		if st != 200 {
			t.Fatalf("%s: %d %v", query, st, body)
		}
		return len(body["installs"].([]any))
	}
	today := time.Now().UTC().Format("2006-01-02")
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	for q, want := range map[string]int{
		"":                                       3,
		"listing_id=hook":                        2,
		"plan=pro":                               2,
		"plan=free":                              1,
		"listing_id=hook&plan=pro":               1,
		"listing_id=broken&plan=free":            0,
		"from=" + today + "&to=" + today:         3,
		"from=" + yesterday + "&to=" + yesterday: 0,
		"plan=pro&from=" + today:                 2,
	} {
		if got := count(q); got != want {
			t.Errorf("%q: %d installs, want %d", q, got, want)
		}
	}
	st, body, _ := e.do("GET", "/api/admin/marketplace/installs?from=today", "", nil)
	if st != 422 || !strings.Contains(fmt.Sprint(body), "from must be a day") {
		t.Errorf("bad from: %d %v", st, body)
	}
}
