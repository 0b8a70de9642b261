package app_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"patuh/internal/audit"
	"patuh/internal/auth"
	"patuh/internal/db/dbtest"
)

// TestCalendarBanner: on 3 December 2026 the confirmed calendar (2025, 2026) does not reach 90
// days ahead; admins see it on every page, others never. Confirming 2027 ends it.
func TestCalendarBanner(t *testing.T) {
	srv := server(t)
	d := dbtest.DB(t)
	d.MustExec(`UPDATE holiday_years SET confirmed_at = NULL WHERE year > 2026`)
	admin, spv := newClient(t, srv), newClient(t, srv)
	admin.login(addUser(t, auth.Admin, ""), password)
	spv.login(addUser(t, auth.Supervisor, ""), password)
	banner := "Kalender hari libur 2027 belum dikonfirmasi"
	for _, path := range []string{"/", "/admin/reference", "/imports", "/cases"} {
		if _, body := admin.do("GET", path, nil, nil); !strings.Contains(body, banner) || !strings.Contains(body, `href="/admin/reference?year=2027#calendar"`) {
			t.Errorf("admin %s: no calendar banner", path)
		}
	}
	if _, body := spv.do("GET", "/", nil, nil); strings.Contains(body, `id="banner"`) {
		t.Error("a supervisor sees the admins' banner")
	}
	// The seeded 2027 is not confirmed, and the admin home links the reference data.
	_, body := admin.do("GET", "/", nil, nil)
	if !strings.Contains(body, `<a href="/admin/reference">data rujukan</a>`) {
		t.Error("the admin home does not link its reference data")
	}
	res, _ := admin.do("POST", "/admin/reference/years", url.Values{"year": {"2027"}, "confirmed": {"true"}}, nil)
	if res.StatusCode != 303 {
		t.Fatalf("confirm 2027: %d", res.StatusCode)
	}
	if _, body := admin.do("GET", "/", nil, nil); strings.Contains(body, `id="banner"`) {
		t.Error("banner still shown with 2027 confirmed")
	}
	admin.do("POST", "/admin/reference/years", url.Values{"year": {"2027"}, "confirmed": {"false"}}, nil)
	if _, body := admin.do("GET", "/", nil, nil); !strings.Contains(body, banner) {
		t.Error("banner not back after the confirmation was withdrawn")
	}
}

