package importer

import (
	"fmt"
	"testing"
)

// watch runs a roundingWatch over one column of values.
func watch(values []string) string {
	w := newRoundingWatch(map[string]int{"nik": 0})
	for _, v := range values {
		w.observe(&row{cells: []Cell{{Text: v}}, index: map[string]int{"nik": 0}})
	}
	return w.rounded()
}

func TestRoundingWatch(t *testing.T) {
	var honest, rounded, science []string
	for i := range 100 {
		honest = append(honest, fmt.Sprintf("317101010190%04d", 1+i*37%9999)) // one in ten ends in 0
		rounded = append(rounded, fmt.Sprintf("317101010190%03d0", i))
		science = append(science, "3.17101E+15")
	}
	few := rounded[:49]
	for name, c := range map[string]struct {
		values []string
		want   string
	}{"honest": {honest, ""}, "rounded": {rounded, "nik"}, "fewer than 50": {few, ""}, "scientific": {science, "nik"},
		"short values are not counted": {[]string{"12345678900"}, ""}} {
		if got := watch(c.values); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}

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

// BenchmarkRoundingWatch: the check's cost per participants row (npp, nik, kpj, …).
func BenchmarkRoundingWatch(b *testing.B) {
	index := map[string]int{"npp": 0, "nik": 1, "kpj": 2}
	w := newRoundingWatch(index)
	r := &row{cells: []Cell{{Text: "93036256"}, {Text: "3172041910938083"}, {Text: "50159785420"}}, index: index}
	for b.Loop() {
		w.observe(r)
	}
}
