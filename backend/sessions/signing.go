package sessions

import (
	"context"
	"errors"
	"fmt"

	"fusebox/backend/ids"
	"fusebox/backend/keyring"
	"fusebox/backend/store"
)

// How the signing key is protected:
//
// The HS256 secret that signs session tokens is 32 random bytes made on
// first use. It is stored in session_signing_keys sealed through the data
// dir's keyring (backend/keyring: AES-256-GCM, the kid as associated data)
// under the key file Options.KeyFile (sessions.key, mode 0600). A copy of
// fusebox.db alone (a backup, a bug report) therefore reveals neither the
// signing secret nor anything to forge tokens with. The secret is
// generated independently of every API key and is never shown.
//
// The key file is made only for a database that holds no signing key yet.
// If it is lost or replaced while signing keys are stored, the service
// refuses to work (OpenKeyring, and every call that needs the key) with an
// error naming the file and saying to restore it from the backup; it never
// makes a new key in its place.

type signingKeys struct {
	current string            // kid that signs new tokens
	secrets map[string][]byte // kid -> HMAC secret (current and retired)
}

func sealAAD(kid string) []byte { return []byte("fusebox session signing key " + kid) }

// OpenKeyring reads the key file now, so that a data dir whose key file is
// lost or replaced refuses to start instead of failing its first requests.
// A new data dir gets its key file here.
func (s *Service) OpenKeyring(ctx context.Context) error {
	_, err := s.signingKeys(ctx)
	return err
}

// KeyCheck is the check value of the key file (keyring.CheckValue).
func (s *Service) KeyCheck(ctx context.Context) (string, error) {
	kr, err := s.keyring(ctx)
	if err != nil {
		return "", err
	}
	return kr.CheckValue(), nil
}

// keyring returns the keyring, loading it once. The key file may be made
// only while no signing key is stored.
func (s *Service) keyring(ctx context.Context) (*keyring.Keyring, error) {
	s.signMu.Lock()
	defer s.signMu.Unlock()
	return s.keyringLocked(ctx)
}

func (s *Service) keyringLocked(ctx context.Context) (*keyring.Keyring, error) {
	if s.kr != nil {
		return s.kr, nil
	}
	if s.keyFile == "" {
		return nil, errors.New("sessions: no key file configured (Options.KeyFile)")
	}
	var stored int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM session_signing_keys`).Scan(&stored); err != nil {
		return nil, fmt.Errorf("count signing keys: %w", err)
	}
	kr, err := keyring.Load(s.keyFile, stored == 0)
	if err != nil {
		return nil, fmt.Errorf("session signing keys: %w", err)
	}
	s.kr = kr
	return kr, nil
}

// signingKeys returns the signing keys, loading (or making) them on first
// use. The whole load runs in one write transaction so that two processes
// on one data dir (the server and a CLI command) agree on one key.
func (s *Service) signingKeys(ctx context.Context) (*signingKeys, error) {
	s.signMu.Lock()
	defer s.signMu.Unlock()
	if s.signing != nil {
		return s.signing, nil
	}
	kr, err := s.keyringLocked(ctx)
	if err != nil {
		return nil, err
	}
	keys := &signingKeys{secrets: map[string][]byte{}}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT kid, secret, retired_at FROM session_signing_keys ORDER BY created_at, kid`)
		if err != nil {
			return fmt.Errorf("load signing keys: %w", err)
		}
		var lost error
		for rows.Next() {
			var kid, sealed, retired string
			if err := rows.Scan(&kid, &sealed, &retired); err != nil {
				rows.Close()
				return fmt.Errorf("load signing keys: %w", err)
			}
			secret, err := kr.Open(sealed, sealAAD(kid))
			if err != nil {
				if retired == "" {
					lost = fmt.Errorf("session signing key %s: %w", kid, err)
				}
				continue // retired by an older Fusebox that replaced a lost key file
			}
			keys.secrets[kid] = secret
			if retired == "" {
				keys.current = kid
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("load signing keys: %w", err)
		}
		if lost != nil {
			return lost
		}
		if keys.current != "" {
			return nil
		}
		kid := ids.New("sk")
		secret := ids.Bytes(32)
		sealed := kr.Seal(secret, sealAAD(kid))
		now := store.FormatTime(s.now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_signing_keys (kid, secret, created_at) VALUES (?, ?, ?)`, kid, sealed, now); err != nil {
			return fmt.Errorf("store signing key: %w", err)
		}
		keys.secrets[kid] = secret
		keys.current = kid
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.signing = keys
	return keys, nil
}

// derive returns 32 bytes bound to label, derived from the key file; used
// for the demo keys, which must be reproducible without being stored.
func (s *Service) derive(ctx context.Context, label string) ([]byte, error) {
	kr, err := s.keyring(ctx)
	if err != nil {
		return nil, err
	}
	return kr.Derive(label), nil
}

// SealedStored reports whether the database holds values sealed with
// sessions.key (signing keys), so that the key may not be made anew.
func SealedStored(ctx context.Context, tx *store.Tx) (bool, error) {
	var sealed bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM session_signing_keys)`).Scan(&sealed); err != nil {
		return false, fmt.Errorf("look for session signing keys: %w", err)
	}
	return sealed, nil
}
