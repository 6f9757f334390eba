package webhooks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Targets says where a webhook may be sent. Never into the network notification runs in: not to a
// private, link-local (cloud metadata), shared (carrier-grade NAT), unspecified, multicast or NAT64
// address, whatever name resolved to it, and to loopback only in development, where the receivers
// run on the same machine (LIVSLANG_WEBHOOK_ALLOW_LOOPBACK).
type Targets struct {
	AllowLoopback bool
}

// errRefusedTarget is why a dial to a forbidden address failed.
var errRefusedTarget = errors.New("webhook target address not allowed")

var (
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598, private in practice
	nat64              = []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96"), netip.MustParsePrefix("64:ff9b:1::/48")}
)

// allowed reports whether a webhook may connect to ip.
func (t Targets) allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return t.AllowLoopback
	case ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast(),
		ip.IsUnspecified(), ip.IsMulticast(), sharedAddressSpace.Contains(ip):
		return false
	}
	for _, p := range nat64 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// control is the dialer's check of the address a name resolved to, made before connecting.
func (t Targets) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %v", errRefusedTarget, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !t.allowed(ip) {
		return errRefusedTarget
	}
	return nil
}

// CheckURL explains what is wrong with a webhook URL, or returns "": absolute https to a public host
// (or, in development, http or https to this machine). A host name is checked again, for the
// addresses it resolves to, at every delivery.
func (t Targets) CheckURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "is required"
	case len(raw) > 2000:
		return "is longer than 2000 characters"
	case err != nil || !u.IsAbs() || u.Hostname() == "" || u.Opaque != "":
		return "must be an absolute https URL"
	case u.User != nil:
		return "must not carry a user name or password"
	case u.Scheme != "https" && u.Scheme != "http":
		return "must be an absolute https URL"
	}
	host := u.Hostname()
	loopback := isLoopbackName(host)
	if ip, err := netip.ParseAddr(strings.TrimSuffix(host, ".")); err == nil {
		loopback = ip.Unmap().IsLoopback()
		if !loopback && !t.allowed(ip) {
			return "must not point at a private or reserved address"
		}
	}
	switch {
	case loopback && !t.AllowLoopback:
		return "must not point at this machine (localhost or a loopback address)"
	case loopback, u.Scheme == "https":
		return ""
	case t.AllowLoopback:
		return "must use https (http only to localhost)"
	default:
		return "must use https"
	}
}

func isLoopbackName(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// reason is what the delivery log says about a failed attempt: what kind of failure, never the
// dial error itself, whose addresses and port states would let an institution scan the network
// notification runs in.
func reason(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var netErr net.Error
	switch {
	case errors.Is(err, errRefusedTarget):
		return "the endpoint's address is not allowed (loopback, private or reserved)"
	case errors.As(err, &dnsErr):
		return "the endpoint's host name could not be resolved"
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr):
		return "the endpoint's TLS certificate was not accepted"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "the endpoint did not answer in time"
	default:
		return "could not connect to the endpoint"
	}
}
