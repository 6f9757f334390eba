package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, or LIVSLANG_CHROMIUM.
func chromiumPath() string {
	for _, p := range []string{os.Getenv("LIVSLANG_CHROMIUM"), "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

var axeOnce struct {
	sync.Once
	src string
	err error
}

// axeSource returns axe-core's script, installed once with npm into the user's cache folder.
func axeSource() (string, error) {
	axeOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "livslang", "axe-core-4")
		file := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
		if _, err := os.Stat(file); err != nil {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				axeOnce.err = err
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, "npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--silent", "axe-core@4").CombinedOutput()
			if err != nil {
				axeOnce.err = fmt.Errorf("npm install axe-core: %v: %s", err, out)
				return
			}
		}
		b, err := os.ReadFile(file)
		axeOnce.src, axeOnce.err = string(b), err
	})
	return axeOnce.src, axeOnce.err
}

// shots is the folder of this run's screenshots; a "latest" link beside it points at it.
func shotsDir(t *testing.T) string {
	root := filepath.Join(os.TempDir(), "livslang-portal-screenshots")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(root, time.Now().Format("20060102-150405-"))
	if err != nil {
		t.Fatal(err)
	}
	latest := filepath.Join(root, "latest")
	_ = os.Remove(latest)
	_ = os.Symlink(dir, latest)
	t.Logf("screenshots: %s (also %s)", dir, latest)
	return dir
}

// tab is one journey's browser tab with its own cookies.
type tab struct {
	t      *testing.T
	ctx    context.Context
	base   string
	name   string
	shots  string
	axe    string
	n      int
	report *syncBuilder
}

func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
}

// navigate runs actions that load a page and waits for it.
func (b *tab) navigate(what string, actions ...chromedp.Action[chromedp.Void]) int {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, actions...)
	if err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
	body := b.text("body")
	if m := missingKey.FindString(body); m != "" {
		b.t.Fatalf("%s: %s shows a missing message key %s", b.name, b.location(), m)
	}
	return int(resp.Status)
}

func (b *tab) open(path string) int {
	b.t.Helper()
	return b.navigate("open "+path, chromedp.Navigate(b.base+path))
}

// follow clicks a link or a submit button and waits for the next page.
func (b *tab) follow(sel string) int {
	b.t.Helper()
	b.present(sel)
	return b.navigate("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// present fails, showing the page, unless the page has an element sel within 20 s (a click on a
// missing element would otherwise wait for the journey's whole deadline and say nothing).
func (b *tab) present(sel string) {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	js := fmt.Sprintf(`document.querySelector(%s) !== null ? "yes" : "no"`, q)
	for deadline := time.Now().Add(20 * time.Second); b.eval(js) != "yes"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: %s has no %s:\n%s", b.name, b.location(), sel, b.text("main"))
		}
	}
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("%s: text of %s: %v", b.name, sel, err)
	}
	return s
}

func (b *tab) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, js, err)
	}
	return s
}

func (b *tab) location() string { return b.eval(`location.pathname + location.search`) }

