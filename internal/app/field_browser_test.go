package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdpnetwork "github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"patuh/internal/auth"
	"patuh/internal/browsertest"
	"patuh/internal/casework"
	"patuh/internal/db/dbtest"
)

// fieldCase opens a case for a flagged employer of Jakarta Timur nobody has a case for, and
// assigns it to a new inspector of Jakarta Timur; it answers the case id and the inspector.
func fieldCase(t *testing.T) (int64, string) {
	t.Helper()
	loadSamples(t)
	ctx := context.Background()
	d := dbtest.DB(t)
	users := auth.NewStore(d, "test-secret")
	supervisor, err := users.UserByUsername(ctx, addUser(t, auth.Supervisor, ""))
	if err != nil {
		t.Fatal(err)
	}
	inspector := addUser(t, auth.Inspector, "31.75")
	var employerID int64
	if err := d.Get(&employerID, `SELECT f.employer_id FROM employer_flags f JOIN employers e ON e.id = f.employer_id
		WHERE e.kode_kelurahan LIKE '31.75.%' AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id)
		ORDER BY f.employer_id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	cases := casework.NewStore(d)
	c, err := cases.Open(ctx, supervisor, employerID, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cases.Assign(ctx, supervisor, c.ID, inspector, c.Version); err != nil {
		t.Fatal(err)
	}
	return c.ID, inspector
}

// network sets the phone's connection for the page and its service worker alike: offline, or
// online with a latency (ms) and a throughput (bytes/s, -1 for none).
func network(offline bool, latency, throughput float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, cdpnetwork.Enable, cdpnetwork.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, cdpnetwork.EmulateNetworkConditionsByRule, cdpnetwork.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &offline,
			MatchedNetworkConditions: []*cdpnetwork.Conditions{{Offline: offline, Latency: latency,
				DownloadThroughput: throughput, UploadThroughput: throughput}},
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, cdpnetwork.OverrideNetworkState, cdpnetwork.OverrideNetworkStateParams{
			Offline: offline, Latency: latency, DownloadThroughput: throughput, UploadThroughput: throughput})
		return err
	})
}

// waitFor polls a JavaScript condition (up to 30 s), for what the page does by itself.
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func visitsOf(t *testing.T, caseID int64) (visits, files int) {
	t.Helper()
	d := dbtest.DB(t)
	if err := d.Get(&visits, `SELECT count(*) FROM visits WHERE case_id = $1`, caseID); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&files, `SELECT count(*) FROM evidence_files WHERE case_id = $1`, caseID); err != nil {
		t.Fatal(err)
	}
	return visits, files
}

func photoFiles(t *testing.T, names ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var out []string
	for i, name := range names {
		p := filepath.Join(dir, name)
		// A real picture, so that the previews show what a phone would.
		img := image.NewRGBA(image.Rect(0, 0, 96, 72))
		draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{uint8(40 + 90*i), 110, uint8(200 - 60*i), 255}}, image.Point{}, draw.Src)
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		if strings.HasSuffix(name, ".exe.jpg") {
			data = []byte("MZ\x90\x00 a program, not a photo")
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// openControlled opens the case page and waits until the service worker controls it, so that
// the page is kept for offline use.
func openControlled(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	browsertest.Run(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("visit-form")))
	waitFor(t, ctx, "the service worker", `navigator.serviceWorker.ready.then(() => true)`)
	browsertest.Run(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("visit-form")))
	waitFor(t, ctx, "a controlled page", `!!navigator.serviceWorker.controller`)
	// Reloaded under the worker: the page is in its cache now.
	browsertest.Run(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("visit-form")))
}

// TestBrowserFieldVisitOffline: on a phone with no network, an inspector fills a visit with two
// photos, reloads the page and finds the draft; sent while offline, the visit waits in the
// outbox, and a second visit beside it; back online both are sent by themselves: two visits,
// the first with two files. The same items sent again (their answers lost) add nothing.
func TestBrowserFieldVisitOffline(t *testing.T) {
	srv := server(t)
	caseID, inspector := fieldCase(t)
	ctx := browsertest.New(t, 390, 844)
	browsertest.Run(t, ctx, browserLogin(srv.URL, inspector))
	caseURL := srv.URL + "/cases/" + itoa(caseID)
	openControlled(t, ctx, caseURL)

	photos := photoFiles(t, "papan-nama.png", "daftar-hadir.png")
	browsertest.Run(t, ctx, network(true, 0, -1))
	browsertest.Run(t, ctx,
		chromedp.SendKeys(chromedp.ID("met_name"), "Ibu Rina"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="commitment"]`), "Mendaftarkan 3 pekerja\nminggu depan"),
		chromedp.SetUploadFiles(chromedp.ID("photo"), photos),
	)
	waitFor(t, ctx, "two previews", `document.querySelectorAll("#photo-previews figure").length === 2`)
	waitFor(t, ctx, "the draft saved", `!!document.getElementById("draft-status").dataset.saved`)
	browsertest.Screenshot(t, ctx, "field-visit-offline-phone")

	// Reload with no network: the page comes from the phone, the draft with it.
	browsertest.Run(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("visit-form")))
	waitFor(t, ctx, "the draft restored", `document.getElementById("draft-status").dataset.restored === "1"`)
	name, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("met_name")))
	if err != nil || name != "Ibu Rina" {
		t.Fatalf("draft name %q (%v)", name, err)
	}
	waitFor(t, ctx, "the draft's two photos", `document.querySelectorAll("#photo-previews figure").length === 2`)

	browsertest.Run(t, ctx, chromedp.Click(chromedp.ID("visit-submit")))
	waitFor(t, ctx, "the item waiting in the outbox", `!!document.querySelector('#outbox [data-state="waiting"]')`)
	browsertest.Screenshot(t, ctx, "field-outbox-waiting-phone")
	if v, _ := visitsOf(t, caseID); v != 0 {
		t.Fatalf("a visit arrived while offline: %d", v)
	}

	// A second visit to the same case, still offline (a return the same day): the form is
	// empty again and the second item waits beside the first.
	waitFor(t, ctx, "the form emptied", `document.getElementById("met_name").value === ""`)
	browsertest.Run(t, ctx,
		chromedp.SendKeys(chromedp.ID("met_name"), "Pak Budi"),
		chromedp.Click(chromedp.ID("visit-submit")))
	waitFor(t, ctx, "two items waiting", `document.querySelectorAll('#outbox [data-state="waiting"]').length === 2`)

	// Back online: the outbox sends by itself.
	browsertest.Run(t, ctx, network(false, 0, -1))
	waitFor(t, ctx, "the visits shown on the case", `document.querySelectorAll("#visits .visit").length === 2`)
	if v, f := visitsOf(t, caseID); v != 2 || f != 2 {
		t.Fatalf("after sync: %d visits, %d files; want 2 and 2", v, f)
	}
	browsertest.Screenshot(t, ctx, "field-visit-synced-phone")

	// The answer was lost: the phone still thinks the item waits, and sends it again.
	waitFor(t, ctx, "the answer forgotten", `idb.openDB("patuh-field").then(async d => {
		for (const item of await d.getAll("outbox")) { item.state = "waiting"; await d.put("outbox", item); }
		return true;
	})`)
	browsertest.Run(t, ctx, chromedp.Reload())
	waitFor(t, ctx, "the re-sent item sent", `idb.openDB("patuh-field").then(d => d.getAll("outbox")).then(items => items.length > 0 && items.every(i => i.state === "sent"))`)
	if v, f := visitsOf(t, caseID); v != 2 || f != 2 {
		t.Fatalf("after a re-send: %d visits, %d files; want 2 and 2", v, f)
	}

	// Logging out leaves nothing of the inspector's on the phone (the static assets, which hold
	// no personal data, may come back with the login page).
	waitFor(t, ctx, "pages kept for offline use", `caches.keys().then(k => k.includes("patuh-pages-v1"))`)
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("username")))
	waitFor(t, ctx, "the phone wiped", `Promise.all([caches.keys(), idb.openDB("patuh-field").then(d => d.count("outbox"))]).then(
		([keys, n]) => !keys.includes("patuh-pages-v1") && n === 0)`)
}

