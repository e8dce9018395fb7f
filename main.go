// Command fusebox runs Fusebox: a local, offline data importer, session
// issuer, integrations marketplace and relay in one binary. With no
// subcommand it opens the desktop window; `fusebox serve` runs the same
// server headless. main is the one place that wires the parts together.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the process exit code: 0 ok,
// 1 failure, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		return runDesktop(ctx, args, stdout, stderr)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "desktop":
		return runDesktop(ctx, rest, stdout, stderr)
	case "apply":
		return runApply(ctx, rest, stdout, stderr)
	case "export":
		return runExport(ctx, rest, stdout, stderr)
	case "import":
		return runImport(ctx, rest, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, stdout, stderr)
	case "keys":
		return runKeys(ctx, rest, stdout, stderr)
	case "sessions":
		return runSessions(ctx, rest, stdout, stderr)
	case "marketplace":
		return runMarketplace(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "fusebox", version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "fusebox: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

const usage = `Usage: fusebox [command] [flags]

Commands:
  (none)     open the desktop window (falls back to serve without a display)
  serve      run the server headless and print its URLs
  apply      apply a workspace file (YAML or JSON) to the data dir
  export     print the workspace as YAML that apply accepts back
  import     import one file with an importer (parse, map, validate, submit)
  bench      run a benchmark (bench ingest --rows N, bench sessions, bench marketplace)
  keys       API keys for host apps (keys create|list|deactivate)
  sessions   importer sessions (sessions create|list|revoke)
  marketplace  marketplace API secrets (marketplace secrets create|list|deactivate)
  version    print the version
  help       show this help

Common flags:
  --data-dir DIR   where Fusebox keeps its database and uploads
                   (default $FUSEBOX_DATA_DIR, else the user config dir + /fusebox)
  --open ROUTE     desktop window: the console page to open at, e.g. importers/contacts/try

Run 'fusebox COMMAND -h' for a command's flags.
`
