package schema

import (
	"fmt"
	"strings"
	"time"
)

// DateTime is a parsed date, datetime or time value. Fields a pattern does
// not carry keep their defaults (day 1, month 1, midnight).
type DateTime struct {
	Year, Month, Day     int
	Hour, Minute, Second int
	Nano                 int
	HasTime              bool
	HasZone              bool
	Offset               int // seconds east of UTC, when HasZone
}

// A DatePattern is a compiled date/time pattern in the Unicode/Java style
// the Fuse docs use: yyyy yy MMMM MMM MM M dd d EEEE EEE HH H hh h mm ss SSS
// a XXX, 'quoted literal', anything else literal. Parsing is lenient where
// it cannot be ambiguous: MM/dd/HH/mm/ss take one or two digits when a
// separator follows, month names match full or abbreviated in any case, a
// comma is optional and a space matches any run of spaces.
type DatePattern struct {
	src     string
	toks    []dateTok
	hasYear bool
	hasDate bool
	hasTime bool
	hour12  bool
}

type tokKind uint8

const (
	tkLit tokKind = iota
	tkSpace
	tkComma
	tkYear4
	tkYear2
	tkMonthName // MMMM (format full) / MMM (format abbreviated)
	tkMonthNum
	tkDay
	tkWeekday
	tkHour24
	tkHour12
	tkMinute
	tkSecond
	tkFrac
	tkAmPm
	tkZone
)

type dateTok struct {
	kind  tokKind
	width int    // pattern letter count (format width; 2 = zero padded)
	lit   string // literal text for tkLit
}

func (t dateTok) numeric() bool {
	switch t.kind {
	case tkYear4, tkYear2, tkMonthNum, tkDay, tkHour24, tkHour12, tkMinute, tkSecond, tkFrac:
		return true
	}
	return false
}

