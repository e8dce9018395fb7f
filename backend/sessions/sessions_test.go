package sessions_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"fusebox/backend/errs"
	"fusebox/backend/keyring"
	"fusebox/backend/sessions"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// ttls is the importer lookup of these unit tests: importer slug -> the
// session_ttl it sets. The HTTP tests use the real importer service.
type ttls map[string]time.Duration

func (m ttls) SessionTTL(_ context.Context, slug string) (time.Duration, error) {
	d, ok := m[slug]
	if !ok {
		return 0, errs.NotFound("importer %q not found", slug)
	}
	return d, nil
}

type env struct {
	svc     *sessions.Service
	db      *store.DB
	clock   *clock
	dir     string
	keyFile string
}

var testImporters = ttls{"contacts": 0, "orders": 2 * time.Hour, "forever": 10000 * time.Hour}

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	db := storetest.Open(t)
	c := &clock{t: time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)}
	e := &env{db: db, clock: c, dir: dir, keyFile: filepath.Join(dir, "sessions.key")}
	e.svc = e.service()
	return e
}

// service builds another Service over the same database and key file, as
// a second process (the CLI beside the server) would.
func (e *env) service() *sessions.Service {
	return sessions.New(e.db, testImporters, sessions.Options{KeyFile: e.keyFile, Now: e.clock.Now})
}

func mustKey(t *testing.T, svc *sessions.Service, nk sessions.NewKey) sessions.CreatedKey {
	t.Helper()
	k, err := svc.CreateKey(context.Background(), nk)
	if err != nil {
		t.Fatalf("create key %+v: %v", nk, err)
	}
	return k
}

func wantCode(t *testing.T, err error, code string, msgPart string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s (%q)", code, msgPart)
	}
	if got := errs.Code(err); got != code {
		t.Fatalf("error code = %s (%v), want %s", got, err, code)
	}
	if msgPart != "" && !strings.Contains(errs.Message(err), msgPart) {
		t.Fatalf("error message %q does not mention %q", errs.Message(err), msgPart)
	}
}

var keyRE = regexp.MustCompile(`^fbx_(sk|pk)_[0-9A-Za-z]{43}$`)

func TestCreateKeyValidation(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		nk   sessions.NewKey
		want string // "" = ok, else part of the EINVALID message
	}{
		{"secret", sessions.NewKey{Name: "backend", Kind: sessions.KindSecret}, ""},
		{"publishable", sessions.NewKey{Name: "web", Kind: sessions.KindPublishable, Importers: []string{"contacts"}, Origins: []string{"https://app.example.com"}}, ""},
		{"publishable any importer loopback any port", sessions.NewKey{Name: "dev", Kind: sessions.KindPublishable, Importers: []string{"*"}, Origins: []string{"http://localhost:*"}}, ""},
		{"no name", sessions.NewKey{Name: "  ", Kind: sessions.KindSecret}, "name is required"},
		{"long name", sessions.NewKey{Name: strings.Repeat("n", 101), Kind: sessions.KindSecret}, "longer than 100"},
		{"bad kind", sessions.NewKey{Name: "x", Kind: "admin"}, `kind must be "secret" or "publishable"`},
		{"secret with origins", sessions.NewKey{Name: "x", Kind: sessions.KindSecret, Origins: []string{"https://a.example"}}, "publishable keys only"},
		{"publishable without importers", sessions.NewKey{Name: "x", Kind: sessions.KindPublishable, Origins: []string{"https://a.example"}}, "needs the importers"},
		{"publishable without origins", sessions.NewKey{Name: "x", Kind: sessions.KindPublishable, Importers: []string{"contacts"}}, "needs the browser origins"},
		{"origin with path", sessions.NewKey{Name: "x", Kind: sessions.KindPublishable, Importers: []string{"contacts"}, Origins: []string{"https://a.example/app"}}, "without a path"},
		{"wildcard port on public host", sessions.NewKey{Name: "x", Kind: sessions.KindPublishable, Importers: []string{"contacts"}, Origins: []string{"https://a.example:*"}}, "only allowed for loopback"},
		{"host wildcard", sessions.NewKey{Name: "x", Kind: sessions.KindPublishable, Importers: []string{"contacts"}, Origins: []string{"https://*.example.com"}}, "host wildcards are not supported"},
		{"ftp origin", sessions.NewKey{Name: "x", Kind: sessions.KindPublishable, Importers: []string{"contacts"}, Origins: []string{"ftp://a.example"}}, "http or https"},
		{"bad importer slug", sessions.NewKey{Name: "x", Kind: sessions.KindPublishable, Importers: []string{"a b"}, Origins: []string{"https://a.example"}}, "not an importer slug"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := e.svc.CreateKey(context.Background(), tc.nk)
			if tc.want != "" {
				wantCode(t, err, errs.EINVALID, tc.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !keyRE.MatchString(k.Secret) {
				t.Fatalf("key %q does not look like fbx_sk_/fbx_pk_ + 43 base62 characters", k.Secret)
			}
			if !strings.HasPrefix(k.Secret, k.Prefix) || len(k.Prefix) != len("fbx_sk_")+4 {
				t.Fatalf("prefix %q is not the first 4 characters after the kind prefix of %q", k.Prefix, k.Secret)
			}
			wantPrefix := "fbx_sk_"
			if tc.nk.Kind == sessions.KindPublishable {
				wantPrefix = "fbx_pk_"
			}
			if !strings.HasPrefix(k.Secret, wantPrefix) {
				t.Fatalf("key %q should start with %s", k.Secret, wantPrefix)
			}
		})
	}
}

