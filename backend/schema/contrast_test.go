package schema

import (
	"math"
	"strings"
	"testing"
)

func TestContrastRatio(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want float64
	}{
		{"#ffffff", "#000000", 21},
		{"#ffffff", "#ffffff", 1},
		// the figures of the accessibility review: white on the demo teal,
		// the green pills on their tint and on white
		{"#ffffff", "#0c8599", 4.35},
		{"#2b8a3e", "#ebfbee", 4.07},
		{"#2b8a3e", "#ffffff", 4.37},
		{"#2b8a3e", "#d3f9d8", 3.81},
		// the replacements
		{"#ffffff", "#0b7285", 5.59},
		{"#237032", "#ebfbee", 5.70},
		{"#fff", "#3b5bdb", 5.67},
	} {
		a, err := ParseHexColor(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseHexColor(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := ContrastRatio(a, b); math.Abs(got-tt.want) > 0.005 {
			t.Errorf("ContrastRatio(%s, %s) = %.3f, want %.2f", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCheckPrimaryColor(t *testing.T) {
	err := CheckPrimaryColor("#0c8599")
	if err == nil || !strings.Contains(err.Error(), "4.35:1") || !strings.Contains(err.Error(), "4.5:1") {
		t.Errorf("teal #0c8599: %v, want a refusal naming 4.35:1 and 4.5:1", err)
	}
	for _, ok := range []string{"#0b7285", "#3b5bdb", "#000", "#1D2330"} {
		if err := CheckPrimaryColor(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"teal", "#12345", "rgb(0,0,0)", "#ggg000", ""} {
		if err := CheckPrimaryColor(bad); err == nil || !strings.Contains(err.Error(), "#rrggbb") {
			t.Errorf("%q: %v, want a format error", bad, err)
		}
	}
}
