package schema

import "strings"

// Match scopes: whose earlier records a row is matched against.
const (
	MatchScopeOrg  = "org"  // every earlier import of the importer
	MatchScopeUser = "user" // earlier imports with the same session metadata value (MatchUserKey)
)

// DefaultMatchUserKey is the session metadata key of the user scope.
const DefaultMatchUserKey = "user_id"

// MatchColumns returns the column indexes of match_on, nil without it.
func (s *Schema) MatchColumns() []int { return s.match }

// MatchScopeOf returns the scope of def's matching: "org" or "user".
func (imp *Importer) MatchScopeOf() string {
	if imp.MatchScope == "" {
		return MatchScopeOrg
	}
	return imp.MatchScope
}

// MatchUserKeyOf returns the session metadata key the user scope reads.
func (imp *Importer) MatchUserKeyOf() string {
	if imp.MatchUserKey == "" {
		return DefaultMatchUserKey
	}
	return imp.MatchUserKey
}

func (c *compiler) compileMatch(s *Schema) {
	def := c.def
	switch def.MatchScope {
	case "", MatchScopeOrg, MatchScopeUser:
	default:
		c.fail("", "match_scope", "%q: use org or user", def.MatchScope)
	}
	if len(def.MatchOn) == 0 {
		if def.MatchScope != "" || def.MatchUserKey != "" {
			c.fail("", "match_on", "match_scope and match_user_key need match_on (the columns that identify a record)")
		}
		return
	}
	seen := map[int]bool{}
	for _, k := range def.MatchOn {
		ci, ok := s.index[strings.TrimSpace(k)]
		if !ok {
			c.fail("", "match_on", "no column with key %q", k)
			continue
		}
		if seen[ci] {
			c.fail("", "match_on", "column %q is listed twice", k)
			continue
		}
		seen[ci] = true
		s.match = append(s.match, ci)
	}
}

// AppendMatchKey appends the match key of a row (its match_on cells,
// trimmed, emails and case-insensitive unique columns folded) and reports
// whether it has one (a row with every match_on cell empty has none).
func (s *Schema) AppendMatchKey(dst []byte, cells []string) ([]byte, bool) {
	any := false
	for i, ci := range s.match {
		if i > 0 {
			dst = append(dst, 0)
		}
		v := ""
		if ci < len(cells) {
			v = TrimCell(cells[ci])
		}
		if v != "" {
			any = true
		}
		if c := s.cols[ci]; c.typ == TypeEmail || s.Def.Columns[ci].Unique == UniqueCaseInsensitive {
			dst = appendFold(dst, v)
		} else {
			dst = append(dst, v...)
		}
	}
	return dst, any
}
