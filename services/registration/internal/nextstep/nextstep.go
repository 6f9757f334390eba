// Package nextstep suggests the courses that naturally follow what a citizen has learned: the next
// level of general adult education (ordblindeundervisning → FVU → AVU → HF single subjects and
// gymnasial supplering), AMU courses in the same competence description (FKB), academy modules after
// AMU, diploma after academy, and what their own education leads to. Every suggestion says why, as
// codes with parameters and in Danish and English.
package nextstep

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Taken is something the citizen learned: a course through Livslang (completed or in progress) or an
// education they reported themselves (Level set, Category empty).
type Taken struct {
	Title       string
	Code        string
	Category    string
	Level       string // a self-reported education's level (the profile's levels)
	Competences []string
	Skills      []string
}

// Run is a course run that could be suggested.
type Run struct {
	ID          uuid.UUID
	Code        string
	Title       string
	Category    string
	StartsOn    time.Time
	Competences []string
	Skills      []string
}

// Reason codes: why a run is suggested.
const (
	NextLevel       = "next_level"      // the next level of what was taken (FVU → AVU → HF …)
	SameSubject     = "same_subject"    // the same subject one level up (FVU-matematik → AVU Matematik)
	SameCompetence  = "same_competence" // an AMU course in the same competence description
	AcademyAfterAMU = "academy_after_amu"
	SharedSkill     = "shared_skill"   // builds on a skill the citizen has from a course
	FromEducation   = "from_education" // what the citizen's own education leads to
)

// Reason is one reason, with what it follows from.
type Reason struct {
	Code        string      `json:"code"`
	After       string      `json:"after"`                // the title of the course or education it follows
	Subject     string      `json:"subject,omitempty"`    // SameSubject
	Competence  string      `json:"competence,omitempty"` // SameCompetence: the FKB number
	Skill       string      `json:"skill,omitempty"`      // SharedSkill
	Explanation Explanation `json:"explanation"`
}

// Explanation is a reason in words, in both languages.
type Explanation struct {
	DA string `json:"da"`
	EN string `json:"en"`
}

// Suggestion is a run and why it is suggested.
type Suggestion struct {
	Run     Run
	Reasons []Reason
	score   int
}

// follows is the natural next category of each category; a self-reported level leads to categories
// the same way (fromLevel).
var follows = map[string][]string{
	"obu":             {"fvu"},
	"fvu":             {"avu"},
	"danskuddannelse": {"avu"},
	"avu":             {"hf_enkeltfag", "eud_enkeltfag"},
	"hf_enkeltfag":    {"gymnasial_supplering"},
	"eud_enkeltfag":   {"amu"},
	"amu":             {"akademi"},
	"akademi":         {"diplom"},
	"diplom":          {"master"},
}

var fromLevel = map[string][]string{
	"grundskole":               {"fvu", "avu"},
	"gymnasial":                {"gymnasial_supplering", "akademi"},
	"erhvervsuddannelse":       {"amu", "akademi"},
	"kort_videregaaende":       {"diplom"},
	"mellemlang_videregaaende": {"diplom", "master"},
	"lang_videregaaende":       {"master"},
}

