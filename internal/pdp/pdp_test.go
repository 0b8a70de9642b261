package pdp

import "testing"

func TestMaskNIK(t *testing.T) {
	for in, want := range map[string]string{"3171010101900001": "317101******0001", "123": "***", "": ""} {
		if got := MaskNIK(in); got != want {
			t.Errorf("MaskNIK(%q) = %q, want %q", in, got, want)
		}
	}
}
