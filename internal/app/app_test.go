package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/pquerna/otp/totp"

	"patuh/internal/app"
	"patuh/internal/auth"
	"patuh/internal/config"
	"patuh/internal/db/dbtest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode) // as cmd/patuh: no debug lines for every route
	dbtest.Main(m)
}

const password = "correct horse battery"

// testAuditKey seals the audit chain in every test, in process and in the servers the fault
// tests start (startServer): a seal one made is checked by another, in whatever order they run.
const testAuditKey = "test-audit-key"

func testConfig(t *testing.T) config.Config {
	return config.Config{Secret: "test-secret", AuditKey: []byte(testAuditKey), SessionIdle: 30 * time.Minute, SessionMaxAge: 12 * time.Hour, DataDir: t.TempDir()}
}

// server starts the whole application, with its import worker, on a real listener.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	srv, a := serverWithoutWorker(t)
	ctx, cancel := context.WithCancel(context.Background())
	go a.Importer.Run(ctx)
	t.Cleanup(cancel)
	return srv
}

// serverWithoutWorker leaves imports queued until the test drains them itself.
func serverWithoutWorker(t *testing.T) (*httptest.Server, *app.App) {
	t.Helper()
	a, err := app.New(testConfig(t), dbtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	return serverFor(t, a), a
}

func serverFor(t *testing.T, a *app.App) *httptest.Server {
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return srv
}

// addUser creates a user with a name unique to the test, so tests never share throttling state.
func addUser(t *testing.T, role auth.Role, area string) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 50 {
		name = name[len(name)-50:]
	}
	name += "-" + string(role)[:3] + strings.ReplaceAll(area, ".", "")
	store := auth.NewStore(dbtest.DB(t), "test-secret")
	u, err := store.AddUser(context.Background(), "test",
		auth.NewUser{Username: name, Name: "Test " + string(role), Role: role, Area: area, Password: password}, false)
	if err != nil {
		t.Fatal(err)
	}
	if role == auth.Admin || role == auth.Supervisor {
		enrolForTest(t, store, u)
	}
	return name
}

// recoveryCodes holds, per username, the unused recovery codes of users enrolled by
// enrolForTest: each test login spends one for the second factor, since a TOTP code is
// accepted once per 30-second step and tests log the same user in more often than that.
var recoveryCodes sync.Map

// enrolForTest turns on the second factor of an admin or supervisor as the enrolment page
// would, computing the first code from the secret.
func enrolForTest(t *testing.T, store *auth.Store, u *auth.User) {
	t.Helper()
	ctx := context.Background()
	key, err := store.EnrolmentKey(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(key.Secret(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	codes, err := store.ConfirmEnrolment(ctx, u, code)
	if err != nil {
		t.Fatal(err)
	}
	recoveryCodes.Store(u.Username, &codes)
}

// recoveryCode spends one of the user's recovery codes ("" for a user without MFA).
func recoveryCode(t *testing.T, username string) string {
	t.Helper()
	v, ok := recoveryCodes.Load(username)
	if !ok {
		return ""
	}
	codes := v.(*[]string)
	if len(*codes) == 0 {
		t.Fatalf("recovery codes of %s spent", username)
	}
	code := (*codes)[0]
	*codes = (*codes)[1:]
	return code
}

type client struct {
	*http.Client
	base string
	t    *testing.T
}

func newClient(t *testing.T, srv *httptest.Server) *client {
	jar, _ := cookiejar.New(nil)
	return &client{Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}, base: srv.URL, t: t}
}

// do sends a form (or nothing, when form is nil).
func (c *client) do(method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	c.t.Helper()
	if form == nil {
		return c.send(method, path, nil, header)
	}
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range header {
		h[k] = v
	}
	return c.send(method, path, strings.NewReader(form.Encode()), h)
}

// send sends any body and returns the response with its body read.
func (c *client) send(method, path string, body io.Reader, header map[string]string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, body)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	validateAPI(c.t, req, res, b) // every API response of the tests against openapi.json
	return res, string(b)
}

func (c *client) login(username, pw string) *http.Response {
	c.t.Helper()
	res, _ := c.do("POST", "/login", url.Values{"username": {username}, "password": {pw}}, nil)
	if res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login/mfa") {
		next, _ := url.Parse(res.Header.Get("Location"))
		res, _ = c.do("POST", "/login/mfa", url.Values{"code": {recoveryCode(c.t, username)}, "next": {next.Query().Get("next")}}, nil)
	}
	return res
}

