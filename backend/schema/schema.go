package schema

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"fusebox/backend/errs"
	"fusebox/backend/hooks"
)

// Schema is a compiled importer definition: every regex, pattern, enum
// table and message prepared once, so that validating a row does no
// parsing of the definition and no allocation on the common paths.
type Schema struct {
	Def    *Importer
	cols   []*colSpec
	index  map[string]int
	groups []UniqueGroup
	hooks  *hooks.Program // nil without hooks (hooks.go)
	match  []int          // match_on columns (matching.go)
}

// Issue is one finding on one cell.
type Issue struct {
	Col      int
	Severity Severity
	Message  string
}

// UniqueGroup is one uniqueness rule: the values of Cols taken together
// must be unique across the import (empty tuples are exempt).
type UniqueGroup struct {
	Col             int // the column that declares the rule; issues go there
	Cols            []int
	CaseInsensitive bool
	Message         string
	code            IssueCode
}

type colSpec struct {
	idx      int
	key      string
	typ      Type
	required bool
	def      string
	hasDef   bool
	dates    *dateParser
	enum     map[string]int // folded value/label/alternate -> index in values
	values   []string
	intFrac  bool // integer column with round/floor/ceiling: decimals accepted
	checks   []check
	msgType  string
	msgReq   string
	trans    []transform
	jsonKey  []byte       // `"key":`
	outTimes *DatePattern // autoformat target
	codes    []msgCode    // message -> code and params (codes.go)
}

type check struct {
	code IssueCode
	kind Validator
	sev  Severity
	msg  string
	str  string
	n    int
	f    float64
	re   *regexp.Regexp
	dt   DateTime
}

type transform struct {
	kind Transformer
	n    int
	str  string
	pat  *DatePattern
}

// Compile checks a definition and prepares it for validation. The error
// is an errs.Invalid naming the importer, the column and the field of
// every problem found, e.g.
//
//	importer "contacts": column "email": validations[1].regex: invalid regex "([": missing closing ]
func Compile(def *Importer) (*Schema, error) {
	c := &compiler{def: def}
	s := c.compile()
	if len(c.problems) > 0 {
		msg := strings.Join(c.problems, "; ")
		if len(c.problems) > 10 {
			msg = strings.Join(c.problems[:10], "; ") + fmt.Sprintf("; and %d more", len(c.problems)-10)
		}
		return nil, errs.Invalid("%s", msg)
	}
	return s, nil
}

// Validate reports whether def is a valid importer definition.
func (imp *Importer) Validate() error {
	_, err := Compile(imp)
	return err
}

type compiler struct {
	def      *Importer
	problems []string
}

func (c *compiler) fail(col, field, format string, args ...any) {
	var b strings.Builder
	fmt.Fprintf(&b, "importer %q: ", c.def.Slug)
	if col != "" {
		fmt.Fprintf(&b, "column %q: ", col)
	}
	if field != "" {
		b.WriteString(field)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, format, args...)
	c.problems = append(c.problems, b.String())
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
var keyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)

// ValidSlug reports whether s can be an importer slug.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

func (c *compiler) compile() *Schema {
	def := c.def
	if !slugRE.MatchString(def.Slug) {
		c.fail("", "slug", "%q must be 1-64 lowercase letters, digits, - or _ (starting with a letter or digit)", def.Slug)
	}
	if strings.TrimSpace(def.Name) == "" {
		c.fail("", "name", "is required")
	}
	c.settings(def.Settings)
	c.branding(def.Branding)
	if len(def.Columns) == 0 {
		c.fail("", "columns", "an importer needs at least one column")
	}
	if len(def.Columns) > 500 {
		c.fail("", "columns", "at most 500 columns (got %d)", len(def.Columns))
	}
	s := &Schema{Def: def, index: map[string]int{}}
	for i := range def.Columns {
		col := &def.Columns[i]
		if !keyRE.MatchString(col.Key) {
			c.fail(fmt.Sprintf("#%d", i+1), "key", "%q must start with a letter or _ and use letters, digits, _ . - (max 64)", col.Key)
			continue
		}
		if _, dup := s.index[col.Key]; dup {
			c.fail(col.Key, "key", "duplicate key %q", col.Key)
			continue
		}
		s.index[col.Key] = i
	}
	if len(c.problems) > 0 {
		// column references below need sound keys
		for i := range def.Columns {
			if _, ok := s.index[def.Columns[i].Key]; ok {
				c.column(s, i)
			}
		}
		c.checkHooks()
		return s
	}
	for i := range def.Columns {
		spec := c.column(s, i)
		s.cols = append(s.cols, spec)
	}
	c.headerNames(def)
	c.uniqueGroups(s)
	c.compileHooks(s)
	c.compileMatch(s)
	return s
}

