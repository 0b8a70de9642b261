package app_test

import (
	"net/http"
	"strings"
	"testing"

	"patuh/internal/auth"
)

// A logged-in user who follows a dead link or sends the wrong method keeps the navigation; an
// anonymous visitor gets the same pages without it. /favicon.ico answers with an icon.
func TestErrorPagesKeepTheNavigation(t *testing.T) {
	srv := server(t)
	user := newClient(t, srv)
	if res := user.login(addUser(t, auth.Supervisor, ""), password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	anonymous := newClient(t, srv)
	for _, r := range []struct {
		method, path string
		status       int
	}{{"GET", "/no-such-page", 404}, {"DELETE", "/employers", 405}} {
		res, body := user.do(r.method, r.path, nil, nil)
		if res.StatusCode != r.status || !strings.Contains(body, `<nav class="nav"`) {
			t.Errorf("%s %s logged in: %d, navigation %v", r.method, r.path, res.StatusCode, strings.Contains(body, `<nav class="nav"`))
		}
		res, body = anonymous.do(r.method, r.path, nil, nil)
		if res.StatusCode != r.status || strings.Contains(body, `<nav class="nav"`) {
			t.Errorf("%s %s anonymous: %d, navigation %v", r.method, r.path, res.StatusCode, strings.Contains(body, `<nav class="nav"`))
		}
	}
	res, body := anonymous.do("GET", "/favicon.ico", nil, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/x-icon" || !strings.HasPrefix(body, "\x00\x00\x01\x00") {
		t.Fatalf("favicon: %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), body[:min(len(body), 8)])
	}
}
