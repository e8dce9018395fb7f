package teamtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func flowWorkspace(receiver string) string {
	return `version: 1
importers:
  - slug: people
    name: People
    columns:
      - {key: email, label: Email, type: email, required: true}
      - {key: name, label: Name, type: string}
      - {key: n, label: N, type: integer}
destinations:
  - id: receiver
    importer: people
    url: ` + receiver + `/records
    batch: 0
    concurrency: 2
    retry: [100ms, 200ms, 500ms]
marketplace:
  org_id: team-org
  listings:
    - id: crm
      name: Team CRM
      workflow:
        - kind: http_request
          name: Announce the install
          method: POST
          url: ` + receiver + `/installed
          body:
            install: "{{install.id}}"
            user: "{{user.externalId}}"
        - kind: relay_route
          name: Create the delivery route
          method: POST
          url: ` + receiver + `/crm
        - kind: notify
          name: Done
          message: Installed.
`
}

// TestTwoReplicasFullFlow: two replicas on one PostgreSQL behind a
// round-robin proxy serve one importer flow between them: the session is
// created through one replica and the file uploaded through the other,
// the review's reads and edits alternate, the submit's records are read
// back from both, and every record is delivered once to a loopback
// receiver. A marketplace install started through one replica runs, and
// its steps and activity are read through the other.
func TestTwoReplicasFullFlow(t *testing.T) {
	rc := newReceiver(t)
	c := newCluster(t, 2, flowWorkspace(rc.url))
	p := c.proxy
	admin := bearer(c.token)
	const rows = 50

	var secret, session, slug, base string
	var user map[string]string
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"secret key through replica 0", func(t *testing.T) {
			p.Next(0)
			var k struct {
				Secret string `json:"secret"`
			}
			if a := c.do(p.URL, "POST", "/api/admin/keys", admin, map[string]any{"name": "backend", "kind": "secret"}, &k); a.status != 201 || k.Secret == "" {
				t.Fatalf("create key: HTTP %d %s", a.status, a.body)
			}
			secret = k.Secret
		}},
		{"session created through replica 1", func(t *testing.T) {
			p.Next(1)
			var iss struct {
				Token string `json:"token"`
			}
			a := c.do(p.URL, "POST", "/api/v1/importer/sessions", bearer(secret), map[string]any{"importer_slug": "people", "metadata": map[string]string{"user_id": "u1"}}, &iss)
			if a.status != 201 || iss.Token == "" || a.replica != 1 {
				t.Fatalf("create session: HTTP %d replica %d %s", a.status, a.replica, a.body)
			}
			session = iss.Token
			user = bearer(session)
		}},
		{"import created through replica 1, upload through replica 0", func(t *testing.T) {
			p.Next(1)
			var imp struct {
				Slug string `json:"slug"`
			}
			if a := c.do(p.URL, "POST", "/api/importer/imports", user, nil, &imp); a.status != 201 || imp.Slug == "" {
				t.Fatalf("create import: HTTP %d %s", a.status, a.body)
			}
			slug, base = imp.Slug, "/api/importer/imports/"+imp.Slug
			p.Next(0)
			a := c.do(p.URL, "PUT", base+"/file?name=people.csv", user, csvOf(rows), nil)
			if a.status != 200 || a.replica != 0 || !strings.Contains(string(a.body), `"headers":["Email","Name","N"]`) {
				t.Fatalf("upload: HTTP %d replica %d %s", a.status, a.replica, a.body)
			}
		}},
		{"mapping through replica 1, progress read from both", func(t *testing.T) {
			p.Next(1)
			mapping := map[string]any{"columns": []map[string]any{{"index": 0, "key": "email"}, {"index": 1, "key": "name"}, {"index": 2, "key": "n"}}}
			if a := c.do(p.URL, "PUT", base+"/mapping", user, mapping, nil); a.status != 202 {
				t.Fatalf("mapping: HTTP %d %s", a.status, a.body)
			}
			// The validation runs on one replica; its progress is read
			// through both.
			type progress struct {
				Done  bool   `json:"done"`
				Error string `json:"error"`
				Rows  int    `json:"rows"`
			}
			last := map[int]string{}
			done := map[int]bool{}
			read := func(i int) {
				var prog progress
				a := c.do(c.replicas[i].URL, "GET", base+"/progress", user, nil, &prog)
				if a.status != 200 || prog.Error != "" {
					t.Fatalf("progress through replica %d: HTTP %d %s", i, a.status, a.body)
				}
				last[i] = string(a.body)
				done[i] = prog.Done && prog.Rows == rows
			}
			waitFor(t, "the validation's progress to be done on one replica", 60*time.Second, func() bool {
				read(0)
				read(1)
				return done[0] || done[1]
			})
			for deadline := time.Now().Add(10 * time.Second); !(done[0] && done[1]) && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				read(0)
				read(1)
			}
			if !done[0] || !done[1] {
				t.Fatalf("the validation's progress differs between the replicas: replica 0 %s; replica 1 %s", last[0], last[1])
			}
			a := c.do(p.URL, "GET", base+"/events", user, nil, nil)
			if a.status != 200 || !strings.Contains(string(a.body), `"done":true`) {
				t.Fatalf("events through replica %d: HTTP %d %q", a.replica, a.status, a.body)
			}
		}},
		{"review and edits alternating between the replicas", func(t *testing.T) {
			var page struct {
				Total int `json:"total"`
				Rows  []struct {
					Row int `json:"row"`
				} `json:"rows"`
			}
			if a := c.do(p.URL, "GET", base+"/rows?errors=only&limit=100", user, nil, &page); a.status != 200 || page.Total != rows/10 {
				t.Fatalf("errors page through replica %d: HTTP %d total %d, want %d: %s", a.replica, a.status, page.Total, rows/10, a.body)
			}
			served := map[int]int{}
			for i, r := range page.Rows {
				p.Next(i % 2)
				var edit struct {
					Row struct {
						Values []string `json:"values"`
					} `json:"row"`
				}
				a := c.do(p.URL, "PATCH", fmt.Sprintf("%s/rows/%d", base, r.Row), user, map[string]string{"column": "email", "value": fmt.Sprintf("fixed%d@example.com", r.Row)}, &edit)
				if a.status != 200 {
					t.Fatalf("edit row %d through replica %d: HTTP %d %s", r.Row, a.replica, a.status, a.body)
				}
				served[a.replica]++
				// The edit is seen by the other replica at once.
				var sum struct {
					ErrorRows int `json:"error_rows"`
				}
				b := c.do(p.URL, "GET", base+"/summary", user, nil, &sum)
				if b.status != 200 || b.replica == a.replica {
					t.Fatalf("summary after the edit: HTTP %d through replica %d (the edit went through %d): %s", b.status, b.replica, a.replica, b.body)
				}
			}
			// An undo through one replica and the redo through the other.
			p.Next(0)
			if a := c.do(p.URL, "POST", base+"/undo", user, nil, nil); a.status != 200 {
				t.Fatalf("undo through replica 0: HTTP %d %s", a.status, a.body)
			}
			if a := c.do(p.URL, "POST", base+"/redo", user, nil, nil); a.status != 200 || a.replica != 1 {
				t.Fatalf("redo through replica %d: HTTP %d %s", a.replica, a.status, a.body)
			}
			var sum struct {
				ErrorRows int  `json:"error_rows"`
				CanSubmit bool `json:"can_submit"`
			}
			if a := c.do(p.URL, "GET", base+"/summary", user, nil, &sum); a.status != 200 || sum.ErrorRows != 0 || !sum.CanSubmit {
				t.Fatalf("summary after the edits: HTTP %d %+v %s", a.status, sum, a.body)
			}
			if served[0] == 0 || served[1] == 0 {
				t.Fatalf("the edits went to replicas %v, want both", served)
			}
		}},
		{"submit through replica 0, completed on both, records read back from both", func(t *testing.T) {
			p.Next(0)
			if a := c.do(p.URL, "POST", base+"/submit", user, nil, nil); a.status != 202 {
				t.Fatalf("submit: HTTP %d %s", a.status, a.body)
			}
			waitFor(t, "the import to complete", 120*time.Second, func() bool {
				var v struct {
					Status        string `json:"status"`
					FailureReason string `json:"failure_reason"`
				}
				c.do(p.URL, "GET", base, user, nil, &v)
				if v.Status == "failed" {
					t.Fatalf("import failed: %s", v.FailureReason)
				}
				return v.Status == "completed"
			})
			for i, r := range c.replicas {
				var recs struct {
					Total   int `json:"total"`
					Records []struct {
						Data map[string]any `json:"data"`
					} `json:"records"`
				}
				a := c.do(r.URL, "GET", base+"/records?per_page=100", user, nil, &recs)
				if a.status != 200 || recs.Total != rows || len(recs.Records) != rows {
					t.Fatalf("records from replica %d: HTTP %d total %d (%d listed), want %d: %.300s", i, a.status, recs.Total, len(recs.Records), rows, a.body)
				}
				var admv struct {
					Total int `json:"total"`
				}
				if a := c.do(r.URL, "GET", "/api/admin/imports/"+slug+"/records?per_page=1", admin, nil, &admv); a.status != 200 || admv.Total != rows {
					t.Fatalf("console records from replica %d: HTTP %d total %d: %s", i, a.status, admv.Total, a.body)
				}
			}
		}},
		{"every record delivered once to the receiver", func(t *testing.T) {
			waitFor(t, "the deliveries", 120*time.Second, func() bool { return len(rc.on("/records")) >= rows })
			time.Sleep(500 * time.Millisecond) // late duplicates, if any, arrive
			got := rc.on("/records")
			byKey := map[string]int{}
			for _, r := range got {
				var rec map[string]any
				if err := json.Unmarshal(r.body, &rec); err != nil {
					t.Fatalf("a delivery is not one JSON record: %v: %s", err, r.body)
				}
				byKey[r.idempotency]++
			}
			if len(got) != rows || len(byKey) != rows {
				t.Fatalf("%d deliveries with %d idempotency keys, want %d of each", len(got), len(byKey), rows)
			}
			for i, r := range c.replicas {
				var st struct {
					ByStatus map[string]int `json:"by_status"`
				}
				if a := c.do(r.URL, "GET", "/api/admin/relay/stats", admin, nil, &st); a.status != 200 {
					t.Fatalf("relay stats from replica %d: HTTP %d %s", i, a.status, a.body)
				}
			}
		}},
	}
	for _, s := range steps {
		// A failed step is reported and the flow goes on, so one run
		// says which of the later steps work.
		t.Run(s.name, s.run)
	}
	t.Run("marketplace install through replica 0, its steps and activity through replica 1", func(t *testing.T) {
		testMarketplaceAcrossReplicas(t, c, rc)
	})
}

