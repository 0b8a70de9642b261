// Package flags applies the compliance rules of domain.md: it computes, set-based in SQL, the
// five flags of each employer, the workers behind them and the monthly contribution shortfall.
package flags

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"patuh/internal/db"
)

// Code is a compliance category (docs/domain.md, "Compliance categories"). SQL spells the
// codes as literals (flags.sql, the employer_flags CHECK); codes_test.go holds them to these.
type Code string

// The five codes of docs/domain.md.
const (
	PWBD       Code = "PWBD"        // Perusahaan Wajib Belum Daftar
	PDSTK      Code = "PDS_TK"      // Perusahaan Daftar Sebagian – Tenaga Kerja
	PDSUpah    Code = "PDS_UPAH"    // Perusahaan Daftar Sebagian – Upah
	PDSProgram Code = "PDS_PROGRAM" // Perusahaan Daftar Sebagian – Program
	Menunggak  Code = "MENUNGGAK"   // Menunggak iuran
)

// Codes returns the codes in the spec's order, as a new slice each time: the order is shared
// by pages, letters and SQL, so no caller may change it for the others.
func Codes() []Code { return []Code{PWBD, PDSTK, PDSUpah, PDSProgram, Menunggak} }

// Valid reports whether c is one of the five codes (a filter typed by a user may not be).
func (c Code) Valid() bool { return slices.Contains(Codes(), c) }

// CodesSQL is Codes as an SQL array, for ORDER BY array_position(CodesSQL, code).
const CodesSQL = `ARRAY['PWBD', 'PDS_TK', 'PDS_UPAH', 'PDS_PROGRAM', 'MENUNGGAK']`

//go:embed flags.sql
var sqlText string

// steps are the queries Recompute runs in order; MustQueries checks them with the others, so a
// step missing from flags.sql fails at start-up.
var steps = []string{"active", "index-active", "facts", "index-facts", "clear", "pwbd", "pds-tk-roster",
	"pds-tk-reported", "pds-upah", "pds-program", "menunggak", "apply", "summarise"}

var queries = db.MustQueries(sqlText, append([]string{"rates", "load-rates", "refresh-counts", "unenrolled", "underreported"}, steps...)...)

// Flag is one flag raised against an employer. Data is what the rules found (stored);
// Detail is it in words, in the reader's language, filled by Localize before it is shown
// (docs/api.md keeps detail as text; detail_data is the same as data).
type Flag struct {
	EmployerID  int64  `db:"employer_id" json:"-"`
	Code        Code   `db:"code" json:"code"`
	Workers     int    `db:"workers" json:"workers"`
	ShortfallRp int64  `db:"shortfall_rp" json:"shortfall_rp"`
	Detail      string `db:"-" json:"detail"`
	Data        Detail `db:"detail" json:"detail_data"`
}

// PrepareTargets creates the transaction's flag_targets table; the caller fills it with the
// ids of the employers to recompute, then calls Recompute.
func PrepareTargets(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS flag_targets;
		CREATE TEMP TABLE flag_targets (id bigint PRIMARY KEY) ON COMMIT DROP`)
	return err
}

// RecomputeAll recomputes every employer.
func RecomputeAll(ctx context.Context, tx *sqlx.Tx, today time.Time) error {
	if err := PrepareTargets(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO flag_targets SELECT id FROM employers`); err != nil {
		return err
	}
	if err := Recompute(ctx, tx, today); err != nil {
		return err
	}
	return RefreshCounts(ctx, tx)
}

