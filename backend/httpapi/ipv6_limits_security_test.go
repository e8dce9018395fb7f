package httpapi

import (
	"fmt"
	"net/http"
	"testing"

	"golang.org/x/time/rate"
)

// Per-client limits (the embed check's 5/s, failed credential checks,
// publishable-key sessions, the route classes) count a client by its
// address. One IPv6 host is routinely given a whole /64, so counting each
// IPv6 address on its own gave every such client 2^64 fresh budgets: here,
// an unlimited stream of embed checks, each a write to the database when
// its origin is refused.
func TestSecurityClientLimitsCountAnIPv6ClientByItsPrefix(t *testing.T) {
	e := newOriginsEnv(t, false)
	// The burst without the refill: at 5/s, 65 checks that take more than
	// a second in all (a loaded machine, a database over the network) would
	// get fresh tokens and never see a 429, whatever the client counting.
	e.srv.checks.perClient = e.srv.newLimiters("embed-check", rate.Limit(1e-6), embedCheckBurst, 1000)
	limited := false
	for i := range embedCheckBurst + 5 {
		ip := fmt.Sprintf("[2001:db8:1:2::%x]", i+1) // one /64, a new address each time
		w := e.req("GET", "/api/v1/embed/check?importer=contacts", ip, map[string]string{"Origin": "https://known.example"}, "")
		if w.Code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatalf("%d embed checks from addresses of one IPv6 /64 without a 429: the per-client limit counts each address as a new client", embedCheckBurst+5)
	}
	// Another /64 is another client.
	if w := e.req("GET", "/api/v1/embed/check?importer=contacts", "[2001:db8:1:3::1]", map[string]string{"Origin": "https://known.example"}, ""); w.Code != http.StatusOK {
		t.Fatalf("a client in another /64: %d %s", w.Code, w.Body.String())
	}

	for _, c := range []struct{ remote, want string }{
		{"192.0.2.7:1234", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:1234", "192.0.2.7"},
		{"[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:1234", "2001:db8:1:2::/64"},
		{"[::1]:1234", "::1"},
		{"pipe", "pipe"},
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if got := clientAddr(r); got != c.want {
			t.Errorf("clientAddr(%s) = %q, want %q", c.remote, got, c.want)
		}
	}
}
