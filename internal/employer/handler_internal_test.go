package employer

import (
	"encoding/json"
	"strings"
	"testing"

	"patuh/internal/flags"
)

// docs/api.md: each unenrolled worker has nik, nama and upah; each under-reported one
// upah_paid and upah_reported, present when 0 (a wage reported as 0 is the finding itself).
func TestDetailWorkersCarryEveryField(t *testing.T) {
	d := &Detail{
		Unenrolled:    []flags.Worker{{NIK: "317101******0001", Nama: "A"}},
		Underreported: []flags.Worker{{NIK: "317101******0002", Nama: "B", UpahPaid: 5_400_000}},
	}
	b, err := json.Marshal(apiDetailOf(d))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"unenrolled":[{"nik":"317101******0001","nama":"A","upah":0}]`,
		`"underreported":[{"nik":"317101******0002","nama":"B","upah_paid":5400000,"upah_reported":0}]`} {
		if !strings.Contains(s, want) {
			t.Errorf("detail lacks %s:\n%s", want, s)
		}
	}
}
