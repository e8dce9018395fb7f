package teamtest

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fusebox/app/testbin"
)

// startRange opens a raw connection to base and sends the headers of
// PUT .../file with Content-Range bytes start-(total-1)/total and the
// first part bytes of that range's body, leaving the rest unsent (a
// phone whose network drops mid-upload).
func startRange(t *testing.T, base, path, token, file string, start, part int) net.Conn {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	total := len(file)
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"+
		"Content-Range: bytes %d-%d/%d\r\nContent-Length: %d\r\n\r\n", path, u.Host, token, start, total-1, total, total-start)
	if _, err := io.WriteString(conn, file[start:start+part]); err != nil {
		t.Fatal(err)
	}
	return conn
}

type uploadState struct {
	Offset   int  `json:"offset"`
	Total    int  `json:"total"`
	Complete bool `json:"complete"`
}

// An upload started through replica 0 is cut twice (its connection
// dropped, then replica 0 killed); replica 1 tells how much is kept and
// takes the rest, and the import stages with the whole file's hash and
// every row.
func TestTwoReplicasResumeAnUploadCutMidway(t *testing.T) {
	rc := newReceiver(t)
	c := newCluster(t, 2, flowWorkspace(rc.url))
	a, b := c.replicas[0].URL, c.replicas[1].URL
	admin := bearer(c.token)
	var k struct {
		Secret string `json:"secret"`
	}
	if r := c.do(b, "POST", "/api/admin/keys", admin, map[string]any{"name": "backend", "kind": "secret"}, &k); r.status != 201 {
		t.Fatalf("create key: HTTP %d %s", r.status, r.body)
	}
	var iss struct {
		Token string `json:"token"`
	}
	if r := c.do(b, "POST", "/api/v1/importer/sessions", bearer(k.Secret), map[string]any{"importer_slug": "people", "metadata": map[string]string{"user_id": "u1"}}, &iss); r.status != 201 {
		t.Fatalf("create session: HTTP %d %s", r.status, r.body)
	}
	user := bearer(iss.Token)
	var imp struct {
		Slug string `json:"slug"`
	}
	if r := c.do(a, "POST", "/api/importer/imports", user, nil, &imp); r.status != 201 {
		t.Fatalf("create import: HTTP %d %s", r.status, r.body)
	}
	base := "/api/importer/imports/" + imp.Slug
	const rows = 150_000
	file := csvOf(rows)
	n := len(file)
	state := func(through string) uploadState {
		var st uploadState
		if r := c.do(through, "GET", base+"/upload", user, nil, &st); r.status != 200 {
			t.Fatalf("upload state: HTTP %d %s", r.status, r.body)
		}
		return st
	}

	// 1. the connection to replica 0 drops after 40% of the file
	conn := startRange(t, a, base+"/file?name=people.csv", iss.Token, file, 0, n*2/5)
	waitFor(t, "replica 0 to commit the first chunks", 60*time.Second, func() bool { return state(b).Offset >= 1<<20 })
	conn.Close()
	waitFor(t, "replica 0 to keep what it received", 60*time.Second, func() bool { return state(b).Offset == n*2/5 })
	if st := state(b); st.Total != n || st.Complete {
		t.Fatalf("state after the dropped connection, through replica 1: %+v", st)
	}

	// 2. the upload goes on through replica 0, which is killed mid-way
	off := n * 2 / 5
	conn = startRange(t, a, base+"/file?name=people.csv", iss.Token, file, off, n/2)
	defer conn.Close()
	waitFor(t, "replica 0 to commit more", 60*time.Second, func() bool { return state(b).Offset >= off+1<<20 })
	c.replicas[0].Kill9()
	st := state(b)
	if st.Offset <= off || st.Offset >= off+n/2 || st.Total != n {
		t.Fatalf("state after replica 0 was killed, through replica 1: %+v (the second range sent bytes %d-%d)", st, off, off+n/2)
	}

	// 3. replica 1 takes the rest: the preview, then staging with every row
	req, _ := http.NewRequest("PUT", b+base+"/file?name=people.csv", strings.NewReader(file[st.Offset:]))
	req.Header.Set("Authorization", "Bearer "+iss.Token)
	req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", st.Offset, n-1, n))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(raw), `"headers":["Email","Name","N"]`) {
		t.Fatalf("the rest through replica 1: HTTP %d %.300s", res.StatusCode, raw)
	}
	if st := state(b); !st.Complete || st.Offset != n {
		t.Fatalf("state after the last range: %+v", st)
	}
	// a third replica, whose disk never had any of it, writes the file
	// from the stored chunks and checks it against the import's sha256
	// (the hash carried across the three ranges)
	fresh := t.TempDir()
	shareKeyFiles(t, c.dirs[0], fresh)
	third := testbin.Start(t, bin, fresh, []string{"FUSEBOX_DATABASE_URL=" + c.url})
	dl, err := http.NewRequest("GET", third.URL+"/api/admin/imports/"+imp.Slug+"/file", nil)
	if err != nil {
		t.Fatal(err)
	}
	dl.Header.Set("Authorization", "Bearer "+c.token)
	res, err = http.DefaultClient.Do(dl)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || sha256.Sum256(stored) != sha256.Sum256([]byte(file)) {
		t.Fatalf("the stored file through a third replica: HTTP %d, %d bytes, want the %d uploaded: %.300s", res.StatusCode, len(stored), n, stored)
	}
	mapping := map[string]any{"columns": []map[string]any{{"index": 0, "key": "email"}, {"index": 1, "key": "name"}, {"index": 2, "key": "n"}}}
	if r := c.do(b, "PUT", base+"/mapping", user, mapping, nil); r.status != 202 {
		t.Fatalf("mapping: HTTP %d %s", r.status, r.body)
	}
	var sum struct {
		ErrorRows int `json:"error_rows"`
	}
	waitFor(t, "the staging to reach the review", 180*time.Second, func() bool {
		var v struct {
			Step          string `json:"step"`
			FailureReason string `json:"failure_reason"`
			RowCount      int    `json:"row_count"`
		}
		c.do(b, "GET", base, user, nil, &v)
		if v.FailureReason != "" {
			t.Fatalf("staging failed: %s", v.FailureReason)
		}
		return v.Step == "review" && v.RowCount == rows
	})
	if r := c.do(b, "GET", base+"/summary", user, nil, &sum); r.status != 200 || sum.ErrorRows != rows/10 {
		t.Fatalf("summary: HTTP %d %+v %s", r.status, sum, r.body)
	}
}
