// Package pdp applies the personal-data rules of UU 27/2022 that the whole application shares.
//
// The one NIK rule, for every response (pages, API, exports, errors, letters, BAP):
//
//   - A NIK is shown masked, MaskNIK(nik) = 317101******0001, unless
//   - the viewer's role may see NIKs (auth.User.MaySeeAll: admin, supervisor) AND the request
//     asks for them (?unmask=nik, UnmaskRequested), in which case
//   - the read is recorded in the audit log first (who, what, when): AuditedUnmask.
//
// A handler does:
//
//	show, err := pdp.AuditedUnmask(ctx, d, pdp.Viewer{ID: u.ID, Username: u.Username, MaySee: u.MaySeeAll()},
//		pdp.UnmaskRequested(c.Query("unmask")), "case", id, len(niks))
//	if err != nil { web.Error(c, err); return }   // Forbidden for an inspector who asks
//	nik = pdp.NIK(nik, show)
package pdp

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/db"
)

// MaskNIK keeps the issuing region and the serial, as domain.md shows: 317101******0001.
func MaskNIK(nik string) string {
	if len(nik) != 16 {
		return strings.Repeat("*", len(nik))
	}
	return nik[:6] + "******" + nik[12:]
}

// NIK is the NIK as shown: in full only when show is true (AuditedUnmask said so).
func NIK(nik string, show bool) string {
	if show {
		return nik
	}
	return MaskNIK(nik)
}

// UnmaskRequested reports whether the value of the `unmask` query parameter asks for NIKs.
func UnmaskRequested(unmaskParam string) bool { return unmaskParam == "nik" }

// Viewer is who reads: enough of auth.User for the rule, without pdp depending on auth.
type Viewer struct {
	ID       int64
	Username string
	MaySee   bool // auth.User.MaySeeAll()
}

// AuditedUnmask says whether NIKs are shown in full. Not asked: false. Asked by a role that
// may not see them: Forbidden. Asked by one that may: the read is audited (action
// "<entity>.nik_view", with the number of NIKs shown), then true.
func AuditedUnmask(ctx context.Context, d *sqlx.DB, v Viewer, asked bool, entity, entityID string, count int) (bool, error) {
	if !asked {
		return false, nil
	}
	if !v.MaySee {
		return false, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	err := db.WithTx(ctx, d, func(tx *sqlx.Tx) error {
		return audit.Record(ctx, tx, audit.Entry{ActorID: v.ID, Actor: v.Username, Action: entity + ".nik_view",
			Entity: entity, EntityID: entityID, Detail: map[string]any{"niks": count}})
	})
	return err == nil, err
}