// TestBrowserFieldSessionExpiredAndRefusedPhoto: a session that ends while the inspector
// fills the form keeps the visit in the outbox, and after logging in again it is sent and the
// inspector is back on the case; a photo the server refuses leaves no visit and the form
// (with the reason) intact.
func TestBrowserFieldSessionExpiredAndRefusedPhoto(t *testing.T) {
	srv := server(t)
	caseID, inspector := fieldCase(t)
	ctx := browsertest.New(t, 390, 844)
	browsertest.Run(t, ctx, browserLogin(srv.URL, inspector))
	caseURL := srv.URL + "/cases/" + itoa(caseID)
	browsertest.Run(t, ctx, chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.ID("visit-form")))

	// A refused photo: nothing stored, the form comes back with the reason.
	browsertest.Run(t, ctx,
		chromedp.SendKeys(chromedp.ID("met_name"), "Pak Budi"),
		chromedp.SetUploadFiles(chromedp.ID("photo"), photoFiles(t, "foto.png", "virus.exe.jpg")),
	)
	waitFor(t, ctx, "two previews", `document.querySelectorAll("#photo-previews figure").length === 2`)
	browsertest.Run(t, ctx, chromedp.Click(chromedp.ID("visit-submit")))
	waitFor(t, ctx, "the refusal", `!!document.querySelector('#outbox [data-state="refused"]')`)
	browsertest.Run(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("visit-form")))
	waitFor(t, ctx, "the draft restored", `document.getElementById("draft-status").dataset.restored === "1"`)
	status := browsertest.Text(t, ctx, "draft-status")
	if !strings.Contains(status, "virus.exe.jpg") {
		t.Errorf("the form does not say which file was refused: %q", status)
	}
	name := browsertest.Value(t, ctx, chromedp.Value(chromedp.ID("met_name")))
	if name != "Pak Budi" {
		t.Errorf("the refused form lost its input: %q", name)
	}
	if v, _ := visitsOf(t, caseID); v != 0 {
		t.Fatalf("a visit exists whose photo was refused: %d", v)
	}
	browsertest.Screenshot(t, ctx, "field-photo-refused-phone")

	// Remove the bad photo, then the session ends before the inspector sends.
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS("#photo-previews figure:nth-child(2) button")))
	waitFor(t, ctx, "one preview", `document.querySelectorAll("#photo-previews figure").length === 1`)
	if _, err := dbtest.DB(t).Exec(`DELETE FROM sessions`); err != nil {
		t.Fatal(err)
	}
	browsertest.Run(t, ctx, chromedp.Click(chromedp.ID("visit-submit")))
	waitFor(t, ctx, "the item waiting for a login", `!!document.querySelector('#outbox [data-state="login"]')`)
	browsertest.Run(t, ctx, chromedp.Click(chromedp.ID("outbox-login")),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), inspector),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("button.primary")),
	)
	waitFor(t, ctx, "the visit shown on the case", `!!document.querySelector("#visits .visit")`)
	path := browsertest.Value(t, ctx, chromedp.Evaluate[string](`location.pathname`))
	if path != "/cases/"+itoa(caseID) {
		t.Errorf("after the login the inspector is on %s, not the case", path)
	}
	if v, f := visitsOf(t, caseID); v != 1 || f != 1 {
		t.Fatalf("after the login: %d visits, %d files; want 1 and 1", v, f)
	}
}

