package cpr

import (
	"fmt"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // birth date, or "" for invalid
	}{
		{"0101800000", "1980-01-01"},  // 7th digit 0: 1900s
		{"010180-0000", "1980-01-01"}, // hyphen accepted
		{"3112993999", "1999-12-31"},  // 3: 1900s
		{"0101364000", "2036-01-01"},  // 4, yy 36: 2000s
		{"0101374000", "1937-01-01"},  // 4, yy 37: 1900s
		{"0101369000", "2036-01-01"},  // 9 behaves like 4
		{"0101579000", "1957-01-01"},  // 9, yy 57: 1900s
		{"0101575000", "2057-01-01"},  // 5-8, yy 57: 2000s
		{"0101588000", "1858-01-01"},  // 5-8, yy 58: 1800s
		{"2902001234", ""},            // 7th digit 1: 1900-02-29 does not exist
		{"2902004234", "2000-02-29"},  // 7th digit 4: 2000 is a leap year
		{"2902041234", "1904-02-29"},
		{"3002801234", ""},  // 30 February
		{"0113801234", ""},  // month 13
		{"01018012345", ""}, // too long
		{"01018O1234", ""},  // letter
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			n, err := Parse(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %v, want error", tt.in, n.BirthDate())
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := n.BirthDate().Format(time.DateOnly); got != tt.want {
				t.Fatalf("birth date %s, want %s", got, tt.want)
			}
		})
	}
}

func TestModulus11IsNotRequired(t *testing.T) {
	t.Parallel()
	// 0101651234 fails modulus 11 (weighted sum ≡ 3 mod 11), yet CPR issues such numbers.
	n, err := Parse("0101651234")
	if err != nil {
		t.Fatalf("a number failing modulus 11 must still parse: %v", err)
	}
	if n.Modulus11() {
		t.Fatal("expected the modulus-11 check to fail for this number")
	}
	classic, err := Parse("0707614285") // weighted sum ≡ 0 mod 11
	if err != nil {
		t.Fatal(err)
	}
	if !classic.Modulus11() {
		t.Fatal("0707614285 passes modulus 11")
	}
}

func TestMaskedNeverShowsDigits(t *testing.T) {
	t.Parallel()
	n, err := Parse("0101801234")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{n.String(), fmt.Sprint(n), fmt.Sprintf("%v %s", n, n), n.Masked()} {
		if s != "010180-XXXX" && s != "010180-XXXX 010180-XXXX" {
			t.Fatalf("masked form %q", s)
		}
	}
}

func TestAgeOn(t *testing.T) {
	t.Parallel()
	n, _ := Parse("0203014234") // born 2001-03-02 (7th digit 4)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	if got := n.AgeOn(day("2026-03-01")); got != 24 {
		t.Fatalf("day before 25th birthday: age %d, want 24", got)
	}
	if got := n.AgeOn(day("2026-03-02")); got != 25 {
		t.Fatalf("25th birthday: age %d, want 25", got)
	}
}
