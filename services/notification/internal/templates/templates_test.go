package templates

import (
	"strings"
	"testing"
)

func TestEveryTemplateRendersInBothLanguages(t *testing.T) {
	t.Parallel()
	v := Vars{Name: "Mette Nielsen", Title: "Gaffeltruckcertifikat", TitleEN: "Forklift certificate",
		Institution: "Herningsholm Erhvervsskole", StartsOn: "2027-01-04", EndsOn: "2027-01-08", Position: 3,
		SchemeDA: "VEU-godtgørelse", SchemeEN: "VEU allowance", CitizenPays: 1040, Weekly: 4865,
		Reasons: []string{"You are 24"}, ReasonsDA: []string{"Du er 24 år"}, Reason: "sick", Deadline: "2026-12-03 23:59"}
	for kind, langs := range texts {
		for lang := range langs {
			m, err := Render(kind, lang, v)
			if err != nil {
				t.Fatalf("%s/%s: %v", kind, lang, err)
			}
			if m.Subject == "" || !strings.Contains(m.Body, "Mette Nielsen") || strings.Contains(m.Body, "<no value>") {
				t.Fatalf("%s/%s rendered badly: %q / %q", kind, lang, m.Subject, m.Body)
			}
			title := v.Title
			if lang == "en" {
				title = v.TitleEN
			}
			if !strings.Contains(m.Subject, title) {
				t.Errorf("%s/%s subject %q lacks the course title", kind, lang, m.Subject)
			}
		}
	}
	m, _ := Render(EnrolmentWaitlisted, "en", v)
	if !strings.Contains(m.Body, "number 3") {
		t.Errorf("waitlist message lacks the position: %q", m.Body)
	}
	m, _ = Render(EnrolmentRejected, "da", v)
	if !strings.Contains(m.Body, "Du er 24 år") {
		t.Errorf("Danish rejection lacks the Danish reason: %q", m.Body)
	}
}
