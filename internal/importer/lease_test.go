package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"patuh/internal/db/dbtest"
	"patuh/internal/importer"
)

// Two workers on one database (two instances of patuh serve) never both process an import:
// files uploaded while both run, with random delays inside their steps, are each validated
// once, committed once and settled.
func TestTwoWorkersNeverShareAnImport(t *testing.T) {
	dbtest.Isolate(t) // workers here take any import of the database: only this test\'s
	d, dir := dbtest.DB(t), t.TempDir()
	jitter := func() { time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond) }
	var workers []*importer.Importer
	for range 2 {
		im, err := importer.New(d, dir)
		if err != nil {
			t.Fatal(err)
		}
		im.SetJitter(jitter)
		workers = append(workers, im)
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, im := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := im.Drain(ctx); err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
				jitter()
			}
		}()
	}
	const files = 120
	var ids []int64
	for i := range files {
		data := fmt.Appendf(nil, "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n26%011d,Usaha %d,31.71.01.1001,kecil,%d\n", i, i, 1+i%7)
		imp, _, err := workers[i%2].Create(ctx, 0, "test", "employers", "e.csv", bytes.NewReader(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, imp.ID)
		jitter()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for count(t, `SELECT count(*) FROM imports WHERE settled_at IS NOT NULL AND id = ANY ($1)`, pq.Array(ids)) < files &&
		time.Now().Before(deadline) {
		select {
		case err := <-errs:
			t.Fatal(err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	stop()
	wg.Wait()
	for _, id := range ids {
		imp, err := workers[0].Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Status != "committed" || imp.Validations != 1 || imp.Commits != 1 || imp.SettledAt == nil {
			t.Errorf("import %d: %s, validated %d times, committed %d times, settled %v", id, imp.Status, imp.Validations, imp.Commits, imp.SettledAt)
		}
	}
	if n := count(t, `SELECT count(*) FROM employers WHERE nib LIKE '26%'`); n != files {
		t.Fatalf("%d employers, want %d", n, files)
	}
}

// A worker whose lease was taken over (it stalled past the lease, and another took the
// import) writes nothing: its commit is rolled back and the import is the other's.
func TestLostLeaseWritesNothing(t *testing.T) {
	dbtest.Isolate(t) // workers here take any import of the database: only this test\'s
	d, dir := dbtest.DB(t), t.TempDir()
	slow, err := importer.New(d, dir)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2700000000001,Tertunda,31.71.01.1001,kecil,2\n")
	imp, _, err := slow.Create(context.Background(), 0, "test", "employers", "e.csv", bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Validation done; at the end of its commit the slow worker finds its lease gone.
	slow.SetJitter(func() {
		d.MustExec(`UPDATE imports SET lease_owner = 'other', lease_until = now() + interval '1 minute'
			WHERE id = $1 AND status = 'committing'`, imp.ID)
	})
	if err := slow.Drain(context.Background()); err == nil {
		t.Fatal("the worker without its lease reported no error")
	}
	got, _ := slow.Get(context.Background(), imp.ID)
	if got.Status != "committing" || got.Commits != 0 || *got.LeaseOwner != "other" ||
		count(t, `SELECT count(*) FROM employers WHERE nib = '2700000000001'`) != 0 {
		t.Fatalf("after a lost lease: %s, commits %d, owner %v", got.Status, got.Commits, *got.LeaseOwner)
	}
}

// A file of more bad rows than MaxStoredErrors keeps the first ones and counts the rest; a
// discard removes them.
func TestErrorRowsCapped(t *testing.T) {
	dbtest.Isolate(t) // workers here take any import of the database: only this test\'s
	im := newImporter(t)
	var b bytes.Buffer
	b.WriteString("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n")
	for i := range importer.MaxStoredErrors + 500 {
		fmt.Fprintf(&b, "12%d,Salah,99.99,raksasa,-1\n", i) // four errors a row
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	imp := load(t, im, "employers", "bad.csv", b.Bytes())
	runtime.ReadMemStats(&after)
	t.Logf("%d errors found, %d kept; heap %.1f MB before, %.1f MB after (%.1f MB allocated in all)", imp.ErrorsTotal,
		importer.MaxStoredErrors, float64(before.HeapAlloc)/1e6, float64(after.HeapAlloc)/1e6, float64(after.TotalAlloc-before.TotalAlloc)/1e6)
	if imp.Status != "needs_review" || imp.ErrorsTotal != 4*(importer.MaxStoredErrors+500) {
		t.Fatalf("%s with %d errors counted", imp.Status, imp.ErrorsTotal)
	}
	if n := count(t, `SELECT count(*) FROM import_errors WHERE import_id = $1 AND NOT warning`, imp.ID); n != importer.MaxStoredErrors {
		t.Fatalf("%d errors stored, want %d", n, importer.MaxStoredErrors)
	}
	if _, err := im.Discard(context.Background(), imp.ID, 0, "test"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, `SELECT count(*) FROM import_errors WHERE import_id = $1`, imp.ID); n != 0 {
		t.Fatalf("%d errors left after the discard", n)
	}
}

// An instance that cannot see an import's file (a data directory not shared) leaves it to the
// others; when no live instance can read it, the import fails with a message.
func TestFileNoInstanceCanRead(t *testing.T) {
	dbtest.Isolate(t) // workers here take any import of the database: only this test\'s
	d := dbtest.DB(t)
	here, err := importer.New(d, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, err := importer.New(d, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2800000000001,Jauh,31.71.01.1001,kecil,2\n")
	imp, _, err := here.Create(context.Background(), 0, "test", "employers", "e.csv", bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := here.Drain(context.Background()); err != nil { // alive, and holds the file
		t.Fatal(err)
	}
	d.MustExec(`UPDATE imports SET status = 'queued', validations = 0 WHERE id = $1`, imp.ID)
	if err := elsewhere.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := elsewhere.Get(context.Background(), imp.ID)
	if got.Status != "queued" || len(got.FileMissingOn) != 1 || got.FileMissingOn[0] != elsewhere.ID() {
		t.Fatalf("left to the others? %s, missing on %v", got.Status, got.FileMissingOn)
	}
	// The instance with the file is gone (and so are the workers of the other tests): no one
	// alive can read it.
	d.MustExec(`DELETE FROM import_workers WHERE id <> $1`, elsewhere.ID())
	d.MustExec(`UPDATE imports SET file_missing_on = '{}' WHERE id = $1`, imp.ID)
	if err := elsewhere.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ = elsewhere.Get(context.Background(), imp.ID)
	if got.Status != "failed" || got.Failure != "import.file.unreadable" {
		t.Fatalf("no one can read it, yet: %s %q", got.Status, got.Failure)
	}
}

// A server restarted after a crash takes its own host's dead worker's imports at once; a
// lease of a live process is left alone.
func TestRestartTakesOverItsDeadWorker(t *testing.T) {
	dbtest.Isolate(t) // workers here take any import of the database: only this test\'s
	im := newImporter(t)
	d := dbtest.DB(t)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	owners := []string{fmt.Sprintf("%s-%d-a1b2c3", host, gone.Process.Pid), fmt.Sprintf("%s-%d-d4e5f6", host, os.Getppid())}
	var ids []int64
	for i, owner := range owners {
		data := fmt.Appendf(nil, "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n290000000000%d,Mati,31.71.01.1001,kecil,2\n", i)
		imp, _, err := im.Create(context.Background(), 0, "test", "employers", "e.csv", bytes.NewReader(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		d.MustExec(`UPDATE imports SET status = 'validating', lease_owner = $2, lease_until = now() + interval '1 minute' WHERE id = $1`, imp.ID, owner)
		ids = append(ids, imp.ID)
	}
	if err := im.ReleaseDeadLocal(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := im.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	dead, _ := im.Get(context.Background(), ids[0])
	alive, _ := im.Get(context.Background(), ids[1])
	if dead.Status != "committed" || alive.Status != "validating" {
		t.Fatalf("dead worker's import %s, live worker's %s", dead.Status, alive.Status)
	}
}

// Two workers in one instance: a small file is validated and committed while a large one is
// still being read.
func TestSmallFileWhileALargeOneValidates(t *testing.T) {
	dbtest.Isolate(t) // workers here take any import of the database: only this test\'s
	im := newImporter(t)
	var big bytes.Buffer
	big.WriteString("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n")
	for i := range 400000 {
		fmt.Fprintf(&big, "31%011d,Usaha Besar %d,31.71.01.1001,kecil,3\n", i, i)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	large, _, err := im.Create(ctx, 0, "test", "employers", "besar.csv", &big, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { im.RunWorkers(ctx, 2); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got, _ := im.Get(ctx, large.ID); got.Status == "validating" || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	small, _, err := im.Create(ctx, 0, "test", "employers", "kecil.csv",
		strings.NewReader("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n3200000000001,Usaha Kecil,31.71.01.1001,kecil,2\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for {
		got, _ := im.Get(ctx, small.ID)
		if got.Status == "committed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the small file is %s after 10 s", got.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, _ := im.Get(ctx, large.ID); got.Status != "validating" {
		t.Fatalf("the large file was %s before the small one was committed: one worker did both", got.Status)
	}
	stop()
	<-done
}
