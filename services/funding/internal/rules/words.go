package rules

import "fmt"

// Names of fact values for English and Danish explanations.

// rateStatusDA translates a rate status for Danish text.
func rateStatusDA(status string) string {
	switch status {
	case RateStatusDerived:
		return "beregnet (ikke offentliggjort)"
	case RateStatusUnverified:
		return "ikke bekræftet"
	case RateStatusNotFound:
		return "ikke fundet"
	case RateStatusPublished:
		return "offentliggjort"
	}
	return status
}

func benefitEN(b string) string {
	switch b {
	case BenefitsDagpenge:
		return "dagpenge (unemployment benefit)"
	case BenefitsKontanthjaelp:
		return "kontanthjælp (social assistance)"
	case BenefitsOther:
		return "other public benefits"
	}
	return fmt.Sprintf("benefits of type %q", b)
}

func benefitDA(b string) string {
	switch b {
	case BenefitsDagpenge:
		return "dagpenge"
	case BenefitsKontanthjaelp:
		return "kontanthjælp"
	case BenefitsOther:
		return "andre offentlige ydelser"
	}
	return fmt.Sprintf("ydelser af typen %q", b)
}

func levelEN(level string) string {
	switch level {
	case LevelGrundskole:
		return "primary and lower secondary school (grundskole)"
	case LevelGymnasial:
		return "an upper secondary education (gymnasial uddannelse)"
	case LevelErhvervsuddannelse:
		return "a vocational education (erhvervsuddannelse)"
	case LevelKortVideregaaende:
		return "a short-cycle higher education (kort videregående uddannelse)"
	case LevelMellemlangVideregaaende:
		return "a medium-cycle higher education (mellemlang videregående uddannelse)"
	case LevelLangVideregaaende:
		return "a long-cycle higher education (lang videregående uddannelse)"
	case "":
		return "not recorded"
	}
	return fmt.Sprintf("%q (unknown level)", level)
}

func levelDA(level string) string {
	switch level {
	case LevelGrundskole:
		return "grundskole"
	case LevelGymnasial:
		return "en gymnasial uddannelse"
	case LevelErhvervsuddannelse:
		return "en erhvervsuddannelse"
	case LevelKortVideregaaende:
		return "en kort videregående uddannelse"
	case LevelMellemlangVideregaaende:
		return "en mellemlang videregående uddannelse"
	case LevelLangVideregaaende:
		return "en lang videregående uddannelse"
	case "":
		return "ikke registreret"
	}
	return fmt.Sprintf("%q (ukendt niveau)", level)
}
func employmentStatusEN(s string) string {
	switch s {
	case StatusEmployed:
		return "employed"
	case StatusUnemployed:
		return "unemployed"
	case StatusSelfEmployed:
		return "self-employed"
	case StatusOutsideLabourMarket:
		return "outside the labour market"
	case "":
		return "not recorded"
	}
	return fmt.Sprintf("%q (unknown)", s)
}

func employmentStatusDA(s string) string {
	switch s {
	case StatusEmployed:
		return "ansat (lønmodtager)"
	case StatusUnemployed:
		return "ledig"
	case StatusSelfEmployed:
		return "selvstændig erhvervsdrivende"
	case StatusOutsideLabourMarket:
		return "uden for arbejdsmarkedet"
	case "":
		return "ikke registreret"
	}
	return fmt.Sprintf("%q (ukendt)", s)
}

func categoryEN(c string) string {
	switch c {
	case CategoryAMU:
		return "an AMU course (arbejdsmarkedsuddannelse)"
	case CategoryEUDEnkeltfag:
		return "a vocational single subject (EUD-enkeltfag)"
	case CategoryFVU:
		return "FVU (preparatory adult education)"
	case CategoryOBU:
		return "OBU (dyslexia teaching for adults)"
	case CategoryAVU:
		return "AVU (general adult education)"
	case CategoryHFEnkeltfag:
		return "an HF single subject (hf-enkeltfag)"
	case CategoryGymnasialSupplering:
		return "gymnasial supplering (GSK)"
	case CategoryAkademi:
		return "an academy profession course (akademiuddannelse)"
	case CategoryDiplom:
		return "a diploma course (diplomuddannelse)"
	case CategoryMaster:
		return "a master's programme (masteruddannelse)"
	case CategoryDanskuddannelse:
		return "Danish for adult foreigners (danskuddannelse)"
	case CategoryAftenskole:
		return "an evening school course (aftenskole)"
	case "":
		return "a course of unknown type"
	}
	return fmt.Sprintf("a course of type %q", c)
}

func categoryDA(c string) string {
	switch c {
	case CategoryAMU:
		return "et AMU-kursus"
	case CategoryEUDEnkeltfag:
		return "et EUD-enkeltfag"
	case CategoryFVU:
		return "FVU (forberedende voksenundervisning)"
	case CategoryOBU:
		return "ordblindeundervisning for voksne (OBU)"
	case CategoryAVU:
		return "AVU (almen voksenuddannelse)"
	case CategoryHFEnkeltfag:
		return "et hf-enkeltfag"
	case CategoryGymnasialSupplering:
		return "gymnasial supplering (GSK)"
	case CategoryAkademi:
		return "en akademiuddannelse"
	case CategoryDiplom:
		return "en diplomuddannelse"
	case CategoryMaster:
		return "en masteruddannelse"
	case CategoryDanskuddannelse:
		return "danskuddannelse til voksne udlændinge"
	case CategoryAftenskole:
		return "et aftenskolekursus"
	case "":
		return "et kursus af ukendt type"
	}
	return fmt.Sprintf("et kursus af typen %q", c)
}

// situationEN describes the citizen's employment and benefits: "you are unemployed and receive
// dagpenge (unemployment benefit)".
func situationEN(f Facts) string {
	var work, benefits string
	if f.Employment.Status == "" {
		work = "your employment status is not recorded"
	} else {
		work = "you are " + employmentStatusEN(f.Employment.Status)
	}
	switch f.Benefits {
	case "":
		benefits = "your benefits are not recorded"
	case BenefitsNone:
		benefits = "you receive no public benefits"
	default:
		benefits = "you receive " + benefitEN(f.Benefits)
	}
	return work + ", and " + benefits
}

// situationDA is situationEN in Danish.
func situationDA(f Facts) string {
	var work, benefits string
	if f.Employment.Status == "" {
		work = "din beskæftigelsesstatus er ikke registreret"
	} else {
		work = "du er " + employmentStatusDA(f.Employment.Status)
	}
	switch f.Benefits {
	case "":
		benefits = "dine ydelser er ikke registreret"
	case BenefitsNone:
		benefits = "du modtager ingen offentlige ydelser"
	default:
		benefits = "du modtager " + benefitDA(f.Benefits)
	}
	return work + ", og " + benefits
}

// capitalise makes the first letter upper case (ASCII names only need it).
func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
