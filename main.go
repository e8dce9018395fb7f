// Command fusebox runs Fusebox: a local, offline data importer, session
// issuer, integrations marketplace and relay in one binary. With no
// command it opens the desktop window; `fusebox serve` runs the same
// server headless. The commands live in app/cli and the wiring in app;
// main stays at the module root because Wails builds it from there.
package main

import (
	"context"
	"os"

	"fusebox/app/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	attachConsole()
	os.Exit(cli.Run(context.Background(), version, os.Args[1:], os.Stdout, os.Stderr))
}
