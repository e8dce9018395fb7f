package sessions

import "math/big"

// base62Alphabet is the alphabet of API key bodies (random ones come
// from ids.Base62, the demo keys' from base62Fixed).
const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// keyBodyLen is the length of a key's random part: 32 bytes (256 bits)
// written in base62 take at most 43 characters; shorter numbers are
// left-padded so every key has the same length.
const keyBodyLen = 43

var big62 = big.NewInt(62)

// base62Fixed writes b as a big-endian number in base62, left-padded with
// '0' to width characters.
func base62Fixed(b []byte, width int) string {
	n := new(big.Int).SetBytes(b)
	out := make([]byte, width)
	for i := range out {
		out[i] = '0'
	}
	mod := new(big.Int)
	for i := width - 1; i >= 0 && n.Sign() > 0; i-- {
		n.DivMod(n, big62, mod)
		out[i] = base62Alphabet[mod.Int64()]
	}
	return string(out)
}

func isBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
