// Package auth knows who is asking: users, roles and areas, passwords, sessions, API tokens,
// login throttling, and the area rule every handler applies.
package auth

import (
	"strings"
	"time"
)

type Role string

const (
	Admin      Role = "admin"
	Supervisor Role = "supervisor"
	Inspector  Role = "inspector"
)

func (r Role) Valid() bool { return r == Admin || r == Supervisor || r == Inspector }

// User is a person who logs in, or on whose behalf an API token acts.
type User struct {
	ID           int64     `db:"id" json:"id"`
	Username     string    `db:"username" json:"username"`
	Name         string    `db:"name" json:"name"`
	Role         Role      `db:"role" json:"role"`
	Area         string    `db:"area" json:"area"` // kota or kecamatan code; "" = all of Jakarta
	AreaName     string    `db:"area_name" json:"area_name"`
	PasswordHash string    `db:"password_hash" json:"-"`
	Active       bool      `db:"active" json:"active"`
	SessionEpoch int       `db:"session_epoch" json:"-"`
	Version      int       `db:"version" json:"version"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
	// MustChangePassword: the password was set by an admin; no page but the password change
	// opens until the user chooses their own.
	MustChangePassword bool `db:"must_change_password" json:"-"`
}

// Covers reports whether a region code (kota, kecamatan or kelurahan, dotted) lies inside the
// user's area. Kemendagri codes have fixed-width segments, so a prefix test is exact.
func (u *User) Covers(regionCode string) bool {
	return u.Area == "" || strings.HasPrefix(regionCode, u.Area)
}

// AreaPattern is the LIKE pattern that scopes a region-code column to the user's area, for
// stores to put in their WHERE clause: `kode_kelurahan LIKE :area_pattern`.
func (u *User) AreaPattern() string { return u.Area + "%" }

// EmployerInArea is the SQL condition that the employer aliased e lies within the area pattern
// passed as param ("$1", "$2", …). An employer known only from a complaint may have no
// kelurahan: only the all-Jakarta pattern reaches it. Written without coalesce so that the
// planner estimates the prefix from the column's statistics: with coalesce it guessed 0.2% of
// employers and scanned them all (an inspector's case list went from 3 to 57 ms).
func EmployerInArea(param string) string {
	return "(e.kode_kelurahan LIKE " + param + " OR e.kode_kelurahan IS NULL AND " + param + " = '%')"
}

// MaySeeAll reports whether the user may see the whole record, complainants' identities and
// unmasked NIKs included.
func (u *User) MaySeeAll() bool { return u.Role == Admin || u.Role == Supervisor }
