package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// cliFlags parses the flags every data subcommand shares (--data-dir) plus
// the ones setup adds; it returns -1 to go on, else the exit code.
func cliFlags(name, argsUsage string, args []string, stderr io.Writer, setup func(*flag.FlagSet)) (*flag.FlagSet, string, int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "", "data directory (default $FUSEBOX_DATA_DIR, else the user config dir + /fusebox)")
	if setup != nil {
		setup(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fusebox %s [flags] %s\n\nFlags:\n", name, argsUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return fs, "", 0
		}
		return fs, "", 2
	}
	return fs, *dataDir, -1
}

// openCLI wires the parts of a data dir for a one-shot subcommand. Logs go
// to stderr at warn level so stdout stays clean for scripts.
func openCLI(ctx context.Context, dataDir string, stderr io.Writer) (*parts, error) {
	dir, err := resolveDataDir(dataDir)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return wire(ctx, dir, log)
}

func runApply(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dataDir, code := cliFlags("apply", "FILE", args, stderr, nil)
	if code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "fusebox apply: expected exactly one workspace file (YAML or JSON)")
		fs.Usage()
		return 2
	}
	name := fs.Arg(0)
	data, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox apply:", err)
		return 1
	}
	p, err := openCLI(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox apply:", err)
		return 1
	}
	defer p.close()
	changes, err := p.workspace.Apply(ctx, data, name)
	for _, c := range changes {
		fmt.Fprintln(stdout, c)
	}
	if err != nil {
		fmt.Fprintln(stderr, "fusebox apply:", err)
		return 1
	}
	if len(changes) == 0 {
		fmt.Fprintln(stdout, "no changes")
	}
	return 0
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dataDir, code := cliFlags("export", "", args, stderr, nil)
	if code >= 0 {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "fusebox export: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	p, err := openCLI(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox export:", err)
		return 1
	}
	defer p.close()
	out, err := p.workspace.Export(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox export:", err)
		return 1
	}
	_, _ = stdout.Write(out)
	return 0
}