// drawSignature strokes a line across a signature canvas with the pointer events a finger makes.
func drawSignature(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(async () => {
			const c = document.getElementById(`+"`"+id+"`"+`);
			c.scrollIntoView();
			const r = c.getBoundingClientRect();
			const ev = (type, x, y, target) => target.dispatchEvent(new PointerEvent(type, {bubbles: true, cancelable: true,
				pointerId: 1, pointerType: "touch", isPrimary: true, buttons: type === "pointerup" ? 0 : 1, pressure: 0.5,
				clientX: r.left + x, clientY: r.top + y}));
			ev("pointerdown", 20, 100, c);
			for (let i = 1; i <= 20; i++) { // a finger's pace: the pad throttles points closer than 16 ms
				await new Promise(r => setTimeout(r, 25));
				ev("pointermove", 20 + i * 13, 100 - Math.sin(i / 3) * 50, c);
			}
			ev("pointerup", 280, 60, c);
			return true;
		})()`, chromedp.EvalAwaitPromise)(ctx, t)
		return err
	})
}

// TestBrowserFieldBAPSigned: the employer's representative and the inspector sign the Berita
// Acara on the phone; the visit keeps the PDF (checksummed) with both signatures and the text
// of the visit.
func TestBrowserFieldBAPSigned(t *testing.T) {
	srv := server(t)
	caseID, inspector := fieldCase(t)
	ctx := browsertest.New(t, 390, 844)
	browsertest.Run(t, ctx, browserLogin(srv.URL, inspector))
	browsertest.Run(t, ctx, chromedp.Navigate(srv.URL+"/cases/"+itoa(caseID)), chromedp.WaitVisible(chromedp.ID("visit-form")),
		chromedp.SendKeys(chromedp.ID("met_name"), "Ibu Rina"),
		chromedp.SendKeys(chromedp.CSS(`input[name="met_position"]`), "Manajer HRD"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="commitment"]`), "Mendaftarkan seluruh pekerja dalam 14 hari"),
		chromedp.Click(chromedp.CSS(`input[name="signature_state"][value="signed"]`)),
		drawSignature("sign-employer"), drawSignature("sign-officer"),
	)
	waitFor(t, ctx, "both signatures", `document.getElementById("signature_employer").value.startsWith("data:image/png;base64,") &&
		document.getElementById("signature_officer").value.startsWith("data:image/png;base64,")`)
	browsertest.Screenshot(t, ctx, "field-bap-signing-phone")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.ID("visit-submit")))
	waitFor(t, ctx, "the visit with its BAP", `!!document.querySelector("#visits .bap-link")`)

	var row struct {
		PDF      []byte `db:"bap_pdf"`
		Sum      string `db:"bap_sha256"`
		Employer []byte `db:"signature_employer"`
		Officer  []byte `db:"signature_officer"`
		State    string `db:"signature_state"`
	}
	if err := dbtest.DB(t).Get(&row, `SELECT bap_pdf, bap_sha256, signature_employer, signature_officer, signature_state
		FROM visits WHERE case_id = $1`, caseID); err != nil {
		t.Fatal(err)
	}
	if row.State != "signed" || !strings.HasPrefix(string(row.Employer), "\x89PNG") || !strings.HasPrefix(string(row.Officer), "\x89PNG") {
		t.Fatalf("signatures not stored: state %q, %d and %d bytes", row.State, len(row.Employer), len(row.Officer))
	}
	if sum(row.PDF) != row.Sum {
		t.Fatalf("BAP checksum %s does not match its bytes", row.Sum)
	}
	// Kept beside the screenshots, to be looked at (pdftoppm -png testout/bap.pdf).
	if err := os.WriteFile(filepath.Join("..", "..", "testout", "bap.pdf"), row.PDF, 0o644); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, row.PDF)
	for _, want := range []string{"BERITA ACARA PEMERIKSAAN", "Ibu Rina (Manajer HRD)", "Mendaftarkan seluruh pekerja dalam 14 hari",
		"Petugas pemeriksa", "Wakil pemberi kerja"} {
		if !strings.Contains(text, want) {
			t.Errorf("the BAP lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(string(row.PDF), "/Subtype /Image") < 2 {
		t.Errorf("the BAP does not carry both signature images")
	}
}

// pdfText extracts a PDF's text with poppler's pdftotext, as a reader's tools would.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("PATUH_REQUIRE_BROWSER") == "1" {
			t.Fatal("pdftotext is required in CI: apt-get install -y poppler-utils")
		}
		t.Skip("pdftotext not installed (apt-get install -y poppler-utils)")
	}
	in := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The follow-up form keeps its draft too: a session that ended before "Terbitkan" loses no
