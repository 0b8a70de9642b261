package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"patuh/internal/auth"
	"patuh/internal/browsertest"
	"patuh/internal/db/dbtest"
)

// TestBrowserSupervisorEnrolsTOTP: a supervisor's first login shows the QR code and the key;
// the test computes the codes as an authenticator app would, enrols, logs out, and logs in
// again with password and code.
func TestBrowserSupervisorEnrolsTOTP(t *testing.T) {
	srv := server(t)
	name := "mfa-browser-sup"
	if _, err := auth.NewStore(dbtest.DB(t), "test-secret").AddUser(context.Background(), "test",
		auth.NewUser{Username: name, Name: "Supervisor Browser", Role: auth.Supervisor, Password: password}, false); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t, 390, 844)
	browsertest.Run(t, ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("img.mfa-qr")),
	)
	browsertest.Screenshot(t, ctx, "mfa-enrol-phone")
	secret, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("mfa-secret")))
	if err != nil || secret == "" {
		t.Fatalf("secret on the enrolment page: %q %v", secret, err)
	}
	// The QR image loaded (naturalWidth > 0): it is served to this session.
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector("img.mfa-qr").naturalWidth`))
	if err != nil || width == 0 {
		t.Fatalf("QR image not loaded: %d %v", width, err)
	}
	code, _ := totp.GenerateCode(strings.TrimSpace(secret), time.Now())
	browsertest.Run(t, ctx,
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("recovery-codes")),
	)
	browsertest.Screenshot(t, ctx, "mfa-recovery-codes-phone")
	browsertest.Run(t, ctx,
		chromedp.Click(chromedp.ID("mfa-continue")),
		chromedp.WaitVisible(chromedp.CSS("nav.nav")),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("code")),
	)
	// The code of enrolment is spent; the next step's code is what the app shows soon after.
	next, _ := totp.GenerateCode(strings.TrimSpace(secret), time.Now().Add(30*time.Second))
	browsertest.Run(t, ctx,
		chromedp.SendKeys(chromedp.ID("code"), next),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("nav.nav")),
	)
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
	if err != nil || !strings.Contains(heading, "Selamat datang") {
		t.Fatalf("home after password and code: %q %v", heading, err)
	}
}
