package ingest

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// encInfo is the text encoding chosen for an input.
type encInfo struct {
	name   string            // canonical name reported in Detected
	bomLen int               // bytes of BOM to skip
	enc    encoding.Encoding // nil for UTF-8 (no transform: bytes pass through)
}

// cp1252Encoding decodes Windows-1252 with the cp1252 table, which (unlike
// x/text's charmap, which turns them into U+FFFD) keeps the five undefined
// bytes as the C1 controls of the same value, so no byte is ever lost.
type cp1252Encoding struct{ encoding.Encoding }

func (cp1252Encoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: cp1252Decoder{}}
}

// cp1252Decoder is a stateless transform.Transformer from Windows-1252 to UTF-8.
type cp1252Decoder struct{ transform.NopResetter }

func (cp1252Decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for _, c := range src {
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r := cp1252[c]
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc++
	}
	return nDst, nSrc, nil
}

// canonical encoding names and their aliases.
var encAliases = map[string]string{
	"utf-8": "utf-8", "utf8": "utf-8",
	"utf-16le": "utf-16le", "utf16le": "utf-16le", "utf-16": "utf-16le",
	"utf-16be": "utf-16be", "utf16be": "utf-16be",
	"windows-1252": "windows-1252", "cp1252": "windows-1252", "win-1252": "windows-1252", "windows1252": "windows-1252",
	"iso-8859-1": "iso-8859-1", "iso8859-1": "iso-8859-1", "latin1": "iso-8859-1", "latin-1": "iso-8859-1", "l1": "iso-8859-1",
}

func encodingByName(name string) encoding.Encoding {
	switch name {
	case "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case "utf-16be":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case "windows-1252":
		return cp1252Encoding{charmap.Windows1252}
	case "iso-8859-1":
		return charmap.ISO8859_1
	}
	return nil
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// detectEncoding chooses the encoding from the sample (or validates forced)
// and rejects binary content.
// atEOF says the sample is the whole input (a multi-byte sequence cut at its
// end is then invalid, not merely cut by the sample size).
func detectEncoding(sample []byte, forced string, atEOF bool) (encInfo, error) {
	if forced != "" {
		name, ok := encAliases[strings.ToLower(strings.TrimSpace(forced))]
		if !ok {
			return encInfo{}, errorf(ErrEncoding, 0, "unsupported encoding %q: choose utf-8, utf-16le, utf-16be, windows-1252 or iso-8859-1", forced)
		}
		e := encInfo{name: name, enc: encodingByName(name)}
		switch {
		case name == "utf-8" && bytes.HasPrefix(sample, bomUTF8):
			e.bomLen = 3
		case name == "utf-16le" && bytes.HasPrefix(sample, bomUTF16LE):
			e.bomLen = 2
		case name == "utf-16be" && bytes.HasPrefix(sample, bomUTF16BE):
			e.bomLen = 2
		}
		if !strings.HasPrefix(name, "utf-16") && bytes.IndexByte(sample, 0) >= 0 {
			return encInfo{}, nulError()
		}
		return e, nil
	}
	switch {
	case bytes.HasPrefix(sample, bomUTF8):
		e := encInfo{name: "utf-8", bomLen: 3}
		if bytes.IndexByte(sample, 0) >= 0 {
			return encInfo{}, nulError()
		}
		return e, nil
	case bytes.HasPrefix(sample, bomUTF16LE):
		return encInfo{name: "utf-16le", bomLen: 2, enc: encodingByName("utf-16le")}, nil
	case bytes.HasPrefix(sample, bomUTF16BE):
		return encInfo{name: "utf-16be", bomLen: 2, enc: encodingByName("utf-16be")}, nil
	}
	if name := sniffUTF16(sample); name != "" {
		return encInfo{name: name, enc: encodingByName(name)}, nil
	}
	if bytes.IndexByte(sample, 0) >= 0 {
		return encInfo{}, nulError()
	}
	if !atEOF {
		sample = trimIncompleteRune(sample)
	}
	if utf8.Valid(sample) {
		return encInfo{name: "utf-8"}, nil
	}
	return encInfo{name: "windows-1252", enc: encodingByName("windows-1252")}, nil
}

func nulError() *Error {
	return errorf(ErrBinary, 0, "the file contains NUL bytes: it looks like a binary file, not CSV text; export it as CSV, or choose the right file type")
}

// sniffUTF16 recognizes BOM-less UTF-16 text by its pattern of zero bytes
// (mostly ASCII text has a zero high byte in every code unit).
func sniffUTF16(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	b = b[:len(b)&^1]
	if len(b) < 4 {
		return ""
	}
	var even, odd int
	for i := 0; i < len(b); i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	units := len(b) / 2
	switch {
	case odd*10 >= units*3 && even*20 < units:
		return "utf-16le"
	case even*10 >= units*3 && odd*20 < units:
		return "utf-16be"
	}
	return ""
}

// trimIncompleteRune drops a multi-byte sequence cut off at the end of a sample.
func trimIncompleteRune(b []byte) []byte {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			return b
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			return b
		}
	}
	return b
}

// decodeSample converts the (BOM-less) sample to UTF-8 text for sniffing.
func (e encInfo) decodeSample(b []byte, atEOF bool) string {
	if e.enc == nil {
		if !atEOF {
			b = trimIncompleteRune(b)
		}
		return string(b)
	}
	if strings.HasPrefix(e.name, "utf-16") {
		b = b[:len(b)&^1]
	}
	out, _, err := transform.Bytes(e.enc.NewDecoder(), b)
	if err != nil {
		return string(b)
	}
	return string(out)
}

// reader returns r decoded to UTF-8.
func (e encInfo) reader(r io.Reader) io.Reader {
	if e.enc == nil {
		return r
	}
	return transform.NewReader(r, e.enc.NewDecoder())
}

// cp1252 maps every byte to its Windows-1252 character. The five bytes that
// Windows-1252 leaves undefined map to the C1 control of the same value (as
// in the WHATWG encoding standard), so no byte is ever lost.
var cp1252 = func() (t [256]rune) {
	for i := range t {
		t[i] = charmap.Windows1252.DecodeByte(byte(i))
		if t[i] == utf8.RuneError {
			t[i] = rune(i)
		}
	}
	return t
}()

// fixUTF8 returns s with every byte that is not part of a valid UTF-8 sequence
// decoded as Windows-1252 (valid sequences are kept), and how many bytes were
// decoded that way.
func fixUTF8(s string) (string, int) {
	var b strings.Builder
	b.Grow(len(s) + 8)
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(cp1252[c])
			n++
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String(), n
}

// utf8Fallback is a transform.Transformer that passes valid UTF-8 through and
// decodes each invalid byte as Windows-1252, counting them. It is used on
// streams whose parser would otherwise replace invalid bytes with U+FFFD.
type utf8Fallback struct{ replaced int64 }

func (t *utf8Fallback) Reset() {}

func (t *utf8Fallback) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size == 1 {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			rr := cp1252[c]
			if nDst+utf8.RuneLen(rr) > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += utf8.EncodeRune(dst[nDst:], rr)
			nSrc++
			t.replaced++
			continue
		}
		if nDst+size > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
		nSrc += size
	}
	return nDst, nSrc, nil
}
