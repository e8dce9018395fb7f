package importer

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"fusebox/backend/errs"
	"fusebox/backend/schema"
)

// Template formats.
const (
	TemplateCSV  = "csv"
	TemplateXLSX = "xlsx"
)

// Template content types.
const (
	ContentTypeCSV  = "text/csv; charset=utf-8"
	ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// TemplateFile builds the file an end user can fill in for an importer: a
// header row with each column's label and, when the definition gives any
// column an example, one example row. format is "csv" or "xlsx"; it
// returns the bytes and their content type.
func TemplateFile(def *schema.Importer, format string) ([]byte, string, error) {
	header := make([]string, len(def.Columns))
	example := make([]string, len(def.Columns))
	hasExample := false
	for i, c := range def.Columns {
		header[i] = c.Label
		if header[i] == "" {
			header[i] = c.Key
		}
		example[i] = c.Example
		if c.Example != "" {
			hasExample = true
		}
	}
	rows := [][]string{header}
	if hasExample {
		rows = append(rows, example)
	}
	switch format {
	case TemplateCSV, "":
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		if err := w.WriteAll(rows); err != nil {
			return nil, "", fmt.Errorf("template %q: writing CSV: %w", def.Slug, err)
		}
		return b.Bytes(), ContentTypeCSV, nil
	case TemplateXLSX:
		return templateXLSX(def, rows)
	default:
		return nil, "", errs.Invalid("template format %q: use csv or xlsx", format)
	}
}

func templateXLSX(def *schema.Importer, rows [][]string) ([]byte, string, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Sheet1"
	if name := def.Name; name != "" && len([]rune(name)) <= 31 && !strings.ContainsAny(name, `:\/?*[]`) {
		if err := f.SetSheetName(sheet, name); err == nil {
			sheet = name
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, "", fmt.Errorf("template %q: xlsx style: %w", def.Slug, err)
	}
	for r, row := range rows {
		for c, v := range row {
			cell, err := excelize.CoordinatesToCellName(c+1, r+1)
			if err != nil {
				return nil, "", fmt.Errorf("template %q: %w", def.Slug, err)
			}
			// text cells: an example such as 00123 or 2024-05-01 stays as written
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				return nil, "", fmt.Errorf("template %q: cell %s: %w", def.Slug, cell, err)
			}
		}
	}
	if len(rows[0]) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(rows[0]), 1)
		if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
			return nil, "", fmt.Errorf("template %q: header style: %w", def.Slug, err)
		}
		lastCol, _ := excelize.ColumnNumberToName(len(rows[0]))
		_ = f.SetColWidth(sheet, "A", lastCol, 18)
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		return nil, "", fmt.Errorf("template %q: writing xlsx: %w", def.Slug, err)
	}
	return b.Bytes(), ContentTypeXLSX, nil
}
