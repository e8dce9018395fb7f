package teamtest

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// holdingEndpoint is a loopback validation endpoint that answers no
// request until release is called, so the staging run feeding it stops
// after its first committed rows.
func holdingEndpoint(t *testing.T) (url string, release func()) {
	t.Helper()
	held := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(held) }) }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-held:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, `{"rows": []}`)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() {
		release()
		srv.Close()
	})
	return "http://" + ln.Addr().String(), release
}

// progressEvent is what the tests read of a progress event.
type progressEvent struct {
	Phase string `json:"phase"`
	Rows  int    `json:"rows"`
	Done  bool   `json:"done"`
	Error string `json:"error"`
}

// TestTwoReplicasReviewAndEventsOfAStagingRun: a large import is staged by
// replica 0 (held half way by a validation endpoint that does not answer
// yet); replica 1 shows its review while it stages (the first page and
// the errors-only page of the rows committed so far, marked partial), and
// an event stream opened on replica 1 gives the run's progress as it
// changes on replica 0, to its final state.
func TestTwoReplicasReviewAndEventsOfAStagingRun(t *testing.T) {
	endpoint, release := holdingEndpoint(t)
	c := newCluster(t, 2, `version: 1
importers:
  - slug: people
    name: People
    columns:
      - {key: email, label: Email, type: email, required: true}
      - {key: name, label: Name, type: string}
      - {key: n, label: N, type: integer}
    hooks: {validate: {url: "`+endpoint+`/validate", batch: 100, timeout: 2m}}
marketplace:
  org_id: team-org
  allowed_hosts: [127.0.0.1]
`)
	admin := bearer(c.token)
	r0, r1 := c.replicas[0].URL, c.replicas[1].URL
	const rows = 20_000
	var imp struct {
		Slug string `json:"slug"`
	}
	if a := c.do(r0, "POST", "/api/importer/imports", admin, map[string]any{"importer_slug": "people"}, &imp); a.status != 201 {
		t.Fatalf("create import: HTTP %d %s", a.status, a.body)
	}
	base := "/api/importer/imports/" + imp.Slug
	if a := c.do(r0, "PUT", base+"/file?name=people.csv", admin, csvOf(rows), nil); a.status != 200 {
		t.Fatalf("upload: HTTP %d %s", a.status, a.body)
	}
	mapping := map[string]any{"columns": []map[string]any{{"index": 0, "key": "email"}, {"index": 1, "key": "name"}, {"index": 2, "key": "n"}}}
	if a := c.do(r0, "PUT", base+"/mapping", admin, mapping, nil); a.status != 202 {
		t.Fatalf("mapping through replica 0: HTTP %d %s", a.status, a.body)
	}

	type page struct {
		Total   int  `json:"total"`
		Partial bool `json:"partial"`
		Rows    []struct {
			Row int `json:"row"`
		} `json:"rows"`
	}
	var first page
	var last answer
	waitFor(t, "replica 1 to show the first rows replica 0 staged", 60*time.Second, func() bool {
		first = page{}
		last = c.do(r1, "GET", base+"/rows?limit=100", admin, nil, &first)
		return last.status == 200 && first.Partial && first.Total > 0
	})
	if first.Total >= rows || len(first.Rows) != min(100, first.Total) || first.Rows[0].Row != 1 {
		t.Fatalf("first page through replica 1 while replica 0 stages: %s", last.body)
	}
	var errs page
	if a := c.do(r1, "GET", base+"/rows?errors=only&limit=1000", admin, nil, &errs); a.status != 200 || !errs.Partial || errs.Total != first.Total/10 || len(errs.Rows) != errs.Total {
		t.Fatalf("errors page through replica 1 while replica 0 stages (%d rows committed): HTTP %d %s", first.Total, a.status, a.body)
	}

	// an event stream on replica 1
	req, err := http.NewRequest("GET", r1+base+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("events through replica 1: HTTP %d", res.StatusCode)
	}
	events := make(chan progressEvent, 256)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var p progressEvent
				if json.Unmarshal([]byte(data), &p) == nil {
					events <- p
				}
			}
		}
	}()
	next := func(what string, ok func(progressEvent) bool) progressEvent {
		t.Helper()
		deadline := time.After(2 * time.Minute)
		var seen []progressEvent
		for {
			select {
			case p, open := <-events:
				if !open {
					t.Fatalf("the stream ended before an event with %s; events: %+v", what, seen)
				}
				if ok(p) {
					return p
				}
				seen = append(seen, p)
			case <-deadline:
				t.Fatalf("no event with %s on replica 1; events: %+v", what, seen)
			}
		}
	}
	next("replica 0's staging progress", func(p progressEvent) bool { return p.Phase == "staging" && !p.Done && p.Rows == first.Total })
	release()
	end := next("the end of the staging run", func(p progressEvent) bool { return p.Done })
	if end.Phase != "done" || end.Rows != rows || end.Error != "" {
		t.Fatalf("the final event on replica 1: %+v", end)
	}
	var all page
	if a := c.do(r1, "GET", base+"/rows?limit=1", admin, nil, &all); a.status != 200 || all.Partial || all.Total != rows {
		t.Fatalf("review through replica 1 once staged: HTTP %d %s", a.status, a.body)
	}
}
