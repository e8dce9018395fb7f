// Package keyring is the one way Fusebox seals secrets at rest and reads
// the key files of a data dir (sessions.key, secrets.key).
//
// # Key file
//
// A key file holds one 256-bit key on one line:
//
//	fusebox-key v1 <the key in standard base64>
//
// and is written 0600. Two older formats are still read, so data dirs made
// before this package keep working: 64 hex characters (secrets.key) and
// the bare base64 key (sessions.key). Open rewrites such a file in the
// format above (a new file renamed over the old one, so a crash leaves one
// or the other, never half of each); the key itself does not change.
//
// # A missing key file
//
// Only a new data dir, whose database holds nothing sealed yet, may get a
// new key file: the caller checks its tables and passes that answer to
// Load. When the database holds sealed values and the key file is gone,
// Load refuses with an error that names the file and says to restore it
// from the backup. A new key is never made in its place: it could not open
// what is stored, and it would hide the loss.
//
// # Sealed values
//
// Seal encrypts with AES-256-GCM under the key, with a random 96-bit nonce
// and the caller's associated data (which binds a value to its row), and
// returns base64url (no padding) of nonce || ciphertext. This is the format
// both the marketplace and the sessions service wrote before they shared
// this package, so their stored values open unchanged.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// header starts every key file in the current format.
const header = "fusebox-key v1 "

// Keyring seals and opens values with the key of one key file.
type Keyring struct {
	path string
	key  []byte
	aead cipher.AEAD
}

// Load opens the key file at path. When the file does not exist, create
// says whether a new one may be made: pass true only when the database
// holds nothing sealed with this file yet (a new data dir). Otherwise the
// error wraps fs.ErrNotExist, names the file and says to restore it.
func Load(path string, create bool) (*Keyring, error) {
	kr, err := Open(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		return Create(path)
	}
	return kr, err
}

// Open reads the key file at path, rewriting a file in an older format in
// the current one. A missing file is an error that wraps fs.ErrNotExist.
func Open(path string) (*Keyring, error) {
	if path == "" {
		return nil, errors.New("keyring: no key file configured")
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("key file %s does not exist, but the database holds values sealed with it: restore %s from the backup of this data dir (a new key could not open them, so none is made): %w",
			path, filepath.Base(path), fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	key, current, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("key file %s is damaged (%v): restore it from the backup of this data dir", path, err)
	}
	if !current {
		if err := writeAtomic(path, format(key)); err != nil {
			return nil, fmt.Errorf("rewrite key file %s in the current format: %w", path, err)
		}
	}
	return newKeyring(path, key)
}

// Create makes a new key file at path with a new random key. When the file
// already exists (another process made it first), Create opens that one
// instead, so every process on a data dir agrees on one key. The file
// appears whole: it is written under a temporary name and linked to path,
// which fails when path exists.
func Create(path string) (*Keyring, error) {
	if path == "" {
		return nil, errors.New("keyring: no key file configured")
	}
	key := make([]byte, KeySize)
	rand.Read(key) // never fails (crypto/rand, Go 1.24+)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create key file %s: %w", path, err)
	}
	tmp, err := writeTemp(path, format(key))
	if err != nil {
		return nil, fmt.Errorf("create key file %s: %w", path, err)
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, path)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		err = createExclusive(path, format(key)) // a file system without hard links
	}
	if errors.Is(err, fs.ErrExist) {
		return Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("create key file %s: %w", path, err)
	}
	return newKeyring(path, key)
}

// createExclusive writes data to a new file at path (0600), failing with
// fs.ErrExist when it exists.
func createExclusive(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		os.Remove(path)
	}
	return err
}

func newKeyring(path string, key []byte) (*Keyring, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return &Keyring{path: path, key: key, aead: aead}, nil
}

// Path is the key file the keyring was read from.
func (k *Keyring) Path() string { return k.path }

