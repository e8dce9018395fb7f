package httpapi

import (
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"fusebox/backend/demo"
	"fusebox/backend/errs"
	"fusebox/backend/marketplace"
)

// Marketplace routes.
//
// Pages (frameable by the workspace's embed_origins): GET /marketplace,
// /marketplace/, /marketplace/listing/{id}, /marketplace/installed. The
// seed's link forms, /?jwt= and /listing/{id}, redirect (303) to them. With
// ?jwt= the token is verified first; a rejected token gets a 401 (413 when
// oversized) HTML page that says why, inside the iframe.
//
// End-user API under /api/marketplace/: the catalog is public; installing
// needs the session that POST /api/marketplace/login returns, sent as the
// X-Fusebox-Marketplace-Session header (no cookies: third-party iframe
// cookies are unreliable, and SameSite=None needs https).
//
// Console API under /api/admin/marketplace/, and the demo app's backend
// route POST /demo/api/marketplace-link.
func (s *Server) bindMarketplace(mux *http.ServeMux) {
	m := s.deps.Marketplace
	if m == nil {
		return
	}
	mux.HandleFunc("GET /marketplace", s.marketplacePage)
	mux.HandleFunc("GET /marketplace/{$}", s.marketplacePage)
	mux.HandleFunc("GET /marketplace/listing/{id}", s.marketplacePage)
	mux.HandleFunc("GET /marketplace/installed", s.marketplacePage)
	mux.HandleFunc("GET /marketplace/logos/{name}", s.mpLogo)
	// The APIFuse seed's listing links: /listing/<listingId>?jwt=...
	mux.HandleFunc("GET /listing/{id}", s.seedListingLink)
	mux.HandleFunc("GET /api/marketplace/config", s.mpConfig)
	mux.HandleFunc("GET /api/marketplace/listings", s.mpListings)
	mux.HandleFunc("GET /api/marketplace/listings/{id}", s.mpListing)
	mux.HandleFunc("POST /api/marketplace/login", s.mpLogin)
	mux.HandleFunc("POST /api/marketplace/logout", s.mpLogout)
	mux.HandleFunc("GET /api/marketplace/me", s.mpSession(s.mpMe))
	mux.HandleFunc("GET /api/marketplace/installs", s.mpSession(s.mpInstalls))
	mux.HandleFunc("POST /api/marketplace/installs", s.mpSession(s.mpInstall))
	mux.HandleFunc("GET /api/marketplace/installs/{id}", s.mpSession(s.mpGetInstall))
	mux.HandleFunc("POST /api/marketplace/installs/{id}/enable", s.mpSession(s.mpEnable(true)))
	mux.HandleFunc("POST /api/marketplace/installs/{id}/disable", s.mpSession(s.mpEnable(false)))
	mux.HandleFunc("DELETE /api/marketplace/installs/{id}", s.mpSession(s.mpUninstall))
	mux.HandleFunc("GET /api/marketplace/installs/{id}/activity", s.mpSession(s.mpInstallActivity))
	mux.HandleFunc("POST /api/marketplace/installs/{id}/deliveries/{delivery}/retry", s.mpSession(s.mpRetryDelivery))

	mux.HandleFunc("GET /api/admin/marketplace/settings", s.requireAdmin(s.mpAdminSettings))
	mux.HandleFunc("PUT /api/admin/marketplace/settings", s.requireAdmin(s.mpAdminSaveSettings))
	mux.HandleFunc("GET /api/admin/marketplace/plans", s.requireAdmin(s.mpAdminPlans))
	mux.HandleFunc("PUT /api/admin/marketplace/plans/{name}", s.requireAdmin(s.mpAdminSavePlan))
	mux.HandleFunc("DELETE /api/admin/marketplace/plans/{name}", s.requireAdmin(s.mpAdminDeletePlan))
	mux.HandleFunc("GET /api/admin/marketplace/listings", s.requireAdmin(s.mpAdminListings))
	mux.HandleFunc("PUT /api/admin/marketplace/listings/{id}", s.requireAdmin(s.mpAdminSaveListing))
	mux.HandleFunc("DELETE /api/admin/marketplace/listings/{id}", s.requireAdmin(s.mpAdminDeleteListing))
	mux.HandleFunc("POST /api/admin/marketplace/logos", s.requireAdmin(s.mpAdminUploadLogo))
	mux.HandleFunc("GET /api/admin/marketplace/secrets", s.requireAdmin(s.mpAdminSecrets))
	mux.HandleFunc("POST /api/admin/marketplace/secrets", s.requireAdmin(s.mpAdminCreateSecret))
	mux.HandleFunc("POST /api/admin/marketplace/secrets/{id}/deactivate", s.requireAdmin(s.mpAdminDeactivateSecret))
	mux.HandleFunc("GET /api/admin/marketplace/end-users", s.requireAdmin(s.mpAdminEndUsers))
	mux.HandleFunc("GET /api/admin/marketplace/installs", s.requireAdmin(s.mpAdminInstalls))
	mux.HandleFunc("GET /api/admin/marketplace/limit-hits", s.requireAdmin(s.mpAdminLimitHits))
	mux.HandleFunc("GET /api/admin/marketplace/installs/{id}", s.requireAdmin(s.mpAdminInstall))
	mux.HandleFunc("POST /api/admin/marketplace/links", s.requireAdmin(s.mpAdminSignLink))
	mux.HandleFunc("POST /api/admin/marketplace/inspect", s.requireAdmin(s.mpAdminInspect))

	mux.HandleFunc("POST /demo/api/marketplace-link", s.demoOnly(s.mpDemoLink))
}

