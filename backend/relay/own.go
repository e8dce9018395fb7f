package relay

import (
	"crypto/subtle"
	"net/http"
)

// SelfHeader marks the requests the relay sends to this server's own
// paths (a destination URL such as /sink/demo-crm). Its value is a random
// token made when the relay starts and known only to this process, so
// the port can tell the relay's own deliveries from other callers: on
// loopback every caller shares one address, and the per-client limits of
// /sink and /relay would otherwise throttle the relay delivering an
// import to its own sink. The header is sent only to this server's own
// address, never stored, and the port removes it before any handler sees
// it.
const SelfHeader = "Fusebox-Relay-Self"

// IsOwnRequest reports whether r carries this relay's SelfHeader token.
func (s *Service) IsOwnRequest(r *http.Request) bool {
	v := r.Header.Get(SelfHeader)
	return v != "" && subtle.ConstantTimeCompare([]byte(v), []byte(s.self)) == 1
}
