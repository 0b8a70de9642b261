// Package letters writes the enforcement letters of a case as PDF, in Bahasa Indonesia: the
// written warnings (teguran I and II) and the inspection note (Nota Pemeriksaan I).
package letters

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"patuh/internal/flags"
	"patuh/internal/format"
)

// Kinds are the follow-ups that come with a letter.
var Kinds = map[string]string{
	"teguran_1": "SURAT TEGURAN TERTULIS I",
	"teguran_2": "SURAT TEGURAN TERTULIS II",
	"nota_1":    "NOTA PEMERIKSAAN I",
}

// Finding is one flag of the case as the letter states it: in words (Words), never by its
// code. Missing names the programmes a PDS_PROGRAM employer lacks (JHT, JP, …); ArrearsMonths
// and ArrearsRp are the arrears of a MENUNGGAK one.
type Finding struct {
	Code          flags.Code
	Name, Detail  string
	Workers       int
	ShortfallRp   int64
	Missing       []string
	ArrearsMonths int
	ArrearsRp     int64
}

// Programmes are the social security programmes by their names in law (PP 44/2015, 45/2015,
// 46/2015, 37/2021).
var Programmes = map[string]string{
	"JKK": "Jaminan Kecelakaan Kerja (JKK)", "JKM": "Jaminan Kematian (JKM)", "JHT": "Jaminan Hari Tua (JHT)",
	"JP": "Jaminan Pensiun (JP)", "JKP": "Jaminan Kehilangan Pekerjaan (JKP)",
}

// Words states a finding as a sentence of the letter.
func (f Finding) Words() string {
	switch f.Code {
	case flags.PWBD:
		return fmt.Sprintf("Perusahaan belum terdaftar sebagai peserta BPJS Ketenagakerjaan, sedangkan mempekerjakan %s orang pekerja.",
			Count(f.Workers))
	case flags.PDSTK:
		return fmt.Sprintf("Sebanyak %s orang pekerja belum didaftarkan sebagai peserta BPJS Ketenagakerjaan.", Count(f.Workers))
	case flags.PDSUpah:
		return fmt.Sprintf("Upah %s orang pekerja dilaporkan lebih rendah dari upah yang sebenarnya dibayarkan.", Count(f.Workers))
	case flags.PDSProgram:
		names := make([]string, 0, len(f.Missing))
		for _, m := range f.Missing {
			if n, ok := Programmes[m]; ok {
				names = append(names, n)
			} else {
				names = append(names, m)
			}
		}
		return fmt.Sprintf("Pekerja belum diikutsertakan dalam program %s yang wajib bagi perusahaan Saudara (%s orang peserta aktif).",
			joinAnd(names), Count(f.Workers))
	case flags.Menunggak:
		return fmt.Sprintf("Terdapat tunggakan iuran selama %d bulan sebesar %s.", f.ArrearsMonths, format.Rupiah(f.ArrearsRp))
	}
	return f.Name
}

// joinAnd writes "A, B dan C".
func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " dan " + xs[len(xs)-1]
}

// Count writes 1.234.
func Count(n int) string { return format.Int(int64(n)) }

// Visit is what the letter cites of the last visit: its Berita Acara, what it found and what
// the employer committed to.
type Visit struct {
	On            time.Time
	Kind          string
	MetName       string
	MetPosition   string
	Findings      []string
	Commitment    string
	CommitmentDue *time.Time
}

// Signer is the person who signs: their name, position (jabatan) and NIP.
type Signer struct {
	Name, Position, NIP string
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
	// Sifat, Lampiran and Perihal head the letter as an agency letter does.
	Sifat, Lampiran, Perihal string
	Visit                    *Visit
	Signer                   Signer
	WorkingDays              int
	CalendarDays             bool
}

