package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"patuh/internal/auth"
	"patuh/internal/db/dbtest"
)

// TestTwoInstancesBehindHAProxy runs two real servers on one database and one file directory
// behind HAProxy (as scripts/cluster.sh does with three). Two imports are uploaded to the two
// instances at once; the instance validating one is killed with SIGKILL. The other instance
// takes the import over once its lease runs out, and each import is committed exactly once
// with every row; requests through HAProxy keep being answered meanwhile.
func TestTwoInstancesBehindHAProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary and HAProxy")
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("PATUH_REQUIRE_HAPROXY") == "1" {
			t.Fatal("haproxy is required (PATUH_REQUIRE_HAPROXY=1) but not installed: apt-get install -y haproxy")
		}
		t.Skip("haproxy is not installed (apt-get install -y haproxy)")
	}
	bin := buildServer(t)
	tok := token(t, addUser(t, auth.Admin, ""))
	files := t.TempDir()
	// A short lease, so that the takeover comes within the test's patience.
	t.Setenv("PATUH_IMPORT_LEASE", "4s")
	servers := make([]*exec.Cmd, 2)
	bases := make([]string, 2)
	for i := range servers {
		servers[i], bases[i] = startServer(t, bin, dbtest.URL(t), dbtest.OwnerURL(t), files)
	}
	t.Cleanup(func() {
		for _, s := range servers {
			stopServer(t, s, syscall.SIGTERM)
		}
	})
	proxy := startHAProxy(t, haproxy, bases)

	// Requests through the proxy for the whole test: every one answered.
	var sent, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			req, _ := http.NewRequest("GET", proxy+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			sent.Add(1)
			if err != nil || res.StatusCode != 200 {
				failed.Add(1)
			}
			if err == nil {
				if err := res.Body.Close(); err != nil {
					t.Error(err)
				}
			}
		}
	}()

	const rows = 200000
	ids := make([]int64, 2)
	var uploads sync.WaitGroup
	for i := range 2 {
		uploads.Add(1)
		go func() {
			defer uploads.Done()
			var csv bytes.Buffer
			csv.WriteString("npp,nik,nama,upah,status\n")
			for r := range rows {
				fmt.Fprintf(&csv, "C%d%06d,317101%02d%02d%02d%04d,Peserta,6000000,aktif\n", i, r%5000, 1+r%28, 1+(r/28)%12, 60+(r/336)%40, 1+r/13440+i*20)
			}
			ids[i] = uploadImport(t, bases[i], tok, "participants", fmt.Sprintf("instance-%d.csv", i), csv.Bytes())
		}()
	}
	uploads.Wait()

	// Kill whichever instance holds the lease of a validating import.
	d := dbtest.DB(t)
	var victim int = -1
	deadline := time.Now().Add(60 * time.Second)
	for victim < 0 && time.Now().Before(deadline) {
		var owner string
		if err := d.Get(&owner, `SELECT coalesce((SELECT lease_owner FROM imports WHERE id = ANY($1) AND status = 'validating'
			AND rows_processed > 0 ORDER BY id LIMIT 1), '')`, pq.Array(ids)); err != nil {
			t.Fatal(err)
		}
		for i, s := range servers {
			if owner != "" && strings.Contains(owner, fmt.Sprintf("-%d-", s.Process.Pid)) {
				victim = i
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if victim < 0 {
		t.Fatal("no import was seen validating")
	}
	stopServer(t, servers[victim], syscall.SIGKILL)
	killedAt := time.Now()

	deadline = time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		var settled int
		if err := d.Get(&settled, `SELECT count(*) FROM imports WHERE id = ANY($1) AND settled_at IS NOT NULL`, pq.Array(ids)); err != nil {
			t.Fatal(err)
		}
		if settled == 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	for _, id := range ids {
		var status string
		var validations, commits, inForce int
		if err := d.Get(&status, `SELECT status FROM imports WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if err := d.Get(&validations, `SELECT validations FROM imports WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if err := d.Get(&commits, `SELECT commits FROM imports WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if err := d.Get(&inForce, `SELECT count(*) FROM participants WHERE import_id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if status != "committed" || validations != 1 || commits != 1 || inForce != rows {
			t.Errorf("import %d: %s, validated %d, committed %d, %d rows in force; want committed once with %d rows",
				id, status, validations, commits, inForce, rows)
		}
	}
	t.Logf("instance %d killed while validating; both imports settled %.1f s later; %d requests through HAProxy, %d not answered 200",
		victim, time.Since(killedAt).Seconds(), sent.Load(), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests through HAProxy were not answered 200", failed.Load(), sent.Load())
	}
}

// startHAProxy runs HAProxy in the foreground in front of the servers and returns its URL.
func startHAProxy(t *testing.T, bin string, servers []string) string {
	t.Helper()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `global
  maxconn 200
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 3
  option redispatch
backend instances
  balance roundrobin
  retry-on conn-failure empty-response response-timeout
  http-request disable-l7-retry if METH_POST
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 200ms fall 1 rise 1
`)
	for i, s := range servers {
		fmt.Fprintf(&cfg, "  server s%d %s check\n", i, strings.TrimPrefix(s, "http://"))
	}
	fmt.Fprintf(&cfg, "frontend patuh\n  bind %s\n  default_backend instances\n", addr)
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", path, "-db")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopServer(t, cmd, os.Kill)
	})
	for range 100 {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			if err := res.Body.Close(); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode == 200 {
				return "http://" + addr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("haproxy did not start")
	return ""
}

// uploadImport posts a file to the import API and returns the import's id.
func uploadImport(t *testing.T, base, tok, kind, name string, data []byte) int64 {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if err := w.WriteField("kind", kind); err != nil {
		t.Fatal(err)
	}
	fw, _ := w.CreateFormFile("file", name)
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/imports", &body)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer res.Body.Close()
	var created struct{ ID int64 }
	if res.StatusCode != 202 {
		t.Errorf("upload to %s: %d", base, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(&created); err != nil {
		t.Fatal(err)
	}
	return created.ID
}
