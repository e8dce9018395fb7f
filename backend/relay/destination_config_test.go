package relay

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"fusebox/backend/errs"
)

func TestNormalizeErrors(t *testing.T) {
	base := func() Destination { return Destination{ID: "crm", URL: "https://api.example.com/v1/contacts"} }
	tests := []struct {
		name string
		mod  func(d *Destination)
		want string
	}{
		{"ok", func(d *Destination) {}, ""},
		{"ok path on this server", func(d *Destination) { d.URL = "/sink/demo" }, ""},
		{"missing id", func(d *Destination) { d.ID = "" }, "id: required"},
		{"bad id", func(d *Destination) { d.ID = "a b" }, "id: required"},
		{"missing url", func(d *Destination) { d.URL = "" }, "url: required"},
		{"ftp url", func(d *Destination) { d.URL = "ftp://x/" }, "scheme must be http or https"},
		{"relative without slash", func(d *Destination) { d.URL = "api/x" }, "absolute http(s) URL or a path"},
		{"credentials in url", func(d *Destination) { d.URL = "https://u:p@x/" }, "credentials in the URL"},
		{"method", func(d *Destination) { d.Method = "get" }, `method: "GET"`},
		{"send", func(d *Destination) { d.Send = "events" }, `send: "events"`},
		{"header name", func(d *Destination) { d.Headers = map[string]string{"Bad Header": "x"} }, "not a valid header name"},
		{"reserved header", func(d *Destination) { d.Headers = map[string]string{"webhook-id": "x"} }, "set by the relay"},
		{"unknown placeholder", func(d *Destination) { d.Headers = map[string]string{"X-A": "{{ env \"A\" }}"} }, "the only placeholders here are"},
		{"secret name", func(d *Destination) { d.Headers = map[string]string{"X-A": `{{ secret "1A" }}`} }, "not an environment variable name"},
		{"unclosed", func(d *Destination) { d.Headers = map[string]string{"X-A": `Bearer {{ secret "A"`} }, "unclosed"},
		{"secret in params", func(d *Destination) { d.Params = map[string]string{"k": `{{ secret "A" }}`} }, "only be used in header values"},
		{"unknown param variable", func(d *Destination) { d.Params = map[string]string{"k": "{{ userid }}"} }, "unknown; use user_id"},
		{"batch", func(d *Destination) { d.Batch = -2 }, "batch:"},
		{"timeout", func(d *Destination) { d.Timeout = Duration(time.Hour) }, "timeout:"},
		{"field twice", func(d *Destination) {
			d.QueryParamFields = FieldMap{{"a", "a"}}
			d.HeaderFields = FieldMap{{"a", "X-A"}}
		}, "already used by query_param_fields"},
		{"header field name", func(d *Destination) { d.HeaderFields = FieldMap{{"a", "X A"}} }, "not a valid header name"},
		{"map prefix", func(d *Destination) { d.Map = map[string]string{"a": "x", "b": "x.y"} }, "cannot hold both"},
		{"map same path", func(d *Destination) { d.Map = map[string]string{"a": "x.y", "b": "x.y"} }, "a and b both map"},
		{"map empty segment", func(d *Destination) { d.Map = map[string]string{"a": "x..y"} }, "dotted path"},
		{"mapped param field", func(d *Destination) {
			d.QueryParamFields = FieldMap{{"a", "a"}}
			d.Map = map[string]string{"a": "x"}
		}, "moved out of the body"},
		{"token mapped", func(d *Destination) {
			d.SessionTokenField = "tok"
			d.Map = map[string]string{"tok": "x"}
		}, "never forwarded"},
		{"signing secret value", func(d *Destination) { d.SigningSecret = "whsec_abc/+=" }, "NAME of an environment variable"},
		{"concurrency", func(d *Destination) { d.Concurrency = 1000 }, "concurrency"},
		{"retry steps", func(d *Destination) { d.Retry = make([]Duration, 21) }, "at most 20"},
		{"inbound route", func(d *Destination) { d.Inbound = &Inbound{Route: ""} }, "inbound.route"},
		{"inbound allowed url", func(d *Destination) { d.Inbound = &Inbound{Route: "r", AllowedURLs: []string{"/relative"}} }, "allowed_urls[0]"},
		{"status with map", func(d *Destination) {
			d.Send = SendStatus
			d.Map = map[string]string{"a": "b"}
		}, "apply to records only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := base()
			tc.mod(&d)
			err := d.Normalize()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), `destination "`) && d.ID != "" && d.ID != "a b" {
				t.Fatalf("error %q does not name the destination", err)
			}
		})
	}
}

