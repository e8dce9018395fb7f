package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"fusebox/app"
)

// runMigrateToPostgres is `fusebox migrate-to-postgres --data-dir D
// --database URL [--key-dir K]`: it copies a workstation's data dir into
// an empty PostgreSQL database and prints each table's rows on both sides.
func runMigrateToPostgres(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	pos, data, err := subcommand("migrate-to-postgres", "", args, stderr, nil)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "fusebox migrate-to-postgres: unexpected argument %q\n", pos[0])
		return 2
	}
	if data.database == "" {
		fmt.Fprintln(stderr, "fusebox migrate-to-postgres: --database is required: the URL of an empty PostgreSQL database, postgres://user:password@host:port/dbname")
		return 2
	}
	dir, err := app.ResolveDataDir(data.dir)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox migrate-to-postgres:", err)
		return 1
	}
	keyDir := data.keyDir
	if keyDir != "" {
		if keyDir, err = filepath.Abs(keyDir); err != nil {
			fmt.Fprintln(stderr, "fusebox migrate-to-postgres:", err)
			return 1
		}
	}
	res, err := app.MigrateToPostgres(ctx, dir, data.database, keyDir)
	if len(res.Counts) > 0 {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "table\tdata dir\tPostgreSQL\t")
		for _, c := range res.Counts {
			mark := ""
			if c.Source != c.Target {
				mark = "  DIFFERS"
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", c.Table, c.Source, c.Target, mark)
		}
		tw.Flush()
	}
	if err != nil { // a refused target, a failed copy (nothing kept) or counts that differ
		fmt.Fprintln(stderr, "fusebox migrate-to-postgres:", err)
		return 1
	}
	fmt.Fprintf(stdout, "\nCopied %d tables of %s into PostgreSQL; every table's rows match.\n", len(res.Counts), dir)
	if keyDir != "" {
		fmt.Fprintf(stdout, "Keys: %v copied into %s. Start every replica with --key-dir %s (the same files), e.g.\n  fusebox serve --database \"$FUSEBOX_DATABASE_URL\" --key-dir %s --data-dir %s\n", res.KeyFiles, keyDir, keyDir, keyDir, dir)
	} else {
		fmt.Fprintf(stdout, "Keys: %v stay in %s. Give every replica the same ones: copy them into a key dir each replica reads (--key-dir DIR), or put their values in FUSEBOX_SESSIONS_KEY, FUSEBOX_SECRETS_KEY and FUSEBOX_ADMIN_TOKEN; a replica without them refuses to start.\n", res.KeyFiles, dir)
	}
	fmt.Fprintf(stdout, "Uploaded files: %d imports' original files are stored in PostgreSQL, where every replica reads them.\n", res.Files)
	if len(res.MissingFiles) > 0 {
		fmt.Fprintf(stdout, "Not found in %s (nothing to copy): the original files of %s.\n", filepath.Join(dir, "uploads"), strings.Join(res.MissingFiles, ", "))
	}
	return 0
}
