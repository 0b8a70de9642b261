package app_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"patuh/internal/auth"
	"patuh/internal/db/dbtest"
)

// The English sentences flags.sql once wrote into flag details, and Rupiah without thousands
// separators: none may appear on a page read in Indonesian.
var englishDetail = []string{"missing programs", "reported workforce", "roster workers", "not active participants",
	"participants reported below", "months in arrears", "no NPP", "no roster", "scale unknown"}

var bareRupiah = regexp.MustCompile(`Rp ?[0-9]{4,}`)

func assertIndonesian(t *testing.T, what, body string) {
	t.Helper()
	for _, phrase := range englishDetail {
		if strings.Contains(body, phrase) {
			t.Errorf("%s: English %q on the Indonesian page", what, phrase)
		}
	}
	if m := bareRupiah.FindString(body); m != "" {
		t.Errorf("%s: unformatted Rupiah %q", what, m)
	}
}

// TestMainPagesInIndonesianHaveNoEnglishDetails renders the employer list, an employer page
// for each flag, and case pages (one opened now, one opened before details were data, with
// its English sentences frozen) in Indonesian.
func TestMainPagesInIndonesianHaveNoEnglishDetails(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	c := newClient(t, srv)
	supervisor := addUser(t, auth.Supervisor, "")
	c.login(supervisor, password)

	res, body := c.do("GET", "/employers", nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("list: %d", res.StatusCode)
	}
	assertIndonesian(t, "/employers", body)
	for code, want := range map[string]string{"PWBD": "tanpa NPP", "PDS_TK": "peserta aktif", "PDS_UPAH": "di bawah upah",
		"PDS_PROGRAM": "belum diikuti", "MENUNGGAK": "menunggak"} {
		var id int64
		if err := dbtest.DB(t).Get(&id, `SELECT employer_id FROM employer_flags WHERE code = $1 ORDER BY shortfall_rp DESC LIMIT 1`, code); err != nil {
			t.Fatal(err)
		}
		res, body := c.do("GET", "/employers/"+itoa(id), nil, nil)
		if res.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("employer %d (%s): %d, %q not found", id, code, res.StatusCode, want)
		}
		assertIndonesian(t, "/employers/"+itoa(id)+" ("+code+")", body)
	}

	// A case opened now, on the employer with the most flags that no other test has a case open for.
	var id int64
	if err := dbtest.DB(t).Get(&id, `SELECT employer_id FROM employer_flags f WHERE NOT EXISTS (
		SELECT 1 FROM cases c WHERE c.employer_id = f.employer_id AND c.status <> 'closed')
		GROUP BY employer_id ORDER BY count(*) DESC, employer_id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	tok := token(t, supervisor)
	res, body = newClient(t, srv).send("POST", "/api/v1/cases", strings.NewReader(`{"employer_id": `+itoa(id)+`}`),
		map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
	var opened struct {
		ID          int64 `json:"id"`
		FlagsAtOpen []struct {
			Code   string         `json:"code"`
			Detail string         `json:"detail"`
			Data   map[string]any `json:"detail_data"`
		} `json:"flags_at_open"`
	}
	if res.StatusCode != 201 || json.Unmarshal([]byte(body), &opened) != nil || len(opened.FlagsAtOpen) == 0 {
		t.Fatalf("open case: %d %s", res.StatusCode, body)
	}
	for _, f := range opened.FlagsAtOpen {
		if f.Detail == "" || len(f.Data) == 0 {
			t.Errorf("API flag %s: detail %q, detail_data %v", f.Code, f.Detail, f.Data)
		}
		assertIndonesian(t, "API flags_at_open "+f.Code, f.Detail)
	}
	res, body = c.do("GET", "/cases/"+itoa(opened.ID), nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("case page: %d", res.StatusCode)
	}
	assertIndonesian(t, "/cases/"+itoa(opened.ID), body)

	// A case frozen with the old English sentences reads in Indonesian too.
	var other, legacy int64
	if err := dbtest.DB(t).Get(&other, `SELECT e.id FROM employers e WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id) ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if err := dbtest.DB(t).Get(&legacy, `INSERT INTO cases (employer_id, flags_at_open) VALUES ($1, $2) RETURNING id`, other,
		`[{"code": "PDS_TK", "workers": 32, "shortfall_rp": 1000, "detail": "32 of 99 roster workers not active participants"},
		  {"code": "PDS_PROGRAM", "workers": 5, "shortfall_rp": 10, "detail": "missing programs: JHT, JP"},
		  {"code": "MENUNGGAK", "workers": 0, "shortfall_rp": 500000, "detail": "6 months in arrears, Rp 3000000"}]`); err != nil {
		t.Fatal(err)
	}
	res, body = c.do("GET", "/cases/"+itoa(legacy), nil, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "32 dari 99 pekerja") || !strings.Contains(body, "JHT, JP") ||
		!strings.Contains(body, "Rp 3.000.000") {
		t.Errorf("legacy case page: %d", res.StatusCode)
	}
	assertIndonesian(t, "/cases/"+itoa(legacy)+" (frozen English)", body)
}