// Enqueue moves the employers in flag_targets to the queue that RecomputeQueued works off:
// an import's commit stays short, and its flags follow in transactions of their own.
func Enqueue(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO flag_queue SELECT id FROM flag_targets ON CONFLICT DO NOTHING`)
	return err
}

// RecomputeQueued recomputes up to batch queued employers in one transaction and says how many
// it took; 0 when the queue is empty.
func RecomputeQueued(ctx context.Context, d *sqlx.DB, today time.Time, batch int) (int, error) {
	// The worker asks every few seconds: an empty queue costs one read, not a transaction
	// with a temporary table (catalog rows to clean up).
	var queued bool
	if err := d.GetContext(ctx, &queued, `SELECT EXISTS (SELECT 1 FROM flag_queue)`); err != nil || !queued {
		return 0, err
	}
	var n int64
	err := db.WithTx(ctx, d, func(tx *sqlx.Tx) error {
		if err := PrepareTargets(ctx, tx); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `WITH taken AS (
			DELETE FROM flag_queue WHERE employer_id IN (
				SELECT employer_id FROM flag_queue ORDER BY employer_id LIMIT $1 FOR UPDATE SKIP LOCKED)
			RETURNING employer_id
		)
		INSERT INTO flag_targets SELECT employer_id FROM taken`, batch)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		return Recompute(ctx, tx, today)
	})
	return int(n), err
}

// SnapshotsInForce lists the imports whose participant snapshots are in force, as SQL (ids
// only, read from the database): "0" when there are none.
func SnapshotsInForce(ctx context.Context, q sqlx.QueryerContext) (string, error) {
	var ids string
	err := sqlx.GetContext(ctx, q, &ids, `SELECT coalesce(string_agg(DISTINCT import_id::text, ','), '0') FROM latest_snapshots`)
	return ids, err
}

// RefreshCounts recounts the flagged employers per area and scale that lists show.
func RefreshCounts(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, queries["refresh-counts"])
	return err
}

// Recompute replaces the flags of the employers in flag_targets, with the rates and UMP in
// force on today.
func Recompute(ctx context.Context, tx *sqlx.Tx, today time.Time) error {
	var r struct {
		JKK, JKM, JHT, JP  *float64
		JPCap              *int64 `db:"jp_cap"`
		UMP                *int64
		MenunggakMinMonths int `db:"menunggak_min_months"`
	}
	if err := tx.GetContext(ctx, &r, queries["rates"], today); err != nil {
		return fmt.Errorf("flags: rates: %w", err)
	}
	if r.JKK == nil || r.JKM == nil || r.JHT == nil || r.JP == nil || r.UMP == nil {
		return fmt.Errorf("flags: no contribution rates or UMP in force on %s", today.Format("2006-01-02"))
	}
	// When the figures in force differ from those of the last computation (a new year's UMP, a
	// new JP cap, an admin's edit), every employer is recomputed, not only the import's.
	var jpCap int64
	if r.JPCap != nil {
		jpCap = *r.JPCap
	}
	rates := fmt.Sprint(*r.JKK, *r.JKM, *r.JHT, *r.JP, jpCap, *r.UMP, r.MenunggakMinMonths)
	res, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('flags_computed_with', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()
		WHERE settings.value IS DISTINCT FROM excluded.value`, rates)
	if err != nil {
		return fmt.Errorf("flags: rates in force: %w", err)
	}
	if changed, _ := res.RowsAffected(); changed > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO flag_targets SELECT id FROM employers ON CONFLICT DO NOTHING`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS flag_rates, flag_active, flag_facts, flag_new`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, queries["load-rates"], *r.JKK, *r.JKM, *r.JHT, *r.JP, r.JPCap, *r.UMP, r.MenunggakMinMonths); err != nil {
		return fmt.Errorf("flags: load rates: %w", err)
	}
	// Sorts and hashes over millions of rows stay in memory.
	if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
		return err
	}
	inForce, err := SnapshotsInForce(ctx, tx)
	if err != nil {
		return err
	}
	for _, name := range steps {
		start := time.Now()
		for _, stmt := range db.Statements(queries[name]) {
			stmt = strings.ReplaceAll(stmt, "{in_force}", inForce)
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("flags: %s: %w", name, err)
			}
		}
		slog.DebugContext(ctx, "flags step", "step", name, "seconds", time.Since(start).Seconds())
	}
	return nil
}

// Worker is a roster worker behind PDS_TK, or an under-reported participant behind PDS_UPAH.
type Worker struct {
	NIK          string `db:"nik" json:"nik"`
	Nama         string `db:"nama" json:"nama"`
	Upah         int64  `db:"upah" json:"upah,omitempty"`
	UpahPaid     int64  `db:"upah_paid" json:"upah_paid,omitempty"`
	UpahReported int64  `db:"upah_reported" json:"upah_reported,omitempty"`
}

// Unenrolled lists the roster workers behind an employer's PDS_TK flag.
func Unenrolled(ctx context.Context, q sqlx.QueryerContext, employerID int64) ([]Worker, error) {
	out := []Worker{}
	if err := sqlx.SelectContext(ctx, q, &out, queries["unenrolled"], employerID); err != nil {
		return nil, fmt.Errorf("flags: unenrolled: %w", err)
	}
	return out, nil
}

// Underreported lists the participants behind an employer's PDS_UPAH flag.
func Underreported(ctx context.Context, q sqlx.QueryerContext, employerID int64, today time.Time) ([]Worker, error) {
	out := []Worker{}
	if err := sqlx.SelectContext(ctx, q, &out, queries["underreported"], employerID, today); err != nil {
		return nil, fmt.Errorf("flags: underreported: %w", err)
	}
	return out, nil
}
