package app

import (
	"container/list"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"fusebox/backend/store"
)

// Connection limits of the localhost port (docs/security.md, "Limits and their defaults").
const (
	defaultMaxConns = 4096
	// fdHeadroom is how many open files stay free for the database,
	// uploads and outgoing relay connections when the cap is derived
	// from the process's open-file limit.
	fdHeadroom = 256
	// Timeouts of the port's http.Server. Bodies have their own minimum
	// transfer rate and, except uploads, a read deadline (httpapi).
	portReadHeaderTimeout = 10 * time.Second
	portIdleTimeout       = 60 * time.Second
	portMaxHeaderBytes    = 64 << 10
	// idleShedPercent: once this share of the cap is open, idle
	// keep-alive connections are closed, the longest idle first.
	idleShedPercent = 90
)

// maxConns is the port's connection cap: $FUSEBOX_MAX_CONNS, default
// 4096, and never above the open-file limit minus fdHeadroom, so accept
// never fails with "too many open files".
func maxConns() (int, error) {
	n := defaultMaxConns
	if v := os.Getenv("FUSEBOX_MAX_CONNS"); v != "" {
		i, err := strconv.Atoi(v)
		if err != nil || i < 1 {
			return 0, fmt.Errorf("FUSEBOX_MAX_CONNS %q: want a positive number of connections (default %d)", v, defaultMaxConns)
		}
		n = i
	}
	if cur, ok := openFileLimit(); ok && cur > 2*fdHeadroom {
		n = min(n, int(cur)-fdHeadroom)
	}
	return n, nil
}

// lockConns is the cap on a team server's PostgreSQL connections that
// hold imports' locks (store.DB.SetMaxLockConns): $FUSEBOX_PG_LOCK_CONNS,
// default store.DefaultLockConns. Past it, a change to one more import
// waits for another's to end.
func lockConns() (int, error) {
	v := os.Getenv("FUSEBOX_PG_LOCK_CONNS")
	if v == "" {
		return store.DefaultLockConns, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("FUSEBOX_PG_LOCK_CONNS %q: want a positive number of connections (default %d)", v, store.DefaultLockConns)
	}
	return n, nil
}

// limitConns caps the connections open at once on ln: past the cap,
// new connections wait in the kernel's queue until one closes. The
// server's timeouts drop slow connections, so the cap does not stay full.
func limitConns(ln net.Listener) (net.Listener, int, error) {
	n, err := maxConns()
	if err != nil {
		return nil, 0, err
	}
	return netutil.LimitListener(ln, n), n, nil
}

// newPortServer is the http.Server of the localhost port. There is no
// ReadTimeout or WriteTimeout: uploads and event streams may take long;
// the handler bounds body reads by a minimum transfer rate instead.
func newPortServer(h http.Handler, errLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: portReadHeaderTimeout,
		IdleTimeout:       portIdleTimeout,
		MaxHeaderBytes:    portMaxHeaderBytes,
		ErrorLog:          errLog,
	}
}

// idleShedder keeps room under the connection cap for new connections:
// it follows the port's connections (http.Server.ConnState) and, while
// the open ones reach idleShedPercent of the cap, closes idle keep-alive
// connections, the longest idle first. A client that opens connections
// only to leave them idle cannot hold the cap (and /healthz) until the
// idle timeout; a client that sends requests is never cut mid-request.
type idleShedder struct {
	mu      sync.Mutex
	high    int // open connections at which idle ones are closed
	open    int // connections the server holds (new to closed)
	closing int // idle connections closed here, not yet reported closed
	idle    *list.List
	at      map[net.Conn]*list.Element
	shut    map[net.Conn]bool
}

func newIdleShedder(maxConns int) *idleShedder {
	return &idleShedder{
		high: max(1, maxConns*idleShedPercent/100),
		idle: list.New(),
		at:   map[net.Conn]*list.Element{},
		shut: map[net.Conn]bool{},
	}
}

// connState is the http.Server's ConnState hook.
func (s *idleShedder) connState(c net.Conn, st http.ConnState) {
	var victims []net.Conn
	s.mu.Lock()
	switch st {
	case http.StateNew:
		s.open++
	case http.StateIdle:
		if _, ok := s.at[c]; !ok {
			s.at[c] = s.idle.PushBack(c)
		}
	case http.StateActive:
		s.unidle(c)
	case http.StateClosed, http.StateHijacked:
		s.unidle(c)
		s.open--
		if s.shut[c] {
			delete(s.shut, c)
			s.closing--
		}
	}
	if st == http.StateNew || st == http.StateIdle {
		for s.open-s.closing >= s.high && s.idle.Len() > 0 {
			oldest := s.idle.Remove(s.idle.Front()).(net.Conn)
			delete(s.at, oldest)
			s.shut[oldest] = true
			s.closing++
			victims = append(victims, oldest)
		}
	}
	s.mu.Unlock()
	for _, v := range victims {
		_ = v.Close() // the server sees the read fail and reports it closed
	}
}

// unidle forgets c as idle. The caller holds s.mu.
func (s *idleShedder) unidle(c net.Conn) {
	if e, ok := s.at[c]; ok {
		s.idle.Remove(e)
		delete(s.at, c)
	}
}
