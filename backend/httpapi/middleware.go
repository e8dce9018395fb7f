package httpapi

import (
	"context"
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
)

type door string

const (
	doorPort   door = "port"
	doorWindow door = "window"
)

type doorKey struct{}

// doorOf reports which door a request came through; set by the handler
// wrappers, never derived from the request itself.
func doorOf(ctx context.Context) door {
	if d, ok := ctx.Value(doorKey{}).(door); ok {
		return d
	}
	return doorPort
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests marks the door on the context and logs one line per
// request: method, path (no query: it may hold tokens), status, duration.
func (s *Server) logRequests(d door, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r = r.WithContext(context.WithValue(r.Context(), doorKey{}, d))
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.log.DebugContext(r.Context(), "http", append(logAttrs(r),
			"status", rec.status, "door", string(d), "ms", time.Since(start).Milliseconds())...)
	})
}

// securityHeaders sets headers every response should carry. Pages that
// may be framed (importer embed, marketplace) set their own CSP.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// checkHost refuses requests whose Host header is not a loopback name or
// one of the configured hosts, so a DNS-rebinding page cannot reach the
// port under its own name.
func (s *Server) checkHost(next http.Handler) http.Handler {
	allowed := map[string]bool{"127.0.0.1": true, "localhost": true, "::1": true}
	for _, h := range s.cfg.AllowedHosts {
		allowed[strings.ToLower(h)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(strings.Trim(host, "[]"))
		if !allowed[host] {
			s.writeError(w, r, errs.Forbidden("host %q is not allowed; use 127.0.0.1 or localhost, or start fusebox with --allowed-host %s", r.Host, host))
			return
		}
		next.ServeHTTP(w, r)
	})
}

const adminCookie = "fusebox_admin"

// Console session limits (Config overrides the first three).
const (
	// defaultConsoleIdle ends a console session not used for this long.
	defaultConsoleIdle = 12 * time.Hour
	// defaultConsoleMaxAge ends a console session this long after login,
	// however busy it is.
	defaultConsoleMaxAge = 7 * 24 * time.Hour
	// defaultMaxConsoleSessions caps live console sessions; a login over
	// it ends the least recently used one.
	defaultMaxConsoleSessions = 1000
	// maxLoginCodes caps unused one-time login codes; a new code over it
	// drops the oldest.
	maxLoginCodes = 100
)

// consoleSession is one console login (the cookie's value is its key).
type consoleSession struct {
	created, lastUsed time.Time
}

// logins holds the one-time login codes and the console sessions they
// were exchanged for. Sessions end at logout, after idle time without use
// and at their max age; both are bounded. A single process keeps them in
// memory; the replicas of a team server keep them in the database
// (shared), so a session works on every replica and a logout ends it on
// all of them.
type logins struct {
	mu          sync.Mutex
	token       string
	idle        time.Duration
	maxAge      time.Duration
	maxSessions int
	codes       map[string]time.Time
	sessions    map[string]*consoleSession
	now         func() time.Time
	shared      *sharedLogins // nil: in memory
}

func newLogins(cfg Config) *logins {
	l := &logins{
		token: cfg.AdminToken, idle: cfg.ConsoleIdle, maxAge: cfg.ConsoleMaxAge, maxSessions: cfg.MaxConsoleSessions,
		codes: map[string]time.Time{}, sessions: map[string]*consoleSession{}, now: time.Now,
	}
	if l.idle <= 0 {
		l.idle = defaultConsoleIdle
	}
	if l.maxAge <= 0 {
		l.maxAge = defaultConsoleMaxAge
	}
	if l.maxSessions <= 0 {
		l.maxSessions = defaultMaxConsoleSessions
	}
	return l
}

func (l *logins) newCode(ctx context.Context) (string, error) {
	c := ids.New("") // 130 random bits
	if l.shared != nil {
		if err := l.shared.addCode(ctx, c, l.now()); err != nil {
			return "", err
		}
		return c, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.codes) >= maxLoginCodes {
		var oldest string
		for k, at := range l.codes {
			if oldest == "" || at.Before(l.codes[oldest]) {
				oldest = k
			}
		}
		delete(l.codes, oldest)
	}
	l.codes[c] = l.now()
	return c, nil
}