func sessionCookie(c *client) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == app.SessionCookieName(false) {
			return ck.Value
		}
	}
	return ""
}

func TestLoginGoodAndBad(t *testing.T) {
	srv := server(t)
	user := addUser(t, auth.Admin, "")
	c := newClient(t, srv)

	res, _ := c.do("GET", "/", nil, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous home: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res = c.login(user, "wrong password!!")
	_, body := c.do("POST", "/login", url.Values{"username": {"nobody-" + user}, "password": {password}}, nil)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Nama pengguna atau kata sandi salah") {
		t.Fatalf("bad login: %d", res.StatusCode)
	}
	res = c.login(user, password)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("good login: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, body = c.do("GET", "/", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "Selamat datang, Test admin") {
		t.Fatalf("home after login: %d\n%s", res.StatusCode, body)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("logged-in page Cache-Control = %q", res.Header.Get("Cache-Control"))
	}
}

func TestLoginThrottledPerAccountAndNotResetByForwardedFor(t *testing.T) {
	srv := server(t)
	user := addUser(t, auth.Inspector, "31.71")
	c := newClient(t, srv)
	for i := range 5 {
		res, _ := c.do("POST", "/login", url.Values{"username": {user}, "password": {"wrong password!!"}},
			map[string]string{"X-Forwarded-For": "10.0.0." + string(rune('1'+i))})
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, res.StatusCode)
		}
	}
	// Even the right password is refused now, whatever address the request claims.
	res, body := c.do("POST", "/login", url.Values{"username": {user}, "password": {password}},
		map[string]string{"X-Forwarded-For": "203.0.113.9"})
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Terlalu banyak percobaan") {
		t.Fatalf("throttled login: %d", res.StatusCode)
	}
}

func TestLoginThrottledPerAddress(t *testing.T) {
	srv := server(t)
	c := newClient(t, srv)
	// 20 failures spread over many accounts from one address close the address.
	d := dbtest.DB(t)
	if _, err := d.Exec(`INSERT INTO auth_throttle (key, failures, window_start) VALUES ('addr:127.0.0.1', 20, now())
		ON CONFLICT (key) DO UPDATE SET failures = 20, window_start = now()`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := d.Exec(`DELETE FROM auth_throttle WHERE key = 'addr:127.0.0.1'`); err != nil {
			t.Error(err)
		}
	})
	user := addUser(t, auth.Admin, "")
	if res := c.login(user, password); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("address throttle: %d", res.StatusCode)
	}
}