// Perihal is the subject line of a letter of a kind.
func Perihal(kind string) string {
	switch kind {
	case "teguran_1":
		return "Teguran Tertulis Pertama atas Kewajiban Kepesertaan Program Jaminan Sosial Ketenagakerjaan"
	case "teguran_2":
		return "Teguran Tertulis Kedua atas Kewajiban Kepesertaan Program Jaminan Sosial Ketenagakerjaan"
	case "nota_1":
		return "Nota Pemeriksaan I atas Pelanggaran Norma Jaminan Sosial Ketenagakerjaan"
	}
	return ""
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
	p.SetMargins(20, 15, 20)
	p.SetAutoPageBreak(true, 15)
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
	p.Ln(4)
	p.SetFont("Helvetica", "B", 13)
	p.CellFormat(0, 7, tr(title), "", 1, "C", false, 0, "")
	p.SetFont("Helvetica", "", 10)
	p.Ln(2)
	line := func(s string) { p.MultiCell(0, 5, tr(s), "", "L", false) }
	// Nomor, Sifat, Lampiran, Perihal on the left; the place and date on the right.
	top := p.GetY()
	head := func(label, value string) {
		p.SetX(20)
		p.CellFormat(22, 5.5, label, "", 0, "L", false, 0, "")
		p.CellFormat(3, 5.5, ":", "", 0, "L", false, 0, "")
		p.MultiCell(95, 5.5, tr(value), "", "L", false)
	}
	perihal := l.Perihal
	if perihal == "" {
		perihal = Perihal(l.Kind)
	}
	sifat, lampiran := l.Sifat, l.Lampiran
	if sifat == "" {
		sifat = "Penting"
	}
	if lampiran == "" {
		lampiran = "-"
	}
	head("Nomor", l.Number)
	head("Sifat", sifat)
	head("Lampiran", lampiran)
	head("Perihal", perihal)
	after := p.GetY()
	p.SetXY(140, top)
	p.CellFormat(50, 5.5, tr("Jakarta, "+Date(l.IssuedOn)), "", 0, "R", false, 0, "")
	p.SetY(after)
	p.Ln(3)
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
	p.Ln(3)
	line("Berdasarkan data kepesertaan BPJS Ketenagakerjaan dan data ketenagakerjaan Pemerintah Provinsi DKI Jakarta, " +
		"serta hasil pemeriksaan, Saudara belum memenuhi kewajiban sebagai pemberi kerja sebagai berikut:")
	p.Ln(2)
	var shortfall int64
	for i, f := range l.Findings {
		p.SetX(25)
		p.MultiCell(0, 5, tr(fmt.Sprintf("%d. %s", i+1, f.Words())), "", "L", false)
		shortfall += f.ShortfallRp
	}
	if shortfall > 0 {
		p.Ln(1)
		line("Perkiraan iuran yang belum dibayarkan: " + format.Rupiah(shortfall) + " setiap bulan.")
	}
	if v := l.Visit; v != nil {
		p.Ln(2)
		met := ""
		if v.MetName != "" {
			met = ", diterima oleh " + v.MetName
			if v.MetPosition != "" {
				met += " (" + v.MetPosition + ")"
			}
		}
		kind := visitKinds[v.Kind]
		if kind == "" {
			kind = "pemeriksaan"
		}
		line("Hal tersebut sesuai dengan Berita Acara Pemeriksaan " + kind + " tanggal " + Date(v.On) + met + ", yang mencatat:")
		for _, f := range v.Findings {
			p.SetX(25)
			p.MultiCell(0, 5, tr("- "+f), "", "L", false)
		}
		if v.Commitment != "" {
			due := ""
			if v.CommitmentDue != nil {
				due = " paling lambat tanggal " + Date(*v.CommitmentDue)
			}
			line("Pada pemeriksaan tersebut pemberi kerja menyatakan kesanggupan: \"" + v.Commitment + "\"" + due + ".")
		}
	}
	p.Ln(3)
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
	p.Ln(4)
	// The signature block: position, space to sign, the name underlined, the NIP; kept on one
	// page (A4 is 297 mm; the block takes about 40).
	if _, h := p.GetPageSize(); p.GetY() > h-15-38 {
		p.AddPage()
	}
	p.SetX(115)
	sig := l.Signer
	position := sig.Position
	if position == "" {
		position = "Petugas Pemeriksa"
	}
	p.MultiCell(75, 5.5, tr(position+","), "", "L", false)
	p.Ln(14)
	p.SetX(115)
	p.SetFont("Helvetica", "BU", 10)
	p.MultiCell(75, 5.5, tr(sig.Name), "", "L", false)
	p.SetFont("Helvetica", "", 10)
	if sig.NIP != "" {
		p.SetX(115)
		p.MultiCell(75, 5.5, tr("NIP "+sig.NIP), "", "L", false)
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("letters: %w", err)
	}
	return buf.Bytes(), nil
}
