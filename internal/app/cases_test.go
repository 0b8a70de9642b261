package app_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"patuh/internal/auth"
	"patuh/internal/db/dbtest"
	"patuh/internal/wib"
)

func TestBulkOpenFromTheEmployerList(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	c := newClient(t, srv)
	c.login(addUser(t, auth.Supervisor, "31.75"), password)
	before := count(t, `SELECT count(*) FROM cases`)
	// The first post shows what it would open and opens nothing.
	res, body := c.do("POST", "/cases/bulk", url.Values{"flag": {"PWBD"}, "count": {"3"}}, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="bulk-preview"`) || count(t, `SELECT count(*) FROM cases`) != before {
		t.Fatalf("bulk preview: %d", res.StatusCode)
	}
	ids := regexp.MustCompile(`name="employer_id" value="([0-9]+)"`).FindAllStringSubmatch(body, -1)
	form := url.Values{"confirm": {"yes"}, "count": {"3"}}
	for _, m := range ids {
		form.Add("employer_id", m[1])
	}
	if res, _ := c.do("POST", "/cases/bulk", form, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bulk open: %d", res.StatusCode)
	}
	opened := count(t, `SELECT count(*) FROM cases`) - before
	if opened == 0 || opened > 3 || opened != len(ids) {
		t.Fatalf("opened %d cases, want the %d previewed (1..3)", opened, len(ids))
	}
	// Only PWBD employers of the supervisor's area got one.
	if n := count(t, `SELECT count(*) FROM cases c JOIN employers e ON e.id = c.employer_id
		WHERE c.id > (SELECT coalesce(max(id), 0) - $1 FROM cases) AND (e.kode_kelurahan NOT LIKE '31.75.%'
		OR NOT EXISTS (SELECT 1 FROM employer_flags f WHERE f.employer_id = e.id AND f.code = 'PWBD'))`, opened); n != 0 {
		t.Fatalf("%d cases outside the filter", n)
	}
	// The same confirmation again opens only what has no open case yet.
	c.do("POST", "/cases/bulk", form, nil)
	if again := count(t, `SELECT count(*) FROM cases`) - before; again != opened {
		t.Fatalf("a second bulk open of the same list opened %d more", again-opened)
	}
	// A compliant employer sent in a confirmation is skipped.
	var compliant int64
	if err := dbtest.DB(t).Get(&compliant, `SELECT s.employer_id FROM employer_status s WHERE s.kode_kota = '31.75'
		AND cardinality(s.flag_codes) = 0 AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = s.employer_id) LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	c.do("POST", "/cases/bulk", url.Values{"confirm": {"yes"}, "count": {"1"}, "employer_id": {itoa(compliant)}}, nil)
	if n := count(t, `SELECT count(*) FROM cases WHERE employer_id = $1`, compliant); n != 0 {
		t.Fatal("a case was opened for a compliant employer")
	}
}

