package httpapi

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"fusebox/backend/errs"
)

// limits are the port's defences against slow bodies and floods.
type limits struct {
	// bodyWindow and bodyMinBytes are the minimum transfer rate of a
	// request body: at least bodyMinBytes must arrive in every bodyWindow,
	// else the read fails and the connection is closed.
	bodyWindow   time.Duration
	bodyMinBytes int64
	// bodyReadTimeout caps the whole body read of routes that are not
	// file uploads (uploads are bounded by the transfer rate only).
	bodyReadTimeout time.Duration

	// openRate/openBurst limit, per client address, the unauthenticated
	// routes that create things without any credential: the demo's POST
	// routes. The login routes (/login, /api/marketplace/login) carry a
	// credential, so only their failures are limited (authFail): on
	// loopback every caller shares one address, and counting every
	// request would let any local page lock the logins out.
	openRate  rate.Limit
	openBurst int
	// relayRate/relayBurst limit, per client address, /relay/{route} and
	// /sink/{name} (higher: a relay sends in bulk).
	relayRate  rate.Limit
	relayBurst int
	// authFailRate/authFailBurst limit failed credential checks (a 401
	// on a request that carried an API key, session token, admin token,
	// login code or signed link, and any other 4xx answer of the login
	// routes) per client address; past the burst, failed checks get 429
	// until the bucket refills (valid credentials still pass).
	authFailRate  rate.Limit
	authFailBurst int
	// sessionRate/sessionBurst limit the importer sessions one publishable
	// key creates from one client address (publishable keys are public,
	// and each session brings its own import and upload allowance).
	sessionRate  rate.Limit
	sessionBurst int
	// maxClients bounds the client addresses each limiter remembers.
	maxClients int
}

// defaultLimits are the port's limits (docs/security.md, "Limits and their defaults").
func defaultLimits() limits {
	return limits{
		bodyWindow:      10 * time.Second,
		bodyMinBytes:    16 << 10,
		bodyReadTimeout: 30 * time.Second,
		openRate:        2,
		openBurst:       20,
		relayRate:       100,
		relayBurst:      500,
		authFailRate:    1,
		authFailBurst:   20,
		sessionRate:     1,
		sessionBurst:    30,
		maxClients:      10000,
	}
}

// RateLimits are the port's per-client rate limits: requests per second
// and burst for the unauthenticated routes that create things (Open), for
// /relay and /sink (Relay), for failed credential checks (Failed), and
// for importer sessions created with one publishable key from one client
// address (Sessions). Zero fields keep the defaults.
type RateLimits struct {
	OpenPerSecond     float64
	OpenBurst         int
	RelayPerSecond    float64
	RelayBurst        int
	FailedPerSecond   float64
	FailedBurst       int
	SessionsPerSecond float64
	SessionsBurst     int
}

// with returns l with the non-zero fields of o.
func (l limits) with(o RateLimits) limits {
	set := func(dst *rate.Limit, v float64) {
		if v > 0 {
			*dst = rate.Limit(v)
		}
	}
	setN := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	set(&l.openRate, o.OpenPerSecond)
	setN(&l.openBurst, o.OpenBurst)
	set(&l.relayRate, o.RelayPerSecond)
	setN(&l.relayBurst, o.RelayBurst)
	set(&l.authFailRate, o.FailedPerSecond)
	setN(&l.authFailBurst, o.FailedBurst)
	set(&l.sessionRate, o.SessionsPerSecond)
	setN(&l.sessionBurst, o.SessionsBurst)
	return l
}

// guard holds the per-client limiters of the port.
type guard struct {
	lim      limits
	open     *clientLimiters
	relay    *clientLimiters
	authFail *clientLimiters
}

func (s *Server) newGuard(l limits) *guard {
	return &guard{
		lim:      l,
		open:     s.newLimiters("open", l.openRate, l.openBurst, l.maxClients),
		relay:    s.newLimiters("relay", l.relayRate, l.relayBurst, l.maxClients),
		authFail: s.newLimiters("failed-check", l.authFailRate, l.authFailBurst, l.maxClients),
	}
}

