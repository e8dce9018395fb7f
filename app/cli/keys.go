package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"fusebox/backend/sessions"
)

const keysUsage = `Usage: fusebox keys COMMAND [flags]

Commands:
  create      create an API key; the key is printed once, alone on the last line
              --name NAME --kind secret|publishable [--importers a,b] [--origins URL,...]
  list        list keys (prefix, kind, status, last use; never the keys)
  deactivate  deactivate a key by id: requests with it get 401 from now on

Common flags:
  --data-dir DIR   the data dir (default $FUSEBOX_DATA_DIR, else the user config dir + /fusebox)
  --database URL   a team server's PostgreSQL (default $FUSEBOX_DATABASE_URL)
  --key-dir DIR    the key files (default $FUSEBOX_KEY_DIR, else the data dir)

Secret keys (fbx_sk_…) are for host app backends. Publishable keys (fbx_pk_…)
only create importer sessions, from browser pages on their --origins, for their
--importers ("*" for all); use them for trusted internal tools and testing.
`

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || isHelp(args[0]) || args[0] == "help" {
		fmt.Fprint(stdout, keysUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "create":
		return runKeysCreate(ctx, args[1:], stdout, stderr)
	case "list":
		return runKeysList(ctx, args[1:], stdout, stderr)
	case "deactivate":
		return runKeysDeactivate(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "fusebox keys: unknown command %q\n\n%s", args[0], keysUsage)
		return 2
	}
}

func runKeysCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var name, kind string
	var importers, origins listFlag
	pos, dataDir, err := subcommand("keys create", "", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "what the key is for, e.g. \"billing backend\" (required)")
		fs.StringVar(&kind, "kind", "secret", "secret (server side) or publishable (browser, client-side sessions)")
		fs.Var(&importers, "importers", "publishable keys: importer slugs the key may create sessions for, comma-separated (\"*\" for all)")
		fs.Var(&origins, "origins", "publishable keys: browser origins the key may be used from, comma-separated (http://localhost:* for any port on loopback)")
	})
	if err != nil {
		return usageExit(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "fusebox keys create: unexpected argument %q (give the name with --name)\n", pos[0])
		return 2
	}
	if strings.TrimSpace(name) == "" {
		fmt.Fprintln(stderr, "fusebox keys create: --name is required")
		return 2
	}
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox keys create:", err)
		return 1
	}
	defer a.Close()
	k, err := a.Sessions.CreateKey(ctx, sessions.NewKey{Name: name, Kind: sessions.Kind(kind), Importers: importers, Origins: origins})
	if err != nil {
		return cliError(stderr, "keys create", err)
	}
	fmt.Fprintf(stdout, "Created %s key %s %q (%s…).\n", k.Kind, k.ID, k.Name, k.Prefix)
	if k.Kind == sessions.KindPublishable {
		fmt.Fprintf(stdout, "Importers: %s\nOrigins:   %s\n", strings.Join(k.Importers, ", "), strings.Join(k.Origins, ", "))
	}
	fmt.Fprintln(stdout, "This is the only time the key is shown; store it now:")
	fmt.Fprintln(stdout, k.Secret)
	return 0
}

func runKeysList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var asJSON bool
	pos, dataDir, err := subcommand("keys list", "", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	})
	if err != nil {
		return usageExit(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "fusebox keys list: unexpected argument %q\n", pos[0])
		return 2
	}
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox keys list:", err)
		return 1
	}
	defer a.Close()
	keys, err := a.Sessions.ListKeys(ctx)
	if err != nil {
		return cliError(stderr, "keys list", err)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(keys)
		return 0
	}
	if len(keys) == 0 {
		fmt.Fprintln(stdout, "No API keys. Create one with: fusebox keys create --name NAME --kind secret")
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tPREFIX\tSTATUS\tLAST USED\tCREATED\tIMPORTERS / ORIGINS")
	for _, k := range keys {
		status := "active"
		if !k.Active {
			status = "deactivated"
		}
		scope := "all importers, servers only"
		if k.Kind == sessions.KindPublishable {
			scope = strings.Join(k.Importers, ",") + " / " + strings.Join(k.Origins, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Kind, k.Prefix, status, cliTime(k.LastUsedAt), cliTime(k.CreatedAt), scope)
	}
	_ = tw.Flush()
	return 0
}

func runKeysDeactivate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	pos, dataDir, err := subcommand("keys deactivate", "ID", args, stderr, nil)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "fusebox keys deactivate: give exactly one key id (see fusebox keys list)")
		return 2
	}
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox keys deactivate:", err)
		return 1
	}
	defer a.Close()
	k, err := a.Sessions.DeactivateKey(ctx, pos[0])
	if err != nil {
		return cliError(stderr, "keys deactivate", err)
	}
	fmt.Fprintf(stdout, "Deactivated %s key %s %q (%s…); requests with it now get 401.\n", k.Kind, k.ID, k.Name, k.Prefix)
	return 0
}
