package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"fusebox/backend/store"
)

// BackupInfo describes a backup archive written by Backup.
type BackupInfo = store.BackupInfo

// Backup writes a backup archive of dataDir to out: a consistent snapshot
// of the database taken while a server may be running and writing, the
// key files, admin.token and the uploads (see store.WriteBackup). It then
// records the backup as the data dir's last one (the console's Settings).
func Backup(ctx context.Context, version, dataDir, out string) (BackupInfo, error) {
	db := filepath.Join(dataDir, store.DBFile)
	if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
		return BackupInfo{}, fmt.Errorf("backup: no database at %s: is the data dir right? (--data-dir or $FUSEBOX_DATA_DIR)", db)
	}
	info, err := store.WriteBackupFile(ctx, version, dataDir, out)
	if err != nil {
		return info, err
	}
	if err := store.RecordLastBackup(ctx, db, info); err != nil {
		return info, err
	}
	return info, nil
}

// Restore restores the backup archive into dataDir, which must be absent
// or empty; it checks the archive whole before it returns (see
// store.RestoreBackup). The restored data dir opens like any other: the
// first start migrates it when the backup came from an older version.
func Restore(ctx context.Context, archive, dataDir string) (store.Manifest, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return store.Manifest{}, fmt.Errorf("restore into %s: %w", dataDir, err)
	}
	return store.RestoreBackup(ctx, archive, abs)
}