const sampleYAML = `
id: crm
url: https://api.example.com/contacts
batch: all
timeout: 2.5s
rate_limit: 600/m
query_param_fields: [user_id, team]
header_fields:
  tenant: X-Tenant
retry: [1s, 2m, 1h30m]
`

func TestDestinationYAMLAndJSON(t *testing.T) {
	var d Destination
	if err := yaml.UnmarshalWithOptions([]byte(sampleYAML), &d, yaml.DisallowUnknownField()); err != nil {
		t.Fatal(err)
	}
	if d.Batch != BatchAll || time.Duration(d.Timeout) != 2500*time.Millisecond || d.RateLimit.PerSecond != 10 {
		t.Fatalf("decoded %+v", d)
	}
	if got := d.QueryParamFields.Fields(); strings.Join(got, ",") != "user_id,team" {
		t.Fatalf("query fields %v", got)
	}
	if d.HeaderFields[0] != (FieldEntry{"tenant", "X-Tenant"}) {
		t.Fatalf("header fields %v", d.HeaderFields)
	}
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"batch: all", "timeout: 2.5s", "rate_limit: 600/m", "- 2m\n", "- 1h30m\n", "tenant: X-Tenant"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("YAML export lacks %q:\n%s", want, out)
		}
	}
	var back Destination
	if err := yaml.UnmarshalWithOptions(out, &back, yaml.DisallowUnknownField()); err != nil {
		t.Fatalf("re-read export: %v\n%s", err, out)
	}
	if err := back.Normalize(); err != nil {
		t.Fatal(err)
	}
	if !equalDestinations(&d, &back) {
		t.Fatalf("YAML round trip changed the destination:\n%+v\n%+v", d, back)
	}
	js, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON Destination
	if err := json.Unmarshal(js, &fromJSON); err != nil {
		t.Fatalf("%v: %s", err, js)
	}
	if !equalDestinations(&d, &fromJSON) {
		t.Fatalf("JSON round trip changed the destination: %s", js)
	}
}

func TestValueTypesRejectNonsense(t *testing.T) {
	for _, in := range []string{"batch: -1", "batch: lots", "timeout: soon", "rate_limit: 5/day", "rate_limit: -3", "query_param_fields: 7"} {
		var d Destination
		if err := yaml.UnmarshalWithOptions([]byte("id: a\nurl: /x\n"+in), &d, yaml.DisallowUnknownField()); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	var b Batch
	if err := json.Unmarshal([]byte(`"all"`), &b); err != nil || b != BatchAll {
		t.Fatalf("batch all from JSON: %v %v", b, err)
	}
	if err := json.Unmarshal([]byte(`250`), &b); err != nil || b != 250 {
		t.Fatalf("batch 250 from JSON: %v %v", b, err)
	}
}

// The example of the Standard Webhooks specification.
func TestSignStandardWebhooksExample(t *testing.T) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	got, err := Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if !Verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`), "v1,bogus "+got) {
		t.Fatal("Verify rejects the right signature among several")
	}
	if Verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232315}`), got) {
		t.Fatal("Verify accepts a changed body")
	}
	if _, err := Sign("whsec_not base64!", "id", time.Now(), nil); err == nil {
		t.Fatal("a malformed whsec_ secret is accepted")
	}
	raw, _ := Sign("plain-secret", "id", time.Unix(1, 0), []byte("b"))
	if !Verify("plain-secret", "id", "1", []byte("b"), raw) {
		t.Fatal("raw secrets do not verify")
	}
}