// TestEmployerAPIDetailInTheReadersLanguage: detail is words in the reader's language,
// detail_data the same as data.
func TestEmployerAPIDetailInTheReadersLanguage(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	c := newClient(t, srv)
	tok := token(t, addUser(t, auth.Supervisor, ""))
	var id int64
	if err := dbtest.DB(t).Get(&id, `SELECT employer_id FROM employer_flags WHERE code = 'MENUNGGAK' ORDER BY employer_id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	var e struct {
		Flags []struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
			Data   struct {
				Months    int   `json:"months"`
				ArrearsRp int64 `json:"arrears_rp"`
			} `json:"detail_data"`
		} `json:"flags"`
	}
	apiGet(t, c, tok, "/api/v1/employers/"+itoa(id), &e)
	found := false
	for _, f := range e.Flags {
		if f.Code == "MENUNGGAK" {
			found = true
			if !strings.HasPrefix(f.Detail, "menunggak ") || f.Data.Months == 0 || f.Data.ArrearsRp == 0 || !strings.Contains(f.Detail, "Rp ") {
				t.Errorf("MENUNGGAK: %+v", f)
			}
		}
	}
	if !found {
		t.Fatalf("no MENUNGGAK flag: %+v", e)
	}
	res, body := c.do("GET", "/api/v1/employers/"+itoa(id), nil, map[string]string{"Authorization": "Bearer " + tok, "Accept-Language": "en-GB,en"})
	if res.StatusCode != 200 || !strings.Contains(body, " months in arrears, Rp ") {
		t.Fatalf("English API: %d %.400s", res.StatusCode, body)
	}
}

// TestCSVExportDialects: the default CSV is RFC 4180 (",", no BOM); ?dialect=excel-id is ";"
// with a UTF-8 BOM; both carry the codes and their Indonesian labels in columns of their own.
func TestCSVExportDialects(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	c := newClient(t, srv)
	c.login(addUser(t, auth.Supervisor, ""), password)
	_, plain := c.do("GET", "/employers/export/csv?flag=PWBD", nil, nil)
	if strings.HasPrefix(plain, "\uFEFF") || !strings.HasPrefix(plain, "id,nib,npwp,nama") || !strings.Contains(plain, ",PWBD,Perusahaan Wajib Belum Daftar,") {
		t.Fatalf("plain csv: %.300s", plain)
	}
	_, excel := c.do("GET", "/employers/export/csv?flag=PWBD&dialect=excel-id", nil, nil)
	if !strings.HasPrefix(excel, "\uFEFFid;nib;npwp;nama;") || !strings.Contains(excel, ";flags;flags_teks;") ||
		!strings.Contains(excel, ";PWBD;Perusahaan Wajib Belum Daftar;") {
		t.Fatalf("excel-id csv: %.300s", excel)
	}
	_, page := c.do("GET", "/employers", nil, nil)
	if !strings.Contains(page, "dialect=excel-id") || !strings.Contains(page, "CSV untuk Excel (Indonesia)") {
		t.Fatal("the employer list does not offer the Indonesian Excel CSV")
	}

	var id int64
	if err := dbtest.DB(t).Get(&id, `SELECT e.id FROM employers e JOIN employer_status s ON s.employer_id = e.id
		WHERE s.flag_codes <> '{}' AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id) LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	c.do("POST", "/cases", url.Values{"employer_id": {itoa(id)}}, nil)
	_, cases := c.do("GET", "/cases/export/csv?dialect=excel-id", nil, nil)
	if !strings.HasPrefix(cases, "\uFEFFkasus;pemberi_kerja;kode_kelurahan;status;status_teks;") || !strings.Contains(cases, ";open;Terbuka;") {
		t.Fatalf("cases csv: %.300s", cases)
	}
	_, followUps := c.do("GET", "/follow-ups/export/csv?dialect=excel-id", nil, nil)
	if !strings.HasPrefix(followUps, "\uFEFFkasus;pemberi_kerja;pemeriksa;langkah;langkah_teks;terbit;tenggat;status;status_teks;lewat_tenggat;lewat_tenggat_teks") {
		t.Fatalf("follow-ups csv: %.300s", followUps)
	}
	_, page = c.do("GET", "/cases", nil, nil)
	if !strings.Contains(page, "dialect=excel-id") {
		t.Fatal("the case list does not offer the Indonesian Excel CSV")
	}
}
