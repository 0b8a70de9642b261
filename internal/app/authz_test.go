package app_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"patuh/internal/app"
	"patuh/internal/auth"
	"patuh/internal/casework"
	"patuh/internal/db/dbtest"
	"patuh/internal/report"
	"patuh/internal/wib"
)

// TestAuthorizationMatrix holds every route to a rule for each kind of caller: anonymous, admin,
// supervisor (all Jakarta), the assigned inspector of Jakarta Timur, an inspector of Jakarta
// Pusat, and another inspector of Jakarta Timur who is not the case's assignee. "ok" means access was granted (any answer but 401, 403, 404, 5xx or the
// login page; writes carry a stale version or an invalid body so that nothing changes), "login" a
// redirect to the login page. A route missing from the table fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	loadSamples(t)
	ctx := context.Background()
	d := dbtest.DB(t)
	a, err := app.New(testConfig(t), d)
	if err != nil {
		t.Fatal(err)
	}
	srv := serverFor(t, a)

	users := map[string]string{"admin": addUser(t, auth.Admin, ""), "supervisor": addUser(t, auth.Supervisor, ""),
		"inspector-in": addUser(t, auth.Inspector, "31.75"), "inspector-out": addUser(t, auth.Inspector, "31.71")}
	store := auth.NewStore(d, "test-secret")
	users["inspector-area"] = "authz-inspector-area-not-assignee"
	if _, err := store.AddUser(ctx, "test", auth.NewUser{Username: users["inspector-area"], Name: "Test inspector",
		Role: auth.Inspector, Area: "31.75", Password: password}, false); err != nil {
		t.Fatal(err)
	}
	who := func(name string) *auth.User { u, _ := store.UserByUsername(ctx, users[name]); return u }

	// A case in Jakarta Timur with a visit, a photo, a teguran and its letter.
	var employerID int64
	if err := d.Get(&employerID, `SELECT e.id FROM employers e JOIN employer_status s ON s.employer_id = e.id
		WHERE s.kode_kota = '31.75' AND cardinality(s.flag_codes) > 0
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id AND c.status <> 'closed') LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	cases := casework.NewStore(d)
	cs, err := cases.Open(ctx, who("supervisor"), employerID, "")
	if err != nil {
		t.Fatal(err)
	}
	// Opened before the dates below: a follow-up may not be dated before its case (issue 16).
	if _, err := d.Exec(`UPDATE cases SET opened_at = '2026-11-01' WHERE id = $1`, cs.ID); err != nil {
		t.Fatal(err)
	}
	if cs, err = cases.Assign(ctx, who("supervisor"), cs.ID, users["inspector-in"], cs.Version); err != nil {
		t.Fatal(err)
	}
	visit, _, err := cases.AddVisit(ctx, who("inspector-in"), cs.ID, casework.Visit{VisitedOn: "2026-11-20", Kind: "lapangan"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	ev, err := cases.AddEvidence(ctx, who("inspector-in"), cs.ID, visit.ID, "a.png", "", bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	followUp, err := cases.AddFollowUp(ctx, who("inspector-in"), cs.ID, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: wib.Date(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	var importID int64
	if err := d.Get(&importID, `SELECT max(id) FROM imports WHERE status = 'committed'`); err != nil {
		t.Fatal(err)
	}
	reportID, err := report.NewStore(d).Generate(ctx, who("supervisor"), time.Now())
	if err != nil {
		t.Fatal(err)
	}

	who2 := func(username string) *auth.User { u, _ := store.UserByUsername(ctx, username); return u }
	// The admin pages act on a spare user and token, which an admin's call may change.
	spare := addUser(t, auth.Inspector, "31.73")
	token(t, spare)
	var spareTokenID int64
	if err := d.Get(&spareTokenID, `SELECT max(id) FROM api_tokens`); err != nil {
		t.Fatal(err)
	}

	path := routeIDs{caseID: cs.ID, visitID: visit.ID, fileID: ev.ID, followUpID: followUp.ID, employerID: employerID,
		importID: importID, userID: who2(spare).ID, tokenID: spareTokenID, reportID: reportID}.path
	// anonymous, admin, supervisor, inspector-in, inspector-out, inspector-area: the last is an
	// inspector of the case's area who is not its assignee, who may read the case but not act
	// on it (casework/policy.go): visits, evidence, follow-ups and closure requests are refused.
	rules := map[string]string{
		"GET /healthz": "ok ok ok ok ok ok", "GET /readyz": "ok ok ok ok ok ok", "GET /login": "ok ok ok ok ok ok",
		"GET /account/password": "login ok ok ok ok ok", "POST /account/password": "login 422 422 422 422 422",
		"GET /login/mfa": "ok ok ok ok ok ok", "POST /login/mfa": "ok ok ok ok ok ok", "GET /login/mfa/qr.png": "403 403 403 403 403 403",
		"GET /static/*path": "ok ok ok ok ok ok", "GET /sw.js": "ok ok ok ok ok ok", "GET /manifest.webmanifest": "ok ok ok ok ok ok",
		"GET /api/v1/openapi.json": "ok ok ok ok ok ok", "POST /lang": "ok ok ok ok ok ok", "GET /favicon.ico": "ok ok ok ok ok ok",
		"POST /login": "any any any any any any", "POST /logout": "login login login login login login",
		"GET /":                                            "login ok ok ok ok ok",
		"GET /regions":                                     "login ok ok ok ok ok",
		"GET /regions/:kode":                               "login ok ok ok 404 ok",
		"GET /employers":                                   "login ok ok ok ok ok",
		"GET /employers/:id":                               "login ok ok ok 404 ok",
		"GET /employers/export/:format":                    "login ok ok ok ok ok",
		"GET /dashboard":                                   "login ok ok ok ok ok",
		"GET /dashboard/boundaries":                        "login ok ok ok ok ok",
		"GET /reports":                                     "login ok ok 403 403 403",
		"POST /reports":                                    "login 422 422 403 403 403",
		"GET /reports/:id/report.pdf":                      "login ok ok 403 403 403",
		"GET /review":                                      "login ok ok 403 403 403",
		"GET /cases":                                       "login ok ok ok ok ok",
		"GET /cases/:id":                                   "login ok ok ok 404 ok",
		"GET /cases/:id/files/:fid":                        "login ok ok ok 404 ok",
		"GET /cases/:id/visits/:vid/bap.pdf":               "login ok ok ok 404 ok",
		"GET /cases/:id/follow-ups/:fid/letter.pdf":        "login ok ok ok 404 ok",
		"GET /cases/complaint":                             "login ok ok 403 403 403",
		"GET /cases/export/:format":                        "login ok ok ok ok ok",
		"GET /follow-ups/export/:format":                   "login ok ok ok ok ok",
		"POST /imports/:id/delete":                         "login 409 403 403 403 403",
		"GET /admin/reference":                             "login ok 403 403 403 403",
		"GET /admin/reference/progress":                    "login ok 403 403 403 403",
		"POST /admin/reference/ump":                        "login 422 403 403 403 403",
		"POST /admin/reference/rates":                      "login 422 403 403 403 403",
		"POST /admin/reference/holidays":                   "login 422 403 403 403 403",
		"POST /admin/reference/holidays/remove":            "login 422 403 403 403 403",
		"POST /admin/reference/holidays/import":            "login 422 403 403 403 403",
		"POST /admin/reference/years":                      "login 422 403 403 403 403",
		"POST /admin/reference/rules":                      "login 422 403 403 403 403",
		"POST /admin/reference/settings":                   "login 422 403 403 403 403",
		"POST /admin/reference/targets":                    "login 422 403 403 403 403",
		"GET /admin/audit":                                 "login ok 403 403 403 403",
		"POST /admin/audit/verify":                         "login ok 403 403 403 403",
		"GET /admin/audit/export/:format":                  "login ok 403 403 403 403",
		"GET /admin/users":                                 "login ok 403 403 403 403",
		"POST /admin/users":                                "login 422 403 403 403 403",
		"GET /admin/users/:id":                             "login ok 403 403 403 403",
		"POST /admin/users/:id":                            "login 422 403 403 403 403",
		"POST /admin/users/:id/active":                     "login ok 403 403 403 403",
		"POST /admin/users/:id/password":                   "login 422 403 403 403 403",
		"POST /admin/users/:id/mfa-reset":                  "login ok 403 403 403 403",
		"POST /admin/users/:id/reassign":                   "login 422 403 403 403 403",
		"GET /admin/tokens":                                "login ok 403 403 403 403",
		"POST /admin/tokens":                               "login 422 403 403 403 403",
		"POST /admin/tokens/:id/revoke":                    "login ok 403 403 403 403",
		"GET /imports":                                     "login ok 403 403 403 403",
		"GET /imports/:id":                                 "login ok 403 403 403 403",
		"GET /imports/:id/errors.csv":                      "login ok 403 403 403 403",
		"GET /imports/:id/progress":                        "login ok 403 403 403 403",
		"POST /imports":                                    "login ok 403 403 403 403",
		"POST /imports/:id/commit":                         "login ok 403 403 403 403",
		"POST /imports/:id/discard":                        "login ok 403 403 403 403",
		"POST /cases":                                      "login ok ok 403 403 403",
		"POST /cases/bulk":                                 "login ok ok 403 403 403",
		"POST /cases/complaint":                            "login ok ok 403 403 403",
		"POST /cases/:id/assign":                           "login ok ok 403 403 403",
		"POST /cases/assign":                               "login ok ok 403 403 403",
		"POST /cases/:id/close":                            "login ok ok 403 403 403",
		"POST /cases/:id/visits":                           "login ok ok ok 404 403",
		"POST /cases/:id/uploads":                          "login ok ok ok 404 403",
		"POST /cases/:id/follow-ups":                       "login ok ok ok 404 403",
		"POST /cases/:id/follow-ups/:fid":                  "login ok ok ok 404 403",
		"POST /cases/:id/request-closure":                  "login ok ok ok 404 403",
		"GET /api/v1/me":                                   "401 ok ok ok ok ok",
		"GET /api/v1/employers":                            "401 ok ok ok ok ok",
		"GET /api/v1/employers/:id":                        "401 ok ok ok 404 ok",
		"GET /api/v1/stats/coverage":                       "401 ok ok ok ok ok",
		"GET /api/v1/stats/residents":                      "401 ok ok ok ok ok",
		"GET /api/v1/stats/history":                        "401 ok ok ok ok ok",
		"GET /api/v1/regions/boundaries":                   "401 ok ok ok ok ok",
		"GET /api/v1/imports/:id":                          "401 ok 403 403 403 403",
		"GET /api/v1/imports/:id/errors.csv":               "401 ok 403 403 403 403",
		"POST /api/v1/imports":                             "401 ok 403 403 403 403",
		"POST /api/v1/imports/:id/commit":                  "401 ok 403 403 403 403",
		"POST /api/v1/imports/:id/discard":                 "401 ok 403 403 403 403",
		"GET /api/v1/cases":                                "401 ok ok ok ok ok",
		"GET /api/v1/cases/:id":                            "401 ok ok ok 404 ok",
		"GET /api/v1/cases/:id/files":                      "401 ok ok ok 404 ok",
		"GET /api/v1/cases/:id/files/:fid":                 "401 ok ok ok 404 ok",
		"GET /api/v1/cases/:id/visits/:vid/bap.pdf":        "401 ok ok ok 404 ok",
		"GET /api/v1/cases/:id/follow-ups/:fid/letter.pdf": "401 ok ok ok 404 ok",
		"GET /api/v1/cases/:id/suggested-assignee":         "401 ok ok 403 403 403",
		"POST /api/v1/cases":                               "401 ok ok 403 403 403",
		"POST /api/v1/cases/:id/assign":                    "401 ok ok 403 403 403",
		"POST /api/v1/cases/assign":                        "401 ok ok 403 403 403",
		"POST /api/v1/cases/:id/close":                     "401 ok ok 403 403 403",
		"POST /api/v1/cases/:id/visits":                    "401 ok ok ok 404 403",
		"POST /api/v1/cases/:id/follow-ups":                "401 ok ok ok 404 403",
		"PATCH /api/v1/cases/:id/follow-ups/:fid":          "401 ok ok ok 404 403",
		"POST /api/v1/cases/:id/request-closure":           "401 ok ok ok 404 403",
		"POST /api/v1/cases/:id/visits/:vid/files":         "401 ok ok ok 404 403",
	}
	callers := []string{"anonymous", "admin", "supervisor", "inspector-in", "inspector-out", "inspector-area"}
	clients := map[string]*client{}
	tokens := map[string]string{}
	for _, name := range callers {
		clients[name] = newClient(t, srv)
		if name != "anonymous" {
			clients[name].login(users[name], password)
			tokens[name] = token(t, users[name])
		}
	}
	var logout []string
	for _, r := range a.Routes {
		key := r.Method + " " + r.Path
		rule, ok := rules[key]
		if !ok {
			t.Errorf("%s has no rule in the authorization matrix", key)
			continue
		}
		if r.Path == "/logout" {
			logout = append(logout, key)
			continue
		}
		for i, want := range strings.Fields(rule) {
			got := call(t, clients[callers[i]], tokens[callers[i]], r.Method, path(r.Path), employerID)
			if !matches(want, got) {
				t.Errorf("%s as %s: %s, want %s", key, callers[i], got, want)
			}
		}
	}
	for _, key := range logout {
		for i, want := range strings.Fields(rules[key]) {
			if got := call(t, clients[callers[i]], "", "POST", "/logout", employerID); !matches(want, got) {
				t.Errorf("%s as %s: %s, want %s", key, callers[i], got, want)
			}
		}
	}
}

// call sends a request that a granted caller could make without changing anything: a stale
// version, an invalid value, or an employer that already has its open case.
func call(t *testing.T, c *client, tok, method, path string, employerID int64) string {
	var body io.Reader
	header := map[string]string{}
	if tok != "" && strings.HasPrefix(path, "/api/") {
		header["Authorization"] = "Bearer " + tok
	}
	switch {
	case strings.HasSuffix(path, "/files") && method == "POST":
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		fw, _ := w.CreateFormFile("file", "a.png")
		if _, err := fw.Write(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 16)...)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		body, header["Content-Type"] = &buf, w.FormDataContentType()
	case strings.HasPrefix(path, "/api/") && (method == "POST" || method == "PATCH"):
		body, header["Content-Type"] = strings.NewReader(`{"version": 999, "employer_id": `+itoa(employerID)+`}`), "application/json"
	case method == "POST":
		body = strings.NewReader("version=999&q=no-such-employer-zzz&count=1&employer_id=" + itoa(employerID))
		header["Content-Type"] = "application/x-www-form-urlencoded"
	}
	res, _ := c.send(method, path, body, header)
	if res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login") {
		return "login"
	}
	return itoa(int64(res.StatusCode))
}

func matches(want, got string) bool {
	switch want {
	case "any":
		return true
	case "ok":
		// Granted and answered: a 5xx is a handler that failed, not access granted.
		return got != "login" && got != "401" && got != "403" && got != "404" && !strings.HasPrefix(got, "5")
	}
	return want == got
}

// TestEveryStateChangeRefusesCrossSiteRequests sends every non-GET route, as an admin with a
// live session (and token), from another site: each is refused before any handler runs.
func TestEveryStateChangeRefusesCrossSiteRequests(t *testing.T) {
	a, err := app.New(testConfig(t), dbtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := serverFor(t, a)
	admin := addUser(t, auth.Admin, "")
	c := newClient(t, srv)
	c.login(admin, password)
	tok := token(t, admin)
	checked := 0
	for _, r := range a.Routes {
		if r.Method == "GET" {
			continue
		}
		path := strings.NewReplacer(":id", "1", ":fid", "1", ":vid", "1").Replace(r.Path)
		for _, from := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
			header := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer " + tok}
			for k, v := range from {
				header[k] = v
			}
			res, body := c.send(r.Method, path, strings.NewReader("x=1"), header)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "situs lain") {
				t.Errorf("%s %s from %v: %d", r.Method, r.Path, from, res.StatusCode)
			}
		}
		checked++
	}
	if checked < 25 {
		t.Fatalf("only %d state-changing routes found", checked)
	}
}
