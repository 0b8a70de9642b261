package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/db"
)

// Store owns the users, api_tokens and login_attempts tables.
type Store struct {
	db     *sqlx.DB
	secret []byte
	// compare checks a password against its hash; a test counts the calls through it.
	compare func(hash, password []byte) error
	now     func() time.Time
	// InspectorsNeedMFA makes the second factor required of inspectors too
	// (PATUH_MFA_INSPECTORS=required); otherwise it is their choice.
	InspectorsNeedMFA bool
	// TokenTTL is how long a new API token lives unless its creator chooses otherwise
	// (PATUH_TOKEN_TTL, default 90 days: issue 14).
	TokenTTL time.Duration
}

// DefaultTokenTTL is PATUH_TOKEN_TTL's default.
const DefaultTokenTTL = 90 * 24 * time.Hour

func NewStore(d *sqlx.DB, secret string) *Store {
	return &Store{db: d, secret: []byte(secret), compare: bcrypt.CompareHashAndPassword, now: time.Now, TokenTTL: DefaultTokenTTL}
}

const userColumns = `u.id, u.username, u.name, u.role, coalesce(u.area_kode, '') AS area,
	coalesce(r.nama, '') AS area_name, u.password_hash, u.active, u.session_epoch, u.version, u.created_at,
	u.must_change_password`

const qUserByID = `SELECT ` + userColumns + ` FROM users u LEFT JOIN regions r ON r.kode = u.area_kode WHERE u.id = $1`
const qUserByUsername = `SELECT ` + userColumns + ` FROM users u LEFT JOIN regions r ON r.kode = u.area_kode WHERE u.username = $1`

func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := s.db.GetContext(ctx, &u, qUserByID, id); err != nil {
		return nil, db.NotFoundOr(err, "auth: user by id")
	}
	return &u, nil
}

func (s *Store) UserByUsername(ctx context.Context, username string) (*User, error) {
	var u User
	if err := s.db.GetContext(ctx, &u, qUserByUsername, strings.ToLower(username)); err != nil {
		return nil, db.NotFoundOr(err, "auth: user by username")
	}
	return &u, nil
}

// NewUser is what `patuh user add` and the seed supply.
type NewUser struct {
	Username string
	Name     string
	Role     Role
	Area     string
	Password string
	// Temporary makes the password one the user must replace at first login (an admin's
	// page sets it: the admin knows it, so it must not stay).
	Temporary bool
}

// usernamePattern is the users.username CHECK of 00001, said to the user before PostgreSQL does.
var usernamePattern = regexp.MustCompile(`^[a-z0-9._-]{2,64}$`)

func (n NewUser) validate(ctx context.Context, q sqlx.QueryerContext) error {
	fields := map[string]string{}
	if !usernamePattern.MatchString(n.Username) {
		fields["username"] = "user.username_invalid"
	}
	if e, ok := apperr.As(CheckPassword(n.Username, n.Password)); ok {
		fields["password"] = e.Fields["password"]
	}
	if err := validateProfile(ctx, q, n.Name, n.Role, n.Area, fields); err != nil {
		return err
	}
	if len(fields) > 0 {
		return apperr.Fields(fields)
	}
	return nil
}

// validateProfile checks what an admin may edit of a user: a name, a role, and an area that is
// a kota or kecamatan of regions ("" = all of Jakarta). Problems go into fields.
func validateProfile(ctx context.Context, q sqlx.QueryerContext, name string, role Role, area string, fields map[string]string) error {
	if !role.Valid() {
		fields["role"] = "user.role_invalid"
	}
	if strings.TrimSpace(name) == "" {
		fields["name"] = "error.required"
	} else if utf8.RuneCountInString(name) > 120 {
		fields["name"] = "user.name_too_long"
	}
	if area != "" {
		var level string
		err := sqlx.GetContext(ctx, q, &level, `SELECT level FROM regions WHERE kode = $1`, area)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			fields["area"] = "user.area_invalid"
		case err != nil:
			// An outage is not the user's mistake: it goes up as an error, not as a field message.
			return fmt.Errorf("auth: check area: %w", err)
		case level == "kelurahan":
			fields["area"] = "user.area_invalid"
		}
	}
	return nil
}

