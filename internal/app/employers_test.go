package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"patuh/internal/app"
	"patuh/internal/auth"
	"patuh/internal/db/dbtest"
	"patuh/internal/demo"
	"patuh/internal/importer"
)

// samplesIn holds the databases the samples were loaded into: the package's, once, and the own
// database of a test that called dbtest.Isolate.
var samplesIn sync.Map

// loadSamples imports the four sample files once into each database the tests use.
func loadSamples(t *testing.T) {
	t.Helper()
	d := dbtest.DB(t)
	if _, loaded := samplesIn.LoadOrStore(d, true); loaded {
		return
	}
	im, err := app.NewImporter(d, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range demo.SampleOrder {
		data, err := fs.ReadFile(demo.Samples, "samples/"+kind+".csv")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := im.Create(context.Background(), 0, "test", kind, kind+".csv", bytes.NewReader(data), nil); err != nil {
			t.Fatal(err)
		}
		if err := im.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func token(t *testing.T, username string) string {
	t.Helper()
	store := auth.NewStore(dbtest.DB(t), "test-secret")
	u, err := store.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := store.CreateToken(context.Background(), "test", u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type employerList struct {
	Items []struct {
		ID            int64   `json:"id"`
		KodeKelurahan *string `json:"kode_kelurahan"`
		ShortfallRp   int64   `json:"shortfall_rp"`
		Nama          string  `json:"nama"`
		NPPs          []string
		Flags         []struct {
			Code string `json:"code"`
		} `json:"flags"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func apiGet(t *testing.T, c *client, tok, path string, v any) int {
	t.Helper()
	res, body := c.do("GET", path, nil, map[string]string{"Authorization": "Bearer " + tok})
	if v != nil && res.StatusCode == 200 {
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, body)
		}
	}
	return res.StatusCode
}

func TestEmployersAPIRankingPagingAndFilters(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	c := newClient(t, srv)
	tok := token(t, addUser(t, auth.Supervisor, ""))

	// Walk every page: ranked by shortfall, no employer twice, all 303 seen.
	seen := map[int64]bool{}
	last := int64(1 << 62)
	cursor := ""
	for pages := 0; ; pages++ {
		var page employerList
		if code := apiGet(t, c, tok, "/api/v1/employers?limit=40&cursor="+cursor, &page); code != 200 {
			t.Fatalf("page %d: %d", pages, code)
		}
		for _, e := range page.Items {
			if seen[e.ID] || e.ShortfallRp > last {
				t.Fatalf("employer %d repeated or out of order", e.ID)
			}
			seen[e.ID], last = true, e.ShortfallRp
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if want := count(t, `SELECT count(*) FROM employer_status`); len(seen) != want {
		t.Fatalf("paged through %d employers, want %d", len(seen), want)
	}

	var tk employerList
	apiGet(t, c, tok, "/api/v1/employers?flag=PDS_TK&flag=PDS_UPAH&limit=500", &tk)
	for _, e := range tk.Items {
		codes := map[string]bool{}
		for _, f := range e.Flags {
			codes[f.Code] = true
		}
		if !codes["PDS_TK"] || !codes["PDS_UPAH"] {
			t.Fatalf("employer %d lacks a filtered flag: %v", e.ID, e.Flags)
		}
	}
	var byNPP employerList
	apiGet(t, c, tok, "/api/v1/employers?q=93036256", &byNPP)
	if len(byNPP.Items) != 1 || len(byNPP.Items[0].NPPs) == 0 {
		t.Fatalf("search by NPP: %+v", byNPP)
	}
	// A name search: every match, in the order asked for, whichever way the store finds them.
	for _, sort := range []string{"-shortfall", "name"} {
		var found employerList
		if code := apiGet(t, c, tok, "/api/v1/employers?limit=500&q=karya&sort="+sort, &found); code != 200 {
			t.Fatalf("search sorted by %q: status %d", sort, code)
		}
		if want := count(t, `SELECT count(*) FROM employers e JOIN employer_status s ON s.employer_id = e.id
			WHERE e.nama ILIKE '%karya%'`); len(found.Items) != want || want == 0 {
			t.Fatalf("search sorted by %q: %d items, want %d", sort, len(found.Items), want)
		}
		for i := 1; i < len(found.Items); i++ {
			a, b := found.Items[i-1], found.Items[i]
			if !strings.Contains(strings.ToLower(b.Nama), "karya") ||
				(sort == "-shortfall" && a.ShortfallRp < b.ShortfallRp) || (sort == "name" && a.Nama > b.Nama) {
				t.Fatalf("search sorted by %q: out of order or not matching at %d: %+v, %+v", sort, i, a, b)
			}
		}
	}
	if code := apiGet(t, c, tok, "/api/v1/employers?flag=NOPE", nil); code != 422 {
		t.Fatalf("unknown flag: %d", code)
	}
	if code := apiGet(t, c, tok, "/api/v1/employers?limit=501", nil); code != 422 {
		t.Fatalf("limit 501: %d", code)
	}
}

func TestEmployersScopedToArea(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	c := newClient(t, srv)
	user := addUser(t, auth.Inspector, "31.75")
	tok := token(t, user)
	var list employerList
	apiGet(t, c, tok, "/api/v1/employers?limit=500", &list)
	if len(list.Items) == 0 {
		t.Fatal("no employers in Jakarta Timur")
	}
	for _, e := range list.Items {
		if e.KodeKelurahan == nil || !strings.HasPrefix(*e.KodeKelurahan, "31.75.") {
			t.Fatalf("employer %d outside 31.75 in the list", e.ID)
		}
	}
	// Asking for another area gives nothing, not more.
	var other employerList
	// Refused as an area the inspector does not cover (422), or a 200 with an empty list.
	code := apiGet(t, c, tok, "/api/v1/employers?area=31.71", &other)
	if code != 200 && code != 422 {
		t.Fatalf("area=31.71: %d", code)
	}
	if code == 200 && (other.Items == nil || len(other.Items) != 0) {
		t.Fatalf("area=31.71 gave %d employers to a 31.75 inspector", len(other.Items))
	}
	var outside int64
	if err := dbtest.DB(t).Get(&outside, `SELECT id FROM employers WHERE kode_kelurahan LIKE '31.71.%' LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if code := apiGet(t, c, tok, "/api/v1/employers/"+itoa(outside), nil); code != 404 {
		t.Fatalf("employer outside the area: %d", code)
	}
	c.login(user, password)
	res, body := c.do("GET", "/employers", nil, nil)
	if res.StatusCode != 200 || strings.Contains(body, "Jakarta Pusat") {
		t.Fatalf("page list: %d", res.StatusCode)
	}
	if res, _ := c.do("GET", "/employers/"+itoa(outside), nil, nil); res.StatusCode != 404 {
		t.Fatalf("page outside the area: %d", res.StatusCode)
	}
}

func TestEmployerDetailMasksNIKsAndAuditsUnmasking(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	c := newClient(t, srv)
	supervisor := addUser(t, auth.Supervisor, "")
	inspector := addUser(t, auth.Inspector, "")
	var id int64
	if err := dbtest.DB(t).Get(&id, `SELECT employer_id FROM employer_flags WHERE code = 'PDS_TK' AND detail ? 'unenrolled' ORDER BY workers DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}

	var d struct {
		Unenrolled []struct{ NIK string } `json:"unenrolled"`
		Programs   []string               `json:"programs"`
	}
	apiGet(t, c, token(t, inspector), "/api/v1/employers/"+itoa(id), &d)
	if len(d.Unenrolled) == 0 || !strings.Contains(d.Unenrolled[0].NIK, "******") {
		t.Fatalf("masked detail: %+v", d)
	}
	if code := apiGet(t, c, token(t, inspector), "/api/v1/employers/"+itoa(id)+"?unmask=nik", nil); code != 403 {
		t.Fatalf("inspector unmasking: %d", code)
	}
	before := count(t, `SELECT count(*) FROM audit_log WHERE action = 'employer.nik_view'`)
	apiGet(t, c, token(t, supervisor), "/api/v1/employers/"+itoa(id)+"?unmask=nik", &d)
	if strings.Contains(d.Unenrolled[0].NIK, "*") || count(t, `SELECT count(*) FROM audit_log WHERE action = 'employer.nik_view'`) != before+1 {
		t.Fatalf("unmasked read not shown or not audited: %+v", d.Unenrolled[0])
	}

	c.login(supervisor, password)
	res, body := c.do("GET", "/employers/"+itoa(id), nil, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "******") || !strings.Contains(body, "Pekerja belum terdaftar") {
		t.Fatalf("detail page: %d", res.StatusCode)
	}
}

func TestImportsAPI(t *testing.T) {
	srv := server(t)
	c := newClient(t, srv)
	admin := addUser(t, auth.Admin, "")
	tok := token(t, admin)
	data := "nib,npwp,nama,kode_kelurahan,skala,jumlah_pekerja\n2700000000001,,Baik,31.71.01.1001,kecil,2\n2700000000002,,Salah,31.71.01.1001,kecil,=1+2\n"
	upload := func(tok string) (*http.Response, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		fw, _ := w.CreateFormFile("file", "employers.csv")
		if _, err := io.WriteString(fw, data); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteField("kind", "employers"); err != nil {
			t.Fatal(err)
		} // after the file: the handler streams either order
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return c.send("POST", "/api/v1/imports", &buf, map[string]string{"Authorization": "Bearer " + tok,
			"Content-Type": w.FormDataContentType()})
	}
	res, body := upload(tok)
	if res.StatusCode != 202 || !strings.Contains(body, `"status":"queued"`) {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	var created struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	if res, _ := upload(tok); res.StatusCode != 200 {
		t.Fatalf("same bytes again: %d", res.StatusCode)
	}
	if res, _ := upload(token(t, addUser(t, auth.Supervisor, ""))); res.StatusCode != 403 {
		t.Fatalf("supervisor upload: %d", res.StatusCode)
	}

	var imp struct {
		Status        string
		RowsInvalid   int `json:"rows_invalid"`
		RowsProcessed int `json:"rows_processed"`
		Errors        []struct {
			Line    int
			Column  string
			Message string
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for imp.Status != "needs_review" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		apiGet(t, c, tok, "/api/v1/imports/"+itoa(created.ID), &imp)
	}
	if imp.Status != "needs_review" || imp.RowsInvalid != 1 || imp.RowsProcessed != 2 || len(imp.Errors) != 1 ||
		imp.Errors[0].Line != 3 || imp.Errors[0].Column != "jumlah_pekerja" || !strings.Contains(imp.Errors[0].Message, "bilangan bulat") {
		t.Fatalf("import: %+v", imp)
	}
	res, body = c.do("GET", "/api/v1/imports/"+itoa(created.ID)+"/errors.csv", nil, map[string]string{"Authorization": "Bearer " + tok, "Accept-Language": "en"})
	if res.StatusCode != 200 || !strings.Contains(body, "3,jumlah_pekerja,'=1+2,\"Must be a whole number, 0 or more.\",error") {
		t.Fatalf("errors.csv: %d\n%s", res.StatusCode, body)
	}
	res, body = c.do("POST", "/api/v1/imports/"+itoa(created.ID)+"/commit", nil, map[string]string{"Authorization": "Bearer " + tok})
	if res.StatusCode != 200 {
		t.Fatalf("commit: %d %s", res.StatusCode, body)
	}
	for imp.Status != "committed" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		apiGet(t, c, tok, "/api/v1/imports/"+itoa(created.ID), &imp)
	}
	if imp.Status != "committed" {
		t.Fatalf("after commit: %s", imp.Status)
	}
	// An integrator waits for flags_status "current" before reading the employers (docs/api.md).
	var fresh struct {
		FlagsStatus   string         `json:"flags_status"`
		FlagsProgress map[string]int `json:"flags_progress"`
		SettledAt     *time.Time     `json:"settled_at"`
	}
	for fresh.FlagsStatus != "current" && time.Now().Before(deadline) {
		apiGet(t, c, tok, "/api/v1/imports/"+itoa(created.ID), &fresh)
		if fresh.FlagsStatus != "current" && fresh.SettledAt != nil {
			t.Fatalf("settled_at without flags_status current: %+v", fresh)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if fresh.FlagsStatus != "current" || fresh.SettledAt == nil || fresh.FlagsProgress["queued"] != 0 {
		t.Fatalf("flags never current: %+v", fresh)
	}
	if res, _ := c.do("POST", "/api/v1/imports/"+itoa(created.ID)+"/commit", nil, map[string]string{"Authorization": "Bearer " + tok}); res.StatusCode != 409 {
		t.Fatalf("second commit: %d", res.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := dbtest.DB(t).Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// The counts above the list come from precomputed sums without a search text and from a live
// query with one; both must agree with the list itself.
func TestEmployerCountsAgree(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	c := newClient(t, srv)
	tok := token(t, addUser(t, auth.Supervisor, ""))
	c.login(addUser(t, auth.Admin, ""), password)
	for _, q := range []string{"area=31.75", "area=31.75&q=Karya"} {
		var all employerList
		apiGet(t, c, tok, "/api/v1/employers?limit=500&"+q, &all)
		want := map[string]int{}
		for _, e := range all.Items {
			for _, f := range e.Flags {
				want[f.Code]++
			}
		}
		if len(all.Items) == 0 || len(want) == 0 {
			t.Fatalf("%s: nothing to count", q)
		}
		_, body := c.do("GET", "/employers?"+q, nil, nil)
		for code, n := range want {
			if chip := code + " <b>" + strconv.Itoa(n) + "</b>"; !strings.Contains(body, chip) {
				t.Errorf("%s: counts lack %q", q, chip)
			}
		}
		if !strings.Contains(body, "<b>"+strconv.Itoa(len(all.Items))+"</b>") {
			t.Errorf("%s: total %d missing", q, len(all.Items))
		}
	}
}

func TestCasesAPI(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	c := newClient(t, srv)
	supervisor := token(t, addUser(t, auth.Supervisor, ""))
	inspector := token(t, addUser(t, auth.Inspector, ""))
	var id int64
	// An employer no other test left a case open on (the package's tests share its data, in any order).
	if err := dbtest.DB(t).Get(&id, `SELECT employer_id FROM employer_flags f WHERE code = 'PWBD'
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = f.employer_id AND c.status <> 'closed')
		ORDER BY employer_id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	post := func(tok, path, body string) (*http.Response, string) {
		return c.send("POST", path, strings.NewReader(body), map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
	}
	if res, _ := post(inspector, "/api/v1/cases", `{"employer_id": `+itoa(id)+`}`); res.StatusCode != 403 {
		t.Fatalf("inspector opening a case: %d", res.StatusCode)
	}
	if res, _ := post(supervisor, "/api/v1/cases", `{"employer_id": `); res.StatusCode != 400 {
		t.Fatalf("malformed JSON: %d", res.StatusCode)
	}
	if res, _ := c.send("POST", "/api/v1/cases", strings.NewReader("employer_id=1"), map[string]string{"Authorization": "Bearer " + supervisor,
		"Content-Type": "application/x-www-form-urlencoded"}); res.StatusCode != 415 {
		t.Fatalf("form body: %d", res.StatusCode)
	}
	res, body := post(supervisor, "/api/v1/cases", `{"employer_id": `+itoa(id)+`, "note": "PWBD terbesar"}`)
	if res.StatusCode != 201 || !strings.Contains(body, `"status":"open"`) || !strings.Contains(body, `"code":"PWBD"`) {
		t.Fatalf("open: %d %s", res.StatusCode, body)
	}
	var opened struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &opened); err != nil {
		t.Fatal(err)
	}
	res, body = post(supervisor, "/api/v1/cases", `{"employer_id": `+itoa(id)+`}`)
	if res.StatusCode != 409 || !strings.Contains(body, `"open_case_id":`+itoa(opened.ID)) {
		t.Fatalf("second case: %d %s", res.StatusCode, body)
	}
	var e struct {
		OpenCaseID *int64 `json:"open_case_id"`
	}
	apiGet(t, c, supervisor, "/api/v1/employers/"+itoa(id), &e)
	if e.OpenCaseID == nil || *e.OpenCaseID != opened.ID {
		t.Fatalf("employer's open_case_id: %v", e.OpenCaseID)
	}
}

func TestEmployerExports(t *testing.T) {
	loadSamples(t)
	im, _ := importer.New(dbtest.DB(t), t.TempDir())
	if _, _, err := im.Create(context.Background(), 0, "test", "employers", "evil.csv", strings.NewReader(
		"nib,npwp,nama,kode_kelurahan,skala,jumlah_pekerja\n5000000000001,01.707.865.0-421.000,=SUM(1+1),31.75.01.1001,besar,7\n"), nil); err != nil {
		t.Fatal(err)
	}
	if err := im.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := server(t)
	c := newClient(t, srv)
	c.login(addUser(t, auth.Inspector, "31.75"), password)
	before := count(t, `SELECT count(*) FROM audit_log WHERE action = 'employer.exported'`)

	res, body := c.do("GET", "/employers/export/csv?flag=PWBD", nil, nil)
	if res.StatusCode != 200 || !strings.HasPrefix(body, "id,nib,npwp,nama") {
		t.Fatalf("csv: %d %.200s", res.StatusCode, body)
	}
	if !strings.Contains(body, ",'=SUM(1+1),") || strings.Contains(body, ",=SUM") {
		t.Fatal("the formula was not neutralised in the CSV")
	}
	lines := strings.Count(body, "\n") - 1
	if want := count(t, `SELECT count(*) FROM employer_status WHERE kode_kota = '31.75' AND 'PWBD' = ANY (flag_codes)`); lines != want {
		t.Fatalf("csv has %d employers, want %d (PWBD in Jakarta Timur only)", lines, want)
	}
	if strings.Contains(body, ",31.71.") {
		t.Fatal("the export left the inspector's area")
	}

	res, body = c.do("GET", "/employers/export/xlsx?q=SUM", nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("xlsx: %d", res.StatusCode)
	}
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("Sheet1")
	if len(rows) != 2 || rows[1][3] != "'=SUM(1+1)" || rows[1][2] != "0017078650421000" {
		t.Fatalf("xlsx rows: %v", rows)
	}
	npwp, _ := x.GetCellType("Sheet1", "C2")
	if npwp == excelize.CellTypeNumber {
		t.Fatal("the NPWP was written as a number")
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE action = 'employer.exported'`); n != before+2 {
		t.Fatalf("exports audited: %d, want %d", n-before, 2)
	}
}