func testMarketplaceAcrossReplicas(t *testing.T, c *cluster, rc *receiver) {
	admin := bearer(c.token)
	r0, r1 := c.replicas[0].URL, c.replicas[1].URL
	if a := c.do(r1, "POST", "/api/admin/marketplace/secrets", admin, map[string]string{"label": "team"}, nil); a.status != 201 {
		t.Fatalf("create secret through replica 1: HTTP %d %s", a.status, a.body)
	}
	var link struct {
		Token string `json:"token"`
	}
	if a := c.do(r1, "POST", "/api/admin/marketplace/links", admin, map[string]any{"external_id": "user-1", "email": "u1@example.com", "listing_id": "crm"}, &link); a.status != 200 || link.Token == "" {
		t.Fatalf("sign link through replica 1: HTTP %d %s", a.status, a.body)
	}
	var login struct {
		Session string `json:"session"`
	}
	if a := c.do(r0, "POST", "/api/marketplace/login", nil, map[string]string{"token": link.Token}, &login); a.status != 200 || login.Session == "" {
		t.Fatalf("login through replica 0: HTTP %d %s", a.status, a.body)
	}
	sess := map[string]string{"X-Fusebox-Marketplace-Session": login.Session}
	if a := c.do(r1, "GET", "/api/marketplace/me", sess, nil, nil); a.status != 200 {
		t.Fatalf("the marketplace session made by replica 0, used on replica 1: HTTP %d %s", a.status, a.body)
	}
	type install struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Error  string `json:"error"`
		Steps  []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"steps"`
	}
	var started struct {
		Install install `json:"install"`
	}
	if a := c.do(r0, "POST", "/api/marketplace/installs", sess, map[string]any{"listing_id": "crm"}, &started); a.status != 202 || started.Install.ID == "" {
		t.Fatalf("install through replica 0: HTTP %d %s", a.status, a.body)
	}
	var in install
	waitFor(t, "the install to finish, read through replica 1", 60*time.Second, func() bool {
		var v struct {
			Install install `json:"install"`
		}
		a := c.do(r1, "GET", "/api/marketplace/installs/"+started.Install.ID, sess, nil, &v)
		if a.status != 200 {
			t.Fatalf("install through replica 1: HTTP %d %s", a.status, a.body)
		}
		in = v.Install
		return in.Status != "running" && in.Status != "pending"
	})
	if in.Status != "installed" || len(in.Steps) != 3 {
		t.Fatalf("install read through replica 1: %+v", in)
	}
	for _, s := range in.Steps {
		if s.Status != "ok" {
			t.Errorf("step %q: %s", s.Name, s.Status)
		}
	}
	if got := rc.on("/installed"); len(got) != 1 || !strings.Contains(string(got[0].body), started.Install.ID) {
		t.Errorf("the install's http_request step reached the receiver %d times, want once with the install id", len(got))
	}
	var act struct {
		InstallID string `json:"install_id"`
	}
	if a := c.do(r1, "GET", "/api/marketplace/installs/"+in.ID+"/activity", sess, nil, &act); a.status != 200 || act.InstallID != in.ID {
		t.Fatalf("activity through replica 1: HTTP %d %s", a.status, a.body)
	}
	var list struct {
		Installs []install `json:"installs"`
	}
	if a := c.do(r0, "GET", "/api/admin/marketplace/installs", admin, nil, &list); a.status != 200 || len(list.Installs) != 1 {
		t.Fatalf("console installs through replica 0: HTTP %d %s", a.status, a.body)
	}
}
