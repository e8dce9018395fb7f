// Package ids makes the random parts of identifiers and tokens. Everything
// comes from crypto/rand, which never fails (Go 1.24+), so nothing here
// returns an error.
//
// Use New for ids and tokens. Base62 and Hex exist only where the format
// of the random part is a contract that parsers, tests or scripts check.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// New returns prefix followed by 26 random characters of lowercase base32
// (a-z, 2-7): 130 bits from crypto/rand.Text, safe in URLs, file names and
// headers.
func New(prefix string) string {
	return prefix + strings.ToLower(rand.Text())
}

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Base62 returns n random characters of 0-9, A-Z, a-z, each equally
// likely: bytes of 248 and above are dropped, so the remaining 248 values
// map onto 62 characters exactly four times each. It is for API key
// bodies, whose alphabet and length the key parser checks.
func Base62(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		rand.Read(buf)
		for _, c := range buf {
			if c < 248 && len(out) < n {
				out = append(out, base62Alphabet[c%62])
			}
		}
	}
	return string(out)
}

// Hex returns prefix followed by 2*n random lowercase hex digits. It is for
// ids whose form something already matches: marketplace secret ids (sec_
// and 16 hex digits, which `fusebox marketplace secrets create` prints and
// scripts match), generated org ids (org_ and 16 hex digits, which the
// workspace tells from chosen ones) and the hex admin.token.
func Hex(prefix string, n int) string {
	return prefix + hex.EncodeToString(Bytes(n))
}

// Bytes returns n random bytes, for keys and secrets rather than ids.
func Bytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
