package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"fusebox/app"
	"fusebox/backend/marketplace"
)

// runBenchMarketplace is `fusebox-bench marketplace`: signed-link token
// verifications per second (GET /marketplace?jwt=, the page a link opens)
// and logins per second (POST /api/marketplace/login: verify, spend the
// jti, upsert the end user, create the session) over loopback HTTP, each
// next to the same work done in process, measured in the same run. Each
// is measured with tokens carrying a jti (the single-use check: a lookup
// on verification, a write on login) and with tokens without one.
func runBenchMarketplace(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench marketplace", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clients := fs.Int("clients", 16, "concurrent HTTP clients")
	duration := fs.Duration("duration", 3*time.Second, "how long each figure is measured")
	users := fs.Int("users", 1000, "distinct end users the login tokens name")
	keep := fs.Bool("keep", false, "keep the temporary data dir")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *clients < 1 || *duration < 100*time.Millisecond || *users < 1 {
		fmt.Fprintln(stderr, "fusebox-bench marketplace: --clients and --users must be at least 1 and --duration at least 100ms")
		return 2
	}
	if err := benchMarketplace(ctx, *clients, *duration, *users, *keep, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "fusebox-bench marketplace:", err)
		return 1
	}
	return 0
}

func benchMarketplace(ctx context.Context, clients int, d time.Duration, users int, keep bool, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "fusebox-bench-marketplace-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(stderr, "data dir kept at", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(ctx, app.Config{Version: version, DataDir: dir, Logger: log, Server: benchServer()})
	if err != nil {
		return err
	}
	defer a.Close()
	mp := a.Marketplace
	if _, err := mp.UpdateSettings(ctx, marketplace.Settings{OrgID: "bench-org"}); err != nil {
		return err
	}
	if _, err := mp.SavePlan(ctx, marketplace.Plan{Name: "free", Default: true}); err != nil {
		return err
	}
	sec, err := mp.CreateSecret(ctx, "bench")
	if err != nil {
		return err
	}
	// A second active secret, so tokens without kid make the verifier try
	// both, as with a rotation in progress.
	if _, err := mp.CreateSecret(ctx, "bench-rotation"); err != nil {
		return err
	}
	base, stop, err := benchListen(a.Handler())
	if err != nil {
		return err
	}
	defer stop()

	now := time.Now()
	sign := func(ext string, jti string) (string, error) {
		claims := jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nbf": now.Unix(), "orgId": "bench-org",
			"user":       map[string]any{"externalId": ext, "firstname": "Bench", "lastname": "User", "email": ext + "@bench.example", "monetizationPlan": "free"},
			"connection": map[string]any{"connectionName": "bench", "connectorId": "bench-v1", "apikey": "k-" + ext}}
		if jti != "" {
			claims["jti"] = jti
		}
		return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(sec.Value))
	}
	verifyTok, err := sign("viewer", "")
	if err != nil {
		return err
	}
	// Tokens with a jti for the verifications, each checked against the
	// used jti table (which the logins, measured first, have filled).
	jtiToks := make([]string, 4096)
	for i := range jtiToks {
		if jtiToks[i], err = sign("viewer", "view-"+strconv.Itoa(i)); err != nil {
			return err
		}
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2, IdleConnTimeout: time.Minute}}
	do := func(method, u, body string, want int) error {
		var rd io.Reader
		if body != "" {
			rd = bytes.NewBufferString(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return err
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			return fmt.Errorf("%s %s: HTTP %d: %.200s", method, u, res.StatusCode, b)
		}
		return nil
	}
	pageOf := func(tok string) string { return base + "/marketplace?jwt=" + url.QueryEscape(tok) }
	page := pageOf(verifyTok)
	if err := do(http.MethodGet, page, "", 200); err != nil {
		return fmt.Errorf("the marketplace page (is the frontend built into this binary?): %w", err)
	}
	jtiPages := make([]string, len(jtiToks))
	for i, t := range jtiToks {
		jtiPages[i] = pageOf(t)
	}
	procs := runtime.GOMAXPROCS(0)

	// Logins, first, so the used jti table holds the spent jtis when the
	// verifications look theirs up. With a jti each token has its own
	// (single use: the login records it); users cycle.
	mint := func(w int, i int64, tag string) (string, error) {
		n := (int64(w)*1_000_003 + i) % int64(users)
		jti := ""
		if tag != "" {
			jti = tag + strconv.Itoa(w) + "-" + strconv.FormatInt(i, 10)
		}
		return sign("u"+strconv.FormatInt(n, 10), jti)
	}
	logins := func(tag string) (ref, viaHTTP benchFigure, err error) {
		ref, err = hammer(ctx, procs, d, func(w int, i int64) error {
			tok, err := mint(w, i, tag+"ref-")
			if err != nil {
				return err
			}
			_, err = mp.Login(ctx, tok)
			return err
		})
		if err != nil {
			return ref, viaHTTP, fmt.Errorf("login in process: %w", err)
		}
		viaHTTP, err = hammer(ctx, clients, d, func(w int, i int64) error {
			tok, err := mint(w, i, tag+"http-")
			if err != nil {
				return err
			}
			return do(http.MethodPost, base+"/api/marketplace/login", `{"token":"`+tok+`"}`, 200)
		})
		if err != nil {
			return ref, viaHTTP, fmt.Errorf("login over HTTP: %w", err)
		}
		return ref, viaHTTP, nil
	}
	lref, lhttp, err := logins("jti-")
	if err != nil {
		return err
	}
	lref.name = fmt.Sprintf("reference: Login in process, with jti (%d goroutines; sign + verify + jti recorded + user + session)", procs)
	lhttp.name = "logins, with jti: POST /api/marketplace/login (token signed by the client)"
	nref, nhttp, err := logins("")
	if err != nil {
		return fmt.Errorf("without jti: %w", err)
	}
	nref.name = fmt.Sprintf("reference: Login in process, no jti (%d goroutines; sign + verify + user + session)", procs)
	nhttp.name = "logins, no jti: POST /api/marketplace/login (token signed by the client)"

	// Token verifications: one token without a jti, and tokens with one
	// (each verification looks its jti up in the used jti table).
	vref, err := hammer(ctx, procs, d, func(int, int64) error {
		_, err := mp.Verify(ctx, verifyTok)
		return err
	})
	if err != nil {
		return fmt.Errorf("verify in process: %w", err)
	}
	vref.name = fmt.Sprintf("reference: Verify in process, no jti (%d goroutines; settings, 2 secrets unsealed, HS256)", procs)
	vhttp, err := hammer(ctx, clients, d, func(int, int64) error { return do(http.MethodGet, page, "", 200) })
	if err != nil {
		return fmt.Errorf("verify over HTTP: %w", err)
	}
	vhttp.name = "token verifications, no jti: GET /marketplace?jwt= (page served)"
	jref, err := hammer(ctx, procs, d, func(w int, i int64) error {
		_, err := mp.Verify(ctx, jtiToks[(int(i)*procs+w)%len(jtiToks)])
		return err
	})
	if err != nil {
		return fmt.Errorf("verify in process, with jti: %w", err)
	}
	jref.name = fmt.Sprintf("reference: Verify in process, with jti (%d goroutines; as above + single-use jti lookup)", procs)
	jhttp, err := hammer(ctx, clients, d, func(w int, i int64) error {
		return do(http.MethodGet, jtiPages[(int(i)*clients+w)%len(jtiPages)], "", 200)
	})
	if err != nil {
		return fmt.Errorf("verify over HTTP, with jti: %w", err)
	}
	jhttp.name = "token verifications, with jti: GET /marketplace?jwt= (page served)"

	fmt.Fprintf(stdout, "marketplace benchmark: %d concurrent HTTP clients over loopback, %v per figure, GOMAXPROCS=%d, %d end users\n", clients, d, procs, users)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "figure\t%9s\t%9s\t%12s\n", "ops", "ops/s", "vs reference")
	for _, pair := range [][2]benchFigure{{vref, vhttp}, {jref, jhttp}, {lref, lhttp}, {nref, nhttp}} {
		for _, f := range pair {
			fmt.Fprintf(tw, "%s\t%9d\t%9.0f\t%12.2f\n", f.name, f.ops, f.rate(), f.rate()/pair[0].rate())
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "single-use jti check: over HTTP, verifications with jti run at %.2fx the rate without (a lookup); logins with jti at %.2fx (the jti recorded: a DB write)\n",
		jhttp.rate()/vhttp.rate(), lhttp.rate()/nhttp.rate())
	return nil
}
