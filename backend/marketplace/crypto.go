package marketplace

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// sealer encrypts values at rest with AES-256-GCM under a key kept in a
// file of its own (0600), created on first use. The database alone is not
// enough to read the secrets: a copied fusebox.db without secrets.key
// holds only ciphertext.
type sealer struct {
	path string

	mu   sync.Mutex
	aead cipher.AEAD
}

func newSealer(path string) *sealer { return &sealer{path: path} }

// cipher loads the key file, creating it with a new random key when it
// does not exist yet.
func (s *sealer) cipher(create bool) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aead != nil {
		return s.aead, nil
	}
	if s.path == "" {
		return nil, errors.New("no key file configured for sealing marketplace secrets")
	}
	key, err := readKeyFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, fmt.Errorf("key file %s does not exist, so the marketplace secrets sealed with it cannot be read; create new secrets with `fusebox marketplace secrets create`", s.path)
		}
		key, err = createKeyFile(s.path)
	}
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", s.path, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", s.path, err)
	}
	s.aead = aead
	return aead, nil
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("key file %s is damaged: want 64 hex characters (a 256-bit key)", path)
	}
	return key, nil
}

// createKeyFile writes a new random key with O_EXCL, so two processes that
// race to create it agree on the one that won.
func createKeyFile(path string) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate key for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("create key file %s: %w", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("write key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write key file %s: %w", path, err)
	}
	return key, nil
}

// seal encrypts plain, bound to context (e.g. the row id) as additional
// data, and returns base64url(nonce || ciphertext).
func (s *sealer) seal(plain []byte, context string) (string, error) {
	aead, err := s.cipher(true)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("generate nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, plain, []byte(context))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// open reverses seal with the same context.
func (s *sealer) open(sealed, context string) ([]byte, error) {
	aead, err := s.cipher(false)
	if err != nil {
		return nil, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("sealed value for %s is damaged", context)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(context))
	if err != nil {
		return nil, fmt.Errorf("sealed value for %s does not open with the key in %s (was the key file replaced?)", context, s.path)
	}
	return plain, nil
}
