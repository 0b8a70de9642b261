package report

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"patuh/internal/auth"
	"patuh/internal/dashboard"
	"patuh/internal/format"
	"patuh/internal/letters"
	"patuh/internal/regions"
	"patuh/internal/web"
	"patuh/internal/wib"
)

// The map's five shades, light to dark (the dashboard's, static/js/dashboard.js).
var shades = [5][3]int{{0xef, 0xf3, 0xff}, {0xbd, 0xd7, 0xe7}, {0x6b, 0xae, 0xd6}, {0x31, 0x82, 0xbd}, {0x08, 0x51, 0x9c}}

func num(n int64) string { return web.FormatNumber(n) }

// monthName writes November 2026.
func monthName(t time.Time) string {
	d := letters.Date(t)
	_, rest, _ := strings.Cut(d, " ")
	return rest
}

func shortName(nama string) string {
	nama = strings.TrimPrefix(nama, "Kota Administrasi ")
	return strings.TrimPrefix(nama, "Kabupaten Administrasi ")
}

// PDF renders the report. Compression is off, as for the letters, so that the text can be
// checked by a test and found by a search tool in an archive.
func PDF(d *Data) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(false)
	p.SetMargins(15, 15, 15)
	p.SetAutoPageBreak(true, 15)
	title := "Laporan Bulanan Kepatuhan Jaminan Sosial Ketenagakerjaan - " + monthName(d.Month)
	p.SetTitle(title, true)
	p.SetAuthor("Patuh", true)
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.SetFooterFunc(func() {
		p.SetY(-12)
		p.SetFont("Helvetica", "", 8)
		p.CellFormat(0, 5, tr(fmt.Sprintf("Patuh - laporan bulanan %s - halaman %d", monthName(d.Month), p.PageNo())), "", 0, "C", false, 0, "")
	})
	p.AddPage()

	p.SetFont("Helvetica", "B", 12)
	p.CellFormat(0, 6, tr("LAPORAN BULANAN NOTA KESEPAHAMAN"), "", 1, "C", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	p.CellFormat(0, 5, tr("Pemerintah Provinsi DKI Jakarta dan BPJS Ketenagakerjaan Kantor Wilayah DKI Jakarta (Inpres 2/2021)"), "B", 1, "C", false, 0, "")
	p.Ln(3)
	p.SetFont("Helvetica", "B", 14)
	p.MultiCell(0, 7, tr("Kepatuhan Jaminan Sosial Ketenagakerjaan: "+d.AreaName), "", "L", false)
	p.SetFont("Helvetica", "", 10)
	dataPer := "belum ada snapshot kepesertaan"
	if n := len(d.History.Items); n > 0 {
		dataPer = letters.Date(d.History.Items[n-1].At)
	}
	p.MultiCell(0, 5, tr(fmt.Sprintf("Bulan laporan: %s. Data per %s. Dibuat %s.", monthName(d.Month), dataPer, letters.Date(d.GeneratedAt))), "", "L", false)
	p.Ln(2)

	// Summary: the figures the meeting asks first.
	p.SetFont("Helvetica", "B", 11)
	p.CellFormat(0, 6, tr("Ringkasan"), "", 1, "L", false, 0, "")
	var all dashboard.Area
	for _, a := range d.Kota {
		all.Employers += a.Employers
		all.FlaggedEmployers += a.FlaggedEmployers
		all.UnenrolledWorkers += a.UnenrolledWorkers
		all.ShortfallRp += a.ShortfallRp
		all.OpenCases += a.OpenCases
	}
	h := d.History
	latest := int64(0)
	if n := len(h.Items); n > 0 {
		latest = h.Items[n-1].Residents
	}
	rows := [][2]string{
		{"Peserta aktif penduduk Jakarta (NIK 31)", num(latest)},
		{fmt.Sprintf("Target %d", h.Year), num(h.Target)},
		{"Kekurangan dari target", num(h.Gap) + " peserta"},
		{"Pemberi kerja bertanda / seluruhnya", num(all.FlaggedEmployers) + " / " + num(all.Employers)},
		{"Pekerja belum terdaftar", num(all.UnenrolledWorkers)},
		{"Kekurangan iuran per bulan", format.Rupiah(all.ShortfallRp)},
		{"Kasus dibuka bulan ini", num(int64(d.Total.Opened))},
		{"Kasus ditutup bulan ini", num(int64(d.Total.Closed))},
		{"Pekerja terdaftar kembali (kasus ditutup bulan ini)", num(d.Total.Recovered)},
		{"Iuran bulanan yang pulih (kasus ditutup bulan ini)", format.Rupiah(d.Total.RecoveredRp)},
		{"Tindak lanjut lewat tenggat (per tanggal pembuatan)", num(int64(d.Total.Overdue))},
		{"Kasus terbuka", num(int64(all.OpenCases))},
	}
	p.SetFont("Helvetica", "", 9.5)
	for _, r := range rows {
		p.CellFormat(110, 5.5, tr(r[0]), "B", 0, "L", false, 0, "")
		p.CellFormat(0, 5.5, tr(r[1]), "B", 1, "R", false, 0, "")
	}
	p.Ln(2)
	p.SetFont("Helvetica", "B", 10)
	p.MultiCell(0, 5.5, tr(d.Pace), "", "L", false)
	p.Ln(2)

	// The map: the areas below the report's level, shaded by unenrolled workers.
	p.SetFont("Helvetica", "B", 11)
	p.CellFormat(0, 6, tr("Peta: pekerja belum terdaftar per wilayah"), "", 1, "L", false, 0, "")
	top := p.GetY()
	if err := drawMap(p, d, 15, top, 180, 100); err != nil {
		return nil, err
	}
	p.SetY(top + 108)
	p.SetFont("Helvetica", "", 7.5)
	p.CellFormat(0, 4, tr("Pekerja belum terdaftar per "+map[int]string{0: "kecamatan", 5: "kelurahan", 8: "kelurahan"}[len(d.Area)]+"; makin gelap, makin banyak. "+regions.Attribution), "", 1, "R", false, 0, "")

	p.AddPage()
	p.SetFont("Helvetica", "B", 11)
	p.CellFormat(0, 6, tr(fmt.Sprintf("Target dari waktu ke waktu (%d)", h.Year)), "", 1, "L", false, 0, "")
	top = p.GetY()
	drawTrend(p, tr, h, 15, top+2, 180, 70)
	p.SetY(top + 82)

	level := map[int]string{0: "Kota", 5: "Kecamatan", 8: "Kelurahan"}[len(d.Area)]
	p.SetFont("Helvetica", "B", 11)
	p.CellFormat(0, 6, tr("Kepatuhan pemberi kerja per "+strings.ToLower(level)), "", 1, "L", false, 0, "")
	header := func(cols []string, widths []float64) {
		p.SetFont("Helvetica", "B", 8.5)
		p.SetFillColor(230, 236, 242)
		for i, c := range cols {
			align := "R"
			if i == 0 {
				align = "L"
			}
			p.CellFormat(widths[i], 6, tr(c), "1", 0, align, true, 0, "")
		}
		p.Ln(-1)
		p.SetFont("Helvetica", "", 8.5)
	}
	w1 := []float64{50, 24, 24, 28, 32, 22}
	header([]string{level, "Pemberi kerja", "Bertanda", "Blm terdaftar", "Kekurangan/bln", "Kasus buka"}, w1)
	for _, a := range d.Kota {
		vals := []string{shortName(a.Nama), num(a.Employers), num(a.FlaggedEmployers), num(a.UnenrolledWorkers), format.Rupiah(a.ShortfallRp), num(int64(a.OpenCases))}
		for i, v := range vals {
			align := "R"
			if i == 0 {
				align = "L"
			}
			p.CellFormat(w1[i], 5.5, tr(v), "1", 0, align, false, 0, "")
		}
		p.Ln(-1)
	}
	p.Ln(4)
	p.SetFont("Helvetica", "B", 11)
	p.CellFormat(0, 6, tr("Penanganan kasus bulan "+monthName(d.Month)+" per "+strings.ToLower(level)), "", 1, "L", false, 0, "")
	w2 := []float64{50, 22, 22, 28, 36, 22}
	header([]string{level, "Dibuka", "Ditutup", "Pekerja pulih", "Iuran pulih/bln", "Lewat tenggat"}, w2)
	line := func(name string, c KotaCases, bold bool) {
		if bold {
			p.SetFont("Helvetica", "B", 8.5)
		}
		vals := []string{name, num(int64(c.Opened)), num(int64(c.Closed)), num(c.Recovered), format.Rupiah(c.RecoveredRp), num(int64(c.Overdue))}
		for i, v := range vals {
			align := "R"
			if i == 0 {
				align = "L"
			}
			p.CellFormat(w2[i], 5.5, tr(v), "1", 0, align, false, 0, "")
		}
		p.Ln(-1)
		p.SetFont("Helvetica", "", 8.5)
	}
	for _, a := range d.Kota {
		line(shortName(a.Nama), d.Cases[a.Kode], false)
	}
	if c, ok := d.Cases[""]; ok {
		line("Tanpa wilayah (pengaduan)", c, false)
	}
	line("Jumlah", d.Total, true)
	p.Ln(3)
	p.SetFont("Helvetica", "", 8)
	p.MultiCell(0, 4, tr("Pekerja belum terdaftar dan kekurangan iuran dihitung dari data WLKP dan kepesertaan BPJS Ketenagakerjaan "+
		"yang berlaku (tanda PWBD dan PDS). Cakupan penduduk dihitung dari NIK berawalan 31, terpisah dari kepatuhan pemberi kerja. "+
		"Iuran yang pulih: kekurangan iuran saat kasus dibuka dikurangi kekurangan saat ini."), "", "L", false)

	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return buf.Bytes(), nil
}