func TestKeysAreUniqueAndRandom(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		k := mustKey(t, e.svc, sessions.NewKey{Name: "k", Kind: sessions.KindSecret})
		if seen[k.Secret] || seen[k.ID] {
			t.Fatalf("key or id repeated after %d keys", i)
		}
		seen[k.Secret], seen[k.ID] = true, true
	}
}

func TestAuthenticate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sk := mustKey(t, e.svc, sessions.NewKey{Name: "backend", Kind: sessions.KindSecret})
	pk := mustKey(t, e.svc, sessions.NewKey{Name: "web", Kind: sessions.KindPublishable, Importers: []string{"contacts"}, Origins: []string{"http://localhost:3000"}})
	other := mustKey(t, e.svc, sessions.NewKey{Name: "old", Kind: sessions.KindSecret})
	if _, err := e.svc.DeactivateKey(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	// Change the last character to another base62 character (flipping a
	// bit would leave base62 for 'A', 'Z', 'a' and 'z').
	flip := []byte(sk.Secret)
	if flip[len(flip)-1] == 'A' {
		flip[len(flip)-1] = 'B'
	} else {
		flip[len(flip)-1] = 'A'
	}
	for _, tc := range []struct {
		name, key, want string
		kind            sessions.Kind
	}{
		{"secret", sk.Secret, "", sessions.KindSecret},
		{"publishable", pk.Secret, "", sessions.KindPublishable},
		{"one character changed", string(flip), "no such key", ""},
		{"deactivated", other.Secret, "deactivated", ""},
		{"empty", "", "not valid", ""},
		{"prefix only", "fbx_sk_", "not valid", ""},
		{"admin-looking token", strings.Repeat("a", 64), "not valid", ""},
		{"key with trailing space", sk.Secret + " ", "not valid", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := e.svc.Authenticate(ctx, tc.key)
			if tc.want != "" {
				wantCode(t, err, errs.EUNAUTHORIZED, tc.want)
				if len(tc.key) > 10 && strings.Contains(errs.Message(err), tc.key) {
					t.Fatalf("error message echoes the key: %q", errs.Message(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.Kind != tc.kind || !k.Active {
				t.Fatalf("got %+v", k)
			}
		})
	}
	// Several keys are active at once; the list shows prefixes, never keys.
	list, err := e.svc.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("list has %d keys, want 3", len(list))
	}
	b, _ := json.Marshal(list)
	for _, k := range []string{sk.Secret, pk.Secret, other.Secret} {
		if bytes.Contains(b, []byte(k)) {
			t.Fatal("ListKeys JSON contains a key")
		}
	}
	if _, err := e.svc.DeactivateKey(ctx, "key_nope"); errs.Code(err) != errs.ENOTFOUND {
		t.Fatalf("deactivate unknown key: %v, want ENOTFOUND", err)
	}
	// Deactivating twice keeps the first time.
	first, _ := e.svc.GetKey(ctx, other.ID)
	e.clock.Add(time.Hour)
	again, err := e.svc.DeactivateKey(ctx, other.ID)
	if err != nil || !again.DeactivatedAt.Equal(first.DeactivatedAt) {
		t.Fatalf("second deactivation changed the time: %v -> %v (%v)", first.DeactivatedAt, again.DeactivatedAt, err)
	}
}

func TestLastUsedIsWrittenAtMostOncePerMinute(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k := mustKey(t, e.svc, sessions.NewKey{Name: "backend", Kind: sessions.KindSecret})
	lastUsed := func() string {
		var s string
		if err := e.db.Read.QueryRow(`SELECT last_used_at FROM api_keys WHERE id = ?`, k.ID).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := lastUsed(); got != "" {
		t.Fatalf("new key has last_used_at %q", got)
	}
	if _, err := e.svc.Authenticate(ctx, k.Secret); err != nil {
		t.Fatal(err)
	}
	first := lastUsed()
	if first != store.FormatTime(e.clock.Now()) {
		t.Fatalf("last_used_at = %q, want %q", first, store.FormatTime(e.clock.Now()))
	}
	e.clock.Add(30 * time.Second)
	if _, err := e.svc.Authenticate(ctx, k.Secret); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); got != first {
		t.Fatalf("last_used_at rewritten within a minute: %q -> %q", first, got)
	}
	e.clock.Add(31 * time.Second)
	if _, err := e.svc.Authenticate(ctx, k.Secret); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); got == first {
		t.Fatalf("last_used_at not updated after a minute")
	}
}

func TestOrigins(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"https://App.Example.com", "https://app.example.com", ""},
		{"https://app.example.com/", "https://app.example.com", ""},
		{"https://app.example.com:443", "https://app.example.com", ""},
		{"http://localhost:3000", "http://localhost:3000", ""},
		{"http://127.0.0.1:*", "http://127.0.0.1:*", ""},
		{"http://[::1]:*", "http://[::1]:*", ""},
		{"http://localhost:0", "", "invalid port"},
		{"http://localhost:99999", "", "invalid port"},
		{"localhost:3000", "", "must look like"},
		{"https://a.example?x=1", "", "without a path"},
		{"https://user@a.example", "", "without a path"},
		{"http://10.0.0.1:*", "", "only allowed for loopback"},
	} {
		got, err := sessions.NormalizeOrigin(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("NormalizeOrigin(%q) = %q, %v; want error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}

	k := sessions.Key{Kind: sessions.KindPublishable, Origins: []string{"https://app.example.com", "http://localhost:*", "http://127.0.0.1:5173"}}
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"https://app.example.com", true},
		{"https://APP.example.com:443", true},
		{"http://app.example.com", false},
		{"https://app.example.com.evil.test", false},
		{"https://evil.test", false},
		{"http://localhost:3000", true},
		{"http://localhost", true},
		{"https://localhost:3000", false},
		{"http://127.0.0.1:5173", true},
		{"http://127.0.0.1:5174", false},
		{"null", false},
		{"", false},
		{"http://localhost:*", false},
	} {
		if got := k.AllowsOrigin(tc.origin); got != tc.ok {
			t.Errorf("AllowsOrigin(%q) = %v, want %v", tc.origin, got, tc.ok)
		}
	}
	secret := sessions.Key{Kind: sessions.KindSecret, Origins: []string{"https://app.example.com"}}
	if secret.AllowsOrigin("https://app.example.com") {
		t.Error("a secret key allows a browser origin")
	}
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIssueAndVerify(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sk := mustKey(t, e.svc, sessions.NewKey{Name: "backend", Kind: sessions.KindSecret})
	key, err := e.svc.Authenticate(ctx, sk.Secret)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts", Metadata: json.RawMessage(`{"user_id": 123, "team": {"id": "t1"}}`), Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	if !iss.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("expires_at = %v, want now + 1h (default)", iss.ExpiresAt)
	}
	parts := strings.Split(iss.Token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWS compact serialization", iss.Token)
	}
	h := decodeSegment(t, parts[0])
	if h["alg"] != "HS256" || h["typ"] != sessions.TokenType || h["kid"] == "" || h["kid"] == nil {
		t.Fatalf("header = %v", h)
	}
	c := decodeSegment(t, parts[1])
	if c["aud"] != sessions.Audience && !(func() bool { a, ok := c["aud"].([]any); return ok && len(a) == 1 && a[0] == sessions.Audience })() {
		t.Fatalf("aud = %v", c["aud"])
	}
	if c["jti"] != iss.ID || c["sub"] != "contacts" || c["importer"] != "contacts" || c["iss"] != "fusebox" {
		t.Fatalf("claims = %v", c)
	}
	if int64(c["exp"].(float64)) != iss.ExpiresAt.Unix() || int64(c["iat"].(float64)) != e.clock.Now().Unix() {
		t.Fatalf("exp/iat = %v/%v", c["exp"], c["iat"])
	}
	if strings.Contains(iss.Token, sk.Secret) || strings.Contains(string(mustJSON(c)), "user_id") {
		t.Fatal("the token carries the API key or the metadata")
	}

	sess, err := e.svc.Verify(ctx, iss.Token)
	if err != nil {
		t.Fatal(err)
	}
	if sess.ID != iss.ID || sess.ImporterSlug != "contacts" || sess.KeyID != key.ID || sess.Status != sessions.StatusActive {
		t.Fatalf("session = %+v", sess)
	}
	if n, ok := sess.Metadata["user_id"].(json.Number); !ok || n.String() != "123" {
		t.Fatalf("metadata user_id = %#v, want json.Number 123", sess.Metadata["user_id"])
	}

	// Another process on the same data dir verifies it too (same key file).
	if _, err := e.service().Verify(ctx, iss.Token); err != nil {
		t.Fatalf("second service instance: %v", err)
	}

	// Importer TTL: orders sets 2h; "forever" is capped at MaxTTL.
	o, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "orders"})
	if err != nil || !o.ExpiresAt.Equal(e.clock.Now().Add(2*time.Hour)) {
		t.Fatalf("orders session: %v %v", o.ExpiresAt, err)
	}
	f, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "forever"})
	if err != nil || !f.ExpiresAt.Equal(e.clock.Now().Add(sessions.MaxTTL)) {
		t.Fatalf("forever session: %v %v", f.ExpiresAt, err)
	}
	_, err = e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "nope"})
	wantCode(t, err, errs.ENOTFOUND, `"nope"`)
	_, err = e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: " "})
	wantCode(t, err, errs.EINVALID, "importer_slug is required")
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestMetadata(t *testing.T) {
	big := `{"blob":"` + strings.Repeat("x", sessions.MaxMetadataBytes) + `"}`
	justFits := `{"b":"` + strings.Repeat("x", sessions.MaxMetadataBytes-8) + `"}`
	for _, tc := range []struct{ in, want, err string }{
		{"", "{}", ""},
		{"null", "{}", ""},
		{` { "user_id" : 123 } `, `{"user_id":123}`, ""},
		{`{"a":{"b":[1,2,{"c":null}]}}`, `{"a":{"b":[1,2,{"c":null}]}}`, ""},
		{justFits, justFits, ""},
		{big, "", "the limit is 16384 bytes"},
		{`[1,2]`, "", "must be a JSON object"},
		{`"user"`, "", "must be a JSON object"},
		{`123`, "", "must be a JSON object"},
		{`{"a":}`, "", "not valid JSON"},
	} {
		got, err := sessions.NormalizeMetadata(json.RawMessage(tc.in))
		if tc.err != "" {
			if errs.Code(err) != errs.EINVALID || !strings.Contains(errs.Message(err), tc.err) {
				t.Errorf("NormalizeMetadata(%.40q) = %v, want EINVALID with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeMetadata(%.40q) = %.40q, %v; want %.40q", tc.in, got, err, tc.want)
		}
	}
}

func TestPublishableKeyRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pk := mustKey(t, e.svc, sessions.NewKey{Name: "web", Kind: sessions.KindPublishable, Importers: []string{"contacts"}, Origins: []string{"https://app.example.com", "http://localhost:*"}})
	key, err := e.svc.Authenticate(ctx, pk.Secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, importer, origin, code, msg string
	}{
		{"allowed", "contacts", "https://app.example.com", "", ""},
		{"allowed loopback any port", "contacts", "http://localhost:49152", "", ""},
		{"no origin", "contacts", "", errs.EFORBIDDEN, "no Origin header"},
		{"other origin", "contacts", "https://evil.test", errs.EFORBIDDEN, `origin "https://evil.test" is not allowed`},
		{"other importer", "orders", "https://app.example.com", errs.EFORBIDDEN, `may not create sessions for importer "orders"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iss, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: tc.importer, Key: &key, Origin: tc.origin})
			if tc.code != "" {
				wantCode(t, err, tc.code, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sess, err := e.svc.Verify(ctx, iss.Token)
			if err != nil || sess.Origin != tc.origin || sess.KeyID != key.ID {
				t.Fatalf("session %+v, %v", sess, err)
			}
		})
	}
	if ok, err := e.svc.AnyKeyAllowsOrigin(ctx, "https://app.example.com", ""); !ok || err != nil {
		t.Fatalf("AnyKeyAllowsOrigin(listed) = %v, %v", ok, err)
	}
	if ok, _ := e.svc.AnyKeyAllowsOrigin(ctx, "https://evil.test", ""); ok {
		t.Fatal("AnyKeyAllowsOrigin(unlisted) = true")
	}
	if _, err := e.svc.DeactivateKey(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.svc.AnyKeyAllowsOrigin(ctx, "https://app.example.com", ""); ok {
		t.Fatal("a deactivated key still opens its origins to CORS")
	}
}

// forge signs claims with the given method, key and header fields.
func forge(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRejects(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	good, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts"})
	if err != nil {
		t.Fatal(err)
	}
	kid, secret, err := e.svc.SigningKeyForTest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "fusebox", "sub": "contacts", "importer": "contacts", "aud": []string{sessions.Audience},
			"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "jti": good.ID}
	}
	hdr := map[string]any{"kid": kid, "typ": sessions.TokenType}
	with := func(k string, v any) jwt.MapClaims {
		c := base()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	// The forged baseline, signed right, verifies: so each case below
	// fails for its one difference.
	if _, err := e.svc.Verify(ctx, forge(t, jwt.SigningMethodHS256, secret, hdr, base())); err != nil {
		t.Fatalf("baseline forged token does not verify: %v", err)
	}
	parts := strings.Split(good.Token, ".")
	tamperedClaims := base()
	tamperedClaims["importer"], tamperedClaims["sub"] = "orders", "orders"
	tamperedPayload := parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSON(tamperedClaims)) + "." + parts[2]
	sig := []byte(parts[2])
	// Another base64url character (flipping a bit could leave the
	// alphabet, e.g. 'A' -> '@', and make the token malformed instead).
	if sig[3] == 'A' {
		sig[3] = 'B'
	} else {
		sig[3] = 'A'
	}
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"` + sessions.TokenType + `","kid":"` + kid + `"}`))
	algNone := noneHeader + "." + base64.RawURLEncoding.EncodeToString(mustJSON(base())) + "."
	otherSecret := bytes.Repeat([]byte{7}, 32)

	for _, tc := range []struct {
		name, token, msg string
	}{
		{"empty", "", "required"},
		{"garbage", "not-a-jwt", "well-formed"},
		{"tampered payload", tamperedPayload, "signature does not match"},
		{"tampered signature", tamperedSig, "signature does not match"},
		{"alg none", algNone, `"none" is not allowed`},
		{"HS512", forge(t, jwt.SigningMethodHS512, secret, hdr, base()), `"HS512" is not allowed`},
		{"other signing key", forge(t, jwt.SigningMethodHS256, otherSecret, hdr, base()), "signature does not match"},
		{"marketplace audience, same key", forge(t, jwt.SigningMethodHS256, secret, hdr, with("aud", []string{"fusebox:marketplace"})), "audience"},
		{"marketplace audience and typ", forge(t, jwt.SigningMethodHS256, secret, map[string]any{"kid": kid, "typ": "JWT"}, with("aud", "fusebox:marketplace")), "typ"},
		{"no typ", forge(t, jwt.SigningMethodHS256, secret, map[string]any{"kid": kid, "typ": nil}, base()), "typ"},
		{"crit header", forge(t, jwt.SigningMethodHS256, secret, map[string]any{"kid": kid, "typ": sessions.TokenType, "crit": []string{"exp"}}, base()), "crit"},
		{"unknown kid", forge(t, jwt.SigningMethodHS256, secret, map[string]any{"kid": "other", "typ": sessions.TokenType}, base()), "unknown kid"},
		{"no exp", forge(t, jwt.SigningMethodHS256, secret, hdr, with("exp", nil)), "exp"},
		{"expired beyond leeway", forge(t, jwt.SigningMethodHS256, secret, hdr, with("exp", now.Add(-sessions.Leeway-time.Second).Unix())), "expired"},
		{"issued in the future", forge(t, jwt.SigningMethodHS256, secret, hdr, with("iat", now.Add(time.Hour).Unix())), "not valid yet"},
		{"other issuer", forge(t, jwt.SigningMethodHS256, secret, hdr, with("iss", "someone")), "not issued by Fusebox"},
		{"unknown session", forge(t, jwt.SigningMethodHS256, secret, hdr, with("jti", "ses_nope")), "does not exist"},
		{"no jti", forge(t, jwt.SigningMethodHS256, secret, hdr, with("jti", nil)), "no session id"},
		{"importer claim differs from session", forge(t, jwt.SigningMethodHS256, secret, hdr, with("importer", "orders")), "importer does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.Verify(ctx, tc.token)
			wantCode(t, err, errs.EUNAUTHORIZED, tc.msg)
		})
	}
}