func (c *compiler) settings(st Settings) {
	switch st.InvalidRows {
	case "", InvalidRowsBlock, InvalidRowsExclude, InvalidRowsInclude:
	default:
		c.fail("", "settings.invalid_rows", "%q must be block, exclude or include", st.InvalidRows)
	}
	if st.SessionTTL != "" {
		d, err := time.ParseDuration(st.SessionTTL)
		if err != nil || d < time.Minute || d > 30*24*time.Hour {
			c.fail("", "settings.session_ttl", "%q must be a duration between 1m and 720h (e.g. \"30m\", \"2h\")", st.SessionTTL)
		}
	}
	for i, t := range st.AllowedFileTypes {
		ok := false
		for _, ft := range FileTypes {
			if strings.EqualFold(strings.TrimPrefix(t, "."), ft) {
				ok = true
			}
		}
		if !ok {
			c.fail("", fmt.Sprintf("settings.allowed_file_types[%d]", i), "%q is not one of %s", t, strings.Join(FileTypes, ", "))
		}
	}
	for i, o := range st.AllowedOrigins {
		if !validOrigin(o) {
			c.fail("", fmt.Sprintf("settings.allowed_origins[%d]", i), "%q must be an origin such as https://app.example.com or http://localhost:3000 (no path)", o)
		}
	}
	switch st.UnmappedColumns {
	case "", UnmappedDrop, UnmappedKeep:
	default:
		c.fail("", "settings.unmapped_columns", "%q must be drop or keep", st.UnmappedColumns)
	}
	if st.MaxFileSize != "" {
		if n, ok := ParseByteSize(string(st.MaxFileSize)); !ok || n < 1 {
			c.fail("", "settings.max_file_size", "%q must be a size such as 10485760, \"100MB\" or \"1GB\"", st.MaxFileSize)
		}
	}
}

var knownTypes = map[Type]bool{TypeString: true, TypeInteger: true, TypeFloat: true, TypeBoolean: true, TypeDate: true, TypeDatetime: true,
	TypeTime: true, TypeEmail: true, TypeURL: true, TypePhone: true, TypeEnum: true}

