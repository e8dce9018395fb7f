package marketplace

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func signHS256(t testing.TB, header, claims map[string]any, secret []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// FuzzParseToken feeds arbitrary strings to the verifier. It must never
// panic, and whatever it accepts must satisfy every rule: HS256 with a
// known secret, exp present and not past, orgId equal, externalId set,
// lifetime within the cap, size within the limit.
func FuzzParseToken(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	secret := []byte("fbms_fuzz-secret-0123456789abcdefghijklmnopq")
	v := Verifier{OrgID: "org-1", Leeway: time.Minute, MaxLifetime: 24 * time.Hour, Now: func() time.Time { return now },
		active: []key{{id: "sec_a", secret: secret}}, inactive: []key{{id: "sec_old", secret: []byte("old")}}}
	good := map[string]any{"iat": now.Unix(), "exp": now.Unix() + 600, "nbf": now.Unix(), "orgId": "org-1",
		"user": map[string]any{"externalId": "u1", "monetizationPlan": "pro"}, "connection": map[string]any{"apikey": "k"}}
	f.Add(signHS256(f, map[string]any{"alg": "HS256", "typ": "JWT"}, good, secret))
	f.Add(signHS256(f, map[string]any{"alg": "HS256", "kid": "sec_a"}, good, secret))
	f.Add(signHS256(f, map[string]any{"alg": "HS256", "kid": "sec_old"}, good, []byte("old")))
	f.Add(signHS256(f, map[string]any{"alg": "none"}, good, nil))
	f.Add(signHS256(f, map[string]any{"alg": "HS256", "crit": []string{"b64"}}, good, secret))
	f.Add(signHS256(f, map[string]any{"alg": "HS256"}, map[string]any{"orgId": 7, "user": "x", "exp": "soon"}, secret))
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.")
	f.Add("..")
	f.Add("a.b.c.d")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		ver, err := v.Parse(raw)
		if err != nil {
			if _, ok := AsTokenError(err); !ok {
				t.Fatalf("rejection without a TokenError: %v", err)
			}
			return
		}
		c := ver.Claims
		if len(raw) > DefaultMaxTokenBytes || ver.SecretID != "sec_a" || c.ExpiresAt == nil || c.ExpiresAt.Time.Add(v.Leeway).Before(now) ||
			string(c.OrgID) != "org-1" || c.User == nil || strings.TrimSpace(string(c.User.ExternalID)) == "" {
			t.Fatalf("accepted a token that breaks the rules: %q -> %+v", raw, c)
		}
		if c.IssuedAt != nil && c.ExpiresAt.Sub(c.IssuedAt.Time) > v.MaxLifetime {
			t.Fatalf("accepted a token over the lifetime cap: %q", raw)
		}
		header, _ := base64.RawURLEncoding.DecodeString(strings.SplitN(raw, ".", 2)[0])
		var h map[string]any
		if json.Unmarshal(header, &h) != nil || h["alg"] != "HS256" || h["crit"] != nil {
			t.Fatalf("accepted a token whose header is %s", header)
		}
	})
}