func TestSessionRenewedAtLoginAndEndedAtLogout(t *testing.T) {
	srv := server(t)
	user := addUser(t, auth.Supervisor, "")
	c := newClient(t, srv)
	c.do("POST", "/lang", url.Values{"lang": {"en"}, "next": {"/login"}}, nil)
	c.login(user, password)
	before := sessionCookie(c)
	// Logging in again over a live session must not keep its token (session fixation).
	c.login(user, password)
	after := sessionCookie(c)
	if before == "" || after == "" || after == before {
		t.Fatalf("session token not renewed at login: before %q after %q", before, after)
	}
	old := newClient(t, srv)
	u0, _ := url.Parse(srv.URL)
	old.Jar.SetCookies(u0, []*http.Cookie{{Name: app.SessionCookieName(false), Value: before}})
	if res, _ := old.do("GET", "/", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("pre-login token still valid: %d", res.StatusCode)
	}
	res, body := c.do("GET", "/", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "Welcome, Test supervisor") {
		t.Fatalf("English home: %d", res.StatusCode)
	}
	stolen := after
	res, _ = c.do("POST", "/logout", url.Values{}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	// Replaying the old cookie after logout gets the login page.
	other := newClient(t, srv)
	u, _ := url.Parse(srv.URL)
	other.Jar.SetCookies(u, []*http.Cookie{{Name: app.SessionCookieName(false), Value: stolen}})
	if res, _ := other.do("GET", "/", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("session survived logout: %d", res.StatusCode)
	}
}

func TestPasswordChangeEndsSessions(t *testing.T) {
	srv := server(t)
	user := addUser(t, auth.Inspector, "31.75")
	c := newClient(t, srv)
	c.login(user, password)
	if res, _ := c.do("GET", "/", nil, nil); res.StatusCode != 200 {
		t.Fatalf("home: %d", res.StatusCode)
	}
	store := auth.NewStore(dbtest.DB(t), "test-secret")
	u, _ := store.UserByUsername(context.Background(), user)
	if err := store.ChangePassword(context.Background(), "test", u.ID, "another long password"); err != nil {
		t.Fatal(err)
	}
	if res, _ := c.do("GET", "/", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("session survived password change: %d", res.StatusCode)
	}
}

func TestCrossSitePostRefused(t *testing.T) {
	srv := server(t)
	user := addUser(t, auth.Admin, "")
	c := newClient(t, srv)
	c.login(user, password)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		res, body := c.do("POST", "/logout", url.Values{}, h)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "berasal dari situs lain") {
			t.Fatalf("cross-site POST with %v: %d", h, res.StatusCode)
		}
	}
	// The session is intact: the forged logout did nothing.
	if res, _ := c.do("GET", "/", nil, nil); res.StatusCode != 200 {
		t.Fatalf("session lost to a refused request: %d", res.StatusCode)
	}
	// The same request from the site itself passes.
	if res, _ := c.do("POST", "/logout", url.Values{}, map[string]string{"Sec-Fetch-Site": "same-origin"}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin POST: %d", res.StatusCode)
	}
}

func TestAreaScoping(t *testing.T) {
	srv := server(t)
	c := newClient(t, srv)
	c.login(addUser(t, auth.Inspector, "31.71"), password)

	res, body := c.do("GET", "/regions", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "Jakarta Pusat") || strings.Contains(body, "Jakarta Timur") {
		t.Fatalf("scoped region list: %d\n%s", res.StatusCode, body)
	}
	if res, _ := c.do("GET", "/regions/31.71.01", nil, nil); res.StatusCode != 200 {
		t.Fatalf("own kecamatan: %d", res.StatusCode)
	}
	// Outside the area a record behaves as not found, not forbidden.
	for _, code := range []string{"31.75", "31.75.01", "31.72"} {
		if res, _ := c.do("GET", "/regions/"+code, nil, nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("region %s outside area: %d", code, res.StatusCode)
		}
	}

	all := newClient(t, srv)
	all.login(addUser(t, auth.Supervisor, ""), password)
	res, body = all.do("GET", "/regions", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "6 kota, 44 kecamatan, 267 kelurahan") {
		t.Fatalf("all regions: %d\n%s", res.StatusCode, body)
	}
	if res, _ := all.do("GET", "/regions/31.75", nil, nil); res.StatusCode != 200 {
		t.Fatalf("unscoped supervisor on 31.75: %d", res.StatusCode)
	}
}