// CompileDatePattern compiles a pattern such as "MM/dd/yyyy" or
// "yyyy-MM-dd'T'HH:mm:ssXXX".
func CompileDatePattern(p string) (*DatePattern, error) {
	if strings.TrimSpace(p) == "" {
		return nil, fmt.Errorf("empty pattern")
	}
	dp := &DatePattern{src: p}
	rs := []rune(p)
	for i := 0; i < len(rs); {
		c := rs[i]
		j := i
		for j < len(rs) && rs[j] == c {
			j++
		}
		n := j - i
		switch c {
		case 'y':
			switch n {
			case 2:
				dp.toks = append(dp.toks, dateTok{kind: tkYear2, width: 2})
			case 1, 4:
				dp.toks = append(dp.toks, dateTok{kind: tkYear4, width: 4})
			default:
				return nil, fmt.Errorf("%q: year must be yy or yyyy", p)
			}
			dp.hasYear, dp.hasDate = true, true
		case 'M', 'L':
			switch {
			case n >= 3:
				dp.toks = append(dp.toks, dateTok{kind: tkMonthName, width: min(n, 4)})
			default:
				dp.toks = append(dp.toks, dateTok{kind: tkMonthNum, width: n})
			}
			dp.hasDate = true
		case 'd':
			if n > 2 {
				return nil, fmt.Errorf("%q: day must be d or dd", p)
			}
			dp.toks = append(dp.toks, dateTok{kind: tkDay, width: n})
			dp.hasDate = true
		case 'E':
			dp.toks = append(dp.toks, dateTok{kind: tkWeekday, width: min(n, 4)})
		case 'H', 'k':
			if n > 2 {
				return nil, fmt.Errorf("%q: hour must be H or HH", p)
			}
			dp.toks = append(dp.toks, dateTok{kind: tkHour24, width: n})
			dp.hasTime = true
		case 'h', 'K':
			if n > 2 {
				return nil, fmt.Errorf("%q: hour must be h or hh", p)
			}
			dp.toks = append(dp.toks, dateTok{kind: tkHour12, width: n})
			dp.hasTime, dp.hour12 = true, true
		case 'm':
			if n > 2 {
				return nil, fmt.Errorf("%q: minutes must be m or mm", p)
			}
			dp.toks = append(dp.toks, dateTok{kind: tkMinute, width: n})
			dp.hasTime = true
		case 's':
			if n > 2 {
				return nil, fmt.Errorf("%q: seconds must be s or ss", p)
			}
			dp.toks = append(dp.toks, dateTok{kind: tkSecond, width: n})
			dp.hasTime = true
		case 'S':
			if n > 9 {
				return nil, fmt.Errorf("%q: at most 9 fraction digits", p)
			}
			dp.toks = append(dp.toks, dateTok{kind: tkFrac, width: n})
		case 'a':
			dp.toks = append(dp.toks, dateTok{kind: tkAmPm, width: 1})
		case 'X', 'Z', 'x':
			dp.toks = append(dp.toks, dateTok{kind: tkZone, width: n})
		case '\'':
			// quoted literal; '' is a single quote
			k := i + 1
			var b strings.Builder
			for k < len(rs) {
				if rs[k] == '\'' {
					if k+1 < len(rs) && rs[k+1] == '\'' {
						b.WriteRune('\'')
						k += 2
						continue
					}
					break
				}
				b.WriteRune(rs[k])
				k++
			}
			if k >= len(rs) {
				return nil, fmt.Errorf("%q: unterminated quote", p)
			}
			if b.Len() == 0 && k == i+1 {
				b.WriteRune('\'')
			}
			dp.toks = append(dp.toks, dateTok{kind: tkLit, lit: b.String()})
			j = k + 1
		case ' ':
			dp.toks = append(dp.toks, dateTok{kind: tkSpace})
		case ',':
			dp.toks = append(dp.toks, dateTok{kind: tkComma})
		default:
			if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
				return nil, fmt.Errorf("%q: unknown pattern letter %q (quote literal text: 'T')", p, string(c))
			}
			dp.toks = append(dp.toks, dateTok{kind: tkLit, lit: string(rs[i:j])})
		}
		i = j
	}
	if dp.hour12 && !dp.has(tkAmPm) {
		return nil, fmt.Errorf("%q: 12-hour clock (h) needs an AM/PM marker (a)", p)
	}
	return dp, nil
}

// String returns the pattern source.
func (p *DatePattern) String() string { return p.src }

func (p *DatePattern) has(k tokKind) bool {
	for _, t := range p.toks {
		if t.kind == k {
			return true
		}
	}
	return false
}

// dayFirst reports whether the pattern puts the day before the month.
func (p *DatePattern) dayFirst() bool {
	for _, t := range p.toks {
		switch t.kind {
		case tkDay:
			return true
		case tkMonthNum, tkMonthName:
			return false
		}
	}
	return false
}