func TestExpiryAndRevocation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts", Metadata: json.RawMessage(`{"user_id":"u1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second)
	b, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	// Within the leeway after exp, the token is still accepted.
	e.clock.Add(time.Hour - time.Second + sessions.Leeway/2)
	if _, err := e.svc.Verify(ctx, a.Token); err != nil {
		t.Fatalf("token within leeway: %v", err)
	}
	e.clock.Add(sessions.Leeway)
	_, err = e.svc.Verify(ctx, a.Token)
	wantCode(t, err, errs.EUNAUTHORIZED, "expired")

	if _, err := e.svc.Verify(ctx, b.Token); err != nil {
		t.Fatal(err)
	}
	rev, err := e.svc.Revoke(ctx, b.ID)
	if err != nil || rev.Status != sessions.StatusRevoked || rev.RevokedAt.IsZero() {
		t.Fatalf("revoke: %+v %v", rev, err)
	}
	_, err = e.svc.Verify(ctx, b.Token)
	wantCode(t, err, errs.EUNAUTHORIZED, "revoked")
	again, err := e.svc.Revoke(ctx, b.ID)
	if err != nil || !again.RevokedAt.Equal(rev.RevokedAt) {
		t.Fatalf("second revoke: %+v %v", again, err)
	}
	_, err = e.svc.Revoke(ctx, "ses_nope")
	wantCode(t, err, errs.ENOTFOUND, "ses_nope")

	c, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    sessions.SessionFilter
		want []string
	}{
		{sessions.SessionFilter{}, []string{c.ID, b.ID, a.ID}},
		{sessions.SessionFilter{Status: "active"}, []string{c.ID}},
		{sessions.SessionFilter{Status: "expired"}, []string{a.ID}},
		{sessions.SessionFilter{Status: "revoked"}, []string{b.ID}},
		{sessions.SessionFilter{ImporterSlug: "contacts"}, []string{c.ID, a.ID}},
		{sessions.SessionFilter{PerPage: 2, Page: 2}, []string{a.ID}},
	} {
		list, total, err := e.svc.ListSessions(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range list {
			ids = append(ids, s.ID)
		}
		if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
			t.Errorf("ListSessions(%+v) = %v, want %v", tc.f, ids, tc.want)
		}
		if tc.f.PerPage == 0 && total != len(tc.want) {
			t.Errorf("ListSessions(%+v) total = %d, want %d", tc.f, total, len(tc.want))
		}
	}
	if _, _, err := e.svc.ListSessions(ctx, sessions.SessionFilter{Status: "alive"}); errs.Code(err) != errs.EINVALID {
		t.Fatalf("bad status filter: %v", err)
	}
	if n, err := e.svc.CountActiveSessions(ctx); err != nil || n != 1 {
		t.Fatalf("CountActiveSessions = %d, %v", n, err)
	}
	// Pruning drops what ended before the cutoff, not what is live.
	e.clock.Add(time.Second)
	n, err := e.svc.PruneExpired(ctx, e.clock.Now())
	if err != nil || n != 2 {
		t.Fatalf("PruneExpired = %d, %v; want 2", n, err)
	}
	if _, err := e.svc.Verify(ctx, c.Token); err != nil {
		t.Fatal(err)
	}
}