// note; once the follow-up is saved the draft is gone.
func TestBrowserFollowUpDraftSurvivesExpiredSession(t *testing.T) {
	srv := server(t)
	caseID, inspector := fieldCase(t)
	ctx := browsertest.New(t, 390, 844)
	browsertest.Run(t, ctx, browserLogin(srv.URL, inspector))
	caseURL := srv.URL + "/cases/" + itoa(caseID)
	browsertest.Run(t, ctx, chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.ID("visit-form")),
		chromedp.Click(chromedp.ID("follow-up-toggle")),
		chromedp.SendKeys(chromedp.CSS(`#follow-up-form textarea[name="note"]`), "Pemberi kerja minta waktu dua minggu"))
	waitFor(t, ctx, "the follow-up draft saved", `idb.openDB("patuh-field").then(d => d.get("drafts", "follow-up:/cases/`+itoa(caseID)+`/follow-ups")).then(x => !!x && x.fields.some(p => p[1].includes("dua minggu")))`)
	if _, err := dbtest.DB(t).Exec(`DELETE FROM sessions`); err != nil {
		t.Fatal(err)
	}
	browsertest.Run(t, ctx, chromedp.Click(chromedp.ID("follow-up-submit")), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), inspector),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("visit-form")))
	waitFor(t, ctx, "the follow-up draft restored", `!!document.getElementById("follow-up-draft-status")`)
	note, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#follow-up-form textarea[name="note"]`)))
	if err != nil || note != "Pemberi kerja minta waktu dua minggu" {
		t.Fatalf("the note after the login: %q (%v)", note, err)
	}
	browsertest.Run(t, ctx, chromedp.Click(chromedp.ID("follow-up-submit")), chromedp.WaitVisible(chromedp.CSS(`.flash[data-flash="case.follow_up_saved"]`)))
	waitFor(t, ctx, "the follow-up draft gone", `idb.openDB("patuh-field").then(d => d.get("drafts", "follow-up:/cases/`+itoa(caseID)+`/follow-ups")).then(x => !x)`)
	var n int
	if err := dbtest.DB(t).Get(&n, `SELECT count(*) FROM follow_ups WHERE case_id = $1 AND note LIKE '%dua minggu%'`, caseID); err != nil || n != 1 {
		t.Fatalf("%d follow-ups with the note (%v)", n, err)
	}
}
