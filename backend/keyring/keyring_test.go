package keyring

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Key files and sealed values written by Fusebox before this package, by
// the marketplace's sealer (hex key file) and the sessions service (base64
// key file). They must keep opening.
const (
	legacyHexKey      = "b4f3899cbb33bde57a1e4958c980a5cf7f96457da0e48ced2f6d7cd84b3bf1ef"
	legacyHexSealed   = "sQ8w_DquaNyAk6sgAeHlRfRy3NBAEOrB9Q0hSL2bCZUAlk6oH6DXbIxLpyRm--AhuVAe28bRIRKSCQ"
	legacyHexAAD      = "marketplace secret sec_0123456789abcdef"
	legacyHexPlain    = "fbms_legacy-marketplace-secret"
	legacyBase64Key   = "ZnpIXJYf2AJ0s8kX011dxrKXhzK8D/NfsfAnbJcxPgA="
	legacyBase64Seal  = "xlEXYzjwXfHJzCb6Ag8UHbvvQuXyRzyQ0NcSu90Vc221TgZdwEsMrEukMgvOF1XwDRqQsfRzcuG-8enlYmA"
	legacyBase64AAD   = "fusebox session signing key skLegacy0001"
	legacyBase64Plain = "legacy session signing secret, 32b"
)

func TestMigratesLegacyKeyFiles(t *testing.T) {
	for _, tc := range []struct {
		name, file, sealed, aad, plain string
	}{
		{"secrets.key (hex)", legacyHexKey + "\n", legacyHexSealed, legacyHexAAD, legacyHexPlain},
		{"sessions.key (base64)", legacyBase64Key + "\n", legacyBase64Seal, legacyBase64AAD, legacyBase64Plain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.key")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			kr, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := kr.Open(tc.sealed, []byte(tc.aad))
			if err != nil || string(plain) != tc.plain {
				t.Fatalf("value sealed by the old code: %q, %v", plain, err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), "fusebox-key v1 ") || strings.Count(string(b), "\n") != 1 {
				t.Fatalf("key file not rewritten in the current format: %q", b)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Fatalf("rewritten key file mode %v, want 0600", fi.Mode().Perm())
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Fatalf("the rewrite left files behind: %v", entries)
			}
			// Reopened from the new format: same key, same values.
			again, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if plain, err := again.Open(tc.sealed, []byte(tc.aad)); err != nil || string(plain) != tc.plain {
				t.Fatalf("after the rewrite: %q, %v", plain, err)
			}
			if b2, _ := os.ReadFile(path); !bytes.Equal(b, b2) {
				t.Fatal("a current key file was rewritten")
			}
		})
	}
}

func TestSealOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k", "secrets.key")
	kr, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	s1 := kr.Seal([]byte("hello"), []byte("row 1"))
	s2 := kr.Seal([]byte("hello"), []byte("row 1"))
	if s1 == s2 {
		t.Fatal("two seals of one value are equal (nonce reused)")
	}
	if p, err := kr.Open(s1, []byte("row 1")); err != nil || string(p) != "hello" {
		t.Fatalf("open: %q, %v", p, err)
	}
	if _, err := kr.Open(s1, []byte("row 2")); err == nil {
		t.Fatal("opened with another row's associated data")
	}
	if _, err := kr.Open(s1[:10], []byte("row 1")); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("short value: %v", err)
	}
	other, err := Create(filepath.Join(t.TempDir(), "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(s1, []byte("row 1")); err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("another key: %v", err)
	}
	if bytes.Equal(kr.Derive("a"), other.Derive("a")) || bytes.Equal(kr.Derive("a"), kr.Derive("b")) {
		t.Fatal("Derive does not depend on key and label")
	}
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kr.Derive("a"), again.Derive("a")) {
		t.Fatal("Derive changed across opens")
	}
}

// TestMissingKeyFileIsRefused: a data dir whose database holds sealed
// values never gets a new key in place of a lost one.
func TestMissingKeyFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.key")
	_, err := Load(path, false)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	for _, want := range []string{path, "does not exist", "restore sessions.key from the backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a refused load made a key file")
	}
	// A new data dir gets one; the next load reads it.
	kr, err := Load(path, true)
	if err != nil {
		t.Fatal(err)
	}
	sealed := kr.Seal([]byte("x"), nil)
	again, err := Load(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := again.Open(sealed, nil); err != nil || string(p) != "x" {
		t.Fatalf("reload: %q, %v", p, err)
	}
}

func TestDamagedKeyFile(t *testing.T) {
	for _, content := range []string{"", "not base64!\n", "fusebox-key v1 AAAA\n", legacyHexKey[:62] + "\n", "fusebox-key v2 " + legacyBase64Key + "\n"} {
		path := filepath.Join(t.TempDir(), "secrets.key")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, create := range []bool{false, true} {
			if _, err := Load(path, create); err == nil || !strings.Contains(err.Error(), "damaged") {
				t.Fatalf("%q: %v", content, err)
			}
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Fatalf("a damaged key file was changed: %q", b)
		}
	}
}

func TestConcurrentCreateAgrees(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.key")
	krs := make([]*Keyring, 8)
	var wg sync.WaitGroup
	for i := range krs {
		wg.Go(func() {
			kr, err := Load(path, true)
			if err != nil {
				t.Error(err)
				return
			}
			krs[i] = kr
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	sealed := krs[0].Seal([]byte("same"), nil)
	for _, kr := range krs {
		if _, err := kr.Open(sealed, nil); err != nil {
			t.Fatal("two loads of one path made different keys")
		}
	}
}

// A key given in the environment opens what its key file sealed, in each
// accepted form; a bad value is refused with an error that names the
// variable, says what is wanted and never quotes the value.
func TestFromValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.key")
	file, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	sealed := file.Seal([]byte("plain"), []byte("aad"))
	line, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(file.Encoded())
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{
		"base64":     file.Encoded(),
		"base64url":  base64.RawURLEncoding.EncodeToString(raw),
		"hex":        hex.EncodeToString(raw),
		"file line":  string(line),
		"whitespace": "  " + file.Encoded() + "\n",
	} {
		kr, err := FromValue("FUSEBOX_SECRETS_KEY", v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := kr.Open(sealed, []byte("aad")); err != nil || string(got) != "plain" {
			t.Fatalf("%s: open = %q, %v", name, got, err)
		}
		if kr.CheckValue() != file.CheckValue() || kr.Path() != "FUSEBOX_SECRETS_KEY" {
			t.Fatalf("%s: check %s path %s", name, kr.CheckValue(), kr.Path())
		}
	}
	for _, bad := range []string{"", "c2VjcmV0LXNob3J0", strings.Repeat("zz", 32), "not a key at all, 0123456789abcdef0123"} {
		_, err := FromValue("FUSEBOX_SECRETS_KEY", bad)
		if err == nil {
			t.Fatalf("%q accepted", bad)
		}
		if !strings.Contains(err.Error(), "FUSEBOX_SECRETS_KEY") || !strings.Contains(err.Error(), "base64") {
			t.Fatalf("error %q: want the variable's name and what it should hold", err)
		}
		if bad != "" && strings.Contains(err.Error(), bad) {
			t.Fatalf("error %q quotes the value", err)
		}
	}
}
