// Package cpr parses Danish CPR numbers (personnumre). A CPR number is personal data: Number's String
// is masked, so printing or logging one never shows the full number.
package cpr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Number is a parsed CPR number.
type Number struct {
	digits string
	birth  time.Time
}

// ErrInvalid is a CPR number that is not well formed.
var ErrInvalid = errors.New("invalid CPR number")

// Parse accepts DDMMYYSSSS or DDMMYY-SSSS. The birth century follows from the 7th digit; numbers
// that fail the old modulus-11 check are valid (CPR has issued them since 2007).
func Parse(s string) (Number, error) {
	s = strings.TrimSpace(s)
	if len(s) == 11 && s[6] == '-' {
		s = s[:6] + s[7:]
	}
	if len(s) != 10 {
		return Number{}, fmt.Errorf("%w: want 10 digits", ErrInvalid)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return Number{}, fmt.Errorf("%w: want digits only", ErrInvalid)
		}
	}
	day, month, yy := atoi(s[0:2]), atoi(s[2:4]), atoi(s[4:6])
	year := century(int(s[6]-'0'), yy) + yy
	birth := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if month < 1 || month > 12 || day < 1 || birth.Day() != day || birth.Month() != time.Month(month) {
		return Number{}, fmt.Errorf("%w: no such date", ErrInvalid)
	}
	return Number{digits: s, birth: birth}, nil
}

// century returns 1800, 1900 or 2000 from the 7th digit and the two-digit year (CPR-kontoret's table).
func century(d7, yy int) int {
	switch {
	case d7 <= 3:
		return 1900
	case d7 == 4 || d7 == 9:
		if yy <= 36 {
			return 2000
		}
		return 1900
	default: // 5-8
		if yy <= 57 {
			return 2000
		}
		return 1800
	}
}

func atoi(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// Digits returns the full ten digits. Use only where the full number is needed (encryption, the citizen's own view).
func (n Number) Digits() string { return n.digits }

// BirthDate is the date of birth (UTC midnight).
func (n Number) BirthDate() time.Time { return n.birth }

// Masked shows the birth date part only: DDMMYY-XXXX.
func (n Number) Masked() string {
	if n.digits == "" {
		return ""
	}
	return n.digits[:6] + "-XXXX"
}

// String is masked, so a CPR number never reaches a log by accident.
func (n Number) String() string { return n.Masked() }

// Female reports the sex recorded in the number (even last digit).
func (n Number) Female() bool { return (n.digits[9]-'0')%2 == 0 }

// Modulus11 reports whether the number passes the old modulus-11 check. Failing it does not make the
// number invalid.
func (n Number) Modulus11() bool {
	weights := [10]int{4, 3, 2, 7, 6, 5, 4, 3, 2, 1}
	sum := 0
	for i, w := range weights {
		sum += int(n.digits[i]-'0') * w
	}
	return sum%11 == 0
}

// AgeOn is the age in whole years on the given date.
func (n Number) AgeOn(day time.Time) int {
	age := day.Year() - n.birth.Year()
	if day.Month() < n.birth.Month() || (day.Month() == n.birth.Month() && day.Day() < n.birth.Day()) {
		age--
	}
	return age
}
