package letters

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"patuh/internal/audit"
	"patuh/internal/db"
)

// Settings an admin sets for the letters (migration 00021): the number format and the issuing
// offices of the two tracks, whose sequences run apart.
var Settings = map[string]string{
	"letter_number_format":   "number format: {seq} {seq:3} {kind} {office} {month} (Roman) {mm} {year}",
	"letter_office_bpjs":     "office code of the BPJS letters (teguran)",
	"letter_office_disnaker": "office code of the Disnaker letters (nota pemeriksaan)",
}

// SetSetting changes one of the letter settings, checked and audited.
func SetSetting(ctx context.Context, d *sqlx.DB, actor, key, value string) error {
	if _, ok := Settings[key]; !ok {
		return fmt.Errorf("letters: %q is not a letter setting", key)
	}
	value = strings.TrimSpace(value)
	if key == "letter_number_format" {
		if err := CheckNumberFormat(value); err != nil {
			return err
		}
	} else if value == "" || strings.ContainsAny(value, "{}") {
		return fmt.Errorf("letters: an office code must be plain text")
	}
	return db.WithTx(ctx, d, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`, key, value); err != nil {
			return fmt.Errorf("letters: set %s: %w", key, err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: "setting.set", Entity: "setting", EntityID: key,
			Detail: map[string]any{"value": value}})
	})
}
