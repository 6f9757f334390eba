package service

import (
	"context"
	"fmt"

	"livslang.dk/services/funding/internal/store"
)

// Demo institutions with an Omstillingsfonden drawing right (ids from registration's demo catalogue).
var demoInstitutions = map[string]string{
	"6d2b941b-dc5b-4545-af87-43b7efb95fae": "Erhvervsakademi MidtVest",
	"528fbc46-282c-4a56-8273-fc0a507d013b": "VIA University College, Campus Herning",
	"8c4b82ae-6ff9-4293-9ebd-0601190f537d": "Aarhus Universitet, BSS Herning",
}

// seedPools creates the demo budget pools for this year and the next, once.
func seedPools(ctx context.Context, st *store.Store, year int) (int, error) {
	var pools []store.Pool
	for _, y := range []int{year, year + 1} {
		pools = append(pools,
			store.Pool{Scheme: "regional_pulje", Owner: "657", Year: y, Name: fmt.Sprintf("Regional uddannelsespulje, Herning %d", y), AmountDKK: 400_000},
			store.Pool{Scheme: "municipality", Owner: "657", Year: y, Name: fmt.Sprintf("Herning Kommune, opkvalificering %d", y), AmountDKK: 750_000},
			store.Pool{Scheme: "regional_pulje", Owner: "661", Year: y, Name: fmt.Sprintf("Regional uddannelsespulje, Holstebro %d", y), AmountDKK: 250_000},
		)
		for id, name := range demoInstitutions {
			pools = append(pools, store.Pool{Scheme: "omstillingsfonden", Owner: id, Year: y,
				Name: fmt.Sprintf("Omstillingsfonden, trækningsret %s %d", name, y), AmountDKK: 150_000})
		}
	}
	for _, p := range pools {
		if _, err := st.CreatePool(ctx, p); err != nil {
			return 0, err
		}
	}
	return len(pools), nil
}

// Demo companies in Herning (their CVR numbers are made up but valid), employers of demo citizens.
var demoCompanies = []store.Company{
	{CVR: "41657006", Name: "Herning Stål A/S", Email: "hr@herning-staal.example.dk", Language: "da"},
	{CVR: "43657003", Name: "Midtjysk Logistik ApS", Email: "people@midtjysk-logistik.example.dk", Language: "en"},
	{CVR: "20202025", Name: "Vestjysk Byg ApS", Email: "kontor@vestjysk-byg.example.dk", Language: "da"},
}

// seedCompanies gives the demo companies their contacts, once: a contact its users changed stays.
func seedCompanies(ctx context.Context, st *store.Store) error {
	for _, c := range demoCompanies {
		if err := st.SeedCompany(ctx, c); err != nil {
			return err
		}
	}
	return nil
}
