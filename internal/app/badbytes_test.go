package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"patuh/internal/app"
	"patuh/internal/auth"
	"patuh/internal/casework"
	"patuh/internal/db/dbtest"
	"patuh/internal/wib"
)

// badBytesFixture is an admin with a session and a token, and a case in Jakarta Timur with a
// visit, a photo and a follow-up, so that every route with ids reaches its handler.
type badBytesFixture struct {
	a      *app.App
	c      *client
	tok    string
	caseID int64
	path   func(route string) string
}

func newBadBytesFixture(t *testing.T) *badBytesFixture {
	t.Helper()
	loadSamples(t)
	ctx := context.Background()
	d := dbtest.DB(t)
	a, err := app.New(testConfig(t), d)
	if err != nil {
		t.Fatal(err)
	}
	srv := serverFor(t, a)
	admin := addUser(t, auth.Admin, "")
	store := auth.NewStore(d, "test-secret")
	u, _ := store.UserByUsername(ctx, admin)
	var employerID int64
	// Not a PWBD employer: TestBulkOpenFromTheEmployerList opens cases for the top ones.
	if err := d.Get(&employerID, `SELECT e.id FROM employers e JOIN employer_status s ON s.employer_id = e.id
		WHERE s.kode_kota = '31.75' AND cardinality(s.flag_codes) > 0 AND NOT 'PWBD' = ANY(s.flag_codes)
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id AND c.status <> 'closed') ORDER BY e.id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if employerID == 0 {
		t.Fatal("no employer of Jakarta Timur left for a case")
	}
	cases := casework.NewStore(d)
	cs, err := cases.Open(ctx, u, employerID, "")
	if err != nil {
		t.Fatal(err)
	}
	inspector := addUser(t, auth.Inspector, "31.75")
	if cs, err = cases.Assign(ctx, u, cs.ID, inspector, cs.Version); err != nil {
		t.Fatal(err)
	}
	visit, _, err := cases.AddVisit(ctx, u, cs.ID, casework.Visit{VisitedOn: "2026-11-20", Kind: "lapangan"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	ev, err := cases.AddEvidence(ctx, u, cs.ID, visit.ID, "a.png", "", bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	followUp, err := cases.AddFollowUp(ctx, u, cs.ID, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: wib.Date(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	var importID int64
	if err := d.Get(&importID, `SELECT max(id) FROM imports WHERE status = 'committed'`); err != nil {
		t.Fatal(err)
	}
	path := routeIDs{caseID: cs.ID, visitID: visit.ID, fileID: ev.ID, followUpID: followUp.ID, employerID: employerID,
		importID: importID}.path
	c := newClient(t, srv)
	if res := c.login(admin, password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	return &badBytesFixture{a: a, c: c, tok: token(t, admin), caseID: cs.ID, path: path}
}

func (f *badBytesFixture) send(method, path string, body io.Reader, header map[string]string) (*http.Response, string) {
	h := map[string]string{"Authorization": "Bearer " + f.tok}
	for k, v := range header {
		h[k] = v
	}
	return f.c.send(method, path, body, h)
}

// The hostile values: invalid UTF-8, a NUL byte, and both inside text that is otherwise fine.
var badValues = []string{"\xff\xfe", "a\x00b", "31.75\x00", "caf\xe9"}

// badFormFields are the fields the forms and the API read, each to be sent with a bad value.
var badFormFields = []string{"q", "note", "version", "employer_id", "assignee", "username", "password", "next",
	"kind", "status", "outcome", "reason", "code", "current", "lang", "area", "skala", "flag", "count",
	"channel", "received", "allegation", "visited_on", "met_name", "commitment", "issued_on", "finding",
	"auto_commit_max_invalid", "sha256", "employer_key", "employer_name", "client_id"}

// TestEveryRouteRefusesBadBytes feeds every route of the router, as an admin with a session and a
// token, invalid UTF-8 and NUL bytes in a path segment, the query, a form field, a multipart
// field and file name, and a JSON body: none answers 5xx, and what the edge can see (path,
// query, form) is refused with 400 before any handler runs (docs/api.md: 400 malformed).
func TestEveryRouteRefusesBadBytes(t *testing.T) {
	f := newBadBytesFixture(t)
	checked := 0
	var logout []string
	for _, r := range f.a.Routes {
		if r.Path == "/logout" {
			logout = append(logout, r.Method)
			continue // it would end the session the other requests use; it runs last
		}
		f.feed(t, r.Method, r.Path, true)
		checked++
	}
	for _, m := range logout {
		f.feed(t, m, "/logout", true)
	}
	if checked < 60 {
		t.Fatalf("only %d routes found", checked)
	}
}

// feed sends one route every hostile request. strict asks for 400 where the edge must refuse.
func (f *badBytesFixture) feed(t *testing.T, method, route string, strict bool) {
	t.Helper()
	key := method + " " + route
	base := f.path(route)
	api := strings.HasPrefix(base, "/api/")
	check := func(what string, res *http.Response, body string, want400 bool) {
		t.Helper()
		api := strings.HasPrefix(res.Request.URL.Path, "/api/")
		if res.StatusCode >= 500 {
			t.Errorf("%s, %s: %d %.200s", key, what, res.StatusCode, body)
			return
		}
		if strict && want400 && res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s, %s: %d, want 400", key, what, res.StatusCode)
			return
		}
		if res.StatusCode == http.StatusBadRequest && want400 {
			if api && !strings.Contains(body, `"code":"malformed"`) {
				t.Errorf("%s, %s: 400 without the malformed code: %.200s", key, what, body)
			}
			if !api && !strings.Contains(body, "tidak dapat dibaca") {
				t.Errorf("%s, %s: 400 page not in Indonesian: %.300s", key, what, body)
			}
		}
	}
	// The path: each segment in turn, percent-encoded invalid UTF-8 and NUL.
	segs := strings.Split(base, "/")
	for i := 1; i < len(segs); i++ {
		for _, bad := range []string{"%FF", "%00", "x%C3%28"} {
			p := append([]string(nil), segs...)
			p[i] += bad
			res, body := f.send(method, strings.Join(p, "/"), nil, nil)
			check("path "+strings.Join(p, "/"), res, body, true)
		}
	}
	// The query: encoded bad bytes, and percent-encoding that is itself broken.
	for _, q := range []string{"q=%FF%FE", "next=%00", "status=a%00&area=31.75%00", "limit=1%ff", "cursor=%zz", "unmask=nik%", "flag=%C3%28&sort=%00"} {
		res, body := f.send(method, base+"?"+q, nil, nil)
		check("query "+q, res, body, true)
	}
	if method == "GET" {
		return
	}
	// A form with every field the handlers read set to a bad value.
	for _, bad := range badValues {
		var form strings.Builder
		for i, name := range badFormFields {
			if i > 0 {
				form.WriteByte('&')
			}
			form.WriteString(name + "=" + pctEncode(bad))
		}
		res, body := f.send(method, base, strings.NewReader(form.String()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		check(fmt.Sprintf("form %q", bad), res, body, true)
	}
	// A multipart form: bad field values, and a file (and a photo) with a bad name.
	for _, bad := range badValues {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for _, name := range badFormFields {
			if err := w.WriteField(name, bad); err != nil {
				t.Fatal(err)
			}
		}
		for _, field := range []string{"file", "photo"} {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+bad+`.png"`)
			h.Set("Content-Type", "image/png")
			fw, _ := w.CreatePart(h)
			if _, err := fw.Write(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 16)...)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		res, body := f.send(method, base, &buf, map[string]string{"Content-Type": w.FormDataContentType()})
		check(fmt.Sprintf("multipart %q", bad), res, body, false)
	}
	// JSON, to the API (the pages read forms, and a JSON body leaves them an empty form: the
	// bulk opening would open cases for the whole list): a NUL escape, raw invalid UTF-8, a raw
	// NUL, each in every field the API reads.
	if !api {
		return
	}
	for _, bad := range []string{`a\u0000b`, "\xff\xfe", "a\x00b", `caf\u00e9\u0000`} {
		var js strings.Builder
		js.WriteString(`{"version": 999`)
		for _, name := range badFormFields {
			js.WriteString(`, "` + name + `": "` + bad + `"`)
		}
		js.WriteString(`, "complaint": {"channel": "` + bad + `", "received": "` + bad + `", "allegation": "` + bad + `"}`)
		js.WriteString(`, "employer": {"nama": "` + bad + `"}, "findings": [{"code": "PWBD", "niks": ["` + bad + `"]}]}`)
		res, body := f.send(method, base, strings.NewReader(js.String()), map[string]string{"Content-Type": "application/json"})
		check(fmt.Sprintf("json %q", bad), res, body, api && bindsJSON(method, route))
	}
}

