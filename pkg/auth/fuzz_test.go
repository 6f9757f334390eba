package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: any bearer token is refused as ErrInvalidToken with a reason, or is one the issuer
// signed: never a panic, another error or a token with claims it did not sign.
func FuzzVerify(f *testing.F) {
	srv := httptest.NewUnstartedServer(nil)
	iss, err := NewDevIssuer("http://" + srv.Listener.Addr().String())
	if err != nil {
		f.Fatal(err)
	}
	srv.Config.Handler = iss.Handler()
	srv.Start()
	defer srv.Close()
	v := NewVerifier(iss.URL)
	valid, _ := iss.Issue(Claims{Subject: "s1", Role: RoleCitizen})
	for _, s := range []string{valid, valid[:len(valid)-2], "a.b.c", "", "..", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
		strings.Replace(valid, ".", "..", 1), b64.EncodeToString([]byte(`{"alg":"RS256","kid":"x"}`)) + ".e30.AA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := v.Verify(ctx, token)
		switch {
		case err != nil && (!errors.Is(err, ErrInvalidToken) || Reason(err) == ""):
			t.Fatalf("Verify(%q) = %v, want ErrInvalidToken with a reason", token, err)
		case err == nil && (c.Subject != "s1" || c.Issuer != iss.URL):
			t.Fatalf("Verify(%q) accepted %+v", token, c)
		}
	})
}