// Seal encrypts plaintext bound to aad and returns base64url (no padding)
// of nonce || ciphertext. Open needs the same aad.
func (k *Keyring) Seal(plaintext, aad []byte) string {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	rand.Read(nonce) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(k.aead.Seal(nonce, nonce, plaintext, aad))
}

// Open reverses Seal. It fails when sealed is damaged, was sealed under
// another key, or with another aad.
func (k *Keyring) Open(sealed string, aad []byte) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(raw) < k.aead.NonceSize()+k.aead.Overhead() {
		return nil, errors.New("the sealed value is damaged")
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("the sealed value does not open with the key in %s (was the key file replaced? restore it from the backup of this data dir)", k.path)
	}
	return plain, nil
}

// Derive returns 32 bytes bound to label: HMAC-SHA256 of the key over
// "fusebox derived v1|" + label. It makes values that must be the same on
// every start without being stored (the demo API keys).
func (k *Keyring) Derive(label string) []byte {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte("fusebox derived v1|" + label))
	return m.Sum(nil)
}

// CheckValue names the key without revealing it: hex of the first 16
// bytes of Derive("key check"). Servers sharing one database compare it to
// make sure they seal with the same key.
func (k *Keyring) CheckValue() string { return hex.EncodeToString(k.Derive("key check")[:16]) }

func format(key []byte) []byte {
	return []byte(header + base64.StdEncoding.EncodeToString(key) + "\n")
}

// parse reads a key file in the current format or one of the two older
// ones; current says whether it was the current format.
func parse(b []byte) (key []byte, current bool, err error) {
	s := strings.TrimSpace(string(b))
	var body string
	switch {
	case strings.HasPrefix(s, header):
		body, current = strings.TrimPrefix(s, header), true
		key, err = base64.StdEncoding.DecodeString(body)
	case strings.HasPrefix(s, "fusebox-key "):
		return nil, false, errors.New("written by a newer Fusebox: this version reads fusebox-key v1")
	case len(s) == 2*KeySize && isHex(s):
		key, err = hex.DecodeString(s) // secrets.key before v1
	default:
		key, err = base64.StdEncoding.DecodeString(s) // sessions.key before v1
	}
	if err != nil || len(key) != KeySize {
		return nil, false, fmt.Errorf("want one line %q followed by a %d-byte key in base64", strings.TrimSpace(header), KeySize)
	}
	return key, current, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// writeAtomic replaces path with data (0600): a temporary file in the same
// dir, synced, then renamed over path.
func writeAtomic(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // the rename itself; best effort where dirs cannot be synced
		d.Close()
	}
	return nil
}

// writeTemp writes data to a new 0600 file beside path, synced, and
// returns its name.
func writeTemp(path string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// FromValue reads a key given as a value instead of a file, e.g. from the
// environment variable name (which the keyring reports as its Path and
// errors name). value is the key in standard or URL base64 (44 or 43
// characters), 64 hex characters, or a whole key file's line. The error
// never quotes value.
func FromValue(name, value string) (*Keyring, error) {
	s := strings.TrimSpace(value)
	if s == "" {
		return nil, fmt.Errorf("%s is empty: want a %d-byte key in base64 (e.g. the output of openssl rand -base64 32) or 64 hex characters", name, KeySize)
	}
	key, _, err := parse([]byte(s))
	if err != nil {
		if k, uerr := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")); uerr == nil && len(k) == KeySize {
			key, err = k, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not a key: want a %d-byte key in base64 (44 characters, e.g. the output of openssl rand -base64 32), 64 hex characters or a key file's line %q; got %d characters that are none of these",
			name, KeySize, header+"…", len(s))
	}
	return newKeyring(name, key)
}

// Encoded is the key in standard base64, the form FromValue reads (for
// printing a key to move into the environment of another machine).
func (k *Keyring) Encoded() string { return base64.StdEncoding.EncodeToString(k.key) }
