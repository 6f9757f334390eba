// Package web is the portal's HTML front: server-rendered pages for citizens, caseworkers and
// institutions in Danish and English, sign-in with OIDC, sessions, CSRF protection and security
// headers. It keeps no business data: every page is read from and every form written to the APIs.
package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"livslang.dk/pkg/auth"
	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
	"livslang.dk/services/portal/internal/oidc"
	"livslang.dk/services/portal/internal/session"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Server serves the portal's pages.
type Server struct {
	Log      *zap.Logger
	API      *api.Client
	OIDC     *oidc.Client
	Verifier *auth.Verifier
	Sessions *session.Sealer
	// Secure is true when browsers reach the portal over https: cookies are then Secure and the
	// session cookie is a __Host- cookie.
	Secure bool
	Now    func() time.Time

	pages         map[string]*template.Template
	staticVersion string
}

// Cookie names.
const (
	langCookie = "livslang_lang"
)

func (s *Server) sessionCookie() string {
	if s.Secure {
		return "__Host-livslang_session"
	}
	return "livslang_session"
}

// Init parses the templates.
func (s *Server) Init() error {
	if s.Now == nil {
		s.Now = time.Now
	}
	funcs := template.FuncMap{
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, errors.New("dict: odd arguments")
			}
			m := map[string]any{}
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, errors.New("dict: key is not a string")
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"list":   func(v ...string) []string { return v },
		"sub":    func(a, b int) int { return a - b },
		"reason": codedReasonText,
		"ids": func(v ...any) string {
			var out []string
			for _, x := range v {
				if s, ok := x.(string); ok && s != "" {
					out = append(out, s)
				}
			}
			return strings.Join(out, " ")
		},
		"iso":    i18n.ISO,
		"concat": func(parts ...any) string { return fmt.Sprint(parts...) },
		"static": func(name string) string { return "/static/" + name + "?v=" + s.staticVersion },
		"deref": func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"contains": func(list []string, v string) bool {
			for _, x := range list {
				if x == v {
					return true
				}
			}
			return false
		},
	}
	sum := sha256.New()
	_ = fs.WalkDir(staticFiles, "static", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := staticFiles.ReadFile(path)
			sum.Write(b)
		}
		return nil
	})
	s.staticVersion = hex.EncodeToString(sum.Sum(nil))[:12]
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFiles, n)
		if err != nil {
			return fmt.Errorf("templates: %s: %w", n, err)
		}
		s.pages[name] = t
	}
	return nil
}

// page is one route of the portal: its pattern, the role a signed-in user needs ("" for a public
// page) and its handler.
type page struct {
	pattern string
	role    string
	handler handler
}

