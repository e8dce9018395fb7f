package importer

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/ingest"
	"fusebox/backend/schema"
)

func templateDef() *schema.Importer {
	return &schema.Importer{Slug: "contacts", Name: "Contacts", Columns: []schema.Column{
		{Key: "email", Label: "Email", Type: schema.TypeEmail, Required: true, Example: "ann@example.com"},
		{Key: "zip", Label: "Postal code", Example: "00123"},
		{Key: "notes", Label: "Notes, free text"},
	}}
}

func TestTemplateFileCSV(t *testing.T) {
	b, ct, err := TemplateFile(templateDef(), "csv")
	if err != nil {
		t.Fatal(err)
	}
	if ct != ContentTypeCSV {
		t.Errorf("content type %q", ct)
	}
	if got, want := string(b), "Email,Postal code,\"Notes, free text\"\nann@example.com,00123,\n"; got != want {
		t.Errorf("csv = %q, want %q", got, want)
	}
	// without examples: the header row alone
	def := templateDef()
	for i := range def.Columns {
		def.Columns[i].Example = ""
	}
	b, _, _ = TemplateFile(def, "csv")
	if strings.Count(string(b), "\n") != 1 {
		t.Errorf("csv without examples = %q, want one line", b)
	}
	if _, _, err := TemplateFile(def, "pdf"); err == nil || !strings.Contains(err.Error(), "use csv or xlsx") {
		t.Errorf("pdf: %v", err)
	}
}

// The XLSX template reads back through the importer's own XLSX reader with
// the same header and the example kept as text.
func TestTemplateFileXLSX(t *testing.T) {
	b, ct, err := TemplateFile(templateDef(), "xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if ct != ContentTypeXLSX || !bytes.HasPrefix(b, []byte("PK")) {
		t.Fatalf("content type %q, start %q", ct, b[:4])
	}
	rows := readXLSXRows(t, b)
	if len(rows) != 2 || strings.Join(rows[0], "|") != "Email|Postal code|Notes, free text" || rows[1][1] != "00123" {
		t.Errorf("rows = %q", rows)
	}
}

func readXLSXRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "contacts-template.xlsx")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := ingest.OpenFile(path, "contacts-template.xlsx", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows [][]string
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		rows = append(rows, append([]string(nil), row...))
	}
	return rows
}
