package testbin

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"
)

// ReplicaHeader is the response header the round-robin proxy adds: the
// index (0, 1, …) of the replica that answered.
const ReplicaHeader = "X-Test-Replica"

// RoundRobin is a reverse proxy on a loopback port in front of several
// servers, as a load balancer would be: each request goes to the next
// server in turn, whatever the previous one was.
type RoundRobin struct {
	URL     string
	mu      sync.Mutex
	next    int
	targets []*url.URL
	served  []int
}

// StartRoundRobin starts a round-robin proxy in front of the servers at
// urls and closes it when t ends. The Host header is passed on unchanged
// (the servers see the proxy's loopback address).
func StartRoundRobin(t testing.TB, urls ...string) *RoundRobin {
	t.Helper()
	p := &RoundRobin{served: make([]int, len(urls))}
	for _, u := range urls {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatalf("round-robin proxy: %v", err)
		}
		p.targets = append(p.targets, pu)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			i := p.pick()
			r.SetURL(p.targets[i])
			r.Out.Host = r.In.Host
			r.SetXForwarded()
			r.Out.Header.Set(ReplicaHeader, strconv.Itoa(i))
		},
		ModifyResponse: func(res *http.Response) error {
			res.Header.Set(ReplicaHeader, res.Request.Header.Get(ReplicaHeader))
			return nil
		},
		FlushInterval: -1, // event streams pass at once
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *RoundRobin) pick() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.next
	p.next = (p.next + 1) % len(p.targets)
	p.served[i]++
	return i
}

// Next makes the next request go to server i; the turns go on from there.
func (p *RoundRobin) Next(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = i % len(p.targets)
}

// Served is how many requests each server was sent.
func (p *RoundRobin) Served() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.served...)
}
