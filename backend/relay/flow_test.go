package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/relay"
	"fusebox/backend/schema"
	"fusebox/backend/sessions"
	"fusebox/backend/store"
	"fusebox/backend/workspace"
)

func (e *env) saveImporter(slug string) {
	e.t.Helper()
	_, err := e.importer.SaveImporter(context.Background(), &schema.Importer{Slug: slug, Name: slug, Columns: []schema.Column{
		{Key: "email", Label: "Email", Type: schema.TypeEmail, Required: true},
		{Key: "name", Label: "Name", Type: schema.TypeString},
		{Key: "seats", Label: "Seats", Type: schema.TypeInteger},
	}})
	if err != nil {
		e.t.Fatal(err)
	}
}

// importCSV runs a whole import of n generated rows through the real
// importer (upload, map, stage, submit); the submit transaction calls the
// relay's hook.
func (e *env) importCSV(slug string, n int, md map[string]any) importer.Import {
	e.t.Helper()
	var b strings.Builder
	b.WriteString("Email,Name,Seats\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "p%d@example.com,Person %d,%d\n", i, i, i)
	}
	path := filepath.Join(e.dir, fmt.Sprintf("%s-%d.csv", slug, n))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		e.t.Fatal(err)
	}
	res, err := e.importer.ImportFile(context.Background(), importer.Actor{Admin: true, Metadata: md}, slug, path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if res.Blocked != "" || res.Import.Status != importer.StatusCompleted {
		e.t.Fatalf("import %+v blocked %q", res.Import, res.Blocked)
	}
	return res.Import
}

func TestSubmittedImportIsDeliveredThroughTheOutbox(t *testing.T) {
	e := newEnv(t)
	e.saveImporter("people")
	rc := newReceiver(t, nil)
	e.create(relay.Destination{ID: "batched", Importer: "people", URL: rc.URL + "/batched", Batch: 1000,
		Params: map[string]string{"owner": "{{ user_id }}", "file": "{{ file_name }}"}, QueryParamFields: relay.FieldMap{{Field: "owner", Name: "owner"}}})
	e.create(relay.Destination{ID: "events", Importer: "people", Send: relay.SendStatus, URL: rc.URL + "/events"})
	e.create(relay.Destination{ID: "other", Importer: "someone-else", URL: rc.URL + "/other"})
	imp := e.importCSV("people", 2500, map[string]any{"user_id": "u-1"})
	// The outbox was written with the import: before any worker runs.
	st := e.stats("batched")
	if st.PendingJobs != 1 {
		t.Fatalf("after submit: %+v, want one pending job", st)
	}
	e.startWorker(fast)
	e.waitSettled("batched", 3)
	e.waitSettled("events", 1)

	var seen []int
	var event map[string]any
	for _, r := range rc.requests() {
		switch {
		case strings.HasPrefix(r.uri, "/batched"):
			if r.uri != "/batched?owner=u-1" {
				t.Errorf("uri %s", r.uri)
			}
			var arr []map[string]any
			if err := json.Unmarshal(r.body, &arr); err != nil {
				t.Fatal(err)
			}
			for _, rec := range arr {
				if rec["file"] != "people-2500.csv" || rec["owner"] != nil {
					t.Fatalf("record %v", rec)
				}
				seen = append(seen, int(rec["seats"].(float64)))
			}
		case r.uri == "/events":
			event = decodeJSON(t, r.body).(map[string]any)
		default:
			t.Errorf("unexpected request %s", r.uri)
		}
	}
	sort.Ints(seen)
	if len(seen) != 2500 || seen[0] != 1 || seen[2499] != 2500 {
		t.Fatalf("received %d records", len(seen))
	}
	if event["type"] != "import.status" || event["import_slug"] != imp.Slug || event["status"] != "completed" || event["importer"] != "people" {
		t.Fatalf("status event %v", event)
	}
	ds := e.deliveries(relay.DeliveryFilter{Import: imp.Slug, Destination: "batched"})
	if len(ds) != 3 || ds[0].Records != 500 || ds[2].Records != 1000 {
		t.Fatalf("deliveries %+v", ds)
	}
	jobs, err := e.relay.ListJobs(context.Background(), 10)
	if err != nil || len(jobs) != 1 || jobs[0].Status != "done" || jobs[0].Records != 2500 {
		t.Fatalf("jobs %+v %v", jobs, err)
	}
}