// AddUser creates a user, or with replace=true resets an existing one (used by the demo seed).
func (s *Store) AddUser(ctx context.Context, actor string, n NewUser, replace bool) (*User, error) {
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	n.Name = strings.TrimSpace(n.Name)
	n.Area = strings.TrimSpace(n.Area)
	if err := n.validate(ctx, s.db); err != nil {
		return nil, err
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return nil, err
	}
	var id int64
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		q := `INSERT INTO users (username, name, role, area_kode, password_hash, must_change_password)
		      VALUES ($1, $2, $3, nullif($4, ''), $5, $6) RETURNING id`
		if replace {
			q = `INSERT INTO users (username, name, role, area_kode, password_hash, must_change_password)
			     VALUES ($1, $2, $3, nullif($4, ''), $5, $6)
			     ON CONFLICT (username) DO UPDATE SET name = excluded.name, role = excluded.role,
			         area_kode = excluded.area_kode, password_hash = excluded.password_hash, active = true,
			         must_change_password = excluded.must_change_password,
			         session_epoch = users.session_epoch + 1, version = users.version + 1, updated_at = now()
			     RETURNING id`
		}
		if err := tx.GetContext(ctx, &id, q, n.Username, n.Name, n.Role, n.Area, hash, n.Temporary); err != nil {
			if apperr.CodeOf(db.NotFoundOr(err, "")) == apperr.Conflict {
				return apperr.Fields(map[string]string{"username": "user.username_taken"})
			}
			return db.NotFoundOr(err, "auth: add user")
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: "user.add", Entity: "user",
			EntityID: fmt.Sprint(id), Detail: map[string]any{"username": n.Username, "name": n.Name, "role": n.Role,
				"area": n.Area, "temporary_password": n.Temporary}})
	})
	if err != nil {
		return nil, err
	}
	return s.UserByID(ctx, id)
}

// ChangePassword sets a new password (`patuh user password`) and ends every session and API
// token of the user.
func (s *Store) ChangePassword(ctx context.Context, actor string, userID int64, password string) error {
	return s.setPassword(ctx, actor, userID, password, false)
}

// ResetPassword is an admin's reset: the password given is temporary, the user must choose
// their own at their next login; sessions and tokens end as on any change.
func (s *Store) ResetPassword(ctx context.Context, actor string, userID int64, password string) error {
	return s.setPassword(ctx, actor, userID, password, true)
}

