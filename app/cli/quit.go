package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"fusebox/app"
)

// runQuit is `fusebox quit`: it stops the desktop window running for a
// data dir (also one whose window is closed and keeps serving), through
// the window's loopback control channel with the data dir's admin token.
func runQuit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("quit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "", "data directory (default $FUSEBOX_DATA_DIR, else the user config dir + /fusebox)")
	wait := fs.Duration("timeout", 30*time.Second, "how long to wait for the app to stop")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fusebox quit [--data-dir DIR]\n\nStops the Fusebox desktop app running for the data dir (its window may be closed\nwhile it keeps serving host apps). `fusebox serve` stops with Ctrl+C or SIGTERM.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fusebox quit: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	dir, err := app.ResolveDataDir(*dataDir)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox quit:", err)
		return 1
	}
	qctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	pid, err := app.QuitInstance(qctx, dir)
	if errors.Is(err, app.ErrNoInstance) {
		fmt.Fprintf(stderr, "fusebox quit: no Fusebox window is running for %s\n", dir)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "fusebox quit:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Stopped Fusebox (process %d) for %s\n", pid, dir)
	return 0
}
