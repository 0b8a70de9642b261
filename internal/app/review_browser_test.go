package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"patuh/internal/auth"
	"patuh/internal/browsertest"
	"patuh/internal/casework"
	"patuh/internal/db/dbtest"
	"patuh/internal/wib"
)

// Issue 16: closing from the review queue while the employer is still flagged brings the case
// page back asking; only the ticked confirmation closes it, and the running teguran ends with
// the case (no live "dipenuhi / tidak dipenuhi").
func TestBrowserCloseWithFlagsRemainingAsksFirst(t *testing.T) {
	id, inspector := fieldCase(t)
	srv := server(t)
	ctx := context.Background()
	d := dbtest.DB(t)
	users := auth.NewStore(d, "test-secret")
	insp, _ := users.UserByUsername(ctx, inspector)
	cases := casework.NewStore(d)
	if _, err := cases.AddFollowUp(ctx, insp, id, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: wib.Date(time.Now())}); err != nil {
		t.Fatal(err)
	}
	c, err := cases.Get(ctx, id, insp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cases.RequestClosure(ctx, insp, id, casework.ClosureRequest{Version: c.Version}); err != nil {
		t.Fatal(err)
	}
	supervisor := addUser(t, auth.Supervisor, "31.75") // fieldCase made the all-Jakarta one
	desk := browsertest.New(t, 1280, 900)
	sid := itoa(id)
	browsertest.Run(t, desk, browserLogin(srv.URL, supervisor),
		chromedp.Navigate(srv.URL+"/review"),
		chromedp.WaitVisible(chromedp.ID("close-summary-"+sid)),
	)
	card := browsertest.Value(t, desk, chromedp.Text(chromedp.ID("close-summary-"+sid)))
	for _, want := range []string{"Temuan saat dibuka", "Masih bertanda sekarang", "pekerja kini terdaftar", "menghentikan 1 tindak lanjut"} {
		if !strings.Contains(card, want) {
			t.Errorf("the review card lacks %q:\n%s", want, card)
		}
	}
	browsertest.Screenshot(t, desk, "review-close-summary")
	browsertest.Run(t, desk,
		chromedp.Click(chromedp.ID("review-close-"+sid)),
		chromedp.WaitVisible(chromedp.ID("close-confirm-box")),
	)
	if got := count(t, `SELECT count(*) FROM cases WHERE id = $1 AND status = 'closed'`, id); got != 0 {
		t.Fatal("the case closed without the confirmation")
	}
	browsertest.Screenshot(t, desk, "case-close-confirm")
	browsertest.Run(t, desk,
		chromedp.Click(chromedp.ID("close-confirm")),
		chromedp.Click(chromedp.ID("close-button")),
		chromedp.WaitVisible(chromedp.CSS(`#case-status[data-status="closed"]`)),
	)
	live := browsertest.Value(t, desk, chromedp.Evaluate[int](`document.querySelectorAll('form[action*="/follow-ups/"] button').length`))
	if live != 0 {
		t.Fatalf("a closed case shows %d follow-up buttons", live)
	}
	if n := count(t, `SELECT count(*) FROM follow_ups WHERE case_id = $1 AND status = 'cancelled' AND ended_at IS NOT NULL`, id); n != 1 {
		t.Fatalf("%d follow-ups ended with the case", n)
	}
}

