package policy

import (
	"slices"
	"testing"
	"time"
)

func cph(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Copenhagen)
	if err != nil {
		panic(err)
	}
	return t
}

func TestQuietHours(t *testing.T) {
	t.Parallel()
	q, err := ParseQuietHours("21:00-08:00")
	if err != nil || q != DefaultQuietHours {
		t.Fatalf("parse: %+v, %v", q, err)
	}
	for _, c := range []struct {
		at, until string // until "": not quiet
	}{
		{"2027-01-04 20:59", ""},
		{"2027-01-04 21:00", "2027-01-05 08:00"},
		{"2027-01-04 23:59", "2027-01-05 08:00"},
		{"2027-01-05 00:00", "2027-01-05 08:00"},
		{"2027-01-05 07:59", "2027-01-05 08:00"},
		{"2027-01-05 08:00", ""},
		{"2027-01-05 12:00", ""},
		{"2027-03-27 22:00", "2027-03-28 08:00"}, // the night summer time begins: 08:00 CEST, 10 hours later
		{"2027-10-30 22:00", "2027-10-31 08:00"}, // and ends: 08:00 CET, 11 hours later
		{"2026-12-31 21:30", "2027-01-01 08:00"},
	} {
		until, quiet := q.Until(cph(c.at).UTC()) // the clock may be in any zone
		if quiet != (c.until != "") || (quiet && !until.Equal(cph(c.until))) {
			t.Errorf("%s: quiet %v until %s, want %q", c.at, quiet, until.In(Copenhagen), c.until)
		}
	}
	if until, _ := q.Until(cph("2027-03-27 22:00")); until.Sub(cph("2027-03-27 22:00")) != 9*time.Hour {
		t.Errorf("the spring night is %s long", until.Sub(cph("2027-03-27 22:00")))
	}
	day, _ := ParseQuietHours("01:00-06:00")
	if _, quiet := day.Until(cph("2027-01-04 00:30")); quiet {
		t.Error("00:30 is quiet in 01:00-06:00")
	}
	if until, quiet := day.Until(cph("2027-01-04 05:00")); !quiet || !until.Equal(cph("2027-01-04 06:00")) {
		t.Errorf("05:00 in 01:00-06:00: %v %s", quiet, until)
	}
	off, _ := ParseQuietHours("off")
	if _, quiet := off.Until(cph("2027-01-04 23:00")); quiet {
		t.Error("off is quiet")
	}
	for _, bad := range []string{"21-08", "25:00-08:00", "21:00-21:00", "21:00"} {
		if _, err := ParseQuietHours(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestChannelsAndFallback(t *testing.T) {
	t.Parallel()
	none := Preferences{}
	sms := Preferences{Channels: map[string][]string{EnrolmentRejected: {SMS}, EnrolmentConfirmed: {SMS, Email}}}
	for _, c := range []struct {
		p        Preferences
		kind     string
		decision bool
		want     []string
	}{
		{none, EnrolmentConfirmed, false, []string{Email}},
		{sms, EnrolmentConfirmed, false, []string{SMS, Email}},
		{none, EnrolmentRejected, true, []string{Email, DigitalPost}},
		{sms, EnrolmentRejected, true, []string{SMS, DigitalPost}},
		{sms, EnrolmentRejected, false, []string{SMS}}, // rejected by the institution: not a decision
		{Preferences{Channels: map[string][]string{ReferralReceived: {DigitalPost}}}, ReferralReceived, true, []string{DigitalPost}},
	} {
		if got := Plan(c.p, c.kind, c.decision); !slices.Equal(got, c.want) {
			t.Errorf("Plan(%v, %s, %v) = %v, want %v", c.p.Channels, c.kind, c.decision, got, c.want)
		}
	}
	if !IsDecision(EnrolmentRejected, "funding") || IsDecision(EnrolmentRejected, "institution") || !IsDecision(ReferralReceived, "") ||
		IsDecision(EnrolmentConfirmed, "funding") {
		t.Error("IsDecision")
	}
	if MustArrive(EnrolmentReceived, false) || MustArrive(ReminderCourseStart, false) || !MustArrive(EnrolmentOffered, false) ||
		!MustArrive(ReferralWithdrawn, true) {
		t.Error("MustArrive")
	}
	for _, c := range []struct {
		failed string
		used   []string
		want   string
	}{
		{Email, []string{Email}, DigitalPost},
		{Email, []string{Email, DigitalPost}, ""},
		{SMS, []string{SMS}, Email},
		{SMS, []string{SMS, Email}, DigitalPost},
		{DigitalPost, []string{DigitalPost}, Email},
		{DigitalPost, []string{DigitalPost, Email}, ""},
	} {
		got, ok := Fallback(c.failed, c.used)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Fallback(%s, %v) = %q, want %q", c.failed, c.used, got, c.want)
		}
	}
}

func kinds(ds []Due) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Kind+"@"+d.At.In(Copenhagen).Format("2006-01-02 15:04"))
	}
	return out
}

