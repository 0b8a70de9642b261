package importer_test

// These tests commit employers of their own: the file sorts after importer_test.go, whose
// sample test counts every employer of the package's database.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"patuh/internal/apperr"
	"patuh/internal/db/dbtest"
	"patuh/internal/importer"
)

// TestReuploadAfterAFailedImport: the same bytes after a failed import start a new import
// (the old one stays, failed); after a discarded one too. A live import still returns itself.
func TestReuploadAfterAFailedImport(t *testing.T) {
	ctx := context.Background()
	im := newImporter(t)
	bad := []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n")
	first := load(t, im, "employers", "kosong.csv", bad)
	if first.Status != "failed" {
		t.Fatalf("status %s", first.Status)
	}
	again, created, err := im.Create(ctx, 0, "test", "employers", "kosong.csv", bytes.NewReader(bad), nil)
	if err != nil || !created || again.ID == first.ID || again.Status != "queued" {
		t.Fatalf("re-upload after failure: created %v, id %d (first %d), %s, %v", created, again.ID, first.ID, again.Status, err)
	}
	if err := im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	// Discarded: the same.
	review := []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2700000000001,Ulang,31.71.01.1001,kecil,2\nbad,X,31.71.01.1001,kecil,2\n")
	imp := load(t, im, "employers", "e.csv", review)
	if imp.Status != "needs_review" {
		t.Fatalf("status %s", imp.Status)
	}
	same, created, _ := im.Create(ctx, 0, "test", "employers", "e.csv", bytes.NewReader(review), nil)
	if created || same.ID != imp.ID {
		t.Fatal("a live import's bytes made a second import")
	}
	if _, err := im.Discard(ctx, imp.ID, 0, "test"); err != nil {
		t.Fatal(err)
	}
	next, created, err := im.Create(ctx, 0, "test", "employers", "e.csv", bytes.NewReader(review), nil)
	if err != nil || !created || next.ID == imp.ID {
		t.Fatalf("re-upload after discard: created %v, %v", created, err)
	}
	if err := im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDeleteAFailedImport removes the import, its error rows and its file, audited; a live
// or committed import cannot be deleted.
func TestDeleteAFailedImport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	im, _ := importer.New(dbtest.DB(t), dir)
	data := []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2800000000001,Baik,31.71.01.1001,kecil,1\n2800000000002,Caf\xe9,31.71.01.1001,kecil,1\n")
	imp := load(t, im, "employers", "latin1.csv", data)
	if imp.Status != "failed" {
		t.Fatalf("status %s", imp.Status)
	}
	file := filepath.Join(dir, imp.SHA256+".csv")
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
	if err := im.Delete(ctx, imp.ID, 0, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Get(ctx, imp.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("deleted import still there: %v", err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("file kept: %v", err)
	}
	if n := count(t, `SELECT count(*) FROM import_errors WHERE import_id = $1`, imp.ID); n != 0 {
		t.Fatalf("%d error rows kept", n)
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE action = 'import.delete' AND entity_id = $1`, strconv.FormatInt(imp.ID, 10)); n != 1 {
		t.Fatalf("%d audit records", n)
	}
	ok := load(t, im, "employers", "ok.csv", []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2800000000003,Tetap,31.71.01.1001,kecil,1\n"))
	if err := im.Delete(ctx, ok.ID, 0, "test"); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("delete of a %s import: %v", ok.Status, err)
	}
}

// TestFileRetention: the file of an import committed longer ago than the retention is removed
// by the worker's housekeeping, audited once; a newer one, a failed one and a file another
// live import keeps stay.
func TestFileRetention(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := dbtest.DB(t)
	im, _ := importer.New(d, dir)
	im.FileRetention = 30 * 24 * time.Hour
	old := load(t, im, "employers", "lama.csv", []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2900000000001,Lama,31.71.01.1001,kecil,1\n"))
	recent := load(t, im, "employers", "baru.csv", []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2900000000002,Baru,31.71.01.1001,kecil,1\n"))
	failed := load(t, im, "employers", "gagal.csv", []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2900000000003,Caf\xe9,31.71.01.1001,kecil,1\n"))
	if old.Status != "committed" || recent.Status != "committed" || failed.Status != "failed" {
		t.Fatalf("statuses %s %s %s", old.Status, recent.Status, failed.Status)
	}
	d.MustExec(`UPDATE imports SET committed_at = now() - interval '31 days' WHERE id = $1`, old.ID)
	// The files are as old as their imports (the sweep leaves files written within the hour).
	for _, imp := range []*importer.Import{old, recent, failed} {
		past := time.Now().Add(-2 * time.Hour)
		if err := os.Chtimes(filepath.Join(dir, imp.SHA256+".csv"), past, past); err != nil {
			t.Fatal(err)
		}
	}
	// An orphan: received an hour ago but never registered.
	orphan := filepath.Join(dir, "0000000000000000000000000000000000000000000000000000000000000000.csv")
	if err := os.WriteFile(orphan, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(orphan, past, past); err != nil {
		t.Fatal(err)
	}

	n, err := im.ExpireFiles(ctx, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v", n, err)
	}
	exists := func(imp *importer.Import) bool {
		_, err := os.Stat(filepath.Join(dir, imp.SHA256+".csv"))
		return err == nil
	}
	if exists(old) || !exists(recent) || !exists(failed) {
		t.Fatalf("files after retention: old %v recent %v failed %v", exists(old), exists(recent), exists(failed))
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatal("orphan file kept")
	}
	got, _ := im.Get(ctx, old.ID)
	if got.FileRemovedAt == nil || got.Status != "committed" {
		t.Fatalf("old import after retention: %+v", got)
	}
	if n, _ := im.ExpireFiles(ctx, time.Now()); n != 0 {
		t.Fatalf("expired again: %d", n)
	}
	if c := count(t, `SELECT count(*) FROM audit_log WHERE action = 'import.file_removed' AND entity_id = $1`, strconv.FormatInt(old.ID, 10)); c != 1 {
		t.Fatalf("%d audit records", c)
	}
}
