package importer

import "testing"

func TestScientific(t *testing.T) {
	for s, want := range map[string]bool{
		"1.52895E+12": true, "3,17101E+15": true, "3.171e15": true, "2E+12": true, "1.5E-3": true,
		"1520000000001": false, "E+12": false, "1.5E": false, "1.5E+": false, "abcE+12": false, "1.2.3E+4": false, "": false,
	} {
		if got := scientific(s); got != want {
			t.Errorf("scientific(%q) = %v, want %v", s, got, want)
		}
	}
}
