// Package cvr checks Danish company registration numbers (CVR): eight digits, the first not zero,
// whose weighted sum with the weights 2 7 6 5 4 3 2 1 is divisible by 11.
package cvr

import "errors"

var weights = [8]int{2, 7, 6, 5, 4, 3, 2, 1}

// Check reports why s is not a CVR number, or nil if it is one.
func Check(s string) error {
	if len(s) != 8 {
		return errors.New("must be 8 digits")
	}
	sum := 0
	for i := range 8 {
		if s[i] < '0' || s[i] > '9' {
			return errors.New("must be 8 digits")
		}
		sum += int(s[i]-'0') * weights[i]
	}
	if s[0] == '0' {
		return errors.New("cannot start with 0")
	}
	if sum%11 != 0 {
		return errors.New("is not a CVR number (the check digit does not match)")
	}
	return nil
}

// Valid reports whether s is a CVR number.
func Valid(s string) bool { return Check(s) == nil }
