package schema

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Cell parsers for the column types. They take the cell text with
// surrounding whitespace already trimmed and do not allocate on the
// common paths: validation runs over every cell of million-row files.

// TrimCell trims ASCII whitespace and non-breaking spaces without
// allocating: the whitespace validation ignores around a cell.
func TrimCell(s string) string {
	for len(s) > 0 {
		c := s[0]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' {
			s = s[1:]
			continue
		}
		if c == 0xc2 && len(s) > 1 && s[1] == 0xa0 {
			s = s[2:]
			continue
		}
		break
	}
	for len(s) > 0 {
		c := s[len(s)-1]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' {
			s = s[:len(s)-1]
			continue
		}
		if c == 0xa0 && len(s) > 1 && s[len(s)-2] == 0xc2 {
			s = s[:len(s)-2]
			continue
		}
		break
	}
	return s
}

// numberSyntax checks s is [sign] digits [,ddd groups] [. digits] [e[sign]digits]
// and reports whether it has grouping commas, a fraction or an exponent.
func numberSyntax(s string) (ok, commas, frac, exp bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intStart := i
	group := -1 // digits since the last comma; -1 before any comma
	lead := 0
	for i < len(s) {
		c := s[i]
		if isDigit(c) {
			if group >= 0 {
				group++
				if group > 3 {
					return false, false, false, false
				}
			} else {
				lead++
			}
			i++
			continue
		}
		if c == ',' {
			if lead == 0 || lead > 3 || (group >= 0 && group != 3) {
				return false, false, false, false
			}
			commas = true
			group = 0
			i++
			continue
		}
		break
	}
	if group >= 0 && group != 3 {
		return false, false, false, false
	}
	intDigits := i - intStart
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		frac = true
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			fracDigits++
		}
	}
	if intDigits == 0 && fracDigits == 0 {
		return false, false, false, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		exp = true
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		n := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			n++
		}
		if n == 0 {
			return false, false, false, false
		}
	}
	return i == len(s), commas, frac, exp
}

// parseFloat parses a number with optional thousands separators.
func parseFloat(s string) (float64, bool) {
	ok, commas, _, _ := numberSyntax(s)
	if !ok {
		return 0, false
	}
	if commas {
		var buf [64]byte
		if len(s) > len(buf) {
			return 0, false
		}
		b := buf[:0]
		for i := 0; i < len(s); i++ {
			if s[i] != ',' {
				b = append(b, s[i])
			}
		}
		f, err := strconv.ParseFloat(string(b), 64)
		return f, err == nil && !math.IsInf(f, 0)
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsInf(f, 0)
}

// parseInt parses a whole number ("1234", "-1,234", "12.0"). With
// allowFrac, a fractional value is accepted and returned as a float in f
// (isInt false): the column rounds it on submit.
func parseInt(s string, allowFrac bool) (n int64, f float64, isInt, ok bool) {
	syn, commas, frac, exp := numberSyntax(s)
	if !syn {
		return 0, 0, false, false
	}
	if !commas && !frac && !exp {
		// fast path: plain digits
		neg := false
		i := 0
		if s[0] == '+' || s[0] == '-' {
			neg = s[0] == '-'
			i++
		}
		if len(s)-i > 18 {
			return 0, 0, false, false
		}
		for ; i < len(s); i++ {
			n = n*10 + int64(s[i]-'0')
		}
		if neg {
			n = -n
		}
		return n, float64(n), true, true
	}
	fv, okf := parseFloat(s)
	if !okf || math.Abs(fv) >= 1e18 {
		return 0, 0, false, false
	}
	if fv == math.Trunc(fv) {
		return int64(fv), fv, true, true
	}
	if allowFrac {
		return 0, fv, false, true
	}
	return 0, 0, false, false
}

// parseBool reads yes/no, y/n, true/false, t/f, 1/0, on/off in any case.
func parseBool(s string) (v, ok bool) {
	if len(s) > 5 {
		return false, false
	}
	var buf [5]byte
	for i := 0; i < len(s); i++ {
		buf[i] = lowerASCII(s[i])
	}
	switch string(buf[:len(s)]) {
	case "yes", "y", "true", "t", "1", "on":
		return true, true
	case "no", "n", "false", "f", "0", "off":
		return false, true
	}
	return false, false
}

// isEmail is a pragmatic address check: one @, a non-empty local part of
// printable characters without spaces, a dotted domain of letters, digits
// and hyphens whose last label has at least two letters.
func isEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 254 || at > 64 {
		return false
	}
	for i := 0; i < at; i++ {
		c := s[i]
		if c <= ' ' || c == '@' || c == '"' || c == '(' || c == ')' || c == ',' || c == ':' || c == ';' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\' || c == 0x7f {
			return false
		}
	}
	if s[0] == '.' || s[at-1] == '.' || strings.Contains(s[:at], "..") {
		return false
	}
	return isHostname(s[at+1:], true)
}

