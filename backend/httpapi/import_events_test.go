package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fusebox/backend/importer"
)

// eventStream reads the progress events of an open /events response.
type eventStream struct {
	t    *testing.T
	got  chan importer.Progress
	done chan struct{}
}

func readEvents(t *testing.T, body io.Reader) *eventStream {
	es := &eventStream{t: t, got: make(chan importer.Progress, 256), done: make(chan struct{})}
	go func() {
		defer close(es.done)
		sc := bufio.NewScanner(body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var p importer.Progress
			if err := json.Unmarshal([]byte(data), &p); err == nil {
				es.got <- p
			}
		}
	}()
	return es
}

// until takes events until ok holds; the deadline bounds a wait, it is no
// timing assertion.
func (es *eventStream) until(what string, ok func(importer.Progress) bool) importer.Progress {
	es.t.Helper()
	deadline := time.After(waitBound)
	var last importer.Progress
	for {
		select {
		case p := <-es.got:
			if ok(p) {
				return p
			}
			last = p
		case <-es.done:
			es.t.Fatalf("the stream ended before an event with %s; the last one: %+v", what, last)
		case <-deadline:
			es.t.Fatalf("no event with %s; the last one: %+v", what, last)
		}
	}
}

// The import event stream sends each change of a running step as it
// happens (the fallback look is an hour away, so only a wake on change
// brings them), and it ends when its client goes away, leaving no
// follower behind. Through a real HTTP server, with an upload whose body
// the test writes piece by piece.
func TestImportEventsFollowChangesAndEndWithTheClient(t *testing.T) {
	s, svc := newImporterServer(t, false)
	svc.FollowFallback = time.Hour
	srv := httptest.NewServer(s.PortHandler())
	defer srv.Close()
	admin := client{t, s.PortHandler(), adminToken}
	admin.do("PUT", "/api/admin/importers/contacts", "application/json", strings.NewReader(importerJSON))
	var imp struct{ Slug string }
	admin.json("POST", "/api/importer/imports", map[string]any{"importer_slug": "contacts"}, 201, &imp)
	base := srv.URL + "/api/importer/imports/" + imp.Slug
	send := func(ctx context.Context, method, url string, body io.Reader) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, url, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "127.0.0.1:8787"
		req.Header.Set("Authorization", "Bearer "+adminToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		return res
	}

	// an upload that goes on while the test writes its body
	pr, pw := io.Pipe()
	uploaded := make(chan *http.Response, 1)
	go func() { uploaded <- send(context.Background(), "PUT", base+"/file?name=people.csv", pr) }()
	line := func(i int) string { return fmt.Sprintf("P%d,p%d@example.com,%d\n", i, i, 1+i%5) }
	piece := func(from, to int) int {
		var b strings.Builder
		for i := from; i < to; i++ {
			b.WriteString(line(i))
		}
		if _, err := io.WriteString(pw, b.String()); err != nil {
			t.Fatal(err)
		}
		return b.Len()
	}
	sent := len("first_name,email,seats\n")
	io.WriteString(pw, "first_name,email,seats\n")
	sent += piece(0, 500)

	// the upload is under way before the stream opens (a stream opened
	// before it would end at once with the import's last, finished step)
	waitUntil(t, "the upload to start", func() (bool, string) {
		var p importer.Progress
		admin.json("GET", "/api/importer/imports/"+imp.Slug+"/progress", nil, 200, &p)
		return p.Phase == "uploading" && !p.Done, fmt.Sprintf("%+v", p)
	})

	ctx, leave := context.WithCancel(context.Background())
	res := send(ctx, "GET", base+"/events", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: HTTP %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	es := readEvents(t, res.Body)
	es.until("the first piece uploaded", func(p importer.Progress) bool { return p.Phase == "uploading" && p.BytesRead == int64(sent) })
	sent += piece(500, 1000)
	es.until("the second piece uploaded", func(p importer.Progress) bool { return p.Phase == "uploading" && p.BytesRead == int64(sent) })
	waitUntil(t, "the stream to be a follower", func() (bool, string) { return svc.Followers() == 1, fmt.Sprint(svc.Followers()) })

	leave() // the client goes away
	res.Body.Close()
	waitUntil(t, "the stream to end without its client", func() (bool, string) { return svc.Followers() == 0, fmt.Sprint(svc.Followers()) })

	pw.Close()
	up := <-uploaded
	up.Body.Close()
	if up.StatusCode != 200 {
		t.Fatalf("upload: HTTP %d", up.StatusCode)
	}
	res = send(context.Background(), "GET", base+"/events", nil)
	defer res.Body.Close()
	last := readEvents(t, res.Body).until("the upload's end", func(p importer.Progress) bool { return p.Done })
	if last.Phase != "done" || last.BytesRead != int64(sent) {
		t.Fatalf("final progress of the upload: %+v (%d bytes sent)", last, sent)
	}
}
