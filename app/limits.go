package app

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/net/netutil"
)

// Connection limits of the localhost port (README: Limits).
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
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur > 2*fdHeadroom {
		n = min(n, int(rl.Cur)-fdHeadroom)
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
