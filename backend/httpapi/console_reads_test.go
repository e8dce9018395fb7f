package httpapi

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// A console request with the login cookie checks its session once: a
// write passes the write guard and the route's admin check with that one
// check (on a team server each check is a database read and may be a
// write). The session store reads the clock once per check, so a
// counting clock counts the checks on both engines.
func TestConsoleRequestChecksItsSessionOnce(t *testing.T) {
	e := newConsoleEnv(t)
	var checks atomic.Int64
	e.srv.logins.now = func() time.Time { checks.Add(1); return time.Now() }
	same := []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1:8787"}
	for _, c := range []struct {
		name string
		req  sessReq
		want int
	}{
		{"read", sessReq{"GET", "/api/admin/keys", e.headers(same...), ""}, http.StatusOK},
		{"write", sessReq{"POST", "/api/admin/keys", e.headers(append(same, "Content-Type", "application/json")...), `{"name":"console","kind":"secret"}`}, http.StatusCreated},
	} {
		checks.Store(0)
		r := e.do(c.req)
		if r.status != c.want {
			t.Fatalf("%s: %s %s: HTTP %d %s", c.name, c.req.method, c.req.path, r.status, r.body)
		}
		if n := checks.Load(); n != 1 {
			t.Errorf("%s: %s %s checked the console session %d times, want once", c.name, c.req.method, c.req.path, n)
		}
	}
}