var monthNames = [12]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
var monthTitle = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var weekdayNames = [7]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}
var weekdayTitle = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// Parse parses s (already trimmed) with the pattern. It never allocates.
func (p *DatePattern) Parse(s string) (DateTime, bool) {
	dt := DateTime{Month: 1, Day: 1}
	if !p.hasYear {
		dt.Year = 2000 // time-only (or year-less) values still form a valid date
	}
	pm, sawAmPm := false, false
	pos := 0
	for ti, t := range p.toks {
		fixed := ti+1 < len(p.toks) && p.toks[ti+1].numeric() && t.numeric()
		switch t.kind {
		case tkLit:
			if len(s)-pos < len(t.lit) || !equalFoldASCII(s[pos:pos+len(t.lit)], t.lit) {
				return dt, false
			}
			pos += len(t.lit)
		case tkSpace:
			n := 0
			for pos < len(s) && (s[pos] == ' ' || s[pos] == '\t') {
				pos++
				n++
			}
			if n == 0 && pos < len(s) && pos > 0 && s[pos-1] != ',' && s[pos-1] != '.' {
				return dt, false
			}
		case tkComma:
			if pos < len(s) && s[pos] == ',' {
				pos++
			}
		case tkYear4:
			v, n := digits(s, pos, 4, 4)
			if n == 0 {
				// y / yyyy also takes a two-digit year when not fixed width
				v, n = digits(s, pos, 2, 2)
				if n == 0 || fixed || ti == 0 || (pos+n < len(s) && isDigit(s[pos+n])) {
					return dt, false
				}
				v = pivotYear(v)
			}
			if v == 0 {
				return dt, false
			}
			dt.Year, pos = v, pos+n
		case tkYear2:
			v, n := digits(s, pos, 2, 2)
			if n == 0 || (pos+n < len(s) && isDigit(s[pos+n])) {
				return dt, false
			}
			dt.Year, pos = pivotYear(v), pos+n
		case tkMonthName:
			m, n := matchName(s[pos:], monthNames[:], 3)
			if m < 0 {
				return dt, false
			}
			dt.Month, pos = m+1, pos+n
		case tkWeekday:
			_, n := matchName(s[pos:], weekdayNames[:], 3)
			if n == 0 {
				return dt, false
			}
			pos += n
		case tkMonthNum, tkDay, tkHour24, tkHour12, tkMinute, tkSecond:
			lo, hi := 1, 2
			if fixed {
				lo = 2
			}
			v, n := digits(s, pos, lo, hi)
			if n == 0 {
				return dt, false
			}
			pos += n
			switch t.kind {
			case tkMonthNum:
				dt.Month = v
			case tkDay:
				dt.Day = v
			case tkHour24, tkHour12:
				dt.Hour = v
			case tkMinute:
				dt.Minute = v
			case tkSecond:
				dt.Second = v
			}
		case tkFrac:
			start := pos
			ns := 0
			for pos < len(s) && isDigit(s[pos]) {
				if pos-start < 9 {
					ns = ns*10 + int(s[pos]-'0')
				}
				pos++
			}
			n := pos - start
			if n == 0 {
				return dt, false
			}
			for k := min(n, 9); k < 9; k++ {
				ns *= 10
			}
			dt.Nano = ns
		case tkAmPm:
			ap, n := matchAmPm(s[pos:])
			if n == 0 {
				return dt, false
			}
			pm, sawAmPm = ap, true
			pos += n
		case tkZone:
			off, n, ok := parseZone(s[pos:])
			if !ok {
				return dt, false
			}
			dt.HasZone, dt.Offset = true, off
			pos += n
		}
	}
	if pos != len(s) {
		return dt, false
	}
	if p.hour12 {
		if !sawAmPm || dt.Hour < 1 || dt.Hour > 12 {
			return dt, false
		}
		dt.Hour %= 12
		if pm {
			dt.Hour += 12
		}
	}
	dt.HasTime = p.hasTime
	if !dt.valid() {
		return dt, false
	}
	return dt, true
}