func (s *Store) setPassword(ctx context.Context, actor string, userID int64, password string, temporary bool) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if err := CheckPassword(u.Username, password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	action := "user.password"
	if temporary {
		action = "user.password_reset"
	}
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, must_change_password = $3,
			session_epoch = session_epoch + 1, version = version + 1, updated_at = now() WHERE id = $1`, userID, hash, temporary)
		if err != nil {
			return fmt.Errorf("auth: change password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "error.not_found")
		}
		// Issue 14: a password change ends the user's tokens as well as their sessions.
		revoked, err := revokeTokensOf(ctx, tx, userID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: action, Entity: "user", EntityID: fmt.Sprint(userID),
			Detail: map[string]any{"tokens_revoked": revoked}})
	})
}

// ChangeOwnPassword is the user's own change (ASVS V6.2.3): the current password is required,
// the new one meets CheckPassword, and every session of the user ends (the caller keeps the
// current one by moving it to the returned epoch).
func (s *Store) ChangeOwnPassword(ctx context.Context, u *User, current, password string) (epoch int, err error) {
	if s.compare([]byte(u.PasswordHash), []byte(current)) != nil {
		return 0, apperr.Fields(map[string]string{"current": "password.current_wrong"})
	}
	if err := s.ChangePassword(ctx, u.Username, u.ID, password); err != nil {
		return 0, err
	}
	fresh, err := s.UserByID(ctx, u.ID)
	if err != nil {
		return 0, err
	}
	return fresh.SessionEpoch, nil
}

func HashPassword(p string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(b), nil
}

// dummyHash is a hash of a random password, compared against when the username is unknown,
// so that a wrong username takes as long as a wrong password. Computed on first use, not at
// package init: a program that never logs anyone in (the CLI, most tests) does not pay a
// bcrypt, and nothing runs before main.
var dummyHash = sync.OnceValue(func() []byte {
	h, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), bcrypt.DefaultCost)
	if err != nil {
		panic("auth: bcrypt of a fixed-length password cannot fail: " + err.Error())
	}
	return h
})

// ErrThrottled tells the user to wait; it does not say whether the account exists.
var ErrThrottled = apperr.New(apperr.TooManyRequests, "login.throttled")

// ErrBadCredentials is the one message for a wrong username and a wrong password alike.
var ErrBadCredentials = apperr.New(apperr.Unauthorized, "login.bad_credentials")

// Authenticate checks a password, applying the throttle first and recording the attempt.
// The throttle counts the attempt before the password is compared, in one statement shared
// by all instances, so N parallel guesses compare at most the limit.
func (s *Store) Authenticate(ctx context.Context, username, password, clientAddr string) (*User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	allowed, err := reserve(ctx, s.db, throttleKey{addrKey(clientAddr), maxFailuresPerAddr},
		throttleKey{userKey(username), maxFailuresPerUser})
	if err != nil {
		return nil, err
	}
	if !allowed {
		return nil, ErrThrottled
	}
	u, err := s.UserByUsername(ctx, username)
	ok := false
	switch {
	case err == nil:
		ok = s.compare([]byte(u.PasswordHash), []byte(password)) == nil && u.Active
	case apperr.CodeOf(err) == apperr.NotFound:
		_ = s.compare(dummyHash(), []byte(password)) // for the time it takes; the answer is "no"
	default:
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO login_attempts (username, client_addr, succeeded) VALUES ($1, $2, $3)`,
		username, clientAddr, ok); err != nil {
		return nil, fmt.Errorf("auth: record attempt: %w", err)
	}
	if !ok {
		return nil, ErrBadCredentials
	}
	if err := clearThrottle(ctx, s.db, userKey(username)); err != nil {
		return nil, err
	}
	// The address counts failures only: a success gives back the attempt it took, so an office
	// behind one NAT address is not closed by its own logins.
	if err := refundThrottle(ctx, s.db, addrKey(clientAddr)); err != nil {
		return nil, err
	}
	return u, nil
}

// CreateToken makes an API token of the default lifetime (TokenTTL); see IssueToken.
func (s *Store) CreateToken(ctx context.Context, actor string, userID int64, label string) (string, error) {
	tok, _, err := s.IssueToken(ctx, actor, userID, label, 0)
	return tok, err
}

func (s *Store) tokenHash(token string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(token))
	return m.Sum(nil)
}

// UserByToken returns the active user behind a token that has neither been revoked nor expired.
func (s *Store) UserByToken(ctx context.Context, token string) (*User, error) {
	hash := s.tokenHash(token)
	var t struct {
		User
		Stale bool `db:"token_stale"`
	}
	err := s.db.GetContext(ctx, &t, `SELECT `+userColumns+`,
		t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS token_stale
		FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN regions r ON r.kode = u.area_kode
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active`, hash)
	if err != nil {
		if apperr.CodeOf(db.NotFoundOr(err, "")) == apperr.NotFound {
			return nil, apperr.New(apperr.Unauthorized, "error.unauthorized")
		}
		return nil, fmt.Errorf("auth: token: %w", err)
	}
	// last_used_at is to the minute: writing it on every call made each API request a write
	// (a WAL flush and a row lock that a client's parallel requests queued on).
	if t.Stale {
		if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1`, hash); err != nil {
			return nil, fmt.Errorf("auth: token use: %w", err)
		}
	}
	return &t.User, nil
}
