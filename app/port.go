package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"
)

// Start is the headless door: it listens on addr (the localhost port),
// serves the HTTP handler there and starts the background workers. The
// window calls it from its start-up hook (desktop.go).
func (a *App) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("listen on %s: the port is already in use (is another fusebox running? pick another with --addr)", addr)
		}
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if a.loopbackOnly && !loopbackListener(ln.Addr()) {
		ln.Close()
		return fmt.Errorf("listen on %s: bound %s, which is not a loopback address, though the server was configured for a loopback listener (local host pages would be allowed to embed importers); use --addr 127.0.0.1:<port>", addr, ln.Addr())
	}
	a.listenURL = "http://" + selfAddr(ln.Addr())
	a.server.SetBaseURL(a.listenURL)
	a.baseURL = a.server.BaseURL() // --public-url, else the listener's address
	a.Relay.SetBaseURL(a.listenURL)
	capped, conns, err := limitConns(ln)
	if err != nil {
		ln.Close()
		return err
	}
	handler := a.server.PortHandler()
	if a.wrapPort != nil { // the desktop window records host app use (desktop_usage.go)
		handler = a.wrapPort(handler)
	}
	a.http = newPortServer(handler, slog.NewLogLogger(a.log.Handler(), slog.LevelWarn))
	// Near the cap, idle keep-alive connections make room for new ones.
	a.http.ConnState = newIdleShedder(conns).connState
	go func() {
		if err := a.http.Serve(capped); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server", "err", err)
		}
	}()
	workCtx, cancel := context.WithCancel(context.Background())
	a.stopWorkers = cancel
	for _, w := range a.workers {
		a.workersWG.Add(1)
		go func() {
			defer a.workersWG.Done()
			w(workCtx)
		}()
	}
	a.log.Info("listening", "addr", ln.Addr().String(), "data_dir", a.dataDir, "max_conns", conns)
	return nil
}

// Shutdown lets in-flight requests finish, then stops the workers. It
// does nothing before Start and does its work once.
func (a *App) Shutdown() error {
	var err error
	a.shutdownOnce.Do(func() {
		if a.http != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if e := a.http.Shutdown(sctx); e != nil {
				err = fmt.Errorf("shut down http server: %w", e)
			}
		}
		if a.stopWorkers != nil {
			a.stopWorkers()
			a.workersWG.Wait()
		}
	})
	return err
}

// BaseURL is the server's URL after Start: --public-url, else the
// listener's address.
func (a *App) BaseURL() string { return a.baseURL }

// PrintURLs prints where the started server answers, with a one-time
// console login link.
func (a *App) PrintURLs(w io.Writer) {
	u := a.baseURL
	fmt.Fprintf(w, "Fusebox %s listening on %s\n", a.version, a.listenURL)
	if u != a.listenURL {
		fmt.Fprintf(w, "  Public URL:   %s\n", u)
	}
	fmt.Fprintf(w, "  Console:      %s/login?code=%s\n", u, a.server.NewLoginCode())
	if d, err := a.server.DemoStatus(context.Background()); err == nil && d.On {
		fmt.Fprintf(w, "  Demo app:     %s/demo\n", u)
	}
	fmt.Fprintf(w, "  Marketplace:  %s/marketplace\n", u)
	fmt.Fprintf(w, "  Importer SDK: %s/sdk/importer.js\n", u)
	fmt.Fprintf(w, "  Health:       %s/healthz\n", u)
	fmt.Fprintf(w, "  Data dir:     %s\n", a.dataDir)
}

// selfAddr is the listener's address as this machine reaches it: an
// unspecified host (0.0.0.0, ::) becomes 127.0.0.1.
func selfAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// loopbackListener reports whether a bound listener's address is a
// loopback address (127.0.0.0/8, ::1): the fact behind
// ServerConfig.LoopbackOnly, read from the socket, not from a flag or a
// request.
func loopbackListener(a net.Addr) bool {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