func (c *compiler) column(s *Schema, i int) *colSpec {
	col := &c.def.Columns[i]
	name := col.Key
	typ := col.Type
	if typ == "" {
		typ = TypeString
	}
	spec := &colSpec{idx: i, key: col.Key, typ: typ, required: col.Required}
	spec.jsonKey = appendJSONString(nil, col.Key)
	spec.jsonKey = append(spec.jsonKey, ':')
	if !knownTypes[typ] {
		names := make([]string, len(Types))
		for k, t := range Types {
			names[k] = string(t)
		}
		c.fail(name, "type", "unknown type %q (one of %s)", col.Type, strings.Join(names, ", "))
		return spec
	}
	spec.msgReq = "is required"
	spec.addCode(spec.msgReq, IssueCode{Code: CodeRequired})

	switch col.Unique {
	case UniqueNone, UniqueCaseSensitive, UniqueCaseInsensitive, "true", "false":
	default:
		c.fail(name, "unique", "%q must be case_sensitive or case_insensitive", col.Unique)
	}
	seenWith := map[string]bool{}
	for k, w := range col.UniqueWith {
		field := fmt.Sprintf("unique_with[%d]", k)
		switch {
		case w == col.Key:
			c.fail(name, field, "a column cannot be unique with itself")
		case seenWith[w]:
			c.fail(name, field, "%q is listed twice", w)
		default:
			if _, ok := s.index[w]; !ok {
				c.fail(name, field, "unknown column %q", w)
			}
		}
		seenWith[w] = true
	}
	for k, a := range col.Alternates {
		if strings.TrimSpace(a) == "" {
			c.fail(name, fmt.Sprintf("alternates[%d]", k), "must not be empty")
		}
	}

	// pattern
	if col.Pattern != "" {
		switch typ {
		case TypeDate, TypeDatetime, TypeTime:
			p, err := CompileDatePattern(col.Pattern)
			switch {
			case err != nil:
				c.fail(name, "pattern", "invalid pattern: %v", err)
			case typ != TypeTime && !p.hasYear:
				c.fail(name, "pattern", "%q has no year (yyyy or yy)", col.Pattern)
			case typ == TypeTime && !p.hasTime:
				c.fail(name, "pattern", "%q has no time (HH:mm)", col.Pattern)
			case typ == TypeTime && p.hasDate:
				c.fail(name, "pattern", "%q is a date pattern; a time column takes HH:mm, hh:mm a ...", col.Pattern)
			case typ == TypeDatetime && !p.hasTime:
				c.fail(name, "pattern", "%q has no time (HH:mm); use type date for dates", col.Pattern)
			case typ == TypeDate && p.hasTime:
				c.fail(name, "pattern", "%q has a time; use type datetime", col.Pattern)
			default:
				spec.outTimes = p
				spec.dates = newDateParser(typ, p)
			}
		default:
			c.fail(name, "pattern", "only date, datetime and time columns take a pattern")
		}
	}
	if spec.dates == nil && (typ == TypeDate || typ == TypeDatetime || typ == TypeTime) {
		spec.dates = newDateParser(typ, nil)
	}

	// enum values
	if typ == TypeEnum {
		if len(col.Values) == 0 {
			c.fail(name, "values", "an enum column needs at least one value")
		}
		spec.enum = map[string]int{}
		for k, v := range col.Values {
			field := fmt.Sprintf("values[%d]", k)
			if strings.TrimSpace(v.Value) == "" {
				c.fail(name, field+".value", "must not be empty")
				continue
			}
			spec.values = append(spec.values, v.Value)
			names := append([]string{v.Value, v.Label}, v.Alternates...)
			for n, alt := range names {
				if alt == "" {
					continue
				}
				f := string(foldKey(nil, TrimCell(alt)))
				if prev, dup := spec.enum[f]; dup && prev != k {
					if n == 0 {
						c.fail(name, field+".value", "%q duplicates values[%d]", v.Value, prev)
					} else {
						c.fail(name, field, "%q is already used by values[%d]", alt, prev)
					}
					continue
				}
				spec.enum[f] = k
			}
		}
	} else if len(col.Values) > 0 {
		c.fail(name, "values", "only enum columns take values")
	}
	if typ != TypeString {
		var tc IssueCode
		spec.msgType, tc = typeMessage(typ, spec.outTimes, spec.values)
		spec.addCode(spec.msgType, tc)
	}

	// transformations before validations: rounding decides whether an
	// integer column accepts decimals.
	for k, t := range col.Transformations {
		tr, ok := c.transformation(spec, name, fmt.Sprintf("transformations[%d]", k), col, t)
		if ok {
			spec.trans = append(spec.trans, tr)
			if typ == TypeInteger && (tr.kind == TrRound || tr.kind == TrFloor || tr.kind == TrCeiling) {
				spec.intFrac = true
			}
		}
	}
	for k, v := range col.Validations {
		ch, ok := c.validation(spec, name, fmt.Sprintf("validations[%d]", k), v)
		if ok {
			if v.Message != "" {
				ch.code = IssueCode{Code: CodeCustom}
			}
			spec.checks = append(spec.checks, ch)
			spec.addCode(ch.msg, ch.code)
		}
	}

	if col.Default != nil {
		d := string(*col.Default)
		if d != "" {
			if _, ok := spec.parse(TrimCell(d)); !ok {
				c.fail(name, "default", "%q is not valid for a %s column: %s", d, typ, spec.msgType)
			}
			spec.def, spec.hasDef = d, true
		}
	}
	return spec
}

