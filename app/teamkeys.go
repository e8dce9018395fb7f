package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"

	"fusebox/backend/store"
)

// checkSharedKeys makes sure that servers sharing one PostgreSQL database
// seal with the same key files. The first server to start records each key
// file's check value (keyring.CheckValue) in the settings; a server whose
// key file has another value is refused, also while nothing is sealed
// under it yet, instead of sealing under a key the others cannot open.
// SQLite data dirs need no such check: their key files sit beside their
// database.
func (a *App) checkSharedKeys(ctx context.Context) error {
	if a.db.Engine() != store.Postgres {
		return nil
	}
	for _, k := range []struct {
		file  string
		check func(context.Context) (string, error)
	}{
		{"sessions.key", a.Sessions.KeyCheck},
		{"secrets.key", a.Marketplace.KeyCheck},
	} {
		value, err := k.check(ctx)
		if err != nil {
			return err
		}
		key := "keys." + k.file + ".check"
		err = a.db.Tx(ctx, func(tx *store.Tx) error {
			var stored string
			err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&stored)
			if err == nil {
				if stored != value {
					return fmt.Errorf("the key file %s does not match the one the servers sharing database %s use: copy %s from the server that made it (the first to start) into %s, then start again",
						filepath.Join(a.dataDir, k.file), a.db.Path, k.file, a.dataDir)
				}
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("read %s: %w", key, err)
			}
			return store.SetSetting(ctx, tx, key, value)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
