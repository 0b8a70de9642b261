package letters

import (
	"bytes"
	"os"
	"os/exec"
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

// pdftotext extracts the letter as a reader sees it (poppler-utils), for phrases the layout
// wraps or splits into cells; without the tool the test falls back to the content streams.
func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Log("pdftotext not installed: reading the content streams")
		return pdfText(pdf)
	}
	cmd := exec.Command(bin, "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func TestTeguranContent(t *testing.T) {
	due := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	pdf, err := PDF(Letter{Kind: "teguran_1", Number: Number("B/{seq:3}/{kind}/{office}/{month}/{year}", 7, "teguran_1", "KC.DKI",
		time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)),
		IssuedOn: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
		DueOn:    time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), EmployerName: "PT Kreasi Mulia 983", Address: "Jl. Teknik No. 122",
		Region: "Karet Semanggi, Setiabudi, Jakarta Selatan", NIB: "1067828601409", NPPs: []string{"12345678"},
		Findings: []Finding{{Code: "PDS_TK", Name: "Daftar Sebagian - Tenaga Kerja", Workers: 32, ShortfallRp: 33675231},
			{Code: "PDS_PROGRAM", Workers: 40, Missing: []string{"JHT", "JP"}},
			{Code: "MENUNGGAK", ArrearsMonths: 3, ArrearsRp: 12500000}},
		Sifat: "Penting", Lampiran: "1 (satu) berkas salinan Berita Acara Pemeriksaan", Perihal: Perihal("teguran_1"),
		Visit: &Visit{On: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Kind: "lapangan", MetName: "Ibu Rina", MetPosition: "HRD",
			Findings: []string{"jumlah pekerja yang ditemukan: 45 orang;"}, Commitment: "mendaftarkan seluruh pekerja", CommitmentDue: &due},
		Signer:      Signer{Name: "Ayu Pemeriksa", Position: "Pengawas Ketenagakerjaan Ahli Muda", NIP: "198501012010012001"},
		WorkingDays: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	// LETTER_PDF=/tmp/x.pdf keeps the letter, to look at it (pdftoppm -png /tmp/x.pdf /tmp/x).
	if out := os.Getenv("LETTER_PDF"); out != "" {
		if err := os.WriteFile(out, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n := bytes.Count(pdf, []byte("/Type /Page\n")); n != 1 {
		t.Errorf("the letter takes %d pages, want 1", n)
	}
	text := pdftotext(t, pdf)
	for _, want := range []string{"SURAT TEGURAN TERTULIS I", "Nomor : B/007/TEG-I/KC.DKI/XI/2026", "Sifat : Penting",
		"Lampiran : 1 (satu) berkas salinan Berita Acara Pemeriksaan", "Perihal : Teguran Tertulis Pertama",
		"Jakarta, 23 November 2026", "PT Kreasi Mulia 983", "NIB 1067828601409", "NPP 12345678",
		"Sebanyak 32 orang pekerja belum didaftarkan", "Jaminan Hari Tua (JHT) dan Jaminan Pensiun (JP)",
		"tunggakan iuran selama 3 bulan sebesar Rp 12.500.000", "Rp 33.675.231",
		"Berita Acara Pemeriksaan kunjungan lapangan tanggal 20 November 2026, diterima oleh Ibu Rina (HRD)",
		"mendaftarkan seluruh pekerja", "paling lambat tanggal 30 November 2026",
		"Undang-Undang Nomor 24 Tahun 2011", "10 hari kerja", "7 Desember 2026",
		"Pengawas Ketenagakerjaan Ahli Muda", "Ayu Pemeriksa", "NIP 198501012010012001"} {
		if !strings.Contains(text, want) {
			t.Errorf("letter lacks %q:\n%s", want, text)
		}
	}
	for _, code := range []string{"PDS_TK", "PDS_PROGRAM", "MENUNGGAK"} {
		if strings.Contains(text, code) {
			t.Errorf("the letter names the flag code %s instead of the finding", code)
		}
	}
	if _, err := PDF(Letter{Kind: "denda"}); err == nil {
		t.Error("a letter for a kind without one")
	}
}

func TestNumberFormat(t *testing.T) {
	on := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for format, want := range map[string]string{
		"":                                      "12/TEG-II/KC/XII/2026",
		"B.{seq:4}/{kind}/{office}/{mm}.{year}": "B.0012/TEG-II/KC/12.2026",
		"{seq}/{unknown}":                       "12/{unknown}",
	} {
		if got := Number(format, 12, "teguran_2", "KC", on); got != want {
			t.Errorf("%q: %q, want %q", format, got, want)
		}
	}
	if CheckNumberFormat("{kind}/{year}") == nil || CheckNumberFormat("{seq}/{foo}") == nil || CheckNumberFormat("{seq}/{month}/{year}") != nil {
		t.Error("CheckNumberFormat")
	}
}
