package schema

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// AppendRecord appends the JSON object of one submitted record: every
// column under its key, transformations applied, typed (integers and
// floats as numbers, booleans as true/false, dates as YYYY-MM-DD,
// datetimes as ISO 8601, times as HH:MM:SS, or the autoformat pattern).
// Empty cells take the column default, else null. A cell that does not
// parse (possible with invalid_rows: include) is kept as its text.
func (s *Schema) AppendRecord(dst []byte, cells []string) []byte {
	dst = append(dst, '{')
	for i, c := range s.cols {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, c.jsonKey...)
		var raw string
		if i < len(cells) {
			raw = cells[i]
		}
		dst = c.appendValue(dst, raw)
	}
	return append(dst, '}')
}

// AppendRecordValues appends the record's typed values as a JSON array in
// column order (the compact stored form; RecordObject turns it into the
// object AppendRecord writes).
func (s *Schema) AppendRecordValues(dst []byte, cells []string) []byte {
	dst = append(dst, '[')
	for i, c := range s.cols {
		if i > 0 {
			dst = append(dst, ',')
		}
		var raw string
		if i < len(cells) {
			raw = cells[i]
		}
		dst = c.appendValue(dst, raw)
	}
	return append(dst, ']')
}

// RecordObject turns a stored values array into the record object
// {"key": value, ...}.
func (s *Schema) RecordObject(dst []byte, values string) ([]byte, error) {
	dst = append(dst, '{')
	i := skipWS(values, 0)
	if i >= len(values) || values[i] != '[' {
		return nil, fmt.Errorf("record: want a JSON array")
	}
	i++
	for ci := range s.cols {
		i = skipWS(values, i)
		if ci > 0 {
			if i >= len(values) || values[i] != ',' {
				return nil, fmt.Errorf("record: %d values, want %d", ci, len(s.cols))
			}
			i = skipWS(values, i+1)
			dst = append(dst, ',')
		}
		end, err := jsonValueEnd(values, i)
		if err != nil {
			return nil, err
		}
		dst = append(dst, s.cols[ci].jsonKey...)
		dst = append(dst, values[i:end]...)
		i = end
	}
	// after the values: the kept unmapped columns as an object (goes under
	// "custom"), and other trailing elements (the match_on operation)
	for {
		if i = skipWS(values, i); i >= len(values) || values[i] != ',' {
			break
		}
		i = skipWS(values, i+1)
		if i < len(values) && values[i] == '{' {
			end, err := jsonObjectEnd(values, i)
			if err != nil {
				return nil, err
			}
			if len(s.cols) > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `"custom":`...)
			dst = append(dst, values[i:end]...)
			i = end
			continue
		}
		end, err := jsonValueEnd(values, i)
		if err != nil {
			return nil, err
		}
		i = end
	}
	return append(dst, '}'), nil
}