func (b *tab) set(sel, value string) {
	b.t.Helper()
	b.do("fill "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

func (b *tab) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// sees fails unless the main content holds every text.
func (b *tab) sees(texts ...string) {
	b.t.Helper()
	main := b.text("main")
	for _, want := range texts {
		if !strings.Contains(main, want) {
			b.t.Fatalf("%s: %s does not show %q:\n%s", b.name, b.location(), want, main)
		}
	}
}

// lang checks the page's language.
func (b *tab) lang(want string) {
	b.t.Helper()
	if got := b.eval(`document.documentElement.lang`); got != want {
		b.t.Fatalf("%s: %s is in %q, want %q", b.name, b.location(), got, want)
	}
}

type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

const axeRun = `(async () => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, resultTypes: ["violations"]});
  return JSON.stringify({passes: r.passes.length, violations: r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " " + n.html.slice(0, 160))}))});
})()`

// audit checks the page with axe-core (no serious or critical violations), checks that the styles
// and the script loaded under the CSP and that nothing scrolls sideways at 360 px, and saves
// screenshots at 360 and 1280 px wide.
func (b *tab) audit(page string) {
	b.t.Helper()
	b.n++
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](b.axe+";true")); err != nil {
		b.t.Fatalf("%s: inject axe-core: %v", b.name, err)
	}
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: axe on %s: %v", b.name, page, err)
	}
	var res struct {
		Passes     int         `json:"passes"`
		Violations []violation `json:"violations"`
	}
	if err := json.Unmarshal([]byte(raw), &res); err != nil || res.Passes == 0 {
		b.t.Fatalf("%s: axe on %s answered %q: %v", b.name, page, raw, err)
	}
	var minor []string
	for _, v := range res.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("%s: %s (%s): axe %s %s: %s\n  %s", b.name, page, b.location(), v.Impact, v.ID, v.Help, strings.Join(v.Nodes, "\n  "))
		} else {
			minor = append(minor, v.Impact+" "+v.ID)
		}
	}
	if strings.HasPrefix(b.location(), "/") && strings.Contains(b.eval(`location.origin`), strings.TrimPrefix(b.base, "http://")) {
		if b.eval(`document.documentElement.classList.contains("js") ? "yes" : "no"`) != "yes" {
			b.t.Errorf("%s: %s: portal.js did not run (CSP?)", b.name, page)
		}
		if !strings.Contains(b.eval(`getComputedStyle(document.body).fontFamily`), "system-ui") {
			b.t.Errorf("%s: %s: portal.css is not applied (CSP?)", b.name, page)
		}
	}
	for _, width := range []int64{360, 1280} {
		b.do("viewport", chromedp.EmulateViewport(width, 800))
		if width == 360 {
			if wide := b.eval(`String(document.documentElement.scrollWidth > document.documentElement.clientWidth + 1)`); wide == "true" {
				b.t.Errorf("%s: %s scrolls sideways at 360 px (%s px wide)", b.name, page, b.eval(`String(document.documentElement.scrollWidth)`))
			}
		}
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("%s: screenshot: %v", b.name, err)
		}
		file := filepath.Join(b.shots, fmt.Sprintf("%s-%02d-%s-%d.png", b.name, b.n, page, width))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	fmt.Fprintf(b.report, "  %-12s %-20s axe: %d rules pass, no serious or critical violations%s\n", b.name, page, res.Passes, strings.Join(append([]string{""}, minor...), "; minor: "))
}

// signIn signs in through the header link and the identity provider's page.
func (b *tab) signIn(key string, auditIdP bool) {
	b.t.Helper()
	b.follow("a.sign-in")
	b.do("wait for the sign-in page", chromedp.WaitVisible(chromedp.CSS("#user-"+key)))
	if auditIdP {
		b.audit("identity-provider")
	}
	b.click("#user-" + key)
	b.follow("button[type=submit]")
	b.sees(map[string]string{"da": "Du er logget ind.", "en": "You are signed in."}[b.lang0()])
}

func (b *tab) lang0() string { return b.eval(`document.documentElement.lang`) }

// texts in both languages.
type words map[string]string

func TestBrowserJourneys(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath()
	if chromium == "" {
		t.Skip("SKIP browser tests: /usr/bin/chromium is not installed (make test installs Debian's chromium when run as root; or apt-get install chromium)")
	}
	axe, err := axeSource()
	if err != nil {
		t.Skipf("SKIP browser tests: axe-core could not be installed with npm: %v", err)
	}
	shots := shotsDir(t)
	s := startStack(t)

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(chromium),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Headless, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 800))
	defer cancel()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	report := &syncBuilder{}
	newTab := func(t *testing.T, name string) *tab {
		ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute) // a safety net: a journey takes 5-15 s on an idle machine
		t.Cleanup(cancelTimeout)
		return &tab{t: t, ctx: ctx, base: s.base, name: name, shots: shots, axe: axe, report: report}
	}
	// The three roles' journeys run side by side in their own tabs, one language after the other (the
	// two caseworker journeys would otherwise see each other's cases in the review queue).
	for _, lang := range []string{"da", "en"} {
		t.Run(lang, func(t *testing.T) {
			t.Run("citizen", func(t *testing.T) { t.Parallel(); citizenJourney(t, s, newTab(t, "citizen-"+lang), lang) })
			t.Run("caseworker", func(t *testing.T) { t.Parallel(); caseworkerJourney(t, s, newTab(t, "caseworker-"+lang), lang) })
			t.Run("institution", func(t *testing.T) { t.Parallel(); institutionJourney(t, s, newTab(t, "institution-"+lang), lang) })
			t.Run("employer", func(t *testing.T) { t.Parallel(); employerJourney(t, s, newTab(t, "employer-"+lang), lang) })
		})
	}
	t.Logf("pages checked:\n%sscreenshots: %s", report, shots)
}

