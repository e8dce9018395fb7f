package marketplace

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"fusebox/backend/errs"
	"fusebox/backend/keyring"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

func newService(t *testing.T) (*Service, *store.DB, string) {
	t.Helper()
	dir := t.TempDir()
	db := storetest.Open(t)
	return New(db, Options{KeyFile: filepath.Join(dir, "secrets.key")}), db, dir
}

// load runs the section's Load on a YAML document (the value under
// marketplace:), decoding strictly as the workspace file does.
func load(t *testing.T, s *Service, doc string) (func(context.Context) ([]string, error), error) {
	t.Helper()
	return s.Section().Load(func(v any) error {
		return yaml.UnmarshalWithOptions([]byte(doc), v, yaml.DisallowUnknownField())
	})
}

func TestSectionValidationNamesThePath(t *testing.T) {
	s, _, _ := newService(t)
	step := "workflow: [{kind: notify, message: hi}]"
	for _, c := range []struct{ doc, want string }{
		{"embed_origins: [localhost:3000]", "marketplace.embed_origins[0]: \"localhost:3000\" is not an origin"},
		{"embed_origins: [http://localhost:3000/path]", "embed_origins[0]"},
		{"token_leeway: 5m", "marketplace.token_leeway: \"5m\" must be a duration from 0s to 60s"},
		{"token_max_lifetime: 1000h", "token_max_lifetime"},
		{"org_id: 'has space'", "marketplace.org_id"},
		{"plans: [{name: a}, {name: b}]", "marketplace.plans: exactly one plan must have default: true (found 0)"},
		{"plans: [{name: a, default: true}, {name: A}]", "marketplace.plans[1].name: plan \"A\" appears twice"},
		{"plans: [{name: a, default: true, allowed_actions: [fly]}]", "marketplace.plans[0].allowed_actions[0]: \"fly\" is not an action"},
		{"listings: [{id: Bad Id, name: x, " + step + "}]", "marketplace.listings[0].id"},
		{"listings: [{id: a, name: x}]", "marketplace.listings[0].workflow: at least one step is required"},
		{"listings: [{id: a, name: x, " + step + "}, {id: a, name: y, " + step + "}]", "marketplace.listings[1].id: listing \"a\" appears twice"},
		{"listings: [{id: a, name: x, config_fields: [{name: f, type: color}], " + step + "}]", "marketplace.listings[0].config_fields[0].type: \"color\" is not a field type"},
		{"listings: [{id: a, name: x, config_fields: [{name: f, type: select}], " + step + "}]", "config_fields[0].options: a select field needs at least one option"},
		{"listings: [{id: a, name: x, config_fields: [{name: u, type: url, default: nope}], " + step + "}]", "config_fields[0].default: \"nope\" is not an http(s) URL"},
		{"listings: [{id: a, name: x, workflow: [{kind: teleport}]}]", "marketplace.listings[0].workflow[0].kind: \"teleport\" is not a step kind"},
		{"listings: [{id: a, name: x, workflow: [{kind: http_request}]}]", "workflow[0].url: required for http_request steps"},
		{"listings: [{id: a, name: x, workflow: [{kind: http_request, url: ftp://x}]}]", "workflow[0].url: \"ftp://x\" must be an absolute http(s) URL"},
		{"listings: [{id: a, name: x, workflow: [{kind: http_request, url: 'http://x/{{user.password}}'}]}]", "workflow[0]: unknown placeholder {{user.password}}"},
		{"listings: [{id: a, name: x, workflow: [{kind: notify, message: m, url: 'http://x'}]}]", "workflow[0].url: not used by notify steps"},
		{"listings: [{id: a, name: x, workflow: [{kind: relay_route, url: 'http://x', body: {a: 1}}]}]", "workflow[0].body: not used by relay_route steps"},
		{"listings: [{id: a, name: x, workflow: [{kind: relay_route, url: 'http://x'}, {kind: relay_route, url: 'http://y'}]}]", "workflow[1]: a workflow has at most one relay_route step"},
		{"listings: [{id: a, name: x, workflow: [{kind: http_request, url: 'http://x', timeout: 1h}]}]", "workflow[0].timeout"},
		{"listings: [{id: a, name: x, logo: '<script>', " + step + "}]", "marketplace.listings[0].logo"},
	} {
		_, err := load(t, s, c.doc)
		if err == nil || !strings.Contains(errs.Message(err), c.want) {
			t.Errorf("%s:\n got %v\nwant ~%q", c.doc, err, c.want)
		}
	}
	// Unknown keys are refused by the strict decoder.
	if _, err := load(t, s, "plans: [{name: a, default: true, max_integration: 3}]"); err == nil || !strings.Contains(err.Error(), "max_integration") {
		t.Errorf("unknown key accepted: %v", err)
	}
}