// drawMap draws the outlines of the map's areas as vector polygons, Kepulauan Seribu in an
// inset at the top left, with a legend below.
func drawMap(p *fpdf.Fpdf, d *Data, x, y, w, h float64) error {
	level := map[int]string{0: "kecamatan", 5: "kelurahan", 8: "kelurahan"}[len(d.Area)]
	bs, err := regions.Boundaries(&auth.User{Area: d.Area}, level, d.Area)
	if err != nil {
		return err
	}
	values := map[string]int64{}
	var most int64
	for _, a := range d.Kecamatan {
		values[a.Kode] = a.UnenrolledWorkers
		most = max(most, a.UnenrolledWorkers)
	}
	var mainland, islands []regions.Boundary
	for _, b := range bs {
		if strings.HasPrefix(b.Kode, regions.KepulauanSeribu) && d.Area == "" {
			islands = append(islands, b)
		} else {
			mainland = append(mainland, b)
		}
	}
	p.SetDrawColor(120, 130, 140)
	p.Rect(x, y, w, h, "D")
	draw := func(bs []regions.Boundary, bx, by, bw, bh float64) {
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, b := range bs {
			for _, poly := range b.Polygons {
				for _, pt := range poly[0] {
					minX, maxX = math.Min(minX, pt[0]), math.Max(maxX, pt[0])
					minY, maxY = math.Min(minY, pt[1]), math.Max(maxY, pt[1])
				}
			}
		}
		if math.IsInf(minX, 0) {
			return
		}
		// Equirectangular, longitude shrunk by the cosine of the latitude (6° S: 0.995).
		k := math.Cos((minY + maxY) / 2 * math.Pi / 180)
		sx := (bw - 4) / ((maxX - minX) * k)
		sy := (bh - 4) / (maxY - minY)
		s := math.Min(sx, sy)
		ox := bx + (bw-(maxX-minX)*k*s)/2
		oy := by + (bh-(maxY-minY)*s)/2
		p.SetLineWidth(0.15)
		for _, b := range bs {
			c := shades[class(values[b.Kode], most)]
			p.SetFillColor(c[0], c[1], c[2])
			for _, poly := range b.Polygons {
				pts := make([]fpdf.PointType, 0, len(poly[0]))
				for _, pt := range poly[0] {
					pts = append(pts, fpdf.PointType{X: ox + (pt[0]-minX)*k*s, Y: oy + (maxY-pt[1])*s})
				}
				p.Polygon(pts, "DF")
			}
		}
	}
	draw(mainland, x, y, w, h)
	if len(islands) > 0 {
		ix, iy, iw, ih := x+2, y+2, 38.0, 34.0
		p.SetFillColor(255, 255, 255)
		p.SetDrawColor(90, 100, 110)
		p.Rect(ix, iy, iw, ih, "FD")
		draw(islands, ix, iy, iw, ih-5)
		p.SetFont("Helvetica", "", 7)
		p.SetXY(ix, iy+ih-5)
		p.CellFormat(iw, 4.5, "Kepulauan Seribu", "", 0, "C", false, 0, "")
	}
	// Legend.
	p.SetXY(x, y+h+1.5)
	p.SetFont("Helvetica", "", 7.5)
	for i := range 5 {
		lo, hi := int64(0), most*int64(i+1)/5
		if i > 0 {
			lo = most*int64(i)/5 + 1
		}
		if hi < lo {
			continue
		}
		c := shades[i]
		p.SetFillColor(c[0], c[1], c[2])
		p.Rect(p.GetX()+1, y+h+2.2, 6, 3.5, "FD")
		p.SetX(p.GetX() + 8)
		p.CellFormat(28, 5, num(lo)+" - "+num(hi), "", 0, "L", false, 0, "")
	}
	return nil
}