// Issue 16: bulk opening from the employer list shows how many it will open, leaving out the
// employers without flags, and says how many it opened.
func TestBrowserBulkOpenSkipsCompliantEmployers(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	supervisor := addUser(t, auth.Supervisor, "31.75")
	kel := "31.75.01"
	want := count(t, `SELECT count(*) FROM employer_status s WHERE s.kode_kecamatan = $1 AND cardinality(s.flag_codes) > 0
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = s.employer_id AND c.status <> 'closed')`, kel)
	compliant := count(t, `SELECT count(*) FROM employer_status s WHERE s.kode_kecamatan = $1 AND cardinality(s.flag_codes) = 0`, kel)
	if want == 0 || compliant == 0 {
		t.Fatalf("samples: %d flagged, %d compliant employers in %s", want, compliant, kel)
	}
	desk := browsertest.New(t, 1280, 900)
	browsertest.Run(t, desk, browserLogin(srv.URL, supervisor),
		chromedp.Navigate(srv.URL+"/employers?area="+url.QueryEscape("matraman")),
		chromedp.WaitVisible(chromedp.ID("bulk-open")),
		chromedp.SetValue(chromedp.CSS(`#bulk-open input[name="count"]`), "500"),
		chromedp.Click(chromedp.ID("bulk-open-button")),
		chromedp.WaitVisible(chromedp.ID("bulk-preview")),
	)
	before := count(t, `SELECT count(*) FROM cases`)
	if before != count(t, `SELECT count(*) FROM cases`) {
		t.Fatal("the preview opened cases")
	}
	n := browsertest.Value(t, desk, chromedp.Evaluate[int](`document.querySelectorAll('#bulk-candidates li').length`))
	if n != want {
		t.Fatalf("the preview lists %d employers, want the %d flagged ones", n, want)
	}
	browsertest.Screenshot(t, desk, "bulk-open-preview")
	browsertest.Run(t, desk, chromedp.Click(chromedp.ID("bulk-confirm")), chromedp.WaitVisible(chromedp.CSS("p.flash")))
	flash := browsertest.Value(t, desk, chromedp.Text(chromedp.CSS("p.flash")))
	if !strings.Contains(flash, itoa(int64(want))+" kasus dibuka") {
		t.Fatalf("flash %q, want %d opened", flash, want)
	}
	if got := count(t, `SELECT count(*) FROM cases c JOIN employer_status s ON s.employer_id = c.employer_id
		WHERE c.status = 'open' AND s.kode_kecamatan = $1 AND cardinality(s.flag_codes) = 0`, kel); got != 0 {
		t.Fatalf("%d cases opened for compliant employers", got)
	}
	if got := count(t, `SELECT count(*) FROM cases`) - before; got != want {
		t.Fatalf("opened %d, want %d", got, want)
	}
	// The cases just opened are given to one inspector at once (issue 16: bulk assignment).
	inspector := addUser(t, auth.Inspector, "31.75")
	browsertest.Run(t, desk,
		chromedp.Navigate(srv.URL+"/cases?status=open&area=Matraman"),
		chromedp.WaitVisible(chromedp.ID("bulk-assign")),
		chromedp.Click(chromedp.CSS(`#case-list li:nth-child(1) input[name="case"]`)),
		chromedp.Click(chromedp.CSS(`#case-list li:nth-child(2) input[name="case"]`)),
		chromedp.SetValue(chromedp.ID("bulk-assignee"), inspector),
	)
	browsertest.Screenshot(t, desk, "cases-bulk-assign")
	browsertest.Run(t, desk,
		chromedp.Click(chromedp.ID("bulk-assign-button")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	flash = browsertest.Value(t, desk, chromedp.Text(chromedp.CSS("p.flash")))
	if !strings.Contains(flash, "2 kasus ditugaskan") {
		t.Fatalf("bulk assignment flash %q", flash)
	}
	if got := count(t, `SELECT count(*) FROM cases c JOIN users u ON u.id = c.assignee_id WHERE u.username = $1 AND c.status = 'assigned'`,
		inspector); got != 2 {
		t.Fatalf("%d cases assigned, want 2", got)
	}
	// Tidy up for the other tests of the shared database.
	if _, err := dbtest.DB(t).Exec(`UPDATE cases SET status = 'closed', outcome = 'duplicate', closed_at = now() WHERE status IN ('open', 'assigned')
		AND employer_id IN (SELECT employer_id FROM employer_status WHERE kode_kecamatan = $1)`, kel); err != nil {
		t.Fatal(err)
	}
}

// Issue 16: a refused follow-up comes back with every input kept, the chosen step still
// chosen, the form open and the date marked.
func TestFollowUpFormKeepsInputAfterAnError(t *testing.T) {
	id, inspector := fieldCase(t)
	srv := server(t)
	c := newClient(t, srv)
	c.login(inspector, password)
	far := wib.Date(time.Now().AddDate(0, 0, 30))
	res, body := c.do("POST", "/cases/"+itoa(id)+"/follow-ups", url.Values{"form": {"follow_up"}, "kind": {"teguran_2"},
		"issued_on": {far}, "reason": {"teguran I lewat pos"}, "note": {"Catatan untuk Pak Budi"}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a follow-up 30 days ahead: %d", res.StatusCode)
	}
	for _, want := range []string{`value="teguran_2" selected`, `value="` + far + `"`, "teguran I lewat pos", "Catatan untuk Pak Budi",
		`id="err-issued_on"`, "paling lambat 7 hari"} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused form lacks %q", want)
		}
	}
	if !regexp.MustCompile(`<details class="card" open><summary id="follow-up-toggle">`).MatchString(body) {
		t.Error("the follow-up form collapsed after the error")
	}
}