// exchange trades a one-time code (or the reusable admin token) for a
// new console session id; ok is false for anything else.
func (l *logins) exchange(ctx context.Context, code string) (string, bool, error) {
	if l.shared != nil {
		return l.shared.exchange(ctx, l, code)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, valid := l.codes[code]
	if valid {
		delete(l.codes, code)
	} else if l.validToken(code) {
		valid = true
	}
	if !valid {
		return "", false, nil
	}
	now := l.now()
	l.pruneLocked(now)
	for len(l.sessions) >= l.maxSessions {
		var lru string
		for k, cs := range l.sessions {
			if lru == "" || cs.lastUsed.Before(l.sessions[lru].lastUsed) {
				lru = k
			}
		}
		delete(l.sessions, lru)
	}
	sid := ids.New("")
	l.sessions[sid] = &consoleSession{created: now, lastUsed: now}
	return sid, true, nil
}

// expired reports whether cs has been idle too long or is too old.
func (l *logins) expired(cs *consoleSession, now time.Time) bool {
	return now.Sub(cs.lastUsed) > l.idle || now.Sub(cs.created) > l.maxAge
}

func (l *logins) pruneLocked(now time.Time) {
	for k, cs := range l.sessions {
		if l.expired(cs, now) {
			delete(l.sessions, k)
		}
	}
}

// validSession reports whether sid is a live console session and marks
// it used; an expired session is deleted.
func (l *logins) validSession(ctx context.Context, sid string) (bool, error) {
	if sid == "" {
		return false, nil
	}
	if l.shared != nil {
		return l.shared.valid(ctx, l, sid)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cs, ok := l.sessions[sid]
	if !ok {
		return false, nil
	}
	now := l.now()
	if l.expired(cs, now) {
		delete(l.sessions, sid)
		return false, nil
	}
	cs.lastUsed = now
	return true, nil
}

// end deletes a console session (logout).
func (l *logins) end(ctx context.Context, sid string) error {
	if l.shared != nil {
		return l.shared.end(ctx, sid)
	}
	l.mu.Lock()
	delete(l.sessions, sid)
	l.mu.Unlock()
	return nil
}

func (l *logins) validToken(tok string) bool {
	return l.token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(l.token)) == 1
}

// isAdmin reports whether the request may use the console API: always
// through the window; on the port with the login cookie or admin token.
// The cookie is ambient (a page on another port of the same host is the
// same site, so SameSite=Strict still sends it): for a request that may
// change state it counts only when the request is not cross-origin.
func (s *Server) isAdmin(r *http.Request) bool {
	if admin, ok := r.Context().Value(adminDecisionKey{}).(bool); ok {
		return admin
	}
	return s.checkAdmin(r)
}

// adminDecisionKey is the request context key under which
// guardConsoleWrites keeps what checkAdmin decided for a console write,
// so the route's own check (requireAdmin) reuses it instead of reading
// the console session a second time (on a team server, a database read).
type adminDecisionKey struct{}

// withAdminDecision decides once whether r may use the console API and
// keeps the decision in r's context for isAdmin.
func (s *Server) withAdminDecision(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), adminDecisionKey{}, s.checkAdmin(r)))
}

// checkAdmin is isAdmin without the kept decision.
func (s *Server) checkAdmin(r *http.Request) bool {
	if doorOf(r.Context()) == doorWindow {
		return true
	}
	if c, err := r.Cookie(adminCookie); err == nil && s.crossOrigin.Check(r) == nil && s.validConsoleSession(r, c.Value) {
		return true
	}
	if tok, ok := bearer(r); ok && s.logins.validToken(tok) {
		return true
	}
	return false
}

// validConsoleSession reports whether sid is a live console session; a
// failure to check (the database of a team server) is logged and counts as
// no session.
func (s *Server) validConsoleSession(r *http.Request, sid string) bool {
	ok, err := s.logins.validSession(r.Context(), sid)
	if err != nil {
		s.log.ErrorContext(r.Context(), "check console session", "err", err)
	}
	return ok
}

// isConsoleWrite reports whether r may change state through the console
// API: any method but GET, HEAD and OPTIONS under /api/admin/, and logout.
func isConsoleWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return strings.HasPrefix(r.URL.Path, "/api/admin/") || r.URL.Path == "/logout"
}

// yamlTypes are the content types POST /api/admin/workspace accepts
// besides JSON.
var yamlTypes = map[string]bool{"application/yaml": true, "application/x-yaml": true, "text/yaml": true, "text/x-yaml": true}

// logoTypes are the content types POST /api/admin/marketplace/logos
// accepts besides JSON (the raw image). None is a type a cross-origin page
// can send without a CORS preflight.
var logoTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true, "image/svg+xml": true, "application/octet-stream": true}

// guardConsoleWrites refuses console API writes on the port that a page
// of another origin could have made the admin's browser send: they need
// a same-origin proof (Sec-Fetch-Site / Origin, checked by the standard
// library's CrossOriginProtection; a script sends neither) and a JSON
// content type (YAML for the workspace file). HTML forms and text/plain,
// the only bodies a cross-origin page can send without a CORS preflight,
// never change state. The window door is not wrapped: it has no other
// origins.
func (s *Server) guardConsoleWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isConsoleWrite(r) {
			r = s.withAdminDecision(r)
			if err := s.consoleWriteAllowed(r); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) consoleWriteAllowed(r *http.Request) error {
	if err := s.crossOrigin.Check(r); err != nil {
		from := r.Header.Get("Origin")
		if from == "" {
			from = "Sec-Fetch-Site: " + r.Header.Get("Sec-Fetch-Site")
		}
		return errs.Forbidden("cross-origin request refused: the console API accepts changes only from the console's own origin (http://%s), not from %s", r.Host, from)
	}
	if !s.isAdmin(r) {
		return nil // the route answers 401
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		hasBody := r.ContentLength != 0
		proof := r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Origin") != "" || r.Header.Get("Authorization") != ""
		if hasBody || !proof {
			return errs.Forbidden("the console API accepts changes only with Content-Type: application/json")
		}
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || (yamlTypes[mt] && r.URL.Path == "/api/admin/workspace") ||
		(logoTypes[mt] && r.URL.Path == "/api/admin/marketplace/logos")) {
		return nil
	}
	return errs.Forbidden("the console API accepts changes only with Content-Type: application/json (or a YAML type for the workspace file, an image type for a logo), not %q; forms and text/plain never change state", ct)
}

// requireAdmin guards console API handlers.
func (s *Server) requireAdmin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.isAdmin(r) {
			s.writeError(w, r, errs.Unauthorized("admin login required: open the console URL printed by `fusebox serve`, or send Authorization: Bearer <token from admin.token in the data dir>"))
			return
		}
		h(w, r)
	}
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
