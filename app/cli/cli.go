// Package cli holds the fusebox commands: one file per command. Run
// dispatches one; main is the only package that imports cli. The server
// commands (serve, the desktop window) open an app.App and run one of its
// doors; the data commands open the App of a data dir, do one thing and
// close it.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// Run dispatches a command and returns the process exit code: 0 ok,
// 1 failure, 2 usage error. version is the build's version.
func Run(ctx context.Context, version string, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		return runDesktop(ctx, version, args, stdout, stderr)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, version, rest, stdout, stderr)
	case "desktop":
		return runDesktop(ctx, version, rest, stdout, stderr)
	case "apply":
		return runApply(ctx, rest, stdout, stderr)
	case "export":
		return runExport(ctx, rest, stdout, stderr)
	case "import":
		return runImport(ctx, rest, stdout, stderr)
	case "keys":
		return runKeys(ctx, rest, stdout, stderr)
	case "sessions":
		return runSessions(ctx, rest, stdout, stderr)
	case "marketplace":
		return runMarketplace(ctx, rest, stdout, stderr)
	case "backup":
		return runBackup(ctx, version, rest, stdout, stderr)
	case "restore":
		return runRestore(ctx, rest, stdout, stderr)
	case "migrate-to-postgres":
		return runMigrateToPostgres(ctx, rest, stdout, stderr)
	case "quit":
		return runQuit(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "fusebox", version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		if isFileArg(cmd) { // `fusebox data.csv`: the window imports it
			return runDesktop(ctx, version, args, stdout, stderr)
		}
		fmt.Fprintf(stderr, "fusebox: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// isFileArg reports whether a is an existing file's path (a file to
// import given to the window, e.g. from a file manager's "Open with").
func isFileArg(a string) bool {
	if !strings.ContainsAny(a, "./\\") {
		return false
	}
	st, err := os.Stat(a)
	return err == nil && st.Mode().IsRegular()
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

const usage = `Usage: fusebox [command] [flags]
       fusebox [flags] [FILE]   the desktop window; FILE is imported in its console

Commands:
  (none)     open the desktop window (falls back to serve without a display)
  serve      run the server headless and print its URLs
  apply      apply a workspace file (YAML or JSON) to the data dir
  export     print the workspace as YAML that apply accepts back
  import     import one file with an importer (parse, map, validate, submit)
  keys       API keys for host apps (keys create|list|deactivate)
  sessions   importer sessions (sessions create|list|revoke)
  marketplace  marketplace API secrets (marketplace secrets create|list|deactivate)
  backup     write a backup archive of the data dir, also while the server runs
             (fusebox backup --data-dir DIR OUT.tar.gz)
  restore    restore a backup archive into a new, empty data dir
             (fusebox restore OUT.tar.gz --data-dir NEWDIR)
  migrate-to-postgres  copy a data dir into an empty PostgreSQL database for a team server
             (fusebox migrate-to-postgres --data-dir DIR --database URL [--key-dir KEYDIR])
  quit       stop the desktop app running for a data dir (also when its window is closed)
  version    print the version
  help       show this help

Common flags:
  --data-dir DIR   where Fusebox keeps its database and uploads
                   (default $FUSEBOX_DATA_DIR, else the user config dir + /fusebox)
  --database URL   a team server's PostgreSQL, postgres://… (default $FUSEBOX_DATABASE_URL)
  --key-dir DIR    where sessions.key, secrets.key and admin.token are
                   (default $FUSEBOX_KEY_DIR, else the data dir)
  --open ROUTE     desktop window: the console page to open at, e.g. importers/contacts/try

Run 'fusebox COMMAND -h' for a command's flags. The benchmarks are a
separate command, fusebox-bench (make bench).
`