func TestInvalidSessionTokensAreDiscarded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rc := newReceiver(t, nil)
	issue := func(slug string) sessions.Issued {
		t.Helper()
		is, err := e.sessions.Issue(ctx, sessions.IssueParams{ImporterSlug: slug, Metadata: json.RawMessage(`{"user_id":"u-42","team":"red"}`)})
		if err != nil {
			t.Fatal(err)
		}
		return is
	}
	good, revoked, other := issue("people"), issue("people"), issue("invoices")
	if _, err := e.sessions.Revoke(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	e.create(relay.Destination{ID: "guarded", Importer: "people", URL: rc.URL, SessionTokenField: "session_token",
		Params: map[string]string{"user": "{{ user_id }}", "team": "{{ metadata.team }}"}})
	res := e.enqueue("guarded", []string{
		`{"n":1,"session_token":"` + good.Token + `"}`,
		`{"n":2,"session_token":"` + revoked.Token + `"}`,
		`{"n":3,"session_token":"` + other.Token + `"}`,
		`{"n":4,"session_token":"not.a.token"}`,
		`{"n":5}`,
		`{"n":6,"session_token":"` + good.Token + `"}`,
	}, relay.EnqueueOptions{})
	if res.Accepted != 2 || res.Discarded != 4 {
		t.Fatalf("enqueue result %+v", res)
	}
	e.startWorker(fast)
	e.waitSettled("guarded", 6)
	var got []string
	for _, r := range rc.requests() {
		got = append(got, string(r.body))
		if strings.Contains(string(r.body), "session_token") || strings.Contains(string(r.body), good.Token) {
			t.Errorf("the token was forwarded: %s", r.body)
		}
	}
	sort.Strings(got)
	want := []string{`{"n":1,"team":"red","user":"u-42"}`, `{"n":6,"team":"red","user":"u-42"}`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("receiver got %v, want %v", got, want)
	}
	discarded := e.deliveries(relay.DeliveryFilter{Status: relay.StatusDiscarded})
	reasons := map[string]string{}
	for _, d := range discarded {
		body := e.detail(d.ID).Request.Body
		if strings.Contains(body, "session_token") {
			t.Errorf("a discarded record keeps its token: %s", body)
		}
		reasons[body] = d.Reason
		if d.Attempts != 0 {
			t.Errorf("discarded delivery %d was attempted", d.ID)
		}
	}
	for n, want := range map[int]string{2: "revoked", 3: `for importer "invoices", not "people"`, 4: "invalid session token", 5: `no session token in field "session_token"`} {
		found := false
		for body, reason := range reasons {
			if strings.Contains(body, fmt.Sprintf(`"n": %d`, n)) {
				found = true
				if !strings.Contains(reason, want) {
					t.Errorf("record %d discarded for %q, want %q", n, reason, want)
				}
			}
		}
		if !found {
			t.Errorf("record %d is not in the discarded list %v", n, reasons)
		}
	}
	if _, err := e.relay.Replay(ctx, discarded[0].ID); !errs.Is(err, errs.ECONFLICT) {
		t.Fatalf("replaying a discarded record: %v", err)
	}
}