func TestSigningKeyIsSealed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts"}); err != nil {
		t.Fatal(err)
	}
	kid, secret, err := e.svc.SigningKeyForTest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	var stored string
	if err := e.db.Read.QueryRow(`SELECT secret FROM session_signing_keys WHERE kid = ?`, kid).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{string(secret), base64.StdEncoding.EncodeToString(secret), base64.RawURLEncoding.EncodeToString(secret), hexOf(secret)} {
		if strings.Contains(stored, enc) {
			t.Fatal("the stored signing key contains the secret")
		}
	}
	if e.db.Engine() == store.SQLite {
		checkpoint(t, e.db)
		if raw := dbBytes(t, e.db.Path); bytes.Contains(raw, secret) {
			t.Fatal("the database file contains the signing secret")
		}
	}

	// A lost key file is refused (TestLostKeyFileIsRefused): it is never
	// replaced by a new key, which would retire this one.
	// A damaged key file is an error, never silently replaced.
	if err := os.WriteFile(e.keyFile, []byte("not base64!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.service().Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts"}); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged key file: %v", err)
	}
}

// TestLostKeyFileIsRefused: a data dir whose database holds a signing key
// but whose sessions.key is gone or replaced refuses to work, naming the
// file and saying to restore it; it never makes a new key in its place.
// Restoring the file brings everything back.
func TestLostKeyFileIsRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts"})
	if err != nil {
		t.Fatal(err)
	}
	kid, _, err := e.svc.SigningKeyForTest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	backup, err := os.ReadFile(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	countKeys := func() (n int) {
		t.Helper()
		if err := e.db.Read.QueryRow(`SELECT count(*) FROM session_signing_keys WHERE retired_at = ''`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	if err := os.Remove(e.keyFile); err != nil {
		t.Fatal(err)
	}
	lost := e.service()
	err = lost.OpenKeyring(ctx)
	for _, want := range []string{e.keyFile, "does not exist", "restore sessions.key from the backup"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("start without the key file: %v, want it to say %q", err, want)
		}
	}
	if _, err := lost.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts"}); err == nil {
		t.Fatal("issued a session without the key file")
	}
	if _, err := lost.Verify(ctx, tok.Token); err == nil {
		t.Fatal("verified a token without the key file")
	}
	if _, err := lost.DemoKeys(ctx); err == nil {
		t.Fatal("derived the demo keys without the key file")
	}
	if _, err := os.Stat(e.keyFile); !os.IsNotExist(err) {
		t.Fatalf("a new key file was made: %v", err)
	}
	if n := countKeys(); n != 1 {
		t.Fatalf("%d current signing keys, want the one stored", n)
	}

	// Another key in its place is refused too.
	if _, err := keyring.Create(e.keyFile); err != nil {
		t.Fatal(err)
	}
	err = e.service().OpenKeyring(ctx)
	if err == nil || !strings.Contains(err.Error(), kid) || !strings.Contains(err.Error(), "does not open") || !strings.Contains(err.Error(), "restore it from the backup") {
		t.Fatalf("start with another key file: %v", err)
	}
	if n := countKeys(); n != 1 {
		t.Fatalf("%d current signing keys, want the one stored", n)
	}

	// Restored from the backup: the old token verifies again.
	if err := os.WriteFile(e.keyFile, backup, 0o600); err != nil {
		t.Fatal(err)
	}
	restored := e.service()
	if err := restored.OpenKeyring(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := restored.Verify(ctx, tok.Token); err != nil {
		t.Fatalf("token after restoring the key file: %v", err)
	}
}

// TestLegacyKeyFileMigrates: a data dir made before the keyring (a bare
// base64 sessions.key, a signing key sealed by that version) keeps its
// signing key, and the key file is rewritten in the keyring's format.
func TestLegacyKeyFileMigrates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Written by the previous sessions service (key file and sealed value).
	const (
		legacyKeyFile = "ZnpIXJYf2AJ0s8kX011dxrKXhzK8D/NfsfAnbJcxPgA=\n"
		legacyKid     = "skLegacy0001"
		legacySealed  = "xlEXYzjwXfHJzCb6Ag8UHbvvQuXyRzyQ0NcSu90Vc221TgZdwEsMrEukMgvOF1XwDRqQsfRzcuG-8enlYmA"
		legacySecret  = "legacy session signing secret, 32b"
	)
	if err := os.WriteFile(e.keyFile, []byte(legacyKeyFile), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Write.Exec(`INSERT INTO session_signing_keys (kid, secret, created_at) VALUES (?, ?, ?)`,
		legacyKid, legacySealed, store.FormatTime(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	svc := e.service()
	if err := svc.OpenKeyring(ctx); err != nil {
		t.Fatal(err)
	}
	kid, secret, err := svc.SigningKeyForTest(ctx)
	if err != nil || kid != legacyKid || string(secret) != legacySecret {
		t.Fatalf("signing key after migration: %q %q %v", kid, secret, err)
	}
	b, err := os.ReadFile(e.keyFile)
	if err != nil || !strings.HasPrefix(string(b), "fusebox-key v1 ") {
		t.Fatalf("key file after migration: %q %v", b, err)
	}
	if fi, _ := os.Stat(e.keyFile); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v after migration", fi.Mode().Perm())
	}
	tok, err := svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.service().Verify(ctx, tok.Token); err != nil {
		t.Fatalf("token signed after migration, verified by another process: %v", err)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func checkpoint(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.Write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
}

// dbBytes is the database file and its WAL, as stored on disk.
func dbBytes(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) < 4096 {
		t.Fatalf("database files are only %d bytes", len(all))
	}
	return all
}

func TestNoKeyInDatabaseFile(t *testing.T) {
	storetest.SQLiteOnly(t) // reads the database file's bytes
	e := newEnv(t)
	ctx := context.Background()
	var texts []string
	for i := 0; i < 5; i++ {
		k := mustKey(t, e.svc, sessions.NewKey{Name: "s", Kind: sessions.KindSecret})
		p := mustKey(t, e.svc, sessions.NewKey{Name: "p", Kind: sessions.KindPublishable, Importers: []string{"*"}, Origins: []string{"http://localhost:*"}})
		texts = append(texts, k.Secret, p.Secret)
		if _, err := e.svc.Authenticate(ctx, k.Secret); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.EnsureDemoKeys(ctx, []string{"contacts"}); err != nil {
		t.Fatal(err)
	}
	demo, err := e.svc.DemoKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	texts = append(texts, demo.Secret, demo.Publishable)
	for _, raw := range [][]byte{dbBytes(t, e.db.Path), func() []byte { checkpoint(t, e.db); return dbBytes(t, e.db.Path) }()} {
		for _, k := range texts {
			if bytes.Contains(raw, []byte(k)) || bytes.Contains(raw, []byte(k[len("fbx_sk_"):])) {
				t.Fatalf("the database file holds key %s… in plain text", k[:11])
			}
		}
	}
}

func TestDemoKeys(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.DemoKeys(ctx); errs.Code(err) != errs.ENOTFOUND {
		t.Fatalf("DemoKeys before EnsureDemoKeys: %v, want ENOTFOUND", err)
	}
	if _, err := e.svc.IssueDemo(ctx, sessions.IssueParams{ImporterSlug: "contacts"}); errs.Code(err) != errs.ENOTFOUND {
		t.Fatalf("IssueDemo without demo keys: %v, want ENOTFOUND", err)
	}
	changes, err := e.svc.EnsureDemoKeys(ctx, []string{"contacts"})
	if err != nil || len(changes) != 2 {
		t.Fatalf("EnsureDemoKeys = %v, %v", changes, err)
	}
	again, err := e.svc.EnsureDemoKeys(ctx, []string{"contacts"})
	if err != nil || len(again) != 0 {
		t.Fatalf("EnsureDemoKeys is not idempotent: %v, %v", again, err)
	}
	d, err := e.svc.DemoKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !keyRE.MatchString(d.Secret) || !strings.HasPrefix(d.Secret, "fbx_sk_") || !strings.HasPrefix(d.Publishable, "fbx_pk_") {
		t.Fatalf("demo keys %+v", d)
	}
	// The same from another process: derived from the key file, not stored.
	d2, err := e.service().DemoKeys(ctx)
	if err != nil || d2 != d {
		t.Fatalf("second instance DemoKeys = %+v, %v", d2, err)
	}
	sk, err := e.svc.Authenticate(ctx, d.Secret)
	if err != nil || sk.Name != sessions.DemoSecretName || sk.Kind != sessions.KindSecret {
		t.Fatalf("demo secret key: %+v %v", sk, err)
	}
	pk, err := e.svc.Authenticate(ctx, d.Publishable)
	if err != nil || pk.Kind != sessions.KindPublishable {
		t.Fatalf("demo publishable key: %+v %v", pk, err)
	}
	for _, o := range []string{"http://127.0.0.1:8787", "http://localhost:5173", "http://[::1]:9000"} {
		if !pk.AllowsOrigin(o) {
			t.Errorf("demo publishable key refuses %s", o)
		}
	}
	if pk.AllowsOrigin("http://192.168.1.2:8787") || !pk.AllowsImporter("contacts") || pk.AllowsImporter("anything") {
		t.Error("demo publishable key origins/importers are wrong: only the demo's importers")
	}
	if _, err := e.svc.EnsureDemoKeys(ctx, []string{sessions.AnyImporter}); !errs.Is(err, errs.EINVALID) {
		t.Errorf("EnsureDemoKeys with %q: %v, want EINVALID", sessions.AnyImporter, err)
	}
	iss, err := e.svc.IssueDemo(ctx, sessions.IssueParams{ImporterSlug: "contacts", Metadata: json.RawMessage(`{"user_id":"demo-user"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if sess, err := e.svc.Verify(ctx, iss.Token); err != nil || sess.KeyID != d.SecretID {
		t.Fatalf("demo session %+v %v, want key %s", sess, err, d.SecretID)
	}
	if _, err := e.svc.DeactivateKey(ctx, d.SecretID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.IssueDemo(ctx, sessions.IssueParams{ImporterSlug: "contacts"})
	wantCode(t, err, errs.EUNAUTHORIZED, "deactivated")
	if ch, _ := e.svc.EnsureDemoKeys(ctx, []string{"contacts"}); len(ch) != 0 {
		t.Fatalf("a deactivated demo key was recreated: %v", ch)
	}
	d3, _ := e.svc.DemoKeys(ctx)
	if d3.SecretActive || !d3.PublishableActive {
		t.Fatalf("DemoKeys after deactivation: %+v", d3)
	}
	// Another data dir (another key file) gets other demo keys.
	other := newEnv(t)
	if _, err := other.svc.EnsureDemoKeys(ctx, []string{"contacts"}); err != nil {
		t.Fatal(err)
	}
	od, _ := other.svc.DemoKeys(ctx)
	if od.Secret == d.Secret {
		t.Fatal("two data dirs share a demo key")
	}
}

func BenchmarkIssue(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	k, err := e.svc.CreateKey(ctx, sessions.NewKey{Name: "b", Kind: sessions.KindSecret})
	if err != nil {
		b.Fatal(err)
	}
	key, _ := e.svc.Authenticate(ctx, k.Secret)
	md := json.RawMessage(`{"user_id":123}`)
	b.ReportAllocs()
	b.SetParallelism(8) // concurrent requests, as HTTP clients make them
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts", Metadata: md, Key: &key}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	iss, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts", Metadata: json.RawMessage(`{"user_id":123}`)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.svc.Verify(ctx, iss.Token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// Concurrent issues share commits (group commit); every one of them must
// still be stored and verifiable, and each caller gets its own session.
func TestConcurrentIssue(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = 300
	var wg sync.WaitGroup
	tokens := make([]sessions.Issued, n)
	errsCh := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			iss, err := e.svc.Issue(ctx, sessions.IssueParams{ImporterSlug: "contacts", Metadata: json.RawMessage(`{"n":` + strconv.Itoa(i) + `}`)})
			if err != nil {
				errsCh <- err
				return
			}
			tokens[i] = iss
		}()
	}
	wg.Wait()
	close(errsCh)
	for err := range errsCh {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, iss := range tokens {
		sess, err := e.svc.Verify(ctx, iss.Token)
		if err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		if seen[sess.ID] || sess.Metadata["n"].(json.Number).String() != strconv.Itoa(i) {
			t.Fatalf("token %d: session %+v", i, sess)
		}
		seen[sess.ID] = true
	}
	if _, total, _ := e.svc.ListSessions(ctx, sessions.SessionFilter{}); total != n {
		t.Fatalf("%d sessions stored, want %d", total, n)
	}
}
