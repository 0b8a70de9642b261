package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"patuh/internal/auth"
	"patuh/internal/db/dbtest"
	"patuh/internal/flags"
	"patuh/internal/wib"
)

// The places issue 15 found the API differing from docs/api.md, each held to the spec.

// jsonCall sends a JSON body (or none) with a token and decodes the answer into v.
func jsonCall(t *testing.T, c *client, tok, method, path, body string, v any) (int, string) {
	t.Helper()
	var r io.Reader
	h := map[string]string{"Authorization": "Bearer " + tok}
	if body != "" {
		r = strings.NewReader(body)
		h["Content-Type"] = "application/json"
	}
	res, b := c.send(method, path, r, h)
	if v != nil && res.StatusCode < 300 {
		if err := json.Unmarshal([]byte(b), v); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return res.StatusCode, b
}

type apiError struct {
	Error struct {
		Code   string            `json:"code"`
		Fields map[string]string `json:"fields"`
	} `json:"error"`
}

func fieldsOf(t *testing.T, body string) []string {
	t.Helper()
	var e apiError
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	var names []string
	for k := range e.Error.Fields {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// freeEmployer is a flagged employer without an open case, whose flags in the spec's order
// differ from their alphabetical order when several is true.
func freeEmployer(t *testing.T, several bool) int64 {
	t.Helper()
	var id int64
	q := `SELECT e.id FROM employers e JOIN employer_status s ON s.employer_id = e.id
		WHERE cardinality(s.flag_codes) > 0 AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id AND c.status <> 'closed')`
	if several {
		q += ` AND cardinality(s.flag_codes) > 1 AND s.flag_codes <> (SELECT array_agg(x ORDER BY x) FROM unnest(s.flag_codes) x)`
	}
	if err := dbtest.DB(t).Get(&id, q+` ORDER BY e.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCaseAPIFieldsUseJSONNames(t *testing.T) {
	loadSamples(t)
	c := newClient(t, server(t))
	tok := token(t, addUser(t, auth.Supervisor, ""))
	status, body := jsonCall(t, c, tok, "POST", "/api/v1/cases", `{"employer_id": -3, "note": "x"}`, nil)
	if status != 422 || !slices.Equal(fieldsOf(t, body), []string{"employer_id"}) {
		t.Fatalf("open with a bad employer_id: %d %s", status, body)
	}
	var cs struct {
		ID      int64
		Version int
	}
	if status, body := jsonCall(t, c, tok, "POST", "/api/v1/cases", `{"employer_id": `+itoa(freeEmployer(t, false))+`}`, &cs); status != 201 {
		t.Fatalf("open: %d %s", status, body)
	}
	caseURL := "/api/v1/cases/" + itoa(cs.ID)
	status, body = jsonCall(t, c, tok, "POST", caseURL+"/visits", `{"kind": "kebun", "lat": 1}`, nil)
	if got := fieldsOf(t, body); status != 422 || !slices.Equal(got, []string{"kind", "lon", "visited_on"}) {
		t.Fatalf("visit without date, with a bad kind and half a position: %d %v", status, got)
	}
	status, body = jsonCall(t, c, tok, "POST", caseURL+"/visits", `{"visited_on": "2026-11-30", "kind": "kantor", "findings": [{"code": "XX"}]}`, nil)
	if got := fieldsOf(t, body); status != 422 || !slices.Equal(got, []string{"findings"}) {
		t.Fatalf("visit with a bad finding: %d %v", status, got)
	}
	status, body = jsonCall(t, c, tok, "POST", caseURL+"/follow-ups", `{"kind": "", "issued_on": "30/11/2026"}`, nil)
	if got := fieldsOf(t, body); status != 422 || !slices.Equal(got, []string{"issued_on", "kind"}) {
		t.Fatalf("follow-up: %d %v", status, got)
	}
	status, body = jsonCall(t, c, tok, "POST", caseURL+"/assign", `{"assignee": ""}`, nil)
	if got := fieldsOf(t, body); status != 422 || !slices.Equal(got, []string{"assignee", "version"}) {
		t.Fatalf("assign: %d %v", status, got)
	}
}

func TestCasesListPagesAndRefusesBadFilters(t *testing.T) {
	loadSamples(t)
	c := newClient(t, server(t))
	tok := token(t, addUser(t, auth.Supervisor, ""))
	for range 3 {
		if status, body := jsonCall(t, c, tok, "POST", "/api/v1/cases", `{"employer_id": `+itoa(freeEmployer(t, false))+`}`, nil); status != 201 {
			t.Fatalf("open: %d %s", status, body)
		}
	}
	total := count(t, `SELECT count(*) FROM cases`)
	type page struct {
		Items      []map[string]json.RawMessage `json:"items"`
		NextCursor string                       `json:"next_cursor"`
	}
	// A last page exactly full says there is no next one.
	var all page
	if status, body := jsonCall(t, c, tok, "GET", "/api/v1/cases?limit="+itoa(int64(total)), "", &all); status != 200 ||
		len(all.Items) != total || all.NextCursor != "" {
		t.Fatalf("full last page: %d, %d items of %d, next %q\n%.300s", status, len(all.Items), total, all.NextCursor, body)
	}
	// The list reads no visits: it leaves them out rather than sending null.
	for _, key := range []string{"visits", "follow_ups"} {
		if _, ok := all.Items[0][key]; ok {
			t.Errorf("list item carries %q: %s", key, all.Items[0][key])
		}
	}
	var first, second page
	jsonCall(t, c, tok, "GET", "/api/v1/cases?limit="+itoa(int64(total-1)), "", &first)
	if len(first.Items) != total-1 || first.NextCursor == "" {
		t.Fatalf("first page: %d items, next %q", len(first.Items), first.NextCursor)
	}
	jsonCall(t, c, tok, "GET", "/api/v1/cases?limit="+itoa(int64(total-1))+"&cursor="+first.NextCursor, "", &second)
	if len(second.Items) != 1 || second.NextCursor != "" {
		t.Fatalf("second page: %d items, next %q", len(second.Items), second.NextCursor)
	}
	for query, field := range map[string]string{"limit=0": "limit", "limit=501": "limit", "limit=lima": "limit",
		"cursor=abc": "cursor", "cursor=-4": "cursor", "status=buka": "status", "overdue=1": "overdue", "overdue=yes": "overdue",
		"area=Jakarta": "area"} {
		status, body := jsonCall(t, c, tok, "GET", "/api/v1/cases?"+query, "", nil)
		if got := fieldsOf(t, body); status != 422 || !slices.Equal(got, []string{field}) {
			t.Errorf("%s: %d %v, want 422 naming %s", query, status, got, field)
		}
	}
	for _, query := range []string{"overdue=true", "overdue=false", "status=open"} {
		if status, _ := jsonCall(t, c, tok, "GET", "/api/v1/cases?"+query, "", nil); status != 200 {
			t.Errorf("%s: %d", query, status)
		}
	}
}

func TestFollowUpPostAnswersTheFollowUpAndFlagsAtOpenKeepTheSpecOrder(t *testing.T) {
	loadSamples(t)
	c := newClient(t, server(t))
	tok := token(t, addUser(t, auth.Supervisor, ""))
	var cs struct {
		ID          int64
		Version     int
		FlagsAtOpen []struct{ Code flags.Code } `json:"flags_at_open"`
	}
	if status, body := jsonCall(t, c, tok, "POST", "/api/v1/cases", `{"employer_id": `+itoa(freeEmployer(t, true))+`}`, &cs); status != 201 {
		t.Fatalf("open: %d %s", status, body)
	}
	var codes []flags.Code
	for _, f := range cs.FlagsAtOpen {
		codes = append(codes, f.Code)
	}
	if len(codes) < 2 || !slices.IsSortedFunc(codes, func(a, b flags.Code) int {
		return slices.Index(flags.Codes(), a) - slices.Index(flags.Codes(), b)
	}) {
		t.Fatalf("flags_at_open %v, want the order of %v", codes, flags.Codes())
	}
	// A follow-up runs on an assigned case.
	inspector := addUser(t, auth.Inspector, "")
	if status, body := jsonCall(t, c, tok, "POST", "/api/v1/cases/"+itoa(cs.ID)+"/assign", `{"assignee": "`+inspector+`", "version": `+itoa(int64(cs.Version))+`}`, nil); status != 200 {
		t.Fatalf("assign: %d %s", status, body)
	}
	var fu map[string]any
	status, body := jsonCall(t, c, tok, "POST", "/api/v1/cases/"+itoa(cs.ID)+"/follow-ups", `{"kind": "teguran_1", "issued_on": "`+wib.Date(time.Now())+`"}`, &fu)
	if status != 201 || fu["kind"] != "teguran_1" || fu["status"] != "open" || fu["due_on"] == nil || fu["employer_id"] != nil {
		t.Fatalf("follow-up: %d %s", status, body)
	}
	// A visit without files: the case read carries it with "files": [] (the contract check
	// of every response refuses null where the schema has an array).
	if status, body := jsonCall(t, c, tok, "POST", "/api/v1/cases/"+itoa(cs.ID)+"/visits", `{"visited_on": "2026-11-24", "kind": "kantor"}`, nil); status != 201 {
		t.Fatalf("visit: %d %s", status, body)
	}
	var read struct {
		FollowUps []struct{ ID float64 } `json:"follow_ups"`
	}
	jsonCall(t, c, tok, "GET", "/api/v1/cases/"+itoa(cs.ID), "", &read)
	if len(read.FollowUps) != 1 || read.FollowUps[0].ID != fu["id"] {
		t.Fatalf("the follow-up answered is not the one stored: %v vs %+v", fu["id"], read.FollowUps)
	}
}

func TestBearerSchemeInAnyCase(t *testing.T) {
	c := newClient(t, server(t))
	tok := token(t, addUser(t, auth.Inspector, ""))
	for scheme, want := range map[string]int{"Bearer ": 200, "bearer ": 200, "BEARER ": 200, "bEaReR  ": 200, "Basic ": 401, "Bearer": 401} {
		res, _ := c.send("GET", "/api/v1/me", nil, map[string]string{"Authorization": scheme + tok})
		if res.StatusCode != want {
			t.Errorf("%q: %d, want %d", scheme, res.StatusCode, want)
		}
	}
}

func TestImportOfAPDFOrBinaryIs415(t *testing.T) {
	c := newClient(t, server(t))
	tok := token(t, addUser(t, auth.Admin, ""))
	before := count(t, `SELECT count(*) FROM imports`)
	for name, data := range map[string]string{
		"laporan.pdf": "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
		"workers.csv": "%PDF-1.4 renamed to .csv\n",
		"photo.csv":   "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
		"archive.csv": "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
	} {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		if err := w.WriteField("kind", "workers"); err != nil {
			t.Fatal(err)
		}
		fw, _ := w.CreateFormFile("file", name)
		if _, err := io.WriteString(fw, data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		res, body := c.send("POST", "/api/v1/imports", &buf, map[string]string{"Authorization": "Bearer " + tok, "Content-Type": w.FormDataContentType()})
		if res.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(body, "CSV UTF-8 atau XLSX") {
			t.Errorf("%s: %d %s", name, res.StatusCode, body)
		}
	}
	if n := count(t, `SELECT count(*) FROM imports`) - before; n != 0 {
		t.Errorf("%d imports queued from refused files", n)
	}
}

func TestBadPercentEncodingIs400(t *testing.T) {
	loadSamples(t)
	c := newClient(t, server(t))
	tok := token(t, addUser(t, auth.Supervisor, ""))
	for _, path := range []string{"/api/v1/employers?q=%zz", "/api/v1/employers?flag=PWBD&q=Karya%", "/api/v1/cases?status=%E0%A4%A"} {
		status, body := jsonCall(t, c, tok, "GET", path, "", nil)
		var e apiError
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatal(err)
		}
		if status != 400 || e.Error.Code == "" {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}
}

func TestEmployersSayWhenTheirFlagsWereComputed(t *testing.T) {
	dbtest.Isolate(t) // no other test's queued flags or unsettled import
	loadSamples(t)
	srv, _ := serverWithoutWorker(t) // nothing takes the queued employer below
	c := newClient(t, srv)
	tok := token(t, addUser(t, auth.Supervisor, ""))
	var list struct {
		Items []struct {
			ID              int64      `json:"id"`
			FlagsComputedAt *time.Time `json:"flags_computed_at"`
		} `json:"items"`
		FlagsSettledAt *time.Time `json:"flags_settled_at"`
		FlagsCurrent   *bool      `json:"flags_current"`
	}
	jsonCall(t, c, tok, "GET", "/api/v1/employers?limit=5", "", &list)
	var settled time.Time
	if err := dbtest.DB(t).Get(&settled, `SELECT max(settled_at) FROM imports`); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) == 0 || list.FlagsSettledAt == nil || !list.FlagsSettledAt.Equal(settled) || list.FlagsCurrent == nil || !*list.FlagsCurrent {
		t.Fatalf("list: settled %v current %v, want %v and true", list.FlagsSettledAt, list.FlagsCurrent, settled)
	}
	for _, e := range list.Items {
		if e.FlagsComputedAt == nil || e.FlagsComputedAt.After(time.Now()) || e.FlagsComputedAt.After(settled) {
			t.Errorf("employer %d: flags_computed_at %v (last settle %v)", e.ID, e.FlagsComputedAt, settled)
		}
	}
	var one struct {
		FlagsComputedAt *time.Time `json:"flags_computed_at"`
	}
	jsonCall(t, c, tok, "GET", "/api/v1/employers/"+itoa(list.Items[0].ID), "", &one)
	if one.FlagsComputedAt == nil || !one.FlagsComputedAt.Equal(*list.Items[0].FlagsComputedAt) {
		t.Errorf("detail flags_computed_at %v, list %v", one.FlagsComputedAt, list.Items[0].FlagsComputedAt)
	}
	// An employer waiting for its flags: the list says they are not all current.
	owner := dbtest.OwnerDB(t)
	owner.MustExec(`INSERT INTO flag_queue VALUES ($1)`, list.Items[0].ID)
	t.Cleanup(func() { owner.MustExec(`DELETE FROM flag_queue WHERE employer_id = $1`, list.Items[0].ID) })
	jsonCall(t, c, tok, "GET", "/api/v1/employers?limit=5", "", &list)
	if list.FlagsCurrent == nil || *list.FlagsCurrent {
		t.Fatalf("flags_current %v with an employer queued", list.FlagsCurrent)
	}
}