func TestInboundRelayAllowlist(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	main := newReceiver(t, nil)
	alt := newReceiver(t, nil)
	e.setSecret("ROUTE_TOKEN", "let-me-in")
	e.create(relay.Destination{ID: "proxy", URL: main.URL + "/default", Inbound: &relay.Inbound{Route: "crm",
		AllowedURLs: []string{alt.URL + "/api/"}, Secret: "ROUTE_TOKEN",
		PrivateHosts: []string{"127.0.0.1"}}}) // the test receivers are on loopback
	e.startWorker(fast)

	in := func(outbound, fields, bearer, body string) (relay.EnqueueResult, error) {
		return e.relay.HandleInbound(ctx, "crm", relay.InboundRequest{Body: []byte(body), OutboundURL: outbound, QueryParamFields: fields, Bearer: bearer})
	}
	tests := []struct {
		name, outbound, bearer, body string
		code                         string
	}{
		{"no token", "", "", `{"a":1}`, errs.EUNAUTHORIZED},
		{"wrong token", "", "nope", `{"a":1}`, errs.EUNAUTHORIZED},
		{"host not allowed", "https://evil.example/api/x", "let-me-in", `{"a":1}`, errs.EFORBIDDEN},
		{"same host, path outside", alt.URL + "/admin", "let-me-in", `{"a":1}`, errs.EFORBIDDEN},
		{"prefix trick", alt.URL + "/api.evil/x", "let-me-in", `{"a":1}`, errs.EFORBIDDEN},
		{"dot segments", alt.URL + "/api/../admin", "let-me-in", `{"a":1}`, errs.EFORBIDDEN},
		{"encoded slash", alt.URL + "/api/..%2fadmin", "let-me-in", `{"a":1}`, errs.EFORBIDDEN},
		{"other port", strings.Replace(alt.URL, "127.0.0.1:", "127.0.0.1:1", 1) + "/api/x", "let-me-in", `{"a":1}`, errs.EFORBIDDEN},
		{"not a URL", "javascript:alert(1)", "let-me-in", `{"a":1}`, errs.EINVALID},
		{"not JSON", "", "let-me-in", `{"a":`, errs.EINVALID},
		{"empty array", "", "let-me-in", `[]`, errs.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := in(tc.outbound, "", tc.bearer, tc.body)
			if errs.Code(err) != tc.code {
				t.Fatalf("error %v (%s), want %s", err, errs.Code(err), tc.code)
			}
		})
	}
	if n := e.stats("proxy").ByStatus[relay.StatusPending]; n != 0 {
		t.Fatalf("refused requests queued %d deliveries", n)
	}
	if _, err := e.relay.HandleInbound(ctx, "nope", relay.InboundRequest{Body: []byte(`{}`)}); !errs.Is(err, errs.ENOTFOUND) {
		t.Fatalf("unknown route: %v", err)
	}

	// Allowed: the seed's headers pick the URL and the query fields.
	res, err := in(alt.URL+"/api/v2/contacts?key=1", "queryparam1, queryparam2", "let-me-in",
		`[{"queryparam1":"dqp1","queryparam2":"dqp2","name":"a"},{"queryparam1":"dqp1","queryparam2":"dqp2","name":"b"}]`)
	if err != nil || res.Accepted != 2 {
		t.Fatalf("allowed request: %+v %v", res, err)
	}
	if _, err := in("", "", "let-me-in", `{"name":"c"}`); err != nil {
		t.Fatal(err)
	}
	e.waitSettled("proxy", 3)
	var altGot []string
	for _, r := range alt.requests() {
		altGot = append(altGot, r.uri+" "+string(r.body))
	}
	sort.Strings(altGot)
	want := []string{`/api/v2/contacts?key=1&queryparam1=dqp1&queryparam2=dqp2 {"name":"a"}`, `/api/v2/contacts?key=1&queryparam1=dqp1&queryparam2=dqp2 {"name":"b"}`}
	if !reflect.DeepEqual(altGot, want) {
		t.Fatalf("allowlisted receiver got %v, want %v", altGot, want)
	}
	if m := main.requests(); len(m) != 1 || m[0].uri != "/default" || string(m[0].body) != `{"name":"c"}` {
		t.Fatalf("default receiver got %+v", m)
	}
}

// quota is a plan limit: n records per owner.
type quota struct {
	mu   sync.Mutex
	left map[string]int
}

func (q *quota) Reserve(_ context.Context, owner string, n int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.left[owner] < n {
		return errs.Limit("end user %s reached the plan's max_transactions", owner)
	}
	q.left[owner] -= n
	return nil
}

