// Package browsertest starts headless chromium for the tests that drive the real pages.
//
// Without chromium the tests skip, unless PATUH_REQUIRE_BROWSER=1 (set by .ci/run), where a
// missing browser is a failure.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func execPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New returns a browser tab with a window of the given size, closed when the test ends.
func New(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := execPath()
	if path == "" {
		if os.Getenv("PATUH_REQUIRE_BROWSER") == "1" {
			t.Fatal("chromium is required (PATUH_REQUIRE_BROWSER=1) but not installed: apt-get install -y chromium")
		}
		t.Skip("chromium not installed; browser test skipped (apt-get install -y chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		// This machine's network is closed: without these chromium retries Google's hosts.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	// The first Run starts the browser; it must not carry the test's timeout.
	// Headless windows have a minimum width; a phone-sized viewport needs emulation.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A step read outside Run (chromedp.Run on a node that never comes) would otherwise wait
	// until the package's timeout: the whole tab gets a budget, longer than any journey (the
	// outbox benchmark sends for about 6 minutes).
	ctx, cancelBudget := context.WithTimeout(ctx, 10*time.Minute)
	t.Cleanup(func() { cancelBudget(); cancelCtx(); cancelAlloc() })
	return ctx
}

// Run runs steps with a deadline, failing the test with the step's error.
func Run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(stepCtx, steps...); err != nil {
		t.Fatalf("browser: %v (the page then: %s)", err, failureShot(t, ctx))
	}
}

// failureShot saves what the page showed when a step failed, under testout/, and says where:
// a step that timed out waiting for an element says nothing of what was there instead.
func failureShot(t *testing.T, ctx context.Context) string {
	shotCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(shotCtx, chromedp.FullScreenshot(100))
	if err != nil {
		return "no screenshot: " + err.Error()
	}
	out := filepath.Join(testout(t), "failed-"+strings.ReplaceAll(t.Name(), "/", "-")+".png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		return "no screenshot: " + err.Error()
	}
	return out
}

// Screenshot saves a full-page PNG under testout/ at the top of the project, to be looked at.
func Screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100 = PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join(testout(t), name+".png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// Value runs an action that reads the page (a text, a value, a script's result) with a
// deadline and returns what it read, failing the test on error: a check against "" that
// passes because the element was never found proves nothing.
func Value[T any](t *testing.T, ctx context.Context, action chromedp.Action[T]) T {
	t.Helper()
	stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(stepCtx, action)
	if err != nil {
		t.Fatalf("browser: %v (the page then: %s)", err, failureShot(t, ctx))
	}
	return v
}

// testout is the directory testout/ at the top of the project, made if need be.
func testout(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testout")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Text reads the text of the element with the given id in one script, failing the test when it
// is missing. chromedp.Text resolves a node and then asks for its text: a page script that
// re-renders the element in between fails the read ("No node with given id found").
func Text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	Run(t, ctx, chromedp.WaitReady(chromedp.ID(id))) // as chromedp.Text, wait for it to exist
	return Value(t, ctx, chromedp.Evaluate[string](`(() => {
		const e = document.getElementById(`+strconv.Quote(id)+`);
		if (!e) throw new Error("no element #" + `+strconv.Quote(id)+`);
		return e.innerText;
	})()`))
}