func TestComplaintFormAndStaleFormKeepInput(t *testing.T) {
	srv := server(t)
	c := newClient(t, srv)
	c.login(addUser(t, auth.Supervisor, ""), password)
	res, _ := c.do("POST", "/cases/complaint", url.Values{"channel": {"datang_langsung"}, "received": {"2026-11-27"},
		"allegation": {"gaji dipotong tapi tidak didaftarkan"}, "employer_name": {"Warung Besar Tanpa Izin"},
		"kode_kelurahan": {"31.71.01.1001"}, "complainant_name": {"Pelapor"}}, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/cases/") {
		t.Fatalf("complaint: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	caseURL := res.Header.Get("Location")
	_, body := c.do("GET", caseURL, nil, nil)
	if !strings.Contains(body, "Warung Besar Tanpa Izin") || !strings.Contains(body, "Pelapor") {
		t.Fatal("the complaint case page lacks the employer or, for a supervisor, the complainant")
	}
	// Two officers on the same version: the second gets 409 and sees what they typed again.
	inspector := addUser(t, auth.Inspector, "")
	id := strings.TrimPrefix(caseURL, "/cases/")
	res, _ = c.do("POST", caseURL+"/assign", url.Values{"assignee": {inspector}, "version": {"1"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign: %d", res.StatusCode)
	}
	// Visits are appended, not edited: two sent from forms of one version are both kept (an
	// inspector's phone may send two it kept offline; docs/api.md's visit has no version).
	for _, met := range []string{"Ibu Sari", "Pak Joko"} {
		visit := url.Values{"visited_on": {"2026-11-27"}, "kind": {"lapangan"}, "met_name": {met}}
		if res, _ := c.do("POST", caseURL+"/visits", visit, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("visit: %d", res.StatusCode)
		}
	}
	if n := count(t, `SELECT count(*) FROM visits WHERE case_id = $1`, id); n != 2 {
		t.Fatalf("%d visits saved, want 2", n)
	}
	// Closing from a page read before the visits: 409, and the note typed is still there.
	res, body = c.do("POST", caseURL+"/close", url.Values{"outcome": {"compliant"}, "note": {"Pak Budi Santoso"}, "version": {"2"}}, nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "Pak Budi Santoso") || !strings.Contains(body, "sudah diubah orang lain") {
		t.Fatalf("stale save: %d", res.StatusCode)
	}
}

// TestCasePermissions: who may do what to a case, by role and area.
func TestCasePermissions(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	lead := newClient(t, srv)
	lead.login(addUser(t, auth.Supervisor, ""), password)
	var employerID int64
	if err := dbtest.DB(t).Get(&employerID, `SELECT e.id FROM employers e JOIN employer_status s ON s.employer_id = e.id
		WHERE e.kode_kelurahan LIKE '31.75.%' AND cardinality(s.flag_codes) > 0
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id AND c.status <> 'closed') LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	res, _ := lead.do("POST", "/cases", url.Values{"employer_id": {itoa(employerID)}}, nil)
	caseURL := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || caseURL == "" {
		t.Fatalf("open: %d", res.StatusCode)
	}
	inside := newClient(t, srv)
	inside.login(addUser(t, auth.Inspector, "31.75"), password)
	outside := newClient(t, srv)
	outside.login(addUser(t, auth.Inspector, "31.71"), password)
	for _, check := range []struct {
		who    *client
		method string
		path   string
		form   url.Values
		want   int
	}{
		{inside, "GET", caseURL, nil, 200},
		{outside, "GET", caseURL, nil, 404},
		{outside, "POST", caseURL + "/visits", url.Values{"visited_on": {"2026-11-27"}, "kind": {"lapangan"}}, 404},
		{inside, "POST", "/cases", url.Values{"employer_id": {itoa(employerID)}}, 403},
		{inside, "POST", caseURL + "/assign", url.Values{"assignee": {"x"}, "version": {"1"}}, 403},
		{inside, "POST", caseURL + "/close", url.Values{"outcome": {"compliant"}, "version": {"1"}}, 403},
		{inside, "POST", "/cases/bulk", url.Values{"count": {"1"}}, 403},
		{inside, "GET", "/cases/complaint", nil, 403},
		// Not the assignee (nobody is yet): a visit is refused.
		{inside, "POST", caseURL + "/visits", url.Values{"visited_on": {"2026-11-27"}, "kind": {"lapangan"}}, 403},
	} {
		res, _ := check.who.do(check.method, check.path, check.form, nil)
		if res.StatusCode != check.want {
			t.Errorf("%s %s: %d, want %d", check.method, check.path, res.StatusCode, check.want)
		}
	}
}

func TestCaseAndFollowUpExportsStayInTheArea(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	lead := newClient(t, srv)
	lead.login(addUser(t, auth.Supervisor, ""), password)
	// A case in Jakarta Pusat, opened by the supervisor of all Jakarta.
	var pusat int64
	if err := dbtest.DB(t).Get(&pusat, `SELECT e.id FROM employers e JOIN employer_status s ON s.employer_id = e.id
		WHERE s.kode_kota = '31.71' AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id AND c.status <> 'closed') LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if res, body := lead.do("POST", "/cases", url.Values{"employer_id": {itoa(pusat)}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("open a case: %d %.200s", res.StatusCode, body)
	}
	var name string
	if err := dbtest.DB(t).Get(&name, `SELECT nama FROM employers WHERE id = $1`, pusat); err != nil {
		t.Fatal(err)
	}
	// Opened at 01:00 WIB on 1 December: the export's day is Jakarta's, not UTC's 30 November.
	dbtest.DB(t).MustExec(`UPDATE cases SET opened_at = '2026-11-30 18:00+00' WHERE employer_id = $1 AND status <> 'closed'`, pusat)

	res, body := lead.do("GET", "/cases/export/csv", nil, nil)
	if res.StatusCode != 200 || !strings.HasPrefix(body, "kasus,pemberi_kerja") || !strings.Contains(body, name) {
		t.Fatalf("lead's case export: %d %.200s", res.StatusCode, body)
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.Contains(line, name) && !strings.Contains(line, ",2026-12-01,") {
			t.Errorf("the case's row gives another opening day than 2026-12-01 (Jakarta): %s", line)
		}
	}
	timur := newClient(t, srv)
	timur.login(addUser(t, auth.Inspector, "31.75"), password)
	// The inspector's export answers, with the header and without the other area's case: an
	// error page would not name the case either.
	res, body = timur.do("GET", "/cases/export/csv?assignee=", nil, nil)
	if res.StatusCode != 200 || !strings.HasPrefix(body, "kasus,pemberi_kerja") {
		t.Fatalf("inspector's case export: %d %.200s", res.StatusCode, body)
	}
	if strings.Contains(body, name) {
		t.Fatal("an inspector of Jakarta Timur exported a Jakarta Pusat case")
	}
	if res, _ := timur.do("GET", "/follow-ups/export/xlsx", nil, nil); res.StatusCode != 200 {
		t.Fatalf("follow-ups xlsx: %d", res.StatusCode)
	}
}

// TestCaseFormsCheckedAsTheAPIChecks: the visit, follow-up and complaint forms are refused by
// the rules the API applies (the store checks both), with a 422 and its message and nothing
// stored; photos sent with a back-dated visit belong to that visit.
func TestCaseFormsCheckedAsTheAPIChecks(t *testing.T) {
	srv := server(t)
	c := newClient(t, srv)
	c.login(addUser(t, auth.Supervisor, ""), password)
	res, _ := c.do("POST", "/cases/complaint", url.Values{"channel": {"jmo"}, "received": {"2026-11-27"},
		"allegation": {"tidak didaftarkan"}, "employer_name": {"Toko Formulir Uji"}, "kode_kelurahan": {"31.71.01.1001"}}, nil)
	caseURL := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(caseURL, "/cases/") {
		t.Fatalf("complaint: %d", res.StatusCode)
	}
	id := strings.TrimPrefix(caseURL, "/cases/")
	if res, _ := c.do("POST", caseURL+"/assign", url.Values{"assignee": {addUser(t, auth.Inspector, "")}, "version": {"1"}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign: %d", res.StatusCode)
	}
	for name, form := range map[string]url.Values{
		"unknown finding code":   {"visited_on": {"2026-11-27"}, "kind": {"lapangan"}, "finding": {"BUKAN_KODE"}},
		"latitude out of range":  {"visited_on": {"2026-11-27"}, "kind": {"lapangan"}, "lat": {"200"}, "lon": {"106.8"}},
		"longitude out of range": {"visited_on": {"2026-11-27"}, "kind": {"lapangan"}, "lat": {"-6.2"}, "lon": {"500"}},
		"met name too long":      {"visited_on": {"2026-11-27"}, "kind": {"lapangan"}, "met_name": {strings.Repeat("a", 201)}},
	} {
		res, body := c.do("POST", caseURL+"/visits", form, nil)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="problem"`) || !strings.Contains(body, "Nilai tidak valid") {
			t.Errorf("visit with %s: %d, want 422 with the message", name, res.StatusCode)
		}
	}
	if n := count(t, `SELECT count(*) FROM visits WHERE case_id = $1`, id); n != 0 {
		t.Fatalf("%d visits stored from refused forms", n)
	}
	res, body := c.do("POST", caseURL+"/follow-ups", url.Values{"kind": {"teguran_1"}, "issued_on": {wib.Date(time.Now())},
		"note": {strings.Repeat("n", 4001)}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="problem"`) {
		t.Errorf("follow-up with a 4001-character note: %d, want 422", res.StatusCode)
	}
	if n := count(t, `SELECT count(*) FROM follow_ups WHERE case_id = $1`, id); n != 0 {
		t.Fatalf("%d follow-ups stored from a refused form", n)
	}
	res, body = c.do("POST", "/cases/complaint", url.Values{"channel": {"faks"}, "received": {"2026-11-27"},
		"allegation": {"x"}, "employer_name": {"Toko Saluran Salah"}, "kode_kelurahan": {"31.71.01.1001"}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="problem"`) ||
		count(t, `SELECT count(*) FROM employers WHERE nama = 'Toko Saluran Salah'`) != 0 {
		t.Errorf("complaint by an unknown channel: %d, want 422 and no employer", res.StatusCode)
	}
	if !strings.Contains(body, `<select name="channel" aria-invalid="true" aria-describedby="problem">`) ||
		strings.Contains(body, `name="kode_kelurahan" value="31.71.01.1001" placeholder="31.75.01.1001" aria-invalid`) {
		t.Errorf("the complaint form marks the refused channel, and only it: %s", body)
	}

	// A visit of the 20th, then one of the 10th with a photo: the photo is the 10th's.
	if res, _ := c.do("POST", caseURL+"/visits", url.Values{"visited_on": {"2026-11-20"}, "kind": {"lapangan"}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("visit: %d", res.StatusCode)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"visited_on": "2026-11-10", "kind": "kantor"} {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("photo", "a.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if res, _ := c.send("POST", caseURL+"/visits", &buf, map[string]string{"Content-Type": w.FormDataContentType()}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("back-dated visit with a photo: %d", res.StatusCode)
	}
	if n := count(t, `SELECT count(*) FROM evidence_files f JOIN visits v ON v.id = f.visit_id
		WHERE v.case_id = $1 AND v.visited_on = '2026-11-10'`, id); n != 1 {
		t.Fatalf("the back-dated visit has %d photos, want 1", n)
	}
}