func class(v, most int64) int {
	if most == 0 || v == 0 {
		return 0
	}
	return min(4, int(math.Ceil(float64(v)/float64(most)*5))-1)
}

// drawTrend draws the resident count per snapshot against the target, and the projection to
// 31 December dashed.
func drawTrend(p *fpdf.Fpdf, tr func(string) string, h *dashboard.History, x, y, w, ht float64) {
	start := time.Date(h.Year, 1, 1, 0, 0, 0, 0, wib.Zone)
	day := func(t time.Time) float64 { return t.Sub(start).Hours() / 24 }
	lo, hi := math.Inf(1), float64(h.Target)
	minDay := 0.0
	for _, it := range h.Items {
		lo, hi = math.Min(lo, float64(it.Residents)), math.Max(hi, float64(it.Residents))
		minDay = math.Min(minDay, day(it.At))
	}
	if pr := h.Projection; pr != nil {
		lo, hi = math.Min(lo, float64(pr.Residents)), math.Max(hi, float64(pr.Residents))
	}
	if math.IsInf(lo, 0) {
		lo = 0
	}
	lo = math.Max(0, lo-(hi-lo)*0.15-1)
	hi = hi + (hi-lo)*0.08 + 1
	// A round step for the count axis: whole numbers only.
	step := math.Pow(10, math.Floor(math.Log10((hi-lo)/4)))
	for (hi-lo)/step > 6 {
		step *= 2
	}
	step = math.Max(1, math.Round(step))
	lo = math.Floor(lo/step) * step
	left := x + 22
	plotW, plotH := w-24, ht-10
	px := func(d float64) float64 { return left + (d-minDay)/(365-minDay)*plotW }
	py := func(v float64) float64 { return y + plotH - (v-lo)/(hi-lo)*plotH }
	p.SetDrawColor(200, 205, 210)
	p.SetLineWidth(0.1)
	p.SetFont("Helvetica", "", 7)
	for v := lo; v <= hi; v += step {
		p.Line(left, py(v), left+plotW, py(v))
		p.SetXY(x, py(v)-2)
		p.CellFormat(21, 4, num(int64(v)), "", 0, "R", false, 0, "")
	}
	months := []string{"Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"}
	for m := range 12 {
		d := day(time.Date(h.Year, time.Month(m+1), 1, 0, 0, 0, 0, wib.Zone))
		p.Line(px(d), y, px(d), y+plotH)
		p.SetXY(px(d), y+plotH+1)
		p.CellFormat(plotW/12, 4, months[m], "", 0, "L", false, 0, "")
	}
	p.SetDrawColor(60, 70, 80)
	p.Rect(left, y, plotW, plotH, "D")
	if h.Target > 0 {
		p.SetDrawColor(6, 118, 71)
		p.SetLineWidth(0.5)
		p.Line(left, py(float64(h.Target)), left+plotW, py(float64(h.Target)))
	}
	p.SetDrawColor(11, 92, 138)
	p.SetFillColor(11, 92, 138)
	p.SetLineWidth(0.6)
	for i, it := range h.Items {
		cx, cy := px(day(it.At)), py(float64(it.Residents))
		if i > 0 {
			prev := h.Items[i-1]
			p.Line(px(day(prev.At)), py(float64(prev.Residents)), cx, cy)
		}
		p.Circle(cx, cy, 0.9, "F")
	}
	if pr := h.Projection; pr != nil && len(h.Items) > 0 {
		last := h.Items[len(h.Items)-1]
		p.SetDrawColor(181, 71, 8)
		p.SetDashPattern([]float64{2, 1.5}, 0)
		p.Line(px(day(last.At)), py(float64(last.Residents)), px(364), py(float64(pr.Residents)))
		p.SetDashPattern([]float64{}, 0)
	}
	p.SetLineWidth(0.2)
	// Key.
	p.SetXY(left, y+plotH+6)
	key := func(r, g, b int, label string, dashed bool) {
		p.SetDrawColor(r, g, b)
		p.SetLineWidth(0.6)
		if dashed {
			p.SetDashPattern([]float64{2, 1.5}, 0)
		}
		xx := p.GetX()
		p.Line(xx, p.GetY()+2, xx+8, p.GetY()+2)
		p.SetDashPattern([]float64{}, 0)
		p.SetX(xx + 10)
		p.CellFormat(48, 4, tr(label), "", 0, "L", false, 0, "")
	}
	key(11, 92, 138, "Peserta penduduk Jakarta", false)
	key(6, 118, 71, fmt.Sprintf("Target %d: %s", h.Year, num(h.Target)), false)
	if h.Projection != nil {
		key(181, 71, 8, "Proyeksi: "+num(h.Projection.Residents)+" pada 31 Des", true)
	}
	p.SetLineWidth(0.2)
	p.SetDrawColor(0, 0, 0)
}
