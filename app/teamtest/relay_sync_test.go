package teamtest

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTwoReplicasSyncRouteHoldsConcurrency: senders post to a relay route
// in sync mode through both replicas at once; the destination's
// concurrency of 1 holds across the two processes (the receiver never
// answers two requests at once), and every sender gets either the
// receiver's answer or the route's own 429 with a Retry-After.
func TestTwoReplicasSyncRouteHoldsConcurrency(t *testing.T) {
	var mu sync.Mutex
	now, peak, got := 0, 0, 0
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now++
		got++
		peak = max(peak, now)
		mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		now--
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c := newCluster(t, 2, `version: 1
destinations:
  - id: crm
    url: http://`+ln.Addr().String()+`/contacts
    concurrency: 1
    inbound:
      route: crm
      mode: sync
`)
	const senders = 16
	var wg sync.WaitGroup
	var answered, refused int
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := c.replicas[i%2].URL
			res, err := http.Post(base+"/relay/crm", "application/json", strings.NewReader(`{"i":`+strconv.Itoa(i)+`}`))
			if err != nil {
				t.Errorf("sender %d: %v", i, err)
				return
			}
			res.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case res.StatusCode == http.StatusOK:
				answered++
			case res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Retry-After") != "":
				refused++
			default:
				t.Errorf("sender %d: HTTP %d; want the receiver's 200 or 429 with Retry-After", i, res.StatusCode)
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if peak > 1 {
		t.Errorf("the receiver answered %d requests at once from two replicas; the destination's concurrency is 1", peak)
	}
	if got != answered || answered == 0 {
		t.Errorf("the receiver got %d requests; %d senders were answered 200, %d refused", got, answered, refused)
	}
}