func TestSectionApplyIsDeclarativeAndGeneratesTheOrgOnce(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	apply := func(doc string) []string {
		t.Helper()
		fn, err := load(t, s, doc)
		if err != nil {
			t.Fatal(err)
		}
		changes, err := fn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return changes
	}
	first := apply(`plans: [{name: free, default: true}, {name: old}]
listings: [{id: a, name: A, workflow: [{kind: notify, message: hi}]}]`)
	if strings.Join(first, "|") != "updated marketplace settings|created marketplace plan free|created marketplace plan old|created marketplace listing a" {
		t.Fatalf("first apply: %q", first)
	}
	st, err := s.Settings(ctx)
	if err != nil || !strings.HasPrefix(st.OrgID, "org_") {
		t.Fatalf("generated org id: %q %v", st.OrgID, err)
	}
	second := apply(`plans: [{name: free, default: true, max_integrations: 2}]
listings: [{id: a, name: A, workflow: [{kind: notify, message: hi}]}]`)
	if strings.Join(second, "|") != "deleted marketplace plan old|updated marketplace plan free" {
		t.Fatalf("second apply: %q", second)
	}
	again, _ := s.Settings(ctx)
	if again.OrgID != st.OrgID {
		t.Fatalf("org id changed on re-apply without org_id: %q -> %q", st.OrgID, again.OrgID)
	}
	exp, err := s.Section().Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := yaml.Marshal(exp)
	if !strings.Contains(string(out), "org_id: "+st.OrgID) {
		t.Fatalf("export lacks the generated org id:\n%s", out)
	}
	if changes := apply(string(out)); len(changes) != 0 {
		t.Fatalf("apply of the export changed %q", changes)
	}
}

func TestSecretsAreSealedAtRest(t *testing.T) {
	storetest.SQLiteOnly(t) // reads the database file's bytes
	ctx := context.Background()
	s, db, dir := newService(t)
	ns, err := s.CreateSecret(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if len(ns.Value) < len(secretPrefix)+43 {
		t.Fatalf("secret %q is shorter than 32 random bytes", ns.Value)
	}
	fi, err := os.Stat(filepath.Join(dir, "secrets.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v mode %v, want 0600", err, fi.Mode())
	}
	db.Close()
	raw, err := os.ReadFile(db.Path)
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(db.Path + "-wal")
	if strings.Contains(string(raw)+string(wal), ns.Value) || strings.Contains(string(raw)+string(wal), ns.Value[5:25]) {
		t.Fatal("the database file holds the secret in clear")
	}
	// Another key file cannot open it.
	db2, err := store.Open(ctx, db.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	otherKey := filepath.Join(t.TempDir(), "other.key")
	other := New(db2, Options{KeyFile: otherKey})
	if _, _, err := other.keys(ctx, false); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing key file: %v", err)
	}
	// Sealing refuses too: the database holds sealed secrets, so a lost
	// key file is never replaced by a new one.
	if _, err := other.seal.seal(ctx, []byte("x"), "x"); err == nil || !strings.Contains(err.Error(), "restore other.key from the backup") {
		t.Fatalf("seal without the key file: %v", err)
	}
	if _, err := os.Stat(otherKey); !os.IsNotExist(err) {
		t.Fatalf("a new key file was made: %v", err)
	}
	if _, err := keyring.Create(otherKey); err != nil { // another key in its place
		t.Fatal(err)
	}
	other = New(db2, Options{KeyFile: otherKey})
	if _, _, err := other.keys(ctx, false); err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("wrong key file: %v", err)
	}
	same := New(db2, Options{KeyFile: filepath.Join(dir, "secrets.key")})
	active, _, err := same.keys(ctx, false)
	if err != nil || len(active) != 1 || string(active[0].secret) != ns.Value {
		t.Fatalf("reopen with the right key: %v %v", active, err)
	}
}

