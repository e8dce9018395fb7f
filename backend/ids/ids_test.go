package ids

import (
	"regexp"
	"strings"
	"testing"
)

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		got string
		re  *regexp.Regexp
	}{
		{New("imp_"), regexp.MustCompile(`^imp_[a-z2-7]{26}$`)},
		{New(""), regexp.MustCompile(`^[a-z2-7]{26}$`)},
		{Base62(43), regexp.MustCompile(`^[0-9A-Za-z]{43}$`)},
		{Hex("sec_", 8), regexp.MustCompile(`^sec_[0-9a-f]{16}$`)},
	} {
		if !tc.re.MatchString(tc.got) {
			t.Errorf("%q does not match %s", tc.got, tc.re)
		}
	}
	if len(Bytes(32)) != 32 {
		t.Error("Bytes(32) is not 32 bytes")
	}
	if New("x_") == New("x_") {
		t.Error("two ids are equal")
	}
}

// TestBase62IsUniform: every character turns up about equally often (the
// old base36 helper mapped bytes with a bare modulo, which favours the
// first characters).
func TestBase62IsUniform(t *testing.T) {
	const n = 62 * 2000
	counts := map[rune]int{}
	for _, c := range Base62(n) {
		counts[c]++
	}
	if len(counts) != 62 {
		t.Fatalf("%d distinct characters, want 62", len(counts))
	}
	for c, k := range counts {
		// mean 2000, sd ~44: 10 sd either side never trips by chance.
		if k < 1560 || k > 2440 {
			t.Errorf("%q drawn %d times of %d, want about 2000", c, k, n)
		}
	}
	if strings.ContainsAny(Base62(1000), "+/=-_") {
		t.Error("Base62 left its alphabet")
	}
}
