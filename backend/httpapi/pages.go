package httpapi

import (
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

func (s *Server) bindPages(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.consoleOrSeedLink(s.page("index.html", "'none'")))
	mux.HandleFunc("GET /demo", s.demoOnly(s.page("demo/index.html", "'self'")))
	mux.HandleFunc("GET /assets/", s.static(true))
	mux.HandleFunc("GET /sdk/", s.static(false))
}

// consoleOrSeedLink sends a signed marketplace link in APIFuse's form,
// /?jwt=..., on to /marketplace with the same query; every
// other request for / is the console's page, unchanged. The marketplace
// page checks the token and drops it from the address bar.
func (s *Server) consoleOrSeedLink(console http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.deps.Marketplace != nil && r.URL.Query().Has("jwt") {
			seeOther(w, "/marketplace", r.URL.RawQuery)
			return
		}
		console(w, r)
	}
}

// seeOther redirects to the local path p with query q (which may hold a
// token): not cached, and no Referer sent from the redirect.
func seeOther(w http.ResponseWriter, p, q string) {
	if q != "" {
		p += "?" + q
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Location", p)
	w.WriteHeader(http.StatusSeeOther)
}

// page serves one built HTML entry with a frame-ancestors policy.
func (s *Server) page(name, frameAncestors string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.servePage(w, r, name, frameAncestors)
	}
}

// servePage writes a built HTML page; pages that may be framed by host
// apps pass their own frame-ancestors list.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request, name, frameAncestors string) {
	body, err := s.readAsset(name)
	if err != nil {
		s.assetMissing(w, name, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "frame-ancestors "+frameAncestors)
	if frameAncestors == "'none'" {
		h.Set("X-Frame-Options", "DENY")
	}
	_, _ = w.Write(body)
}

func (s *Server) readAsset(name string) ([]byte, error) {
	if s.cfg.Assets == nil {
		return nil, fs.ErrNotExist
	}
	return fs.ReadFile(s.cfg.Assets, name)
}

func (s *Server) assetMissing(w http.ResponseWriter, name string, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("The web frontend is not built into this binary (" + name + " is missing). Build it with `make server` or `make run`.\n"))
		return
	}
	http.Error(w, "read asset: "+err.Error(), http.StatusInternalServerError)
}

// static serves files under /assets/ and /sdk/ from the built frontend.
// Vite's hashed assets are immutable; SDK files keep stable names.
func (s *Server) static(immutable bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if s.cfg.Assets == nil {
			http.NotFound(w, r)
			return
		}
		if fi, err := fs.Stat(s.cfg.Assets, name); err != nil || fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		if immutable {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
			// SDK files are loaded by host pages on other origins.
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
		}
		http.ServeFileFS(w, r, s.cfg.Assets, name)
	}
}