// start opens the front page in the journey's language, switching with the link in the header.
func start(b *tab, lang string) {
	b.open("/")
	b.lang("da")
	if lang == "en" {
		b.follow("a.lang-switch")
		b.lang("en")
	}
}

func citizenJourney(t *testing.T, s *stack, b *tab, lang string) {
	who := map[string]string{"da": "citizen-mette", "en": "citizen-james"}[lang]
	w := func(m words) string { return m[lang] }
	start(b, lang)
	b.audit("home")

	// Search → course.
	truck := s.course(t, "gaffeltruck")
	b.set("#q", "gaffeltruck")
	b.follow(".search-box button[type=submit]")
	b.sees(w(words{"da": truck.Title, "en": truck.TitleEN}))
	b.audit("search")
	b.follow(".course-card h3 a")
	b.sees(w(words{"da": "1.040 kr.", "en": "DKK 1,040"}))
	b.audit("course")
	course := b.location()

	// Sign in from the course page and come back to it, with the eligibility pre-check.
	b.follow(".panel a.button")
	b.do("wait for the sign-in page", chromedp.WaitVisible(chromedp.CSS("#user-"+who)))
	if lang == "da" {
		b.audit("identity-provider")
	}
	b.click("#user-" + who)
	b.follow("button[type=submit]")
	if b.location() != course {
		t.Fatalf("after sign-in at %s, want %s", b.location(), course)
	}
	b.sees(w(words{"da": "VEU-godtgørelse", "en": "VEU allowance"}), w(words{"da": "Hvorfor? Se reglerne", "en": "Why? See the rules"}))
	b.audit("course-signed-in")

	// Profile: an error linked to its field, then saved.
	b.follow(`nav a[href="/me/profile"]`)
	b.audit("profile")
	b.set("#email", "not-an-address")
	b.follow(`form[action="/me/profile"] button[type=submit]`)
	b.sees(w(words{"da": "Der er noget, du skal rette", "en": "There is a problem"}))
	if got := b.eval(`document.activeElement.id`); got != "error-summary" {
		t.Errorf("focus is on %q after an error, want the error summary", got)
	}
	b.audit("profile-error")
	b.set("#email", user(who).Email)
	b.follow(`form[action="/me/profile"] button[type=submit]`)
	b.sees(w(words{"da": "Din profil er gemt.", "en": "Your profile has been saved."}))

	// Enrol with VEU; the timeline shows it confirmed.
	b.open(course)
	b.click("#funding_preference-veu")
	b.follow(`form[action="/enrolments"] button[type=submit]`)
	if !strings.HasPrefix(b.location(), "/me/enrolments") {
		t.Fatalf("after enrolling at %s", b.location())
	}
	// VEU for an employee waits for the employer's answer (the profile names a company); without an
	// employer part the enrolment is confirmed.
	confirmed, waiting := w(words{"da": "Bekræftet", "en": "Confirmed"}), w(words{"da": "Afventer din arbejdsgiver", "en": "Waiting for your employer"})
	deadline := time.Now().Add(30 * time.Second)
	for main := b.text("main"); !strings.Contains(main, confirmed) && !strings.Contains(main, waiting); main = b.text("main") {
		if time.Now().After(deadline) {
			t.Fatalf("the enrolment is neither confirmed nor waiting for the employer:\n%s", main)
		}
		time.Sleep(200 * time.Millisecond)
		b.open("/me/enrolments")
	}
	b.sees(w(words{"da": "Forløb", "en": "Timeline"}))
	if strings.Contains(b.text("main"), confirmed) {
		b.sees(w(words{"da": "af støtteafgørelsen", "en": "by the funding decision"}))
	}
	b.audit("enrolments")

	// The decision, rule by rule.
	b.follow(`a[href^="/me/decisions/"]`)
	b.sees(w(words{"da": "Lovgrundlag", "en": "Legal basis"}))
	b.audit("decision")

	b.follow(`nav a[href="/me/notifications"]`)
	b.audit("notifications")
	b.follow(`a[href="/me/preferences"]`)
	b.sees(w(words{"da": "Sådan får du beskeder", "en": "How you get messages"}))
	b.audit("preferences")
	b.click("#ch_enrolment_offered-sms")
	b.follow(`form[action="/me/preferences"] button[type=submit]`)
	b.sees(w(words{"da": "Dine valg for beskeder er gemt.", "en": "Your message choices have been saved."}))

	// Mine data: a copy of the data, and who saw it.
	b.follow(`nav a[href="/me/data"]`)
	b.sees(w(words{"da": "Hvem har set eller ændret dine oplysninger", "en": "Who read or changed your details"}))
	b.audit("mydata")
	b.follow(`form[action="/me/data"] button[type=submit]`)
	b.sees(w(words{"da": "Vi samler dine data.", "en": "We are gathering your data."}))
	b.audit("mydata-requested")

	// Cancel.
	b.follow(`nav a[href="/me/enrolments"]`)
	b.follow(`a[href$="/cancel"]`)
	b.audit("cancel")
	b.set("#reason", w(words{"da": "Ny vagtplan", "en": "New shifts"}))
	b.follow(`form[action$="/cancel"] button[type=submit]`)
	b.sees(w(words{"da": "Din tilmelding er afmeldt.", "en": "Your enrolment has been cancelled."}), w(words{"da": "Afmeldt", "en": "Cancelled"}))
	if list := s.enrolments(t, who); len(list) != 1 || list[0].Status != "cancelled" {
		t.Fatalf("enrolments after cancelling: %+v", list)
	}

	// A referral from the municipality: under Referrals with its reason and funding; Danish accepts
	// (the enrolment is then on My enrolments), English declines with a reason.
	excel := s.course(t, "regneark")
	ref := s.refer(t, who, excel.ID, "municipality", 10)
	s.waitHold(t, who, ref.ID)
	b.follow(`nav a[href="/me/referrals"]`)
	b.sees(w(words{"da": "Mine henvisninger", "en": "My referrals"}), w(words{"da": "Afventer svar", "en": "Awaiting answer"}))
	b.audit("referrals")
	b.follow(fmt.Sprintf(`a[href="/me/referrals/%s"]`, ref.ID))
	b.sees(w(words{"da": "Henvisning fra kommunen", "en": "Referral from the municipality"}), "Kurset styrker dine muligheder for job.",
		w(words{"da": "Kommunen betaler", "en": "The municipality pays"}))
	b.audit("referral")
	if lang == "da" {
		b.follow(`form[action$="/accept"] button[type=submit]`)
		b.sees("Du har sagt ja til henvisningen.", "Henvist af kommunen.", excel.Title)
		b.audit("enrolments-referral")
	} else {
		b.set("#decline-reason", "I start a new job in March.")
		b.follow(`form[action$="/decline"] button[type=submit]`)
		b.sees("You have declined the referral.", "Declined", "I start a new job in March.")
	}

	// Funded for me, near a place: only runs where a scheme other than paying yourself is eligible.
	b.open("/courses?category=amu")
	b.set("#place", "Lillelundvej")
	b.click("#funded")
	b.follow(`form.filters button[type=submit]`)
	b.sees(w(words{"da": "hold med støtte til dig", "en": "courses with support for you"}), w(words{"da": "Støtte til dig", "en": "Support for you"}))
	if !strings.Contains(b.location(), "funded=1") || !strings.Contains(b.location(), "place=Lillelundvej") {
		t.Fatalf("funded search at %s", b.location())
	}
	b.audit("search-funded")
	b.follow(".header-tools button[type=submit]")
	b.sees(w(words{"da": "Du er logget ud.", "en": "You are signed out."}))
}

