package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"fusebox/app"
	"fusebox/backend/httpapi"
)

// serveFlags are the flags of `serve` and of the desktop window.
type serveFlags struct {
	addr    string
	dataDir string
	noDemo  bool
	// demoOnPublic serves the demo routes on a non-loopback --addr.
	demoOnPublic bool
	// publicURL is this server's URL as others reach it (--public-url).
	publicURL    string
	allowedHosts string
	logLevel     string
	// open is the console route the window opens at (--open).
	open string
}

func parseServeFlags(name string, args []string, stderr io.Writer) (serveFlags, int) {
	var f serveFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8787", "address for the localhost listener (port 0 picks a free one)")
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory (default $FUSEBOX_DATA_DIR, else the user config dir + /fusebox)")
	fs.BoolVar(&f.noDemo, "no-demo", false, "do not apply the demo workspace to a new data dir, and keep the demo app routes (/demo) off")
	fs.BoolVar(&f.demoOnPublic, "demo-on-public", false, "serve the demo app routes (/demo) although --addr is not a loopback address (they are off there by default)")
	fs.StringVar(&f.publicURL, "public-url", os.Getenv("FUSEBOX_PUBLIC_URL"), "this server's URL as others reach it, for printed URLs, signed links and {{fusebox.base_url}} (default $FUSEBOX_PUBLIC_URL, else the listener's address)")
	fs.StringVar(&f.allowedHosts, "allowed-host", "", "comma-separated extra host names accepted in the Host header")
	fs.StringVar(&f.logLevel, "log-level", envOr("FUSEBOX_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	fs.StringVar(&f.open, "open", "", "console route the desktop window opens at, e.g. importers/contacts/try (window only)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fusebox %s [flags]\n\nFlags:\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, 0
		}
		return f, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fusebox %s: unexpected argument %q\n", name, fs.Arg(0))
		fs.Usage()
		return f, 2
	}
	f.open = strings.TrimLeft(strings.TrimSpace(f.open), "#/")
	pu, err := checkPublicURL(f.publicURL)
	if err != nil {
		fmt.Fprintf(stderr, "fusebox %s: %v\n", name, err)
		return f, 2
	}
	f.publicURL = pu
	return f, -1
}

// checkPublicURL validates --public-url: an absolute http(s) URL with no
// query or fragment; it returns it without a trailing slash.
func checkPublicURL(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("--public-url %q: want an absolute http(s) URL such as https://fusebox.example.com, with no query, fragment or credentials", v)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// loopbackAddr reports whether a listen address binds only the loopback
// interface (127.0.0.0/8, ::1 or localhost); an empty host binds them all.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
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

// demoOff says why this process keeps the demo app routes off, or "".
func demoOff(f serveFlags) string {
	switch {
	case f.noDemo:
		return "the server was started with --no-demo"
	case !loopbackAddr(f.addr) && !f.demoOnPublic:
		return fmt.Sprintf("the server listens on %s, not only on loopback (start it with --demo-on-public to serve the demo there)", f.addr)
	}
	return ""
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// newLogger logs text to stderr, and also to $FUSEBOX_LOG when set.
func newLogger(stderr io.Writer, level string) (*slog.Logger, func(), error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	out, closeFn := stderr, func() {}
	if p := os.Getenv("FUSEBOX_LOG"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file %s (FUSEBOX_LOG): %w", p, err)
		}
		out, closeFn = io.MultiWriter(stderr, f), func() { f.Close() }
	}
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: lv})), closeFn, nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, code := parseServeFlags("serve", args, stderr)
	if code >= 0 {
		return code
	}
	return serve(ctx, f, stdout, stderr)
}

// serve runs the headless server until SIGINT or SIGTERM.
func serve(ctx context.Context, f serveFlags, stdout, stderr io.Writer) int {
	log, closeLog, err := newLogger(stderr, f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 2
	}
	defer closeLog()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	a, err := start(ctx, f, log)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	defer a.close()
	if err := a.listen(f.addr); err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	a.printURLs(stdout)
	<-ctx.Done()
	log.Info("shutting down")
	if err := a.shutdown(); err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// runDesktop opens the window, or falls back to serve where it cannot.
func runDesktop(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, code := parseServeFlags("desktop", args, stderr)
	if code >= 0 {
		return code
	}
	log, closeLog, err := newLogger(stderr, f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 2
	}
	switch {
	case !app.Built:
		log.Info("this binary has no desktop window (built without the desktop tag); running serve instead")
		closeLog()
		return serve(ctx, f, stdout, stderr)
	case os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "":
		log.Info("no display found (DISPLAY and WAYLAND_DISPLAY are unset); running serve instead")
		closeLog()
		return serve(ctx, f, stdout, stderr)
	}
	defer closeLog()
	a, err := start(ctx, f, log)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	defer a.close()
	err = app.Run(app.Options{
		Title:   "Fusebox",
		Handler: a.server.WindowHandler(),
		OnStartup: func(context.Context) error {
			if err := a.listen(f.addr); err != nil {
				log.Error("localhost listener", "err", err)
				return err
			}
			a.printURLs(stdout)
			return nil
		},
		OnShutdown: func() {
			if err := a.shutdown(); err != nil {
				log.Error("shutdown", "err", err)
			}
		},
	})
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	return 0
}

// listen starts the localhost listener and the background workers.
func (a *runningApp) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("listen on %s: the port is already in use (is another fusebox running? pick another with --addr)", addr)
		}
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	listenURL := "http://" + selfAddr(ln.Addr())
	a.server.SetBaseURL(listenURL)
	a.listenURL = listenURL
	a.baseURL = a.server.BaseURL() // --public-url, else the listener's address
	for _, f := range a.parts.onListen {
		f(listenURL)
	}
	capped, conns, err := limitConns(ln)
	if err != nil {
		ln.Close()
		return err
	}
	ln = capped
	a.http = newPortServer(a.server.PortHandler(), slog.NewLogLogger(a.log.Handler(), slog.LevelWarn))
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
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