// routes is every page and form the portal serves, with the role it needs: the portal's
// authorization in one place. Which resources a user may see the APIs decide with the user's token;
// routes_test.go checks every page against every role.
func (s *Server) routes() []page {
	const public, citizen, caseworker, inst, employer = "", auth.RoleCitizen, auth.RoleCaseworker, auth.RoleInstitution, auth.RoleEmployer
	return []page{
		{"GET /{$}", public, s.home},
		{"GET /courses", public, s.courses},
		{"GET /courses/{id}", public, s.course},
		{"GET /courses/{id}/ballot", public, s.ballot},
		{"GET /accessibility", public, s.accessibility},
		{"GET /shared/{token}", public, s.shared},
		{"GET /lang/{lang}", public, s.switchLang},
		{"GET /login", public, s.login},
		{"GET /auth/callback", public, s.callback},
		{"POST /logout", public, s.logout},

		{"GET /me/profile", citizen, s.profile},
		{"POST /me/profile", citizen, s.saveProfile},
		{"POST /enrolments", citizen, s.enrol},
		{"GET /me/enrolments", citizen, s.myEnrolments},
		{"GET /me/enrolments/{id}/cancel", citizen, s.cancelPage},
		{"POST /me/enrolments/{id}/cancel", citizen, s.cancel},
		{"POST /me/enrolments/{id}/offer/{answer}", citizen, s.answerOffer},
		{"GET /me/decisions/{id}", citizen, s.decision},
		{"GET /me/notifications", citizen, s.notifications},
		{"GET /me/preferences", citizen, s.preferences},
		{"POST /me/preferences", citizen, s.savePreferences},
		{"GET /me/referrals", citizen, s.myReferrals},
		{"GET /me/referrals/{id}", citizen, s.myReferral},
		{"POST /me/referrals/{id}/{answer}", citizen, s.answerReferral},
		{"GET /me/learning", citizen, s.myLearning},
		{"POST /me/learning", citizen, s.addEducation},
		{"GET /me/learning.json", citizen, s.downloadLearning},
		{"GET /me/data", citizen, s.myData},
		{"POST /me/data", citizen, s.requestData},
		{"GET /me/data/{id}/download", citizen, s.downloadData},

		{"GET /caseworker/reviews", caseworker, s.reviews},
		{"POST /caseworker/reviews/{id}", caseworker, s.decideReview},
		{"GET /caseworker/budgets", caseworker, s.budgets},
		{"GET /caseworker/eligibility", caseworker, s.clientEligibility},
		{"POST /caseworker/eligibility", caseworker, s.clientEligibility},
		{"GET /caseworker/referrals", caseworker, s.caseworkerReferrals},
		{"GET /caseworker/referrals/new", caseworker, s.referPage},
		{"POST /caseworker/referrals", caseworker, s.refer},
		{"GET /caseworker/referrals/bulk", caseworker, s.referBulkPage},
		{"POST /caseworker/referrals/bulk", caseworker, s.referBulk},
		{"GET /caseworker/referrals/{id}", caseworker, s.caseworkerReferral},
		{"POST /caseworker/referrals/{id}/withdraw", caseworker, s.withdrawReferral},

		{"GET /institution", inst, s.runs},
		{"GET /institution/runs/new", inst, s.newRun},
		{"POST /institution/runs", inst, s.createRun},
		{"GET /institution/runs/{id}", inst, s.run},
		{"POST /institution/runs/{id}/seats", inst, s.setSeats},
		{"POST /institution/runs/{id}/cancel", inst, s.cancelRun},
		{"GET /institution/enrolments", inst, s.institutionEnrolments},
		{"GET /institution/enrolments/{id}", inst, s.institutionEnrolment},
		{"POST /institution/enrolments/{id}/{action}", inst, s.actOnEnrolment},
		{"GET /institution/import", inst, s.importPage},
		{"POST /institution/import", inst, s.importRuns},
		{"GET /institution/demand", inst, s.demand},
		{"GET /institution/demand/companies", inst, s.companyDemand},
		{"GET /institution/webhooks", inst, s.webhooksPage},
		{"POST /institution/webhooks", inst, s.createWebhook},
		{"GET /institution/webhooks/{id}", inst, s.webhookPage},
		{"POST /institution/webhooks/{id}/rotate", inst, s.rotateWebhook},
		{"POST /institution/webhooks/{id}/delete", inst, s.deleteWebhook},
		{"POST /institution/webhooks/{id}/replay", inst, s.replayWebhook},
		{"GET /institution/{file}", inst, s.downloadCSV},

		{"GET /employer", employer, s.employerHome},
		{"POST /employer/contact", employer, s.saveCompany},
		{"GET /employer/commitments", employer, s.commitments},
		{"POST /employer/commitments/{id}/approve", employer, s.approveCommitment},
		{"POST /employer/commitments/{id}/decline", employer, s.declineCommitment},
		{"GET /employer/enrolments", employer, s.staffEnrolments},
		{"GET /employer/enrol", employer, s.enrolStaffPage},
		{"POST /employer/enrol", employer, s.enrolStaff},
		{"GET /employer/refunds", employer, s.refunds},
		{"GET /employer/refunds.csv", employer, s.downloadRefunds},
		{"GET /employer/demand", employer, s.employerDemand},
		{"POST /employer/demand", employer, s.createDemand},
		{"POST /employer/demand/{id}/withdraw", employer, s.withdrawDemand},
		{"POST /employer/offers/{id}/{answer}", employer, s.answerDemandOffer},
	}
}

// Routes registers the static files and every page, each behind its role.
func (s *Server) Routes(mux *http.ServeMux) {
	s.register(mux, s.routes())
}

