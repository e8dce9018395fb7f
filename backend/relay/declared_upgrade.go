package relay

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"fusebox/backend/store"
)

// Upgrading a data dir made before secrets had to be declared. Its
// destinations read environment variables with no secrets: list stored,
// so every one of their secrets would now read as undeclared and their
// deliveries would fail. Store migration 0006 marks such a data dir
// (destinations stored, relay.secrets never written) with
// upgradeKey = "pending"; the first relay built over it declares exactly
// the names the stored destinations read, records that it did, and logs
// one line naming them. A new data dir is never marked, so there an
// undeclared name stays refused, and so does a file applied later
// without a secrets: list.

// upgradeKey is the settings row of the one-time upgrade: "pending" (set
// by the migration), then "done: NAME, ..." once the relay has run it.
const upgradeKey = "relay.secrets_upgrade"

// upgradeTimeout bounds the upgrade, which New runs without a context of
// its own.
const upgradeTimeout = 30 * time.Second

// upgradeDeclared runs the pending upgrade, if any. A failure is logged
// and leaves the mark pending, so the next start tries again; meanwhile
// the names stay undeclared (the lookup fails closed).
func (s *Service) upgradeDeclared() {
	ctx, cancel := context.WithTimeout(context.Background(), upgradeTimeout)
	defer cancel()
	v, ok, err := s.db.Setting(ctx, upgradeKey)
	if err != nil {
		s.log.Error("relay: read the declared-secrets upgrade mark; will retry at the next start", "err", err)
		return
	}
	if !ok || v != "pending" {
		return
	}
	var added []string
	ran := false
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		// Again inside the transaction: another process on the same data
		// dir (a CLI command beside serve) may have just run it.
		var mark string
		if err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, upgradeKey).Scan(&mark); err != nil || mark != "pending" {
			if errors.Is(err, sql.ErrNoRows) {
				err = nil
			}
			return err
		}
		ran = true
		var err error
		added, err = declareInUseTx(ctx, tx)
		if err != nil {
			return err
		}
		tx.AfterCommit(s.forgetDeclared)
		return store.SetSetting(ctx, tx, upgradeKey, "done: "+strings.Join(added, ", "))
	})
	if err != nil {
		s.log.Error("relay: declare the secrets stored destinations read; will retry at the next start", "err", err)
		return
	}
	if !ran {
		return
	}
	if len(added) == 0 {
		s.log.Info("relay: upgraded a data dir from before declared secrets; its destinations read no environment secrets, none declared")
		return
	}
	s.log.Info("relay: upgraded a data dir from before declared secrets; declared the secrets its destinations already read (list them under secrets: in your workspace file)",
		"secrets", strings.Join(added, ", "))
}

// declareInUseTx adds to the declared list every environment secret a
// stored destination reads, and returns the names it added, sorted.
func declareInUseTx(ctx context.Context, tx *store.Tx) ([]string, error) {
	declared := []string{}
	var raw string
	err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, declaredKey).Scan(&raw)
	switch {
	case err == nil:
		if raw != "" {
			if err := json.Unmarshal([]byte(raw), &declared); err != nil {
				return nil, fmt.Errorf("decode declared secrets: %w", err)
			}
		}
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("read declared secrets: %w", err)
	}
	have := map[string]bool{}
	for _, n := range declared {
		have[n] = true
	}

	rows, err := tx.QueryContext(ctx, `SELECT id, spec FROM relay_destinations ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read destinations: %w", err)
	}
	defer rows.Close()
	var added []string
	for rows.Next() {
		var id, spec string
		if err := rows.Scan(&id, &spec); err != nil {
			return nil, fmt.Errorf("read destinations: %w", err)
		}
		var d Destination
		if err := json.Unmarshal([]byte(spec), &d); err != nil {
			return nil, fmt.Errorf("destination %s: decode spec: %w", id, err)
		}
		for _, r := range d.secretRefs() {
			// A name that is not an environment variable name could
			// not be declared (and no file could declare it either).
			if have[r.name] || !envPattern.MatchString(r.name) {
				continue
			}
			have[r.name] = true
			added = append(added, r.name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read destinations: %w", err)
	}
	rows.Close()
	sort.Strings(added)
	if len(added) == 0 {
		return nil, nil
	}
	all := append(declared, added...)
	sort.Strings(all)
	if err := setDeclaredTx(ctx, tx, all); err != nil {
		return nil, err
	}
	return added, nil
}
