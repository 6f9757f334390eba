package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-dBjftJeZ4CVP"

func challengeOf(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// codeFlow starts an issuer with one demo citizen and a client that does not follow redirects.
func codeFlow(t *testing.T) (*DevIssuer, *httptest.Server, *http.Client) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	iss, err := NewDevIssuer("http://" + srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	iss.SetUsers([]DemoUser{
		{Key: "citizen-anna", Label: "Anna Jensen", TokenRequest: TokenRequest{Role: RoleCitizen, Sub: "anna", CPR: "0101901234", Municipality: "657", Name: "Anna Jensen"}},
		{Key: "caseworker", Label: "Caseworker", TokenRequest: TokenRequest{Role: RoleCaseworker, Sub: "cw", Municipality: "657"}},
	})
	srv.Config.Handler = iss.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return iss, srv, client
}

const redirectURI = "http://portal.test/auth/callback?x=1"

func authParams(challenge string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {"portal"}, "redirect_uri": {redirectURI},
		"state": {"st4te"}, "nonce": {"n0nce"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
}

// signIn picks the user on the sign-in page and returns the code from the redirect.
func signIn(t *testing.T, srv *httptest.Server, client *http.Client, user string) string {
	t.Helper()
	form := authParams(challengeOf(testVerifier))
	form.Set("user", user)
	resp, err := client.PostForm(srv.URL+"/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /authorize: %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if !strings.HasPrefix(loc.String(), "http://portal.test/auth/callback?") || loc.Query().Get("state") != "st4te" || loc.Query().Get("x") != "1" {
		t.Fatalf("redirect to %s", loc)
	}
	return loc.Query().Get("code")
}

func exchange(t *testing.T, srv *httptest.Server, code, verifier string) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(srv.URL+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "client_id": {"portal"}, "code_verifier": {verifier}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestAuthorizationCodeFlowWithPKCE(t *testing.T) {
	t.Parallel()
	iss, srv, client := codeFlow(t)

	// The sign-in page lists the demo users and preselects the login hint.
	q := authParams(challengeOf(testVerifier))
	q.Set("login_hint", "caseworker")
	resp, err := client.Get(srv.URL + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Anna Jensen") ||
		!strings.Contains(string(page), `value="caseworker" id="user-caseworker" checked`) {
		t.Fatalf("sign-in page %d:\n%s", resp.StatusCode, page)
	}

	code := signIn(t, srv, client, "citizen-anna")
	status, tok := exchange(t, srv, code, testVerifier)
	if status != http.StatusOK || tok["token_type"] != "Bearer" || tok["expires_in"].(float64) != 8*3600 {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	c, err := NewVerifier(iss.URL).Verify(context.Background(), tok["access_token"].(string))
	if err != nil || c.Subject != "anna" || c.Role != RoleCitizen || c.CPR != "0101901234" || c.Municipality != "657" {
		t.Fatalf("access token: %+v %v", c, err)
	}
	parts := strings.Split(tok["id_token"].(string), ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var id map[string]any
	_ = json.Unmarshal(raw, &id)
	if id["aud"] != "portal" || id["nonce"] != "n0nce" || id["sub"] != "anna" || id["iss"] != iss.URL {
		t.Fatalf("id token %v", id)
	}

	// The code is used once.
	if status, body := exchange(t, srv, code, testVerifier); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("reused code: %d %v", status, body)
	}
}

func TestAuthorizationCodeRefusals(t *testing.T) {
	t.Parallel()
	iss, srv, client := codeFlow(t)

	t.Run("PKCE mismatch", func(t *testing.T) {
		code := signIn(t, srv, client, "citizen-anna")
		other := strings.Repeat("x", 43)
		if status, body := exchange(t, srv, code, other); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("wrong verifier: %d %v", status, body)
		}
		// A failed exchange spends the code too.
		if status, _ := exchange(t, srv, code, testVerifier); status != http.StatusBadRequest {
			t.Fatalf("code usable after a failed exchange: %d", status)
		}
	})
	t.Run("expired", func(t *testing.T) {
		code := signIn(t, srv, client, "citizen-anna")
		iss.mu.Lock()
		c := iss.codes[code]
		c.expires = time.Now().Add(-time.Second)
		iss.codes[code] = c
		iss.mu.Unlock()
		if status, body := exchange(t, srv, code, testVerifier); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("expired code: %d %v", status, body)
		}
	})
	t.Run("another redirect_uri", func(t *testing.T) {
		code := signIn(t, srv, client, "citizen-anna")
		resp, _ := http.PostForm(srv.URL+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {"http://evil.test/cb"}, "client_id": {"portal"}, "code_verifier": {testVerifier}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("other redirect_uri: %d", resp.StatusCode)
		}
	})
	t.Run("no PKCE", func(t *testing.T) {
		q := authParams("")
		q.Del("code_challenge")
		resp, _ := client.Get(srv.URL + "/authorize?" + q.Encode())
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("error") != "invalid_request" {
			t.Fatalf("no PKCE: %d %s", resp.StatusCode, loc)
		}
	})
	t.Run("bad redirect_uri is not followed", func(t *testing.T) {
		q := authParams(challengeOf(testVerifier))
		q.Set("redirect_uri", "javascript:alert(1)")
		resp, _ := client.Get(srv.URL + "/authorize?" + q.Encode())
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Fatalf("bad redirect_uri: %d", resp.StatusCode)
		}
	})
	t.Run("unknown grant", func(t *testing.T) {
		resp, _ := http.PostForm(srv.URL+"/token", url.Values{"grant_type": {"password"}})
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || body["error"] != "unsupported_grant_type" {
			t.Fatalf("password grant: %d %v", resp.StatusCode, body)
		}
	})
}

// The JSON token request still works, also when curl -d sends it as a form.
func TestJSONTokenRequestStillWorks(t *testing.T) {
	t.Parallel()
	_, srv, _ := codeFlow(t)
	for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
		resp, err := http.Post(srv.URL+"/token", ct, strings.NewReader(`{"role":"citizen","sub":"s1","cpr":"0101901234"}`))
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || body["access_token"] == nil {
			t.Fatalf("%s: %d %v", ct, resp.StatusCode, body)
		}
	}
	resp, _ := http.Post(srv.URL+"/token", "application/json", strings.NewReader(`{"role":"citizen","sub":"s1"}`))
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("invalid JSON request: %d", resp.StatusCode)
	}
	resp, _ = http.Get(srv.URL + "/.well-known/openid-configuration")
	var disc map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if disc["authorization_endpoint"] != srv.URL+"/authorize" || disc["token_endpoint"] != srv.URL+"/token" {
		t.Fatalf("discovery %v", disc)
	}
}
