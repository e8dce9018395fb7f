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

func TestSecurityLoopbackOnlyFollowsTheListenAddress(t *testing.T) {
	for _, tc := range []struct {
		addr, publicURL string
		want            bool
	}{
		{"127.0.0.1:8787", "", true},
		{"localhost:8787", "", true},
		{"[::1]:8787", "", true},
		{"127.0.0.1:8787", "https://fusebox.example.com", false}, // behind a proxy: others reach it
		{"0.0.0.0:8787", "", false},
		{":8787", "", false},
		{"192.168.1.20:8787", "", false},
		{"[::]:8787", "", false},
	} {
		if got := loopbackOnly(serveFlags{addr: tc.addr, publicURL: tc.publicURL}); got != tc.want {
			t.Errorf("loopbackOnly(--addr %s --public-url %q) = %v, want %v", tc.addr, tc.publicURL, got, tc.want)
		}
	}
}
