package sessions

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// An origin pattern on a publishable key is a browser origin,
// scheme://host[:port], written the way browsers send the Origin header.
// Two forms are accepted:
//
//	https://app.example.com      exactly this origin (default ports dropped)
//	http://localhost:*           any port, only for loopback hosts
//	                             (localhost, 127.0.0.1, [::1])
//
// Host wildcards (*.example.com) are not supported: each origin is listed.
// The port wildcard is limited to loopback so "any port" can never reach
// beyond the developer's own machine.
type originPattern struct {
	scheme string
	host   string // lower case; IPv6 without brackets
	port   string // "" = the scheme's default port, "*" = any port
}

func (p originPattern) String() string {
	h := p.host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if p.port != "" {
		return p.scheme + "://" + h + ":" + p.port
	}
	return p.scheme + "://" + h
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// parseOrigin parses an origin or origin pattern; allowWildcard permits a
// "*" port (for patterns, never for a request's Origin header).
func parseOrigin(s string, allowWildcard bool) (originPattern, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return originPattern{}, fmt.Errorf("origin is empty")
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return originPattern{}, fmt.Errorf("origin %q must look like https://example.com or http://localhost:3000", raw)
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return originPattern{}, fmt.Errorf("origin %q must use http or https", raw)
	}
	rest = strings.TrimSuffix(rest, "/")
	if strings.ContainsAny(rest, "/?#@") {
		return originPattern{}, fmt.Errorf("origin %q must be only scheme://host[:port], without a path, query or user", raw)
	}
	var host, port string
	wildcard := false
	if strings.HasSuffix(rest, ":*") {
		if !allowWildcard {
			return originPattern{}, fmt.Errorf("origin %q has a wildcard port", raw)
		}
		wildcard = true
		host = strings.TrimSuffix(rest, ":*")
	} else {
		host = rest
	}
	if !wildcard {
		if h, p, err := net.SplitHostPort(rest); err == nil {
			host, port = h, p
		}
	}
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if host == "" {
		return originPattern{}, fmt.Errorf("origin %q has no host", raw)
	}
	if strings.Contains(host, "*") {
		return originPattern{}, fmt.Errorf("origin %q: host wildcards are not supported; list each origin", raw)
	}
	if strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return originPattern{}, fmt.Errorf("origin %q has an invalid host", raw)
	}
	if _, err := url.Parse(scheme + "://" + rest); err != nil && !wildcard {
		return originPattern{}, fmt.Errorf("origin %q is not a valid URL origin", raw)
	}
	if wildcard {
		if !isLoopbackHost(host) {
			return originPattern{}, fmt.Errorf("origin %q: a wildcard port (:*) is only allowed for loopback hosts (localhost, 127.0.0.1, [::1])", raw)
		}
		return originPattern{scheme: scheme, host: host, port: "*"}, nil
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return originPattern{}, fmt.Errorf("origin %q has an invalid port", raw)
		}
		port = strconv.Itoa(n)
		if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
			port = ""
		}
	}
	return originPattern{scheme: scheme, host: host, port: port}, nil
}

// NormalizeOrigin validates an origin pattern for a publishable key and
// returns its canonical text.
func NormalizeOrigin(s string) (string, error) {
	p, err := parseOrigin(s, true)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

// originAllowed reports whether the Origin header value origin matches one
// of the patterns.
func originAllowed(patterns []string, origin string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	o, err := parseOrigin(origin, false)
	if err != nil {
		return false
	}
	for _, s := range patterns {
		p, err := parseOrigin(s, true)
		if err != nil {
			continue
		}
		if p.scheme != o.scheme || p.host != o.host {
			continue
		}
		if p.port == "*" || p.port == o.port {
			return true
		}
	}
	return false
}
