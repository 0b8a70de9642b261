package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"patuh/internal/app"
	"patuh/internal/auth"
	"patuh/internal/db/dbtest"
)

var secretRe = regexp.MustCompile(`<code id="mfa-secret">([A-Z2-7]+)</code>`)

// Issue 14: a supervisor with a password alone reaches no page but the MFA step; enrolment
// shows a QR code to that user only; a code is accepted once.
func TestMFARequiredForSupervisorAndCodeUsedOnce(t *testing.T) {
	srv := server(t)
	name := "mfa-http-sup"
	if _, err := auth.NewStore(dbtest.DB(t), "test-secret").AddUser(context.Background(), "test",
		auth.NewUser{Username: name, Name: "Supervisor MFA", Role: auth.Supervisor, Password: password}, false); err != nil {
		t.Fatal(err)
	}
	anon := newClient(t, srv)
	if res, _ := anon.do("GET", "/login/mfa/qr.png", nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous QR: %d", res.StatusCode)
	}

	c := newClient(t, srv)
	res, _ := c.do("POST", "/login", url.Values{"username": {name}, "password": {password}, "next": {"/employers"}}, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login/mfa") {
		t.Fatalf("password step: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	for _, p := range []string{"/", "/employers", "/cases", "/imports", "/regions"} {
		res, _ := c.do("GET", p, nil, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login/mfa" {
			t.Errorf("%s with a password only: %d %s", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, body := c.do("GET", "/login/mfa", nil, nil)
	m := secretRe.FindStringSubmatch(body)
	if res.StatusCode != 200 || m == nil {
		t.Fatalf("enrolment page: %d\n%s", res.StatusCode, body)
	}
	secret := m[1]
	res, png := c.do("GET", "/login/mfa/qr.png", nil, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(png, "\x89PNG") {
		t.Fatalf("QR: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, _ := c.do("POST", "/login/mfa", url.Values{"code": {"000000"}}, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong first code: %d", res.StatusCode)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	res, body = c.do("POST", "/login/mfa", url.Values{"code": {code}, "next": {"/employers"}}, nil)
	if res.StatusCode != 200 || strings.Count(body, "<li><code>") != 10 {
		t.Fatalf("enrolment: %d\n%s", res.StatusCode, body)
	}
	if res, _ := c.do("GET", "/employers", nil, nil); res.StatusCode != 200 {
		t.Fatalf("after enrolment: %d", res.StatusCode)
	}
	if res, _ := c.do("GET", "/login/mfa/qr.png", nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("QR after enrolment: %d", res.StatusCode)
	}

	// A second login: the code already used is refused within its window, the next step's passes.
	c2 := newClient(t, srv)
	c2.do("POST", "/login", url.Values{"username": {name}, "password": {password}}, nil)
	if res, _ := c2.do("POST", "/login/mfa", url.Values{"code": {code}}, nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("reused code: %d", res.StatusCode)
	}
	if res, _ := c2.do("GET", "/", nil, nil); res.Header.Get("Location") != "/login/mfa" {
		t.Fatalf("after a refused code: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if res, _ := c2.do("POST", "/login/mfa", url.Values{"code": {next}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("next step's code: %d", res.StatusCode)
	}
	if res, _ := c2.do("GET", "/", nil, nil); res.StatusCode != 200 {
		t.Fatalf("home after the second factor: %d", res.StatusCode)
	}
}

// TOTP codes are throttled like passwords: after five wrong codes even the right one waits.
func TestMFACodesThrottled(t *testing.T) {
	srv := server(t)
	user := addUser(t, auth.Admin, "")
	c := newClient(t, srv)
	c.do("POST", "/login", url.Values{"username": {user}, "password": {password}}, nil)
	for i := range 5 {
		if res, _ := c.do("POST", "/login/mfa", url.Values{"code": {"123456"}}, nil); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d", i, res.StatusCode)
		}
	}
	if res, _ := c.do("POST", "/login/mfa", url.Values{"code": {recoveryCode(t, user)}}, nil); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right code while throttled: %d", res.StatusCode)
	}
}

// MFAReset (the admin's page and `patuh user mfa-reset`) ends the sessions and starts enrolment again.
func TestMFAResetEndsSessionsAndReenrols(t *testing.T) {
	srv := server(t)
	user := addUser(t, auth.Supervisor, "")
	c := newClient(t, srv)
	if res := c.login(user, password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	store := auth.NewStore(dbtest.DB(t), "test-secret")
	u, err := store.UserByUsername(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.MFAReset(context.Background(), "admin-test", u.ID); err != nil {
		t.Fatal(err)
	}
	if res, _ := c.do("GET", "/", nil, nil); !strings.HasPrefix(res.Header.Get("Location"), "/login") || res.Header.Get("Location") == "/login/mfa" {
		t.Fatalf("old session after reset: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	var audited int
	if err := dbtest.DB(t).Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'user.mfa_reset' AND entity_id = $1`, itoa(u.ID)); err != nil || audited != 1 {
		t.Fatalf("audit of the reset: %d %v", audited, err)
	}
	c2 := newClient(t, srv)
	c2.do("POST", "/login", url.Values{"username": {user}, "password": {password}}, nil)
	if _, body := c2.do("GET", "/login/mfa", nil, nil); !secretRe.MatchString(body) {
		t.Fatal("no enrolment after the reset")
	}
}

// No directory listings under /static/, and HSTS whenever cookies are secure (production).
func TestStaticListsNoDirectoriesAndHSTSInProduction(t *testing.T) {
	cfg := testConfig(t)
	cfg.SecureCookies = true
	a, err := app.New(cfg, dbtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := serverFor(t, a)
	c := newClient(t, srv)
	for _, p := range []string{"/static/", "/static/css/", "/static/js", "/static/../"} {
		if res, body := c.do("GET", p, nil, nil); res.StatusCode != http.StatusNotFound || strings.Contains(body, "<pre>") {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
	res, _ := c.do("GET", "/static/css/app.css", nil, nil)
	if res.StatusCode != 200 {
		t.Errorf("a static file: %d", res.StatusCode)
	}
	if got := res.Header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
		t.Errorf("HSTS = %q", got)
	}
}

// The user's own password change: current password required, the policy applied, every
// other session ended, this one kept.
func TestOwnPasswordChangeEndsOtherSessions(t *testing.T) {
	srv := server(t)
	user := addUser(t, auth.Inspector, "31.75")
	a, b := newClient(t, srv), newClient(t, srv)
	a.login(user, password)
	b.login(user, password)
	const fresh = "sungai ciliwung pagi hari"
	for form, want := range map[string]string{
		"current=wrong+password!!&password=sungai+ciliwung+pagi+hari": "Kata sandi saat ini salah",
		"current=correct+horse+battery&password=password1234":         "terlalu mudah ditebak",
	} {
		res, body := a.send("POST", "/account/password", strings.NewReader(form), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, want) {
			t.Fatalf("%s: %d, want 422 with %q", form, res.StatusCode, want)
		}
	}
	res, body := a.do("POST", "/account/password", url.Values{"current": {password}, "password": {fresh}}, nil)
	if res.StatusCode != 200 || !strings.Contains(body, `id="password-done"`) {
		t.Fatalf("change: %d", res.StatusCode)
	}
	if res, _ := a.do("GET", "/", nil, nil); res.StatusCode != 200 {
		t.Errorf("the changing session ended: %d", res.StatusCode)
	}
	if res, _ := b.do("GET", "/", nil, nil); !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("the other session survived: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res := newClient(t, srv).login(user, fresh); res.StatusCode != http.StatusSeeOther {
		t.Errorf("login with the new password: %d", res.StatusCode)
	}
}
