package marketplace

import (
	"strings"
	"testing"
)

// TestSecurityStepURLUserValueCannotClimbThePath: an end user's config
// value that lands in a step URL's path cannot move the request up the
// path, whether it is "." or "..", or a form that lenient receivers read
// as one (..; .. with whitespace or control characters, lookalike dots,
// double encoding); ordinary values still render.
func TestSecurityStepURLUserValueCannotClimbThePath(t *testing.T) {
	const tmpl = "https://api.vendor.com/users/{{config.a}}/events"
	if userHost(tmpl) {
		t.Fatal("the template's host is fixed")
	}
	for _, v := range []string{".", "..", "..;", "..;x=1", ".;", ".. ", " ..", "..\t", ".\x00.", "．．", "\xc0\xae\xc0\xae", "%2e%2e", "%2E%2E;", "%252e%252e", "..%3b", ".%00."} {
		u, err := stepURL(tmpl, map[string]string{"config.a": v})
		if err == nil {
			t.Errorf("value %q: stepURL = %q, want an error", v, u)
		}
	}
	for v, want := range map[string]string{
		"alice":  "https://api.vendor.com/users/alice/events",
		"a.b":    "https://api.vendor.com/users/a.b/events",
		"...":    "https://api.vendor.com/users/.../events",
		"a b":    "https://api.vendor.com/users/a%20b/events",
		"a/b":    "https://api.vendor.com/users/a%2Fb/events",
		"élodie": "https://api.vendor.com/users/%C3%A9lodie/events",
		"x..y":   "https://api.vendor.com/users/x..y/events",
	} {
		u, err := stepURL(tmpl, map[string]string{"config.a": v})
		if err != nil || u != want {
			t.Errorf("value %q: stepURL = %q, %v; want %q", v, u, err, want)
		}
	}
	// In the query a dot is only data.
	if u, err := stepURL("https://api.vendor.com/users?name={{config.a}}", map[string]string{"config.a": ".."}); err != nil || !strings.HasSuffix(u, "?name=..") {
		t.Errorf("query value: %q %v", u, err)
	}
}