func TestReminderTimes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		got  []Due
		want []string
	}{
		{"confirmed a month ahead", CourseStart("2027-01-11", cph("2026-12-10 14:00")),
			[]string{"course_start_7d@2027-01-04 09:00", "course_start_1d@2027-01-10 09:00"}},
		{"confirmed three days ahead: only the day before", CourseStart("2027-01-11", cph("2027-01-08 14:00")),
			[]string{"course_start_1d@2027-01-10 09:00"}},
		{"confirmed the evening before: none", CourseStart("2027-01-11", cph("2027-01-10 18:00")), nil},
		{"across the change to summer time", CourseStart("2027-03-29", cph("2027-03-01 10:00")),
			[]string{"course_start_7d@2027-03-22 09:00", "course_start_1d@2027-03-28 09:00"}},
		{"an offer: a day before it lapses", OfferExpiry(cph("2027-01-06 23:59"), cph("2027-01-04 10:00")),
			[]string{"offer_expires@2027-01-05 23:59"}},
		{"an offer shorter than a day: none", OfferExpiry(cph("2027-01-04 23:59"), cph("2027-01-04 10:00")), nil},
		{"a referral: the morning of its last day", ReferralExpiry("2027-01-15", cph("2027-01-04 10:00")),
			[]string{"referral_expires@2027-01-15 09:00"}},
		{"an institution's answer: the morning of the deadline", InstitutionAnswer(cph("2027-01-11 23:59"), cph("2027-01-04 10:00")),
			[]string{"institution_answer_due@2027-01-11 09:00"}},
		{"a date that is not one", CourseStart("soon", cph("2027-01-04 10:00")), nil},
	} {
		if got := kinds(c.got); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Each is worth sending until the thing it reminds of.
	d := CourseStart("2027-01-11", cph("2026-12-10 14:00"))[0]
	if !d.Expires.Equal(cph("2027-01-11 00:00")) {
		t.Errorf("course reminder expires %s", d.Expires)
	}
	r := ReferralExpiry("2027-01-15", cph("2027-01-04 10:00"))[0]
	if !r.Expires.Equal(cph("2027-01-16 00:00")) {
		t.Errorf("referral reminder expires %s", r.Expires)
	}
}

func TestAFollowingKindGoesAsItsPreferenceKind(t *testing.T) {
	t.Parallel()
	p := Preferences{Channels: map[string][]string{EnrolmentConfirmed: {SMS, DigitalPost}}}
	if got := Plan(p, FundingEmployerRequired, false); !slices.Equal(got, []string{SMS, DigitalPost}) {
		t.Errorf("funding_employer_required goes by %v", got)
	}
	if got := Plan(Preferences{}, FundingEmployerRequired, false); !slices.Equal(got, []string{Email}) {
		t.Errorf("with no choice it goes by %v", got)
	}
	for _, k := range slices.Concat(FollowingKinds, CompanyKinds, InvitationKinds) {
		if KnownKind(k) || !KnownMessageKind(k) {
			t.Errorf("%s is a kind a citizen chooses channels for, or no kind", k)
		}
	}
}
