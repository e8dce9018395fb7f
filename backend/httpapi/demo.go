package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"fusebox/backend/demo"
	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/sessions"
	"fusebox/backend/workspace"
)

// The demo host app (/demo) plays a customer's web app. Its backend is the
// few routes below, written the way the seed's server-side samples are:
// they act with the workspace's demo secret key and never hand it to the
// browser. They call the session and import services in process, through
// the same calls /api/v1 makes, never an HTTP request to this server. The
// page (frontend/src/demo) calls them.
//
//	GET  /demo/api/config    importers to try, the demo publishable key
//	                         (for the client-side session button)
//	POST /demo/api/session   {importer_slug, user_id} -> {token, expires_at}:
//	                         as POST /api/v1/importer/sessions with metadata {user_id}
//	GET  /demo/api/imports   ?user_id=&page= -> as GET /api/v1/imports?metadata[user_id]=
//
// Every demo route (and the page /demo, and POST /demo/api/marketplace-link)
// exists only while the demo is in force: the data dir holds the demo
// workspace and nothing else was applied since, the process was not told
// --no-demo (nor listens on a non-loopback address without
// --demo-on-public), and the console's switch (Settings) is on. Otherwise
// they answer 404 saying why.
//
// The demo acts only on the demo workspace's own objects, whatever else
// the data dir holds: sessions and imports of the importers the demo
// workspace file defines (demoImporters), never of importers the admin
// made while the demo runs. Its POST routes take Content-Type:
// application/json only, so a page of another site cannot post to them
// with a form or text/plain (no preflight).
//
// The console reads and sets the switch with GET/PUT /api/admin/demo.
func (s *Server) bindDemo(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/admin/demo", s.requireAdmin(s.adminDemo))
	mux.HandleFunc("PUT /api/admin/demo", s.requireAdmin(s.adminSetDemo))
	if s.deps.Sessions == nil || s.deps.Importer == nil {
		return
	}
	mux.HandleFunc("GET /demo/api/config", s.demoOnly(s.demoConfig))
	mux.HandleFunc("POST /demo/api/session", s.demoOnly(s.demoSession))
	mux.HandleFunc("GET /demo/api/imports", s.demoOnly(s.demoImports))
}

// DemoSwitch is the demo workspace's state in the data dir
// (workspace.Workspace implements it).
type DemoSwitch interface {
	Demo(ctx context.Context) (workspace.DemoState, error)
	SetDemoRoutes(ctx context.Context, on bool) (workspace.DemoState, error)
}

// DemoStatus is whether the demo app routes answer, and why not.
type DemoStatus struct {
	// On: the demo routes answer.
	On bool `json:"on"`
	// Enabled is the console switch.
	Enabled bool `json:"enabled"`
	// Available: the demo workspace is in force and this process serves
	// the demo, so the switch decides.
	Available bool `json:"available"`
	// Reason says why the demo is off; "" while on.
	Reason string `json:"reason"`
	// URL is the demo app's address while it is on.
	URL string `json:"url,omitempty"`
}

// DemoStatus reports whether the demo app routes answer, and why not.
func (s *Server) DemoStatus(ctx context.Context) (DemoStatus, error) {
	if s.deps.Demo == nil {
		return DemoStatus{Reason: "this server has no demo workspace"}, nil
	}
	st, err := s.deps.Demo.Demo(ctx)
	if err != nil {
		return DemoStatus{}, err
	}
	d := DemoStatus{Enabled: st.Enabled, Available: st.Applied && s.cfg.DemoOff == "", Reason: st.Reason}
	switch {
	case !st.Applied:
	case s.cfg.DemoOff != "":
		d.Reason = s.cfg.DemoOff
	case s.deps.Sessions == nil || s.deps.Importer == nil:
		d.Reason = "this server has no importer or session service"
	default:
		d.On = st.On()
	}
	if d.On {
		d.Reason = ""
		if base := s.BaseURL(); base != "" {
			d.URL = base + "/demo"
		}
	}
	return d, nil
}

// idleDemoKeyID is the demo publishable key's id while the demo is off in
// this process (a non-loopback listener, --no-demo, the switch in the
// console), else "". That key lists every loopback origin so that /demo
// works with no setup; while the demo is off it must not let those pages
// frame importers, pass CORS or create sessions.
func (s *Server) idleDemoKeyID(ctx context.Context) string {
	if s.deps.Sessions == nil {
		return ""
	}
	if d, err := s.DemoStatus(ctx); err == nil && d.On {
		return ""
	}
	id, err := s.deps.Sessions.DemoPublishableID(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "demo key", "err", err)
		return ""
	}
	return id
}

// demoImporters are the slugs of the demo workspace file's importers,
// read once: the only importers the demo routes act on.
var demoImporters = demo.Importers()

// isDemoImporter reports whether slug is one of the demo's importers.
func isDemoImporter(slug string) bool { return slices.Contains(demoImporters, slug) }

// demoOnly lets a demo route answer only while the demo is on; otherwise
// it is 404, saying why. Its POST routes take JSON only (EFORBIDDEN).
func (s *Server) demoOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := s.DemoStatus(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !d.On {
			err := errs.NotFound("the demo app is off: %s", d.Reason)
			if !strings.HasPrefix(r.URL.Path, "/demo/api/") {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(errs.Message(err) + ".\n"))
				return
			}
			s.writeError(w, r, err)
			return
		}
		if r.Method == http.MethodPost && !isJSONContentType(r.Header.Get("Content-Type")) {
			s.writeError(w, r, errs.Forbidden("the demo app's %s takes only Content-Type: application/json, not %q", r.URL.Path, r.Header.Get("Content-Type")))
			return
		}
		h(w, r)
	}
}

