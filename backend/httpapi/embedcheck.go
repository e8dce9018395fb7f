package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/schema"
)

// The embed check: before the importer SDK opens the frame, it asks
// whether the host page's origin may frame the importer page, so a page
// that may not gets a clear EEMBED at once instead of a silently refused
// frame.
//
//	GET /api/v1/embed/check?importer=<slug>&origin=<origin>
//	-> 200 {allowed, origin, importer, reason, fixes: {allowed_origins_url, keys_url}}
//
// It is public (no key: the page asks before it has a session token) and
// CORS-readable from any origin (no credentials). The origin is the
// request's Origin header when the browser sends one; ?origin= counts
// only when it does not (same-origin GETs, scripts).
//
// The answer is the frame-ancestors decision for that origin (embed.go):
// it does not depend on the importer, so it tells nothing about which
// importers exist or what they list beyond what the embed page's own
// CSP header already says (an unknown slug gets the same answer as a
// known one). The slug only names the console link and, for a refused
// origin of an existing importer, the list the console shows under
// "Origins recently refused" (bounded, rate-limited: refusedLimits).
func (s *Server) bindEmbedCheck(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/embed/check", s.embedCheck)
	if s.deps.Importer == nil {
		return
	}
	mux.HandleFunc("GET /api/admin/importers/{slug}/refused-origins", s.requireAdmin(s.adminRefusedOrigins))
	mux.HandleFunc("POST /api/admin/importers/{slug}/refused-origins/allow", s.requireAdmin(s.adminAllowOrigin))
}

// Embed check limits: per client address for the check itself, and per
// importer for origins new to its refused list (so that many clients
// together cannot churn the console's list faster than this).
const (
	embedCheckRate   = rate.Limit(5)
	embedCheckBurst  = 60
	refusedNewRate   = rate.Limit(0.2) // one new origin per 5 s per importer
	refusedNewBurst  = 20
	maxCheckSlugText = 100
)

// embedChecker holds the check's limiters.
type embedChecker struct {
	perClient  *clientLimiters
	newRefusal *clientLimiters
}

func (s *Server) newEmbedChecker(maxClients int) *embedChecker {
	return &embedChecker{
		perClient:  s.newLimiters("embed-check", embedCheckRate, embedCheckBurst, maxClients),
		newRefusal: s.newLimiters("refused-origin", refusedNewRate, refusedNewBurst, maxClients),
	}
}

// EmbedCheck is the check's answer.
type EmbedCheck struct {
	Allowed  bool       `json:"allowed"`
	Origin   string     `json:"origin"`
	Importer string     `json:"importer,omitempty"`
	Reason   string     `json:"reason"`
	Fixes    EmbedFixes `json:"fixes"`
}

// EmbedFixes are the console pages that fix a refusal: the importer's
// settings (settings.allowed_origins, "Allow this origin") and the keys
// page (a publishable key's origins).
type EmbedFixes struct {
	AllowedOriginsURL string `json:"allowed_origins_url"`
	KeysURL           string `json:"keys_url"`
}

func (s *Server) embedCheck(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Origin")
	if wait, ok := s.checks.perClient.allow(r.Context(), clientAddr(r), time.Now()); !ok {
		s.tooMany(w, r, wait, "too many embed checks from this client (at most %g per second after a burst of %d); retry in %s",
			float64(embedCheckRate), embedCheckBurst, waitText(wait))
		return
	}
	q := r.URL.Query()
	claimed := r.Header.Get("Origin")
	if claimed == "" {
		claimed = q.Get("origin")
	}
	if claimed == "" {
		s.writeError(w, r, errs.Invalid("the embed check needs the host page's origin: a browser sends it in the Origin header; otherwise pass ?origin=https://app.example.com"))
		return
	}
	slug := strings.TrimSpace(q.Get("importer"))
	if len(slug) > maxCheckSlugText {
		s.writeError(w, r, errs.Invalid("importer must be an importer slug (at most %d characters)", maxCheckSlugText))
		return
	}
	s.writeJSON(w, http.StatusOK, s.decideEmbed(r, claimed, slug))
}

