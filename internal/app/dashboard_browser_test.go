package app_test

import (
	"context"
	"encoding/base64"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"patuh/internal/auth"
	"patuh/internal/browsertest"
	"patuh/internal/db/dbtest"
	"patuh/internal/demo"
	"patuh/internal/wib"
)

// TestBrowserDashboardMap: the map draws the 267 kelurahan of Jakarta for an all-Jakarta
// supervisor and only Jakarta Timur's for a supervisor of Jakarta Timur; a click drills down
// kota → kecamatan → kelurahan → the employer list; the trend shows two snapshots and the
// projection; the monthly report generated from its page says what the meeting needs.
func TestBrowserDashboardMap(t *testing.T) {
	loadSamples(t)
	srv, a := serverWithoutWorker(t)
	d := dbtest.DB(t)
	// A second snapshot, a month after the samples' one.
	data, _ := fs.ReadFile(demo.Samples, "samples/participants.csv")
	if _, _, err := a.Importer.Create(context.Background(), 0, "test", "participants", "p2.csv",
		strings.NewReader(string(data)+"\n\n"), nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Importer.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`UPDATE snapshot_history SET snapshot_at = now() - interval '30 days'
		WHERE import_id = (SELECT min(import_id) FROM snapshot_history)`); err != nil {
		t.Fatal(err)
	}
	snapshots := count(t, `SELECT count(*) FROM snapshot_history WHERE snapshot_at >= date_trunc('year', now())`)
	if snapshots < 2 {
		t.Fatalf("%d snapshots in the history, want 2 or more", snapshots)
	}
	all := addUser(t, auth.Supervisor, "")
	timur := addUser(t, auth.Supervisor, "31.75")
	addUser(t, auth.Inspector, "31.75") // without a case: the workload lists them all the same
	kelurahanTimur := count(t, `SELECT count(*) FROM regions WHERE level = 'kelurahan' AND kode LIKE '31.75.%'`)

	paths := func(ctx context.Context) (int, string) {
		t.Helper()
		browsertest.Run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#map[data-ready="true"]`)))
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("path[data-kode]").length`))
		if err != nil {
			t.Fatal(err)
		}
		outside := browsertest.Value(t, ctx, chromedp.Evaluate[string](
			`[...document.querySelectorAll("path[data-kode]")].map(p => p.dataset.kode).filter(k => !k.startsWith("31.75")).slice(0, 3).join(",")`))
		return n, outside
	}

	desk := browsertest.New(t, 1280, 800)
	browsertest.Run(t, desk, browserLogin(srv.URL, all), chromedp.Navigate(srv.URL+"/dashboard?level=kelurahan"))
	if n, _ := paths(desk); n != 267 {
		t.Fatalf("all-Jakarta supervisor: %d kelurahan drawn, want 267", n)
	}
	inset := browsertest.Value(t, desk, chromedp.Evaluate[int](`document.querySelectorAll("#map-inset path[data-kode]").length`))
	if inset == 0 {
		t.Error("Kepulauan Seribu is not in its inset")
	}
	attribution := browsertest.Value(t, desk, chromedp.Text(chromedp.CSS("#map .leaflet-control-attribution")))
	if !strings.Contains(attribution, "BPS / OCHA HDX (CC BY-IGO)") {
		t.Errorf("map attribution: %q", attribution)
	}
	// Another measure repaints the map and its legend.
	browsertest.Run(t, desk, chromedp.SetValue(chromedp.ID("measure"), "open_cases"),
		jsDo(`document.getElementById("measure").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.CSS(`#map[data-measure="open_cases"]`)))
	legend := browsertest.Text(t, desk, "legend")
	if !strings.Contains(legend, "Kasus terbuka") {
		t.Errorf("legend after choosing open cases: %q", legend)
	}

	// The trend: two snapshots or more, the projection, said plainly.
	browsertest.Run(t, desk, chromedp.Navigate(srv.URL+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(`#map[data-ready="true"]`)))
	points := browsertest.Value(t, desk, chromedp.Evaluate[string](`document.getElementById("trend-chart").dataset.points`))
	projection := browsertest.Value(t, desk, chromedp.Evaluate[string](`document.getElementById("trend-chart").dataset.projection`))
	if points != itoa(int64(snapshots)) || projection != "2" {
		t.Errorf("trend chart: %s points (want %d), projection %s points (want 2)", points, snapshots, projection)
	}
	pace := browsertest.Text(t, desk, "pace")
	if !strings.HasPrefix(pace, "Dengan laju ini: ") || !strings.Contains(pace, "31 Desember") {
		t.Errorf("pace sentence: %q", pace)
	}
	stamp := browsertest.Text(t, desk, "data-per")
	if !strings.HasPrefix(stamp, "Data per ") || strings.ContainsAny(stamp, "-/") {
		t.Errorf("freshness stamp: %q", stamp)
	}
	browsertest.Screenshot(t, desk, "dashboard-map-desktop")
	// Every figure leads to the list behind it.
	bare := browsertest.Value(t, desk, chromedp.Evaluate[string](`[...document.querySelectorAll(
		"#employer-compliance dd, #area-table td.num, #workload-table td.num, #months-table td.num")]
		.filter(c => !c.querySelector("a")).map(c => c.closest("table, dl").id + ":" + c.textContent).join(" ")`))
	if bare != "" {
		t.Errorf("figures without a link: %s", bare)
	}
	if workload := browsertest.Text(t, desk, "workload-table"); !strings.Contains(workload, "Test inspector") {
		t.Errorf("the idle inspector is not in the workload:\n%s", workload)
	}

	// Drill down by clicking the map: kota, kecamatan, kelurahan, then the employers.
	click := func(kode string) {
		t.Helper()
		browsertest.Run(t, desk, chromedp.WaitVisible(chromedp.CSS(`#map[data-ready="true"]`)),
			jsDo(`document.querySelector('path[data-kode="`+kode+`"]').dispatchEvent(new MouseEvent("click", {bubbles: true}))`))
	}
	click("31.75")
	browsertest.Run(t, desk, chromedp.WaitVisible(chromedp.CSS(`path[data-kode="31.75.01"]`)))
	crumbs := browsertest.Text(t, desk, "crumbs")
	if !strings.Contains(crumbs, "Jakarta Timur") || strings.Contains(crumbs, "31.75") {
		t.Errorf("breadcrumbs name no region: %q", crumbs)
	}
	click("31.75.01")
	browsertest.Run(t, desk, chromedp.WaitVisible(chromedp.CSS(`path[data-kode="31.75.01.1001"]`)))
	// A kelurahan has a handful of workers: the chart's count axis still has whole ticks.
	whole, err := chromedp.Run(desk, chromedp.Evaluate[bool](`Chart.getChart(document.getElementById("area-chart")).scales.x.ticks.every(t => Number.isInteger(t.value))
		&& Chart.getChart(document.getElementById("trend-chart")).scales.y.ticks.every(t => Number.isInteger(t.value))`))
	if err != nil || !whole {
		t.Errorf("fractional ticks on a count axis: %v", err)
	}
	crumbs = browsertest.Text(t, desk, "crumbs")
	if !strings.Contains(crumbs, "Jakarta Timur") || !strings.Contains(crumbs, "Matraman") {
		t.Errorf("breadcrumbs at kecamatan: %q", crumbs)
	}
	click("31.75.01.1001")
	browsertest.Run(t, desk, chromedp.WaitVisible(chromedp.CSS("table.employers")))
	loc := browsertest.Value(t, desk, chromedp.Location())
	if !strings.HasSuffix(loc, "/employers?area=31.75.01.1001") {
		t.Errorf("the kelurahan's click led to %s", loc)
	}

	// A supervisor of Jakarta Timur sees its kelurahan only.
	other := browsertest.New(t, 1280, 800)
	browsertest.Run(t, other, browserLogin(srv.URL, timur), chromedp.Navigate(srv.URL+"/dashboard?level=kelurahan"))
	if n, outside := paths(other); n != kelurahanTimur || outside != "" {
		t.Fatalf("Jakarta Timur supervisor: %d kelurahan drawn (want %d), outside the area: %q", n, kelurahanTimur, outside)
	}

	// The phone.
	phone := browsertest.New(t, 390, 844)
	browsertest.Run(t, phone, browserLogin(srv.URL, all), chromedp.Navigate(srv.URL+"/dashboard"),
		chromedp.WaitVisible(chromedp.CSS(`#map[data-ready="true"]`)))
	browsertest.Screenshot(t, phone, "dashboard-map-phone")

	// The monthly report, generated from its page for the current month.
	browsertest.Run(t, desk, chromedp.Navigate(srv.URL+"/reports"),
		chromedp.SetValue(chromedp.ID("month"), time.Now().In(wib.Zone).Format("2006-01")),
		chromedp.Click(chromedp.ID("generate-report")),
		chromedp.WaitVisible(chromedp.CSS(`#reports-table a[href$="/report.pdf"]`)))
	browsertest.Screenshot(t, desk, "reports-desktop")
	b64, err := chromedp.Run(desk, chromedp.Evaluate[string](`fetch(document.querySelector('#reports-table a[href$="/report.pdf"]').href)
		.then(r => r.arrayBuffer()).then(b => { const u = new Uint8Array(b); let s = ""; for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode(...u.subarray(i, i + 8192)); return btoa(s); })`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := base64.StdEncoding.DecodeString(b64)
	savePDF(t, pdf, "monthly-report")
	text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
	month := map[time.Month]string{1: "Januari", 2: "Februari", 3: "Maret", 4: "April", 5: "Mei", 6: "Juni", 7: "Juli",
		8: "Agustus", 9: "September", 10: "Oktober", 11: "November", 12: "Desember"}[time.Now().In(wib.Zone).Month()]
	for _, want := range []string{"LAPORAN BULANAN NOTA KESEPAHAMAN", "Bulan laporan: " + month, "Data per ",
		"Kasus dibuka bulan ini", "Kasus ditutup bulan ini", "Pekerja terdaftar kembali", "Iuran bulanan yang pulih",
		"Tindak lanjut lewat tenggat", "Jakarta Timur", "Kepulauan Seribu", "Dengan laju ini:",
		"Batas wilayah: BPS / OCHA HDX (CC BY-IGO)", "Target dari waktu ke waktu", "Kepatuhan pemberi kerja per kota",
		"Penanganan kasus bulan " + month} {
		if !strings.Contains(text, want) {
			t.Errorf("monthly report lacks %q:\n%s", want, text)
		}
	}
}

// savePDF keeps a PDF beside the screenshots under testout/, and its first page as a PNG
// when pdftoppm is installed, to be looked at.
func savePDF(t *testing.T, pdf []byte, name string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testout")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(out, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if bin, err := exec.LookPath("pdftoppm"); err == nil {
		if err := exec.Command(bin, "-png", "-r", "60", out, filepath.Join(dir, name)).Run(); err != nil {
			t.Fatal(err)
		}
	}
}

// jsDo runs a script as a step, its value unused.
func jsDo(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](expr+`, true`)(ctx, tg)
		return err
	})
}
