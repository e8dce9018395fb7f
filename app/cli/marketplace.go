package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
)

const marketplaceUsage = `Usage: fusebox marketplace secrets <create|list|deactivate> [flags]

  secrets create [--label L]   create an API secret for signing marketplace links;
                               the last line printed is "<id> <secret>" (shown once)
  secrets list                 list secrets (never the secret itself)
  secrets deactivate ID        stop a secret from verifying links, for good

Every subcommand takes --data-dir DIR, --database URL and --key-dir DIR.
`

// runMarketplace is `fusebox marketplace ...`.
func runMarketplace(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "secrets" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprint(stdout, marketplaceUsage)
			return 0
		}
		fmt.Fprint(stderr, marketplaceUsage)
		return 2
	}
	switch args[1] {
	case "create":
		return runSecretsCreate(ctx, args[2:], stdout, stderr)
	case "list":
		return runSecretsList(ctx, args[2:], stdout, stderr)
	case "deactivate":
		return runSecretsDeactivate(ctx, args[2:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "fusebox marketplace secrets: unknown subcommand %q\n\n%s", args[1], marketplaceUsage)
		return 2
	}
}

func runSecretsCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var label *string
	fs, dataDir, err := cliFlags("marketplace secrets create", "", args, stderr, func(fs *flag.FlagSet) {
		label = fs.String("label", "", "a note to tell secrets apart (e.g. production)")
	})
	if err != nil {
		return usageExit(err)
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "fusebox marketplace secrets create: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox marketplace secrets create:", err)
		return 1
	}
	defer a.Close()
	ns, err := a.Marketplace.CreateSecret(ctx, *label)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox marketplace secrets create:", err)
		return 1
	}
	st, err := a.Marketplace.Settings(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox marketplace secrets create:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Created marketplace API secret %s. It is shown only now: store it in your app's backend config.\n", ns.ID)
	fmt.Fprintf(stdout, "Sign tokens with HS256, claim orgId %q (header kid %q is optional).\n", st.OrgID, ns.ID)
	fmt.Fprintf(stdout, "%s %s\n", ns.ID, ns.Value)
	return 0
}

func runSecretsList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dataDir, err := cliFlags("marketplace secrets list", "", args, stderr, nil)
	if err != nil {
		return usageExit(err)
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "fusebox marketplace secrets list: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox marketplace secrets list:", err)
		return 1
	}
	defer a.Close()
	list, err := a.Marketplace.Secrets(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox marketplace secrets list:", err)
		return 1
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no marketplace secrets; create one with `fusebox marketplace secrets create`")
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLABEL\tENDS WITH\tSTATUS\tCREATED\tLAST USED")
	for _, s := range list {
		status := "active"
		if !s.Active {
			status = "deactivated " + s.DeactivatedAt
		}
		last := s.LastUsedAt
		if last == "" {
			last = "never"
		}
		fmt.Fprintf(tw, "%s\t%s\t…%s\t%s\t%s\t%s\n", s.ID, dash(s.Label), s.Hint, status, s.CreatedAt, last)
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runSecretsDeactivate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dataDir, err := cliFlags("marketplace secrets deactivate", "ID", args, stderr, nil)
	if err != nil {
		return usageExit(err)
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "fusebox marketplace secrets deactivate: expected exactly one secret id")
		fs.Usage()
		return 2
	}
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox marketplace secrets deactivate:", err)
		return 1
	}
	defer a.Close()
	sec, err := a.Marketplace.DeactivateSecret(ctx, fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "fusebox marketplace secrets deactivate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "deactivated %s at %s\n", sec.ID, sec.DeactivatedAt)
	return 0
}
