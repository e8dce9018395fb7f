package netguard_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"fusebox/backend/netguard"
)

func TestSecurityNetguardClassify(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1": "loopback", "127.1.2.3": "loopback", "::1": "loopback", "::ffff:127.0.0.1": "loopback",
		"169.254.169.254": "link-local", "fe80::1": "link-local", "::ffff:169.254.169.254": "link-local",
		"10.1.2.3": "private", "172.16.0.1": "private", "192.168.1.1": "private", "fd00::1": "private",
		"224.0.0.1": "link-local", "239.1.2.3": "multicast", "ff02::1": "link-local", "ff05::1": "multicast",
		"0.0.0.0": "unspecified", "::": "unspecified", "100.64.0.1": "reserved", "255.255.255.255": "reserved",
		"64:ff9b::7f00:1": "loopback", "2002:7f00:1::": "loopback", "::127.0.0.1": "loopback",
		"93.184.216.34": "", "2606:2800:220:1:248:1893:25c8:1946": "",
	} {
		if got := netguard.Classify(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Classify(%s) = %q, want %q", addr, got, want)
		}
	}
}

func TestSecurityNetguardRefusesLoopbackAtConnectTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("secret")) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, u := range []string{srv.URL, "http://localhost" + port, "http://[::ffff:127.0.0.1]" + port} {
		res, err := netguard.New(nil).Client().Get(u)
		if err == nil {
			res.Body.Close()
			t.Fatalf("%s: reached the loopback server", u)
		}
		if !netguard.IsBlocked(err) || !strings.Contains(err.Error(), "loopback") {
			t.Fatalf("%s: %v, want a loopback refusal", u, err)
		}
	}
	// An allowed named host passes.
	res, err := netguard.New([]string{"LOCALHOST"}).Client().Get("http://localhost" + port)
	if err != nil {
		t.Fatalf("allowed host: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("allowed host: %d", res.StatusCode)
	}
}

func TestNetguardCheckHostName(t *testing.T) {
	for _, ok := range []string{"crm.internal", "localhost", "10.0.0.5", "[::1]", "a_b.example"} {
		if err := netguard.CheckHostName(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "http://x", "x:80", "*.example.com", "a/b", "-x.example"} {
		if err := netguard.CheckHostName(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