func (dt DateTime) valid() bool {
	if dt.Year < 1 || dt.Year > 9999 || dt.Month < 1 || dt.Month > 12 || dt.Day < 1 || dt.Day > daysIn(dt.Year, dt.Month) {
		return false
	}
	if dt.Hour < 0 || dt.Hour > 23 || dt.Minute < 0 || dt.Minute > 59 || dt.Second < 0 || dt.Second > 59 {
		return false
	}
	return dt.Offset > -24*3600 && dt.Offset < 24*3600
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// pivotYear maps a two-digit year: 00–49 -> 2000s, 50–99 -> 1900s.
func pivotYear(v int) int {
	if v < 50 {
		return 2000 + v
	}
	return 1900 + v
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits reads between lo and hi ASCII digits at s[pos:]. n is 0 when
// fewer than lo digits are there.
func digits(s string, pos, lo, hi int) (v, n int) {
	for n < hi && pos+n < len(s) && isDigit(s[pos+n]) {
		v = v*10 + int(s[pos+n]-'0')
		n++
	}
	if n < lo {
		return 0, 0
	}
	return v, n
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// matchName matches a full name or its first abbr letters (optionally
// followed by '.'; "sept" too) case-insensitively at the start of s.
func matchName(s string, names []string, abbr int) (idx, n int) {
	letters := 0
	for letters < len(s) && ((s[letters]|0x20) >= 'a' && (s[letters]|0x20) <= 'z') {
		letters++
	}
	if letters < abbr {
		return -1, 0
	}
	w := s[:letters]
	for i, name := range names {
		if equalFoldASCII(w, name) || equalFoldASCII(w, name[:abbr]) || (i == 8 && names[0] == "january" && equalFoldASCII(w, "sept")) {
			n = letters
			if letters < len(name) && n < len(s) && s[n] == '.' {
				n++
			}
			return i, n
		}
	}
	return -1, 0
}

func matchAmPm(s string) (pm bool, n int) {
	if len(s) == 0 {
		return false, 0
	}
	switch lowerASCII(s[0]) {
	case 'a':
	case 'p':
		pm = true
	default:
		return false, 0
	}
	switch {
	case len(s) >= 4 && s[1] == '.' && lowerASCII(s[2]) == 'm' && s[3] == '.':
		return pm, 4
	case len(s) >= 2 && lowerASCII(s[1]) == 'm':
		return pm, 2
	}
	return false, 0
}

// parseZone reads Z, ±hh, ±hhmm or ±hh:mm.
func parseZone(s string) (off, n int, ok bool) {
	if len(s) == 0 {
		return 0, 0, false
	}
	if s[0] == 'Z' || s[0] == 'z' {
		return 0, 1, true
	}
	if s[0] != '+' && s[0] != '-' {
		return 0, 0, false
	}
	h, hn := digits(s, 1, 2, 2)
	if hn == 0 || h > 23 {
		return 0, 0, false
	}
	n = 3
	m := 0
	if n < len(s) && s[n] == ':' {
		mv, mn := digits(s, n+1, 2, 2)
		if mn == 0 {
			return 0, 0, false
		}
		m, n = mv, n+3
	} else if mv, mn := digits(s, n, 2, 2); mn == 2 {
		m, n = mv, n+2
	}
	if m > 59 {
		return 0, 0, false
	}
	off = h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off, n, true
}

// Format appends dt formatted with the pattern to dst.
func (p *DatePattern) Format(dst []byte, dt DateTime) []byte {
	for _, t := range p.toks {
		switch t.kind {
		case tkLit:
			dst = append(dst, t.lit...)
		case tkSpace:
			dst = append(dst, ' ')
		case tkComma:
			dst = append(dst, ',')
		case tkYear4:
			dst = appendPad(dst, dt.Year, 4)
		case tkYear2:
			dst = appendPad(dst, dt.Year%100, 2)
		case tkMonthName:
			name := monthTitle[(dt.Month+11)%12]
			if t.width < 4 {
				name = name[:3]
			}
			dst = append(dst, name...)
		case tkMonthNum:
			dst = appendPad(dst, dt.Month, t.width)
		case tkDay:
			dst = appendPad(dst, dt.Day, t.width)
		case tkWeekday:
			name := weekdayTitle[dt.weekday()]
			if t.width < 4 {
				name = name[:3]
			}
			dst = append(dst, name...)
		case tkHour24:
			dst = appendPad(dst, dt.Hour, t.width)
		case tkHour12:
			h := dt.Hour % 12
			if h == 0 {
				h = 12
			}
			dst = appendPad(dst, h, t.width)
		case tkMinute:
			dst = appendPad(dst, dt.Minute, t.width)
		case tkSecond:
			dst = appendPad(dst, dt.Second, t.width)
		case tkFrac:
			ns := dt.Nano
			div := 100_000_000
			for k := 0; k < t.width; k++ {
				dst = append(dst, byte('0'+ns/div%10))
				div /= 10
				if div == 0 {
					div = 1
					ns = 0
				}
			}
		case tkAmPm:
			if dt.Hour >= 12 {
				dst = append(dst, "PM"...)
			} else {
				dst = append(dst, "AM"...)
			}
		case tkZone:
			dst = appendZone(dst, dt.Offset, t.width != 2)
		}
	}
	return dst
}

func appendPad(dst []byte, v, width int) []byte {
	if v < 0 {
		v = 0
	}
	var buf [20]byte
	i := len(buf)
	for v >= 10 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	buf[i] = byte('0' + v)
	for len(buf)-i < width {
		i--
		buf[i] = '0'
	}
	return append(dst, buf[i:]...)
}

func appendZone(dst []byte, off int, colon bool) []byte {
	if off == 0 {
		return append(dst, 'Z')
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	dst = append(dst, sign)
	dst = appendPad(dst, off/3600, 2)
	if colon {
		dst = append(dst, ':')
	}
	return appendPad(dst, off%3600/60, 2)
}

// days returns the days since 1970-01-01 (proleptic Gregorian).
func (dt DateTime) days() int64 {
	y, m, d := int64(dt.Year), int64(dt.Month), int64(dt.Day)
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func (dt DateTime) weekday() int {
	w := (dt.days() + 4) % 7 // 1970-01-01 was a Thursday
	if w < 0 {
		w += 7
	}
	return int(w)
}

// Unix returns seconds since the epoch, reading the value as UTC unless it
// carries a zone. Used to compare values (before_date / after_date).
func (dt DateTime) Unix() int64 {
	s := dt.days()*86400 + int64(dt.Hour*3600+dt.Minute*60+dt.Second)
	if dt.HasZone {
		s -= int64(dt.Offset)
	}
	return s
}

// Compare orders two values: -1, 0 or +1.
func (dt DateTime) Compare(o DateTime) int {
	a, b := dt.Unix(), o.Unix()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case dt.Nano < o.Nano:
		return -1
	case dt.Nano > o.Nano:
		return 1
	}
	return 0
}

// Time converts to a time.Time (UTC unless the value has a zone).
func (dt DateTime) Time() time.Time {
	loc := time.UTC
	if dt.HasZone && dt.Offset != 0 {
		loc = time.FixedZone("", dt.Offset)
	}
	return time.Date(dt.Year, time.Month(dt.Month), dt.Day, dt.Hour, dt.Minute, dt.Second, dt.Nano, loc)
}

// AppendISODate appends YYYY-MM-DD.
func (dt DateTime) AppendISODate(dst []byte) []byte {
	dst = appendPad(dst, dt.Year, 4)
	dst = append(dst, '-')
	dst = appendPad(dst, dt.Month, 2)
	dst = append(dst, '-')
	return appendPad(dst, dt.Day, 2)
}

// AppendISOTime appends HH:MM:SS[.fff] (milliseconds when non-zero).
func (dt DateTime) AppendISOTime(dst []byte) []byte {
	dst = appendPad(dst, dt.Hour, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, dt.Minute, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, dt.Second, 2)
	if dt.Nano != 0 {
		dst = append(dst, '.')
		dst = appendPad(dst, dt.Nano/1_000_000, 3)
	}
	return dst
}

// AppendISODateTime appends YYYY-MM-DDTHH:MM:SS[.fff][Z|±hh:mm].
func (dt DateTime) AppendISODateTime(dst []byte) []byte {
	dst = dt.AppendISODate(dst)
	dst = append(dst, 'T')
	dst = dt.AppendISOTime(dst)
	if dt.HasZone {
		dst = appendZone(dst, dt.Offset, true)
	}
	return dst
}

// parseISO is the fast path for ISO 8601: YYYY-MM-DD, optionally followed
// by T or a space and HH:MM[:SS[.fff]] and a zone.
func parseISO(s string) (DateTime, bool) {
	dt := DateTime{}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return dt, false
	}
	y, n1 := digits(s, 0, 4, 4)
	m, n2 := digits(s, 5, 2, 2)
	d, n3 := digits(s, 8, 2, 2)
	if n1 == 0 || n2 == 0 || n3 == 0 {
		return dt, false
	}
	dt.Year, dt.Month, dt.Day = y, m, d
	if len(s) == 10 {
		return dt, dt.valid()
	}
	if s[10] != 'T' && s[10] != 't' && s[10] != ' ' {
		return dt, false
	}
	t, ok := parseISOTime(s[11:])
	if !ok {
		return dt, false
	}
	t.Year, t.Month, t.Day = y, m, d
	return t, t.valid()
}

// parseISOTime parses HH:MM[:SS[.fff]][zone].
func parseISOTime(s string) (DateTime, bool) {
	dt := DateTime{Year: 2000, Month: 1, Day: 1, HasTime: true}
	if len(s) < 5 || s[2] != ':' {
		return dt, false
	}
	h, n1 := digits(s, 0, 2, 2)
	mi, n2 := digits(s, 3, 2, 2)
	if n1 == 0 || n2 == 0 {
		return dt, false
	}
	dt.Hour, dt.Minute = h, mi
	pos := 5
	if pos < len(s) && s[pos] == ':' {
		sec, n := digits(s, pos+1, 2, 2)
		if n == 0 {
			return dt, false
		}
		dt.Second = sec
		pos += 3
		if pos < len(s) && (s[pos] == '.' || s[pos] == ',') {
			pos++
			start, ns := pos, 0
			for pos < len(s) && isDigit(s[pos]) {
				if pos-start < 9 {
					ns = ns*10 + int(s[pos]-'0')
				}
				pos++
			}
			if pos == start {
				return dt, false
			}
			for k := min(pos-start, 9); k < 9; k++ {
				ns *= 10
			}
			dt.Nano = ns
		}
	}
	if pos < len(s) {
		off, n, ok := parseZone(s[pos:])
		if !ok || pos+n != len(s) {
			return dt, false
		}
		dt.HasZone, dt.Offset = true, off
	}
	return dt, dt.valid()
}

func mustPatterns(ps ...string) []*DatePattern {
	out := make([]*DatePattern, len(ps))
	for i, p := range ps {
		dp, err := CompileDatePattern(p)
		if err != nil {
			panic(err)
		}
		out[i] = dp
	}
	return out
}

// The common patterns every date column understands besides its own. The
// slash and dash forms with numeric months depend on dayFirst.
var (
	commonDates = mustPatterns(
		"yyyy/MM/dd", "yyyy.MM.dd", "dd.MM.yyyy", "dd.MM.yy",
		"dd-MMM-yyyy", "dd-MMM-yy", "dd MMM yyyy", "dd MMM, yyyy", "MMM dd, yyyy", "MMM dd, yy", "MMM-dd-yyyy", "MMM-dd-yy",
		"EEEE, MMMM dd, yyyy", "EEE, dd MMM yyyy", "EEEE dd MMMM yyyy", "MMMM yyyy",
	)
	monthFirstDates = mustPatterns("MM/dd/yyyy", "MM/dd/yy", "MM-dd-yyyy", "MM-dd-yy")
	dayFirstDates   = mustPatterns("dd/MM/yyyy", "dd/MM/yy", "dd-MM-yyyy", "dd-MM-yy")
	commonTimes     = mustPatterns("HH:mm:ss", "HH:mm", "hh:mm:ss a", "hh:mm a", "hh:mm:ss a", "h a", "HH:mm:ss.SSS", "HHmm")
)

// dateParser parses one column's values: its own pattern first, then the
// ISO fast path, then the common patterns.
type dateParser struct {
	typ      Type
	own      *DatePattern
	dayFirst bool
}

func newDateParser(typ Type, own *DatePattern) *dateParser {
	dp := &dateParser{typ: typ, own: own}
	if own != nil {
		dp.dayFirst = own.dayFirst()
	}
	return dp
}

func (p *dateParser) parse(s string) (DateTime, bool) {
	if p.own != nil {
		if dt, ok := p.own.Parse(s); ok {
			return p.fix(dt), true
		}
	}
	switch p.typ {
	case TypeTime:
		if dt, ok := parseISOTime(s); ok {
			return dt, true
		}
		for _, c := range commonTimes {
			if dt, ok := c.Parse(s); ok {
				return dt, true
			}
		}
		return DateTime{}, false
	}
	if dt, ok := parseISO(s); ok {
		return p.fix(dt), true
	}
	if dt, ok := p.parseDate(s); ok {
		return p.fix(dt), true
	}
	if p.typ == TypeDatetime {
		// a date, a space, a time: split at the last space before a digit
		// run that has a colon.
		for i := len(s) - 1; i > 0; i-- {
			if s[i] != ' ' && s[i] != 'T' {
				continue
			}
			if !strings.Contains(s[i:], ":") {
				continue
			}
			d, ok := p.parseDate(strings.TrimRight(s[:i], " ,"))
			if !ok {
				continue
			}
			rest := strings.TrimSpace(s[i+1:])
			t, ok := parseISOTime(rest)
			if !ok {
				for _, c := range commonTimes {
					if t, ok = c.Parse(rest); ok {
						break
					}
				}
			}
			if !ok {
				return DateTime{}, false
			}
			d.Hour, d.Minute, d.Second, d.Nano = t.Hour, t.Minute, t.Second, t.Nano
			d.HasZone, d.Offset, d.HasTime = t.HasZone, t.Offset, true
			return d, true
		}
	}
	return DateTime{}, false
}

func (p *dateParser) parseDate(s string) (DateTime, bool) {
	if len(s) == 0 || len(s) > 64 {
		return DateTime{}, false
	}
	numeric := p.monthFirst()
	for _, c := range numeric {
		if dt, ok := c.Parse(s); ok {
			return dt, true
		}
	}
	for _, c := range commonDates {
		if dt, ok := c.Parse(s); ok {
			return dt, true
		}
	}
	return DateTime{}, false
}

func (p *dateParser) monthFirst() []*DatePattern {
	if p.dayFirst {
		return dayFirstDates
	}
	return monthFirstDates
}

// fix drops the time part of a date-only value.
func (p *dateParser) fix(dt DateTime) DateTime {
	if p.typ == TypeDate {
		dt.Hour, dt.Minute, dt.Second, dt.Nano, dt.HasTime, dt.HasZone, dt.Offset = 0, 0, 0, 0, false, false, 0
	}
	return dt
}

// ParseDate parses s as a value of a date column whose pattern is pattern
// (may be empty): the pattern first, then ISO 8601, then the common
// patterns (MM/dd before dd/MM unless the pattern puts the day first).
func ParseDate(s, pattern string) (DateTime, error) {
	return parseTemporal(TypeDate, s, pattern)
}

// ParseDateTime is ParseDate for datetime columns.
func ParseDateTime(s, pattern string) (DateTime, error) {
	return parseTemporal(TypeDatetime, s, pattern)
}

// ParseTime is ParseDate for time columns.
func ParseTime(s, pattern string) (DateTime, error) {
	return parseTemporal(TypeTime, s, pattern)
}

func parseTemporal(typ Type, s, pattern string) (DateTime, error) {
	var own *DatePattern
	if pattern != "" {
		p, err := CompileDatePattern(pattern)
		if err != nil {
			return DateTime{}, err
		}
		own = p
	}
	dt, ok := newDateParser(typ, own).parse(strings.TrimSpace(s))
	if !ok {
		return DateTime{}, fmt.Errorf("%q is not a valid %s", s, typ)
	}
	return dt, nil
}
