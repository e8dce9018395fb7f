package marketplace

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// Secret is an API secret as lists show it: never the secret itself.
type Secret struct {
	ID            string `json:"id"`
	Label         string `json:"label"`
	Hint          string `json:"hint"` // the last 4 characters
	Active        bool   `json:"active"`
	CreatedAt     string `json:"created_at"`
	LastUsedAt    string `json:"last_used_at"`
	DeactivatedAt string `json:"deactivated_at"`
}

// NewSecret is a secret just created: the only time Value is available.
type NewSecret struct {
	Secret
	Value string `json:"secret"`
}

// key is an active secret, opened, for signing and verifying.
type key struct {
	id     string
	secret []byte
}

const secretPrefix = "fbms_"

// CreateSecret makes a new API secret: "fbms_" + 32 random bytes
// (base64url). It is sealed before it is stored; the caller shows Value
// once.
func (s *Service) CreateSecret(ctx context.Context, label string) (NewSecret, error) {
	label = strings.TrimSpace(label)
	if len(label) > 100 {
		return NewSecret{}, errs.Invalid("label: longer than 100 characters")
	}
	value, sec, sealed, err := s.newSecret(ctx, label)
	if err != nil {
		return NewSecret{}, err
	}
	_, err = s.db.Write.ExecContext(ctx, `INSERT INTO marketplace_secrets (id, label, sealed, hint, created_at) VALUES (?, ?, ?, ?, ?)`,
		sec.ID, label, sealed, sec.Hint, sec.CreatedAt)
	if err != nil {
		return NewSecret{}, fmt.Errorf("store secret: %w", err)
	}
	return NewSecret{Secret: sec, Value: value}, nil
}

// newSecret generates a secret and seals it, without storing it.
func (s *Service) newSecret(ctx context.Context, label string) (value string, sec Secret, sealed string, err error) {
	value = secretPrefix + base64.RawURLEncoding.EncodeToString(ids.Bytes(32))
	// sec_ and 16 hex digits: `fusebox marketplace secrets create` prints
	// it and scripts match that form.
	id := ids.Hex("sec_", 8)
	sealed, err = s.seal.seal(ctx, []byte(value), "marketplace secret "+id)
	if err != nil {
		return "", Secret{}, "", fmt.Errorf("seal secret: %w", err)
	}
	return value, Secret{ID: id, Label: label, Hint: value[len(value)-4:], Active: true, CreatedAt: s.stamp()}, sealed, nil
}

// Secrets lists every secret, active first, newest first.
func (s *Service) Secrets(ctx context.Context) ([]Secret, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, label, hint, created_at, last_used_at, deactivated_at FROM marketplace_secrets
		ORDER BY deactivated_at <> '', created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	defer rows.Close()
	out := []Secret{}
	for rows.Next() {
		var sec Secret
		if err := rows.Scan(&sec.ID, &sec.Label, &sec.Hint, &sec.CreatedAt, &sec.LastUsedAt, &sec.DeactivatedAt); err != nil {
			return nil, fmt.Errorf("list secrets: %w", err)
		}
		sec.Active = sec.DeactivatedAt == ""
		out = append(out, sec)
	}
	return out, rows.Err()
}

