package rules

import "fmt"

// Schemes whose decision lies with someone else (an a-kasse, the municipality, a fund): the rules
// here can only say so, and the scheme needs review. Also the answer for an unknown scheme code.

// externalDecider describes who decides a scheme and on what basis.
type externalDecider struct {
	ref    string
	en, da string // who decides and how, for the explanation
}

var externalDeciders = map[string]externalDecider{
	SchemeJobrettetUddannelse: {
		ref: "Bekendtgørelse nr. 1179 af 25/11/2019 om 6 ugers jobrettet uddannelse til forsikrede ledige, § 4, stk. 2",
		en:  "Your unemployment insurance fund (a-kasse) decides whether you have the right to 6 weeks' job-oriented training, for courses on the national positive list. If granted, you keep your dagpenge and the course fee is paid for you.",
		da:  "Din a-kasse træffer afgørelse om retten til 6 ugers jobrettet uddannelse, på kurser fra den landsdækkende positivliste. Hvis du får det, beholder du dine dagpenge, og kursusgebyret betales for dig.",
	},
	SchemeRegionalPulje: {
		ref: "Lov om en aktiv beskæftigelsesindsats (LAB) § 97; bekendtgørelse nr. 1181 af 25/11/2019 om den regionale uddannelsespulje",
		en:  "The municipality decides whether to offer the course from the regional positive list, within its yearly budget from the regional training pool.",
		da:  "Kommunen afgør, om kurset kan tilbydes fra den regionale positivliste, inden for kommunens årlige bevilling fra den regionale uddannelsespulje.",
	},
	SchemeOmstillingsfonden: {
		ref: "VEU-omstillingsfonden, Uddannelses- og Forskningsministeriet (https://ufm.dk/uddannelse/institutioner-og-drift/okonomi/puljer-og-fonde/veu-omstillingsfond)",
		en:  "Omstillingsfonden can pay up to DKK 10,000 of the participant fee per person per calendar year for approved higher adult education, if you are employed. You apply through the institution when you enrol; the money is handed out first come, first served, so availability must be confirmed.",
		da:  "Omstillingsfonden kan dække op til 10.000 kr. af deltagerbetalingen pr. person pr. kalenderår til godkendt videregående voksenuddannelse, hvis du er i beskæftigelse. Du søger gennem uddannelsesstedet ved tilmeldingen; midlerne fordeles efter først-til-mølle, så det skal bekræftes, at der er midler.",
	},
	SchemeKompetencefond: {
		ref: "Den relevante kompetencefonds regler efter din overenskomst (fx Den Kommunale Kompetencefond, IKUF)",
		en:  "A competence development fund under your collective agreement decides the application by its own rules, and you must apply before the course starts.",
		da:  "En kompetencefond under din overenskomst afgør ansøgningen efter sine egne regler, og du skal søge, før kurset starter.",
	},
}

// evaluateExternal: offered on the run, and then the deciding body must decide. No amounts are
// promised here.
func evaluateExternal(scheme string, d externalDecider, f Facts) SchemeResult {
	rules := []RuleResult{
		offeredRule(scheme, f.Course),
		rule(scheme, "decided_elsewhere", OutcomeNeedsEvidence, d.ref, text{
			en: d.en + " This system does not decide it; a caseworker follows it up.",
			da: d.da + " Dette system træffer ikke afgørelsen; en sagsbehandler følger op.",
		}, map[string]any{"scheme": scheme}),
	}
	return result(scheme, rules, Amounts{})
}

// evaluateUnknown: a scheme code this package does not know is not eligible.
func evaluateUnknown(scheme string, f Facts) SchemeResult {
	rules := []RuleResult{
		offeredRule(scheme, f.Course),
		rule(scheme, "known_scheme", OutcomeNotMet, "Ingen: ukendt finansieringsordning", text{
			en: fmt.Sprintf("%q is not a funding scheme this system knows.", scheme),
			da: fmt.Sprintf("%q er ikke en finansieringsordning, som dette system kender.", scheme),
		}, map[string]any{"scheme": scheme}),
	}
	return result(scheme, rules, Amounts{})
}
