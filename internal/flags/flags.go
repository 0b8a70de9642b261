// Package flags applies the compliance rules of domain.md: it computes, set-based in SQL, the
// five flags of each employer, the workers behind them and the monthly contribution shortfall.
package flags

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"patuh/internal/db"
)

// Codes in the spec's order.
var Codes = []string{"PWBD", "PDS_TK", "PDS_UPAH", "PDS_PROGRAM", "MENUNGGAK"}

//go:embed flags.sql
var sqlText string

var q = db.MustQueries(sqlText, "rates", "load-rates", "active", "index-active", "facts", "clear",
	"pwbd", "pds-tk-roster", "pds-tk-reported", "pds-upah", "pds-program", "menunggak", "summarise")

// Flag is one flag raised against an employer.
type Flag struct {
	EmployerID  int64  `db:"employer_id" json:"-"`
	Code        string `db:"code" json:"code"`
	Workers     int    `db:"workers" json:"workers"`
	ShortfallRp int64  `db:"shortfall_rp" json:"shortfall_rp"`
	Detail      string `db:"detail" json:"detail"`
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
	return Recompute(ctx, tx, today)
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
	if err := tx.GetContext(ctx, &r, q["rates"], today); err != nil {
		return fmt.Errorf("flags: rates: %w", err)
	}
	if r.JKK == nil || r.JKM == nil || r.JHT == nil || r.JP == nil || r.UMP == nil {
		return fmt.Errorf("flags: no contribution rates or UMP in force on %s", today.Format("2006-01-02"))
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS flag_rates, flag_active, flag_facts`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q["load-rates"], *r.JKK, *r.JKM, *r.JHT, *r.JP, r.JPCap, *r.UMP, r.MenunggakMinMonths); err != nil {
		return fmt.Errorf("flags: load rates: %w", err)
	}
	for _, name := range []string{"active", "index-active", "facts", "clear", "pwbd", "pds-tk-roster",
		"pds-tk-reported", "pds-upah", "pds-program", "menunggak", "summarise"} {
		if _, err := tx.ExecContext(ctx, q[name]); err != nil {
			return fmt.Errorf("flags: %s: %w", name, err)
		}
	}
	return nil
}