func caseworkerJourney(t *testing.T, s *stack, b *tab, lang string) {
	w := func(m words) string { return m[lang] }
	// A citizen asks the municipality to pay: a caseworker must decide.
	citizen := map[string]string{"da": "citizen-lars", "en": "citizen-sofie"}[lang]
	c := s.course(t, map[string]string{"da": "arbejdsmiljø", "en": "kranfører"}[lang])
	e := s.enrol(t, citizen, c.ID, "municipality")
	s.waitEnrolment(t, citizen, e.ID, "needs review", func(e enrolment) bool { return e.Funding.Outcome == "review_required" })

	start(b, lang)
	b.signIn("caseworker-herning", false)
	if b.location() != "/caseworker/reviews" {
		t.Fatalf("caseworker starts at %s", b.location())
	}
	b.sees(w(words{"da": c.Title, "en": c.TitleEN}))
	b.audit("reviews")
	// Without a decision and reason the form says what is missing.
	b.follow("article.review button[type=submit]")
	b.sees(w(words{"da": "Der er noget, du skal rette", "en": "There is a problem"}))
	b.audit("reviews-error")
	b.click(`article.review input[value="approved"]`)
	b.set("article.review textarea[name=reason]", w(words{"da": "Kurset passer til borgerens jobplan.", "en": "The course fits the client's job plan."}))
	b.follow("article.review button[type=submit]")
	b.sees(w(words{"da": "Sagen er godkendt.", "en": "The case has been approved."}))
	s.waitEnrolment(t, citizen, e.ID, "confirmed after approval", func(e enrolment) bool { return e.Status == "confirmed" })

	b.follow(`nav a[href="/caseworker/budgets"]`)
	b.sees(w(words{"da": "Herning Kommune, opkvalificering", "en": "Herning Kommune, opkvalificering"}))
	b.audit("budgets")

	b.follow(`nav a[href="/caseworker/eligibility"]`)
	b.audit("eligibility")
	b.set("#cpr", user(citizen).CPR)
	b.do("choose a course", chromedp.SetValue(chromedp.CSS("#course_id"), c.ID))
	b.follow(`form[action="/caseworker/eligibility"] button[type=submit]`)
	b.sees(user(citizen).CPR[:6] + "-XXXX")
	if strings.Contains(b.text("body"), user(citizen).CPR) || strings.Contains(b.location(), user(citizen).CPR) {
		t.Fatal("the whole CPR number is on the page or in the URL")
	}
	b.audit("eligibility-result")

	// Refer the client to a run: first what is missing, then made; the case page; withdrawn.
	excel := s.course(t, "regneark")
	b.follow(`nav a[href="/caseworker/referrals"]`)
	b.audit("referrals")
	b.follow(`a[href="/caseworker/referrals/new"]`)
	b.audit("refer")
	b.follow(`form[action="/caseworker/referrals"] button[type=submit]`)
	b.sees(w(words{"da": "Der er noget, du skal rette", "en": "There is a problem"}))
	b.audit("refer-error")
	fillReferral := func(reason string) {
		b.do("choose a course", chromedp.SetValue(chromedp.CSS("#course_id"), excel.ID))
		b.click("#funding-municipality")
		b.set("#reason", reason)
		b.set("#valid_until", day(10))
	}
	b.set("#cpr", user(citizen).CPR)
	fillReferral(w(words{"da": "Excel giver dig flere kontorjob at søge.", "en": "Excel opens more office jobs to you."}))
	b.follow(`form[action="/caseworker/referrals"] button[type=submit]`)
	b.sees(user(citizen).CPR[:6]+"-XXXX", w(words{"da": "Afventer svar", "en": "Awaiting answer"}))
	if strings.Contains(b.text("body"), user(citizen).CPR) || strings.Contains(b.location(), user(citizen).CPR) {
		t.Fatal("the whole CPR number is on the page or in the URL")
	}
	b.audit("referral")
	b.set("#reason", w(words{"da": "Borgeren er startet i job.", "en": "The client has started a job."}))
	b.follow(`form[action$="/withdraw"] button[type=submit]`)
	b.sees(w(words{"da": "Henvisningen er trukket tilbage.", "en": "The referral has been withdrawn."}))

	// Bulk: one client with a profile is referred, one without is refused, each on a line.
	other := map[string]string{"da": "citizen-ole", "en": "citizen-eva"}[lang]
	b.follow(`nav a[href="/caseworker/referrals"]`)
	b.follow(`a[href="/caseworker/referrals/bulk"]`)
	b.audit("refer-bulk")
	b.set("#cprs", user(other).CPR+"\n"+user("citizen-anna").CPR+"\n")
	fillReferral(w(words{"da": "Kurset passer til jeres jobplaner.", "en": "The course fits your job plans."}))
	b.follow(`form[method=post][action="/caseworker/referrals/bulk"] button[type=submit]`)
	b.sees(w(words{"da": "1 henvist, 1 afvist", "en": "1 referred, 1 refused"}), user(other).CPR[:6]+"-XXXX", "010190-XXXX")
	if body := b.text("body"); strings.Contains(body, user(other).CPR) || strings.Contains(body, user("citizen-anna").CPR) {
		t.Fatal("a whole CPR number is on the bulk result")
	}
	b.audit("refer-bulk-result")
}