func TestMarketplaceRoutesAreLimitedAndHeld(t *testing.T) {
	q := &quota{left: map[string]int{"mu_1": 2}}
	e := newEnv(t, func(o *relay.Options) { o.Limiter = q })
	ctx := context.Background()
	e.saveImporter("people")
	rc := newReceiver(t, nil)
	id, err := e.relay.CreateUserRoute(ctx, relay.UserRoute{OwnerID: "mu_1", UserID: "ext-1", InstallID: "ins_1", URL: rc.URL + "/hook", Importer: "people"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.relay.CreateUserRoute(ctx, relay.UserRoute{OwnerID: "mu_2", UserID: "ext-2", InstallID: "ins_2", URL: rc.URL + "/other"})
	if err != nil {
		t.Fatal(err)
	}
	// The same install asking again gets its route back, updated.
	if again, err := e.relay.CreateUserRoute(ctx, relay.UserRoute{OwnerID: "mu_2", UserID: "ext-2", InstallID: "ins_2", URL: rc.URL + "/other2"}); err != nil || again != other {
		t.Fatalf("re-creating the route of install ins_2: %q %v", again, err)
	}
	if v, _ := e.relay.GetDestination(ctx, other); v.Destination.URL != rc.URL+"/other2" {
		t.Fatalf("route of ins_2 not updated: %+v", v.Destination)
	}
	e.importCSV("people", 3, map[string]any{"user_id": "ext-1"})
	e.startWorker(fast)
	st := e.waitSettled(id, 3)
	if st.ByStatus[relay.StatusDelivered] != 2 || st.ByStatus[relay.StatusHeld] != 1 {
		t.Fatalf("stats %+v; want 2 delivered and 1 held", st)
	}
	held := e.deliveries(relay.DeliveryFilter{Destination: id, Status: relay.StatusHeld})
	if !strings.Contains(held[0].Reason, "max_transactions") {
		t.Fatalf("held reason %q", held[0].Reason)
	}
	if n := e.stats(other).ByStatus; len(n) != 0 {
		t.Fatalf("another user's route got deliveries: %v", n)
	}
	// The plan is upgraded: retrying the held delivery sends it.
	q.mu.Lock()
	q.left["mu_1"] = 10
	q.mu.Unlock()
	if n, err := e.relay.RetryFailed(ctx, relay.RetryFilter{Destination: id, Statuses: []string{relay.StatusHeld}}); err != nil || n != 1 {
		t.Fatalf("retry held: %d %v", n, err)
	}
	if st := e.waitSettled(id, 3); st.ByStatus[relay.StatusDelivered] != 3 {
		t.Fatalf("after upgrade %+v", st)
	}
	if err := e.relay.SetUserRouteEnabled(ctx, id, false); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.relay.GetDestination(ctx, id); v.Enabled || v.Origin != relay.OriginMarketplace || v.OwnerID != "mu_1" {
		t.Fatalf("route %+v", v)
	}
	if _, err := e.relay.UpdateDestination(ctx, id, relay.Destination{URL: rc.URL}); !errs.Is(err, errs.ECONFLICT) {
		t.Fatalf("editing a marketplace route in the console: %v", err)
	}
	if err := e.relay.DeleteUserRoute(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := e.relay.DeleteUserRoute(ctx, id); !errs.Is(err, errs.ENOTFOUND) {
		t.Fatalf("deleting twice: %v", err)
	}
}

const wsFile = `version: 1
destinations:
  - id: crm
    importer: contacts
    url: https://crm.example.com/api/contacts
    headers:
      Authorization: 'Bearer {{ secret "CRM_API_KEY" }}'
    batch: 100
    timeout: 5s
    query_param_fields: [user_id]
    header_fields: {team: X-Team}
    map: {email: contact.email}
    keep_unmapped: false
    session_token_field: session_token
    params: {user_id: "{{ user_id }}", team: "{{ metadata.team }}"}
    retry: [1s, 1m]
    rate_limit: 50/s
    concurrency: 2
    signing_secret: CRM_SIGNING_SECRET
  - id: proxy
    url: /sink/proxy
    inbound: {route: crm-proxy, allowed_urls: [https://api.example.com/v2/]}
`

func TestWorkspaceSection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ws := workspace.New(e.db, e.relay.Section())
	changes, err := ws.Apply(ctx, []byte(wsFile), "ws.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(changes, "|") != "created destination crm|created destination proxy" {
		t.Fatalf("changes %v", changes)
	}
	out, err := ws.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	changes, err = ws.Apply(ctx, out, "export.yaml")
	if err != nil || len(changes) != 0 {
		t.Fatalf("re-applying the export changed %v (%v):\n%s", changes, err, out)
	}
	out2, _ := ws.Export(ctx)
	if string(out) != string(out2) {
		t.Fatalf("export is not a fixed point:\n%s\n---\n%s", out, out2)
	}
	for _, bad := range []struct{ file, want string }{
		{"version: 1\ndestinations:\n  - id: a\n    url: /x\n    colour: red\n", "colour"},
		{"version: 1\ndestinations:\n  - id: a\n    url: /x\n  - id: a\n    url: /y\n", "also used by destinations[0]"},
		{"version: 1\ndestinations:\n  - id: a\n    url: /x\n    batch: some\n", "batch"},
		{"version: 1\ndestinations:\n  - id: a\n    url: /x\n    signing_secret: whsec_abc=\n", "NAME of an environment variable"},
		{"version: 1\ndestinations:\n  - id: b\n    url: /x\n    inbound: {route: crm-proxy}\n", "already used by destination"},
	} {
		_, err := ws.Apply(ctx, []byte(bad.file), "bad.yaml")
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want containing %q", bad.file, err, bad.want)
		}
	}
	if v, err := e.relay.GetDestination(ctx, "a"); err == nil {
		t.Fatalf("a failed apply created %+v", v)
	}
}

func TestPreviewShowsTheExactRequestWithSecretsMasked(t *testing.T) {
	e := newEnv(t)
	e.setSecret("CRM_API_KEY", "very-secret-value")
	p, err := e.relay.Preview(context.Background(), relay.PreviewInput{
		Destination: relay.Destination{ID: "crm", URL: "https://crm.example.com/api?v=2", Batch: 2,
			Headers:          map[string]string{"Authorization": `Bearer {{ secret "CRM_API_KEY" }}`, "X-Other": `{{ secret "UNSET_ONE" }}`},
			QueryParamFields: relay.FieldMap{{Field: "user_id", Name: "uid"}}, Map: map[string]string{"email": "contact.email"},
			Params: map[string]string{"user_id": "{{ user_id }}"}},
		Records: json.RawMessage(`[{"email":"a@x.io"},{"email":"b@x.io"},{"email":"c@x.io"}]`),
		Context: relay.Context{UserID: "u-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(p)
	if strings.Contains(string(js), "very-secret-value") {
		t.Fatalf("preview leaks the secret: %s", js)
	}
	if len(p.Requests) != 2 || p.Requests[0].URL != "https://crm.example.com/api?v=2&uid=u-1" || p.Requests[0].Records != 2 || p.Requests[0].Method != "POST" {
		t.Fatalf("requests %+v", p.Requests)
	}
	headers := map[string]string{}
	for _, h := range p.Requests[0].Headers {
		headers[h[0]] = h[1]
	}
	if headers["Authorization"] != "Bearer «secret CRM_API_KEY: set»" || headers["X-Other"] != "«secret UNSET_ONE: NOT SET»" {
		t.Fatalf("headers %v", headers)
	}
	var body []map[string]any
	if err := json.Unmarshal([]byte(p.Requests[0].Body), &body); err != nil || body[0]["contact"].(map[string]any)["email"] != "a@x.io" {
		t.Fatalf("body %s", p.Requests[0].Body)
	}
	if len(p.Problems) != 1 || !strings.Contains(p.Problems[0], "UNSET_ONE") {
		t.Fatalf("problems %v", p.Problems)
	}
	if _, err := e.relay.Preview(context.Background(), relay.PreviewInput{Destination: relay.Destination{ID: "x"}}); !errs.Is(err, errs.EINVALID) {
		t.Fatalf("preview of an invalid destination: %v", err)
	}
}

func TestDestinationCRUD(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := relay.Destination{ID: "a", URL: "https://x.example/", Inbound: &relay.Inbound{Route: "r1"}}
	if _, err := e.relay.CreateDestination(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := e.relay.CreateDestination(ctx, d); !errs.Is(err, errs.ECONFLICT) {
		t.Fatalf("creating twice: %v", err)
	}
	if _, err := e.relay.CreateDestination(ctx, relay.Destination{ID: "b", URL: "/x", Inbound: &relay.Inbound{Route: "r1"}}); !errs.Is(err, errs.ECONFLICT) {
		t.Fatalf("a second destination on route r1: %v", err)
	}
	d.URL = "https://y.example/"
	v, err := e.relay.UpdateDestination(ctx, "a", d)
	if err != nil || v.Destination.URL != "https://y.example/" {
		t.Fatalf("update: %+v %v", v, err)
	}
	if _, err := e.relay.UpdateDestination(ctx, "a", relay.Destination{ID: "b", URL: "/x"}); !errs.Is(err, errs.EINVALID) {
		t.Fatalf("renaming through update: %v", err)
	}
	if _, err := e.relay.UpdateDestination(ctx, "zz", relay.Destination{URL: "/x"}); !errs.Is(err, errs.ENOTFOUND) {
		t.Fatalf("updating a missing destination: %v", err)
	}
	if err := e.relay.DeleteDestination(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := e.relay.DeleteDestination(ctx, "a"); !errs.Is(err, errs.ENOTFOUND) {
		t.Fatalf("deleting twice: %v", err)
	}
	var n int
	if err := e.db.Read.QueryRow(`SELECT count(*) FROM relay_destinations`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d destinations left (%v)", n, err)
	}
	_ = store.Now
}
