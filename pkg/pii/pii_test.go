package pii_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"

	"livslang.dk/pkg/pii"
)

func rawKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func mustKeys(t *testing.T, spec string) *pii.Keys {
	t.Helper()
	k, err := pii.ParseSealingKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseSealingKeys(t *testing.T) {
	t.Parallel()
	good := rawKey()
	for _, tc := range []struct {
		spec string
		ok   bool
	}{
		{"1:" + good, true},
		{"2:" + rawKey() + ",1:" + good, true},
		{"", false},
		{"0:" + good, false},
		{"256:" + good, false},
		{"1:" + base64.StdEncoding.EncodeToString([]byte("short")), false},
		{"1:not base64!", false},
		{"1:" + good + ",1:" + rawKey(), false}, // an id listed twice
	} {
		_, err := pii.ParseSealingKeys(tc.spec)
		if (err == nil) != tc.ok {
			t.Errorf("ParseSealingKeys(%.12q…) error %v, want ok=%v", tc.spec, err, tc.ok)
		}
	}
}

// A data key wrapped under master key 1 still opens after rotating to key 2 (key 1 kept), rewrapping
// moves it to key 2, and then key 1 can be dropped from the configuration.
func TestDataKeyRoundTripWithRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := rawKey(), rawKey()
	before := mustKeys(t, "1:"+k1)
	dk, raw, err := pii.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := before.Wrap(raw, "citizen-a")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := dk.Seal([]byte("Anna Jensen, anna@example.dk"), []byte("citizens.profile"))
	if err != nil {
		t.Fatal(err)
	}

	rotated := mustKeys(t, "2:"+k2+",1:"+k1)
	open := func(keys *pii.Keys, wrapped []byte) string {
		t.Helper()
		dk, err := keys.Unwrap(wrapped, "citizen-a")
		if err != nil {
			t.Fatal(err)
		}
		pt, err := dk.Open(sealed, []byte("citizens.profile"))
		if err != nil {
			t.Fatal(err)
		}
		return string(pt)
	}
	if got := open(rotated, wrapped); got != "Anna Jensen, anna@example.dk" {
		t.Fatalf("after rotation: %q", got)
	}
	rewrapped, changed, err := rotated.Rewrap(wrapped, "citizen-a")
	if err != nil || !changed || rewrapped[0] != 2 {
		t.Fatalf("rewrap: changed %v, key id %d, err %v", changed, rewrapped[0], err)
	}
	if _, changed, _ := rotated.Rewrap(rewrapped, "citizen-a"); changed {
		t.Fatal("rewrapping a key the current master key wraps changed it")
	}
	onlyNew := mustKeys(t, "2:"+k2)
	if got := open(onlyNew, rewrapped); got != "Anna Jensen, anna@example.dk" {
		t.Fatalf("after dropping key 1: %q", got)
	}
	if _, err := onlyNew.Unwrap(wrapped, "citizen-a"); err == nil {
		t.Fatal("a key wrapped by the dropped master key opened")
	}
	// A wrapped key belongs to its citizen, and sealed data to its place.
	if _, err := rotated.Unwrap(wrapped, "citizen-b"); err == nil {
		t.Fatal("citizen a's wrapped key opened as citizen b's")
	}
	if _, err := dk.Open(sealed, []byte("recipients.contact")); err == nil {
		t.Fatal("data sealed for one column opened for another")
	}
	// Another citizen's data key cannot open it.
	other, _, _ := pii.NewDataKey()
	if _, err := other.Open(sealed, []byte("citizens.profile")); err == nil {
		t.Fatal("another data key opened the data")
	}
}

func TestSealWithMasterKeyRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := rawKey(), rawKey()
	old := mustKeys(t, "1:"+k1)
	sealed, err := old.Seal([]byte("0101901234"), []byte("citizen-a"))
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustKeys(t, "2:"+k2+",1:"+k1)
	if pt, err := rotated.Open(sealed, []byte("citizen-a")); err != nil || string(pt) != "0101901234" {
		t.Fatalf("open after rotation: %q %v", pt, err)
	}
	fresh, _ := rotated.Seal([]byte("x"), nil)
	if fresh[0] != 2 || rotated.Current() != 2 {
		t.Fatalf("sealed with key %d, want the first listed (2)", fresh[0])
	}
}

func TestExportKeys(t *testing.T) {
	t.Parallel()
	priv, pub, err := pii.NewExportKey()
	if err != nil {
		t.Fatal(err)
	}
	section := bytes.Repeat([]byte(`{"decisions":[]}`), 1000)
	info := []byte("livslang export request-1 funding")
	ct, err := pii.SealExport(pub, info, section)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("decisions")) {
		t.Fatal("the sealed section shows its content")
	}
	pt, err := pii.OpenExport(priv, info, ct)
	if err != nil || !bytes.Equal(pt, section) {
		t.Fatalf("open: %v", err)
	}
	if _, err := pii.OpenExport(priv, []byte("livslang export request-1 notification"), ct); err == nil {
		t.Fatal("a section opened with another service's info")
	}
	otherPriv, _, _ := pii.NewExportKey()
	if _, err := pii.OpenExport(otherPriv, info, ct); err == nil {
		t.Fatal("another request's key opened the section")
	}
}

func ExampleKeys_Rewrap() {
	k1, k2 := rawKey(), rawKey()
	old, _ := pii.ParseSealingKeys("1:" + k1)
	_, raw, _ := pii.NewDataKey()
	wrapped, _ := old.Wrap(raw, "citizen-a")
	rotated, _ := pii.ParseSealingKeys("2:" + k2 + ",1:" + k1)
	rewrapped, changed, _ := rotated.Rewrap(wrapped, "citizen-a")
	fmt.Println(changed, rewrapped[0])
	// Output: true 2
}
