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
	"syscall"
	"testing"
	"time"

	"patuh/internal/auth"
	"patuh/internal/db/dbtest"
)

// TestServerKilledMidImport starts the real binary, uploads a 400,000-row participants file,
// kills the server with SIGKILL while it validates, and checks that nothing of the import was
// applied; a restarted server takes the import up again and commits it once.
func TestServerKilledMidImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "patuh")
	build := exec.Command("go", "build", "-o", bin, "./cmd/patuh")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	user := addUser(t, auth.Admin, "")
	tok := token(t, user)

	start := func() (*exec.Cmd, string) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(), "DATABASE_URL="+dbtest.URL(), "PATUH_ADDR="+addr, "PATUH_SECRET=test-secret",
			"PATUH_DATA_DIR="+filepath.Join(dir, "files"), "PATUH_LOG_FORMAT=text")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for range 100 {
			if res, err := http.Get("http://" + addr + "/readyz"); err == nil && res.StatusCode == 200 {
				return cmd, "http://" + addr
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatal("server did not start")
		return nil, ""
	}
	status := func(base string, id int64) (string, int) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/imports/%d", base, id), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", 0
		}
		defer res.Body.Close()
		var v struct {
			Status        string
			RowsProcessed int `json:"rows_processed"`
		}
		json.NewDecoder(res.Body).Decode(&v)
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
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("kind", "participants")
	fw, _ := w.CreateFormFile("file", "big.csv")
	fw.Write(csv.Bytes())
	w.Close()
	req, _ := http.NewRequest("POST", base+"/api/v1/imports", &body)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("upload: %v %v", res, err)
	}
	var created struct{ ID int64 }
	json.NewDecoder(res.Body).Decode(&created)

	// Kill it in the middle of the validation.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if s, n := status(base, created.ID); s == "validating" && n > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	server.Process.Signal(syscall.SIGKILL)
	server.Wait()
	var staged, applied int
	var st string
	d := dbtest.DB(t)
	d.Get(&st, `SELECT status FROM imports WHERE id = $1`, created.ID)
	d.Get(&staged, `SELECT count(*) FROM stage_participants WHERE import_id = $1`, created.ID)
	d.Get(&applied, `SELECT count(*) FROM participants WHERE import_id = $1`, created.ID)
	if st == "committed" || staged != 0 || applied != 0 {
		t.Fatalf("after SIGKILL: status %s, %d staged, %d applied: half-applied", st, staged, applied)
	}
	t.Logf("killed while %s", st)

	server, base = start()
	defer func() { server.Process.Signal(syscall.SIGTERM); server.Wait() }()
	deadline = time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		if s, _ := status(base, created.ID); s == "committed" || s == "failed" || s == "needs_review" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	d.Get(&st, `SELECT status FROM imports WHERE id = $1`, created.ID)
	d.Get(&applied, `SELECT count(*) FROM participants WHERE import_id = $1`, created.ID)
	if st != "committed" || applied != rows {
		t.Fatalf("after restart: %s with %d rows, want committed with %d", st, applied, rows)
	}
}
