package httpapi

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClientIsTheFirstAddressNoTrustedProxyOwns(t *testing.T) {
	t.Parallel()
	proxies, err := ParseProxies("10.0.0.0/8, 127.0.0.1, ::1, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, remote, xff, forwarded, want string
	}{
		{"no proxy in front", "198.51.100.1:5000", "", "", "198.51.100.1"},
		{"an untrusted caller's header is ignored", "198.51.100.1:5000", "203.0.113.9", "", "198.51.100.1"},
		{"a trusted proxy without a header is the client", "10.1.2.3:5000", "", "", "10.1.2.3"},
		{"one proxy", "10.1.2.3:5000", "198.51.100.7", "", "198.51.100.7"},
		{"two proxies", "127.0.0.1:5000", "198.51.100.7, 10.9.9.9", "", "198.51.100.7"},
		{"what the client wrote is not believed", "10.1.2.3:5000", "203.0.113.9, 198.51.100.7", "", "198.51.100.7"},
		{"header lines in order", "10.1.2.3:5000", "203.0.113.9\n198.51.100.7", "", "198.51.100.7"},
		{"an address that cannot be read stops at the proxy", "10.1.2.3:5000", "junk", "", "10.1.2.3"},
		{"only proxies: the first of them", "10.1.2.3:5000", "10.0.0.5, 10.0.0.6", "", "10.0.0.5"},
		{"IPv6 remote", "[::1]:5000", "2001:db8::7", "", "2001:db8::7"},
		{"Forwarded wins over X-Forwarded-For", "10.1.2.3:5000", "203.0.113.9", `for=192.0.2.60;proto=https;by=10.1.2.3`, "192.0.2.60"},
		{"Forwarded with ports and IPv6", "10.1.2.3:5000", "", `for="[2001:db8:cafe::17]:4711", for=10.0.0.1:80`, "2001:db8:cafe::17"},
		{"Forwarded unknown stops at the proxy", "10.1.2.3:5000", "", `for=unknown`, "10.1.2.3"},
		{"IPv4-mapped", "[::ffff:10.1.2.3]:5000", "::ffff:198.51.100.7", "", "198.51.100.7"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			for _, line := range strings.Split(c.xff, "\n") {
				r.Header.Add("X-Forwarded-For", line)
			}
		}
		if c.forwarded != "" {
			r.Header.Set("Forwarded", c.forwarded)
		}
		if got := proxies.Client(r); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if host, _, _ := net.SplitHostPort(c.remote); Proxies(nil).Client(r) != host {
			t.Errorf("%s without trusted proxies: not the remote address", c.name)
		}
	}
	mapped, err := ParseProxies("::ffff:10.0.0.0/104")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr, r.Header["X-Forwarded-For"] = "10.1.2.3:5000", []string{"198.51.100.7"}
	if got := mapped.Client(r); got != "198.51.100.7" {
		t.Errorf("an IPv4-mapped range does not trust its IPv4 proxy: %q", got)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.1/"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
