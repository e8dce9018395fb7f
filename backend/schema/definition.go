// Package importer is the engine behind Fusebox's embeddable importer:
// importer definitions (columns, types, validations, transformations),
// date and boolean parsing, mapping suggestions and memory, staging of
// uploaded files into SQLite, the review API (paging, filters, edits,
// find & replace, undo/redo) and submission into typed records.
//
// Raw file parsing (CSV sniffing, encodings, XLSX) lives in
// fusebox/backend/ingest; this package consumes its rows.
package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Importer is the definition of one importer: what columns an import has
// and how the rows are checked and shaped. It is what the workspace file's
// `importers:` section and the console editor read and write.
type Importer struct {
	Slug        string   `json:"slug" yaml:"slug"`
	Name        string   `json:"name" yaml:"name"`
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Columns     []Column `json:"columns" yaml:"columns"`
	Settings    Settings `json:"settings,omitzero" yaml:"settings,omitempty"`
	// Branding is the logo, colour and texts the end user sees (brand.go).
	Branding Branding `json:"branding,omitzero" yaml:"branding,omitempty"`
	// Hooks are JavaScript checks run on every row (hooks.go).
	Hooks *Hooks `json:"hooks,omitempty" yaml:"hooks,omitempty"`
	// MatchOn are the columns that identify a record across imports: a
	// staged row whose key was submitted before is an update (or
	// unchanged) instead of a new record. MatchScope is "org" (the
	// default) or "user" (per session metadata MatchUserKey, default
	// user_id). See matching.go.
	MatchOn      []string `json:"match_on,omitempty" yaml:"match_on,omitempty"`
	MatchScope   string   `json:"match_scope,omitempty" yaml:"match_scope,omitempty"`
	MatchUserKey string   `json:"match_user_key,omitempty" yaml:"match_user_key,omitempty"`

	CreatedAt time.Time `json:"created_at,omitzero" yaml:"-"`
	UpdatedAt time.Time `json:"updated_at,omitzero" yaml:"-"`
}

// Settings are the importer-wide options.
type Settings struct {
	// InvalidRows says what submit does with rows that still have errors:
	// "block" (the default: submit is refused), "exclude" (they are left
	// out of the records) or "include" (they are submitted as they are).
	InvalidRows string `json:"invalid_rows,omitempty" yaml:"invalid_rows,omitempty"`
	// SessionTTL is how long an importer session stays valid, as a Go
	// duration ("30m", "2h"). Empty means the sessions default.
	SessionTTL string `json:"session_ttl,omitempty" yaml:"session_ttl,omitempty"`
	// AllowedFileTypes limits uploads by extension (csv, tsv, txt, xlsx,
	// json). Empty allows all of them.
	AllowedFileTypes []string `json:"allowed_file_types,omitempty" yaml:"allowed_file_types,omitempty"`
	// MaxFileSize caps an upload: bytes ("10485760") or with a unit
	// ("100MB", "1GB"). Empty means DefaultMaxFileSize.
	MaxFileSize Scalar `json:"max_file_size,omitempty" yaml:"max_file_size,omitempty"`
	// AllowedOrigins are the origins (scheme://host[:port]) of the host
	// pages allowed to frame this importer's embed.
	AllowedOrigins []string `json:"allowed_origins,omitempty" yaml:"allowed_origins,omitempty"`
	// UnmappedColumns says what happens to file columns mapped to no
	// field: "drop" (the default) or "keep" (they are kept under
	// "custom" in each record, keyed by their header).
	UnmappedColumns string `json:"unmapped_columns,omitempty" yaml:"unmapped_columns,omitempty"`
}

// Unmapped-column policies.
const (
	UnmappedDrop = "drop"
	UnmappedKeep = "keep"
)

// KeepsUnmapped reports whether unmapped file columns are kept as custom
// fields.
func (s Settings) KeepsUnmapped() bool { return s.UnmappedColumns == UnmappedKeep }

// Invalid-row policies.
const (
	InvalidRowsBlock   = "block"
	InvalidRowsExclude = "exclude"
	InvalidRowsInclude = "include"
)

// DefaultMaxFileSize is the upload cap when an importer does not set one:
// 100 MB (decimal, as the embed's upload step shows sizes).
const DefaultMaxFileSize int64 = 100_000_000