// limit is the port's request guard: the minimum body transfer rate,
// the per-client rate limits of unauthenticated routes and of failed
// credential checks. /healthz is never limited.
func (s *Server) limit(next http.Handler) http.Handler {
	g := s.newGuard(defaultLimits().with(s.cfg.RateLimits))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			if r.ContentLength != 0 {
				// /healthz reads no body. The server would otherwise
				// drain up to 256 KB of it, before answering and again
				// when it closes the body, with no deadline, for a body
				// that may never come: answer, then close at once.
				w.Header().Set("Connection", "close")
				_ = http.NewResponseController(w).SetReadDeadline(time.Now())
			}
			next.ServeHTTP(w, r)
			return
		}
		client := clientAddr(r)
		if cl := g.classOf(r); cl != nil {
			if wait, ok := cl.allow(r.Context(), client, time.Now()); !ok {
				s.tooMany(w, r, wait, "too many requests to %s from this client; retry in %s", r.URL.Path, waitText(wait))
				return
			}
		}
		g.guardBody(w, r)
		if !hasCredentials(r) {
			next.ServeHTTP(w, r)
			return
		}
		// A credential check that fails takes a token of the client's
		// failed-check budget; past it, the 401 becomes a 429. Valid
		// credentials are never refused here: on loopback every caller
		// shares one address, and a page on the same host could
		// otherwise lock every local app out with a few bad links.
		next.ServeHTTP(&failedCheckWriter{ResponseWriter: w, login: isLogin(r), onUnauthorized: func(w http.ResponseWriter) bool {
			wait, ok := g.authFail.allow(r.Context(), client, time.Now())
			if !ok {
				s.tooMany(w, r, wait, "too many failed credential checks from this client; retry in %s", waitText(wait))
			}
			return ok
		}}, r)
	})
}

// failedCheckWriter passes a response through, except a failed check (a
// 401; on a login route, any 4xx but 429) that its onUnauthorized hook
// answers itself (it then reports false and the handler's own body is
// dropped).
type failedCheckWriter struct {
	http.ResponseWriter
	onUnauthorized func(w http.ResponseWriter) bool
	login          bool // a login route: every 4xx is a failed check
	replaced       bool
	wroteHeader    bool
}

func (f *failedCheckWriter) WriteHeader(code int) {
	if f.wroteHeader {
		return
	}
	f.wroteHeader = true
	failed := code == http.StatusUnauthorized ||
		f.login && code >= 400 && code < 500 && code != http.StatusTooManyRequests
	if failed && !f.onUnauthorized(f.ResponseWriter) {
		f.replaced = true
		return
	}
	f.ResponseWriter.WriteHeader(code)
}

func (f *failedCheckWriter) Write(b []byte) (int, error) {
	if !f.wroteHeader {
		f.WriteHeader(http.StatusOK)
	}
	if f.replaced {
		return len(b), nil
	}
	return f.ResponseWriter.Write(b)
}

func (f *failedCheckWriter) Flush() {
	if fl, ok := f.ResponseWriter.(http.Flusher); ok && !f.replaced {
		fl.Flush()
	}
}

func (f *failedCheckWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }

func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration, format string, args ...any) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	s.writeError(w, r, errs.RateLimit(format, args...))
}

func waitText(d time.Duration) string {
	return (time.Duration(math.Ceil(d.Seconds())) * time.Second).String()
}

// classOf returns the limiter of an unauthenticated route that creates
// things without a credential, or nil for a route these limits do not
// cover. The login routes are not here: they carry a credential, and
// only their failures count (failedCheckWriter).
func (g *guard) classOf(r *http.Request) *clientLimiters {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/relay/"), strings.HasPrefix(p, "/sink/"):
		return g.relay
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/demo/api/"):
		return g.open
	}
	return nil
}

// isLogin reports whether r is a login: a console login code or a
// marketplace signed link exchanged for a session.
func isLogin(r *http.Request) bool {
	p := r.URL.Path
	return p == "/api/marketplace/login" || p == "/login" && r.URL.Query().Get("code") != ""
}

// hasCredentials reports whether a request carries something a
// credential check will look at.
func hasCredentials(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	q := r.URL.Query()
	if q.Get("code") != "" || q.Get("jwt") != "" || q.Get("token") != "" {
		return true
	}
	return r.URL.Path == "/api/marketplace/login"
}

