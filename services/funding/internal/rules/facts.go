package rules

import "slices"

// Education levels: the citizen's highest completed education.
const (
	LevelGrundskole              = "grundskole"
	LevelGymnasial               = "gymnasial"
	LevelErhvervsuddannelse      = "erhvervsuddannelse"
	LevelKortVideregaaende       = "kort_videregaaende"
	LevelMellemlangVideregaaende = "mellemlang_videregaaende"
	LevelLangVideregaaende       = "lang_videregaaende"
)

// Employment statuses.
const (
	StatusEmployed            = "employed"
	StatusUnemployed          = "unemployed"
	StatusSelfEmployed        = "self_employed"
	StatusOutsideLabourMarket = "outside_labour_market"
)

// Public benefits the citizen receives.
const (
	BenefitsNone          = "none"
	BenefitsDagpenge      = "dagpenge"
	BenefitsKontanthjaelp = "kontanthjaelp"
	BenefitsOther         = "other"
)

// Course categories.
const (
	CategoryAMU                 = "amu"
	CategoryEUDEnkeltfag        = "eud_enkeltfag"
	CategoryFVU                 = "fvu"
	CategoryOBU                 = "obu"
	CategoryAVU                 = "avu"
	CategoryHFEnkeltfag         = "hf_enkeltfag"
	CategoryGymnasialSupplering = "gymnasial_supplering"
	CategoryAkademi             = "akademi"
	CategoryDiplom              = "diplom"
	CategoryMaster              = "master"
	CategoryDanskuddannelse     = "danskuddannelse"
	CategoryAftenskole          = "aftenskole"
)

// SVU levels: the keys of Usage.SVUWeeksUsed. The 40 weeks of SVU are counted per level.
const (
	SVULevelFolkeskoleGymnasial = "folkeskole_gymnasial" // FVU, OBU, AVU, hf, gymnasial and Danish courses
	SVULevelVideregaaende       = "videregaaende"        // akademi, diplom, master
)

// Facts are everything the rules know about one enrolment: the citizen and the course run.
// Every field is optional: its zero value means unknown, and a rule that needs an unknown fact
// answers needs_evidence (or, where noted, assumes the harmless value and says so).
type Facts struct {
	BirthDate  Date // from the CPR number (parsed elsewhere)
	Education  Education
	Employment Employment
	Benefits   string // BenefitsNone, BenefitsDagpenge, BenefitsKontanthjaelp or BenefitsOther
	Course     Course

	Today           Date   // the day of the evaluation (application deadlines, "at the earliest" rules)
	Municipality    string // the citizen's municipality code, e.g. "657" (Herning); owner of municipal budgets
	InstitutionID   string // the institution running the course; owner of Omstillingsfonden's drawing right
	UnemployedSince *Date  // first day of the current unemployment (6 weeks' job-oriented training)
	// MunicipalEmployee: employed by a municipality on a KL collective agreement (Den Kommunale
	// Kompetencefond). false also means unknown.
	MunicipalEmployee bool
	// SelfSupporting: a learner on a Danish course who supports themself (work, study, accompanying
	// spouse, EU citizen) and so pays a deposit. false also means not known to be.
	SelfSupporting bool
	Usage          Usage // what the citizen has already used of schemes with a lifetime or yearly limit
	// Employer is the company's answer to what the funding plan asked of it; nil until it answers.
	Employer *EmployerAnswer
}

// Usage is what the citizen has already had from schemes with a limit, from other enrolments.
type Usage struct {
	// SVUWeeksUsed is SVU already received, in weeks of 37 hours, keyed by SVULevelFolkeskoleGymnasial
	// or SVULevelVideregaaende. At folkeskole/gymnasial level, SVU received at 20-24 for FVU or
	// specialundervisning does not count and must be left out. nil means not recorded (taken as 0,
	// and the explanation says so); a missing key in a non-nil map means none used.
	SVUWeeksUsed map[string]float64
	// OmstillingsfondenUsedDKK is what Omstillingsfonden has already paid or reserved for the
	// citizen in the calendar year the course starts, for other enrolments.
	OmstillingsfondenUsedDKK int64
	// KompetencefondUsedDKK is what Den Kommunale Kompetencefond has paid or reserved for the
	// citizen for other enrolments in the 12 months in a row, including the course's start, that hold the most.
	KompetencefondUsedDKK int64
}

// Education is the citizen's highest completed education.
type Education struct {
	Level         string // LevelGrundskole … LevelLangVideregaaende
	CompletedYear int    // the year it was completed; 0 if unknown
}

// Employment is the citizen's current work.
type Employment struct {
	Status      string // StatusEmployed, StatusUnemployed, StatusSelfEmployed or StatusOutsideLabourMarket
	EmployerCVR string // the employer's CVR number, 8 digits
	Since       *Date  // first day with the current employer (or of the own business); nil if unknown
	WeeklyHours float64
}

// Course is the course run the citizen enrols on.
type Course struct {
	Category     string // CategoryAMU … CategoryAftenskole
	StartsOn     Date   // first teaching day
	EndsOn       Date   // last teaching day
	HoursPerWeek float64
	FeeDKK       int64    // participant fee (deltagerbetaling) for the whole run, whole kroner
	Schemes      []string // the funding schemes the run lists
}

// Offers reports whether the run lists the scheme.
func (c Course) Offers(scheme string) bool { return slices.Contains(c.Schemes, scheme) }

// fee is the participant fee, never negative.
func (c Course) fee() int64 { return max(c.FeeDKK, 0) }

// validPeriod reports whether both course dates are set and the run does not end before it starts.
func (c Course) validPeriod() bool {
	return !c.StartsOn.IsZero() && !c.EndsOn.IsZero() && !c.EndsOn.Before(c.StartsOn)
}

// calendarDays is the number of calendar days from the first to the last day, both included;
// 0 if the period is not valid.
func (c Course) calendarDays() int {
	if !c.validPeriod() {
		return 0
	}
	return c.StartsOn.DaysUntil(c.EndsOn) + 1
}

// weeks is the number of course weeks: calendar days (both ends included) divided by 7, rounded up.
func (c Course) weeks() int64 { return int64((c.calendarDays() + 6) / 7) }

// isVideregaaende reports whether an education level is higher education (kort, mellemlang or lang
// videregående uddannelse).
func isVideregaaende(level string) bool {
	switch level {
	case LevelKortVideregaaende, LevelMellemlangVideregaaende, LevelLangVideregaaende:
		return true
	}
	return false
}

// knownLevel reports whether level is one of the education levels above.
func knownLevel(level string) bool {
	switch level {
	case LevelGrundskole, LevelGymnasial, LevelErhvervsuddannelse:
		return true
	}
	return isVideregaaende(level)
}