// shutdown lets in-flight requests finish, then stops the workers.
func (a *runningApp) shutdown() error {
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

func (a *runningApp) printURLs(w io.Writer) {
	u := a.baseURL
	fmt.Fprintf(w, "Fusebox %s listening on %s\n", version, a.listenURL)
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

// resolveDataDir picks the data dir: the flag, else $FUSEBOX_DATA_DIR,
// else the OS user config dir + /fusebox. It creates the directory and
// checks that it is writable.
func resolveDataDir(flagValue string) (string, error) {
	dir := flagValue
	if dir == "" {
		dir = os.Getenv("FUSEBOX_DATA_DIR")
	}
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find a data dir: %w (set --data-dir or FUSEBOX_DATA_DIR)", err)
		}
		dir = filepath.Join(base, "fusebox")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("create data dir %s: %w", abs, err)
	}
	probe, err := os.CreateTemp(abs, ".write-check-*")
	if err != nil {
		return "", fmt.Errorf("data dir %s is not writable: %w", abs, unwrapPathErr(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return abs, nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// runningApp is the wired process: store, services, handler, workers.
type runningApp struct {
	log     *slog.Logger
	dataDir string
	parts   *parts
	server  interface {
		PortHandler() http.Handler
		WindowHandler() http.Handler
		NewLoginCode() string
		SetBaseURL(u string)
		BaseURL() string
		DemoStatus(ctx context.Context) (httpapi.DemoStatus, error)
	}
	workers []func(ctx context.Context)

	// baseURL is --public-url, else listenURL (the listener's address).
	baseURL      string
	listenURL    string
	http         *http.Server
	stopWorkers  context.CancelFunc
	workersWG    sync.WaitGroup
	shutdownOnce sync.Once
}

// start opens the data dir, wires every part and initializes a new
// workspace (with the demo unless --no-demo).
func start(ctx context.Context, f serveFlags, log *slog.Logger) (*runningApp, error) {
	dir, err := resolveDataDir(f.dataDir)
	if err != nil {
		return nil, err
	}
	p, err := wire(ctx, dir, log)
	if err != nil {
		return nil, err
	}
	changes, fresh, err := p.workspace.Initialize(ctx, !f.noDemo)
	if err != nil {
		p.close()
		return nil, fmt.Errorf("initialize workspace: %w", err)
	}
	if fresh && !f.noDemo {
		// The demo host app (/demo) issues sessions with these keys.
		keys, err := p.sessions.EnsureDemoKeys(ctx)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("create demo API keys: %w", err)
		}
		changes = append(changes, keys...)
	}
	if fresh {
		log.Info("new data dir initialized", "data_dir", dir, "demo", !f.noDemo, "changes", len(changes))
	}
	token, err := ensureAdminToken(dir)
	if err != nil {
		p.close()
		return nil, err
	}
	var hosts []string
	for _, h := range strings.Split(f.allowedHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	p.consoleOpen = f.open
	p.publicURL = f.publicURL
	p.demoOff = demoOff(f)
	srv, err := p.newServer(token, hosts)
	if err != nil {
		p.close()
		return nil, err
	}
	return &runningApp{log: log, dataDir: dir, parts: p, server: srv, workers: p.workers}, nil
}

func (a *runningApp) close() {
	_ = a.shutdown()
	a.parts.close()
}

// ensureAdminToken reads <data-dir>/admin.token, creating it (0600) with a
// new random token when missing. Scripts use it as a Bearer token.
func ensureAdminToken(dir string) (string, error) {
	path := filepath.Join(dir, "admin.token")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read admin token %s: %w", path, err)
	}
	tok, err := randomHex(32)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write admin token %s: %w", path, err)
	}
	return tok, nil
}
