package auth

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/db"
)

// A civil servant's NIP is 18 digits (PP 11/2017); it may be written with spaces.
var nipPattern = regexp.MustCompile(`^[0-9]{18}$`)

// SetSigner sets the position (jabatan) and NIP a user signs letters with (migration 00021):
// a letter is signed by a person, not a display name (issue 16). An empty NIP is allowed, for
// staff who are not civil servants.
func (s *Store) SetSigner(ctx context.Context, actor, username, position, nip string) error {
	nip = strings.ReplaceAll(nip, " ", "")
	if err := CheckSigner(position, nip); err != nil {
		return err
	}
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var id int64
		if err := tx.GetContext(ctx, &id, `UPDATE users SET position = $2, nip = $3, updated_at = now() WHERE username = $1 RETURNING id`,
			username, strings.TrimSpace(position), nip); err != nil {
			return db.NotFoundOr(err, "auth: set signer")
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: "user.signer", Entity: "user", EntityID: fmt.Sprint(id),
			Detail: map[string]any{"position": position, "nip_set": nip != ""}})
	})
}

// CheckSigner checks a position and NIP before anything is written.
func CheckSigner(position, nip string) error {
	nip = strings.ReplaceAll(nip, " ", "")
	if nip != "" && !nipPattern.MatchString(nip) {
		return apperr.Fields(map[string]string{"nip": "user.nip_invalid"})
	}
	if len(position) > 200 {
		return apperr.Fields(map[string]string{"position": "error.invalid_value"})
	}
	return nil
}
