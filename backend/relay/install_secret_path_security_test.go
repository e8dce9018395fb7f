package relay

import (
	"context"
	"strings"
	"testing"
)

// TestSecurityInstallSecretInURLPathCannotClimbThePath: an end user's
// install secret that a marketplace route puts in its URL path cannot move
// the request up the path (".", "..", and the forms lenient receivers read
// as one: "..;", ".. ", ".\x00.", lookalike dots, "%2e%2e"): the delivery
// fails naming the field, and the value is not rendered into the URL.
func TestSecurityInstallSecretInURLPathCannotClimbThePath(t *testing.T) {
	tm, err := parseTemplate(`https://x.test/users/{{ install_secret "team" }}/events`, templateHeader)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{".", "..", "..;", ".. ", ".\x00.", "．．", "%2e%2e", "%252e%252e;x"} {
		src := &secretSource{ctx: context.Background(), env: func(string) (string, bool) { return "", false }, installs: installSecretMap{"inst_1/team": v}, installID: "inst_1"}
		got, _ := tm.renderSecrets(src, false, true)
		if len(src.failed) == 0 || !strings.Contains(strings.Join(src.failed, "; "), "team") {
			t.Errorf("value %q: rendered %q with no failure; want the delivery refused naming the field", v, got)
		}
	}
	for v, want := range map[string]string{"acme": "https://x.test/users/acme/events", "a.b": "https://x.test/users/a.b/events", "...": "https://x.test/users/.../events"} {
		src := &secretSource{ctx: context.Background(), env: func(string) (string, bool) { return "", false }, installs: installSecretMap{"inst_1/team": v}, installID: "inst_1"}
		if got, _ := tm.renderSecrets(src, false, true); got != want || len(src.failed) != 0 {
			t.Errorf("value %q: %q %v; want %q", v, got, src.failed, want)
		}
	}
}
