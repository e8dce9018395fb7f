package httpapi

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	"fusebox/backend/schema"
)

// The importer embed page (/embed/importer) is framed by host apps through
// the importer SDK. It carries no token: the SDK posts the session token
// to the iframe after the page says it is ready, so nothing secret is in
// its URL (and request logs never include query strings anyway).
//
// Framing is limited with CSP frame-ancestors:
//
//   - the server's own origins: 'self', and the loopback names of this
//     server on the same port (the demo host app at /demo is served by this
//     server under 127.0.0.1 or localhost) and the --allowed-host names on
//     that port (CSP cannot name IPv6 literals such as [::1]);
//   - the host page's origin, which the SDK sends as ?origin=, when it is
//     http(s)://localhost or http(s)://127.0.0.1 (any port) and this server
//     listens on loopback only (Config.LoopbackOnly: the composition root
//     sets it from the bound listener, never from a request), or when an
//     active publishable key lists it (the key's allowed origins) or an
//     importer lists it in settings.allowed_origins. The page is loaded
//     before the session token arrives, so it cannot know the importer:
//     any importer's list admits the origin, and the token then decides
//     what the page can do.
//
// Any other page that frames the importer is refused by the browser.
func (s *Server) bindEmbed(mux *http.ServeMux) {
	mux.HandleFunc("GET /embed/importer", s.embedImporter)
	s.bindEmbedCheck(mux)
}

func (s *Server) embedImporter(w http.ResponseWriter, r *http.Request) {
	s.servePage(w, r, "embed/importer.html", s.embedFrameAncestors(r))
}

// embedFrameAncestors computes the frame-ancestors source list for one
// request of the embed page.
func (s *Server) embedFrameAncestors(r *http.Request) string {
	sources := []string{"'self'"}
	seen := map[string]bool{}
	add := func(o string) {
		if o != "" && !seen[o] {
			seen[o] = true
			sources = append(sources, o)
		}
	}
	own := s.ownOrigins(r)
	for _, o := range own {
		add(o)
	}
	if claimed := canonicalOrigin(r.URL.Query().Get("origin")); claimed != "" && !seen[claimed] && s.originAllowedToFrame(r, claimed) {
		add(claimed)
	}
	return strings.Join(sources, " ")
}

// ownOrigins are this server's origins on the port the request came in
// on: the loopback names and the configured extra host names.
func (s *Server) ownOrigins(r *http.Request) []string {
	if doorOf(r.Context()) != doorPort {
		return nil
	}
	_, port, err := net.SplitHostPort(r.Host)
	if err != nil || port == "" {
		port = "80"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil
	}
	// CSP host sources cannot name IPv6 literals, so [::1] is not listed.
	hosts := []string{"127.0.0.1", "localhost"}
	for _, h := range s.cfg.AllowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" || strings.ContainsAny(h, " ;,'\"*/:[]") {
			continue
		}
		hosts = append(hosts, h)
	}
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		if port == "80" {
			out = append(out, "http://"+h)
		} else {
			out = append(out, "http://"+h+":"+port)
		}
	}
	return out
}

// originAllowedToFrame reports whether a host page origin may frame the
// importer: a page on this machine's loopback names while the server
// listens on loopback only (Config.LoopbackOnly), or an origin an active
// publishable key or an importer lists. origin is canonical.
func (s *Server) originAllowedToFrame(r *http.Request, origin string) bool {
	if s.loopbackAllows(origin) {
		return true
	}
	if s.deps.Sessions != nil {
		ok, err := s.deps.Sessions.AnyKeyAllowsOrigin(r.Context(), origin, s.idleDemoKeyID(r.Context()))
		if err != nil {
			s.log.WarnContext(r.Context(), "embed: check frame origin against keys", "err", err)
		} else if ok {
			return true
		}
	}
	if s.deps.Importer != nil {
		list, err := s.deps.Importer.ListImporters(r.Context())
		if err != nil {
			s.log.WarnContext(r.Context(), "embed: check frame origin against importers", "err", err)
			return false
		}
		for _, imp := range list {
			for _, o := range imp.Settings.AllowedOrigins {
				if canonicalOrigin(o) == origin {
					return true
				}
			}
		}
	}
	return false
}

// canonicalOrigin returns origin as scheme://host[:port] (lower case,
// default port dropped) when it is an http(s) origin and nothing else,
// or "" — so that nothing but an origin can reach the CSP header.
func canonicalOrigin(origin string) string { return schema.CanonicalOrigin(origin) }

// loopbackAllows is the zero-configuration rule for local development:
// while the port's listener is bound to loopback addresses only, a page
// on this machine's loopback names (http(s)://localhost or 127.0.0.1, any
// port) may frame the importer. Only this machine can reach the server
// then, and such a page is served from this machine too. The flag comes
// from the listener (Config.LoopbackOnly), never from the request's Host
// header, which any caller can write. The window door does not frame.
func (s *Server) loopbackAllows(origin string) bool {
	return s.cfg.LoopbackOnly && schema.IsLoopbackOrigin(origin)
}
