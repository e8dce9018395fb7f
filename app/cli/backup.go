package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"fusebox/app"
)

// runBackup writes a backup archive of a data dir while the server may be
// running: fusebox backup [--data-dir D] OUT.tar.gz.
func runBackup(ctx context.Context, version string, args []string, stdout, stderr io.Writer) int {
	pos, dataDir, err := subcommand("backup", "OUT.tar.gz", args, stderr, nil)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "fusebox backup: give exactly one output file, e.g. fusebox backup --data-dir DIR fusebox-backup.tar.gz")
		return 2
	}
	if dataDir.database != "" {
		fmt.Fprintln(stderr, "fusebox backup: the data is in PostgreSQL (--database or FUSEBOX_DATABASE_URL); back it up with pg_dump (or your PostgreSQL backups) and keep the data dir's key files with it")
		return 1
	}
	dir, err := app.ResolveDataDir(dataDir.dir)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox backup:", err)
		return 1
	}
	info, err := app.Backup(ctx, version, dir, pos[0])
	if err != nil {
		fmt.Fprintln(stderr, "fusebox backup:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Backed up %s (schema version %d, %d files) to %s\n%d bytes, sha256 %s\n",
		dir, info.SchemaVersion, info.Files, info.Path, info.SizeBytes, info.SHA256)
	if k := app.KeysFromEnv(dataDir.keyDir, os.Getenv); k.Dir != "" || k.SessionsKey != "" || k.SecretsKey != "" {
		fmt.Fprintln(stderr, "fusebox backup: the archive holds the key files in the data dir only; the keys given by --key-dir, $FUSEBOX_KEY_DIR or $FUSEBOX_*_KEY are not in it: keep them with it")
	}
	return 0
}

// runRestore restores a backup archive into a new data dir:
// fusebox restore ARCHIVE --data-dir NEW.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	pos, dataDir, err := subcommand("restore", "ARCHIVE.tar.gz", args, stderr, nil)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "fusebox restore: give exactly one backup archive, e.g. fusebox restore fusebox-backup.tar.gz --data-dir NEWDIR")
		return 2
	}
	if strings.TrimSpace(dataDir.dir) == "" {
		fmt.Fprintln(stderr, "fusebox restore: --data-dir is required: the new (absent or empty) directory to restore into")
		return 2
	}
	if dataDir.database != "" {
		fmt.Fprintln(stderr, "fusebox restore: a backup archive restores a SQLite data dir, not PostgreSQL (--database or FUSEBOX_DATABASE_URL is set); restore PostgreSQL with its own tools (pg_restore)")
		return 2
	}
	m, err := app.Restore(ctx, pos[0], dataDir.dir)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox restore:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Restored %d files (backup of %s, schema version %d, Fusebox %s) into %s\nStart it with: fusebox serve --data-dir %s\n",
		len(m.Files), m.CreatedAt, m.SchemaVersion, m.Version, dataDir.dir, dataDir.dir)
	return 0
}