// clientAddr is the client a per-client limit counts: its IPv4 address
// (also when IPv4-mapped), an IPv6 loopback address, or else its IPv6 /64.
func clientAddr(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	ip := net.ParseIP(h)
	switch {
	case ip == nil:
		return h
	case ip.To4() != nil:
		return ip.To4().String()
	case ip.IsLoopback():
		return ip.String()
	}
	// One IPv6 host usually holds a whole /64: counted address by address
	// it would get a fresh budget from every limit at will.
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// clientLimiters is a token bucket per client address (or other key).
// A single process keeps them in memory, bounded: past max addresses,
// addresses whose bucket has refilled are dropped (they would start full
// anyway), then the least recently seen. The replicas of a team server
// keep them in the database (shared), so a limit counts the requests of
// every replica.
type clientLimiters struct {
	mu     sync.Mutex
	r      rate.Limit
	burst  int
	max    int
	m      map[string]*clientEntry
	shared *sharedBuckets // nil: in memory
}

type clientEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newClientLimiters(r rate.Limit, burst, max int) *clientLimiters {
	return &clientLimiters{r: r, burst: burst, max: max, m: map[string]*clientEntry{}}
}

func (c *clientLimiters) entry(key string, now time.Time) *clientEntry {
	e, ok := c.m[key]
	if !ok {
		if len(c.m) >= c.max {
			c.evict(now)
		}
		e = &clientEntry{lim: rate.NewLimiter(c.r, c.burst)}
		c.m[key] = e
	}
	e.seen = now
	return e
}

func (c *clientLimiters) evict(now time.Time) {
	var oldest string
	var oldestAt time.Time
	for k, e := range c.m {
		if e.lim.TokensAt(now) >= float64(c.burst) {
			delete(c.m, k)
			continue
		}
		if oldest == "" || e.seen.Before(oldestAt) {
			oldest, oldestAt = k, e.seen
		}
	}
	if len(c.m) >= c.max && oldest != "" {
		delete(c.m, oldest)
	}
}

// newLimiters makes the limiters named name (the name keeps their
// buckets apart from other limits' in the shared table).
func (s *Server) newLimiters(name string, r rate.Limit, burst, max int) *clientLimiters {
	c := newClientLimiters(r, burst, max)
	if teamServer(s.deps.DB) {
		c.shared = &sharedBuckets{db: s.deps.DB, log: s.log, name: name, r: float64(r), burst: burst, sweep: s.sweeper}
	}
	return c
}

// allow takes one token for key; when none is left it reports how long
// until one is.
func (c *clientLimiters) allow(ctx context.Context, key string, now time.Time) (time.Duration, bool) {
	if c.shared != nil {
		return c.shared.allow(ctx, key)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entry(key, now)
	if e.lim.AllowN(now, 1) {
		return 0, true
	}
	return c.waitFor(e, now), false
}

// peek reports whether key has a token left, without taking it.
func (c *clientLimiters) peek(ctx context.Context, key string, now time.Time) (time.Duration, bool) {
	if c.shared != nil {
		return c.shared.peek(ctx, key)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.lim.TokensAt(now) >= 1 {
		return 0, true
	}
	return c.waitFor(e, now), false
}

func (c *clientLimiters) waitFor(e *clientEntry, now time.Time) time.Duration {
	missing := 1 - e.lim.TokensAt(now)
	return time.Duration(missing / float64(c.r) * float64(time.Second))
}

// guardBody enforces the minimum transfer rate on a request body: the
// connection's read deadline starts bodyWindow ahead and moves forward
// each time bodyMinBytes more have arrived; routes other than file
// uploads also get a deadline for the whole body (bodyReadTimeout). A
// body that stalls fails its next read and the server closes the
// connection, so slow senders cannot hold connections. Doors without a
// network connection (the window, tests' recorders) are left alone.
func (g *guard) guardBody(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return
	}
	now := time.Now()
	rb := &rateBody{body: r.Body, rc: http.NewResponseController(w), window: g.lim.bodyWindow, min: g.lim.bodyMinBytes, start: now}
	if !isUpload(r) {
		rb.hard = now.Add(g.lim.bodyReadTimeout)
	}
	if err := rb.rc.SetReadDeadline(rb.deadline(now)); err != nil {
		return // no connection under this writer
	}
	r.Body = rb
}

// isUpload reports whether r sends an import's file (the routes whose
// bodies may take long).
func isUpload(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/api/importer/imports/") && strings.HasSuffix(p, "/file")
}

type rateBody struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	window time.Duration
	min    int64
	start  time.Time // start of the current window
	got    int64     // bytes in the current window
	hard   time.Time // zero for uploads
	done   bool
}

func (b *rateBody) deadline(now time.Time) time.Time {
	d := now.Add(b.window)
	if !b.hard.IsZero() && b.hard.Before(d) {
		d = b.hard
	}
	return d
}

func (b *rateBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.got += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		if !b.done {
			// The whole body is in: clear the deadline so the server's
			// background read (which watches for the client going away)
			// does not time out and cancel a long-running handler.
			b.done = true
			_ = b.rc.SetReadDeadline(time.Time{})
		}
	case err != nil:
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return n, errs.Invalid("the request body arrived too slowly (less than %d bytes in %s); the connection is closed", b.min, b.window)
		}
	case b.got >= b.min:
		now := time.Now()
		b.start, b.got = now, 0
		_ = b.rc.SetReadDeadline(b.deadline(now))
	}
	return n, err
}

func (b *rateBody) Close() error { return b.body.Close() }
