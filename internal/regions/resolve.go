package regions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"
)

var (
	codeOnly  = regexp.MustCompile(`^31\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?$`)
	codeAtEnd = regexp.MustCompile(`\((31\.[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{4})?)?)\)\s*$`)
)

// Resolve turns what a person typed in an area filter into a region code of their area
// (areaPattern, e.g. "31.75%"): a code ("31.75.06"), a name ("Cakung", any case), or a
// suggestion as the datalist writes it ("Cakung (31.75.06)"). A name shared by a kecamatan
// and a kelurahan means the larger one. ok is false when nothing in the area matches.
func Resolve(ctx context.Context, q sqlx.QueryerContext, text, areaPattern string) (code string, ok bool, err error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", true, nil
	}
	if m := codeAtEnd.FindStringSubmatch(text); m != nil {
		text = m[1]
	}
	query := `SELECT kode FROM regions WHERE lower(nama) = lower($1) AND kode LIKE $2 ORDER BY length(kode), kode LIMIT 1`
	if codeOnly.MatchString(text) {
		query = `SELECT kode FROM regions WHERE kode = $1 AND kode LIKE $2`
	}
	err = sqlx.GetContext(ctx, q, &code, query, text, areaPattern)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("regions: resolve: %w", err)
	}
	return code, true, nil
}

// Suggestion is one option of an area filter's datalist.
type Suggestion struct {
	Kode  string `db:"kode"`
	Nama  string `db:"nama"`
	Level string `db:"level"`
	// Parent names the kota of a kecamatan, the kecamatan of a kelurahan.
	Parent string `db:"parent"`
}

// Suggest lists every region of the area for the filter's suggestions (≈ 320 for Jakarta).
func Suggest(ctx context.Context, q sqlx.QueryerContext, areaPattern string) ([]Suggestion, error) {
	out := []Suggestion{}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT r.kode, r.nama, r.level, coalesce(p.nama, '') AS parent
		FROM regions r LEFT JOIN regions p ON p.kode = r.parent_kode
		WHERE r.kode LIKE $1 ORDER BY r.kode`, areaPattern)
	if err != nil {
		return nil, fmt.Errorf("regions: suggest: %w", err)
	}
	return out, nil
}
