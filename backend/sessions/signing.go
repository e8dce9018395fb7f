package sessions

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fusebox/backend/store"
)

// How the signing key is protected:
//
// The HS256 secret that signs session tokens is 32 random bytes made on
// first use. It is stored in session_signing_keys sealed with AES-256-GCM
// (random nonce, the kid as associated data) under a 32-byte key-encryption
// key kept in a separate file in the data dir (Options.KeyFile, mode 0600).
// A copy of fusebox.db alone (a backup, a bug report) therefore reveals
// neither the signing secret nor anything to forge tokens with. The secret
// is generated independently of every API key and is never shown.
//
// If the key file is lost or replaced, stored signing keys cannot be
// opened: they are retired and a new one is made (a warning is logged);
// tokens signed earlier stop verifying, which for hour-long sessions is
// the right failure.

const keyFileSize = 32

type signingKeys struct {
	current string            // kid that signs new tokens
	secrets map[string][]byte // kid -> HMAC secret (current and retired)
}

// keyFile loads the key-encryption key, creating the file when missing.
func loadOrCreateKeyFile(path string) ([]byte, error) {
	if path == "" {
		return nil, errors.New("sessions: no key file configured (Options.KeyFile)")
	}
	for attempt := 0; attempt < 2; attempt++ {
		b, err := os.ReadFile(path)
		if err == nil {
			key, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
			if derr != nil || len(key) != keyFileSize {
				return nil, fmt.Errorf("key file %s is damaged (want %d bytes in base64); restore it from a backup, or delete it to make a new one (session tokens issued before stop working)", path, keyFileSize)
			}
			return key, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read key file %s: %w", path, err)
		}
		key, err := randomBytes(keyFileSize)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create key file %s: %w", path, err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue // another process made it first: read theirs
		}
		if err != nil {
			return nil, fmt.Errorf("create key file %s: %w", path, err)
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		cerr := f.Close()
		if werr != nil || cerr != nil {
			os.Remove(path)
			return nil, fmt.Errorf("write key file %s: %w", path, errors.Join(werr, cerr))
		}
		return key, nil
	}
	return nil, fmt.Errorf("read key file %s: it keeps changing", path)
}

func sealAAD(kid string) []byte { return []byte("fusebox session signing key " + kid) }

func seal(kek []byte, kid string, secret []byte) (string, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	nonce, err := randomBytes(gcm.NonceSize())
	if err != nil {
		return "", err
	}
	out := gcm.Seal(nonce, nonce, secret, sealAAD(kid))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

func unseal(kek []byte, kid, sealed string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(raw) < gcm.NonceSize() {
		return nil, errors.New("sealed value is too short")
	}
	return gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], sealAAD(kid))
}

// kek returns the key-encryption key, loading it once.
func (s *Service) kek() ([]byte, error) {
	s.signMu.Lock()
	defer s.signMu.Unlock()
	return s.kekLocked()
}

func (s *Service) kekLocked() ([]byte, error) {
	if s.kekBytes != nil {
		return s.kekBytes, nil
	}
	k, err := loadOrCreateKeyFile(s.keyFile)
	if err != nil {
		return nil, err
	}
	s.kekBytes = k
	return k, nil
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
	kek, err := s.kekLocked()
	if err != nil {
		return nil, err
	}
	keys := &signingKeys{secrets: map[string][]byte{}}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT kid, secret, retired_at FROM session_signing_keys ORDER BY created_at, kid`)
		if err != nil {
			return fmt.Errorf("load signing keys: %w", err)
		}
		var lost []string
		for rows.Next() {
			var kid, sealed, retired string
			if err := rows.Scan(&kid, &sealed, &retired); err != nil {
				rows.Close()
				return fmt.Errorf("load signing keys: %w", err)
			}
			secret, err := unseal(kek, kid, sealed)
			if err != nil {
				if retired == "" {
					lost = append(lost, kid)
				}
				continue
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
		if keys.current != "" {
			return nil
		}
		now := store.FormatTime(s.now())
		if len(lost) > 0 {
			s.log.WarnContext(ctx, "the session signing key cannot be opened with the key file (was it replaced?); making a new one, earlier session tokens stop working",
				"key_file", s.keyFile, "kids", strings.Join(lost, ","))
			if _, err := tx.ExecContext(ctx, `UPDATE session_signing_keys SET retired_at = ? WHERE retired_at = ''`, now); err != nil {
				return fmt.Errorf("retire signing keys: %w", err)
			}
		}
		kidPart, err := randomBase62(12)
		if err != nil {
			return err
		}
		kid := "sk" + kidPart
		secret, err := randomBytes(32)
		if err != nil {
			return err
		}
		sealed, err := seal(kek, kid, secret)
		if err != nil {
			return fmt.Errorf("seal signing key: %w", err)
		}
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
func (s *Service) derive(label string) ([]byte, error) {
	kek, err := s.kek()
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, kek)
	m.Write([]byte("fusebox derived v1|" + label))
	return m.Sum(nil), nil
}