func (c *compiler) validation(spec *colSpec, name, field string, v Validation) (check, bool) {
	ch := check{kind: v.Type, sev: v.Severity, msg: v.Message}
	switch v.Severity {
	case "":
		ch.sev = SeverityError
	case SeverityError, SeverityWarning:
	default:
		c.fail(name, field+".severity", "%q must be error or warning", v.Severity)
		return ch, false
	}
	field = field + "." + string(v.Type)
	val := string(v.Value)
	typ := spec.typ
	numeric := typ == TypeInteger || typ == TypeFloat
	temporal := typ == TypeDate || typ == TypeDatetime || typ == TypeTime
	switch v.Type {
	case ValContain, ValCannotContain:
		if val == "" {
			c.fail(name, field, "needs a value (the text to look for)")
			return ch, false
		}
		ch.str = val
		ch.code = validationCode(v.Type, map[string]string{"text": val})
		if ch.msg == "" {
			if v.Type == ValContain {
				ch.msg = fmt.Sprintf("must contain %q", val)
			} else {
				ch.msg = fmt.Sprintf("must not contain %q", val)
			}
		}
	case ValMaxLength, ValMinLength, ValLengthExactly:
		n, ok := v.Value.Int()
		if !ok || n < 0 || n > 1<<20 {
			c.fail(name, field, "value %q must be a whole number of characters", val)
			return ch, false
		}
		ch.n = int(n)
		ch.code = validationCode(v.Type, map[string]string{"n": strconv.FormatInt(n, 10)})
		if ch.msg == "" {
			switch v.Type {
			case ValMaxLength:
				ch.msg = fmt.Sprintf("must be at most %d characters", n)
			case ValMinLength:
				ch.msg = fmt.Sprintf("must be at least %d characters", n)
			default:
				ch.msg = fmt.Sprintf("must be exactly %d characters", n)
			}
		}
	case ValRegex:
		if val == "" {
			c.fail(name, field, "needs a value (the regular expression)")
			return ch, false
		}
		re, err := regexp.Compile(val)
		if err != nil {
			reason := err.Error()
			if se, ok := err.(*syntax.Error); ok {
				reason = se.Code.String()
				if se.Expr != "" && se.Expr != val {
					reason += " " + strconv.Quote(se.Expr)
				}
			}
			c.fail(name, field, "invalid regex %q: %s", val, reason)
			return ch, false
		}
		ch.re = re
		ch.code = validationCode(v.Type, map[string]string{"pattern": val})
		if ch.msg == "" {
			ch.msg = fmt.Sprintf("must match %s", val)
		}
	case ValGreaterThan, ValLessThan:
		if !numeric {
			c.fail(name, field, "only for integer and float columns (this one is %s)", typ)
			return ch, false
		}
		f, ok := v.Value.Float()
		if !ok {
			c.fail(name, field, "value %q must be a number", val)
			return ch, false
		}
		ch.f = f
		ch.code = validationCode(v.Type, map[string]string{"value": val})
		if ch.msg == "" {
			if v.Type == ValGreaterThan {
				ch.msg = "must be greater than " + val
			} else {
				ch.msg = "must be less than " + val
			}
		}
	case ValEven, ValOdd:
		if typ != TypeInteger {
			c.fail(name, field, "only for integer columns (this one is %s)", typ)
			return ch, false
		}
		ch.code = validationCode(v.Type, nil)
		if ch.msg == "" {
			ch.msg = "must be an " + string(v.Type) + " number"
		}
	case ValBeforeDate, ValAfterDate:
		if !temporal {
			c.fail(name, field, "only for date, datetime and time columns (this one is %s)", typ)
			return ch, false
		}
		dt, ok := spec.dates.parse(TrimCell(val))
		if !ok {
			c.fail(name, field, "value %q is not a %s", val, typ)
			return ch, false
		}
		ch.dt = dt
		ch.code = validationCode(v.Type, map[string]string{"value": val})
		if ch.msg == "" {
			word := "before"
			if v.Type == ValAfterDate {
				word = "after"
			}
			ch.msg = fmt.Sprintf("must be %s %s", word, val)
		}
	default:
		names := make([]string, len(Validators))
		for k, x := range Validators {
			names[k] = string(x)
		}
		c.fail(name, strings.TrimSuffix(field, "."+string(v.Type)), "unknown validation %q (one of %s)", v.Type, strings.Join(names, ", "))
		return ch, false
	}
	return ch, true
}

