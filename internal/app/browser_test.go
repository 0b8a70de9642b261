package app_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"patuh/internal/auth"
	"patuh/internal/browsertest"
)

// TestBrowserLoginOnAPhone logs in on a phone-sized window and sees the inspector's home page.
func TestBrowserLoginOnAPhone(t *testing.T) {
	srv := server(t)
	user := addUser(t, auth.Inspector, "31.75")
	ctx := browsertest.New(t, 390, 844)

	browsertest.Run(t, ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("nav.nav")),
	)
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
	if err != nil || !strings.Contains(heading, "Selamat datang") {
		t.Fatalf("home heading %q: %v", heading, err)
	}
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(body, "Kasus saya") || !strings.Contains(body, "Jakarta Timur") {
		t.Fatalf("inspector home lacks its cases or area:\n%s", body)
	}
	browsertest.Screenshot(t, ctx, "home-inspector-phone")

	// Switch to English and back through the header form.
	browsertest.Run(t, ctx,
		chromedp.Click(chromedp.CSS(`button[name="lang"][value="en"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value="en"][aria-pressed="true"]`)),
	)
	heading, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
	if !strings.Contains(heading, "Welcome") {
		t.Fatalf("English heading %q", heading)
	}
}
