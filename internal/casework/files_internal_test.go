package casework

import "testing"

// Evidence is served under a name Patuh chooses: nothing of the uploader's file name.
func TestEvidenceServedUnderAChosenName(t *testing.T) {
	for _, ev := range []Evidence{
		{ID: 7, Filename: `x".html`, ContentType: "image/png"},
		{ID: 7, Filename: "../../etc/passwd.png", ContentType: "image/png"},
		{ID: 7, Filename: "foto.php", ContentType: "image/png"},
	} {
		if got := evidenceName(&ev); got != "bukti-7.png" {
			t.Errorf("%q served as %q", ev.Filename, got)
		}
	}
	if got := evidenceName(&Evidence{ID: 8, Filename: "scan.png", ContentType: "application/pdf"}); got != "bukti-8.pdf" {
		t.Errorf("pdf served as %q", got)
	}
}