func TestTokenAuth(t *testing.T) {
	srv := server(t)
	user := addUser(t, auth.Supervisor, "31.72")
	store := auth.NewStore(dbtest.DB(t), "test-secret")
	u, _ := store.UserByUsername(context.Background(), user)
	token, err := store.CreateToken(context.Background(), "test", u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer patuh_wrong"}, {"Authorization": "Basic " + token}} {
		res, body := c.do("GET", "/api/v1/me", nil, h)
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"code":"unauthorized"`) {
			t.Fatalf("%v: %d %s", h, res.StatusCode, body)
		}
	}
	res, body := c.do("GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + token})
	if res.StatusCode != 200 || !strings.Contains(body, `"username":"`+user+`"`) || !strings.Contains(body, `"area":"31.72"`) {
		t.Fatalf("token: %d %s", res.StatusCode, body)
	}
	if strings.Contains(body, "password") || res.Header.Get("Set-Cookie") != "" {
		t.Fatalf("API leaked a hash or set a cookie: %s", body)
	}
	// A browser session too, so that both kinds of secret are in the database.
	browser := newClient(t, srv)
	if res := browser.login(user, password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	assertNotStoredInClear(t, "API token", token)
	assertNotStoredInClear(t, "session token", sessionCookie(browser))
}

// assertNotStoredInClear fails when secret appears, as text or bytes, in any column of any
// table of the database: the token tables and everything else (audit details, logs of
// attempts, session data).
func assertNotStoredInClear(t *testing.T, what, secret string) {
	t.Helper()
	if len(secret) < 16 {
		t.Fatalf("%s %q: too short to be a real secret", what, secret)
	}
	d := dbtest.DB(t)
	var tables []string
	if err := d.Select(&tables, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables seen", len(tables))
	}
	for _, tbl := range tables {
		var n int
		// Each row as text (bytea columns appear as \x hex, so the hex of the secret is searched too).
		err := d.Get(&n, `SELECT count(*) FROM `+tbl+` x WHERE strpos(x::text, $1) > 0 OR strpos(x::text, encode(convert_to($1, 'UTF8'), 'hex')) > 0`, secret)
		if err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		if n != 0 {
			t.Errorf("the %s is stored in clear in %s", what, tbl)
		}
	}
}

// A token's last use is kept to the minute: a burst of API calls writes it once, not per call.
func TestTokenUseRecordedOncePerMinute(t *testing.T) {
	srv := server(t)
	user := addUser(t, auth.Supervisor, "")
	tok := token(t, user)
	c := newClient(t, srv)
	lastUsed := func() (at time.Time) {
		if err := dbtest.DB(t).Get(&at, `SELECT t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = $1`, user); err != nil {
			t.Fatal(err)
		}
		return at
	}
	for range 3 {
		if res, body := c.do("GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + tok}); res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
		if lastUsed().IsZero() {
			t.Fatal("last use not recorded")
		}
	}
	first := lastUsed()
	c.do("GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + tok})
	if !lastUsed().Equal(first) {
		t.Fatal("last use rewritten within the minute")
	}
	dbtest.DB(t).MustExec(`UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE last_used_at = $1`, first)
	c.do("GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + tok})
	if !lastUsed().After(first) {
		t.Fatal("last use not updated after a minute")
	}
}

func TestHealthAndHeaders(t *testing.T) {
	srv := server(t)
	c := newClient(t, srv)
	for _, path := range []string{"/healthz", "/readyz", "/login", "/nope", "/static/css/app.css", "/api/v1/me", "/api/v1/openapi.json"} {
		res, body := c.do("GET", path, nil, nil)
		h := res.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: security headers missing: %v", path, h)
		}
		if strings.Contains(body, "goroutine") || strings.Contains(body, "sql:") {
			t.Errorf("%s: internals in body", path)
		}
	}
	if res, _ := c.do("GET", "/readyz", nil, nil); res.StatusCode != 200 {
		t.Fatalf("readyz: %d", res.StatusCode)
	}
	if res, body := c.do("GET", "/nope", nil, nil); res.StatusCode != 404 || !strings.Contains(body, "tidak ditemukan") {
		t.Fatalf("404 page: %d", res.StatusCode)
	}
	// Error responses (a page and the API) carry the same headers. The 503s of a database
	// outage are checked by TestDatabaseRestart.
	for _, path := range []string{"/login", "/api/v1/me"} {
		res, _ := c.do("PUT", path, nil, nil)
		if res.StatusCode < 400 || res.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("PUT %s: %d without the security headers: %v", path, res.StatusCode, res.Header)
		}
	}
}

// Sessions live in PostgreSQL, so a restarted server keeps everyone logged in.
func TestSessionSurvivesRestart(t *testing.T) {
	first := server(t)
	user := addUser(t, auth.Admin, "")
	c := newClient(t, first)
	c.login(user, password)
	token := sessionCookie(c)
	first.Close()

	second := server(t)
	c2 := newClient(t, second)
	u, _ := url.Parse(second.URL)
	c2.Jar.SetCookies(u, []*http.Cookie{{Name: app.SessionCookieName(false), Value: token}})
	if res, _ := c2.do("GET", "/", nil, nil); res.StatusCode != 200 {
		t.Fatalf("session lost across a restart: %d", res.StatusCode)
	}
}

// TestLogsHoldNoPersonalDataOrSecrets drives requests that carry a NIK, a password and a token
// and reads every log line the server wrote.
func TestLogsHoldNoPersonalDataOrSecrets(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil)))
	defer slog.SetDefault(previous)

	srv := server(t)
	user := addUser(t, auth.Supervisor, "")
	tok := token(t, user)
	c := newClient(t, srv)
	const nik = "3171010101900001"
	c.login(user, password)
	c.login(user, "a wrong password 123")
	c.do("GET", "/employers?q="+nik, nil, nil)
	c.do("GET", "/employers/999999?nik="+nik, nil, nil)
	c.do("GET", "/api/v1/employers?q="+nik, nil, map[string]string{"Authorization": "Bearer " + tok})
	c.do("GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + tok + "x"})
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if !strings.Contains(out, `"route":"/employers"`) {
		t.Fatalf("the requests were not logged:\n%s", out)
	}
	for _, secret := range []string{nik, password, "a wrong password", tok, strings.TrimPrefix(tok, "patuh_")} {
		if strings.Contains(out, secret) {
			t.Errorf("a log line holds %q", secret)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// routeIDs fill a route's parameters with the ids of a test's fixture (the authorization and
// bad-bytes tests walk every route of the router with them). A zero id leaves a route that
// answers 404.
type routeIDs struct {
	caseID, visitID, fileID, followUpID, employerID, importID, userID, tokenID, reportID int64
}

func (r routeIDs) path(route string) string {
	p := strings.NewReplacer(":id/visits/:vid", itoa(r.caseID)+"/visits/"+itoa(r.visitID),
		":id/files/:fid", itoa(r.caseID)+"/files/"+itoa(r.fileID),
		":id/follow-ups/:fid", itoa(r.caseID)+"/follow-ups/"+itoa(r.followUpID)).Replace(route)
	switch {
	case strings.HasPrefix(p, "/regions/:kode"):
		return "/regions/31.75"
	case strings.Contains(p, "/employers/:id"):
		return strings.Replace(p, ":id", itoa(r.employerID), 1)
	case strings.HasPrefix(p, "/admin/users/:id"):
		return strings.Replace(p, ":id", itoa(r.userID), 1)
	case strings.HasPrefix(p, "/admin/tokens/:id"):
		return strings.Replace(p, ":id", itoa(r.tokenID), 1)
	case strings.Contains(p, "/imports/:id"):
		return strings.Replace(p, ":id", itoa(r.importID), 1)
	case strings.Contains(p, "/export/:format"):
		return strings.Replace(p, ":format", "csv", 1)
	case strings.HasPrefix(p, "/reports/:id"):
		return strings.Replace(p, ":id", itoa(r.reportID), 1)
	case strings.HasPrefix(p, "/static/"):
		return "/static/css/app.css"
	}
	return strings.Replace(p, ":id", itoa(r.caseID), 1)
}
