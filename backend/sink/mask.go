package sink

import (
	"strings"
	"time"
)

// Replacer replaces the values of known secrets in text with what the
// console shows instead (a *strings.Replacer does).
type Replacer interface {
	Replace(s string) string
}

// credentialHeaders carry credentials whatever their value: the sink
// shows them masked even when no known secret matches.
var credentialHeaders = map[string]bool{"authorization": true, "proxy-authorization": true, "cookie": true,
	"x-api-key": true, "api-key": true, "x-auth-token": true}

// credentialWords name headers that carry credentials by their name
// (X-Client-Secret, X-Session-Token, Webhook-Signature, X-Upstream-Auth...).
var credentialWords = []string{"secret", "token", "password", "signature", "api-key", "apikey", "api_key", "session", "auth", "credential"}

// IsCredentialHeader reports whether a header's value is a credential and
// so masked by default.
func IsCredentialHeader(name string) bool {
	n := strings.ToLower(name)
	if credentialHeaders[n] {
		return true
	}
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// maskCredential hides the credentials of a credential header that no
// known secret already masked: "Bearer abc" shows as "Bearer «credential»".
func maskCredential(name, value string) string {
	if !IsCredentialHeader(name) || value == "" || strings.Contains(value, "«") {
		return value
	}
	if scheme, _, ok := strings.Cut(value, " "); ok && (strings.EqualFold(name, "authorization") || strings.EqualFold(name, "proxy-authorization")) {
		return scheme + " «credential»"
	}
	return "«credential»"
}

// LastReceived is when the newest of reqs arrived; zero for none. The
// relay's SecretMasker opens only the install secrets stored by then.
func LastReceived(reqs []Request) time.Time {
	var last time.Time
	for _, r := range reqs {
		if r.ReceivedAt.After(last) {
			last = r.ReceivedAt
		}
	}
	return last
}

// Mask returns reqs as the console shows them: the values secrets knows
// replaced in URLs, bodies and header values, and the credentials of
// credential headers (Authorization, Cookie, X-Api-Key...) hidden even
// when no known secret matches. It rewrites reqs in place.
func Mask(reqs []Request, secrets Replacer) []Request {
	for i := range reqs {
		reqs[i].URL, reqs[i].Body = secrets.Replace(reqs[i].URL), secrets.Replace(reqs[i].Body)
		hs := make([][2]string, len(reqs[i].Headers))
		for j, h := range reqs[i].Headers {
			hs[j] = [2]string{h[0], maskCredential(h[0], secrets.Replace(h[1]))}
		}
		reqs[i].Headers = hs
	}
	return reqs
}

// MaskSecrets is Mask for the admin's explicit reveal: the values of
// known secrets stay masked everywhere, but credential headers show what
// was received.
func MaskSecrets(reqs []Request, secrets Replacer) []Request {
	for i := range reqs {
		reqs[i].URL, reqs[i].Body = secrets.Replace(reqs[i].URL), secrets.Replace(reqs[i].Body)
		hs := make([][2]string, len(reqs[i].Headers))
		for j, h := range reqs[i].Headers {
			hs[j] = [2]string{h[0], secrets.Replace(h[1])}
		}
		reqs[i].Headers = hs
	}
	return reqs
}
