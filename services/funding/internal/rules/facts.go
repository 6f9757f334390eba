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

// Facts are everything the rules know about one enrolment: the citizen and the course run.
type Facts struct {
	BirthDate  Date // from the CPR number (parsed elsewhere)
	Education  Education
	Employment Employment
	Benefits   string // BenefitsNone, BenefitsDagpenge, BenefitsKontanthjaelp or BenefitsOther
	Course     Course
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