// Categories are the categories suggestions for taken can come from, so a store reads only those runs.
func Categories(taken []Taken) []string {
	var out []string
	for _, t := range taken {
		out = append(out, follows[t.Category]...)
		out = append(out, fromLevel[t.Level]...)
		if t.Category == "amu" && len(t.Competences) > 0 {
			out = append(out, "amu")
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Suggest ranks the runs that follow what was taken: the strongest reasons first, then the nearest
// start; one run per course code (the first one in runs, so pass them nearest start first), none whose
// code is in exclude or was taken, at most limit.
func Suggest(taken []Taken, runs []Run, exclude []string, limit int) []Suggestion {
	skip := map[string]bool{}
	for _, c := range exclude {
		skip[c] = true
	}
	for _, t := range taken {
		if t.Code != "" {
			skip[t.Code] = true
		}
	}
	var out []Suggestion
	for _, run := range runs {
		if skip[run.Code] {
			continue
		}
		s := Suggestion{Run: run}
		for _, t := range taken {
			s.add(t, run)
		}
		if len(s.Reasons) == 0 {
			continue
		}
		skip[run.Code] = true
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		return cmp.Or(cmp.Compare(b.score, a.score), a.Run.StartsOn.Compare(b.Run.StartsOn), cmp.Compare(a.Run.Code, b.Run.Code))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// add gives the reasons run follows t for, each once.
func (s *Suggestion) add(t Taken, run Run) {
	reason := func(r Reason, score int) {
		for _, have := range s.Reasons {
			if have.Code == r.Code && have.Subject == r.Subject && have.Competence == r.Competence && have.Skill == r.Skill {
				return
			}
		}
		r.After = t.Title
		r.Explanation = explain(r)
		s.Reasons = append(s.Reasons, r)
		s.score += score
	}
	if t.Category == "amu" && run.Category == "amu" {
		for _, c := range t.Competences {
			if slices.Contains(run.Competences, c) {
				reason(Reason{Code: SameCompetence, Competence: c}, 40)
			}
		}
	}
	if slices.Contains(follows[t.Category], run.Category) {
		if t.Category == "amu" && run.Category == "akademi" {
			reason(Reason{Code: AcademyAfterAMU}, 20)
		} else {
			reason(Reason{Code: NextLevel}, 30)
		}
		if sub := subject(t.Title); sub != "" && sub == subject(run.Title) {
			reason(Reason{Code: SameSubject, Subject: sub}, 15)
		}
	}
	if slices.Contains(fromLevel[t.Level], run.Category) {
		reason(Reason{Code: FromEducation}, 10)
	}
	if t.Category != "" && len(s.Reasons) > 0 {
		for _, k := range t.Skills {
			if slices.ContainsFunc(run.Skills, func(r string) bool { return strings.EqualFold(r, k) }) {
				reason(Reason{Code: SharedSkill, Skill: k}, 5)
			}
		}
	}
}

// subject is the school subject a general-education title names ("Matematik, niveau E (AVU)" and
// "FVU-matematik, trin 1": matematik; FVU-læsning and the Danish courses: dansk), or "".
func subject(title string) string {
	first, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(title)), " ")
	first = strings.Trim(strings.TrimPrefix(first, "fvu-"), ",.:;()")
	switch first {
	case "læsning", "danskuddannelse":
		return "dansk"
	case "matematik", "dansk", "engelsk", "tysk", "fransk", "spansk", "samfundsfag", "historie", "biologi",
		"kemi", "fysik", "psykologi", "naturfag", "religion", "filosofi":
		return first
	}
	return ""
}

// explain says a reason in words.
func explain(r Reason) Explanation {
	switch r.Code {
	case NextLevel:
		return Explanation{DA: "Næste trin efter " + r.After + ".", EN: "The next level after " + r.After + "."}
	case SameSubject:
		return Explanation{DA: "Samme fag (" + r.Subject + ") på et højere niveau.", EN: "The same subject (" + r.Subject + ") at a higher level."}
	case SameCompetence:
		return Explanation{DA: "Samme fælles kompetencebeskrivelse (FKB " + r.Competence + ") som " + r.After + ".",
			EN: "In the same competence description (FKB " + r.Competence + ") as " + r.After + "."}
	case AcademyAfterAMU:
		return Explanation{DA: "Et akademimodul bygger videre på AMU-kurser som " + r.After + ".",
			EN: "An academy module builds on AMU courses such as " + r.After + "."}
	case SharedSkill:
		return Explanation{DA: "Bygger på din kompetence " + r.Skill + ".", EN: "Builds on your skill " + r.Skill + "."}
	case FromEducation:
		return Explanation{DA: "Din uddannelse (" + r.After + ") giver adgang til det.", EN: "Your education (" + r.After + ") leads on to it."}
	}
	return Explanation{DA: r.Code, EN: r.Code}
}