// TestReferencePageRefusesBadValues: the page answers a refused value with 422, the message in
// the reader's language next to the form, and what was typed kept.
func TestReferencePageRefusesBadValues(t *testing.T) {
	srv := server(t)
	c := newClient(t, srv)
	c.login(addUser(t, auth.Admin, ""), password)
	posts := []struct {
		path string
		form url.Values
		id   string
		en   string
	}{
		{"/admin/reference/ump", url.Values{"year": {"2027"}, "amount": {"0"}}, "UMP harus berupa jumlah rupiah lebih dari 0", "The UMP must be a rupiah amount above 0"},
		{"/admin/reference/rates", url.Values{"program": {"JHT"}, "valid_from": {"2027-01-01"}, "rate_pct": {"300"}}, "Tarif iuran harus antara 0% dan 50%", "A contribution rate must be between 0% and 50%"},
		{"/admin/reference/holidays", url.Values{"day": {"2027-03-10"}, "name": {""}, "kind": {"libur_nasional"}}, "Isi nama hari libur", "Give the holiday a name"},
		{"/admin/reference/rules", url.Values{"kind": {"teguran_1"}, "position": {"1"}, "days": {"0"}, "day_kind": {"working"}}, "Tenggat harus antara 1 dan 365 hari", "A deadline must be between 1 and 365 days"},
		{"/admin/reference/settings", url.Values{"key": {"visit_overdue_days"}, "value": {"0"}}, "Batas kunjungan terlambat harus antara 1 dan 365 hari", "The visit overdue limit must be between 1 and 365 days"},
		{"/admin/reference/targets", url.Values{"year": {"2027"}, "target": {"99999999"}}, "Target harus berupa jumlah penduduk", "The target must be a number of residents"},
	}
	for _, lang := range []string{"id", "en"} {
		c.do("POST", "/lang", url.Values{"lang": {lang}}, nil)
		for _, p := range posts {
			res, body := c.do("POST", p.path, p.form, nil)
			want := p.id
			if lang == "en" {
				want = p.en
			}
			if res.StatusCode != 422 || !strings.Contains(body, want) {
				t.Errorf("%s %s: %d, want 422 with %q", lang, p.path, res.StatusCode, want)
			}
		}
	}
	c.do("POST", "/lang", url.Values{"lang": {"id"}}, nil)
	_, body := c.do("POST", "/admin/reference/ump", url.Values{"year": {"2027"}, "amount": {"abc"}}, nil)
	if !strings.Contains(body, `value="abc"`) {
		t.Error("the typed value was not kept")
	}
	// A calendar file with a bad line names the line.
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("year", "2027"); err != nil {
		t.Fatal(err)
	}
	fw, _ := w.CreateFormFile("file", "2027.csv")
	if _, err := fw.Write([]byte("tanggal,nama,jenis\n2027-01-01,Tahun Baru,libur_nasional\n2028-03-10,Nyepi,libur_nasional\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	res, body := c.send("POST", "/admin/reference/holidays/import", &buf, map[string]string{"Content-Type": w.FormDataContentType()})
	if res.StatusCode != 422 || !strings.Contains(body, "Baris 3: Tanggal ini bukan di tahun yang diunggah") {
		t.Errorf("calendar file: %d", res.StatusCode)
	}
}

// TestAuditViewer filters, shows a record's change, checks the chain from the page and exports
// the filtered view without NIKs.
func TestAuditViewer(t *testing.T) {
	// A database of its own: it breaks the chain on purpose, and no other test may see it broken.
	dbtest.Isolate(t)
	srv := server(t)
	d := dbtest.DB(t)
	ctx := context.Background()
	tx := d.MustBegin()
	if err := audit.Record(ctx, tx, audit.Entry{Actor: "uji.audit", Action: "employer.unmask", Entity: "employer", EntityID: "77",
		Detail: map[string]any{"nik": "3175010101900009", "note": "dibuka"}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	c.login(addUser(t, auth.Admin, ""), password)
	_, body := c.do("GET", "/admin/audit?actor=uji.audit&entity=employer&entity_id=77", nil, nil)
	if strings.Count(body, `data-action="employer.unmask"`) != 1 || !strings.Contains(body, "317501******0009") || strings.Contains(body, "3175010101900009") {
		t.Errorf("filtered view:\n%s", body)
	}
	if _, body := c.do("GET", "/admin/audit?actor=nobody-at-all", nil, nil); !strings.Contains(body, "Tidak ada catatan yang cocok") {
		t.Error("an actor with no records shows records")
	}
	if res, body := c.do("GET", "/admin/audit?from=2026-12-10&to=2026-12-01", nil, nil); res.StatusCode != 422 || !strings.Contains(body, "Tanggal akhir tidak boleh sebelum tanggal awal") {
		t.Errorf("reversed period: %d", res.StatusCode)
	}
	_, body = c.do("POST", "/admin/audit/verify", url.Values{}, nil)
	if !strings.Contains(body, `id="chain-result" data-ok="true"`) || !strings.Contains(body, "Rantai utuh") {
		t.Errorf("chain check:\n%s", body)
	}
	res, csv := c.do("GET", "/admin/audit/export/csv?actor=uji.audit", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(csv, "employer.unmask") || strings.Contains(csv, "3175010101900009") || !strings.Contains(csv, "317501******0009") {
		t.Errorf("csv export %d:\n%s", res.StatusCode, csv)
	}
	if strings.Count(strings.TrimSpace(csv), "\n") != 1 {
		t.Errorf("csv export not filtered:\n%s", csv)
	}
	res, xlsx := c.do("GET", "/admin/audit/export/xlsx?actor=uji.audit", nil, nil)
	f, err := excelize.OpenReader(strings.NewReader(xlsx))
	if res.StatusCode != 200 || err != nil {
		t.Fatalf("xlsx export %d: %v", res.StatusCode, err)
	}
	rows, _ := f.GetRows("Sheet1")
	if len(rows) != 2 || strings.Contains(strings.Join(rows[1], " "), "3175010101900009") {
		t.Errorf("xlsx rows: %v", rows)
	}

	// A broken chain names its first broken row. The trigger forbids edits; the table's owner
	// (not the server's role) may lift it in a test.
	var id int64
	if err := d.Get(&id, `SELECT max(id) FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	d = dbtest.OwnerDB(t)
	d.MustExec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
	d.MustExec(`UPDATE audit_log SET actor = 'pemalsu' WHERE id = $1`, id)
	d.MustExec(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)
	t.Cleanup(func() {
		d.MustExec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
		d.MustExec(`UPDATE audit_log SET actor = 'uji.audit' WHERE id = $1`, id)
		d.MustExec(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)
	})
	_, body = c.do("POST", "/admin/audit/verify", url.Values{}, nil)
	if !strings.Contains(body, `data-ok="false"`) || !strings.Contains(body, "Rantai putus pada baris #"+itoa(id)) {
		t.Errorf("broken chain not named:\n%s", body)
	}
}

// TestDeleteAFailedImportFromItsPage: the import page of a failed import offers its deletion;
// the same bytes can then be uploaded again.
func TestDeleteAFailedImportFromItsPage(t *testing.T) {
	srv, a := serverWithoutWorker(t)
	c := newClient(t, srv)
	c.login(addUser(t, auth.Admin, ""), password)
	ctx := context.Background()
	data := "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n"
	imp, _, err := a.Importer.Create(ctx, 0, "test", "employers", "kosong.csv", strings.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Importer.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	_, body := c.do("GET", "/imports/"+itoa(imp.ID), nil, nil)
	if !strings.Contains(body, `action="/imports/`+itoa(imp.ID)+`/delete"`) {
		t.Fatalf("no delete button on a failed import:\n%s", body)
	}
	res, _ := c.do("POST", "/imports/"+itoa(imp.ID)+"/delete", url.Values{}, nil)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/imports" {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := c.do("GET", "/imports/"+itoa(imp.ID), nil, nil); res.StatusCode != 404 {
		t.Errorf("deleted import answers %d", res.StatusCode)
	}
	again, created, err := a.Importer.Create(ctx, 0, "test", "employers", "kosong.csv", strings.NewReader(data), nil)
	if err != nil || !created || again.ID == imp.ID {
		t.Fatalf("re-upload: %v %v", created, err)
	}
	if err := a.Importer.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}