// DeactivateSecret stops a secret from verifying tokens, for good, and
// ends the marketplace sessions opened with tokens it signed.
func (s *Service) DeactivateSecret(ctx context.Context, id string) (Secret, error) {
	var sec Secret
	var ended int64
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, label, hint, created_at, last_used_at, deactivated_at FROM marketplace_secrets WHERE id = ?`, id).
			Scan(&sec.ID, &sec.Label, &sec.Hint, &sec.CreatedAt, &sec.LastUsedAt, &sec.DeactivatedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFound("no marketplace secret %q", id)
		}
		if err != nil {
			return fmt.Errorf("read secret %s: %w", id, err)
		}
		if sec.DeactivatedAt != "" {
			return nil
		}
		sec.DeactivatedAt = s.stamp()
		if _, err := tx.ExecContext(ctx, `UPDATE marketplace_secrets SET deactivated_at = ? WHERE id = ?`, sec.DeactivatedAt, id); err != nil {
			return fmt.Errorf("deactivate secret %s: %w", id, err)
		}
		// What the secret opened ends with it: the marketplace sessions
		// that logged in with a token it signed.
		res, err := tx.ExecContext(ctx, `DELETE FROM marketplace_sessions WHERE secret_id = ?`, id)
		if err != nil {
			return fmt.Errorf("end the sessions of secret %s: %w", id, err)
		}
		ended, _ = res.RowsAffected()
		return nil
	})
	if err == nil && ended > 0 {
		s.log.InfoContext(ctx, "ended the marketplace sessions of a deactivated secret", "secret_id", id, "sessions", ended)
	}
	sec.Active = false
	return sec, err
}

// keys opens the secrets; active only unless all is true (the inspector
// also looks at deactivated ones to explain a rejection).
func (s *Service) keys(ctx context.Context, all bool) (active, inactive []key, err error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, sealed, deactivated_at FROM marketplace_secrets ORDER BY created_at, id`)
	if err != nil {
		return nil, nil, fmt.Errorf("read secrets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, sealed, deactivated string
		if err := rows.Scan(&id, &sealed, &deactivated); err != nil {
			return nil, nil, fmt.Errorf("read secrets: %w", err)
		}
		if deactivated != "" && !all {
			continue
		}
		plain, err := s.seal.open(ctx, sealed, "marketplace secret "+id)
		if err != nil {
			return nil, nil, err
		}
		if deactivated != "" {
			inactive = append(inactive, key{id: id, secret: plain})
		} else {
			active = append(active, key{id: id, secret: plain})
		}
	}
	return active, inactive, rows.Err()
}

// demoSecret returns the active secret labelled "demo" that the demo app
// signs with. It is created when no "demo" secret ever existed; once a
// person deactivated it, it is never re-created (ECONFLICT saying how to
// get the demo links back).
func (s *Service) demoSecret(ctx context.Context) (key, error) {
	var k key
	var created string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var id, sealed string
		err := tx.QueryRowContext(ctx, `SELECT id, sealed FROM marketplace_secrets WHERE label = ? AND deactivated_at = '' ORDER BY created_at LIMIT 1`, DemoSecretLabel).Scan(&id, &sealed)
		if err == nil {
			plain, err := s.seal.open(ctx, sealed, "marketplace secret "+id)
			k = key{id: id, secret: plain}
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read secret: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM marketplace_secrets WHERE label = ?`, DemoSecretLabel).Scan(&n); err != nil {
			return fmt.Errorf("read secret: %w", err)
		}
		if n > 0 {
			return errs.Conflict("the demo marketplace secret (label %q) was deactivated, so the demo app signs no more links; to use the demo again, create a marketplace secret labelled %q in the console (Marketplace > Secrets)", DemoSecretLabel, DemoSecretLabel)
		}
		value, sec, sealedNew, err := s.newSecret(ctx, DemoSecretLabel)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO marketplace_secrets (id, label, sealed, hint, created_at) VALUES (?, ?, ?, ?, ?)`,
			sec.ID, sec.Label, sealedNew, sec.Hint, sec.CreatedAt); err != nil {
			return fmt.Errorf("store secret: %w", err)
		}
		k, created = key{id: sec.ID, secret: []byte(value)}, sec.ID
		return nil
	})
	if err == nil && created != "" {
		s.log.InfoContext(ctx, "created the demo marketplace secret", "secret_id", created)
	}
	return k, err
}

// activeKey returns one active secret by id.
func (s *Service) activeKey(ctx context.Context, id string) (key, error) {
	var sealed, deactivated string
	err := s.db.Read.QueryRowContext(ctx, `SELECT sealed, deactivated_at FROM marketplace_secrets WHERE id = ?`, id).Scan(&sealed, &deactivated)
	if errors.Is(err, sql.ErrNoRows) {
		return key{}, errs.NotFound("no marketplace secret %q", id)
	}
	if err != nil {
		return key{}, fmt.Errorf("read secret %s: %w", id, err)
	}
	if deactivated != "" {
		return key{}, errs.Conflict("marketplace secret %s is deactivated", id)
	}
	plain, err := s.seal.open(ctx, sealed, "marketplace secret "+id)
	return key{id: id, secret: plain}, err
}