// MarketplaceSessionHeader carries the marketplace session id.
const MarketplaceSessionHeader = "X-Fusebox-Marketplace-Session"

const (
	maxMarketplaceBody = 64 << 10
	maxListingBody     = 512 << 10
)

// requestOrigin is the origin the browser used to reach this page. It
// only recognises the page's own origin among postMessage targets (a
// browser sets Host itself); nothing is built or sent from it: the
// server's own URL is BaseURL.
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// frameAncestors lists who may frame the marketplace: itself and the
// embed origins.
func frameAncestors(st marketplace.Settings) string {
	return strings.Join(append([]string{"'self'"}, st.EmbedOrigins...), " ")
}

func (s *Server) marketplacePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st, err := s.deps.Marketplace.Settings(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	fa := frameAncestors(st)
	if tok := r.URL.Query().Get("jwt"); tok != "" || r.URL.Query().Has("jwt") {
		w.Header().Set("Cache-Control", "no-store")
		if _, err := s.deps.Marketplace.Verify(ctx, tok); err != nil {
			s.marketplaceRejected(w, r, fa, err)
			return
		}
	}
	s.servePage(w, r, "marketplace/index.html", fa)
}

// seedListingLink sends the seed's /listing/{id} (with or without ?jwt=)
// on to /marketplace/listing/{id} with the same query.
func (s *Server) seedListingLink(w http.ResponseWriter, r *http.Request) {
	seeOther(w, "/marketplace/listing/"+url.PathEscape(r.PathValue("id")), r.URL.RawQuery)
}

