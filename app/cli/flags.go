package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"fusebox/app"
	"fusebox/backend/errs"
)

// dataDirUsage is the help of every command's --data-dir flag.
const dataDirUsage = "data directory (default $FUSEBOX_DATA_DIR, else the user config dir + /fusebox)"

// databaseUsage is the help of every command's --database flag.
const databaseUsage = "PostgreSQL database shared by a team's replicas, postgres://user:password@host:port/dbname (default $FUSEBOX_DATABASE_URL; unset: SQLite in the data dir)"

// keyDirUsage is the help of every command's --key-dir flag.
const keyDirUsage = "directory holding the key files sessions.key, secrets.key and admin.token, the same for every replica of a team server (default $FUSEBOX_KEY_DIR, else the data dir); $FUSEBOX_SESSIONS_KEY, $FUSEBOX_SECRETS_KEY and $FUSEBOX_ADMIN_TOKEN give them as values instead"

// dataFlags are the flags every data command shares: where the data dir
// is, where the key files are and, for a team server, the PostgreSQL
// database that holds the data instead of the data dir's SQLite file.
type dataFlags struct {
	dir      string
	database string
	keyDir   string
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.dir, "data-dir", "", dataDirUsage)
	fs.StringVar(&d.database, "database", os.Getenv("FUSEBOX_DATABASE_URL"), databaseUsage)
	fs.StringVar(&d.keyDir, "key-dir", os.Getenv(app.EnvKeyDir), keyDirUsage)
}

// cliFlags parses the flags every data command shares (--data-dir) plus
// the ones setup adds. The error is flag.ErrHelp after -h, else a usage
// error the flag package has printed (see usageExit).
func cliFlags(name, argsUsage string, args []string, stderr io.Writer, setup func(*flag.FlagSet)) (*flag.FlagSet, dataFlags, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var data dataFlags
	data.register(fs)
	if setup != nil {
		setup(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fusebox %s [flags] %s\n\nFlags:\n", name, argsUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return fs, data, err
	}
	return fs, data, nil
}

// subcommand parses a keys/sessions subcommand's flags, which may come
// before or after its positional arguments, and returns the positional
// arguments. Errors as cliFlags.
func subcommand(name, argsUsage string, args []string, stderr io.Writer, setup func(*flag.FlagSet)) (pos []string, data dataFlags, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data.register(fs)
	if setup != nil {
		setup(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fusebox %s [flags] %s\n\nFlags:\n", name, argsUsage)
		fs.PrintDefaults()
	}
	pos, err = parseInterspersed(fs, args)
	if err != nil {
		return nil, data, err
	}
	return pos, data, nil
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("deactivate ID --data-dir D" and "deactivate
// --data-dir D ID" both work) and returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// listFlag is a flag that takes comma-separated values and may repeat.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// openApp opens the App of a data dir for a one-shot data command. Logs
// go to stderr at warn level so stdout stays clean for scripts. These
// commands never listen or deliver, so they need no version and no
// server configuration.
func openApp(ctx context.Context, data dataFlags, stderr io.Writer) (*app.App, error) {
	dir, err := app.ResolveDataDir(data.dir)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return app.New(ctx, app.Config{DataDir: dir, DatabaseURL: data.database, Keys: app.KeysFromEnv(data.keyDir, os.Getenv), Logger: log})
}

// cliError prints err for a subcommand: the message of a domain error,
// else the whole error.
func cliError(stderr io.Writer, name string, err error) int {
	msg := err.Error()
	if code := errs.Code(err); code != errs.EINTERNAL {
		msg = errs.Message(err)
	}
	fmt.Fprintf(stderr, "fusebox %s: %s\n", name, msg)
	return 1
}

func cliTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
