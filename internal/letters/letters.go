// Package letters writes the enforcement letters of a case as PDF, in Bahasa Indonesia: the
// written warnings (teguran I and II) and the inspection note (Nota Pemeriksaan I).
package letters

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"patuh/internal/format"
)

// Kinds are the follow-ups that come with a letter.
var Kinds = map[string]string{
	"teguran_1": "SURAT TEGURAN TERTULIS I",
	"teguran_2": "SURAT TEGURAN TERTULIS II",
	"nota_1":    "NOTA PEMERIKSAAN I",
}

// Finding is one flag of the case as the letter states it.
type Finding struct {
	Code, Name, Detail string
	Workers            int
	ShortfallRp        int64
}

// Letter is what a letter says.
type Letter struct {
	Kind         string
	Number       string
	IssuedOn     time.Time
	DueOn        time.Time
	EmployerName string
	Address      string
	Region       string
	NIB, NPWP    string
	NPPs         []string
	Findings     []Finding
	OfficerName  string
	WorkingDays  int
	CalendarDays bool
}

// Date writes 13 Februari 2025.
func Date(t time.Time) string { return format.Date(t, "id") }

// legalBasis differs by track: BPJS warnings rest on UU 24/2011 and PP 86/2013; the labour
// inspector's note on UU 3/1951 and Permenaker 33/2016.
func legalBasis(kind string) []string {
	if kind == "nota_1" {
		return []string{
			"Undang-Undang Nomor 3 Tahun 1951 tentang Pengawasan Perburuhan;",
			"Undang-Undang Nomor 24 Tahun 2011 tentang BPJS, Pasal 15 dan Pasal 19;",
			"Peraturan Menteri Ketenagakerjaan Nomor 33 Tahun 2016 tentang Tata Cara Pengawasan Ketenagakerjaan.",
		}
	}
	return []string{
		"Undang-Undang Nomor 24 Tahun 2011 tentang BPJS, Pasal 15, Pasal 17 dan Pasal 19;",
		"Peraturan Pemerintah Nomor 86 Tahun 2013 tentang Tata Cara Pengenaan Sanksi Administratif, Pasal 5 dan Pasal 6;",
		"Peraturan Presiden Nomor 109 Tahun 2013 tentang Penahapan Kepesertaan Program Jaminan Sosial.",
	}
}

// PDF renders the letter. Compression is off so that the text can be checked by a test and
// found by a search tool in an archive.
func PDF(l Letter) ([]byte, error) {
	title, ok := Kinds[l.Kind]
	if !ok {
		return nil, fmt.Errorf("letters: no letter for %q", l.Kind)
	}
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(false)
	p.SetMargins(20, 20, 20)
	p.SetTitle(title, true)
	p.AddPage()
	tr := p.UnicodeTranslatorFromDescriptor("")
	issuer := "BPJS KETENAGAKERJAAN - KANTOR WILAYAH DKI JAKARTA"
	if l.Kind == "nota_1" {
		issuer = "DINAS TENAGA KERJA, TRANSMIGRASI DAN ENERGI PROVINSI DKI JAKARTA"
	}
	p.SetFont("Helvetica", "B", 12)
	p.CellFormat(0, 7, tr(issuer), "", 1, "C", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	p.CellFormat(0, 5, tr("dalam rangka Inpres 2/2021 dan Nota Kesepahaman 13 Februari 2025"), "B", 1, "C", false, 0, "")
	p.Ln(6)
	p.SetFont("Helvetica", "B", 13)
	p.CellFormat(0, 7, tr(title), "", 1, "C", false, 0, "")
	p.SetFont("Helvetica", "", 10)
	p.CellFormat(0, 5, tr("Nomor: "+l.Number), "", 1, "C", false, 0, "")
	p.Ln(6)
	line := func(s string) { p.MultiCell(0, 5.5, tr(s), "", "L", false) }
	line("Jakarta, " + Date(l.IssuedOn))
	p.Ln(2)
	line("Kepada Yth.\nPimpinan " + l.EmployerName + "\n" + l.Address + "\n" + l.Region)
	ids := []string{}
	if l.NIB != "" {
		ids = append(ids, "NIB "+l.NIB)
	}
	if l.NPWP != "" {
		ids = append(ids, "NPWP "+l.NPWP)
	}
	if len(l.NPPs) > 0 {
		ids = append(ids, "NPP "+strings.Join(l.NPPs, ", "))
	}
	line(strings.Join(ids, " - "))
	p.Ln(4)
	line("Berdasarkan data kepesertaan BPJS Ketenagakerjaan dan data ketenagakerjaan Pemerintah Provinsi DKI Jakarta, " +
		"serta hasil pemeriksaan, Saudara belum memenuhi kewajiban sebagai pemberi kerja sebagai berikut:")
	p.Ln(2)
	p.SetFont("Helvetica", "B", 10)
	p.CellFormat(35, 6, "Kategori", "1", 0, "L", false, 0, "")
	p.CellFormat(25, 6, "Pekerja", "1", 0, "R", false, 0, "")
	p.CellFormat(40, 6, "Kekurangan/bulan", "1", 0, "R", false, 0, "")
	p.CellFormat(0, 6, "Keterangan", "1", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	for _, f := range l.Findings {
		p.CellFormat(35, 6, f.Code, "1", 0, "L", false, 0, "")
		p.CellFormat(25, 6, fmt.Sprint(f.Workers), "1", 0, "R", false, 0, "")
		p.CellFormat(40, 6, format.Rupiah(f.ShortfallRp), "1", 0, "R", false, 0, "")
		p.CellFormat(0, 6, tr(format.Truncate(f.Name, 60)), "1", 1, "L", false, 0, "")
	}
	p.SetFont("Helvetica", "", 10)
	p.Ln(4)
	line("Dasar hukum:")
	for i, b := range legalBasis(l.Kind) {
		line(fmt.Sprintf("%d. %s", i+1, b))
	}
	p.Ln(2)
	period := fmt.Sprintf("%d hari kerja", l.WorkingDays)
	if l.CalendarDays {
		period = fmt.Sprintf("%d hari", l.WorkingDays)
	}
	line("Saudara diminta untuk memenuhi kewajiban tersebut dalam waktu " + period + ", paling lambat tanggal " +
		Date(l.DueOn) + ", dengan mendaftarkan seluruh pekerja beserta upah yang sebenarnya pada seluruh program yang wajib " +
		"dan melunasi tunggakan iuran. Apabila tidak dipenuhi, akan dikenakan sanksi administratif sesuai ketentuan " +
		"peraturan perundang-undangan.")
	p.Ln(10)
	line("Petugas Pemeriksa,\n\n\n\n" + l.OfficerName)
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("letters: %w", err)
	}
	return buf.Bytes(), nil
}