// marketplaceRejected is the page shown in the iframe for a bad link.
func (s *Server) marketplaceRejected(w http.ResponseWriter, r *http.Request, fa string, err error) {
	status := StatusOf(err)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "marketplace link check failed", "err", err)
	}
	// Keep the host origin for the catalog link, so events still reach the host page.
	browseURL := "/marketplace"
	if o := r.URL.Query().Get("origin"); o != "" {
		if st, err := s.deps.Marketplace.Settings(r.Context()); err == nil && st.AllowsOrigin(o) {
			browseURL += "?" + url.Values{"origin": {o}}.Encode()
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors "+fa)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>This link is not valid</title>
<body style="font-family:system-ui,sans-serif;margin:2.5rem;max-width:42rem;color:#1f2430">
<h1 style="font-size:1.4rem">This marketplace link is not valid</h1>
<p id="reason" data-code="` + html.EscapeString(errs.Code(err)) + `">` + html.EscapeString(errs.Message(err)) + `</p>
<p style="color:#5b6475">Go back to the app that sent you here and open the integrations page again: it signs a new link each time.</p>
<p><a href="` + html.EscapeString(browseURL) + `">Browse the catalog without signing in</a></p>
</body></html>`))
}

// mpConfig tells the marketplace page its title and the parent origin it
// may post events to: the first candidate (?origin= from the page URL,
// then ?referrer=, the document.referrer) that is this server's own origin
// or one of the embed origins; "" when none is.
func (s *Server) mpConfig(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st, err := s.deps.Marketplace.Settings(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cats, err := s.deps.Marketplace.Categories(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	self := strings.ToLower(requestOrigin(r))
	parent := ""
	for _, c := range []string{r.URL.Query().Get("origin"), r.URL.Query().Get("referrer")} {
		if c == "" {
			continue
		}
		u, err := url.Parse(c)
		if err != nil || u.Scheme == "" || u.Host == "" {
			continue
		}
		o := strings.ToLower(u.Scheme + "://" + u.Host)
		if o == self || st.AllowsOrigin(o) {
			parent = o
			break
		}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"title": st.Title, "categories": cats, "parent_origin": parent})
}

func (s *Server) mpListings(w http.ResponseWriter, r *http.Request) {
	ls, err := s.deps.Marketplace.SearchListings(r.Context(), r.URL.Query().Get("q"), r.URL.Query().Get("category"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]marketplace.PublicListing, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Public())
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"listings": out})
}

// mpListing is public; with a valid session it also returns the wizard's
// prefill and the user's installs of the listing.
func (s *Server) mpListing(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l, err := s.deps.Marketplace.Listing(ctx, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := map[string]any{"listing": l.Public()}
	if sid := r.Header.Get(MarketplaceSessionHeader); sid != "" {
		sess, err := s.deps.Marketplace.Authenticate(ctx, sid)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out["prefill"] = s.deps.Marketplace.PrefillFor(sess, l)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusOK, out)
}

type mpSessionView struct {
	User      marketplace.EndUser `json:"user"`
	Plan      marketplace.Plan    `json:"plan"`
	Usage     marketplace.Usage   `json:"usage"`
	ExpiresAt string              `json:"expires_at"`
}

func (s *Server) sessionView(r *http.Request, sess marketplace.Session) (mpSessionView, error) {
	u, err := s.deps.Marketplace.UsageOf(r.Context(), sess.User.ID, sess.Plan)
	return mpSessionView{User: sess.User, Plan: sess.Plan, Usage: u, ExpiresAt: sess.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")}, err
}

// mpLogin exchanges a signed-link token (in the body, never the URL) for
// a marketplace session.
func (s *Server) mpLogin(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(w, r, &body, maxMarketplaceBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.deps.Marketplace.Login(r.Context(), body.Token)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	view, err := s.sessionView(r, res.Session)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusOK, map[string]any{"session": res.SessionID, "user": view.User, "plan": view.Plan, "usage": view.Usage, "expires_at": view.ExpiresAt})
}

func (s *Server) mpLogout(w http.ResponseWriter, r *http.Request) {
	if sid := r.Header.Get(MarketplaceSessionHeader); sid != "" {
		if err := s.deps.Marketplace.Logout(r.Context(), sid); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// mpSession guards end-user routes with the marketplace session header.
func (s *Server) mpSession(h func(w http.ResponseWriter, r *http.Request, sess marketplace.Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.deps.Marketplace.Authenticate(r.Context(), r.Header.Get(MarketplaceSessionHeader))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, sess)
	}
}

func (s *Server) mpMe(w http.ResponseWriter, r *http.Request, sess marketplace.Session) {
	view, err := s.sessionView(r, sess)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, view)
}

func (s *Server) mpInstalls(w http.ResponseWriter, r *http.Request, sess marketplace.Session) {
	list, err := s.deps.Marketplace.Installs(r.Context(), marketplace.InstallFilter{EndUserID: sess.User.ID, ListingID: r.URL.Query().Get("listing_id")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"installs": list})
}

func (s *Server) mpInstall(w http.ResponseWriter, r *http.Request, sess marketplace.Session) {
	var req marketplace.InstallRequest
	if err := decodeJSON(w, r, &req, maxMarketplaceBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	req.BaseURL = s.BaseURL() // never the request's Host: the install keeps it
	in, err := s.deps.Marketplace.StartInstall(r.Context(), sess, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusAccepted, map[string]any{"install": in})
}

func (s *Server) mpGetInstall(w http.ResponseWriter, r *http.Request, sess marketplace.Session) {
	in, err := s.deps.Marketplace.Install(r.Context(), sess.User.ID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"install": in})
}

func (s *Server) mpEnable(enabled bool) func(w http.ResponseWriter, r *http.Request, sess marketplace.Session) {
	return func(w http.ResponseWriter, r *http.Request, sess marketplace.Session) {
		in, err := s.deps.Marketplace.SetInstallEnabled(r.Context(), sess.User.ID, r.PathValue("id"), enabled)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.writeJSON(w, http.StatusOK, map[string]any{"install": in})
	}
}

func (s *Server) mpUninstall(w http.ResponseWriter, r *http.Request, sess marketplace.Session) {
	in, err := s.deps.Marketplace.Uninstall(r.Context(), sess.User.ID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"install": in})
}

// ---- console ----

func (s *Server) mpAdminSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.deps.Marketplace.Settings(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, st)
}

func (s *Server) mpAdminSaveSettings(w http.ResponseWriter, r *http.Request) {
	var st marketplace.Settings
	if err := decodeJSON(w, r, &st, maxMarketplaceBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.deps.Marketplace.UpdateSettings(r.Context(), st)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, st)
}

func (s *Server) mpAdminPlans(w http.ResponseWriter, r *http.Request) {
	ps, err := s.deps.Marketplace.Plans(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"plans": ps})
}

func (s *Server) mpAdminSavePlan(w http.ResponseWriter, r *http.Request) {
	var p marketplace.Plan
	if err := decodeJSON(w, r, &p, maxMarketplaceBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	if p.Name == "" {
		p.Name = r.PathValue("name")
	}
	if !strings.EqualFold(p.Name, r.PathValue("name")) {
		s.writeError(w, r, errs.Invalid("name: %q in the body differs from %q in the URL", p.Name, r.PathValue("name")))
		return
	}
	p, err := s.deps.Marketplace.SavePlan(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, p)
}

func (s *Server) mpAdminDeletePlan(w http.ResponseWriter, r *http.Request) {
	if err := s.deps.Marketplace.DeletePlan(r.Context(), r.PathValue("name")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) mpAdminListings(w http.ResponseWriter, r *http.Request) {
	ls, err := s.deps.Marketplace.Listings(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"listings": ls})
}

func (s *Server) mpAdminSaveListing(w http.ResponseWriter, r *http.Request) {
	var l marketplace.Listing
	if err := decodeJSON(w, r, &l, maxListingBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	if l.ID == "" {
		l.ID = r.PathValue("id")
	}
	if l.ID != r.PathValue("id") {
		s.writeError(w, r, errs.Invalid("id: %q in the body differs from %q in the URL", l.ID, r.PathValue("id")))
		return
	}
	l, err := s.deps.Marketplace.SaveListing(r.Context(), l)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, l)
}

// mpAdminUploadLogo stores a listing logo sent as the raw request body
// (?filename= only names it in errors) and answers its address.
func (s *Server) mpAdminUploadLogo(w http.ResponseWriter, r *http.Request) {
	m := s.deps.Marketplace
	filename := path.Base(r.URL.Query().Get("filename"))
	if filename == "." || filename == "/" {
		filename = ""
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(m.MaxLogoBytes())+1))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		data = make([]byte, m.MaxLogoBytes()+1) // SaveLogo says what the limit is
	case err != nil:
		s.writeError(w, r, errs.Invalid("read the logo: %v", err))
		return
	}
	logo, err := m.SaveLogo(r.Context(), filename, data)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusCreated, logo)
}

// mpLogo serves a stored listing logo. The marketplace shows logos only as
// <img>, where an SVG's scripts never run; opened on its own, the CSP runs
// nothing and sandboxes the document, and nosniff keeps the stored type.
func (s *Server) mpLogo(w http.ResponseWriter, r *http.Request) {
	ctype, data, err := s.deps.Marketplace.LogoFile(r.Context(), r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	// The name is the content's hash: the bytes at this address never change.
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

func (s *Server) mpAdminDeleteListing(w http.ResponseWriter, r *http.Request) {
	if err := s.deps.Marketplace.DeleteListing(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) mpAdminSecrets(w http.ResponseWriter, r *http.Request) {
	list, err := s.deps.Marketplace.Secrets(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"secrets": list})
}

func (s *Server) mpAdminCreateSecret(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Label string `json:"label"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &body, maxMarketplaceBody); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	ns, err := s.deps.Marketplace.CreateSecret(r.Context(), body.Label)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusCreated, ns)
}

