package csvsafe_test

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"testing"

	"fusebox/backend/csvsafe"
)

func TestSecurityCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"Ada":                "Ada",
		"=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
		"@SUM(A1:A9)":        "'@SUM(A1:A9)",
		"+1+1":               "'+1+1",
		"-1+1":               "'-1+1",
		"-cmd":               "'-cmd",
		"\t=1":               "'\t=1",
		"\r=1":               "'\r=1",
		"-12.5":              "-12.5",
		"+3":                 "+3",
		"-0.5e-3":            "-0.5e-3",
		"-.5":                "-.5",
		"-":                  "'-",
		"-1e":                "'-1e",
		"12-3":               "12-3",
		"a=b":                "a=b",
		"1815-12-10":         "1815-12-10",
		"-2024-01-01":        "'-2024-01-01",
	} {
		if got := csvsafe.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecurityCSVWriter(t *testing.T) {
	var buf bytes.Buffer
	w := csvsafe.NewWriter(&buf)
	rec := []string{"=1+1", "-7", "x"}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if rec[0] != "=1+1" {
		t.Fatalf("Write changed its argument: %q", rec)
	}
	got, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"'=1+1", "-7", "x"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestSecurityCSVUnquote(t *testing.T) {
	for _, v := range []string{"=1+1", "@SUM(A1)", "+x", "-x", "-7", "plain", "", "'quoted", "'"} {
		if got := csvsafe.Unquote(csvsafe.Cell(v)); got != v && v != "'" {
			t.Errorf("Unquote(Cell(%q)) = %q", v, got)
		}
	}
	if got := csvsafe.Unquote("'hello"); got != "'hello" {
		t.Errorf("a quote not added by Cell stays: %q", got)
	}
}
