package cpr

import "testing"

// FuzzParse: any input either fails cleanly or yields a number whose masked form hides the serial.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0101801234", "010180-1234", "2902004234", "3002801234", "", "abc", "01018012345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if len(n.Digits()) != 10 || n.String() != n.Digits()[:6]+"-XXXX" {
			t.Fatalf("Parse(%q) = %q masked %q", s, n.Digits(), n.String())
		}
		if again, err := Parse(n.Digits()); err != nil || again.BirthDate() != n.BirthDate() {
			t.Fatalf("round trip of %q: %v", s, err)
		}
	})
}
