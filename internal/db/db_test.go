package db_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"patuh/internal/db"
	"patuh/internal/db/dbtest"
	"patuh/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// emptyDatabase creates a database without any migration, dropped when the test ends.
func emptyDatabase(t *testing.T, prefix string) *sqlx.DB {
	admin := dbtest.OwnerDB(t)
	name := fmt.Sprintf("%s_%d", prefix, os.Getpid())
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Fatal(err)
		}
	})
	d, err := db.Open(context.Background(), dbtest.URLFor(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	})
	return d
}

// TestMigrationsFromZero builds a database from nothing, checks the reference data, and
// proves every Down migration undoes its Up by going to zero and back.
func TestMigrationsFromZero(t *testing.T) {
	ctx := context.Background()
	d := emptyDatabase(t, "patuh_zero")

	if err := db.Current(ctx, d); err == nil {
		t.Fatal("an empty database counts as current")
	}
	n, err := db.Migrate(ctx, d)
	if err != nil || n == 0 {
		t.Fatalf("migrate: %d %v", n, err)
	}
	if err := db.Current(ctx, d); err != nil {
		t.Fatalf("after migrate: %v", err)
	}
	counts := map[string]int{}
	rows, _ := d.Query(`SELECT level, count(*) FROM regions GROUP BY level`)
	for rows.Next() {
		var level string
		var c int
		if err := rows.Scan(&level, &c); err != nil {
			t.Fatal(err)
		}
		counts[level] = c
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if counts["kota"] != 6 || counts["kecamatan"] != 44 || counts["kelurahan"] != 267 {
		t.Fatalf("regions: %v", counts)
	}
	var gambir string
	if err := d.Get(&gambir, `SELECT nama FROM regions WHERE kode = '31.71.01.1001'`); err != nil {
		t.Fatal(err)
	}
	if gambir != "Gambir" {
		t.Fatalf("31.71.01.1001 = %q, want Gambir (Kemendagri, not BPS, codes)", gambir)
	}
	var kbli, ump, holidays, ladder int
	if err := d.Get(&kbli, `SELECT count(*) FROM kbli`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&ump, `SELECT amount FROM minimum_wages WHERE valid_from = '2025-01-01'`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&holidays, `SELECT count(*) FROM holidays`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&ladder, `SELECT count(*) FROM follow_up_rules`); err != nil {
		t.Fatal(err)
	}
	if kbli != 109 || ump != 5396761 || holidays == 0 || ladder != 10 {
		t.Fatalf("reference data: kbli %d, ump %d, holidays %d, ladder %d", kbli, ump, holidays, ladder)
	}

	if err := db.Reset(ctx, d); err != nil {
		t.Fatalf("down to zero: %v", err)
	}
	var tables int
	if err := d.Get(&tables, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("%d tables left after migrating down", tables)
	}
	if _, err := db.Migrate(ctx, d); err != nil {
		t.Fatalf("up again: %v", err)
	}
}

// Every connection of the pool runs without parallel workers and sends arguments with the
// query in one round trip; a URL that sets either keeps its own value.
func TestSessionDefaults(t *testing.T) {
	d, err := db.Open(context.Background(), dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	var workers string
	if err := d.Get(&workers, `SHOW max_parallel_workers_per_gather`); err != nil || workers != "0" {
		t.Fatalf("max_parallel_workers_per_gather = %q (%v), want 0", workers, err)
	}
	// A JSON string and a bytea []byte both arrive intact with binary parameters.
	var text string
	var raw []byte
	if err := d.QueryRow(`SELECT $1::jsonb::text, $2::bytea`, `{"a": 1}`, []byte{0, 1, 255}).Scan(&text, &raw); err != nil ||
		text != `{"a": 1}` || string(raw) != "\x00\x01\xff" {
		t.Fatalf("round trip: %q %v %v", text, raw, err)
	}
	own, err := db.Open(context.Background(), dbtest.URL(t)+"&max_parallel_workers_per_gather=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := own.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := own.Get(&workers, `SHOW max_parallel_workers_per_gather`); err != nil || workers != "1" {
		t.Fatalf("a URL's own setting: %q (%v), want 1", workers, err)
	}
}

// Cases and follow-ups leave room on each page for their frequent version bumps.
func TestHotUpdateRoom(t *testing.T) {
	for table, want := range map[string]string{"cases": "{fillfactor=70}", "follow_ups": "{fillfactor=80}"} {
		var got string
		if err := dbtest.DB(t).Get(&got, `SELECT coalesce(reloptions::text, '') FROM pg_class WHERE relname = $1`, table); err != nil || got != want {
			t.Errorf("%s reloptions %q (%v), want %q", table, got, err, want)
		}
	}
}

// TestPoolKeepsItsConnections: a second burst as large as the pool reuses the first burst's
// connections instead of opening new backends (found by `make load`: churn took both cores).
func TestPoolKeepsItsConnections(t *testing.T) {
	d, err := db.Open(context.Background(), dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	backends := map[int]bool{}
	var mu sync.Mutex
	for range 2 {
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var pid int
				if err := d.QueryRow(`SELECT pg_backend_pid() FROM pg_sleep(0.2)`).Scan(&pid); err != nil {
					t.Error(err)
				}
				mu.Lock()
				backends[pid] = true
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	if len(backends) > 20 {
		t.Fatalf("two bursts of 20 used %d backends, want at most 20", len(backends))
	}
}

// TestPartitionMigrationKeepsRows: migration 00007 moves existing roster and snapshot rows into
// partitions, and sends imports whose staged rows it cannot carry back to validation.
func TestPartitionMigrationKeepsRows(t *testing.T) {
	ctx := context.Background()
	d := emptyDatabase(t, "patuh_m7")
	p, err := goose.NewProvider(goose.DialectPostgres, d.DB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`INSERT INTO employers (id, nib, nama, kode_kelurahan, in_register) VALUES (1, '2940000000001', 'Satu', '31.71.01.1001', true)`,
		`INSERT INTO imports (id, kind, sha256, filename, format, size_bytes, status) VALUES
			(1, 'workers', 'a', 'w.csv', 'csv', 1, 'committed'), (2, 'participants', 'b', 'p.csv', 'csv', 1, 'committed'),
			(3, 'participants', 'c', 'p2.csv', 'csv', 1, 'needs_review')`,
		`INSERT INTO workers VALUES (1, '3171010101900001', 'A', 6000000, NULL)`,
		`INSERT INTO participants VALUES (2, 'X0000001', '3171010101900001', NULL, 'A', 6000000, 'aktif', NULL)`,
		`INSERT INTO stage_participants VALUES (3, 2, 'X0000001', '3171010101900002', NULL, 'B', 6000000, 'aktif', NULL)`,
	} {
		if _, err := d.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	var workers, participants, partitions int
	var pending string
	if err := d.Get(&workers, `SELECT count(*) FROM workers WHERE import_id = 0 AND employer_id = 1`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&participants, `SELECT count(*) FROM participants WHERE import_id = 2 AND nik = '3171010101900001'`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&partitions, `SELECT count(*) FROM pg_inherits WHERE inhparent IN ('workers'::regclass, 'participants'::regclass)`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&pending, `SELECT status FROM imports WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	if workers != 1 || participants != 1 || partitions != 2 || pending != "queued" {
		t.Fatalf("after 00007: %d roster rows, %d participants, %d partitions, pending import %s", workers, participants, partitions, pending)
	}
}
