package app

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// hostUsage records whether a host app used the server in this run: an
// importer session was issued (POST /api/v1/importer/sessions), or an
// API or embed call came with a key or session token that is not the
// admin token, and was answered without an error. The window keeps the
// server running when it closes once this happened (unless the user
// turned that off). Only the desktop window wraps the port with it.
type hostUsage struct {
	adminToken string
	used       atomic.Bool
	once       sync.Once
	// onFirst runs once, on the first use.
	onFirst func(path string)
}

// Used reports whether a host app used the server in this run.
func (u *hostUsage) Used() bool { return u.used.Load() }

// wrap is the port handler with the recording in front.
func (u *hostUsage) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u.used.Load() || !u.candidate(r) {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		if sw.status < 400 {
			u.used.Store(true)
			u.once.Do(func() {
				if u.onFirst != nil {
					u.onFirst(r.URL.Path)
				}
			})
		}
	})
}

// candidate reports whether r is a host app's call: the public API or an
// importer (embed) route with a bearer token other than the admin token.
func (u *hostUsage) candidate(r *http.Request) bool {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/api/v1/") && !strings.HasPrefix(p, "/api/importer/") {
		return false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	return u.adminToken == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(u.adminToken)) != 1
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming responses streaming.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
