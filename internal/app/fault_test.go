package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"patuh/internal/auth"
	"patuh/internal/db"
	"patuh/internal/db/dbtest"
)

// TestServerKilledMidImport starts the real binary, uploads a 400,000-row participants file,
// kills the server with SIGKILL while it validates, and checks that nothing of the import was
// applied; a restarted server takes the import up again and commits it once.
func TestServerKilledMidImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	user := addUser(t, auth.Admin, "")
	tok := token(t, user)
	files := t.TempDir()
	start := func() (*exec.Cmd, string) { return startServer(t, bin, dbtest.URL(t), dbtest.OwnerURL(t), files) }
	status := func(base string, id int64) (string, int) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/imports/%d", base, id), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", 0
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		validateAPI(t, req, res, body)
		var v struct {
			Status        string
			RowsProcessed int `json:"rows_processed"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		return v.Status, v.RowsProcessed
	}

	var csv bytes.Buffer
	csv.WriteString("npp,nik,nama,upah,status\n")
	const rows = 400000
	for i := range rows {
		// A valid, distinct NIK per row: region, birth date, serial.
		fmt.Fprintf(&csv, "K%07d,317101%02d%02d%02d%04d,Peserta,6000000,aktif\n", i%5000, 1+i%28, 1+(i/28)%12, 60+(i/336)%40, 1+i/13440)
	}
	server, base := start()
	importID := uploadImport(t, base, tok, "participants", "big.csv", csv.Bytes())

	// Kill it in the middle of the validation.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if s, n := status(base, importID); s == "validating" && n > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopServer(t, server, syscall.SIGKILL)
	var staged, applied int
	var st string
	d := dbtest.DB(t)
	// The import's own table is created in its validation transaction: none may be left.
	for query, dest := range map[string]any{
		`SELECT status FROM imports WHERE id = $1`:                           &st,
		`SELECT (to_regclass('participants_' || $1::text) IS NOT NULL)::int`: &staged,
		`SELECT count(*) FROM participants WHERE import_id = $1`:             &applied,
	} {
		if err := d.Get(dest, query, importID); err != nil {
			t.Fatal(err)
		}
	}
	if st == "committed" || staged != 0 || applied != 0 {
		t.Fatalf("after SIGKILL: status %s, %d staged, %d applied: half-applied", st, staged, applied)
	}
	t.Logf("killed while %s", st)

	server, base = start()
	defer func() {
		stopServer(t, server, syscall.SIGTERM)
	}()
	deadline = time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		if s, _ := status(base, importID); s == "committed" || s == "failed" || s == "needs_review" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := d.Get(&st, `SELECT status FROM imports WHERE id = $1`, importID); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&applied, `SELECT count(*) FROM participants WHERE import_id = $1`, importID); err != nil {
		t.Fatal(err)
	}
	if st != "committed" || applied != rows {
		t.Fatalf("after restart: %s with %d rows, want committed with %d", st, applied, rows)
	}
}

// buildServer builds cmd/patuh once per test into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "patuh")
	build := exec.Command("go", "build", "-o", bin, "./cmd/patuh")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startServer runs `patuh serve` on a free port against databaseURL and waits until it is ready.

// stopServer sends sig to a server the test started and waits for it to exit. A server that a
// signal ended or that had already exited is what the test asked for; a failure to signal or
// to wait is not.
func stopServer(t *testing.T, cmd *exec.Cmd, sig os.Signal) {
	t.Helper()
	if cmd.ProcessState != nil {
		return // already stopped and waited for (a killed instance, then the cleanup)
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Error(err)
	}
	var exited *exec.ExitError
	if err := cmd.Wait(); err != nil && !errors.As(err, &exited) {
		t.Error(err)
	}
}

// startServer runs `patuh serve` as the application's role (databaseURL), migrating as ownerURL.
func startServer(t *testing.T, bin, databaseURL, ownerURL, files string) (*exec.Cmd, string) {
	t.Helper()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "DATABASE_OWNER_URL="+ownerURL, "PATUH_ADDR="+addr, "PATUH_SECRET=test-secret",
		"PATUH_AUDIT_KEY="+testAuditKey, "PATUH_DATA_DIR="+files, "PATUH_LOG_FORMAT=text")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			if err := res.Body.Close(); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode == 200 {
				return cmd, "http://" + addr
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("server did not start")
	return nil, ""
}

// TestDatabaseRestart runs the real server on a PostgreSQL cluster of its own, keeps pages and
// API requests going, stops PostgreSQL for two seconds and starts it again. During the outage
// only 503s may come back (never a 500, never a dropped connection), and every kind of request
// answers 200 again within seconds of the restart.
func TestDatabaseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a PostgreSQL cluster of its own and the server binary")
	}
	cluster := dbtest.StartCluster(t, os.Getenv("PATUH_REQUIRE_CLUSTER") == "1")
	ctx := context.Background()
	admin, err := db.Open(ctx, cluster.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := admin.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := admin.Exec(`CREATE DATABASE patuh`); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, cluster.URL("patuh"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := db.Migrate(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`ALTER ROLE ` + db.AppRole + ` LOGIN`); err != nil {
		t.Fatal(err)
	}
	store := auth.NewStore(d, "test-secret")
	u, err := store.AddUser(ctx, "test", auth.NewUser{Username: "restart", Name: "Restart", Role: auth.Supervisor, Password: password}, false)
	if err == nil {
		enrolForTest(t, store, u)
	}
	if err != nil {
		t.Fatal(err)
	}
	tok, err := store.CreateToken(ctx, "test", u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	appURL := strings.Replace(cluster.URL("patuh"), "//postgres@", "//"+db.AppRole+"@", 1)
	server, base := startServer(t, buildServer(t), appURL, cluster.URL("patuh"), t.TempDir())
	defer func() {
		stopServer(t, server, syscall.SIGTERM)
	}()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	res, err := browser.PostForm(base+"/login", url.Values{"username": {"restart"}, "password": {password}})
	if err == nil {
		if err := res.Body.Close(); err != nil {
			t.Fatal(err)
		}
		res, err = browser.PostForm(base+"/login/mfa", url.Values{"code": {recoveryCode(t, "restart")}})
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %v %v", res, err)
	}
	if err := res.Body.Close(); err != nil {
		t.Fatal(err)
	}

	requests := map[string]func() (*http.Response, error){
		"page": func() (*http.Response, error) { return browser.Get(base + "/employers") },
		"api": func() (*http.Response, error) {
			req, _ := http.NewRequest("GET", base+"/api/v1/employers", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			return (&http.Client{Timeout: 10 * time.Second}).Do(req)
		},
	}
	type outcome struct {
		kind   string
		status int // 0: no response
		at     time.Time
		csp    bool
	}
	var (
		mu       sync.Mutex
		outcomes []outcome
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for kind, do := range requests {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					o := outcome{kind: kind}
					if res, err := do(); err == nil {
						body, _ := io.ReadAll(res.Body)
						if err := res.Body.Close(); err != nil {
							t.Error(err)
						}
						validateAPI(t, res.Request, res, body) // a 503 too is an Error of openapi.json
						o.status = res.StatusCode
						o.csp = res.Header.Get("Content-Security-Policy") != ""
					}
					o.at = time.Now()
					mu.Lock()
					outcomes = append(outcomes, o)
					mu.Unlock()
					time.Sleep(20 * time.Millisecond)
				}
			}()
		}
	}
	time.Sleep(time.Second)
	stopped := time.Now()
	cluster.Stop()
	time.Sleep(2 * time.Second)
	cluster.Start()
	started := time.Now()
	time.Sleep(5 * time.Second)
	close(stop)
	wg.Wait()

	counts := map[string]map[int]int{}
	recovered := map[string]time.Duration{}
	for _, o := range outcomes {
		if counts[o.kind] == nil {
			counts[o.kind] = map[int]int{}
		}
		counts[o.kind][o.status]++
		if o.status != 200 && o.status != 503 {
			t.Errorf("%s request at %+.1fs after the stop: status %d (0 = no response)", o.kind, o.at.Sub(stopped).Seconds(), o.status)
		}
		if o.status == 503 && !o.csp {
			t.Errorf("%s: a 503 without the security headers", o.kind)
		}
		if o.status == 200 && o.at.After(started) {
			if _, ok := recovered[o.kind]; !ok {
				recovered[o.kind] = o.at.Sub(started)
			}
		}
	}
	for kind := range requests {
		t.Logf("%s: statuses %v, first 200 %.2fs after PostgreSQL was back", kind, counts[kind], recovered[kind].Seconds())
		if counts[kind][503] == 0 {
			t.Errorf("%s: no 503 during the outage: the outage was not exercised", kind)
		}
		if r, ok := recovered[kind]; !ok || r > 3*time.Second {
			t.Errorf("%s: not recovered within 3 s of the restart", kind)
		}
	}
	// Once recovered, nothing fails any more.
	for _, o := range outcomes {
		if r, ok := recovered[o.kind]; ok && o.at.Sub(started) > r+time.Second && o.status != 200 {
			t.Errorf("%s: status %d at %+.1fs after the restart, after recovery", o.kind, o.status, o.at.Sub(started).Seconds())
		}
	}
}
