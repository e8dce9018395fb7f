package httpapi_test

import (
	"context"
	"fusebox/backend/store/storetest"
	"io"
	"log/slog"
	"testing"
	"testing/fstest"

	"fusebox/backend/httpapi"
	"fusebox/backend/relay"
	"fusebox/backend/sink"
)

func newRelayServer(t *testing.T) *httpapi.Server {
	t.Helper()
	db := storetest.Open(t)
	secrets := map[string]string{"CRM_KEY": "crm-secret-value"}
	rs := relay.New(db, relay.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Secrets: func(n string) (string, bool) { v, ok := secrets[n]; return v, ok }})
	if err := rs.SetDeclaredSecrets(context.Background(), []string{"CRM_KEY"}); err != nil {
		t.Fatal(err)
	}
	return httpapi.New(httpapi.Config{Version: "v-test", Assets: fstest.MapFS{}, AdminToken: adminToken}, httpapi.Deps{DB: db, Relay: rs, Sink: sink.New(0, 0)})
}

func TestRelayRoutes(t *testing.T) {
	s := newRelayServer(t)
	admin := map[string]string{"Authorization": "Bearer " + adminToken, "Content-Type": "application/json"}
	dest := `{"id":"crm","url":"https://crm.example.com/v1","headers":{"Authorization":"Bearer {{ secret \"CRM_KEY\" }}"},
		"query_param_fields":["user_id"],"map":{"email":"contact.email"},"inbound":{"route":"crm","allowed_urls":["https://api.example.com/v2/"]}}`
	for _, sc := range []scenario{
		{name: "console API needs admin", method: "GET", url: "/api/admin/relay/destinations", wantStatus: 401, wantContain: []string{`"EUNAUTHORIZED"`}},
		{name: "create", method: "POST", url: "/api/admin/relay/destinations", headers: admin, body: dest, wantStatus: 201,
			wantContain: []string{`"id":"crm"`, `{"name":"CRM_KEY","set":true,"declared":true}`}, wantAbsent: []string{"crm-secret-value"}},
		{name: "create twice", method: "POST", url: "/api/admin/relay/destinations", headers: admin, body: dest, wantStatus: 409, wantContain: []string{`"ECONFLICT"`}},
		{name: "invalid destination names the field", method: "POST", url: "/api/admin/relay/destinations", headers: admin,
			body: `{"id":"bad","url":"ftp://x/"}`, wantStatus: 422, wantContain: []string{`destination \"bad\": url:`, "scheme must be http or https"}},
		{name: "unknown batch", method: "POST", url: "/api/admin/relay/destinations", headers: admin,
			body: `{"id":"bad","url":"/x","batch":"lots"}`, wantStatus: 422, wantContain: []string{"batch"}},
		{name: "list", method: "GET", url: "/api/admin/relay/destinations", headers: admin, wantStatus: 200, wantContain: []string{`"destinations":[`, `"id":"crm"`}},
		{name: "get missing", method: "GET", url: "/api/admin/relay/destinations/nope", headers: admin, wantStatus: 404},
		{name: "preview masks secrets", method: "POST", url: "/api/admin/relay/preview", headers: admin,
			body:        `{"destination":` + dest + `,"records":{"email":"a@x.io","user_id":"u 1"}}`,
			wantStatus:  200,
			wantContain: []string{`"url":"https://crm.example.com/v1?user_id=u+1"`, `Bearer «secret CRM_KEY: set»`, `\"contact\": {`},
			wantAbsent:  []string{"crm-secret-value"}},
		{name: "inbound off the allowlist", method: "POST", url: "/relay/crm", headers: map[string]string{"Content-Type": "application/json", "x-Osmos-Outbound-Url": "https://evil.example.com/v2/x"},
			body: `{"a":1}`, wantStatus: 403, wantContain: []string{`"EFORBIDDEN"`, "not on the allowlist"}},
		{name: "inbound on the allowlist", method: "POST", url: "/relay/crm", headers: map[string]string{"Content-Type": "application/json", "x-Osmos-Outbound-Url": "https://api.example.com/v2/contacts", "x-Osmos-Query-Param-Fields": "qp"},
			body: `[{"qp":"1","a":1},{"qp":"1","a":2}]`, wantStatus: 202, wantContain: []string{`"accepted":2`, `"deliveries":2`}},
		{name: "inbound bad JSON", method: "POST", url: "/relay/crm", headers: map[string]string{"Content-Type": "application/json"}, body: `{"a":`, wantStatus: 422},
		{name: "inbound unknown route", method: "POST", url: "/relay/none", body: `{}`, wantStatus: 404},
		{name: "deliveries", method: "GET", url: "/api/admin/relay/deliveries?destination=crm&status=pending", headers: admin, wantStatus: 200,
			wantContain: []string{`"destination_id":"crm"`, `"source":"inbound"`}},
		{name: "bad status filter", method: "GET", url: "/api/admin/relay/deliveries?status=lost", headers: admin, wantStatus: 422},
		{name: "deliveries as CSV", method: "GET", url: "/api/admin/relay/deliveries.csv?destination=crm", headers: admin, wantStatus: 200,
			wantContain: []string{"id,idempotency_id,destination,source,import,records,status,reason,attempts,last_status_code,created_at,done_at\n", ",crm,inbound,,1,pending,"}},
		{name: "deliveries CSV needs admin", method: "GET", url: "/api/admin/relay/deliveries.csv", wantStatus: 401},
		{name: "deliveries CSV bad filter", method: "GET", url: "/api/admin/relay/deliveries.csv?status=lost", headers: admin, wantStatus: 422},
		{name: "delivery detail", method: "GET", url: "/api/admin/relay/deliveries/1", headers: admin, wantStatus: 200,
			wantContain: []string{`"attempt_log":[]`, `https://api.example.com/v2/contacts?qp=1`}, wantAbsent: []string{"crm-secret-value"}},
		{name: "delivery not a number", method: "GET", url: "/api/admin/relay/deliveries/x", headers: admin, wantStatus: 404},
		{name: "bulk retry", method: "POST", url: "/api/admin/relay/deliveries/retry", headers: admin, body: `{"destination_id":"crm"}`, wantStatus: 200, wantContain: []string{`"retried":0`}},
		{name: "stats", method: "GET", url: "/api/admin/relay/stats", headers: admin, wantStatus: 200, wantContain: []string{`"pending":2`}},
		{name: "disable", method: "POST", url: "/api/admin/relay/destinations/crm/enabled", headers: admin, body: `{"enabled":false}`, wantStatus: 200,
			wantContain: []string{`"enabled":false`, "disabled in the console"}},
		{name: "enable needs a value", method: "POST", url: "/api/admin/relay/destinations/crm/enabled", headers: admin, body: `{}`, wantStatus: 422},
		{name: "update", method: "PUT", url: "/api/admin/relay/destinations/crm", headers: admin, body: `{"url":"https://crm.example.com/v2"}`, wantStatus: 200,
			wantContain: []string{`"url":"https://crm.example.com/v2"`}},
		{name: "sink records any method", method: "PUT", url: "/sink/demo?x=1", body: `{"hello":"sink"}`, wantStatus: 200, wantContain: []string{`"ok":true`}},
		{name: "sink bad name", method: "POST", url: "/sink/a%20b", body: `{}`, wantStatus: 422},
		{name: "sink viewer", method: "GET", url: "/api/admin/relay/sinks/demo", headers: admin, wantStatus: 200,
			wantContain: []string{`"method":"PUT"`, `"url":"/sink/demo?x=1"`, `{\"hello\":\"sink\"}`}},
		{name: "sinks", method: "GET", url: "/api/admin/relay/sinks", headers: admin, wantStatus: 200, wantContain: []string{`"name":"demo"`}},
		{name: "delete", method: "DELETE", url: "/api/admin/relay/destinations/crm", headers: admin, wantStatus: 204},
		{name: "deleted", method: "GET", url: "/api/admin/relay/destinations/crm", headers: admin, wantStatus: 404},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, s) })
	}
}
