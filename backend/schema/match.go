package schema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"fusebox/backend/errs"
)

// Mapping is a confirmed mapping from file columns to importer columns,
// plus, per enum column, how file values map to the column's values.
type Mapping struct {
	Columns []MappedColumn `json:"columns"`
	// Values maps column key -> file value -> enum value.
	Values map[string]map[string]string `json:"values,omitempty"`
}

// MappedColumn maps one file column (by Index, or by Header when Index is
// nil) to an importer column key; an empty Key ignores the file column.
type MappedColumn struct {
	Index  *int   `json:"index,omitempty"`
	Header string `json:"header,omitempty"`
	Key    string `json:"key"`
}

// Resolve checks the mapping against the file headers and the schema and
// returns, per importer column, the file column index feeding it (-1 when
// unmapped).
func (s *Schema) Resolve(m Mapping, headers []string) ([]int, error) {
	src := make([]int, len(s.cols))
	for i := range src {
		src[i] = -1
	}
	usedFile := map[int]bool{}
	for n, mc := range m.Columns {
		idx := -1
		if mc.Index != nil {
			idx = *mc.Index
			if idx < 0 || idx >= len(headers) {
				return nil, errs.Invalid("mapping: columns[%d]: file column %d does not exist (the file has %d columns)", n, idx, len(headers))
			}
		} else {
			idx = findHeader(headers, mc.Header)
			if idx < 0 {
				return nil, errs.Invalid("mapping: columns[%d]: the file has no column %q", n, mc.Header)
			}
		}
		if usedFile[idx] {
			return nil, errs.Invalid("mapping: columns[%d]: file column %d (%q) is mapped twice", n, idx, headerAt(headers, idx))
		}
		usedFile[idx] = true
		if mc.Key == "" {
			continue
		}
		ci := s.Index(mc.Key)
		if ci < 0 {
			return nil, errs.Invalid("mapping: columns[%d]: importer %q has no column %q", n, s.Def.Slug, mc.Key)
		}
		if src[ci] >= 0 {
			return nil, errs.Invalid("mapping: column %q is mapped from two file columns (%q and %q)", mc.Key, headerAt(headers, src[ci]), headerAt(headers, idx))
		}
		src[ci] = idx
	}
	for key, vm := range m.Values {
		ci := s.Index(key)
		if ci < 0 {
			return nil, errs.Invalid("mapping: values: importer %q has no column %q", s.Def.Slug, key)
		}
		c := s.cols[ci]
		if c.typ != TypeEnum {
			return nil, errs.Invalid("mapping: values: column %q is not an enum column", key)
		}
		for from, to := range vm {
			if to == "" {
				continue
			}
			if _, ok := c.parse(to); !ok {
				return nil, errs.Invalid("mapping: values: %q -> %q: column %q has no value %q", from, to, key, to)
			}
		}
	}
	return src, nil
}

func headerAt(headers []string, i int) string {
	if i >= 0 && i < len(headers) {
		return headers[i]
	}
	return ""
}

func findHeader(headers []string, name string) int {
	for i, h := range headers {
		if h == name {
			return i
		}
	}
	n := NormalizeHeader(name)
	for i, h := range headers {
		if NormalizeHeader(h) == n {
			return i
		}
	}
	return -1
}

