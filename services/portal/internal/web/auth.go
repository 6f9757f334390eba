package web

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/pkg/cvr"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
	"livslang.dk/services/portal/internal/oidc"
	"livslang.dk/services/portal/internal/session"
)

func (s *Server) setSessionCookie(w http.ResponseWriter, id string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookie(), Value: id, Path: "/", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds())})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookie(), Value: "", Path: "/", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

func (s *Server) setLangCookie(w http.ResponseWriter, l i18n.Lang) {
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
}

// switchLang remembers the chosen language and goes back to the page.
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) error {
	l, ok := i18n.Parse(r.PathValue("lang"))
	if !ok {
		return errNotFound
	}
	s.setLangCookie(w, l)
	back := safeBack(r.URL.Query().Get("back"))
	if back == "" {
		back = "/"
	}
	return redirect(w, r, back)
}

// login starts the authorization-code flow: a new session holds the state, nonce and PKCE verifier.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	back := safeBack(r.URL.Query().Get("back"))
	if u := s.user(r); u != nil {
		if back == "" || back == "/" {
			back = home(u.Role)
		}
		return redirect(w, r, back)
	}
	login := &session.Login{State: oidc.Random(32), Nonce: oidc.Random(32), Verifier: oidc.Random(48), Back: back}
	to, err := s.OIDC.AuthURL(r.Context(), login.State, login.Nonce, login.Verifier)
	if err != nil {
		return fmt.Errorf("%w: identity provider: %w", api.ErrUnavailable, err)
	}
	// The sign-in travels in the browser's cookie (sealed), not in this process: the callback may
	// reach another instance, and a flood of sign-ins costs no memory.
	s.startSession(r, 15*time.Minute).Login = login
	return redirect(w, r, to)
}

// callback finishes sign-in: the state must be this browser's, the code is exchanged with the
// verifier, the access token verified and the ID token checked; then a new session holds the user.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	q := r.URL.Query()
	var login *session.Login
	if st.sess != nil {
		login = st.sess.Login
	}
	failed := func(reason string, err error) error {
		if err != nil {
			s.Log.Warn("sign-in failed", zap.String("reason", reason), zap.Error(err))
		}
		return s.render(w, r, http.StatusBadRequest, "signin_failed", Page{Title: st.lang.T("signin_failed.title")})
	}
	if login == nil || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(login.State)) != 1 {
		return failed("state does not match this browser's sign-in", errors.New("state mismatch"))
	}
	if e := q.Get("error"); e != "" {
		return failed("the identity provider refused", errors.New(e))
	}
	tok, err := s.OIDC.Exchange(r.Context(), q.Get("code"), login.Verifier)
	if err != nil {
		return failed("code exchange", err)
	}
	claims, err := s.Verifier.Verify(r.Context(), tok.AccessToken)
	if err != nil {
		return failed("access token", err)
	}
	if err := s.OIDC.CheckIDToken(tok.IDToken, login.Nonce, claims.Subject, s.Now()); err != nil {
		return failed("id token", err)
	}
	expires := time.Unix(claims.Expiry, 0)
	user := &session.User{Subject: claims.Subject, Role: claims.Role, Name: claims.Name, InstitutionID: claims.InstitutionID,
		Municipality: claims.Municipality, Token: tok.AccessToken, Expires: expires}
	if claims.Role == auth.RoleEmployer {
		// The company is the access token's cvr claim (the APIs check the same token); the ID token
		// names only the person.
		if !cvr.Valid(claims.CVR) {
			return failed("employer without a valid cvr claim", errors.New("no cvr"))
		}
		user.CVR = claims.CVR
		// The company's contact names it and its language, if the user has not chosen one here.
		if co, err := s.API.Company(r.Context(), tok.AccessToken, claims.CVR); err == nil {
			if co.Name != "" {
				user.Name = co.Name
			}
			if l, ok := i18n.Parse(co.Language); ok && !st.langChosen {
				s.setLangCookie(w, l)
			}
		}
	}
	if claims.Role == auth.RoleCitizen {
		// The profile names the citizen and their language, if they have not chosen one here.
		if p, err := s.API.Profile(r.Context(), tok.AccessToken); err == nil {
			if p.Name != "" {
				user.Name = p.Name
			}
			if l, ok := i18n.Parse(p.Language); ok && !st.langChosen {
				s.setLangCookie(w, l)
			}
		}
	}
	// A new session (and CSRF token) after signing in: no session fixation.
	sess := s.startSession(r, expires.Sub(s.Now()))
	sess.User = user
	sess.Flash = &session.Flash{Kind: "success", Key: "flash.signed_in"}
	back := login.Back
	if back == "" || back == "/" {
		back = home(user.Role)
	}
	return redirect(w, r, back)
}

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	s.endSession(r)
	return redirect(w, r, "/?signed_out=1")
}
