package httpapi

import (
	"net/http"
	"strings"

	"fusebox/backend/relay"
)

// ownRelay sends the relay's own deliveries to this server's /sink and
// /relay routes (they carry relay.SelfHeader with the relay's token)
// past the per-client limits, to unlimited; everything else to limited.
// On loopback every caller shares one address, so without this the relay
// delivering a large import to the built-in sink (the demo's
// destinations) would be throttled by its own server, and answer itself
// 429 with one request at a time for a minute. The header is removed
// before any handler sees it, so the sink never records it.
func (s *Server) ownRelay(limited, unlimited http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(relay.SelfHeader) == "" {
			limited.ServeHTTP(w, r)
			return
		}
		own := s.deps.Relay != nil && s.deps.Relay.IsOwnRequest(r) &&
			(strings.HasPrefix(r.URL.Path, "/sink/") || strings.HasPrefix(r.URL.Path, "/relay/"))
		r.Header.Del(relay.SelfHeader)
		if own {
			unlimited.ServeHTTP(w, r)
			return
		}
		limited.ServeHTTP(w, r)
	})
}