func TestRenderSecretsMasks(t *testing.T) {
	tm, err := parseTemplate(`Bearer {{ secret "API_KEY" }} and {{secret 'OTHER'}}`, templateHeader)
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(n string) (string, bool) {
		if n == "API_KEY" {
			return "s3cr3t", true
		}
		return "", false
	}
	src := &secretSource{env: lookup}
	v, missing := tm.renderSecrets(src, false, false)
	if v != "Bearer s3cr3t and " || strings.Join(missing, ",") != "OTHER" {
		t.Fatalf("render = %q missing %v", v, missing)
	}
	masked, _ := tm.renderSecrets(src, true, false)
	if strings.Contains(masked, "s3cr3t") || !strings.Contains(masked, "«secret API_KEY: set»") || !strings.Contains(masked, "«secret OTHER: NOT SET»") {
		t.Fatalf("masked = %q", masked)
	}
}

// installSecretMap is the install secrets of one install, by field.
type installSecretMap map[string]string

func (m installSecretMap) InstallSecret(_ context.Context, installID, name string) (string, error) {
	if v, ok := m[installID+"/"+name]; ok {
		return v, nil
	}
	return "", errs.NotFound("install %s has no secret %s", installID, name)
}

func (m installSecretMap) InstallSecretValues(context.Context, time.Time) ([][2]string, error) {
	var out [][2]string
	for k, v := range m {
		_, name, _ := strings.Cut(k, "/")
		out = append(out, [2]string{v, name})
	}
	return out, nil
}

func TestRenderInstallSecrets(t *testing.T) {
	store := installSecretMap{"inst_1/api_key": "k/y ?&1"}
	cases := []struct {
		name, tmpl, install string
		url, mask           bool
		want                string
		failed              string
	}{
		{name: "header", tmpl: `Bearer {{ install_secret "api_key" }}`, install: "inst_1", want: "Bearer k/y ?&1"},
		{name: "url path", tmpl: `https://x.test/{{ install_secret "api_key" }}`, install: "inst_1", url: true, want: "https://x.test/k%2Fy%20%3F&1"},
		{name: "url query", tmpl: `https://x.test/p?key={{install_secret 'api_key'}}`, install: "inst_1", url: true, want: "https://x.test/p?key=k%2Fy+%3F%261"},
		{name: "masked", tmpl: `Bearer {{ install_secret "api_key" }}`, install: "inst_1", mask: true, want: "Bearer «install secret api_key: set»"},
		{name: "masked without install", tmpl: `Bearer {{ install_secret "api_key" }}`, mask: true, want: "Bearer «install secret api_key»"},
		{name: "unknown field", tmpl: `{{ install_secret "token" }}`, install: "inst_1", want: "", failed: "install secret token of install inst_1 could not be read: install inst_1 has no secret token"},
		{name: "no install", tmpl: `{{ install_secret "api_key" }}`, want: "", failed: "install secret api_key of install (none) could not be read: the destination belongs to no marketplace install"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tm, err := parseTemplate(tc.tmpl, templateHeader)
			if err != nil {
				t.Fatal(err)
			}
			src := &secretSource{ctx: context.Background(), env: func(string) (string, bool) { return "", false }, installs: store, installID: tc.install}
			got, missing := tm.renderSecrets(src, tc.mask, tc.url)
			if got != tc.want || len(missing) != 0 {
				t.Fatalf("render = %q missing %v; want %q", got, missing, tc.want)
			}
			if strings.Join(src.failed, "; ") != tc.failed {
				t.Fatalf("failed = %q; want %q", src.failed, tc.failed)
			}
		})
	}
	if _, err := parseTemplate(`{{ install_secret "a b" }}`, templateHeader); err == nil {
		t.Fatal("a bad field name parsed")
	}
	if _, err := parseTemplate(`{{ install_secret "api_key" }}`, templateParam); err == nil {
		t.Fatal("an install secret parsed in a param")
	}
}
