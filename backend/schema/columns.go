package schema

import (
	"math"
	"strings"
)

// ColumnInfo describes an importer column to the mapping and review UI.
type ColumnInfo struct {
	Key         string      `json:"key"`
	Label       string      `json:"label"`
	Description string      `json:"description,omitempty"`
	Type        Type        `json:"type"`
	Required    bool        `json:"required"`
	Pattern     string      `json:"pattern,omitempty"`
	Values      []EnumValue `json:"values,omitempty"`
}

// Columns describes the schema's columns.
func (s *Schema) Columns() []ColumnInfo {
	out := make([]ColumnInfo, len(s.cols))
	for i := range s.cols {
		c := &s.Def.Columns[i]
		label := c.Label
		if label == "" {
			label = c.Key
		}
		out[i] = ColumnInfo{Key: c.Key, Label: label, Description: c.Description, Type: s.cols[i].typ, Required: c.Required, Pattern: c.Pattern, Values: c.Values}
	}
	return out
}

// SortKey returns the numeric and text keys that order column col's
// value v (trimmed, non-empty) in the review grid: numbers and dates by
// value, with invalid ones (num +Inf) after valid ones; other types by
// folded text.
func (s *Schema) SortKey(col int, v string) (num float64, text string) {
	c := s.cols[col]
	switch c.typ {
	case TypeInteger, TypeFloat:
		if x, ok := c.parse(v); ok {
			return x.f, ""
		}
		return math.Inf(1), strings.ToLower(v)
	case TypeDate, TypeDatetime, TypeTime:
		if x, ok := c.parse(v); ok {
			return float64(x.dt.Unix()) + float64(x.dt.Nano)/1e9, ""
		}
		return math.Inf(1), strings.ToLower(v)
	}
	return 0, strings.ToLower(v)
}