func (c *compiler) transformation(spec *colSpec, name, field string, col *Column, t Transformation) (transform, bool) {
	tr := transform{kind: t.Type}
	field = field + "." + string(t.Type)
	typ := spec.typ
	textual := typ == TypeString || typ == TypeEmail || typ == TypeURL || typ == TypePhone
	switch t.Type {
	case TrUppercase, TrLowercase, TrCapitalize, TrSentenceCase, TrTrimWhitespace:
		if !textual {
			c.fail(name, field, "only for string, email, url and phone columns (this one is %s)", typ)
			return tr, false
		}
	case TrRound, TrFloor, TrCeiling:
		if typ != TypeInteger && typ != TypeFloat {
			c.fail(name, field, "only for integer and float columns (this one is %s)", typ)
			return tr, false
		}
	case TrNumberOfDecimals:
		if typ != TypeFloat {
			c.fail(name, field, "only for float columns (this one is %s)", typ)
			return tr, false
		}
		n, ok := t.Value.Int()
		if !ok || n < 0 || n > 15 {
			c.fail(name, field, "value %q must be a whole number from 0 to 15", t.Value)
			return tr, false
		}
		tr.n = int(n)
	case TrAutoformat:
		if typ != TypeDate && typ != TypeDatetime && typ != TypeTime {
			c.fail(name, field, "only for date, datetime and time columns (this one is %s)", typ)
			return tr, false
		}
		target := string(t.Value)
		if target == "" {
			target = col.Pattern
		}
		if target == "" {
			c.fail(name, field, "needs a value (the target pattern, e.g. yyyy-MM-dd) or a column pattern")
			return tr, false
		}
		p, err := CompileDatePattern(target)
		if err != nil {
			c.fail(name, field, "invalid target pattern: %v", err)
			return tr, false
		}
		tr.pat = p
	case TrPrefix:
		if typ != TypeURL {
			c.fail(name, field, "only for url columns (this one is %s)", typ)
			return tr, false
		}
		tr.str = string(t.Value)
		if tr.str == "" {
			tr.str = "https://"
		}
	default:
		names := make([]string, len(Transformers))
		for k, x := range Transformers {
			names[k] = string(x)
		}
		c.fail(name, strings.TrimSuffix(field, "."+string(t.Type)), "unknown transformation %q (one of %s)", t.Type, strings.Join(names, ", "))
		return tr, false
	}
	return tr, true
}

// headerNames rejects a header name (key, label or alternate) that two
// columns claim after normalization: mapping could not choose.
func (c *compiler) headerNames(def *Importer) {
	owner := map[string]string{}
	for i := range def.Columns {
		col := &def.Columns[i]
		names := append([]string{col.Key, col.Label}, col.Alternates...)
		seen := map[string]bool{}
		for _, n := range names {
			k := NormalizeHeader(n)
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
			if o, ok := owner[k]; ok && o != col.Key {
				c.fail(col.Key, "alternates", "header name %q is also claimed by column %q", n, o)
				continue
			}
			owner[k] = col.Key
		}
	}
}

func (c *compiler) uniqueGroups(s *Schema) {
	for i := range c.def.Columns {
		col := &c.def.Columns[i]
		u := col.Unique
		if u == "false" {
			u = UniqueNone
		}
		if u == UniqueNone && len(col.UniqueWith) == 0 {
			continue
		}
		g := UniqueGroup{Col: i, Cols: []int{i}, CaseInsensitive: u == UniqueCaseInsensitive}
		for _, w := range col.UniqueWith {
			g.Cols = append(g.Cols, s.index[w])
		}
		if len(g.Cols) == 1 {
			g.Message = "must be unique"
			g.code = IssueCode{Code: CodeUnique}
			if g.CaseInsensitive {
				g.Message = "must be unique (case-insensitive)"
				g.code = IssueCode{Code: CodeUniqueCI}
			}
		} else {
			keys := make([]string, len(g.Cols))
			for k, ci := range g.Cols {
				keys[k] = c.def.Columns[ci].Key
			}
			g.Message = "the combination of " + strings.Join(keys, ", ") + " must be unique"
			g.code = IssueCode{Code: CodeUniqueCombination, Params: map[string]string{"columns": strings.Join(keys, ", ")}}
		}
		s.groups = append(s.groups, g)
	}
}

// NumColumns returns the number of columns.
func (s *Schema) NumColumns() int { return len(s.cols) }

// Index returns the column index of key, or -1.
func (s *Schema) Index(key string) int {
	if i, ok := s.index[key]; ok {
		return i
	}
	return -1
}

// Key returns the key of column i.
func (s *Schema) Key(i int) string { return s.cols[i].key }

// UniqueGroups returns the uniqueness rules.
func (s *Schema) UniqueGroups() []UniqueGroup { return s.groups }

// Default returns the default of column i ("" and false when none).
func (s *Schema) Default(i int) (string, bool) { return s.cols[i].def, s.cols[i].hasDef }

// value is a parsed cell.
type value struct {
	i    int64
	f    float64
	b    bool
	dt   DateTime
	enum int
	frac bool // integer column holding a decimal (rounded on submit)
}

