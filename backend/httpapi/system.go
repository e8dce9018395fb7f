package httpapi

import (
	"net/http"
	"os"
	"strings"
	"time"

	"fusebox/backend/errs"
)

func (s *Server) bindSystem(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("GET /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	// Unmatched /api/ paths answer in the JSON error shape, not text.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errs.NotFound("no API route %s %s", r.Method, r.URL.Path))
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.cfg.Version})
}

// login exchanges the code of the printed login URL for a console session
// cookie, then sends the browser to the console without the code in the URL.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	sid, ok, err := s.logins.exchange(r.Context(), r.URL.Query().Get("code"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !ok {
		if c, err := r.Cookie(adminCookie); err == nil && s.validConsoleSession(r, c.Value) {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>Fusebox login</title>
<body style="font-family:system-ui;margin:3rem;max-width:40rem">
<h1>This login link is not valid</h1>
<p>Login links printed by <code>fusebox serve</code> work once. Use the newest link it printed,
or open <code>/login?code=&lt;token&gt;</code> with the token stored in <code>admin.token</code> in the data directory.</p>`))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: adminCookie, Value: sid, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.logins.maxAge.Seconds()),
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout ends the console session on the server (the old cookie value no
// longer works anywhere) and clears the cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(adminCookie); err == nil {
		if err := s.logins.end(r.Context(), c.Value); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) bindAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/admin/dashboard", s.requireAdmin(s.dashboard))
	mux.HandleFunc("GET /api/admin/dashboard/charts", s.requireAdmin(s.dashboardCharts))
	mux.HandleFunc("GET /api/admin/whoami", s.requireAdmin(s.whoami))
	mux.HandleFunc("POST /api/admin/ready", s.requireAdmin(s.consoleReady))
}

type dashboardStat struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

type dashboard struct {
	Version       string          `json:"version"`
	DataDir       string          `json:"data_dir"`
	DBPath        string          `json:"db_path"`
	SchemaVersion int             `json:"schema_version"`
	UptimeSeconds int64           `json:"uptime_seconds"`
	DBSizeBytes   int64           `json:"db_size_bytes"`
	Stats         []dashboardStat `json:"stats"`
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := dashboard{
		Version: s.cfg.Version, DataDir: s.cfg.DataDir,
		UptimeSeconds: int64(time.Since(s.cfg.StartedAt).Seconds()),
		Stats:         []dashboardStat{},
	}
	if db := s.deps.DB; db != nil {
		d.DBPath = db.Path
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		d.SchemaVersion = v
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(db.Path + suffix); err == nil {
				d.DBSizeBytes += fi.Size()
			}
		}
	}
	for _, st := range s.deps.Stats {
		n, err := st.Count(ctx)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		d.Stats = append(d.Stats, dashboardStat{Name: st.Name, Count: n})
	}
	s.writeJSON(w, http.StatusOK, d)
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	me := map[string]any{"admin": true, "door": string(doorOf(r.Context())), "version": s.cfg.Version}
	if doorOf(r.Context()) == doorWindow && s.cfg.ConsoleOpen != "" {
		me["open_route"] = s.cfg.ConsoleOpen
	}
	s.writeJSON(w, http.StatusOK, me)
}

// consoleReady is called by the console once it has rendered; the log
// line lets the desktop smoke test see that the window's UI and API work.
// With a step it is the console's Try view saying the importer shows that
// step: the line "upload step ready" carries the centre of the paste box
// in window pixels (x, y), where the smoke test clicks; "header step
// ready" the centre of the first row of the loaded preview.
func (s *Server) consoleReady(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Page string `json:"page"`
		Step string `json:"step"`
		X    int    `json:"x"`
		Y    int    `json:"y"`
	}
	if err := decodeJSON(w, r, &body, 4<<10); err != nil {
		s.writeError(w, r, err)
		return
	}
	door, page := string(doorOf(r.Context())), strings.ToValidUTF8(body.Page, "")
	switch body.Step {
	case "":
		s.log.InfoContext(r.Context(), "console ready", "door", door, "page", page, "user_agent", r.UserAgent())
	case "upload", "header":
		s.log.InfoContext(r.Context(), body.Step+" step ready", "door", door, "page", page, "x", body.X, "y", body.Y)
	default:
		s.writeError(w, r, errs.Invalid("step %q is not a step the console reports (upload, header)", strings.ToValidUTF8(body.Step, "")))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
