package schema

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Staged rows are stored as JSON arrays of strings. These helpers encode
// and decode them without reflection: they run once per row on imports of
// a million rows.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does, so the output is always valid JSON.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendRowJSON appends cells as a JSON array of strings.
func AppendRowJSON(dst []byte, cells []string) []byte {
	dst = append(dst, '[')
	for i, c := range cells {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, c)
	}
	return append(dst, ']')
}

// DecodeRowJSON decodes a JSON array of strings (null reads as "") into
// dst[:0]. Unescaped cells share the memory of s.
func DecodeRowJSON(s string, dst []string) ([]string, error) {
	dst = dst[:0]
	i := skipWS(s, 0)
	if i >= len(s) || s[i] != '[' {
		return dst, fmt.Errorf("staged row: want a JSON array")
	}
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == ']' {
		return dst, nil
	}
	for {
		i = skipWS(s, i)
		if i >= len(s) {
			return dst, fmt.Errorf("staged row: truncated array")
		}
		switch {
		case s[i] == '"':
			v, n, err := readJSONString(s[i:])
			if err != nil {
				return dst, err
			}
			dst = append(dst, v)
			i += n
		case strings.HasPrefix(s[i:], "null"):
			dst = append(dst, "")
			i += 4
		default:
			// numbers or booleans written by hand: keep their text
			j := i
			for j < len(s) && s[j] != ',' && s[j] != ']' && s[j] != ' ' {
				j++
			}
			dst = append(dst, s[i:j])
			i = j
		}
		i = skipWS(s, i)
		if i >= len(s) {
			return dst, fmt.Errorf("staged row: truncated array")
		}
		if s[i] == ']' {
			return dst, nil
		}
		if s[i] != ',' {
			return dst, fmt.Errorf("staged row: want , or ] at %d", i)
		}
		i++
	}
}

// DecodeObjectJSON reads a JSON object of strings ({"key":"value",...},
// as the match index stores a record; null reads as "") into dst, which
// it clears first. It reads what encoding/json reads into a
// map[string]string, without its reflection (a re-import compares up to
// one record per changed row).
func DecodeObjectJSON(s string, dst map[string]string) error {
	clear(dst)
	i := skipWS(s, 0)
	if i >= len(s) || s[i] != '{' {
		return fmt.Errorf("record: want a JSON object")
	}
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		if skipWS(s, i+1) != len(s) {
			return fmt.Errorf("record: text after the object")
		}
		return nil
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return fmt.Errorf("record: want a key at %d", i)
		}
		k, n, err := readJSONString(s[i:])
		if err != nil {
			return err
		}
		i = skipWS(s, i+n)
		if i >= len(s) || s[i] != ':' {
			return fmt.Errorf("record: want : at %d", i)
		}
		i = skipWS(s, i+1)
		switch {
		case i < len(s) && s[i] == '"':
			v, n, err := readJSONString(s[i:])
			if err != nil {
				return err
			}
			dst[k] = v
			i += n
		case strings.HasPrefix(s[i:], "null"):
			dst[k] = ""
			i += 4
		default:
			return fmt.Errorf("record: want a string at %d", i)
		}
		i = skipWS(s, i)
		if i >= len(s) {
			return fmt.Errorf("record: truncated object")
		}
		if s[i] == '}' {
			if skipWS(s, i+1) != len(s) {
				return fmt.Errorf("record: text after the object")
			}
			return nil
		}
		if s[i] != ',' {
			return fmt.Errorf("record: want , or } at %d", i)
		}
		i = skipWS(s, i+1)
	}
}

func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
		i++
	}
	return i
}

// readJSONString reads the JSON string at the start of s; n is the number
// of bytes consumed including the quotes.
func readJSONString(s string) (v string, n int, err error) {
	i := 1
	for i < len(s) && s[i] != '"' && s[i] != '\\' {
		i++
	}
	if i < len(s) && s[i] == '"' {
		return s[1:i], i + 1, nil
	}
	var b []byte
	b = append(b, s[1:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return string(b), i + 1, nil
		case c == '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("staged row: bad escape")
			}
			e := s[i+1]
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'u':
				if i+6 > len(s) {
					return "", 0, fmt.Errorf("staged row: bad \\u escape")
				}
				r, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
				if err != nil {
					return "", 0, fmt.Errorf("staged row: bad \\u escape")
				}
				ru := rune(r)
				i += 6
				if utf8.ValidRune(ru) {
					b = utf8.AppendRune(b, ru)
					continue
				}
				// surrogate pair
				if ru >= 0xd800 && ru < 0xdc00 && i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
					if err == nil && r2 >= 0xdc00 && r2 < 0xe000 {
						b = utf8.AppendRune(b, (ru-0xd800)<<10+(rune(r2)-0xdc00)+0x10000)
						i += 6
						continue
					}
				}
				b = utf8.AppendRune(b, utf8.RuneError)
				continue
			default:
				return "", 0, fmt.Errorf("staged row: bad escape \\%c", e)
			}
			i += 2
		default:
			b = append(b, c)
			i++
		}
	}
	return "", 0, fmt.Errorf("staged row: unterminated string")
}

// AppendJSONString appends s as a JSON string (invalid UTF-8 becomes
// U+FFFD).
func AppendJSONString(dst []byte, s string) []byte { return appendJSONString(dst, s) }
