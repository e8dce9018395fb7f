// Command fusebox-bench runs the Fusebox benchmarks (`make bench`). Each
// prints its figures next to a reference measured in the same run, and
// "NOT met" beside a target it misses. It is a separate command so the
// product binary carries no benchmark code.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if code, ran := runChildIfAsked(); ran {
		os.Exit(code)
	}
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `Usage: fusebox-bench BENCHMARK [flags]

Benchmarks (each prints its figures next to a reference measured in the same run):
  ingest       1M-row CSV vs sqlite3 .import: parse + validate + stage, the whole job from
               upload to review-ready (in process and over HTTP), review (in process and
               over HTTP), replace, submit
  xlsx         the same data as XLSX and as CSV imported (own processes: time and peak RSS),
               and the XLSX parsed by Fusebox and by SheetJS under node; exit 3 on a missed target
  sessions     importer sessions issued and tokens verified per second over loopback HTTP
  marketplace  signed-link verifications and logins per second over loopback HTTP, with
               and without a jti (the single-use check)
  relay        records delivered per second (batch 1000 and batch 0), submit-to-last-delivery
  dashboard    the console dashboard's charts over 1M delivered records and 10,000 imports
  team         sessions issued/s, relay records/s (batch 1000) and rows staged/s on one
               replica on SQLite, one on PostgreSQL and two sharing one PostgreSQL
               (--database URL: a server to create its databases on)
  hooks        1M rows staged without hooks, with a JS row hook and with a server callback
               to a loopback endpoint (batch 1000): ratios, targets 2x and 3x; a re-import
               through match_on against 1M earlier records (matching adds <= 5s, first page
               of updated rows <= 300ms); exit 3 on a miss

A missed target prints "NOT met"; the exit code is 1 only when a benchmark
fails to run. Run 'fusebox-bench BENCHMARK -h' for its flags.
`

// run dispatches one benchmark and returns the exit code: 0 ok, 1 the
// benchmark failed, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "ingest":
		return runBenchIngest(ctx, args[1:], stdout, stderr)
	case "xlsx":
		return runBenchXLSX(ctx, args[1:], stdout, stderr)
	case "sessions":
		return runBenchSessions(ctx, args[1:], stdout, stderr)
	case "marketplace":
		return runBenchMarketplace(ctx, args[1:], stdout, stderr)
	case "relay":
		return runBenchRelay(ctx, args[1:], stdout, stderr)
	case "dashboard":
		return runBenchDashboard(ctx, args[1:], stdout, stderr)
	case "team":
		return runBenchTeam(ctx, args[1:], stdout, stderr)
	case "hooks":
		return runBenchHooks(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "fusebox-bench: unknown benchmark %q\n\n%s", args[0], usage)
	return 2
}
