package cvr

import "testing"

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"12345674", true}, {"29403473", true}, {"10150817", true}, {"12345678", false}, {"1234567", false},
		{"123456789", false}, {"1234567a", false}, {"01234567", false}, {"", false}, {"１２３４５６７４", false},
	} {
		if got := Check(c.in) == nil; got != c.ok {
			t.Errorf("Check(%q) = %v, want valid %v", c.in, Check(c.in), c.ok)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("12345674")
	f.Fuzz(func(t *testing.T, s string) {
		if Check(s) == nil && (len(s) != 8 || s[0] == '0') {
			t.Fatalf("accepted %q", s)
		}
	})
}
