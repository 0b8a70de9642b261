package app_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"patuh/internal/browsertest"
)

// TestFieldSyncFigures measures the offline app (scripts/bench-sync.sh runs it with
// PATUH_BENCH_SYNC=1; it is no pass/fail check): the time to send an outbox of 10 visits with
// 3 photos of 2 MB each over a throttled phone connection (1.5 Mbit/s, 300 ms round trip,
// emulated by chromium), and the offline storage one cached case page takes.
func TestFieldSyncFigures(t *testing.T) {
	if os.Getenv("PATUH_BENCH_SYNC") != "1" {
		t.Skip("a measurement, not a test: scripts/bench-sync.sh runs it")
	}
	srv := server(t)
	caseID, inspector := fieldCase(t)
	ctx := browsertest.New(t, 390, 844)
	browsertest.Run(t, ctx, browserLogin(srv.URL, inspector))
	openControlled(t, ctx, srv.URL+"/cases/"+itoa(caseID))

	size, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`caches.open("patuh-pages-v1").then(async c => {
		let total = 0, n = 0;
		for (const req of await c.keys()) {
			if (!/\/cases\/\d+$/.test(new URL(req.url).pathname)) continue;
			total += (await (await c.match(req)).blob()).size; n++;
		}
		return n ? total / n : 0;
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	assets, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`caches.open("patuh-assets-v1").then(async c => {
		let total = 0;
		for (const req of await c.keys()) total += (await (await c.match(req)).blob()).size;
		return total;
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}

	// Ten visits of three 2 MB photos each wait in the outbox, as after a day without network.
	waitFor(t, ctx, "the outbox filled", `(async () => {
		const d = await idb.openDB("patuh-field");
		for (let i = 0; i < 10; i++) {
			const photos = [];
			for (let j = 0; j < 3; j++) {
				const bytes = new Uint8Array(2 << 20);
				for (let k = 0; k < bytes.length; k += 65536) crypto.getRandomValues(bytes.subarray(k, k + 65536));
				bytes.set([0xff, 0xd8, 0xff, 0xe0]);
				photos.push({name: "foto-" + i + "-" + j + ".jpg", type: "image/jpeg", blob: new Blob([bytes], {type: "image/jpeg"})});
			}
			await d.put("outbox", {client_id: crypto.randomUUID(), case_id: "`+itoa(caseID)+`", url: "/cases/`+itoa(caseID)+`/visits",
				fields: [["visited_on", "2026-12-01"], ["kind", "lapangan"], ["met_name", "Kunjungan " + i]],
				photos, state: "waiting", created_at: Date.now()});
		}
		return true;
	})()`)
	browsertest.Run(t, ctx, network(false, 300, 1.5e6/8))
	start := time.Now()
	browsertest.Run(t, ctx, chromedp.Navigate(srv.URL+"/"))
	deadline := time.Now().Add(20 * time.Minute)
	for {
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`idb.openDB("patuh-field").then(d => d.getAll("outbox")).then(
			items => items.every(i => i.state === "sent"))`, chromedp.EvalAwaitPromise))
		if err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the outbox was not sent in 20 minutes")
		}
		if int(time.Since(start).Seconds())%30 == 0 {
			// The page may be between two loads: a failed read is logged with the rest.
			states, err := chromedp.Run(ctx, chromedp.Evaluate[string](`idb.openDB("patuh-field").then(d => d.getAll("outbox")).then(
				items => items.map(i => i.state).join(","))`, chromedp.EvalAwaitPromise))
			t.Logf("%.0f s: %s %v", time.Since(start).Seconds(), states, err)
		}
		time.Sleep(time.Second)
	}
	elapsed := time.Since(start)
	v, f := visitsOf(t, caseID)
	if f != 30 {
		t.Errorf("%d files arrived, want 30", f)
	}
	fmt.Printf("sync: %d visits, %d files (60 MB) over 1.5 Mbit/s with 300 ms RTT: %.1f s (%.2f Mbit/s of photos)\n",
		v, f, elapsed.Seconds(), 60*8*1.048576/elapsed.Seconds())
	fmt.Printf("offline storage: %.1f KB per cached case page, %.1f KB of static assets once\n", size/1024, assets/1024)
}