// isHostname checks dotted labels; needDot requires at least two labels
// and an alphabetic top-level label.
func isHostname(h string, needDot bool) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	labels := 0
	start := 0
	for i := 0; i <= len(h); i++ {
		if i < len(h) && h[i] != '.' {
			c := h[i]
			if !(isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'z' || c == '-' || c >= 0x80) {
				return false
			}
			continue
		}
		l := h[start:i]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		labels++
		if i == len(h) && needDot {
			if labels < 2 || len(l) < 2 {
				return false
			}
			for k := 0; k < len(l); k++ {
				if isDigit(l[k]) || l[k] == '-' {
					return false
				}
			}
		}
		start = i + 1
	}
	return true
}

// isURL accepts an absolute http(s)/ftp URL or a bare host with a path
// ("example.com/about"): the url `prefix` transformation adds the scheme.
func isURL(s string) bool {
	if len(s) > 2048 {
		return false
	}
	rest := s
	if i := strings.Index(s, "://"); i >= 0 {
		scheme := s[:i]
		if !equalFoldASCII(scheme, "http") && !equalFoldASCII(scheme, "https") && !equalFoldASCII(scheme, "ftp") {
			return false
		}
		rest = s[i+3:]
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] <= ' ' || rest[i] == '"' || rest[i] == '<' || rest[i] == '>' || rest[i] == '\\' || rest[i] == 0x7f {
			return false
		}
	}
	end := len(rest)
	for i := 0; i < len(rest); i++ {
		if rest[i] == '/' || rest[i] == '?' || rest[i] == '#' {
			end = i
			break
		}
	}
	host := rest[:end]
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		host = host[at+1:]
	}
	if c := strings.LastIndexByte(host, ':'); c >= 0 {
		port := host[c+1:]
		if len(port) == 0 || len(port) > 5 {
			return false
		}
		pn := 0
		for i := 0; i < len(port); i++ {
			if !isDigit(port[i]) {
				return false
			}
			pn = pn*10 + int(port[i]-'0')
		}
		if pn > 65535 {
			return false
		}
		host = host[:c]
	}
	if equalFoldASCII(host, "localhost") {
		return true
	}
	if isIPv4(host) {
		return true
	}
	return isHostname(host, true)
}

func isIPv4(h string) bool {
	parts := 0
	v, n := 0, 0
	for i := 0; i <= len(h); i++ {
		if i == len(h) || h[i] == '.' {
			if n == 0 || v > 255 {
				return false
			}
			parts++
			v, n = 0, 0
			continue
		}
		if !isDigit(h[i]) || n >= 3 {
			return false
		}
		v = v*10 + int(h[i]-'0')
		n++
	}
	return parts == 4
}

// isPhone accepts digits with the usual punctuation (+ ( ) - . space /)
// and an optional extension ("x123", "ext. 123"): 7 to 15 digits before
// the extension, a leading + only.
func isPhone(s string) bool {
	if len(s) > 40 {
		return false
	}
	n := 0
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			n++
		case c == '+':
			if i != 0 {
				return false
			}
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		case c == 'x' || c == 'X' || c == 'e' || c == 'E' || c == '#':
			goto ext
		default:
			return false
		}
	}
	return n >= 7 && n <= 15
ext:
	if n < 7 || n > 15 {
		return false
	}
	rest := s[i:]
	for _, p := range []string{"extension", "ext.", "ext", "x", "#"} {
		if len(rest) >= len(p) && equalFoldASCII(rest[:len(p)], p) {
			rest = TrimCell(rest[len(p):])
			if len(rest) == 0 || len(rest) > 6 {
				return false
			}
			for k := 0; k < len(rest); k++ {
				if !isDigit(rest[k]) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// foldKey lowercases s into buf (ASCII fast, Unicode correct) for
// case-insensitive lookups, reusing buf's storage.
func foldKey(buf []byte, s string) []byte {
	buf = buf[:0]
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			buf = append(buf, lowerASCII(c))
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		buf = utf8.AppendRune(buf, toLowerRune(r))
		i += size
	}
	return buf
}

func toLowerRune(r rune) rune {
	if r < utf8.RuneSelf {
		return rune(lowerASCII(byte(r)))
	}
	return unicode.ToLower(r)
}
