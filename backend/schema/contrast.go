package schema

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MinContrast is the least contrast ratio (WCAG 2 AA for normal text)
// a brand colour must reach.
const MinContrast = 4.5

// RGB is an sRGB colour.
type RGB struct{ R, G, B uint8 }

// ParseHexColor reads "#rgb" or "#rrggbb" (any case).
func ParseHexColor(s string) (RGB, error) {
	h := strings.TrimSpace(s)
	if !strings.HasPrefix(h, "#") {
		return RGB{}, fmt.Errorf("%q is not a colour: write it as #rrggbb (e.g. #0b7285)", s)
	}
	h = h[1:]
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 {
		return RGB{}, fmt.Errorf("%q is not a colour: write it as #rrggbb (e.g. #0b7285)", s)
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return RGB{}, fmt.Errorf("%q is not a colour: write it as #rrggbb (e.g. #0b7285)", s)
	}
	return RGB{uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// Luminance is the WCAG relative luminance (0 black .. 1 white).
func (c RGB) Luminance() float64 {
	ch := func(v uint8) float64 {
		x := float64(v) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(c.R) + 0.7152*ch(c.G) + 0.0722*ch(c.B)
}

// ContrastRatio is the WCAG contrast ratio of two colours (1..21).
func ContrastRatio(a, b RGB) float64 {
	la, lb := a.Luminance(), b.Luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

var white = RGB{255, 255, 255}

// CheckPrimaryColor checks a brand primary colour: the importer puts white
// text on it (buttons, the current step) and uses it as text and outline
// on white (links, tags, focus rings), so both pairs must reach
// MinContrast. The error says which pair fails and its ratio.
func CheckPrimaryColor(s string) error {
	c, err := ParseHexColor(s)
	if err != nil {
		return err
	}
	// Both pairs are the same two colours, so one ratio decides both.
	r := ContrastRatio(white, c)
	if r < MinContrast {
		return fmt.Errorf("%s has a contrast ratio of %s:1 with white (text on the colour and the colour on white); at least %.1f:1 is needed: choose a darker shade", s, FormatRatio(r), MinContrast)
	}
	return nil
}

// FormatRatio prints a ratio with two decimals, never rounding a failing
// ratio up to the threshold (4.497 is "4.49", not "4.50").
func FormatRatio(r float64) string {
	out := strconv.FormatFloat(r, 'f', 2, 64)
	if r < MinContrast && out == strconv.FormatFloat(MinContrast, 'f', 2, 64) {
		out = strconv.FormatFloat(math.Floor(r*100)/100, 'f', 2, 64)
	}
	return out
}
