package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"fusebox/backend/sessions"
)

const sessionsUsage = `Usage: fusebox sessions COMMAND [flags]

Commands:
  create   issue an importer session; the token is printed alone on the last line
           --importer SLUG [--metadata JSON]
  list     list sessions [--status active|expired|revoked] [--importer SLUG]
  revoke   revoke a session by id: its token stops working at once

Common flags:
  --data-dir DIR   the data dir (default $FUSEBOX_DATA_DIR, else the user config dir + /fusebox)
  --database URL   a team server's PostgreSQL (default $FUSEBOX_DATABASE_URL)
  --key-dir DIR    the key files (default $FUSEBOX_KEY_DIR, else the data dir)

Host apps create sessions over HTTP (POST /api/v1/importer/sessions with a
secret key); this command is for scripts and trying an importer.
`

func runSessions(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || isHelp(args[0]) || args[0] == "help" {
		fmt.Fprint(stdout, sessionsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "create":
		return runSessionsCreate(ctx, args[1:], stdout, stderr)
	case "list":
		return runSessionsList(ctx, args[1:], stdout, stderr)
	case "revoke":
		return runSessionsRevoke(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "fusebox sessions: unknown command %q\n\n%s", args[0], sessionsUsage)
		return 2
	}
}

func runSessionsCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var slug, metadata string
	pos, dataDir, err := subcommand("sessions create", "", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&slug, "importer", "", "slug of the importer the session is for (required)")
		fs.StringVar(&metadata, "metadata", "", `JSON object attached to the session's imports, e.g. '{"user_id": 123}'`)
	})
	if err != nil {
		return usageExit(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "fusebox sessions create: unexpected argument %q\n", pos[0])
		return 2
	}
	if slug == "" {
		fmt.Fprintln(stderr, "fusebox sessions create: --importer is required")
		return 2
	}
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox sessions create:", err)
		return 1
	}
	defer a.Close()
	iss, err := a.Sessions.Issue(ctx, sessions.IssueParams{ImporterSlug: slug, Metadata: json.RawMessage(metadata)})
	if err != nil {
		return cliError(stderr, "sessions create", err)
	}
	fmt.Fprintf(stdout, "Created session %s for importer %s, valid until %s.\n", iss.ID, slug, iss.ExpiresAt.Local().Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintln(stdout, iss.Token)
	return 0
}

func runSessionsList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f sessions.SessionFilter
	var asJSON bool
	pos, dataDir, err := subcommand("sessions list", "", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&f.Status, "status", "", "only active, expired or revoked sessions")
		fs.StringVar(&f.ImporterSlug, "importer", "", "only sessions of this importer")
		fs.IntVar(&f.Page, "page", 1, "page (1-based)")
		fs.IntVar(&f.PerPage, "per-page", 50, "sessions per page (at most 100)")
		fs.BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	})
	if err != nil {
		return usageExit(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "fusebox sessions list: unexpected argument %q\n", pos[0])
		return 2
	}
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox sessions list:", err)
		return 1
	}
	defer a.Close()
	list, total, err := a.Sessions.ListSessions(ctx, f)
	if err != nil {
		return cliError(stderr, "sessions list", err)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"data": list, "total_count": total})
		return 0
	}
	if total == 0 {
		fmt.Fprintln(stdout, "No sessions.")
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tIMPORTER\tSTATUS\tCREATED\tEXPIRES\tKEY\tORIGIN\tMETADATA")
	for _, s := range list {
		md, _ := json.Marshal(s.Metadata)
		key := s.KeyID
		if key == "" {
			key = "console/CLI"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.ImporterSlug, s.Status, cliTime(s.CreatedAt), cliTime(s.ExpiresAt), key, s.Origin, md)
	}
	_ = tw.Flush()
	if total > len(list) {
		fmt.Fprintf(stdout, "(%d of %d; see --page)\n", len(list), total)
	}
	return 0
}

func runSessionsRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	pos, dataDir, err := subcommand("sessions revoke", "ID", args, stderr, nil)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "fusebox sessions revoke: give exactly one session id (see fusebox sessions list)")
		return 2
	}
	a, err := openApp(ctx, dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox sessions revoke:", err)
		return 1
	}
	defer a.Close()
	s, err := a.Sessions.Revoke(ctx, pos[0])
	if err != nil {
		return cliError(stderr, "sessions revoke", err)
	}
	fmt.Fprintf(stdout, "Revoked session %s (importer %s); its token no longer works.\n", s.ID, s.ImporterSlug)
	return 0
}