// jsonObjectEnd returns where the JSON object starting at i ends.
func jsonObjectEnd(s string, i int) (int, error) {
	depth, inStr := 0, false
	for j := i; j < len(s); j++ {
		c := s[j]
		if inStr {
			switch c {
			case '\\':
				j++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, fmt.Errorf("record: truncated object")
}

// jsonValueEnd returns where the scalar JSON value starting at i ends.
func jsonValueEnd(s string, i int) (int, error) {
	if i >= len(s) {
		return 0, fmt.Errorf("record: truncated")
	}
	if s[i] == '"' {
		for k := i + 1; k < len(s); k++ {
			switch s[k] {
			case '\\':
				k++
			case '"':
				return k + 1, nil
			}
		}
		return 0, fmt.Errorf("record: unterminated string")
	}
	k := i
	for k < len(s) && s[k] != ',' && s[k] != ']' && s[k] != ' ' {
		k++
	}
	if k == i {
		return 0, fmt.Errorf("record: empty value")
	}
	return k, nil
}

// TransformCell returns the value column col would submit for v, as text
// (for previews: "what will be stored").
func (s *Schema) TransformCell(col int, v string) string {
	b := s.cols[col].appendValue(nil, v)
	if len(b) > 0 && b[0] == '"' {
		out, _, err := readJSONString(string(b))
		if err == nil {
			return out
		}
	}
	if string(b) == "null" {
		return ""
	}
	return string(b)
}

func (c *colSpec) appendValue(dst []byte, raw string) []byte {
	v := TrimCell(raw)
	if v == "" {
		if !c.hasDef {
			return append(dst, "null"...)
		}
		raw = c.def
		v = TrimCell(raw)
	}
	x, ok := c.parse(v)
	if !ok {
		return appendJSONString(dst, raw)
	}
	switch c.typ {
	case TypeInteger:
		f := x.f
		n := x.i
		for _, t := range c.trans {
			switch t.kind {
			case TrRound:
				f = math.Round(f)
			case TrFloor:
				f = math.Floor(f)
			case TrCeiling:
				f = math.Ceil(f)
			}
		}
		if x.frac || f != x.f {
			n = int64(f)
		}
		return strconv.AppendInt(dst, n, 10)
	case TypeFloat:
		f := x.f
		decimals := -1
		for _, t := range c.trans {
			switch t.kind {
			case TrRound:
				f = math.Round(f)
			case TrFloor:
				f = math.Floor(f)
			case TrCeiling:
				f = math.Ceil(f)
			case TrNumberOfDecimals:
				p := math.Pow(10, float64(t.n))
				if r := math.Round(f*p) / p; !math.IsInf(r, 0) && !math.IsNaN(r) {
					f = r
				}
				decimals = t.n
			}
		}
		if decimals >= 0 {
			return strconv.AppendFloat(dst, f, 'f', decimals, 64)
		}
		if math.Abs(f) < 1e21 {
			return strconv.AppendFloat(dst, f, 'f', -1, 64)
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64)
	case TypeBoolean:
		return strconv.AppendBool(dst, x.b)
	case TypeDate, TypeDatetime, TypeTime:
		for _, t := range c.trans {
			if t.kind == TrAutoformat {
				dst = append(dst, '"')
				dst = t.pat.Format(dst, x.dt)
				return append(dst, '"')
			}
		}
		dst = append(dst, '"')
		switch c.typ {
		case TypeDate:
			dst = x.dt.AppendISODate(dst)
		case TypeDatetime:
			dst = x.dt.AppendISODateTime(dst)
		default:
			dst = x.dt.AppendISOTime(dst)
			if x.dt.HasZone {
				dst = appendZone(dst, x.dt.Offset, true)
			}
		}
		return append(dst, '"')
	case TypeEnum:
		return appendJSONString(dst, c.values[x.enum])
	case TypeString:
		return appendJSONString(dst, c.applyText(raw))
	default: // email, url, phone: trimmed
		out := c.applyText(v)
		if c.typ == TypeURL {
			for _, t := range c.trans {
				if t.kind == TrPrefix && !strings.Contains(out, "://") {
					out = t.str + out
				}
			}
		}
		return appendJSONString(dst, out)
	}
}

func (c *colSpec) applyText(s string) string {
	for _, t := range c.trans {
		switch t.kind {
		case TrUppercase:
			s = strings.ToUpper(s)
		case TrLowercase:
			s = strings.ToLower(s)
		case TrCapitalize:
			s = capitalizeWords(s)
		case TrSentenceCase:
			s = sentenceCase(s)
		case TrTrimWhitespace:
			s = strings.TrimSpace(s)
		}
	}
	return s
}

// capitalizeWords upper-cases the first letter of every word and leaves
// the rest as it is ("mcDonald farm" -> "McDonald Farm").
func capitalizeWords(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' {
			if start {
				r = unicode.ToUpper(r)
			}
			start = false
		} else {
			start = true
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sentenceCase lower-cases everything, then upper-cases the first letter
// of each sentence ("HELLO. wORLD" -> "Hello. World").
func sentenceCase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range strings.ToLower(s) {
		if start && unicode.IsLetter(r) {
			r = unicode.ToUpper(r)
			start = false
		} else if r == '.' || r == '!' || r == '?' {
			start = true
		} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
			start = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CustomColumns returns the file columns that no importer column reads
// (src as Resolve returns it) and that have a header: their indexes and
// the names they are kept under in a record's "custom" object (the
// trimmed header; a repeated name gets " (2)", " (3)"...). Used when the
// importer keeps unmapped columns (settings.unmapped_columns: keep).
func (s *Schema) CustomColumns(headers []string, src []int) (idx []int, names []string) {
	used := make(map[int]bool, len(src))
	for _, fi := range src {
		if fi >= 0 {
			used[fi] = true
		}
	}
	seen := map[string]int{}
	for fi, h := range headers {
		name := strings.TrimSpace(h)
		if used[fi] || name == "" {
			continue
		}
		seen[name]++
		if n := seen[name]; n > 1 {
			name = fmt.Sprintf("%s (%d)", name, n)
		}
		idx = append(idx, fi)
		names = append(names, name)
	}
	return idx, names
}

// AppendRecordValuesCustom is AppendRecordValues with the kept unmapped
// cells (cells[len(columns):], one per name) as a last element: an object
// of strings, {"Notes": "call back"}. RecordObject puts it under "custom".
func (s *Schema) AppendRecordValuesCustom(dst []byte, cells []string, names []string) []byte {
	dst = s.AppendRecordValues(dst, cells)
	if len(names) == 0 {
		return dst
	}
	dst = dst[:len(dst)-1] // the closing ]
	dst = append(dst, ",{"...)
	for k, name := range names {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, name)
		dst = append(dst, ':')
		v := ""
		if i := len(s.cols) + k; i < len(cells) {
			v = cells[i]
		}
		dst = appendJSONString(dst, v)
	}
	return append(dst, "}]"...)
}
