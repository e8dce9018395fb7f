package httpapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/sessions"
)

// Session routes: the public session API (POST /api/v1/importer/sessions,
// as Fuse) with API-key auth and CORS for publishable keys, and the
// console's keys and sessions pages under /api/admin/.
//
// Auth on /api/v1: "Authorization: Bearer <secret key>" on every route; a
// publishable key only on POST /api/v1/importer/sessions (403 elsewhere).
// The console (window door, admin cookie or admin token) may call them too.
func (s *Server) bindSessions(mux *http.ServeMux) {
	if s.deps.Sessions == nil {
		return
	}
	mux.HandleFunc("POST /api/v1/importer/sessions", s.createSession)
	mux.HandleFunc("OPTIONS /api/v1/importer/sessions", s.sessionPreflight)
	mux.HandleFunc("GET /api/v1/importer/sessions", s.apiAuth(s.listSessions))
	mux.HandleFunc("GET /api/v1/importer/sessions/{id}", s.apiAuth(s.getSession))
	mux.HandleFunc("DELETE /api/v1/importer/sessions/{id}", s.apiAuth(s.revokeSession))
	mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)

	mux.HandleFunc("GET /api/admin/keys", s.requireAdmin(s.adminListKeys))
	mux.HandleFunc("POST /api/admin/keys", s.requireAdmin(s.adminCreateKey))
	mux.HandleFunc("POST /api/admin/keys/{id}/deactivate", s.requireAdmin(s.adminDeactivateKey))
	mux.HandleFunc("GET /api/admin/sessions", s.requireAdmin(s.adminListSessions))
	mux.HandleFunc("POST /api/admin/sessions", s.requireAdmin(s.adminCreateSession))
	mux.HandleFunc("DELETE /api/admin/sessions/{id}", s.requireAdmin(s.adminRevokeSession))
}

// SessionVerifier adapts the session service to Deps.VerifySession: a
// valid token becomes the importer actor of its session.
func SessionVerifier(svc *sessions.Service) func(ctx context.Context, token string) (importer.Actor, error) {
	return func(ctx context.Context, token string) (importer.Actor, error) {
		sess, err := svc.Verify(ctx, token)
		if err != nil {
			return importer.Actor{}, err
		}
		return importer.Actor{SessionID: sess.ID, ImporterSlug: sess.ImporterSlug, Metadata: sess.Metadata}, nil
	}
}

// openAPIDoc is the OpenAPI 3.1 document of /api/v1; a test holds it and
// the registered routes to each other.
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPIDoc)
}

// maxSessionBody caps a session request; metadata itself is limited to
// sessions.MaxMetadataBytes (422 naming the limit when over).
const maxSessionBody = 64 << 10

// apiCaller is who calls a public API route: an API key, or the console.
type apiCaller struct {
	Key   *sessions.Key
	Admin bool
}

// callerOf authenticates a public API request. A Bearer token that looks
// like a Fusebox key is checked as one (401 if bad, deactivated or
// unknown); a publishable key is refused with 403 unless allowed. Without
// a key, the console's admin login is accepted.
func (s *Server) callerOf(r *http.Request, allowPublishable bool) (apiCaller, error) {
	tok, hasBearer := bearer(r)
	if hasBearer && strings.HasPrefix(tok, "fbx_") {
		k, err := s.deps.Sessions.Authenticate(r.Context(), tok)
		if err != nil {
			return apiCaller{}, err
		}
		if k.Kind == sessions.KindPublishable && k.ID == s.idleDemoKeyID(r.Context()) {
			return apiCaller{}, errs.Forbidden("the demo's publishable key (%s) works only while the demo runs on this server, and it is off here; create a publishable key of your own that lists this page's origin", sessions.DemoPublishableName)
		}
		if k.Kind == sessions.KindPublishable && !allowPublishable {
			return apiCaller{}, errs.Forbidden("publishable keys (fbx_pk_…) can only create importer sessions (POST /api/v1/importer/sessions) from their allowed origins; call %s %s from your backend with a secret key (fbx_sk_…)", r.Method, r.URL.Path)
		}
		// A browser adds Origin to cross-origin and to every non-GET
		// request; a server-side HTTP client does not. A secret key seen
		// with it has been put into a web page, where anyone can read it.
		if k.Kind == sessions.KindSecret && r.Header.Get("Origin") != "" {
			return apiCaller{}, errs.Forbidden("secret keys belong on your server and must never be sent from a browser (this request has an Origin header, so a web page sent it): call %s %s from your backend, or create sessions in the browser with a publishable key (fbx_pk_…) that lists this origin; then deactivate this secret key, since the page exposed it", r.Method, r.URL.Path)
		}
		return apiCaller{Key: &k}, nil
	}
	if s.isAdmin(r) {
		return apiCaller{Admin: true}, nil
	}
	if hasBearer {
		return apiCaller{}, errs.Unauthorized("the API key is not valid: expected a Fusebox key (fbx_sk_… or fbx_pk_…)")
	}
	return apiCaller{}, errs.Unauthorized("missing API key: send Authorization: Bearer <secret key> (create one in the console under Keys & Sessions, or with `fusebox keys create`)")
}

