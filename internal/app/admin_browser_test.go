package app_test

import (
	"time"

	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/jmoiron/sqlx"

	"patuh/internal/auth"
	"patuh/internal/browsertest"
	"patuh/internal/casework"
	"patuh/internal/db"
	"patuh/internal/db/dbtest"
	"patuh/internal/flags"
)

// TestBrowserReferenceJourney, as an admin on a desktop: the calendar banner; a holiday added
// on /admin/reference moves an open teguran's due date on its case page; a new UMP recomputes
// every employer's flags with the progress shown live; the audit view shows all of it and the
// chain check passes.
func TestBrowserReferenceJourney(t *testing.T) {
	loadSamples(t)
	ctx := context.Background()
	d := dbtest.DB(t)
	srv, a := serverWithoutWorker(t)
	admin := addUser(t, auth.Admin, "")
	d.MustExec(`UPDATE holiday_years SET confirmed_at = NULL WHERE year > 2026`)

	// A case of Jakarta Timur with a teguran I issued on 28 December 2026: due 12 January 2027.
	store := auth.NewStore(d, "test-secret")
	spv, _ := store.UserByUsername(ctx, addUser(t, auth.Supervisor, ""))
	inspector := addUser(t, auth.Inspector, "31.75")
	var employerID int64
	if err := d.Get(&employerID, `SELECT e.id FROM employers e JOIN employer_status s ON s.employer_id = e.id
		WHERE s.kode_kota = '31.75' AND cardinality(s.flag_codes) > 0
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id AND c.status <> 'closed') ORDER BY e.id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	cases := casework.NewStore(d)
	// The teguran is issued on 28 December, so that its due date crosses New Year (a follow-up
	// may be issued at most 7 days ahead: the store's day is the 27th).
	cases.Now = func() time.Time { return time.Date(2026, 12, 27, 9, 0, 0, 0, time.UTC) }
	cs, err := cases.Open(ctx, spv, employerID, "")
	if err != nil {
		t.Fatal(err)
	}
	cs, _ = cases.Assign(ctx, spv, cs.ID, inspector, cs.Version)
	if _, err = cases.AddFollowUp(ctx, spv, cs.ID, casework.FollowUpInput{Kind: "teguran_1", IssuedOn: "2026-12-28"}); err != nil {
		t.Fatal(err)
	}
	var ump int64
	if err := d.Get(&ump, `SELECT amount FROM minimum_wages WHERE valid_from = '2026-01-01'`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.MustExec(`UPDATE minimum_wages SET amount = $1 WHERE valid_from = '2026-01-01'`, ump)
		d.MustExec(`DELETE FROM holidays WHERE day = '2027-01-11'`)
		d.MustExec(`DELETE FROM flag_queue`)
		if err := db.WithTx(ctx, d, func(tx *sqlx.Tx) error { return flags.RecomputeAll(ctx, tx, a.Importer.Now()) }); err != nil {
			t.Fatal(err)
		}
	})

	desk := browsertest.New(t, 1280, 900)
	browsertest.Run(t, desk, browserLogin(srv.URL, admin))
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(desk, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	if b := text("#banner"); !strings.Contains(b, "Kalender hari libur 2027 belum dikonfirmasi") {
		t.Fatalf("banner: %q", b)
	}
	browsertest.Screenshot(t, desk, "admin-home-banner")

	caseURL := srv.URL + "/cases/" + itoa(cs.ID)
	browsertest.Run(t, desk, chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS(".due")))
	if due := text(".due"); due != "12 Januari 2027" {
		t.Fatalf("due before: %q", due)
	}
	if badge := text(".calendar-unconfirmed"); !strings.Contains(badge, "kalender 2027 belum dikonfirmasi") {
		t.Fatalf("unconfirmed calendar badge: %q", badge)
	}

	// Add a holiday on 11 January 2027.
	browsertest.Run(t, desk,
		chromedp.Navigate(srv.URL+"/admin/reference?year=2027#calendar"),
		chromedp.WaitVisible(chromedp.ID("holiday-form")),
		chromedp.SetValue(chromedp.ID("holiday-day"), "2027-01-11"),
		chromedp.SendKeys(chromedp.ID("holiday-name"), "Cuti bersama (uji)"),
		chromedp.SetValue(chromedp.ID("holiday-kind"), "cuti_bersama"),
		chromedp.Click(chromedp.ID("holiday-add")),
		chromedp.WaitVisible(chromedp.CSS(`#holiday-table tr[data-day="2027-01-11"]`)),
	)
	if f := text(".flash"); !strings.Contains(f, "tenggat tindak lanjut yang terbuka digeser") {
		t.Errorf("flash after the holiday: %q", f)
	}
	browsertest.Screenshot(t, desk, "admin-reference-calendar")
	browsertest.Run(t, desk, chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS(".due")))
	if due := text(".due"); due != "13 Januari 2027" {
		t.Fatalf("due after the holiday: %q", due)
	}
	if tl := text("#timeline"); !strings.Contains(tl, "Tenggat digeser karena kalender libur berubah") {
		t.Errorf("timeline lacks the move:\n%s", tl)
	}
	browsertest.Screenshot(t, desk, "case-due-moved")

	// A new UMP for 2026: every employer is queued, the page follows the worker.
	var employers int
	if err := d.Get(&employers, `SELECT count(*) FROM employers`); err != nil {
		t.Fatal(err)
	}
	browsertest.Run(t, desk,
		chromedp.Navigate(srv.URL+"/admin/reference#ump"),
		chromedp.WaitVisible(chromedp.ID("ump-form")),
		chromedp.SendKeys(chromedp.CSS(`#ump-form input[name="year"]`), "2026"),
		chromedp.SendKeys(chromedp.ID("ump-amount"), "6.100.000"),
		chromedp.Click(chromedp.ID("ump-save")),
		chromedp.WaitVisible(chromedp.CSS(`#recompute[data-state="running"]`)),
	)
	if s := text("#recompute-status"); !strings.Contains(s, "Menghitung ulang tanda: 0 dari "+itoa(int64(employers))) {
		t.Errorf("progress before the worker: %q", s)
	}
	if !strings.Contains(text("#ump-table"), "Rp 6.100.000") {
		t.Error("new UMP not listed")
	}
	browsertest.Screenshot(t, desk, "admin-reference-recompute-running")
	if err := a.Importer.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	browsertest.Run(t, desk, chromedp.WaitVisible(chromedp.CSS(`#recompute[data-state="done"]`)))
	if s := text("#recompute-status"); !strings.Contains(s, "Tanda "+itoa(int64(employers))+" pemberi kerja sudah dihitung ulang") {
		t.Errorf("progress after the worker: %q", s)
	}
	var with string
	if err := d.Get(&with, `SELECT value FROM settings WHERE key = 'flags_computed_with'`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(with, "6100000") {
		t.Errorf("flags computed with %q", with)
	}
	browsertest.Screenshot(t, desk, "admin-reference-recompute-done")

	// The audit view of it all, and the chain check.
	browsertest.Run(t, desk, chromedp.Navigate(srv.URL+"/admin/audit?actor="+admin), chromedp.WaitVisible(chromedp.ID("audit-table")))
	table := text("#audit-table")
	for _, want := range []string{"reference.holiday_add", "reference.ump_set", "case.follow_up_redated", "Hari libur ditambahkan", "UMP diubah"} {
		if !strings.Contains(table, want) {
			t.Errorf("audit view lacks %s", want)
		}
	}
	browsertest.Run(t, desk,
		chromedp.Click(chromedp.CSS(`tr[data-action="reference.ump_set"] details summary`)),
		chromedp.Click(chromedp.ID("verify")),
		chromedp.WaitVisible(chromedp.ID("chain-result")),
	)
	if r := text("#chain-result"); !strings.Contains(r, "Rantai utuh") {
		t.Errorf("chain check: %q", r)
	}
	browsertest.Screenshot(t, desk, "admin-audit")
}