func (s *Server) register(mux *http.ServeMux, pages []page) {
	static, _ := fs.Sub(staticFiles, "static")
	files := http.FileServerFS(static)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})))
	for _, p := range pages {
		if p.role == "" {
			mux.Handle(p.pattern, s.h(p.handler))
		} else {
			mux.Handle(p.pattern, s.role(p.role, p.handler))
		}
	}
	mux.Handle("/", s.h(func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
}

// state is what the middleware learnt about a request.
type state struct {
	sess *session.Session // nil: no session
	// sessionChanged: the response writes the session's cookie again (clears it when sess is nil).
	sessionChanged bool
	lang           i18n.Lang
	// langChosen is true when the browser chose a language (the cookie is set).
	langChosen bool
}

type stateKey struct{}

func stateOf(r *http.Request) *state {
	if st, ok := r.Context().Value(stateKey{}).(*state); ok {
		return st
	}
	return &state{lang: i18n.DA}
}

// startSession gives the browser a new session (a new CSRF token too), replacing any it had.
func (s *Server) startSession(r *http.Request, maxAge time.Duration) *session.Session {
	st := stateOf(r)
	st.sess, st.sessionChanged = s.Sessions.New(maxAge), true
	return st.sess
}

// endSession ends the browser's session: its cookie is cleared.
func (s *Server) endSession(r *http.Request) {
	st := stateOf(r)
	st.sess, st.sessionChanged = nil, true
}

// updateSession changes the browser's session, if it has one; the response carries it.
func (s *Server) updateSession(r *http.Request, f func(*session.Session)) {
	if st := stateOf(r); st.sess != nil {
		f(st.sess)
		st.sessionChanged = true
	}
}

// sessionWriter writes the session's cookie, when the handler changed the session, just before the
// response's header goes out.
type sessionWriter struct {
	http.ResponseWriter
	s       *Server
	st      *state
	written bool
}

func (w *sessionWriter) WriteHeader(code int) {
	w.commit()
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionWriter) Write(b []byte) (int, error) {
	w.commit()
	return w.ResponseWriter.Write(b)
}

func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *sessionWriter) commit() {
	if w.written {
		return
	}
	w.written = true
	switch {
	case !w.st.sessionChanged:
		return
	case w.st.sess == nil:
		w.s.clearSessionCookie(w.ResponseWriter)
		return
	}
	value, err := w.s.Sessions.Seal(w.st.sess)
	if err != nil {
		// The browser keeps the cookie it has; only this change is lost.
		w.s.Log.Error("session not saved", zap.Error(err))
		return
	}
	w.s.setSessionCookie(w.ResponseWriter, value, w.st.sess.Expires.Sub(w.s.Sessions.Now()))
}

func (s *Server) user(r *http.Request) *session.User {
	if st := stateOf(r); st.sess != nil {
		return st.sess.User
	}
	return nil
}

func (s *Server) token(r *http.Request) string {
	if u := s.user(r); u != nil {
		return u.Token
	}
	return ""
}