func (s *Server) writeAuthError(w http.ResponseWriter, r *http.Request, err error) {
	if errs.Code(err) == errs.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fusebox"`)
	}
	s.writeError(w, r, err)
}

// apiAuth guards a public API route that takes a secret key.
func (s *Server) apiAuth(h func(http.ResponseWriter, *http.Request, apiCaller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := s.callerOf(r, false)
		if err != nil {
			s.writeAuthError(w, r, err)
			return
		}
		h(w, r, c)
	}
}

// corsOrigin answers CORS for origin when an active publishable key lists
// it: the origin is reflected (never "*"), without credentials.
func (s *Server) corsOrigin(w http.ResponseWriter, r *http.Request) (string, bool) {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" {
		return "", false
	}
	ok, err := s.deps.Sessions.AnyKeyAllowsOrigin(r.Context(), origin, s.idleDemoKeyID(r.Context()))
	if err != nil {
		s.log.WarnContext(r.Context(), "check CORS origin", "err", err)
		return origin, false
	}
	if ok {
		w.Header().Set("Access-Control-Allow-Origin", origin)
	}
	return origin, ok
}

// sessionPreflight answers the browser's CORS preflight for client-side
// sessions. It carries no key, so it is allowed for origins that an
// active publishable key lists; the POST is then checked against its key.
func (s *Server) sessionPreflight(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Access-Control-Request-Method")
	w.Header().Add("Vary", "Access-Control-Request-Headers")
	origin, ok := s.corsOrigin(w, r)
	if !ok {
		if origin == "" {
			s.writeError(w, r, errs.Forbidden("CORS preflight without an Origin header"))
			return
		}
		s.writeError(w, r, errs.Forbidden("origin %q is not allowed by any publishable key", origin))
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

type sessionRequest struct {
	ImporterSlug string          `json:"importer_slug"`
	Metadata     json.RawMessage `json:"metadata"`
}

// createSession is POST /api/v1/importer/sessions: Bearer secret key (or
// publishable key from an allowed origin), {importer_slug, metadata} ->
// 201 {id, token, expires_at}.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	origin, _ := s.corsOrigin(w, r)
	c, err := s.callerOf(r, true)
	if err != nil {
		s.writeAuthError(w, r, err)
		return
	}
	if c.Key != nil && c.Key.Kind == sessions.KindPublishable {
		// Publishable keys are public: without this, any page could mint
		// sessions (each with its own import allowance) without end.
		if wait, ok := s.pkSessions.allow(r.Context(), c.Key.ID+" "+clientAddr(r), time.Now()); !ok {
			l := s.pkSessions
			s.tooMany(w, r, wait, "too many importer sessions created with publishable key %s from this client (at most %g per second after a burst of %d); retry in %s",
				c.Key.Prefix, float64(l.r), l.burst, waitText(wait))
			return
		}
	}
	var body sessionRequest
	if err := decodeJSON(w, r, &body, maxSessionBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	iss, err := s.deps.Sessions.Issue(r.Context(), sessions.IssueParams{
		ImporterSlug: body.ImporterSlug, Metadata: body.Metadata, Key: c.Key, Origin: origin,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusCreated, iss)
}

// sessionFilterOf reads ?page, per_page, status, importer, key_id.
func sessionFilterOf(r *http.Request) (sessions.SessionFilter, error) {
	q := r.URL.Query()
	page, per, err := pageParams(q.Get("page"), q.Get("per_page"), 25)
	if err != nil {
		return sessions.SessionFilter{}, err
	}
	return sessions.SessionFilter{
		Page: page, PerPage: per, Status: q.Get("status"),
		ImporterSlug: q.Get("importer"), KeyID: q.Get("key_id"),
	}, nil
}

func (s *Server) writeSessionList(w http.ResponseWriter, r *http.Request) {
	f, err := sessionFilterOf(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, total, err := s.deps.Sessions.ListSessions(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, listPage{Data: list, Pagination: paginationOf(f.Page, f.PerPage, total)})
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, _ apiCaller) {
	s.writeSessionList(w, r)
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request, _ apiCaller) {
	sess, err := s.deps.Sessions.GetSession(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, sess)
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request, _ apiCaller) {
	sess, err := s.deps.Sessions.Revoke(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, sess)
}

// ---- console ----

func (s *Server) adminListKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.deps.Sessions.ListKeys(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"data": keys})
}

func (s *Server) adminCreateKey(w http.ResponseWriter, r *http.Request) {
	var nk sessions.NewKey
	if err := decodeJSON(w, r, &nk, 64<<10); err != nil {
		s.writeError(w, r, err)
		return
	}
	k, err := s.deps.Sessions.CreateKey(r.Context(), nk)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusCreated, k)
}

func (s *Server) adminDeactivateKey(w http.ResponseWriter, r *http.Request) {
	k, err := s.deps.Sessions.DeactivateKey(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, k)
}

func (s *Server) adminListSessions(w http.ResponseWriter, r *http.Request) {
	s.writeSessionList(w, r)
}

// adminCreateSession issues a session from the console (no API key).
func (s *Server) adminCreateSession(w http.ResponseWriter, r *http.Request) {
	var body sessionRequest
	if err := decodeJSON(w, r, &body, maxSessionBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	iss, err := s.deps.Sessions.Issue(r.Context(), sessions.IssueParams{ImporterSlug: body.ImporterSlug, Metadata: body.Metadata})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusCreated, iss)
}

func (s *Server) adminRevokeSession(w http.ResponseWriter, r *http.Request) {
	s.revokeSession(w, r, apiCaller{Admin: true})
}

// ---- paging (the Fuse shape) ----

// pagination is Fuse's pagination object.
type pagination struct {
	Current    int  `json:"current"`
	Previous   *int `json:"previous"`
	Next       *int `json:"next"`
	Limit      int  `json:"limit"`
	TotalPages int  `json:"total_pages"`
	TotalCount int  `json:"total_count"`
}

type listPage struct {
	Data       any        `json:"data"`
	Pagination pagination `json:"pagination"`
}

func paginationOf(page, per, total int) pagination {
	p := pagination{Current: page, Limit: per, TotalCount: total}
	if per > 0 {
		p.TotalPages = (total + per - 1) / per
	}
	if page > 1 {
		prev := min(page-1, max(p.TotalPages, 1))
		p.Previous = &prev
	}
	if page < p.TotalPages {
		next := page + 1
		p.Next = &next
	}
	return p
}

// maxPerPage is the largest page the public API serves (as Fuse);
// larger per_page values are clamped, and pagination.limit says so.
const maxPerPage = 100

// pageParams reads page (default 1) and per_page (default def, clamped to
// maxPerPage); anything not a positive integer is EINVALID.
func pageParams(pageText, perText string, def int) (page, per int, err error) {
	page, per = 1, def
	if pageText != "" {
		n, err := strconv.Atoi(pageText)
		if err != nil || n < 1 {
			return 0, 0, errs.Invalid("page must be a positive integer, not %q", pageText)
		}
		page = n
	}
	if perText != "" {
		n, err := strconv.Atoi(perText)
		if err != nil || n < 1 {
			return 0, 0, errs.Invalid("per_page must be a positive integer (at most %d), not %q", maxPerPage, perText)
		}
		per = min(n, maxPerPage)
	}
	return page, per, nil
}