func (s *Server) adminDemo(w http.ResponseWriter, r *http.Request) {
	d, err := s.DemoStatus(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, d)
}

// adminSetDemo is PUT /api/admin/demo {"enabled": bool}: the console's
// switch. Switching on works only while the demo workspace is in force.
func (s *Server) adminSetDemo(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Enabled *bool `json:"enabled"`
	}
	if err := decodeJSON(w, r, &body, 1<<10); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Enabled == nil {
		s.writeError(w, r, errs.Invalid("enabled: required (true or false)"))
		return
	}
	if s.deps.Demo == nil {
		s.writeError(w, r, errs.NotFound("this server has no demo workspace"))
		return
	}
	if _, err := s.deps.Demo.SetDemoRoutes(r.Context(), *body.Enabled); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "demo app routes switched", "enabled", *body.Enabled)
	s.adminDemo(w, r)
}

// selfURL is this server's base URL: the configured public URL, else the
// listener's address once it listens.
type selfURL struct {
	mu  sync.Mutex
	url string
}

// SetBaseURL tells the server its listener's address (http://host:port).
// A configured PublicURL takes precedence.
func (s *Server) SetBaseURL(u string) {
	s.self.mu.Lock()
	s.self.url = strings.TrimRight(u, "/")
	s.self.mu.Unlock()
}

// BaseURL is this server's own URL, for links it signs and for
// {{fusebox.base_url}}: Config.PublicURL, else the listener's address; ""
// before it listens. It never comes from a request.
func (s *Server) BaseURL() string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	s.self.mu.Lock()
	defer s.self.mu.Unlock()
	return s.self.url
}

// demoUserID is what the demo accepts as its signed-in user's id.
var demoUserID = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// demoUser returns the demo user's id (default 123, like the seed).
func demoUser(v string) (string, error) {
	if v == "" {
		return "123", nil
	}
	if !demoUserID.MatchString(v) {
		return "", errs.Invalid("user_id %q: use 1-64 letters, digits or _ . @ -", v)
	}
	return v, nil
}

type demoImporter struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (s *Server) demoConfig(w http.ResponseWriter, r *http.Request) {
	keys, err := s.deps.Sessions.DemoKeys(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.deps.Importer.ListImporters(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	imps := []demoImporter{}
	for _, imp := range list {
		if isDemoImporter(imp.Slug) {
			imps = append(imps, demoImporter{Slug: imp.Slug, Name: imp.Name})
		}
	}
	pk := ""
	if keys.PublishableActive {
		pk = keys.Publishable // publishable: made to be shown in a browser page
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusOK, map[string]any{
		"importers":       imps,
		"publishable_key": pk,
		"base_url":        s.BaseURL(),
		"user_id":         "123",
	})
}

// demoKey authenticates the demo secret key as /api/v1 authenticates a
// Bearer key (marking it used); 403 when it was deactivated.
func (s *Server) demoKey(ctx context.Context) (sessions.Key, error) {
	keys, err := s.deps.Sessions.DemoKeys(ctx)
	if err != nil {
		return sessions.Key{}, err
	}
	if !keys.SecretActive {
		return sessions.Key{}, errs.Forbidden("the demo secret key is deactivated; activate a demo key or create sessions with your own key")
	}
	return s.deps.Sessions.Authenticate(ctx, keys.Secret)
}

func (s *Server) demoSession(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ImporterSlug string `json:"importer_slug"`
		UserID       string `json:"user_id"`
	}
	if err := decodeJSON(w, r, &body, 4<<10); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !isDemoImporter(body.ImporterSlug) {
		s.writeError(w, r, errs.Forbidden("the demo app creates sessions only for the demo workspace's importers (%s), not %q; create sessions for your own importers with your own API key", strings.Join(demoImporters, ", "), body.ImporterSlug))
		return
	}
	uid, err := demoUser(body.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var userID any = uid
	if n, err := strconv.ParseInt(uid, 10, 64); err == nil && strconv.FormatInt(n, 10) == uid {
		userID = n // a number, as in the seed's `metadata: { user_id: 123 }`
	}
	md, err := json.Marshal(map[string]any{"user_id": userID})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	k, err := s.demoKey(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// What POST /api/v1/importer/sessions does for a secret key.
	iss, err := s.deps.Sessions.Issue(r.Context(), sessions.IssueParams{ImporterSlug: body.ImporterSlug, Metadata: md, Key: &k})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusCreated, iss)
}

func (s *Server) demoImports(w http.ResponseWriter, r *http.Request) {
	uid, err := demoUser(r.URL.Query().Get("user_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, per, err := pageParams(r.URL.Query().Get("page"), "20", 20)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.demoKey(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	// What GET /api/v1/imports?metadata[user_id]= does, for the demo's
	// importers only.
	list, total, err := s.deps.Importer.ListImports(r.Context(), importer.ListFilter{
		Page: page, PerPage: per, Metadata: map[string]string{"user_id": uid}, ImporterSlugs: demoImporters,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data := make([]apiImport, len(list))
	for i, imp := range list {
		data[i] = apiImportOf(imp)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusOK, listPage{Data: data, Pagination: paginationOf(page, per, total)})
}
