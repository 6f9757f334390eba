package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"livslang.dk/pkg/cpr"
	"livslang.dk/pkg/cvr"
	"livslang.dk/pkg/httpapi"
)

var nopLog = zap.NewNop()

// DevIssuer is the development identity provider: it issues signed tokens for any role on request
// (POST /token with a JSON body) and signs browsers in with the OIDC authorization-code flow and PKCE
// (GET /authorize shows the demo users to pick). Never expose it beyond a developer's machine.
type DevIssuer struct {
	URL string
	TTL time.Duration
	// CodeTTL is how long an authorization code may be exchanged (60 s).
	CodeTTL time.Duration
	now     func() time.Time

	mu    sync.Mutex
	keys  []signingKey // the first signs; all are in the JWKS
	users []DemoUser
	codes map[string]authCode
}

// signingKey is an RSA key and its key id.
type signingKey struct {
	key *rsa.PrivateKey
	kid string
}

func newSigningKey() (signingKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingKey{}, fmt.Errorf("generate key: %w", err)
	}
	sum := sha256.Sum256(key.PublicKey.N.Bytes())
	return signingKey{key: key, kid: hex.EncodeToString(sum[:8])}, nil
}

// RotateKey makes a new key sign from now on; the one before stays in the JWKS until the next
// rotation, so tokens it signed still verify.
func (d *DevIssuer) RotateKey() error {
	k, err := newSigningKey()
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys = []signingKey{k, d.keys[0]}
	return nil
}

func (d *DevIssuer) signer() signingKey {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.keys[0]
}

// DemoUser is a user the sign-in page offers: the token request it stands for, a key and a label.
type DemoUser struct {
	TokenRequest
	Key   string `json:"key"`
	Label string `json:"label"`
}

// SetUsers sets the demo users GET /authorize offers. It is a method rather than a field because the
// handler may already be serving when a launcher or test names them.
func (d *DevIssuer) SetUsers(users []DemoUser) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users = append([]DemoUser(nil), users...)
}

// Users returns the demo users the sign-in page offers.
func (d *DevIssuer) Users() []DemoUser {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]DemoUser(nil), d.users...)
}

// NewDevIssuer makes an issuer with a fresh 2048-bit key.
func NewDevIssuer(url string) (*DevIssuer, error) {
	k, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	return &DevIssuer{URL: strings.TrimRight(url, "/"), TTL: 8 * time.Hour, CodeTTL: time.Minute, keys: []signingKey{k},
		now: time.Now, codes: map[string]authCode{}}, nil
}

// Issue signs a token with the given claims; issuer, audience and times are filled in.
func (d *DevIssuer) Issue(c Claims) (string, error) {
	now := d.now()
	c.Issuer, c.Audience = d.URL, Audiences{Audience}
	c.IssuedAt, c.NotBefore, c.Expiry = now.Unix(), now.Unix(), now.Add(d.TTL).Unix()
	k := d.signer()
	return sign(k.key, k.kid, c)
}

// TokenRequest is the body of POST /token.
type TokenRequest struct {
	Role          string `json:"role"`
	Sub           string `json:"sub"`
	CPR           string `json:"cpr,omitempty"`
	InstitutionID string `json:"institution_id,omitempty"`
	Municipality  string `json:"municipality,omitempty"`
	CVR           string `json:"cvr,omitempty"`
	Name          string `json:"name,omitempty"`
}

var subPattern = regexp.MustCompile(`^[A-Za-z0-9._:@-]{1,128}$`)

// Validate checks a token request field by field.
func (t TokenRequest) Validate() error {
	v := &httpapi.ValidationError{}
	switch t.Role {
	case RoleCitizen:
		if _, err := cpr.Parse(t.CPR); err != nil {
			v.Add("cpr", "a citizen needs a CPR number DDMMYYSSSS: %v", err)
		}
	case RoleInstitution:
		if t.InstitutionID == "" {
			v.Add("institution_id", "an institution user needs institution_id")
		}
	case RoleCaseworker:
		if t.Municipality == "" {
			v.Add("municipality", "a caseworker needs a municipality code, e.g. 657")
		}
	case RoleEmployer:
		if err := cvr.Check(t.CVR); err != nil {
			v.Add("cvr", "an employer user needs the company's CVR number: %v", err)
		}
	case RoleAdmin:
	default:
		v.Add("role", "must be one of citizen, caseworker, institution, employer, admin")
	}
	if !subPattern.MatchString(t.Sub) {
		v.Add("sub", "must be 1-128 characters of letters, digits and ._:@-")
	}
	return v.Err()
}

