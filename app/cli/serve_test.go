package cli

import (
	"io"
	"testing"
)

func TestServeFlagOpenRoute(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"--open", "importers/contacts/try"}, "importers/contacts/try"},
		{[]string{"--open", "#/importers/contacts/try"}, "importers/contacts/try"},
		{[]string{"--open", " /imports "}, "imports"},
	} {
		f, err := parseServeFlags("desktop", tc.args, io.Discard)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if f.open != tc.want {
			t.Errorf("%q: open = %q, want %q", tc.args, f.open, tc.want)
		}
	}
}
