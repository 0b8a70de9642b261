package letters

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// pdfText collects the strings of the uncompressed content streams (the "(text)Tj" operands),
// joined by spaces so that a phrase wrapped over two lines is still found.
func pdfText(pdf []byte) string {
	var b strings.Builder
	for _, part := range bytes.Split(pdf, []byte(")Tj")) {
		if i := bytes.LastIndexByte(part, '('); i >= 0 {
			b.Write(part[i+1:])
			b.WriteByte(' ')
		}
	}
	return strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`).Replace(b.String())
}

func TestTeguranContent(t *testing.T) {
	pdf, err := PDF(Letter{Kind: "teguran_1", Number: "B/12/34/2026", IssuedOn: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
		DueOn: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), EmployerName: "PT Kreasi Mulia 983", Address: "Jl. Teknik No. 122",
		Region: "Karet Semanggi, Setiabudi, Jakarta Selatan", NIB: "1067828601409", NPPs: []string{"12345678"},
		Findings:    []Finding{{Code: "PDS_TK", Name: "Daftar Sebagian - Tenaga Kerja", Workers: 32, ShortfallRp: 33675231}},
		OfficerName: "Ayu Pemeriksa", WorkingDays: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	text := pdfText(pdf)
	for _, want := range []string{"SURAT TEGURAN TERTULIS I", "Nomor: B/12/34/2026", "Jakarta, 23 November 2026",
		"PT Kreasi Mulia 983", "NIB 1067828601409", "NPP 12345678", "PDS_TK", "Rp 33.675.231",
		"Undang-Undang Nomor 24 Tahun 2011", "10 hari kerja", "7 Desember 2026", "Ayu Pemeriksa"} {
		if !strings.Contains(text, want) {
			t.Errorf("letter lacks %q:\n%s", want, text)
		}
	}
	if _, err := PDF(Letter{Kind: "denda"}); err == nil {
		t.Error("a letter for a kind without one")
	}
}