// claims turns a valid token request into the token's claims.
func (t TokenRequest) claims() Claims {
	c := Claims{Subject: t.Sub, Role: t.Role, InstitutionID: t.InstitutionID, Municipality: t.Municipality, Name: t.Name}
	if t.Role == RoleEmployer {
		c.CVR = t.CVR
	}
	if t.Role == RoleCitizen {
		p, _ := cpr.Parse(t.CPR)
		c.CPR = p.Digits()
	}
	return c
}

// Handler serves POST /token (a JSON token request, or the authorization-code grant as a form),
// GET and POST /authorize, the discovery document and the JWKS.
func (d *DevIssuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, httpapi.MaxBody))
		if err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_request", "the body is too large")
			return
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		// curl -d sends JSON as a form: a body that starts with { is the JSON token request.
		if mt == "application/x-www-form-urlencoded" && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
			d.exchangeCode(w, body)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		d.jsonToken(w, r)
	})
	mux.HandleFunc("GET /authorize", d.authorize)
	mux.HandleFunc("POST /authorize", d.authorize)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = httpapi.WriteJSON(w, http.StatusOK, map[string]any{
			"issuer":                                d.URL,
			"jwks_uri":                              d.URL + "/jwks",
			"token_endpoint":                        d.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"authorization_endpoint":                d.URL + "/authorize",
			"response_types_supported":              []string{"code"},
			"grant_types_supported":                 []string{"authorization_code"},
			"code_challenge_methods_supported":      []string{"S256"},
			"token_endpoint_auth_methods_supported": []string{"none"},
			"scopes_supported":                      []string{"openid", "profile"},
			"subject_types_supported":               []string{"public"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		set := jwks{Keys: []jwk{}}
		for _, k := range d.keys {
			pub := k.key.PublicKey
			set.Keys = append(set.Keys, jwk{Kty: "RSA", Kid: k.kid, Use: "sig", Alg: "RS256",
				N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
				E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())})
		}
		d.mu.Unlock()
		_ = httpapi.WriteJSON(w, http.StatusOK, set)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_ = httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

// jsonToken answers a JSON token request: any role, on request (development only).
func (d *DevIssuer) jsonToken(w http.ResponseWriter, r *http.Request) {
	httpapi.Handle(nopLog, func(w http.ResponseWriter, r *http.Request) error {
		var req TokenRequest
		if err := httpapi.DecodeJSON(w, r, &req); err != nil {
			return err
		}
		if err := req.Validate(); err != nil {
			return err
		}
		tok, err := d.Issue(req.claims())
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(d.TTL.Seconds())})
	}).ServeHTTP(w, r)
}

// authCode is an issued authorization code waiting to be exchanged once.
type authCode struct {
	claims      Claims
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
	expires     time.Time
}

// authRequest is an authorization request's parameters.
type authRequest struct {
	ClientID, RedirectURI, State, Challenge, Method, Nonce, LoginHint string
}

var pkcePattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

func readAuthRequest(q url.Values) authRequest {
	return authRequest{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), State: q.Get("state"),
		Challenge: q.Get("code_challenge"), Method: q.Get("code_challenge_method"), Nonce: q.Get("nonce"),
		LoginHint: q.Get("login_hint")}
}

// validRedirect reports whether uri is an absolute http(s) URL without a fragment.
func validRedirect(uri string) bool {
	u, err := url.Parse(uri)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Fragment == ""
}