// FileTypes are the upload extensions an importer may allow.
var FileTypes = []string{"csv", "tsv", "txt", "xlsx", "json"}

// Column is one column of an importer.
type Column struct {
	// Key is the internal key records use for this column's value.
	Key         string `json:"key" yaml:"key"`
	Label       string `json:"label" yaml:"label"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Example is a sample value, shown on the upload step and written in
	// the template file's example row.
	Example  string `json:"example,omitempty" yaml:"example,omitempty"`
	Type     Type   `json:"type" yaml:"type"`
	Required bool   `json:"required,omitempty" yaml:"required,omitempty"`
	// Unique is "case_sensitive" or "case_insensitive" ("true" is read as
	// case_sensitive). UniqueWith makes the uniqueness composite: the
	// tuple of this column and the named columns must be unique.
	Unique     Uniqueness `json:"unique,omitempty" yaml:"unique,omitempty"`
	UniqueWith []string   `json:"unique_with,omitempty" yaml:"unique_with,omitempty"`
	// Default fills empty cells (on staging and on submit).
	Default *Scalar `json:"default,omitempty" yaml:"default,omitempty"`
	// Alternates are other header names that should map to this column.
	Alternates []string `json:"alternates,omitempty" yaml:"alternates,omitempty"`
	// Values are an enum column's allowed values.
	Values []EnumValue `json:"values,omitempty" yaml:"values,omitempty"`
	// Pattern is the date/datetime/time pattern (e.g. "MM/dd/yyyy"). It
	// decides ambiguous inputs (dd/MM vs MM/dd) and is the autoformat target.
	Pattern         string           `json:"pattern,omitempty" yaml:"pattern,omitempty"`
	Validations     []Validation     `json:"validations,omitempty" yaml:"validations,omitempty"`
	Transformations []Transformation `json:"transformations,omitempty" yaml:"transformations,omitempty"`
}

// EnumValue is one allowed value of an enum column.
type EnumValue struct {
	Value      string   `json:"value" yaml:"value"`
	Label      string   `json:"label,omitempty" yaml:"label,omitempty"`
	Alternates []string `json:"alternates,omitempty" yaml:"alternates,omitempty"`
}

// Validation is one built-in check (names as in the Fuse docs).
type Validation struct {
	Type Validator `json:"type" yaml:"type"`
	// Value is the validation's argument: the text for contain and
	// cannot_contain, the length, the regex, the number, the date.
	Value   Scalar `json:"value,omitempty" yaml:"value,omitempty"`
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
	// Severity is "error" (the default: blocks submit) or "warning".
	Severity Severity `json:"severity,omitempty" yaml:"severity,omitempty"`
}

// Transformation is one built-in transformation applied on submit.
type Transformation struct {
	Type Transformer `json:"type" yaml:"type"`
	// Value is the argument: the number of decimals, the autoformat
	// target pattern, the url prefix.
	Value Scalar `json:"value,omitempty" yaml:"value,omitempty"`
}

// Type is a column type.
type Type string

const (
	TypeString   Type = "string"
	TypeInteger  Type = "integer"
	TypeFloat    Type = "float"
	TypeBoolean  Type = "boolean"
	TypeDate     Type = "date"
	TypeDatetime Type = "datetime"
	TypeTime     Type = "time"
	TypeEmail    Type = "email"
	TypeURL      Type = "url"
	TypePhone    Type = "phone"
	TypeEnum     Type = "enum"
)

// Types lists every column type.
var Types = []Type{TypeString, TypeInteger, TypeFloat, TypeBoolean, TypeDate, TypeDatetime, TypeTime, TypeEmail, TypeURL, TypePhone, TypeEnum}

// Uniqueness is a column's uniqueness rule.
type Uniqueness string

const (
	UniqueNone            Uniqueness = ""
	UniqueCaseSensitive   Uniqueness = "case_sensitive"
	UniqueCaseInsensitive Uniqueness = "case_insensitive"
)

// Severity of a validation finding.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Validator names a validation.
type Validator string

const (
	ValContain       Validator = "contain"
	ValCannotContain Validator = "cannot_contain"
	ValMaxLength     Validator = "max_length"
	ValMinLength     Validator = "min_length"
	ValLengthExactly Validator = "length_exactly"
	ValRegex         Validator = "regex"
	ValGreaterThan   Validator = "greater_than"
	ValLessThan      Validator = "less_than"
	ValEven          Validator = "even"
	ValOdd           Validator = "odd"
	ValBeforeDate    Validator = "before_date"
	ValAfterDate     Validator = "after_date"
)

// Validators lists every validation name.
var Validators = []Validator{ValContain, ValCannotContain, ValMaxLength, ValMinLength, ValLengthExactly, ValRegex, ValGreaterThan, ValLessThan, ValEven, ValOdd, ValBeforeDate, ValAfterDate}

// Transformer names a transformation.
type Transformer string

const (
	TrUppercase        Transformer = "uppercase"
	TrLowercase        Transformer = "lowercase"
	TrCapitalize       Transformer = "capitalize"
	TrSentenceCase     Transformer = "sentence_case"
	TrTrimWhitespace   Transformer = "trim_whitespace"
	TrRound            Transformer = "round"
	TrFloor            Transformer = "floor"
	TrCeiling          Transformer = "ceiling"
	TrNumberOfDecimals Transformer = "number_of_decimals"
	TrAutoformat       Transformer = "autoformat"
	TrPrefix           Transformer = "prefix"
)

// Transformers lists every transformation name.
var Transformers = []Transformer{TrUppercase, TrLowercase, TrCapitalize, TrSentenceCase, TrTrimWhitespace, TrRound, TrFloor, TrCeiling, TrNumberOfDecimals, TrAutoformat, TrPrefix}

// Scalar is a definition value written as a string or a number (JSON and
// YAML both accept `value: 18` and `value: "18"`). It is kept as text.
type Scalar string

// UnmarshalJSON accepts a JSON string, number or boolean.
func (s *Scalar) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = Scalar(str)
		return nil
	}
	if string(b) == "null" {
		*s = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*s = Scalar(n.String())
		return nil
	}
	var bv bool
	if err := json.Unmarshal(b, &bv); err != nil {
		return fmt.Errorf("want a string or a number, got %s", b)
	}
	*s = Scalar(strconv.FormatBool(bv))
	return nil
}

// String returns the text.
func (s Scalar) String() string { return string(s) }

// Int parses the scalar as an integer.
func (s Scalar) Int() (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(string(s)), 10, 64)
	return n, err == nil
}

// Float parses the scalar as a number.
func (s Scalar) Float() (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
	return f, err == nil
}

// ColumnIndex returns the index of the column with key, or -1.
func (imp *Importer) ColumnIndex(key string) int {
	for i := range imp.Columns {
		if imp.Columns[i].Key == key {
			return i
		}
	}
	return -1
}

// InvalidRowsPolicy returns the effective invalid_rows setting.
func (s Settings) InvalidRowsPolicy() string {
	if s.InvalidRows == "" {
		return InvalidRowsBlock
	}
	return s.InvalidRows
}

// TTL returns the session TTL, zero when unset or unparsable (Validate
// rejects unparsable values).
func (s Settings) TTL() time.Duration {
	d, _ := time.ParseDuration(s.SessionTTL)
	return d
}

// MaxFileBytes returns the effective upload cap in bytes.
func (s Settings) MaxFileBytes() int64 {
	n, ok := ParseByteSize(string(s.MaxFileSize))
	if !ok || n <= 0 {
		return DefaultMaxFileSize
	}
	return n
}

// AllowsFileType reports whether an upload with extension ext (no dot,
// any case) is allowed.
func (s Settings) AllowsFileType(ext string) bool {
	if len(s.AllowedFileTypes) == 0 {
		return true
	}
	ext = strings.ToLower(strings.TrimPrefix(ext, "."))
	for _, t := range s.AllowedFileTypes {
		if strings.EqualFold(t, ext) {
			return true
		}
	}
	return false
}

// ParseByteSize parses a byte size as definitions and limits write it:
// "1048576", "100MB", "1.5 GB", "512k" (KB, MB, GB decimal; K, M, G and
// KiB, MiB, GiB binary).
func ParseByteSize(s string) (int64, bool) {
	s = strings.TrimSpace(strings.ToUpper(s))
	if s == "" {
		return 0, false
	}
	mult := float64(1)
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			mult = u.m
			s = strings.TrimSpace(strings.TrimSuffix(s, u.suffix))
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f*mult > 1<<62 {
		return 0, false
	}
	return int64(f * mult), true
}
