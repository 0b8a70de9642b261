package letters

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// BAP is what a Berita Acara Pemeriksaan states: the visit as the inspector recorded it, with
// the signatures drawn on the phone (PNG), or the employer's refusal to sign.
type BAP struct {
	CaseID         int64
	VisitedOn      time.Time
	Kind           string // lapangan, kantor, dokumen
	EmployerName   string
	Address        string
	Region         string
	NIB, NPWP      string
	NPPs           []string
	Officer        string
	MetName        string
	MetPosition    string
	WorkersFound   *int
	Findings       []BAPFinding
	Commitment     string
	CommitmentDue  *time.Time
	Note           string
	Refused        bool   // the employer's representative refused to sign
	EmployerSign   []byte // PNG
	OfficerSign    []byte // PNG
	Latitude, Long *float64
}

// BAPFinding is one finding of the visit, in words.
type BAPFinding struct {
	Name    string
	Workers int
	NIKs    int
	Note    string
}

var visitKinds = map[string]string{"lapangan": "kunjungan lapangan", "kantor": "pemeriksaan di kantor", "dokumen": "pemeriksaan dokumen"}

// BAPPDF renders the Berita Acara. Compression is off, as for the letters, so that its text
// can be checked and searched.
func BAPPDF(b BAP) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(false)
	p.SetMargins(20, 18, 20)
	p.SetTitle("BERITA ACARA PEMERIKSAAN", true)
	p.AddPage()
	tr := p.UnicodeTranslatorFromDescriptor("")
	line := func(s string) { p.MultiCell(0, 5.5, tr(s), "", "L", false) }
	p.SetFont("Helvetica", "B", 12)
	p.CellFormat(0, 6, tr("PEMERINTAH PROVINSI DKI JAKARTA - BPJS KETENAGAKERJAAN"), "", 1, "C", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	p.CellFormat(0, 5, tr("Pengawasan kepatuhan jaminan sosial ketenagakerjaan (Inpres 2/2021)"), "B", 1, "C", false, 0, "")
	p.Ln(5)
	p.SetFont("Helvetica", "B", 13)
	p.CellFormat(0, 7, "BERITA ACARA PEMERIKSAAN", "", 1, "C", false, 0, "")
	p.SetFont("Helvetica", "", 10)
	p.CellFormat(0, 5, tr(fmt.Sprintf("Kasus #%d", b.CaseID)), "", 1, "C", false, 0, "")
	p.Ln(4)
	kind := visitKinds[b.Kind]
	if kind == "" {
		kind = b.Kind
	}
	line(fmt.Sprintf("Pada hari ini, %s %s, telah dilakukan %s oleh petugas pemeriksa %s terhadap:",
		dayNames[b.VisitedOn.Weekday()], Date(b.VisitedOn), kind, b.Officer))
	p.Ln(1)
	ids := []string{}
	if b.NIB != "" {
		ids = append(ids, "NIB "+b.NIB)
	}
	if b.NPWP != "" {
		ids = append(ids, "NPWP "+b.NPWP)
	}
	if len(b.NPPs) > 0 {
		ids = append(ids, "NPP "+strings.Join(b.NPPs, ", "))
	}
	line("Pemberi kerja: " + b.EmployerName + "\nAlamat: " + strings.Trim(b.Address+", "+b.Region, ", ") + "\n" + strings.Join(ids, " - "))
	met := b.MetName
	if b.MetPosition != "" {
		met += " (" + b.MetPosition + ")"
	}
	if met != "" {
		line("Yang ditemui: " + met)
	}
	if b.WorkersFound != nil {
		line(fmt.Sprintf("Jumlah pekerja yang dijumpai: %d orang", *b.WorkersFound))
	}
	if b.Latitude != nil && b.Long != nil {
		line(fmt.Sprintf("Lokasi: %.6f, %.6f", *b.Latitude, *b.Long))
	}
	p.Ln(3)
	p.SetFont("Helvetica", "B", 10)
	line("Hasil pemeriksaan:")
	p.SetFont("Helvetica", "", 10)
	if len(b.Findings) == 0 {
		line("Tidak ditemukan pelanggaran.")
	}
	for i, f := range b.Findings {
		s := fmt.Sprintf("%d. %s: %d pekerja", i+1, f.Name, f.Workers)
		if f.NIKs > 0 {
			s += fmt.Sprintf(" (%d NIK tercatat)", f.NIKs)
		}
		if f.Note != "" {
			s += " - " + f.Note
		}
		line(s)
	}
	if b.Commitment != "" {
		p.Ln(2)
		p.SetFont("Helvetica", "B", 10)
		line("Kesanggupan pemberi kerja:")
		p.SetFont("Helvetica", "", 10)
		due := ""
		if b.CommitmentDue != nil {
			due = "\nPaling lambat tanggal " + Date(*b.CommitmentDue) + "."
		}
		line(b.Commitment + due)
	}
	if b.Note != "" {
		p.Ln(2)
		line("Catatan: " + b.Note)
	}
	p.Ln(3)
	line("Demikian Berita Acara ini dibuat dengan sebenarnya untuk dapat dipergunakan sebagaimana mestinya.")
	p.Ln(6)
	y := p.GetY()
	p.SetFont("Helvetica", "", 10)
	p.SetXY(20, y)
	p.CellFormat(80, 5, tr("Wakil pemberi kerja,"), "", 0, "C", false, 0, "")
	p.SetXY(110, y)
	p.CellFormat(80, 5, tr("Petugas pemeriksa,"), "", 1, "C", false, 0, "")
	sign := func(name string, png []byte, x float64) {
		if len(png) == 0 {
			return
		}
		opt := fpdf.ImageOptions{ImageType: "PNG", ReadDpi: false}
		p.RegisterImageOptionsReader(name, opt, bytes.NewReader(png))
		p.ImageOptions(name, x+10, y+7, 60, 25, false, opt, 0, "")
	}
	if b.Refused {
		p.SetXY(20, y+15)
		p.CellFormat(80, 5, tr("MENOLAK MENANDATANGANI"), "", 0, "C", false, 0, "")
	} else {
		sign("employer", b.EmployerSign, 20)
	}
	sign("officer", b.OfficerSign, 110)
	p.SetXY(20, y+34)
	p.CellFormat(80, 5, tr(orDash(b.MetName)), "T", 0, "C", false, 0, "")
	p.SetXY(110, y+34)
	p.CellFormat(80, 5, tr(b.Officer), "T", 1, "C", false, 0, "")
	if p.Err() {
		return nil, fmt.Errorf("letters: bap: %w", p.Error())
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("letters: bap: %w", err)
	}
	return buf.Bytes(), nil
}

var dayNames = [7]string{"Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
