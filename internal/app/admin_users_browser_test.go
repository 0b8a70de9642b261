package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"patuh/internal/auth"
	"patuh/internal/browsertest"
	"patuh/internal/casework"
	"patuh/internal/db/dbtest"
)

// TestBrowserAdminUserJourney (issue 12): an admin adds an inspector for Jakarta Barat; the
// inspector logs in with the temporary password and must choose their own; the admin
// disables them, hands their open cases over in bulk to the suggested colleagues, and the
// inspector's session has ended.
func TestBrowserAdminUserJourney(t *testing.T) {
	dbtest.Isolate(t) // its own users, cases and workload: no earlier test's changes what it is offered
	loadSamples(t)
	srv := server(t)
	ctx := context.Background()
	d := dbtest.DB(t)
	store := auth.NewStore(d, "test-secret")
	admin := addUser(t, auth.Admin, "")
	sup, _ := store.UserByUsername(ctx, addUser(t, auth.Supervisor, ""))
	for _, n := range [][2]string{{"bj-dewi", "Dewi Lestari"}, {"bj-eko", "Eko Prasetyo"}} {
		if _, err := store.AddUser(ctx, "test", auth.NewUser{Username: n[0], Name: n[1], Role: auth.Inspector, Area: "31.73", Password: password}, false); err != nil {
			t.Fatal(err)
		}
	}

	desk := browsertest.New(t, 1280, 900)
	browsertest.Run(t, desk, browserLogin(srv.URL, admin),
		chromedp.Click(chromedp.ID("manage-users")),
		chromedp.WaitVisible(chromedp.ID("users-table")),
		chromedp.Click(chromedp.CSS("#add-user-card summary")),
		chromedp.SendKeys(chromedp.ID("new-name"), "Fajar Nugroho"),
		chromedp.SendKeys(chromedp.ID("new-username"), "fajar-barat"),
		chromedp.SetValue(chromedp.ID("new-role"), "inspector"),
		chromedp.SetValue(chromedp.ID("new-area"), "31.73"),
		chromedp.SendKeys(chromedp.ID("new-password"), "sementara fajar 2026"),
	)
	browsertest.Screenshot(t, desk, "admin-users-add-desktop")
	browsertest.Run(t, desk, chromedp.Click(chromedp.ID("add-user-submit")), chromedp.WaitVisible(chromedp.ID("edit-user")))
	if name := browsertest.Text(t, desk, "user-name"); name != "Fajar Nugroho" {
		t.Fatalf("user page of %q", name)
	}

	// Two open cases of Jakarta Barat for the new inspector.
	cases := casework.NewStore(d)
	var employers []int64
	if err := d.Select(&employers, `SELECT e.id FROM employers e WHERE e.kode_kelurahan LIKE '31.73.%'
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id AND c.status <> 'closed') ORDER BY e.id DESC LIMIT 2`); err != nil {
		t.Fatal(err)
	}
	for _, e := range employers {
		cs, err := cases.Open(ctx, sup, e, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cases.Assign(ctx, sup, cs.ID, "fajar-barat", cs.Version); err != nil {
			t.Fatal(err)
		}
	}

	// First login: the temporary password leads to the password change, then home.
	phone := browsertest.New(t, 390, 844)
	browsertest.Run(t, phone,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), "fajar-barat"),
		chromedp.SendKeys(chromedp.ID("password"), "sementara fajar 2026"),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("password-must-change")),
	)
	browsertest.Screenshot(t, phone, "first-login-password-phone")
	browsertest.Run(t, phone,
		chromedp.SendKeys(chromedp.ID("current"), "sementara fajar 2026"),
		chromedp.SendKeys(chromedp.ID("new-password"), "layang layang di monas"),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("my-cases")),
	)
	browsertest.Screenshot(t, phone, "first-login-home-phone")

	// The admin disables Fajar: the handover of his two cases is offered, suggested by workload.
	browsertest.Run(t, desk,
		chromedp.Reload(),
		chromedp.Click(chromedp.ID("disable-user")),
		chromedp.WaitVisible(chromedp.CSS(`#user-state[data-active="false"]`)),
		chromedp.WaitVisible(chromedp.ID("reassign-form")),
	)
	state := browsertest.Value(t, desk, chromedp.AttributeValue(chromedp.ID("user-state"), "data-active"))
	if state.Value != "false" {
		t.Fatalf("user state after disabling: %q", state.Value)
	}
	intro := browsertest.Text(t, desk, "handover-intro")
	if !strings.HasPrefix(intro, "2 kasus") {
		t.Fatalf("handover intro: %q", intro)
	}
	browsertest.Screenshot(t, desk, "admin-user-handover-desktop")
	browsertest.Run(t, desk, chromedp.Click(chromedp.ID("reassign-submit")),
		chromedp.WaitVisible(chromedp.CSS(`p.flash[data-flash="admin_users.reassigned"]`)))
	if n := count(t, `SELECT count(*) FROM cases c JOIN users u ON u.id = c.assignee_id WHERE u.username = 'fajar-barat' AND c.status <> 'closed'`); n != 0 {
		t.Fatalf("%d cases left with the disabled inspector", n)
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE action = 'user.reassign'`); n == 0 {
		t.Fatal("the handover is not audited")
	}
	browsertest.Screenshot(t, desk, "admin-user-disabled-desktop")

	// Fajar's session has ended: his next page is the login form.
	browsertest.Run(t, phone, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("username")))
	loc := browsertest.Value(t, phone, chromedp.Location())
	if !strings.Contains(loc, "/login") {
		t.Fatalf("the disabled inspector is at %s", loc)
	}

	// The token page, for the record.
	browsertest.Run(t, desk, chromedp.Navigate(srv.URL+"/admin/tokens"), chromedp.WaitVisible(chromedp.ID("create-token-form")),
		chromedp.SetValue(chromedp.ID("token-user"), itoa(userID(t, "bj-dewi"))),
		chromedp.SendKeys(chromedp.ID("token-label"), "sinkron laporan"),
		chromedp.Click(chromedp.ID("create-token-submit")),
		chromedp.WaitVisible(chromedp.ID("new-token")))
	browsertest.Screenshot(t, desk, "admin-tokens-desktop")
	browsertest.Run(t, desk, chromedp.Navigate(srv.URL+"/admin/users"), chromedp.WaitVisible(chromedp.ID("users-table")))
	browsertest.Screenshot(t, desk, "admin-users-desktop")
}
