// Package netguard keeps requests whose URL an end user influenced away
// from this machine and its networks: a dialer that checks, at connect
// time, the address a host name actually resolved to, and refuses
// loopback, link-local, private, multicast and unspecified addresses
// (IPv4, IPv6 and IPv4-mapped IPv6). Hosts an admin names are let
// through. Checking the address the socket connects to (not the name, and
// not an earlier lookup) makes DNS tricks such as rebinding fail.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// Guard decides which connections a guarded client may open.
type Guard struct {
	allowed []string // lower-case host names or IP literals, no port
}

// New returns a guard that lets the named hosts through (host names or
// IP literals, compared case-insensitively, without a port).
func New(allowedHosts []string) *Guard {
	g := &Guard{}
	for _, h := range allowedHosts {
		if h = NormalizeHost(h); h != "" {
			g.allowed = append(g.allowed, h)
		}
	}
	return g
}

// NormalizeHost lower-cases a host name, drops a trailing dot and the
// brackets of an IPv6 literal.
func NormalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(h, ".")
}

// CheckHostName validates an entry of an allowlist of hosts: a host name
// or an IP literal, with no scheme, port, path or wildcard.
func CheckHostName(h string) error {
	n := NormalizeHost(h)
	if n == "" {
		return errors.New("empty host")
	}
	if _, err := netip.ParseAddr(n); err == nil {
		return nil
	}
	if len(n) > 253 {
		return fmt.Errorf("%q is longer than 253 characters", h)
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return fmt.Errorf("%q is not a host name (want a name such as crm.internal or an IP address, without scheme or port)", h)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("%q is not a host name (want a name such as crm.internal or an IP address, without scheme or port)", h)
			}
		}
	}
	return nil
}

// Allows reports whether host (a name or IP literal, no port) is on the
// guard's allowlist.
func (g *Guard) Allows(host string) bool {
	return g != nil && slices.Contains(g.allowed, NormalizeHost(host))
}

// BlockedError is the error of a refused connection.
type BlockedError struct {
	Host string     // the host the URL named
	Addr netip.Addr // the address it resolved to
	Kind string     // loopback, link-local, private, multicast, ...
}

func (e *BlockedError) Error() string {
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("%s resolves to %s, a %s address; URLs that end users choose may not reach loopback, link-local, private or multicast addresses unless an admin allows the host", e.Host, e.Addr, e.Kind)
	}
	return fmt.Sprintf("%s is a %s address; URLs that end users choose may not reach loopback, link-local, private or multicast addresses unless an admin allows the host", e.Addr, e.Kind)
}

// IsBlocked reports whether err is (or wraps) a refused connection.
func IsBlocked(err error) bool {
	var b *BlockedError
	return errors.As(err, &b)
}

var (
	sharedV4    = netip.MustParsePrefix("100.64.0.0/10")  // carrier-grade NAT
	thisNetV4   = netip.MustParsePrefix("0.0.0.0/8")      // "this network"
	ietfV4      = netip.MustParsePrefix("192.0.0.0/24")   // IETF protocol assignments
	benchV4     = netip.MustParsePrefix("198.18.0.0/15")  // benchmarking
	reservedV4  = netip.MustParsePrefix("240.0.0.0/4")    // reserved, broadcast
	nat64       = netip.MustParsePrefix("64:ff9b::/96")   // NAT64: an IPv4 address inside
	nat64Local  = netip.MustParsePrefix("64:ff9b:1::/48") // local-use NAT64
	compatV6    = netip.MustParsePrefix("::/96")          // IPv4-compatible (deprecated)
	sixToFour   = netip.MustParsePrefix("2002::/16")      // 6to4: an IPv4 address inside
	siteLocalV6 = netip.MustParsePrefix("fec0::/10")      // deprecated site-local
)

// Classify returns why addr may not be reached ("" when it may).
func Classify(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case !addr.IsValid():
		return "invalid"
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsLoopback():
		return "loopback"
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return "link-local"
	case addr.IsMulticast(), addr.IsInterfaceLocalMulticast():
		return "multicast"
	case addr.IsPrivate():
		return "private"
	}
	if addr.Is4() {
		for _, p := range []netip.Prefix{thisNetV4, sharedV4, ietfV4, benchV4, reservedV4} {
			if p.Contains(addr) {
				return "reserved"
			}
		}
		return ""
	}
	if siteLocalV6.Contains(addr) || nat64Local.Contains(addr) {
		return "private"
	}
	b := addr.As16()
	switch {
	case nat64.Contains(addr), compatV6.Contains(addr):
		if k := Classify(netip.AddrFrom4([4]byte(b[12:16]))); k != "" {
			return k
		}
	case sixToFour.Contains(addr):
		if k := Classify(netip.AddrFrom4([4]byte(b[2:6]))); k != "" {
			return k
		}
	}
	return ""
}

// DialContext dials addr ("host:port") with d, refusing, at connect time,
// addresses Classify objects to, unless the host is allowed.
func (g *Guard) DialContext(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("netguard: %q: %w", addr, err)
		}
		if g.Allows(host) {
			return d.DialContext(ctx, network, addr)
		}
		dd := *d
		dd.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("netguard: %q is not an IP address and port: %w", address, err)
			}
			if kind := Classify(ap.Addr()); kind != "" {
				return &BlockedError{Host: NormalizeHost(host), Addr: ap.Addr().Unmap(), Kind: kind}
			}
			return nil
		}
		return dd.DialContext(ctx, network, addr)
	}
}

// Transport returns an HTTP transport whose every connection goes through
// the guard: no proxy from the environment (a proxy would connect on the
// guard's behalf), and, since a redirect opens a new connection through
// the same dialer, redirects are checked too.
func (g *Guard) Transport() *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext(d),
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// Client returns an HTTP client over Transport that does not follow
// redirects (they come back as responses).
func (g *Guard) Client() *http.Client {
	return &http.Client{Transport: g.Transport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// dotLookalikes are byte sequences a lenient server may decode as ".":
// overlong UTF-8 (C0 AE, E0 80 AE), the fullwidth full stop, the one dot
// leader and the small full stop.
var dotLookalikes = []string{"\xc0\xae", "\xe0\x80\xae", "\uff0e", "\u2024", "\ufe52"}

// LenientDotSegment reports whether a decoded URL path segment is "." or
// "..", or may be read as one by a lenient server: the segment is cut at
// its first ";" (a path parameter: Tomcat and Spring read "..;x" as ".."),
// whitespace and control characters are dropped, and lookalikes of "."
// count as ".". Checks that keep a URL under a path use it on every
// segment, after each layer of percent-decoding.
func LenientDotSegment(seg string) bool {
	if i := strings.IndexByte(seg, ';'); i >= 0 {
		seg = seg[:i]
	}
	for _, l := range dotLookalikes {
		seg = strings.ReplaceAll(seg, l, ".")
	}
	var b strings.Builder
	for _, r := range seg {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' {
			continue
		}
		b.WriteRune(r)
		if b.Len() > 2 {
			return false
		}
	}
	s := b.String()
	return s == "." || s == ".."
}
