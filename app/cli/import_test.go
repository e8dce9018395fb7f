package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lastJSON decodes the last stdout line.
func lastJSON(t *testing.T, stdout string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line is not JSON: %q", stdout)
	}
	return m
}

func TestImportCLI(t *testing.T) {
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws.yaml")
	os.WriteFile(ws, []byte(`version: 1
importers:
  - slug: people
    name: People
    settings: {invalid_rows: block}
    columns:
      - {key: name, label: Name, required: true}
      - {key: email, label: Email, type: email, unique: case_insensitive}
      - {key: seats, label: Seats, type: integer}
`), 0o600)
	if code, _, errb := runCLI(t, "apply", "--data-dir", dir, ws); code != 0 {
		t.Fatalf("apply: %d %s", code, errb)
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("Name,E-mail,Seats\nAda,ada@example.com,3\nAlan,alan@example.com,1,234\n"), 0o600)
	// a ragged row is reported by ingest and staged; 1,234 splits into two fields
	code, out, errb := runCLI(t, "import", "--data-dir", dir, "--importer", "people", good)
	if code != 0 {
		t.Fatalf("import good: %d %s %s", code, out, errb)
	}
	m := lastJSON(t, out)
	if m["status"] != "completed" || m["rows"] != float64(2) || m["errors"] != float64(0) || !strings.HasPrefix(m["import"].(string), "imp_") {
		t.Fatalf("summary: %v", m)
	}

	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("Name,E-mail,Seats\nAda,ada@example.com,x\n,ADA@example.com,2\n"), 0o600)
	code, out, errb = runCLI(t, "import", "--data-dir", dir, "--importer", "people", bad)
	if code != 1 || !strings.Contains(errb, "still have errors") {
		t.Fatalf("import bad: %d %s %s", code, out, errb)
	}
	m = lastJSON(t, out)
	if m["status"] != "created" || m["rows"] != float64(2) || m["errors"] != float64(2) {
		t.Fatalf("blocked summary: %v", m)
	}

	// an explicit mapping file (simple form): the header "Who" maps to name
	other := filepath.Join(dir, "other.csv")
	os.WriteFile(other, []byte("Who,Mail\nGrace,grace@example.com\n"), 0o600)
	mapping := filepath.Join(dir, "mapping.json")
	os.WriteFile(mapping, []byte(`{"Who": "name", "Mail": "email"}`), 0o600)
	code, out, errb = runCLI(t, "import", "--data-dir", dir, "--importer", "people", "--mapping", mapping, other)
	if code != 0 || lastJSON(t, out)["status"] != "completed" {
		t.Fatalf("import with mapping: %d %s %s", code, out, errb)
	}

	if code, _, _ := runCLI(t, "import", "--data-dir", dir, good); code != 2 {
		t.Fatalf("missing --importer: exit %d, want 2", code)
	}
	code, _, errb = runCLI(t, "import", "--data-dir", dir, "--importer", "nope", good)
	if code != 1 || !strings.Contains(errb, `importer "nope" not found`) {
		t.Fatalf("unknown importer: %d %s", code, errb)
	}
	code, _, errb = runCLI(t, "import", "--data-dir", dir, "--importer", "people", filepath.Join(dir, "missing.csv"))
	if code != 1 || !strings.Contains(errb, "missing.csv") {
		t.Fatalf("missing file: %d %s", code, errb)
	}
}
