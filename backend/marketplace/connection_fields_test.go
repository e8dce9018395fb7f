package marketplace

import (
	"context"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"fusebox/backend/errs"
)

func TestConnectionFieldsAreValidatedExportedAndFillTheForm(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	fields := "config_fields: [{name: api_key, type: password}, {name: region}], workflow: [{kind: notify, message: hi}]"
	for _, c := range []struct{ doc, want string }{
		{"listings: [{id: a, name: x, connection_fields: {apikey: api_kee}, " + fields + "}]", "marketplace.listings[0].connection_fields.apikey: \"api_kee\" is not a config field of this listing (want one of api_key, region)"},
		{"listings: [{id: a, name: x, connection_fields: {connectorId: region}, " + fields + "}]", "connection_fields.connectorId: connectorId names the connection"},
		{"listings: [{id: a, name: x, connection_fields: {apikey: api_key}, workflow: [{kind: notify, message: hi}]}]", "connection_fields.apikey: \"api_key\" is not a config field"},
	} {
		if _, err := load(t, s, c.doc); err == nil || !strings.Contains(errs.Message(err), c.want) {
			t.Errorf("%s:\n got %v\nwant ~%q", c.doc, err, c.want)
		}
	}

	doc := "listings: [{id: a, name: x, connector_id: moosend-v1, connection_fields: {apikey: api_key, Region: region}, " + fields + "}]"
	fn, err := load(t, s, doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fn(ctx); err != nil {
		t.Fatal(err)
	}
	// fusebox export gives the mapping back, and applying the export changes nothing.
	exp, err := s.Section().Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := yaml.Marshal(exp)
	if !strings.Contains(string(out), "connection_fields:") || !strings.Contains(string(out), "apikey: api_key") {
		t.Fatalf("export lacks connection_fields:\n%s", out)
	}
	again, err := load(t, s, string(out))
	if err != nil {
		t.Fatal(err)
	}
	if changes, err := again(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("apply of the export: %q %v", changes, err)
	}

	l, err := s.Listing(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	// The seed's connection object fills api_key through its alias.
	sess := Session{Plan: Plan{Name: "free"}, connection: map[string]any{"connectionName": "guid", "connectorId": "moosend-v1", "apikey": "k-1", "Region": "eu"}}
	p := s.PrefillFor(sess, l)
	if strings.Join(p.Secrets, ",") != "api_key" || p.Values["region"] != "eu" || p.Name != "guid" {
		t.Fatalf("prefill: %+v", p)
	}
	if v := prefillValues(l, sess.connection); v["api_key"] != "k-1" {
		t.Fatalf("values: %v", v)
	}
	// A claim spelled as the field itself wins over an alias.
	if v := prefillValues(l, map[string]any{"apikey": "alias", "api_key": "exact"}); v["api_key"] != "exact" {
		t.Fatalf("exact claim vs alias: %v", v)
	}
	// Another connector's token fills nothing.
	if v := prefillValues(l, map[string]any{"connectorId": "other-v1", "apikey": "k-1"}); len(v) != 0 {
		t.Fatalf("other connector's claims used: %v", v)
	}
}