// decideEmbed answers the check for the claimed origin and records a
// refusal for an existing importer.
func (s *Server) decideEmbed(r *http.Request, claimed, slug string) EmbedCheck {
	out := EmbedCheck{Origin: claimed, Importer: slug, Fixes: s.embedFixes(slug)}
	origin := canonicalOrigin(claimed)
	switch {
	case claimed == "null":
		out.Reason = "this page has no origin (a file:// page or a sandboxed frame): serve it over http(s) from an origin you can allow"
		return out
	case origin == "":
		out.Reason = fmt.Sprintf("%q cannot be allowed: an allowed origin is scheme://host[:port] with a host name or an IPv4 address (browsers cannot match IPv6 addresses such as [::1] in frame-ancestors: open the page as http://localhost:<port>)", claimed)
		return out
	}
	out.Origin = origin
	for _, o := range s.ownOrigins(r) {
		if o == origin {
			out.Allowed, out.Reason = true, "the page is on this server's own origin"
			return out
		}
	}
	if s.loopbackAllows(origin) {
		out.Allowed, out.Reason = true, "this server listens on loopback only, so pages on localhost and 127.0.0.1 (any port) may embed its importers with no origin configured"
		return out
	}
	if s.originAllowedToFrame(r, origin) {
		out.Allowed, out.Reason = true, "an importer's settings.allowed_origins or an active publishable key lists this origin"
		return out
	}
	out.Reason = origin + " is not in any importer's settings.allowed_origins, nor in the origins of an active publishable key"
	if schema.IsLoopbackOrigin(origin) {
		out.Reason += " (pages on localhost need no setup only while Fusebox listens on a loopback address; this server listens on another address)"
	}
	s.recordRefusal(r, slug, origin)
	return out
}

// recordRefusal adds origin to the importer's refused list. Known origins
// are counted; a new one takes a token of the importer's budget.
func (s *Server) recordRefusal(r *http.Request, slug, origin string) {
	if slug == "" || s.deps.Importer == nil {
		return
	}
	now := time.Now()
	_, canAdd := s.checks.newRefusal.peek(r.Context(), slug, now)
	added, err := s.deps.Importer.RecordRefusedOrigin(r.Context(), slug, origin, now, canAdd)
	switch {
	case errs.Is(err, errs.ENOTFOUND):
	case err != nil:
		s.log.WarnContext(r.Context(), "embed check: record refused origin", "importer", slug, "err", err)
	case added:
		s.checks.newRefusal.allow(r.Context(), slug, now)
	}
}

// embedFixes are the console links for slug ("" -> the importers list):
// absolute under the server's base URL when it is known, else paths the
// SDK resolves against its own base URL. Never from the Host header.
func (s *Server) embedFixes(slug string) EmbedFixes {
	base := s.BaseURL()
	imp := "/#/importers"
	if slug != "" {
		imp += "/" + url.PathEscape(slug)
	}
	return EmbedFixes{AllowedOriginsURL: base + imp, KeysURL: base + "/#/keys"}
}

// ---- console ----

// adminRefusedOrigins is GET /api/admin/importers/{slug}/refused-origins.
func (s *Server) adminRefusedOrigins(w http.ResponseWriter, r *http.Request) {
	list, err := s.deps.Importer.RefusedOrigins(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"origins": s.stillRefused(r, list), "loopback_only": s.cfg.LoopbackOnly})
}

// stillRefused drops the origins allowed since they were refused by
// another way than "Allow this origin" (a publishable key's origins,
// another importer's list).
func (s *Server) stillRefused(r *http.Request, list []importer.RefusedOrigin) []importer.RefusedOrigin {
	out := list[:0:0]
	for _, ro := range list {
		if !s.originAllowedToFrame(r, ro.Origin) {
			out = append(out, ro)
		}
	}
	return out
}

// adminAllowOrigin is POST /api/admin/importers/{slug}/refused-origins/allow
// {origin}: the origin joins the importer's settings.allowed_origins
// (validated and saved as any importer edit) and leaves the refused list.
func (s *Server) adminAllowOrigin(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Origin string `json:"origin"`
	}
	if err := decodeJSON(w, r, &body, 4<<10); err != nil {
		s.writeError(w, r, err)
		return
	}
	slug := r.PathValue("slug")
	imp, err := s.deps.Importer.AllowOrigin(r.Context(), slug, body.Origin)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.deps.Importer.RefusedOrigins(r.Context(), slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"importer": imp, "origins": s.stillRefused(r, list)})
}