func institutionJourney(t *testing.T, s *stack, b *tab, lang string) {
	w := func(m words) string { return m[lang] }
	citizen := map[string]string{"da": "citizen-ole", "en": "citizen-eva"}[lang]
	c := s.course(t, map[string]string{"da": "førstehjælp", "en": "hygiejne"}[lang])
	e := s.enrol(t, citizen, c.ID, "self")
	s.waitEnrolment(t, citizen, e.ID, "confirmed", func(e enrolment) bool { return e.Status == "confirmed" })

	start(b, lang)
	b.signIn("institution-herningsholm", false)
	if b.location() != "/institution" {
		t.Fatalf("institution starts at %s", b.location())
	}
	b.audit("runs")

	// A webhook first, so the journey's enrolment events are delivered to it. The secret is shown once.
	rc := newReceiver(t)
	b.follow(`nav a[href="/institution/webhooks"]`)
	b.audit("webhooks")
	b.set("#url", rc.URL+"/hook-"+lang)
	b.follow(`form[action="/institution/webhooks"] button[type=submit]`)
	b.sees(w(words{"da": "Hemmeligheden vises kun denne ene gang.", "en": "The secret is shown this once only."}), "whsec_")
	if b.eval(`document.querySelector(".copy-button").hidden ? "hidden" : "shown"`) != "shown" {
		t.Error("the copy button is not shown (portal.js)")
	}
	b.audit("webhook-secret")
	hook := b.location()
	b.open(hook)
	if strings.Contains(b.text("main"), "whsec_") {
		t.Fatal("the secret is shown twice")
	}
	b.follow(`nav a[href="/institution"]`)

	// The run: more seats, then its enrolment.
	b.follow(fmt.Sprintf(`a[href="/institution/runs/%s"]`, c.ID))
	b.audit("run")
	b.set("#seats-seats_total", fmt.Sprint(c.SeatsTotal+2))
	b.follow(`form[action$="/seats"] button[type=submit]`)
	b.sees(w(words{"da": fmt.Sprintf("Holdet har nu %d pladser.", c.SeatsTotal+2), "en": fmt.Sprintf("The course now has %d seats.", c.SeatsTotal+2)}))
	b.follow(fmt.Sprintf(`a[href="/institution/enrolments/%s"]`, e.ID))
	b.audit("enrolment")
	b.follow(`form[action$="/accept"] button[type=submit]`)
	b.sees(w(words{"da": "Tilmeldingen er godkendt.", "en": "The enrolment has been accepted."}))
	b.set("#attendance-hours", "6")
	b.follow(`form[action$="/attendance"] button[type=submit]`)
	b.sees(w(words{"da": "Fremmødet er registreret.", "en": "The attendance has been recorded."}), w(words{"da": "I gang", "en": "Started"}))
	b.audit("enrolment-started")
	b.click("#outcome-outcome-completed")
	b.follow(`form[action$="/outcome"] button[type=submit]`)
	b.sees(w(words{"da": "Resultatet er registreret.", "en": "The outcome has been recorded."}), w(words{"da": "Gennemført", "en": "Completed"}))

	// A new run: first the errors, then published; then cancelled.
	b.follow(`nav a[href="/institution"]`)
	b.follow(`a[href="/institution/runs/new"]`)
	b.audit("run-new")
	b.follow(`form[action="/institution/runs"] button[type=submit]`)
	b.sees(w(words{"da": "Der er noget, du skal rette", "en": "There is a problem"}))
	b.audit("run-new-error")
	startsOn := time.Now().AddDate(0, 2, 0)
	code := "PORTAL-" + strings.ToUpper(lang)
	b.set("#code", code)
	b.set("#title", "Truckcertifikat, genopfriskning "+lang)
	b.set("#title_en", "Forklift refresher "+lang)
	b.do("category", chromedp.SetValue(chromedp.CSS("#category"), "amu"))
	b.click("#schemes-veu")
	b.set("#starts_on", startsOn.Format(time.DateOnly))
	b.set("#ends_on", startsOn.AddDate(0, 0, 4).Format(time.DateOnly))
	b.set("#hours_per_week", w(words{"da": "37,5", "en": "37.5"}))
	b.set("#location", "Lillelundvej 13, Herning")
	b.set("#seats_total", "12")
	b.set("#fee_dkk", "1.040")
	b.follow(`form[action="/institution/runs"] button[type=submit]`)
	b.sees(w(words{"da": "Holdet er oprettet", "en": "The course has been published"}), w(words{"da": "1.040 kr.", "en": "DKK 1,040"}))
	b.set("#cancel-reason", w(words{"da": "For få tilmeldte", "en": "Too few participants"}))
	b.follow(`form[action$="/cancel"] button[type=submit]`)
	b.sees(w(words{"da": "Holdet er aflyst.", "en": "The course has been cancelled."}))

	// CSV import, pasted.
	b.follow(`nav a[href="/institution/import"]`)
	b.audit("import")
	csv := fmt.Sprintf("code;title;category;starts_on;ends_on;hours_per_week;fee_dkk;seats_total;schemes\nIMPORT-%s;Lagerstyring, import %s;amu;%s;%s;37;860;14;self|veu\n",
		strings.ToUpper(lang), lang, startsOn.Format(time.DateOnly), startsOn.AddDate(0, 0, 2).Format(time.DateOnly))
	b.set("#csv", csv)
	b.follow(`form[action="/institution/import"] button[type=submit]`)
	b.sees(w(words{"da": "1 hold er importeret (1 nye, 0 opdaterede).", "en": "1 courses imported (1 new, 0 updated)."}))

	b.follow(`nav a[href="/institution/enrolments"]`)
	b.audit("enrolments")

	b.follow(`nav a[href="/institution/demand"]`)
	b.sees(w(words{"da": "Efterspørgsel i alt", "en": "Total demand"}), c.Code)
	b.audit("demand")
	b.follow(`a[href="/institution/demand/companies"]`)
	b.sees(w(words{"da": "Efterspørgsel fra virksomheder", "en": "Demand from companies"}))
	b.audit("company-demand")

	// The webhook's delivery log: the accept, attendance and outcome were delivered.
	b.open(hook)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(b.text("main"), "HTTP 200") {
		if time.Now().After(deadline) {
			t.Fatalf("no delivery logged:\n%s", b.text("main"))
		}
		time.Sleep(200 * time.Millisecond)
		b.open(hook)
	}
	b.sees(w(words{"da": "Leveret", "en": "Delivered"}), w(words{"da": "Gennemført", "en": "Completed"}))
	b.audit("webhook-deliveries")

	// A run whose first minutes were drawn by ballot links to the published ballot.
	run := s.ballotRun(t, "BALLOT-"+strings.ToUpper(lang))
	b.open("/institution/runs/" + run.ID)
	b.follow(`a[href$="/ballot"]`)
	b.sees(w(words{"da": "Frø (seed)", "en": "Seed"}))
	b.audit("ballot")
	if resp := testGet(t, s.base+"/institution/courses.csv"); resp != http.StatusSeeOther && resp != http.StatusOK {
		t.Fatalf("courses.csv without a session: %d", resp)
	}
}