// redirectTo sends the browser back to the client with params added to its redirect URI.
func redirectTo(w http.ResponseWriter, r *http.Request, uri string, params url.Values) {
	u, _ := url.Parse(uri)
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// authorize serves the development sign-in page (GET) and issues a code for the picked user (POST).
// PKCE with S256 is required.
func (d *DevIssuer) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed request", http.StatusBadRequest)
		return
	}
	req := readAuthRequest(r.Form)
	if !validRedirect(req.RedirectURI) {
		// Never redirect to an unusable address: tell the person instead.
		http.Error(w, "redirect_uri must be an absolute http(s) URL without a fragment", http.StatusBadRequest)
		return
	}
	fail := func(code, desc string) {
		redirectTo(w, r, req.RedirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {req.State}})
	}
	switch {
	case r.Form.Get("response_type") != "code":
		fail("unsupported_response_type", "only response_type=code is supported")
		return
	case req.ClientID == "":
		fail("invalid_request", "client_id is required")
		return
	case req.Method != "S256" || !pkcePattern.MatchString(req.Challenge):
		fail("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
		return
	}
	if r.Method == http.MethodGet {
		d.signInPage(w, req, "", http.StatusOK)
		return
	}
	var tr TokenRequest
	if key := r.PostForm.Get("user"); key != "" || len(d.Users()) > 0 {
		found := false
		for _, u := range d.Users() {
			if u.Key == key {
				tr, found = u.TokenRequest, true
			}
		}
		if !found {
			d.signInPage(w, req, "Pick one of the users listed.", http.StatusBadRequest)
			return
		}
	} else {
		tr = TokenRequest{Role: r.PostForm.Get("role"), Sub: strings.TrimSpace(r.PostForm.Get("sub")), CPR: strings.TrimSpace(r.PostForm.Get("cpr")),
			InstitutionID: strings.TrimSpace(r.PostForm.Get("institution_id")), Municipality: strings.TrimSpace(r.PostForm.Get("municipality")),
			CVR:  strings.TrimSpace(r.PostForm.Get("cvr")),
			Name: strings.TrimSpace(r.PostForm.Get("name"))}
	}
	if err := tr.Validate(); err != nil {
		d.signInPage(w, req, err.Error(), http.StatusBadRequest)
		return
	}
	code := randomToken()
	now := d.now()
	d.mu.Lock()
	for k, c := range d.codes {
		if now.After(c.expires) {
			delete(d.codes, k)
		}
	}
	d.codes[code] = authCode{claims: tr.claims(), clientID: req.ClientID, redirectURI: req.RedirectURI, challenge: req.Challenge,
		nonce: req.Nonce, expires: now.Add(d.CodeTTL)}
	d.mu.Unlock()
	redirectTo(w, r, req.RedirectURI, url.Values{"code": {code}, "state": {req.State}})
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// oauthError writes an OAuth 2.0 error response (RFC 6749 § 5.2).
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	_ = httpapi.WriteJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// exchangeCode answers the authorization-code grant: the code is used once, within CodeTTL, by the
// client it was issued to, with the same redirect URI and the PKCE verifier of its challenge.
func (d *DevIssuer) exchangeCode(w http.ResponseWriter, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form")
		return
	}
	if form.Get("grant_type") != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code is supported")
		return
	}
	d.mu.Lock()
	c, ok := d.codes[form.Get("code")]
	delete(d.codes, form.Get("code")) // one use, whatever happens next
	d.mu.Unlock()
	verifier := form.Get("code_verifier")
	sum := sha256.Sum256([]byte(verifier))
	switch {
	case !ok:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or already used code")
	case d.now().After(c.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the code has expired")
	case form.Get("client_id") != c.clientID || form.Get("redirect_uri") != c.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the code was issued to another client or redirect_uri")
	case !pkcePattern.MatchString(verifier) ||
		subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(c.challenge)) != 1:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
	default:
		access, err := d.Issue(c.claims)
		if err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", "cannot sign the token")
			return
		}
		now := d.now()
		k := d.signer()
		id, err := sign(k.key, k.kid, idToken{Issuer: d.URL, Subject: c.claims.Subject, Audience: c.clientID,
			Expiry: now.Add(d.TTL).Unix(), IssuedAt: now.Unix(), AuthTime: now.Unix(), Nonce: c.nonce, Name: c.claims.Name, Role: c.claims.Role})
		if err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", "cannot sign the token")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		_ = httpapi.WriteJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer",
			"expires_in": int(d.TTL.Seconds()), "id_token": id})
	}
}

// idToken is the OIDC ID token: who signed in, for which client.
type idToken struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	Expiry   int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	AuthTime int64  `json:"auth_time"`
	Nonce    string `json:"nonce,omitempty"`
	Name     string `json:"name,omitempty"`
	Role     string `json:"role,omitempty"`
}