// bindsJSON reports the API routes that read a JSON body (docs/api.md).
func bindsJSON(method, route string) bool {
	switch method + " " + route {
	case "POST /api/v1/cases", "POST /api/v1/cases/:id/assign", "POST /api/v1/cases/:id/visits",
		"POST /api/v1/cases/:id/follow-ups", "PATCH /api/v1/cases/:id/follow-ups/:fid",
		"POST /api/v1/cases/:id/close", "POST /api/v1/cases/:id/request-closure":
		return true
	}
	return false
}

func pctEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// TestBadDatesAndLargeBodies: a date the calendar or PostgreSQL does not hold (year 0000,
// 31 February) is a field error (422) wherever a date comes in, and a JSON body over its limit
// is 413, not 400.
func TestBadDatesAndLargeBodies(t *testing.T) {
	f := newBadBytesFixture(t)
	id := itoa(f.caseID)
	jsonH := map[string]string{"Content-Type": "application/json"}
	formH := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for _, date := range []string{"0000-01-01", "2026-02-31", "0000-00-00", "99999-01-01", "2026-13-01"} {
		for _, tc := range []struct {
			path, body, field string
		}{
			{"/api/v1/cases/" + id + "/follow-ups", `{"kind": "teguran_2", "issued_on": "` + date + `", "version": 0}`, "issued_on"},
			{"/api/v1/cases/" + id + "/visits", `{"visited_on": "` + date + `", "kind": "lapangan"}`, "visited_on"},
			{"/api/v1/cases/" + id + "/visits", `{"visited_on": "2026-11-21", "kind": "lapangan", "commitment_due": "` + date + `"}`, "commitment_due"},
			{"/api/v1/cases", `{"complaint": {"channel": "jmo", "received": "` + date + `", "allegation": "x"}, "employer": {"nama": "PT Uji"}}`, "received"},
		} {
			res, body := f.send("POST", tc.path, strings.NewReader(tc.body), jsonH)
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `"`+tc.field+`":`) {
				t.Errorf("%s with %s: %d %s, want 422 naming %s", tc.path, date, res.StatusCode, body, tc.field)
			}
		}
		for _, tc := range []struct{ path, form string }{
			{"/cases/" + id + "/follow-ups", "kind=teguran_2&issued_on=" + date + "&version=0"},
			{"/cases/" + id + "/visits", "kind=lapangan&visited_on=" + date},
			{"/cases/" + id + "/visits", "kind=lapangan&visited_on=2026-11-21&commitment_due=" + date},
			{"/cases/complaint", "channel=jmo&allegation=x&employer_name=PT+Uji&received=" + date},
		} {
			res, body := f.send("POST", tc.path, strings.NewReader(tc.form), formH)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s with %s: %d %.300s, want 422", tc.path, date, res.StatusCode, body)
			}
		}
	}
	big := `{"assignee": "x", "version": 1, "note": "` + strings.Repeat("a", 2<<20) + `"}`
	res, body := f.send("POST", "/api/v1/cases/"+id+"/assign", strings.NewReader(big), jsonH)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"code":"too_large"`) {
		t.Errorf("2 MB JSON body: %d %.200s, want 413", res.StatusCode, body)
	}
}

// TestBadFileNamesRefused: an evidence photo or an import file named with invalid UTF-8 or a
// NUL is refused with 400, in a body small enough for the edge to check and in one larger
// than it reads (checked by the handler that streams it).
func TestBadFileNamesRefused(t *testing.T) {
	f := newBadBytesFixture(t)
	var visitID int64
	if err := dbtest.DB(t).Get(&visitID, `SELECT max(id) FROM visits WHERE case_id = $1`, f.caseID); err != nil {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	for _, size := range []int{0, 2 << 20} {
		for _, bad := range []string{"a\x00.png", "\xff\xfe.png", "caf\xe9.png"} {
			for _, tc := range []struct{ path, field, other string }{
				{"/api/v1/cases/" + itoa(f.caseID) + "/visits/" + itoa(visitID) + "/files", "file", "sha256"},
				{"/cases/" + itoa(f.caseID) + "/visits", "photo", "kind"},
				{"/api/v1/imports", "file", "kind"},
				{"/imports", "file", "kind"},
			} {
				var buf bytes.Buffer
				w := multipart.NewWriter(&buf)
				if err := w.WriteField(tc.other, "lapangan"); err != nil {
					t.Fatal(err)
				}
				if err := w.WriteField("padding", strings.Repeat("x", size)); err != nil {
					t.Fatal(err)
				}
				h := textproto.MIMEHeader{}
				h.Set("Content-Disposition", `form-data; name="`+tc.field+`"; filename="`+bad+`"`)
				fw, _ := w.CreatePart(h)
				if _, err := fw.Write(png); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				n := buf.Len()
				res, body := f.send("POST", tc.path, &buf, map[string]string{"Content-Type": w.FormDataContentType()})
				// Beyond what the edge reads, a raw NUL in a part's header makes net/http drop
				// the part (the handlers parsing a whole form never see it): the file is then
				// missing, a 422; the import handler reads parts itself and refuses it.
				dropped := size > 0 && strings.Contains(bad, "\x00") && !strings.Contains(tc.path, "/imports")
				if res.StatusCode != http.StatusBadRequest && !(dropped && res.StatusCode == http.StatusUnprocessableEntity) {
					t.Errorf("%s, file %q, %d bytes: %d %.200s, want 400", tc.path, bad, n, res.StatusCode, body)
				}
			}
		}
	}
}