// NormalizeHeader reduces a header to the form exact matching compares:
// lower case, letters and digits only ("E-mail Address" -> "emailaddress",
// "firstName" and "first_name" -> "firstname").
func NormalizeHeader(h string) string {
	var b strings.Builder
	for _, r := range h {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// headerTokens splits a header into lower-case words, breaking on
// punctuation, spaces and camelCase ("firstName" -> first, name), and maps
// common synonyms to one word (surname -> last name).
func headerTokens(h string) []string {
	var toks []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			toks = append(toks, string(cur))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range h {
		switch {
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur = append(cur, unicode.ToLower(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, unicode.ToLower(r))
		default:
			flush()
		}
		prev = r
	}
	flush()
	var out []string
	for _, t := range toks {
		if syn, ok := synonyms[t]; ok {
			out = append(out, syn...)
			continue
		}
		out = append(out, t)
	}
	return out
}

// synonyms are common header words that mean a canonical word (or words).
var synonyms = map[string][]string{
	"surname":      {"last", "name"},
	"lastname":     {"last", "name"},
	"familyname":   {"last", "name"},
	"forename":     {"first", "name"},
	"firstname":    {"first", "name"},
	"givenname":    {"first", "name"},
	"given":        {"first"},
	"family":       {"last"},
	"fname":        {"first", "name"},
	"lname":        {"last", "name"},
	"mail":         {"email"},
	"emailaddress": {"email"},
	"tel":          {"phone"},
	"telephone":    {"phone"},
	"mobile":       {"phone"},
	"cell":         {"phone"},
	"phonenumber":  {"phone"},
	"organization": {"company"},
	"organisation": {"company"},
	"org":          {"company"},
	"employer":     {"company"},
	"business":     {"company"},
	"zip":          {"postal", "code"},
	"zipcode":      {"postal", "code"},
	"postcode":     {"postal", "code"},
	"site":         {"website"},
	"homepage":     {"website"},
	"web":          {"website"},
	"url":          {"website"},
	"dob":          {"birth", "date"},
	"birthday":     {"birth", "date"},
	"qty":          {"quantity"},
	"amt":          {"amount"},
	"no":           {"number"},
	"num":          {"number"},
	"nr":           {"number"},
	"addr":         {"address"},
	"tier":         {"plan"},
	"subscription": {"plan"},
	"licenses":     {"seats"},
	"licences":     {"seats"},
	"users":        {"seats"},
}

// HeaderMemory remembers confirmed mappings: normalized header -> column
// key ("" means the header was ignored).
type HeaderMemory map[string]string

// ColumnSuggestion is the suggested target of one file column.
type ColumnSuggestion struct {
	Index      int     `json:"index"`
	Header     string  `json:"header"`
	Key        string  `json:"key"` // "" when no column fits
	Confidence float64 `json:"confidence"`
	// Source is how it was found: "user_memory", "memory", "exact" (the
	// key or label), "alternate" (one of the column's alternates),
	// "synonym", "fuzzy" or "none".
	Source string `json:"source"`
}

// Suggestions is the suggested mapping of a file.
type Suggestions struct {
	Columns []ColumnSuggestion `json:"columns"`
	// UnmappedRequired lists required columns (without a default) that no
	// file column was matched to.
	UnmappedRequired []string `json:"unmapped_required"`
	// Unmapped lists every importer column left without a file column.
	Unmapped []string `json:"unmapped"`
}

// FuzzyThreshold is the least confidence a fuzzy suggestion needs.
const FuzzyThreshold = 0.8

// SuggestMapping suggests, for each file header, the importer column it
// feeds. userMem (the end user's confirmed mappings) is consulted first,
// then importerMem (the importer's), then exact matches on key, label and
// alternates after normalization, then synonyms and fuzzy similarity
// (Jaro-Winkler on the compact form and word overlap) with a confidence
// 0..1. Each importer column is assigned at most once, best first.
func (s *Schema) SuggestMapping(headers []string, userMem, importerMem HeaderMemory) Suggestions {
	type cand struct {
		file, col int
		score     float64
		rank      int // lower wins ties: memory before exact before fuzzy
		source    string
	}
	var cands []cand
	out := Suggestions{Columns: make([]ColumnSuggestion, len(headers))}
	decided := make([]bool, len(headers))
	for fi, h := range headers {
		out.Columns[fi] = ColumnSuggestion{Index: fi, Header: h, Source: "none"}
		norm := NormalizeHeader(h)
		if norm == "" {
			continue
		}
		for mi, mem := range []HeaderMemory{userMem, importerMem} {
			key, ok := mem[norm]
			if !ok {
				continue
			}
			src := "user_memory"
			if mi == 1 {
				src = "memory"
			}
			if key == "" {
				// remembered as ignored
				out.Columns[fi].Source = src
				decided[fi] = true
				break
			}
			if ci := s.Index(key); ci >= 0 {
				cands = append(cands, cand{fi, ci, 1, mi, src})
				break
			}
		}
		if decided[fi] {
			continue
		}
		htoks := headerTokens(h)
		for ci := range s.cols {
			col := &s.Def.Columns[ci]
			best, bestSrc := 0.0, ""
			for ni, name := range append([]string{col.Key, col.Label}, col.Alternates...) {
				if name == "" {
					continue
				}
				n := NormalizeHeader(name)
				if n == norm {
					best, bestSrc = 1, "exact"
					if ni >= 2 {
						// one of the definition's known alternate names
						bestSrc = "alternate"
					}
					break
				}
				ntoks := headerTokens(name)
				if sameTokens(htoks, ntoks) {
					if best < 0.95 {
						best, bestSrc = 0.95, "synonym"
					}
					continue
				}
				sc := similarity(norm, n, htoks, ntoks)
				if sc > best {
					best, bestSrc = sc, "fuzzy"
				}
			}
			if bestSrc == "exact" || bestSrc == "alternate" {
				cands = append(cands, cand{fi, ci, 1, 2, bestSrc})
			} else if best >= FuzzyThreshold {
				cands = append(cands, cand{fi, ci, best, 3, bestSrc})
			}
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		if cands[a].rank != cands[b].rank {
			return cands[a].rank < cands[b].rank
		}
		return cands[a].score > cands[b].score
	})
	usedCol := make([]bool, len(s.cols))
	for _, c := range cands {
		if decided[c.file] || usedCol[c.col] {
			continue
		}
		decided[c.file], usedCol[c.col] = true, true
		cs := &out.Columns[c.file]
		cs.Key, cs.Confidence, cs.Source = s.cols[c.col].key, round2(c.score), c.source
	}
	out.UnmappedRequired = []string{}
	out.Unmapped = []string{}
	for ci, c := range s.cols {
		if usedCol[ci] {
			continue
		}
		out.Unmapped = append(out.Unmapped, c.key)
		if c.required && !c.hasDef {
			out.UnmappedRequired = append(out.UnmappedRequired, c.key)
		}
	}
	return out
}

// Mapping turns suggestions into a mapping (what the CLI confirms).
func (sg Suggestions) Mapping() Mapping {
	var m Mapping
	for _, c := range sg.Columns {
		idx := c.Index
		m.Columns = append(m.Columns, MappedColumn{Index: &idx, Header: c.Header, Key: c.Key})
	}
	return m
}

func round2(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 2, 64), 64)
	return v
}

func sameTokens(a, b []string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// similarity combines Jaro-Winkler on the compact forms with a token
// overlap (Dice) where tokens match when close (Jaro-Winkler >= 0.9).
func similarity(a, b string, at, bt []string) float64 {
	jw := JaroWinkler(a, b)
	if len(at) == 0 || len(bt) == 0 {
		return jw
	}
	used := make([]bool, len(bt))
	common := 0.0
	for _, x := range at {
		bestK, best := -1, 0.0
		for k, y := range bt {
			if used[k] {
				continue
			}
			if sc := JaroWinkler(x, y); sc > best {
				bestK, best = k, sc
			}
		}
		if bestK >= 0 && best >= 0.9 {
			used[bestK] = true
			common += best
		}
	}
	dice := 2 * common / float64(len(at)+len(bt))
	// a header that contains every word of a name ("Email Address" vs
	// "email") is a strong hint but not an exact match; a sentence that
	// merely mentions the word ("Account list (confidential)") is not
	if common >= float64(min(len(at), len(bt)))-0.2 && min(len(at), len(bt)) > 0 && max(len(at), len(bt))-min(len(at), len(bt)) <= 1 {
		dice = max(dice, 0.85)
	}
	return max(jw*0.95*lengthFactor(a, b), dice)
}

// lengthFactor damps Jaro-Winkler between strings of very different
// lengths: its prefix bonus makes "accountlistconfidential" look 86% like
// "account". 1 when the shorter is at least half the longer.
func lengthFactor(a, b string) float64 {
	la, lb := len([]rune(a)), len([]rune(b))
	if la == 0 || lb == 0 {
		return 0
	}
	r := float64(min(la, lb)) / float64(max(la, lb))
	if r >= 0.5 {
		return 1
	}
	return 0.5 + r
}

// JaroWinkler returns the Jaro-Winkler similarity of a and b (0..1).
func JaroWinkler(a, b string) float64 {
	if a == b {
		if a == "" {
			return 0
		}
		return 1
	}
	ar, br := []rune(a), []rune(b)
	if len(ar) == 0 || len(br) == 0 {
		return 0
	}
	window := max(len(ar), len(br))/2 - 1
	if window < 0 {
		window = 0
	}
	am := make([]bool, len(ar))
	bm := make([]bool, len(br))
	matches := 0
	for i := range ar {
		lo, hi := max(0, i-window), min(len(br)-1, i+window)
		for j := lo; j <= hi; j++ {
			if !bm[j] && ar[i] == br[j] {
				am[i], bm[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	trans := 0
	k := 0
	for i := range ar {
		if !am[i] {
			continue
		}
		for !bm[k] {
			k++
		}
		if ar[i] != br[k] {
			trans++
		}
		k++
	}
	m := float64(matches)
	jaro := (m/float64(len(ar)) + m/float64(len(br)) + (m-float64(trans)/2)/m) / 3
	prefix := 0
	for prefix < min(4, len(ar), len(br)) && ar[prefix] == br[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

// ValueSuggestion suggests the enum value a file value maps to.
type ValueSuggestion struct {
	From       string  `json:"from"`
	To         string  `json:"to"` // "" when nothing fits
	Confidence float64 `json:"confidence"`
	Source     string  `json:"source"` // user_memory, memory, exact, fuzzy, none
	Count      int     `json:"count,omitempty"`
}

// SuggestValues suggests enum values for the distinct file values of
// enum column col: memory first, then exact (value, label, alternates in
// any case), then fuzzy similarity.
func (s *Schema) SuggestValues(col int, distinct []string, userMem, importerMem map[string]string) ([]ValueSuggestion, error) {
	if col < 0 || col >= len(s.cols) || s.cols[col].typ != TypeEnum {
		return nil, fmt.Errorf("column %d is not an enum column", col)
	}
	c := s.cols[col]
	def := &s.Def.Columns[col]
	out := make([]ValueSuggestion, 0, len(distinct))
	for _, from := range distinct {
		vs := ValueSuggestion{From: from, Source: "none"}
		v := TrimCell(from)
		norm := NormalizeHeader(v)
		found := false
		for mi, mem := range []map[string]string{userMem, importerMem} {
			if to, ok := mem[norm]; ok {
				if _, valid := c.parse(to); valid {
					vs.To, vs.Confidence, vs.Source = to, 1, "user_memory"
					if mi == 1 {
						vs.Source = "memory"
					}
					found = true
					break
				}
			}
		}
		if !found {
			if x, ok := c.parse(v); ok && v != "" {
				vs.To, vs.Confidence, vs.Source = c.values[x.enum], 1, "exact"
			} else if norm != "" {
				best, bestTo := 0.0, ""
				for _, ev := range def.Values {
					for _, name := range append([]string{ev.Value, ev.Label}, ev.Alternates...) {
						n := NormalizeHeader(name)
						if n == "" {
							continue
						}
						sc := JaroWinkler(norm, n)
						if n == norm {
							sc = 0.99
						}
						if sc > best {
							best, bestTo = sc, ev.Value
						}
					}
				}
				if best >= FuzzyThreshold {
					vs.To, vs.Confidence, vs.Source = bestTo, round2(best), "fuzzy"
				}
			}
		}
		out = append(out, vs)
	}
	return out, nil
}

// IsEnum reports whether column col is an enum column.
func (s *Schema) IsEnum(col int) bool { return s.cols[col].typ == TypeEnum }

// IsRequired reports whether column col must have a value.
func (s *Schema) IsRequired(col int) bool { return s.cols[col].required && !s.cols[col].hasDef }