var roleNames = []struct{ Role, Title string }{
	{RoleCitizen, "Citizens · Borgere"}, {RoleCaseworker, "Caseworkers · Sagsbehandlere"},
	{RoleInstitution, "Institutions · Uddannelsessteder"}, {RoleEmployer, "Employers · Virksomheder"}, {RoleAdmin, "Administrators"},
}

// signInPage lists the demo users to pick; without demo users it asks for a user's claims.
func (d *DevIssuer) signInPage(w http.ResponseWriter, req authRequest, problem string, status int) {
	type group struct {
		Title string
		Users []DemoUser
	}
	var groups []group
	users := d.Users()
	for _, rn := range roleNames {
		g := group{Title: rn.Title}
		for _, u := range users {
			if u.Role == rn.Role {
				g.Users = append(g.Users, u)
			}
		}
		if len(g.Users) > 0 {
			groups = append(groups, g)
		}
	}
	hint := req.LoginHint
	if hint == "" && len(users) > 0 {
		hint = users[0].Key
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'sha256-"+signInStyleHash+"'; form-action *; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = signInTemplate.Execute(w, map[string]any{"Req": req, "Groups": groups, "Hint": hint, "Problem": problem,
		"Style": template.CSS(signInStyle), "Manual": len(users) == 0})
}

const signInStyle = `body{font:1.05rem/1.5 system-ui,sans-serif;max-width:44rem;margin:0 auto;padding:1rem;color:#1b1b1b;background:#fff}
h1{font-size:1.6rem}fieldset{border:1px solid #6b6b6b;border-radius:.4rem;margin:0 0 1rem;padding:.5rem 1rem}
legend{font-weight:700;padding:0 .3rem}label{display:block;padding:.35rem 0}input[type=text],select{font:inherit;padding:.3rem;width:100%;max-width:24rem;border:1px solid #555}
button{font:inherit;font-weight:700;padding:.6rem 1.4rem;background:#0b5394;color:#fff;border:0;border-radius:.3rem;cursor:pointer}
:focus-visible{outline:3px solid #c75000;outline-offset:2px}.note{background:#fff4ce;border-left:4px solid #8a6d00;padding:.5rem 1rem}
.problem{background:#fde7e9;border-left:4px solid #a4262c;padding:.5rem 1rem}.label{color:#4a4a4a}`

var signInStyleHash = func() string {
	sum := sha256.Sum256([]byte(signInStyle))
	return base64.StdEncoding.EncodeToString(sum[:])
}()

var signInTemplate = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Log ind – Livslang development identity provider</title><style>{{.Style}}</style></head>
<body><main>
<h1>Sign in to Livslang · Log ind</h1>
<p class="note">Development identity provider: pick a demo user. In production this is MitID through a broker.</p>
{{if .Problem}}<p class="problem" role="alert">{{.Problem}}</p>{{end}}
<form method="post" action="/authorize">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="client_id" value="{{.Req.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.Req.RedirectURI}}">
<input type="hidden" name="state" value="{{.Req.State}}">
<input type="hidden" name="nonce" value="{{.Req.Nonce}}">
<input type="hidden" name="code_challenge" value="{{.Req.Challenge}}">
<input type="hidden" name="code_challenge_method" value="{{.Req.Method}}">
{{range .Groups}}<fieldset><legend>{{.Title}}</legend>
{{range .Users}}<label><input type="radio" name="user" value="{{.Key}}" id="user-{{.Key}}"{{if eq .Key $.Hint}} checked{{end}}> <strong>{{.Key}}</strong> <span class="label">{{.Label}}</span></label>
{{end}}</fieldset>
{{end}}{{if .Manual}}<fieldset><legend>User</legend>
<label for="role">Role</label><select id="role" name="role"><option>citizen</option><option>caseworker</option><option>institution</option><option>employer</option><option>admin</option></select>
<label for="sub">Subject (sub)</label><input type="text" id="sub" name="sub" required>
<label for="cpr">CPR number (citizens)</label><input type="text" id="cpr" name="cpr" autocomplete="off">
<label for="municipality">Municipality code</label><input type="text" id="municipality" name="municipality">
<label for="institution_id">Institution id</label><input type="text" id="institution_id" name="institution_id">
<label for="cvr">CVR number (employers)</label><input type="text" id="cvr" name="cvr" inputmode="numeric">
<label for="name">Name</label><input type="text" id="name" name="name">
</fieldset>{{end}}
<button type="submit">Sign in · Log ind</button>
</form></main></body></html>
`))
