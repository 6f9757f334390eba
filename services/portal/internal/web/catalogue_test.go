package web

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"livslang.dk/services/portal/internal/i18n"
)

// Every message key the templates and handlers name, and every key built from a known value, is in
// both catalogues.
func TestEveryKeyIsInBothCatalogues(t *testing.T) {
	t.Parallel()
	keyPattern := regexp.MustCompile(`"([a-z_0-9]+\.[a-z_0-9.]+)"`)
	namespaces := map[string]bool{}
	for _, k := range i18n.Keys(i18n.DA) {
		namespaces[strings.SplitN(k, ".", 2)[0]] = true
	}
	var keys []string
	collect := func(src string) {
		for _, m := range keyPattern.FindAllStringSubmatch(src, -1) {
			k := m[1]
			if namespaces[strings.SplitN(k, ".", 2)[0]] && !strings.HasSuffix(k, ".") && !strings.HasSuffix(k, ".csv") && !strings.HasSuffix(k, ".html") {
				keys = append(keys, k)
			}
		}
	}
	_ = fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := templateFiles.ReadFile(path)
			collect(string(b))
		}
		return nil
	})
	goFiles, _ := fs.Glob(os.DirFS("."), "*.go")
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		collect(string(b))
	}
	add := func(prefix string, values ...string) {
		for _, v := range values {
			keys = append(keys, prefix+v)
		}
	}
	statuses := []string{"pending", "waitlisted", "offered", "confirmed", "rejected", "cancelled", "started", "completed", "withdrawn"}
	add("status.", statuses...)
	add("next.", "pending", "offered", "confirmed", "rejected", "cancelled", "started", "completed", "withdrawn", "waitlisted", "review")
	add("outcome.", "pending", "not_started", "approved", "rejected", "review_required", "eligible", "not_eligible", "reserved", "released")
	add("scheme.", schemes...)
	add("category.", categories...)
	add("education.", educationLevels...)
	add("learning_status.", learningStatuses...)
	add("employment.", employmentStatuses...)
	add("benefits.", benefitKinds...)
	add("cause.", "citizen", "institution", "funding", "caseworker", "system")
	add("rule.", "met", "not_met", "needs_evidence")
	add("review.", "open", "decided")
	add("channel.", "email", "sms", "digital_post", "webhook")
	add("message.", "pending", "sending", "sent", "failed")
	add("run_status.", "published", "cancelled")
	add("role.", "citizen", "caseworker", "institution", "admin")
	add("language.", "da", "en")
	add("flash.", "accept", "reject", "attendance", "outcome")
	add("status.", "accepted_by_institution")
	add("next.", "referral")
	add("referral_status.", referralStatuses...)
	add("referral_event.", referralEvents...)
	add("actor.", "citizen", "institution", "funding", "caseworker", "system")
	add("webhook_status.", "active", "disabled")
	add("delivery_status.", deliveryStatuses...)
	add("event.", append([]string{"all"}, webhookEvents...)...)
	add("reason.referral_", referralEnds...)
	add("flash.offer_", "accept", "decline")
	add("kind.", messageKinds...)
	add("channel.", messageChannels...)
	for id := range referralLabels {
		add("err.", id)
	}
	add("outcome.", "employer_required")
	add("next.", "employer", "employer_undated", "employer_unnamed", "employer_unknown", "employer_cvr")
	add("commitment_status.", commitmentStatuses...)
	add("ask.", commitmentAsks...)
	add("role.", "employer")
	add("cause.", "employer")
	add("actor.", "employer")
	add("flash.commitment_", "approved", "declined")
	add("commitments.pays_fee_", "yes", "no")
	add("commitments.salary_", "yes", "no")
	for id := range commitmentLabels {
		add("err.", id)
	}
	for id := range companyLabels {
		add("err.company_", id)
	}
	add("status.", staffStatuses...)
	add("staff_result.", staffResults...)
	add("refund_status.", refundStatuses...)
	add("demand_status.", demandStatuses...)
	add("offer_status.", offerStatuses...)
	add("flash.demand_offer_", "accepted", "declined")
	add("enrol_staff.pays_fee_", "yes", "no")
	add("enrol_staff.salary_", "yes", "no")
	add("staff.pays_fee_", "yes", "no")
	add("staff.salary_", "yes", "no")
	add("demand_form.contact_", "yes", "no")
	for id := range staffLabels {
		if id != "file" && id != "more" && id != "accept_terms" {
			add("err.staff_", id)
		}
	}
	for id := range demandLabels {
		add("err.demand_", id)
	}
	for _, r := range staffReasons {
		keys = append(keys, r.key)
	}
	add("mydata.kind.", "export", "erasure")
	add("mydata.status.", "pending", "completed", "expired")
	add("mydata.service.", dataServices...)
	add("mydata.action.", "read", "change")
	add("flash.data_", "export", "erasure")
	for _, e := range []string{"internal", "not_found", "forbidden", "csrf", "unavailable", "gone"} {
		add("error."+e, ".title", ".text")
	}
	for id := range profileLabels {
		add("err.", id)
	}
	for id := range runLabels {
		if id != "title_en" && id != "location" && id != "description" && id != "description_en" {
			add("err.", id)
		}
	}
	if len(keys) < 300 {
		t.Fatalf("only %d keys found: the scan is broken", len(keys))
	}
	all := i18n.Keys(i18n.DA)
	prefix := func(k string) bool { // a prefix the code completes, e.g. "error.csrf" + ".title"
		for _, c := range all {
			if strings.HasPrefix(c, k) && c != k {
				return true
			}
		}
		return false
	}
	for _, k := range keys {
		if k == "education.level" || (!i18n.DA.Has(k) && prefix(k)) { // an API field name; a prefix
			continue
		}
		for _, l := range i18n.Langs {
			if !l.Has(k) {
				t.Errorf("%s: no %q", l, k)
			}
		}
	}
}