func (s *Server) mpAdminDeactivateSecret(w http.ResponseWriter, r *http.Request) {
	sec, err := s.deps.Marketplace.DeactivateSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, sec)
}

func (s *Server) mpAdminEndUsers(w http.ResponseWriter, r *http.Request) {
	list, err := s.deps.Marketplace.EndUsers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"end_users": list})
}

// mpAdminLimitHits lists the installs refused by a plan limit, for the
// UTC days from and to (both included), as the dashboard counts them.
func (s *Server) mpAdminLimitHits(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err := dayParam("from", q.Get("from"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	to, err := dayParam("to", q.Get("to"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1)
	}
	list, err := s.deps.Marketplace.LimitHits(r.Context(), from, to)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"limit_hits": list})
}

func (s *Server) mpAdminInstalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := marketplace.InstallFilter{EndUserID: q.Get("end_user_id"), ListingID: q.Get("listing_id"), Plan: q.Get("plan"), IncludeRemoved: q.Get("removed") == "1"}
	from, err := dayParam("from", q.Get("from")) // UTC days of creation, both included
	if err == nil {
		f.To, err = dayParam("to", q.Get("to"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f.From = from
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1)
	}
	list, err := s.deps.Marketplace.Installs(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"installs": list})
}

func (s *Server) mpAdminInstall(w http.ResponseWriter, r *http.Request) {
	in, err := s.deps.Marketplace.Install(r.Context(), "", r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"install": in})
}

func (s *Server) mpAdminSignLink(w http.ResponseWriter, r *http.Request) {
	var req marketplace.LinkRequest
	if err := decodeJSON(w, r, &req, maxMarketplaceBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	req.BaseURL = s.BaseURL()
	link, err := s.deps.Marketplace.SignLink(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusOK, link)
}

func (s *Server) mpAdminInspect(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(w, r, &body, maxMarketplaceBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := s.deps.Marketplace.Inspect(r.Context(), body.Token)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, rep)
}

// mpDemoLink is the demo host app's backend: it signs a link for the demo
// user with the demo secret, as a real host app's backend would, only
// while the demo is on and only for the demo workspace's org.
func (s *Server) mpDemoLink(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UserID    string `json:"user_id"`
		Plan      string `json:"plan"`
		ListingID string `json:"listing_id"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &body, 4<<10); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	link, err := s.deps.Marketplace.DemoLink(r.Context(), marketplace.DemoLinkRequest{
		BaseURL: s.BaseURL(), OrgID: demo.OrgID(), UserID: body.UserID, Plan: body.Plan, ListingID: body.ListingID,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusOK, map[string]any{"url": link.URL, "token": link.Token, "expires_at": link.ExpiresAt, "user": link.Claims["user"]})
}