func TestReserveCountsPerUserPerMonth(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newService(t)
	month := time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return month }
	fn, err := load(t, s, `plans: [{name: free, default: true, max_transactions: 5, upgrade_message: Go Pro.}, {name: pro}]`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fn(ctx); err != nil {
		t.Fatal(err)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := upsertEndUser(ctx, tx, "o", &UserClaims{ExternalID: "a"}, "free", "", store.Now()); err != nil {
			return err
		}
		_, err := upsertEndUser(ctx, tx, "o", &UserClaims{ExternalID: "b"}, "pro", "", store.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var a, b string
	db.Read.QueryRow(`SELECT id FROM marketplace_end_users WHERE external_id = 'a'`).Scan(&a)
	db.Read.QueryRow(`SELECT id FROM marketplace_end_users WHERE external_id = 'b'`).Scan(&b)
	if err := s.Reserve(ctx, a, 4); err != nil {
		t.Fatal(err)
	}
	err = s.Reserve(ctx, a, 2)
	if !errs.Is(err, errs.ELIMIT) || !strings.HasPrefix(errs.Message(err), "Go Pro. (the free plan allows 5 transactions a month; 4 used in 2026-03, 2 more asked)") {
		t.Fatalf("over the monthly limit: %v", err)
	}
	if err := s.Reserve(ctx, a, 1); err != nil {
		t.Fatalf("the refused reservation was counted: %v", err)
	}
	if err := s.Reserve(ctx, b, 1000); err != nil {
		t.Fatalf("unlimited plan: %v", err)
	}
	s.now = func() time.Time { return month.Add(2 * time.Hour) } // April
	if err := s.Reserve(ctx, a, 5); err != nil {
		t.Fatalf("a new month starts at zero: %v", err)
	}
	if err := s.Reserve(ctx, "mu_nope", 1); !errs.Is(err, errs.ENOTFOUND) {
		t.Fatalf("unknown end user: %v", err)
	}
	if err := s.Reserve(ctx, a, 0); !errs.Is(err, errs.EINVALID) {
		t.Fatalf("n = 0: %v", err)
	}
}

func TestRenderURLEscapesUserValues(t *testing.T) {
	vars := map[string]string{"fusebox.base_url": "http://127.0.0.1:8787", "config.name": "../api/admin?x=1", "config.q": "a&b=c", "config.url": "https://hooks.example/x?y=1"}
	for _, c := range []struct{ tmpl, want string }{
		{"{{fusebox.base_url}}/sink/{{config.name}}", "http://127.0.0.1:8787/sink/..%2Fapi%2Fadmin%3Fx=1"},
		{"{{fusebox.base_url}}/s?q={{config.q}}", "http://127.0.0.1:8787/s?q=a%26b%3Dc"},
		{"{{config.url}}", "https://hooks.example/x?y=1"},
		{"{{config.url}}&n={{config.q}}", "https://hooks.example/x?y=1&n=a%26b%3Dc"},
	} {
		if got := renderURL(c.tmpl, vars); got != c.want {
			t.Errorf("renderURL(%q) = %q, want %q", c.tmpl, got, c.want)
		}
	}
}

func TestVerifierPicksTheMatchingSecretWithoutKid(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	v := Verifier{OrgID: "o", Leeway: time.Minute, MaxLifetime: time.Hour, Now: func() time.Time { return now },
		active: []key{{id: "k1", secret: []byte("one")}, {id: "k2", secret: []byte("two")}, {id: "k3", secret: []byte("three")}}}
	for _, k := range v.active {
		tok := signHS256(t, map[string]any{"alg": "HS256"}, map[string]any{"exp": now.Unix() + 60, "orgId": "o", "user": map[string]any{"externalId": "x"}}, k.secret)
		ver, err := v.Parse(tok)
		if err != nil || ver.SecretID != k.id {
			t.Errorf("token signed with %s: matched %q err %v", k.id, ver.SecretID, err)
		}
	}
	_, err := v.Parse(signHS256(t, map[string]any{"alg": "HS256"}, map[string]any{"exp": now.Unix() + 60, "orgId": "o", "user": map[string]any{"externalId": "x"}}, []byte("four")))
	if te, ok := AsTokenError(err); !ok || te.Check != "signature" {
		t.Fatalf("unknown secret: %v", err)
	}
	if !errors.Is(err, err) || errs.Code(err) != errs.EUNAUTHORIZED {
		t.Fatalf("code %s", errs.Code(err))
	}
}
