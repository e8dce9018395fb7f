package schema

import (
	"net/url"
	"strconv"
	"strings"
)

// CanonicalOrigin returns origin as scheme://host[:port] (lower case,
// default port dropped) when it is an http(s) origin and nothing else,
// or "". Host names and IPv4 addresses only: CSP host sources (where an
// allowed origin ends up, in frame-ancestors) cannot name IPv6 literals.
func CanonicalOrigin(origin string) string {
	if origin == "" || len(origin) > 300 {
		return ""
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
		strings.HasSuffix(origin, "?") || strings.HasSuffix(origin, "#") {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	for _, c := range host {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return ""
		}
	}
	if host == "" {
		return ""
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return ""
		}
		if (u.Scheme == "http" && n == 80) || (u.Scheme == "https" && n == 443) {
			port = ""
		} else {
			port = strconv.Itoa(n)
		}
	}
	if port != "" {
		return u.Scheme + "://" + host + ":" + port
	}
	return u.Scheme + "://" + host
}

// IsLoopbackOrigin reports whether a canonical origin is a page on this
// machine's loopback names: http(s)://localhost[:port] or
// http(s)://127.0.0.1[:port].
func IsLoopbackOrigin(canonical string) bool {
	_, rest, ok := strings.Cut(canonical, "://")
	if !ok {
		return false
	}
	host, _, _ := strings.Cut(rest, ":")
	return host == "localhost" || host == "127.0.0.1"
}
