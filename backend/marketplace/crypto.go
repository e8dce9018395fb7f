package marketplace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"fusebox/backend/keyring"
	"fusebox/backend/store"
)

// sealer seals values at rest (API secrets, install credentials, the
// connection claims of marketplace sessions) through the data dir's
// keyring under secrets.key (backend/keyring). The database alone is not
// enough to read them: a copied fusebox.db without secrets.key holds only
// ciphertext.
//
// The key file is made only while the database holds nothing sealed. When
// sealed values are stored and the key file is lost, every use refuses
// with an error naming the file and saying to restore it from the backup;
// a new key is never made in its place.
type sealer struct {
	path string
	db   *store.DB

	mu sync.Mutex
	kr *keyring.Keyring
}

// keyring loads the key file once.
func (s *sealer) keyring(ctx context.Context) (*keyring.Keyring, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kr != nil {
		return s.kr, nil
	}
	if s.path == "" {
		return nil, errors.New("no key file configured for sealing marketplace secrets")
	}
	var sealed bool
	if err := s.db.Read.QueryRowContext(ctx, sealedQuery).Scan(&sealed); err != nil {
		return nil, fmt.Errorf("look for sealed marketplace values: %w", err)
	}
	kr, err := keyring.Load(s.path, !sealed)
	if err != nil {
		return nil, fmt.Errorf("marketplace secrets: %w", err)
	}
	s.kr = kr
	return kr, nil
}

// sealedQuery answers whether anything is sealed with secrets.key.
const sealedQuery = `SELECT
	EXISTS (SELECT 1 FROM marketplace_secrets)
	OR EXISTS (SELECT 1 FROM marketplace_installs WHERE secrets <> '')
	OR EXISTS (SELECT 1 FROM marketplace_sessions WHERE connection <> '')`

// SealedStored reports whether the database holds values sealed with
// secrets.key, so that the key may not be made anew.
func SealedStored(ctx context.Context, tx *store.Tx) (bool, error) {
	var sealed bool
	if err := tx.QueryRowContext(ctx, sealedQuery).Scan(&sealed); err != nil {
		return false, fmt.Errorf("look for sealed marketplace values: %w", err)
	}
	return sealed, nil
}

// seal encrypts plain, bound to aad (e.g. the row id) as additional
// data, and returns base64url(nonce || ciphertext).
func (s *sealer) seal(ctx context.Context, plain []byte, aad string) (string, error) {
	kr, err := s.keyring(ctx)
	if err != nil {
		return "", err
	}
	return kr.Seal(plain, []byte(aad)), nil
}

// open reverses seal with the same aad.
func (s *sealer) open(ctx context.Context, sealed, aad string) ([]byte, error) {
	kr, err := s.keyring(ctx)
	if err != nil {
		return nil, err
	}
	plain, err := kr.Open(sealed, []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("sealed value for %s: %w", aad, err)
	}
	return plain, nil
}

// KeyCheck is the check value of the key file (keyring.CheckValue).
func (s *Service) KeyCheck(ctx context.Context) (string, error) {
	kr, err := s.seal.keyring(ctx)
	if err != nil {
		return "", err
	}
	return kr.CheckValue(), nil
}

// OpenKeyring reads secrets.key now and opens one stored secret with it,
// so that a data dir whose key file is lost or replaced refuses to start
// instead of failing its first sign-ins. A new data dir gets its key file
// here.
func (s *Service) OpenKeyring(ctx context.Context) error {
	if _, err := s.seal.keyring(ctx); err != nil {
		return err
	}
	var id, sealed string
	err := s.db.Read.QueryRowContext(ctx, `SELECT id, sealed FROM marketplace_secrets ORDER BY created_at, id LIMIT 1`).Scan(&id, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read marketplace secrets: %w", err)
	}
	_, err = s.seal.open(ctx, sealed, "marketplace secret "+id)
	return err
}