// employerJourney: an employee's enrolment waits for the company (the employee's page says so), the
// company keeps its contact and answers the request, first with an error.
func employerJourney(t *testing.T, s *stack, b *tab, lang string) {
	w := func(m words) string { return m[lang] }
	employee := map[string]string{"da": "citizen-jonas", "en": "citizen-ana"}[lang]
	company := map[string]string{"da": "employer-herning-staal", "en": "employer-vestjysk-byg"}[lang]
	cvr := map[string]string{"da": "41657006", "en": "20202025"}[lang]
	c := s.course(t, map[string]string{"da": "kranfører", "en": "lagerstyring"}[lang])
	s.employee(t, employee, cvr)
	e := s.waitEmployer(t, employee, c.ID)

	start(b, lang)
	b.signIn(employee, false)
	b.open("/me/enrolments")
	b.present("#enrolment-" + e.ID)
	b.sees(w(words{"da": "Afventer din arbejdsgiver", "en": "Waiting for your employer"}))
	b.audit("enrolment-employer")
	b.follow(`form[action="/logout"] button[type=submit]`)

	b.signIn(company, false) // from the signed-out page, which it comes back to
	b.follow(`nav a[href="/employer"]`)
	b.sees(cvr)
	b.audit("employer")
	b.set("#email", "hr-"+lang+"@example.dk")
	b.click("#language-" + lang)
	b.follow(`form[action="/employer/contact"] button[type=submit]`)
	b.sees(w(words{"da": "Virksomhedens kontaktoplysninger er gemt.", "en": "The company's contact details have been saved."}))

	b.follow(`nav a[href="/employer/commitments"]`)
	b.sees(user(employee).Label, w(words{"da": "Venter på svar", "en": "Waiting for an answer"}))
	b.audit("commitments")
	b.follow(`form[action$="/approve"] button[type=submit]`)
	b.sees(w(words{"da": "Der er noget, du skal rette", "en": "There is a problem"}))
	b.audit("commitments-error")
	b.eval(`document.querySelectorAll('form[action$="/approve"] input[type=radio][value=yes]').forEach(r => r.click()); "ok"`)
	b.follow(`form[action$="/approve"] button[type=submit]`)
	b.sees(w(words{"da": "I har godkendt anmodningen", "en": "You have approved the request"}))
	b.audit("commitments-answered")

	// Enrol staff: the run from the search, the errors, then two employees (a row and a line).
	word := w(words{"da": "liftkursus", "en": "digitale"})
	run := s.course(t, word)
	b.follow(`nav a[href="/employer/enrol"]`)
	b.audit("enrol-search")
	b.set("#q", word)
	b.follow(`form[action="/employer/enrol"][method=get] button[type=submit]`)
	b.follow(fmt.Sprintf(`a[href="/employer/enrol?course_id=%s"]`, run.ID))
	b.sees(w(words{"da": "Afbestillingsvilkår", "en": "Cancellation terms"}))
	b.audit("enrol-staff")
	b.follow(`form[action="/employer/enrol"][method=post] button[type=submit]`)
	b.sees(w(words{"da": "Der er noget, du skal rette", "en": "There is a problem"}))
	b.audit("enrol-staff-error")
	employee2 := map[string]string{"da": "citizen-kim", "en": "citizen-mads"}[lang]
	b.click("#pays_fee-yes")
	b.click("#salary_continues-yes")
	b.set("#cpr_0", user(employee2).CPR)
	b.set("#name_0", user(employee2).Label)
	b.set("#email_0", user(employee2).Key+"@example.dk")
	b.set("#more", w(words{"da": "0101851231;Ny Medarbejder;ny-da@example.dk", "en": "0202861232;New Employee;new-en@example.dk"}))
	b.click("#accept_terms")
	b.follow(`form[action="/employer/enrol"][method=post] button[type=submit]`)
	b.sees(w(words{"da": "Resultat af tilmeldingen", "en": "Result of the enrolment"}), user(employee2).Label)
	if strings.Contains(b.text("main"), user(employee2).CPR) {
		t.Fatal("the results show a whole CPR number")
	}
	b.audit("enrol-result")
	b.follow(`nav a[href="/employer/enrolments"]`)
	b.sees(user(employee2).Label)
	b.audit("staff-enrolments")

	b.follow(`nav a[href="/employer/refunds"]`)
	b.sees(w(words{"da": "Refusioner", "en": "Refunds"}))
	b.audit("refunds")

	// Demand: the errors, then the demand; a run that matches it offers seats, which are accepted.
	code := "BROWSER-DEMAND-" + strings.ToUpper(lang)
	b.follow(`nav a[href="/employer/demand"]`)
	b.audit("demand")
	b.follow(`form[action="/employer/demand"] button[type=submit]`)
	b.sees(w(words{"da": "Der er noget, du skal rette", "en": "There is a problem"}))
	b.audit("demand-error")
	b.set("#demand-course_code", code)
	b.set("#demand-employees", "3")
	b.set("#demand-earliest", time.Now().AddDate(0, 1, 0).Format(time.DateOnly))
	b.set("#demand-latest", time.Now().AddDate(0, 3, 0).Format(time.DateOnly))
	b.set("#demand-place", "Herning")
	b.click("#demand-contact_ok-yes")
	b.follow(`form[action="/employer/demand"] button[type=submit]`)
	b.sees(w(words{"da": "Jeres behov er meldt ind.", "en": "Your need has been sent."}), code)
	s.publish(t, code, time.Now().AddDate(0, 2, 0))
	deadline := time.Now().Add(20 * time.Second)
	for b.open("/employer/demand"); !strings.Contains(b.eval(`document.body.innerHTML`), `/accept"`); b.open("/employer/demand") {
		if time.Now().After(deadline) {
			t.Fatalf("no offer from demand:\n%s", b.text("main"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.audit("demand-offer")
	b.follow(`form[action$="/accept"] button[type=submit]`)
	b.sees(w(words{"da": "I har taget imod pladserne", "en": "You have accepted the seats"}))
	b.audit("demand-accepted")
}

// testGet answers the status of an anonymous GET without following redirects.
func testGet(t *testing.T, url string) int {
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// syncBuilder is a strings.Builder for journeys that may run in parallel.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
