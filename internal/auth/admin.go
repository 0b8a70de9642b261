package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/db"
)

// The admin's user management (issue 12): the /admin/users pages and `patuh user …` call these
// same functions, so both apply the same validation and leave the same audit records.

// UserRow is a line of the user list.
type UserRow struct {
	User
	LastLogin   *time.Time `db:"last_login" json:"last_login"`
	MFAEnrolled bool       `db:"mfa_enrolled" json:"mfa_enrolled"`
}

// ListUsers lists every user by name; the last login is the last successful password check
// (login_attempts, indexed by username and time).
func (s *Store) ListUsers(ctx context.Context) ([]UserRow, error) {
	out := []UserRow{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+userColumns+`, u.mfa_enabled_at IS NOT NULL AS mfa_enrolled,
		(SELECT max(a.at) FROM login_attempts a WHERE a.username = u.username AND a.succeeded) AS last_login
		FROM users u LEFT JOIN regions r ON r.kode = u.area_kode ORDER BY lower(u.name), u.username`)
	return out, db.NotFoundOr(err, "auth: list users")
}

// UserRowByID is one line of the list, for the user's own page.
func (s *Store) UserRowByID(ctx context.Context, id int64) (*UserRow, error) {
	var r UserRow
	err := s.db.GetContext(ctx, &r, `SELECT `+userColumns+`, u.mfa_enabled_at IS NOT NULL AS mfa_enrolled,
		(SELECT max(a.at) FROM login_attempts a WHERE a.username = u.username AND a.succeeded) AS last_login
		FROM users u LEFT JOIN regions r ON r.kode = u.area_kode WHERE u.id = $1`, id)
	if err != nil {
		return nil, db.NotFoundOr(err, "auth: user row")
	}
	return &r, nil
}

// Profile is what an admin edits of a user. Version is the one the admin read: a change made
// meanwhile by someone else is a conflict, not overwritten.
type Profile struct {
	Name    string
	Role    Role
	Area    string
	Version int
}

var errStaleUser = apperr.New(apperr.Conflict, "user.stale")

// UpdateUser changes a user's name, role and area. A change of role or area ends the user's
// sessions (what they may see changed), not their tokens.
func (s *Store) UpdateUser(ctx context.Context, actor string, id int64, p Profile) (*User, error) {
	p.Name, p.Area = strings.TrimSpace(p.Name), strings.TrimSpace(p.Area)
	fields := map[string]string{}
	if err := validateProfile(ctx, s.db, p.Name, p.Role, p.Area, fields); err != nil {
		return nil, err
	}
	if len(fields) > 0 {
		return nil, apperr.Fields(fields)
	}
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		before, err := lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.Version != 0 && p.Version != before.Version {
			return errStaleUser
		}
		if before.Role == Admin && p.Role != Admin && before.Active {
			if err := notLastAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		moved := before.Role != p.Role || before.Area != p.Area
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = $2, role = $3, area_kode = nullif($4, ''),
			session_epoch = session_epoch + CASE WHEN $5 THEN 1 ELSE 0 END, version = version + 1, updated_at = now()
			WHERE id = $1`, id, p.Name, p.Role, p.Area, moved); err != nil {
			return fmt.Errorf("auth: update user: %w", err)
		}
		detail := map[string]any{}
		if before.Name != p.Name {
			detail["name"] = map[string]string{"from": before.Name, "to": p.Name}
		}
		if before.Role != p.Role {
			detail["role"] = map[string]Role{"from": before.Role, "to": p.Role}
		}
		if before.Area != p.Area {
			detail["area"] = map[string]string{"from": before.Area, "to": p.Area}
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: "user.update", Entity: "user",
			EntityID: fmt.Sprint(id), Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	return s.UserByID(ctx, id)
}

// SetActive disables or enables a user. Disabling ends at once every session (Session checks
// active on each request, and the epoch moves) and revokes every API token; enabling gives
// back neither.
func (s *Store) SetActive(ctx context.Context, actor string, id int64, active bool) error {
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		before, err := lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.Active == active {
			return nil
		}
		if !active && before.Role == Admin {
			if err := notLastAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET active = $2, session_epoch = session_epoch + 1,
			version = version + 1, updated_at = now() WHERE id = $1`, id, active); err != nil {
			return fmt.Errorf("auth: set active: %w", err)
		}
		action, detail := "user.enable", map[string]any{}
		if !active {
			action = "user.disable"
			n, err := revokeTokensOf(ctx, tx, id)
			if err != nil {
				return err
			}
			detail["tokens_revoked"] = n
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: action, Entity: "user", EntityID: fmt.Sprint(id), Detail: detail})
	})
}

func lockUser(ctx context.Context, tx *sqlx.Tx, id int64) (*User, error) {
	var u User
	if err := tx.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users u LEFT JOIN regions r ON r.kode = u.area_kode
		WHERE u.id = $1 FOR UPDATE OF u`, id); err != nil {
		return nil, db.NotFoundOr(err, "auth: lock user")
	}
	return &u, nil
}

// notLastAdmin refuses to take away the last active admin: nobody could manage users after.
// The other admins are locked too, so two admins demoting each other at once cannot both pass.
func notLastAdmin(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var others []int64
	if err := tx.SelectContext(ctx, &others, `SELECT id FROM users WHERE role = 'admin' AND active AND id <> $1 FOR UPDATE`, id); err != nil {
		return fmt.Errorf("auth: count admins: %w", err)
	}
	if len(others) == 0 {
		return apperr.New(apperr.Conflict, "user.last_admin")
	}
	return nil
}
