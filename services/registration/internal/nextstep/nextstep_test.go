package nextstep

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

func day(n int) time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n) }

var catalogue = []Run{
	{Code: "AVU MA-E", Title: "Matematik, niveau E (AVU)", Category: "avu", StartsOn: day(20)},
	{Code: "AVU DA-D", Title: "Dansk, niveau D (AVU)", Category: "avu", StartsOn: day(10)},
	{Code: "AVU DA-D", Title: "Dansk, niveau D (AVU)", Category: "avu", StartsOn: day(40)}, // a later run of the same course
	{Code: "HF MA-C", Title: "Matematik C (hf-enkeltfag)", Category: "hf_enkeltfag", StartsOn: day(5)},
	{Code: "AMU 47316", Title: "Lagerstyring og logistik", Category: "amu", StartsOn: day(30), Competences: []string{"2629"}, Skills: []string{"Logistik"}},
	{Code: "AMU 46907", Title: "Kranfører", Category: "amu", StartsOn: day(3), Competences: []string{"2714"}},
	{Code: "AMU 44529", Title: "Mobile personløftere", Category: "amu", StartsOn: day(4), Competences: []string{"2714", "2629"}},
	{Code: "AK LEDP", Title: "Ledelse i praksis", Category: "akademi", StartsOn: day(50), Skills: []string{"gaffeltruck"}},
	{Code: "DIL LO", Title: "Diplom i ledelse", Category: "diplom", StartsOn: day(60)},
	{Code: "FOF 2701", Title: "Spansk for begyndere", Category: "aftenskole", StartsOn: day(1)},
}

func codes(s []Suggestion) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.Run.Code)
	}
	return out
}

func TestSuggest(t *testing.T) {
	for i := range catalogue {
		catalogue[i].ID = uuid.New()
	}
	fvuMath := Taken{Title: "FVU-matematik, trin 1", Code: "FVU-M T1", Category: "fvu"}
	truck := Taken{Title: "Gaffeltruckcertifikat (B)", Code: "AMU 47583", Category: "amu", Competences: []string{"2629"}, Skills: []string{"Gaffeltruck"}}
	for _, tc := range []struct {
		name    string
		taken   []Taken
		exclude []string
		want    []string
		reasons map[string][]string // code → its reason codes
	}{
		{name: "nothing taken suggests nothing", want: nil},
		{name: "FVU leads to AVU, the same subject first, one run per course",
			taken: []Taken{fvuMath}, want: []string{"AVU MA-E", "AVU DA-D"},
			reasons: map[string][]string{"AVU MA-E": {NextLevel, SameSubject}, "AVU DA-D": {NextLevel}}},
		{name: "AMU: the same competence description first, then academy modules",
			taken: []Taken{truck}, want: []string{"AMU 44529", "AMU 47316", "AK LEDP"},
			reasons: map[string][]string{"AMU 47316": {SameCompetence}, "AK LEDP": {AcademyAfterAMU, SharedSkill}}},
		{name: "what is already taken or enrolled is not suggested",
			taken: []Taken{truck}, exclude: []string{"AMU 44529"}, want: []string{"AMU 47316", "AK LEDP"}},
		{name: "a self-reported short higher education leads to diploma modules",
			taken: []Taken{{Title: "Datamatiker", Level: "kort_videregaaende"}}, want: []string{"DIL LO"},
			reasons: map[string][]string{"DIL LO": {FromEducation}}},
		{name: "evening classes follow nothing and are never suggested",
			taken: []Taken{{Title: "Japansk", Code: "FOF 2703", Category: "aftenskole"}}, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Suggest(tc.taken, catalogue, tc.exclude, 10)
			if !slices.Equal(codes(got), tc.want) {
				t.Fatalf("suggested %v, want %v", codes(got), tc.want)
			}
			for _, s := range got {
				want, ok := tc.reasons[s.Run.Code]
				if !ok {
					continue
				}
				var have []string
				for _, r := range s.Reasons {
					have = append(have, r.Code)
					if r.After == "" || r.Explanation.DA == "" || r.Explanation.EN == "" || r.Explanation.DA == r.Explanation.EN {
						t.Errorf("%s: reason %+v is not explained in both languages", s.Run.Code, r)
					}
				}
				if !slices.Equal(have, want) {
					t.Errorf("%s: reasons %v, want %v", s.Run.Code, have, want)
				}
			}
		})
	}
	if got := Suggest([]Taken{fvuMath}, catalogue, nil, 1); len(got) != 1 || got[0].Run.Code != "AVU MA-E" {
		t.Errorf("limit 1 gave %v", codes(got))
	}
}

func TestCategories(t *testing.T) {
	got := Categories([]Taken{{Category: "fvu"}, {Category: "amu", Competences: []string{"2629"}}, {Level: "grundskole"}})
	if want := []string{"akademi", "amu", "avu", "fvu"}; !slices.Equal(got, want) {
		t.Errorf("categories %v, want %v", got, want)
	}
}

func TestEveryReasonIsExplained(t *testing.T) {
	for _, code := range []string{NextLevel, SameSubject, SameCompetence, AcademyAfterAMU, SharedSkill, FromEducation} {
		e := explain(Reason{Code: code, After: "X", Subject: "s", Competence: "1", Skill: "k"})
		if e.DA == code || e.EN == code || e.DA == e.EN {
			t.Errorf("%s has no text in both languages: %+v", code, e)
		}
	}
}