// parse checks v (trimmed, non-empty) against the column type.
func (c *colSpec) parse(v string) (value, bool) {
	var x value
	switch c.typ {
	case TypeString:
		return x, true
	case TypeInteger:
		n, f, isInt, ok := parseInt(v, c.intFrac)
		x.i, x.f, x.frac = n, f, !isInt
		return x, ok
	case TypeFloat:
		f, ok := parseFloat(v)
		x.f = f
		return x, ok
	case TypeBoolean:
		b, ok := parseBool(v)
		x.b = b
		return x, ok
	case TypeDate, TypeDatetime, TypeTime:
		dt, ok := c.dates.parse(v)
		x.dt = dt
		return x, ok
	case TypeEmail:
		return x, isEmail(v)
	case TypeURL:
		return x, isURL(v)
	case TypePhone:
		return x, isPhone(v)
	case TypeEnum:
		if k, ok := c.enum[v]; ok {
			x.enum = k
			return x, true
		}
		var buf [128]byte
		if len(v) > len(buf) {
			return x, false
		}
		k, ok := c.enum[string(foldKey(buf[:0], v))]
		x.enum = k
		return x, ok
	}
	return x, false
}

// ValidateRow appends to out the issues of one row whose cells are in
// column order (len(cells) == NumColumns). Uniqueness is not checked
// here: it spans rows (see UniqueGroups). It does not allocate unless a
// finding is appended beyond out's capacity.
func (s *Schema) ValidateRow(cells []string, out []Issue) []Issue {
	for i, c := range s.cols {
		var raw string
		if i < len(cells) {
			raw = cells[i]
		}
		out = c.validate(raw, out)
	}
	return out
}

// ValidateCell appends the issues of column col's value v.
func (s *Schema) ValidateCell(col int, v string, out []Issue) []Issue {
	return s.cols[col].validate(v, out)
}

func (c *colSpec) validate(raw string, out []Issue) []Issue {
	v := TrimCell(raw)
	if v == "" {
		if c.required && !c.hasDef {
			out = append(out, Issue{Col: c.idx, Severity: SeverityError, Message: c.msgReq})
		}
		return out
	}
	x, ok := c.parse(v)
	if !ok {
		return append(out, Issue{Col: c.idx, Severity: SeverityError, Message: c.msgType})
	}
	for k := range c.checks {
		ch := &c.checks[k]
		if !ch.pass(v, &x) {
			out = append(out, Issue{Col: c.idx, Severity: ch.sev, Message: ch.msg})
		}
	}
	return out
}

func (ch *check) pass(v string, x *value) bool {
	switch ch.kind {
	case ValContain:
		return strings.Contains(v, ch.str)
	case ValCannotContain:
		return !strings.Contains(v, ch.str)
	case ValMaxLength:
		return utf8.RuneCountInString(v) <= ch.n
	case ValMinLength:
		return utf8.RuneCountInString(v) >= ch.n
	case ValLengthExactly:
		return utf8.RuneCountInString(v) == ch.n
	case ValRegex:
		return ch.re.MatchString(v)
	case ValGreaterThan:
		return x.f > ch.f
	case ValLessThan:
		return x.f < ch.f
	case ValEven:
		return !x.frac && x.i%2 == 0
	case ValOdd:
		return !x.frac && x.i%2 != 0
	case ValBeforeDate:
		return x.dt.Compare(ch.dt) < 0
	case ValAfterDate:
		return x.dt.Compare(ch.dt) > 0
	}
	return true
}

// AppendUniqueKey appends to dst the normalized key of group g for the
// row (trimmed, folded when case-insensitive, cells separated by 0x1f).
// ok is false when every cell of the tuple is empty: empty values are
// never duplicates.
func (s *Schema) AppendUniqueKey(dst []byte, g *UniqueGroup, cells []string) ([]byte, bool) {
	any := false
	for k, ci := range g.Cols {
		if k > 0 {
			dst = append(dst, 0x1f)
		}
		var v string
		if ci < len(cells) {
			v = TrimCell(cells[ci])
		}
		if v == "" {
			if d, ok := s.Default(ci); ok {
				v = TrimCell(d)
			}
		}
		if v != "" {
			any = true
		}
		if g.CaseInsensitive {
			dst = appendFold(dst, v)
		} else {
			dst = append(dst, v...)
		}
	}
	return dst, any
}

func appendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, lowerASCII(c))
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, toLowerRune(r))
		i += size
	}
	return dst
}

// validOrigin accepts scheme://host[:port] with an http(s) scheme.
func validOrigin(o string) bool {
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || (scheme != "http" && scheme != "https") || rest == "" || strings.ContainsAny(rest, "/?#@ ") {
		return false
	}
	host := rest
	if h, port, found := strings.Cut(rest, ":"); found {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return false
		}
		host = h
	}
	return host == "localhost" || isIPv4(host) || isHostname(host, false)
}