func TestSystemReasonsAreTranslated(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, da, en string }{
		{"funding approved: veu", "støtten er godkendt: VEU-godtgørelse", "funding approved: VEU allowance"},
		{"a seat became free", "en plads blev ledig", "a seat became free"},
		{"the course run was cancelled: too few", "holdet blev aflyst: too few", "the course was cancelled: too few"},
		{"the institution did not answer within 5 business days", "uddannelsesstedet svarede ikke inden for 5 hverdage", "the education provider did not answer within 5 business days"},
		{"ny vagtplan", "ny vagtplan", "ny vagtplan"},
		{"referred by the municipality: Excel til kontorjob", "henvist af kommunen: Excel til kontorjob", "referred by the municipality: Excel til kontorjob"},
		{"accepted the referral", "du sagde ja til henvisningen", "you accepted the referral"},
		{"the referral was withdrawn: fik job", "kommunen trak henvisningen tilbage: fik job", "the municipality withdrew the referral: fik job"},
		{"the referral was expired: the citizen did not answer by 2026-12-01", "henvisningen udløb: der kom ikke svar senest 1. december 2026",
			"the referral expired: no answer came by 1 December 2026"},
		{"the referral was something else", "the referral was something else", "the referral was something else"},
	} {
		if got := reasonText(i18n.DA, c.in); got != c.da {
			t.Errorf("da %q = %q", c.in, got)
		}
		if got := reasonText(i18n.EN, c.in); got != c.en {
			t.Errorf("en %q = %q", c.in, got)
		}
	}
}

func TestSafeBack(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/courses?q=x": "/courses?q=x", "": "", "//evil.example/": "", "/\\evil": "", "https://evil.example/": "", "courses": "",
	} {
		if got := safeBack(in); got != want {
			t.Errorf("safeBack(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTemplatesParse(t *testing.T) {
	t.Parallel()
	s := &Server{}
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"referrals", "referral", "refer", "refer_bulk", "my_referrals", "my_referral", "webhooks", "webhook", "demand", "ballot", "preferences"} {
		if s.pages[name] == nil {
			t.Errorf("no page %s", name)
		}
	}
}
