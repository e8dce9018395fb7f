package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"fusebox/app"
)

// serveFlags are the flags of `serve` and of the desktop window.
type serveFlags struct {
	addr    string
	dataDir string
	// database is --database: a team server's PostgreSQL ("" = SQLite).
	database string
	// keyDir is --key-dir: where the key files are ("" = the data dir).
	keyDir string
	noDemo bool
	// demoOnPublic serves the demo routes on a non-loopback --addr.
	demoOnPublic bool
	// publicURL is this server's URL as others reach it (--public-url).
	publicURL    string
	allowedHosts string
	logLevel     string
	// open is the console route the window opens at (--open).
	open string
	// files are files to import, given to the window as arguments.
	files []string
}

// parseServeFlags parses the flags of serve and the window. The error is
// flag.ErrHelp after -h, else a usage error already printed to stderr
// (see usageExit).
func parseServeFlags(name string, args []string, stderr io.Writer) (serveFlags, error) {
	var f serveFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8787", "address for the localhost listener (port 0 picks a free one)")
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory (default $FUSEBOX_DATA_DIR, else the user config dir + /fusebox)")
	fs.StringVar(&f.database, "database", os.Getenv("FUSEBOX_DATABASE_URL"), databaseUsage)
	fs.StringVar(&f.keyDir, "key-dir", os.Getenv(app.EnvKeyDir), keyDirUsage)
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
		return f, err
	}
	// The window takes files to import as arguments, before or between
	// the flags.
	for name == "desktop" && fs.NArg() > 0 {
		f.files = append(f.files, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return f, err
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fusebox %s: unexpected argument %q\n", name, fs.Arg(0))
		fs.Usage()
		return f, errUsage
	}
	f.open = strings.TrimLeft(strings.TrimSpace(f.open), "#/")
	pu, err := checkPublicURL(f.publicURL)
	if err != nil {
		fmt.Fprintf(stderr, "fusebox %s: %v\n", name, err)
		return f, errUsage
	}
	f.publicURL = pu
	return f, nil
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

// loopbackOnly reports whether pages on localhost may embed importers with
// no origin configured: the listener is loopback and no --public-url says
// that others reach the server (through a proxy). app.Start checks the
// bound socket too.
func loopbackOnly(f serveFlags) bool {
	return loopbackAddr(f.addr) && f.publicURL == ""
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

// runServe is `fusebox serve`.
func runServe(ctx context.Context, version string, args []string, stdout, stderr io.Writer) int {
	f, err := parseServeFlags("serve", args, stderr)
	if err != nil {
		return usageExit(err)
	}
	return serve(ctx, version, f, stdout, stderr)
}

// serve runs the headless server until SIGINT or SIGTERM.
func serve(ctx context.Context, version string, f serveFlags, stdout, stderr io.Writer) int {
	log, closeLog, err := newLogger(stderr, f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 2
	}
	defer closeLog()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	a, err := openServer(ctx, version, f, log)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	defer a.Close()
	if err := a.Start(f.addr); err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	a.PrintURLs(stdout)
	<-ctx.Done()
	log.Info("shutting down")
	if err := a.Shutdown(); err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// runDesktop opens the window, or falls back to serve where it cannot.
func runDesktop(ctx context.Context, version string, args []string, stdout, stderr io.Writer) int {
	f, err := parseServeFlags("desktop", args, stderr)
	if err != nil {
		return usageExit(err)
	}
	log, closeLog, err := newLogger(stderr, f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 2
	}
	if len(f.files) > 0 && (!app.WindowBuilt || os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "") {
		log.Warn("files to import are for the desktop window; without it they are not imported (use fusebox import)", "files", len(f.files))
	}
	switch {
	case !app.WindowBuilt:
		log.Info("this binary has no desktop window (built without the desktop tag); running serve instead")
		closeLog()
		return serve(ctx, version, f, stdout, stderr)
	case needsXDisplay() && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "":
		log.Info("no display found (DISPLAY and WAYLAND_DISPLAY are unset); running serve instead")
		closeLog()
		return serve(ctx, version, f, stdout, stderr)
	}
	defer closeLog()
	return runWindow(ctx, version, f, log, stdout, stderr)
}

// openServer opens the App of serve and the window: the data dir, the
// key material and admin token (app.KeyConfig), the services and the HTTP handler, and a new workspace
// initialized (with the demo unless --no-demo).
func openServer(ctx context.Context, version string, f serveFlags, log *slog.Logger) (*app.App, error) {
	dir, err := app.ResolveDataDir(f.dataDir)
	if err != nil {
		return nil, err
	}
	var hosts []string
	for _, h := range strings.Split(f.allowedHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	a, err := app.New(ctx, app.Config{
		Version:     version,
		DataDir:     dir,
		DatabaseURL: f.database,
		Keys:        app.KeysFromEnv(f.keyDir, os.Getenv),
		Logger:      log,
		Server: app.ServerConfig{
			AdminTokenFromKeys: true,
			AllowedHosts:       hosts,
			ConsoleOpen:        f.open,
			PublicURL:          f.publicURL,
			DemoOff:            demoOff(f),
			LoopbackOnly:       loopbackOnly(f),
		},
	})
	if err != nil {
		return nil, err
	}
	if _, _, err := a.FirstStart(ctx, !f.noDemo); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// errUsage is a usage error whose message the command already printed.
var errUsage = errors.New("usage error")

// usageExit is the exit code of a flag parsing error: 0 after -h (the
// usage was asked for), else 2.
func usageExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// needsXDisplay reports whether the window needs DISPLAY or
// WAYLAND_DISPLAY: on Linux and the BSDs (GTK); Windows and macOS have
// their own window systems and never set them.
func needsXDisplay() bool { return runtime.GOOS != "windows" && runtime.GOOS != "darwin" }
