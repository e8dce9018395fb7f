package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"fusebox/backend/errs"
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

// logins holds the one-time login codes and the console sessions they
// were exchanged for. It lives as long as the process.
type logins struct {
	mu       sync.Mutex
	token    string
	codes    map[string]bool
	sessions map[string]bool
}

func newLogins(token string) *logins {
	return &logins{token: token, codes: map[string]bool{}, sessions: map[string]bool{}}
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (l *logins) newCode() string {
	c := randomToken()
	l.mu.Lock()
	l.codes[c] = true
	l.mu.Unlock()
	return c
}

// exchange trades a one-time code (or the reusable admin token) for a
// new console session id; ok is false for anything else.
func (l *logins) exchange(code string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	valid := l.codes[code]
	if valid {
		delete(l.codes, code)
	} else if l.token != "" && subtle.ConstantTimeCompare([]byte(code), []byte(l.token)) == 1 {
		valid = true
	}
	if !valid {
		return "", false
	}
	sid := randomToken()
	l.sessions[sid] = true
	return sid, true
}

func (l *logins) validSession(sid string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return sid != "" && l.sessions[sid]
}

func (l *logins) validToken(tok string) bool {
	return l.token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(l.token)) == 1
}

// isAdmin reports whether the request may use the console API: always
// through the window; on the port with the login cookie or admin token.
func (s *Server) isAdmin(r *http.Request) bool {
	if doorOf(r.Context()) == doorWindow {
		return true
	}
	if c, err := r.Cookie(adminCookie); err == nil && s.logins.validSession(c.Value) {
		return true
	}
	if tok, ok := bearer(r); ok && s.logins.validToken(tok) {
		return true
	}
	return false
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
