package httpapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies trusted to say whom they forward a request for (an ingress, a load
// balancer, the portal calling an API for a visitor), as address ranges.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of addresses and CIDR ranges ("10.0.0.0/8,127.0.0.1,::1").
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: want an address or a CIDR range", part)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an address or a CIDR range", part)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 { // ::ffff:10.0.0.0/104 is 10.0.0.0/8
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (p Proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, pr := range p {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// Client is the address of the request's client. A request from anything but a trusted proxy is its
// own client (RemoteAddr). From a trusted proxy, the forwarding chain (Forwarded, RFC 7239, or else
// X-Forwarded-For) is read from the right: the first address no trusted proxy owns is the client.
// What lies to the left of it was written by the client itself and is never believed; an address
// that cannot be read ends the walk there, at the last proxy that forwarded it.
func (p Proxies) Client(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	remote, err := netip.ParseAddr(host)
	if err != nil || len(p) == 0 || !p.trusted(remote) {
		return host
	}
	chain := forwardedFor(r.Header)
	client := remote
	for i := len(chain) - 1; i >= 0; i-- {
		a, ok := parseNode(chain[i])
		if !ok {
			break
		}
		client = a
		if !p.trusted(a) {
			break
		}
	}
	return client.Unmap().String()
}

// forwardedFor is the chain of addresses a request was forwarded for, oldest first: the for=
// parameters of Forwarded if the request has that header, else X-Forwarded-For.
func forwardedFor(h http.Header) []string {
	var out []string
	if fw := h.Values("Forwarded"); len(fw) > 0 {
		for _, line := range fw {
			for _, elem := range strings.Split(line, ",") {
				node := ""
				for _, pair := range strings.Split(elem, ";") {
					k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
					if strings.EqualFold(k, "for") {
						node = strings.Trim(v, `"`)
					}
				}
				out = append(out, node)
			}
		}
		return out
	}
	for _, line := range h.Values("X-Forwarded-For") {
		for _, node := range strings.Split(line, ",") {
			out = append(out, strings.TrimSpace(node))
		}
	}
	return out
}

// parseNode reads one address of a chain: 192.0.2.1, 192.0.2.1:4711, [2001:db8::1] or
// [2001:db8::1]:4711 ("unknown" and obfuscated names are not addresses).
func parseNode(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a, err == nil
}

type clientKey struct{}

// WithClient notes each request's client address, by the trusted proxies, for ClientAddress.
func WithClient(p Proxies, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, p.Client(r))))
	})
}

// ClientAddress is the request's client IP address: the one WithClient found, or else RemoteAddr's.
func ClientAddress(r *http.Request) string {
	if a, ok := ClientOf(r.Context()); ok {
		return a
	}
	return Proxies(nil).Client(r)
}

// ClientOf is the client address WithClient noted in ctx: the portal forwards it on the API calls it
// makes for a visitor.
func ClientOf(ctx context.Context) (string, bool) {
	a, ok := ctx.Value(clientKey{}).(string)
	return a, ok
}
