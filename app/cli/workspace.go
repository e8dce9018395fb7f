package cli

import (
	"context"
	"fmt"
	"io"
	"os"
)

func runApply(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dataDir, err := cliFlags("apply", "FILE", args, stderr, nil)
	if err != nil {
		return usageExit(err)
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
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox apply:", err)
		return 1
	}
	defer a.Close()
	changes, err := a.Workspace.Apply(ctx, data, name)
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
	fs, dataDir, err := cliFlags("export", "", args, stderr, nil)
	if err != nil {
		return usageExit(err)
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "fusebox export: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox export:", err)
		return 1
	}
	defer a.Close()
	out, err := a.Workspace.Export(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox export:", err)
		return 1
	}
	_, _ = stdout.Write(out)
	return 0
}