const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// Middleware sets the security headers, refuses cross-origin form posts, loads the session and the
// language, and checks the CSRF token of every POST.
func (s *Server) Middleware(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &state{lang: i18n.DA}
		if c, err := r.Cookie(langCookie); err == nil {
			if l, ok := i18n.Parse(c.Value); ok {
				st.lang, st.langChosen = l, true
			}
		}
		if c, err := r.Cookie(s.sessionCookie()); err == nil {
			if sess, ok := s.Sessions.Open(c.Value); ok {
				st.sess = sess
				if s.Sessions.Stale(sess) { // the idle clock restarts
					sess.Seen, st.sessionChanged = s.Sessions.Now(), true
				}
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		w = &sessionWriter{ResponseWriter: w, s: s, st: st}
		if st.sess != nil && st.sess.User != nil {
			w.Header().Set("Cache-Control", "no-store")
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 5<<20)
			token := r.PostFormValue("csrf")
			if st.sess == nil || token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(st.sess.CSRF)) != 1 {
				s.fail(w, r, errCSRF)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
	protected := cop.Handler(inner)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if s.Secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if strings.HasPrefix(r.URL.Path, "/healthz") || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

// handler is a page handler that returns an error instead of writing one.
type handler func(w http.ResponseWriter, r *http.Request) error

var (
	errNotFound  = errors.New("not found")
	errForbidden = errors.New("forbidden")
	errCSRF      = errors.New("csrf token missing or wrong")
)

// signIn is a page that needs a signed-in user: the browser is sent to sign in and back.
type signIn struct{ back string }

func (signIn) Error() string { return "sign in first" }

func (s *Server) h(f handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// role serves f to users with the role; others sign in first or see "not for you".
func (s *Server) role(role string, f handler) http.Handler {
	return s.h(func(w http.ResponseWriter, r *http.Request) error {
		u := s.user(r)
		if u == nil {
			return signIn{back: r.URL.RequestURI()}
		}
		if u.Role != role {
			return errForbidden
		}
		return f(w, r)
	})
}

// fail maps an error to a page: sign in, not found, not allowed, unavailable or an error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var si signIn
	status := api.StatusOf(err)
	switch {
	case errors.As(err, &si):
		back := si.back
		if r.Method != http.MethodGet {
			back = ""
		}
		http.Redirect(w, r, "/login?back="+url.QueryEscape(back), http.StatusSeeOther)
		return
	case status == http.StatusUnauthorized:
		// The token expired or was refused: sign in again.
		s.endSession(r)
		back := ""
		if r.Method == http.MethodGet {
			back = r.URL.RequestURI()
		}
		http.Redirect(w, r, "/login?back="+url.QueryEscape(back), http.StatusSeeOther)
		return
	}
	code, key := http.StatusInternalServerError, "error.internal"
	switch {
	case errors.Is(err, errNotFound) || status == http.StatusNotFound:
		code, key = http.StatusNotFound, "error.not_found"
	case errors.Is(err, errForbidden) || status == http.StatusForbidden:
		code, key = http.StatusForbidden, "error.forbidden"
	case status == http.StatusGone:
		code, key = http.StatusGone, "error.gone"
	case errors.Is(err, errCSRF):
		code, key = http.StatusForbidden, "error.csrf"
	case errors.Is(err, api.ErrUnavailable) || status >= 500:
		code, key = http.StatusServiceUnavailable, "error.unavailable"
	}
	if code >= 500 {
		// The route pattern only: paths and forms can hold personal data.
		s.Log.Error("page failed", zap.String("method", r.Method), zap.String("route", r.Pattern), zap.Int("status", code), zap.Error(err))
	}
	l := stateOf(r).lang
	_ = s.render(w, r, code, "error", Page{Title: l.T(key + ".title"), Data: map[string]string{"Key": key}})
}

// Page is what every template gets.
type Page struct {
	L     i18n.Lang
	Title string
	User  *session.User
	CSRF  string
	// Path is the current page, for the language link to come back to.
	Path  string
	Nav   string
	Flash *FlashView
	Data  any
	Form  *Form
}

// FlashView is a translated one-time message.
type FlashView struct {
	Kind, Text string
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p Page) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	st := stateOf(r)
	p.L = st.lang
	p.Path = r.URL.RequestURI()
	if r.Method != http.MethodGet {
		p.Path = r.URL.Path
	}
	if st.sess != nil {
		p.User, p.CSRF = st.sess.User, st.sess.CSRF
		if f := st.sess.TakeFlash(); f != nil {
			st.sessionChanged = true
			p.Flash = &FlashView{Kind: f.Kind, Text: p.L.T(f.Key, f.Args...)}
		}
	}
	if p.Form == nil {
		p.Form = &Form{}
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write([]byte(buf.String()))
	return err
}

// flash shows a message on the next page.
func (s *Server) flash(r *http.Request, kind, key string, args ...any) {
	s.updateSession(r, func(sess *session.Session) { sess.Flash = &session.Flash{Kind: kind, Key: key, Args: args} })
}

func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// safeBack is a local path to return to; anything else is "".
func safeBack(back string) string {
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.HasPrefix(back, "/\\") {
		return ""
	}
	u, err := url.Parse(back)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	return back
}

// home is where a role starts after signing in.
func home(role string) string {
	switch role {
	case auth.RoleCitizen:
		return "/me/enrolments"
	case auth.RoleCaseworker:
		return "/caseworker/reviews"
	case auth.RoleInstitution:
		return "/institution"
	case auth.RoleEmployer:
		return "/employer"
	}
	return "/"
}

type sessionT = session.Session
