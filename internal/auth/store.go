package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

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
}

func NewStore(d *sqlx.DB, secret string) *Store {
	return &Store{db: d, secret: []byte(secret), compare: bcrypt.CompareHashAndPassword, now: time.Now}
}

const userColumns = `u.id, u.username, u.name, u.role, coalesce(u.area_kode, '') AS area,
	coalesce(r.nama, '') AS area_name, u.password_hash, u.active, u.session_epoch, u.version, u.created_at`

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
}

func (n NewUser) validate(ctx context.Context, q sqlx.QueryerContext) error {
	fields := map[string]string{}
	if e, ok := apperr.As(CheckPassword(n.Username, n.Password)); ok {
		fields["password"] = e.Fields["password"]
	}
	if !Role(n.Role).Valid() {
		fields["role"] = "user.role_invalid"
	}
	if strings.TrimSpace(n.Name) == "" {
		fields["name"] = "error.required"
	}
	if n.Area != "" {
		var level string
		err := sqlx.GetContext(ctx, q, &level, `SELECT level FROM regions WHERE kode = $1`, n.Area)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			fields["area"] = "user.area_invalid"
		case err != nil:
			// An outage is not the user's mistake: it is reported as one (issue 17).
			return fmt.Errorf("auth: check area: %w", err)
		case level == "kelurahan":
			fields["area"] = "user.area_invalid"
		}
	}
	if len(fields) > 0 {
		return apperr.Fields(fields)
	}
	return nil
}

// AddUser creates a user, or with replace=true resets an existing one (used by the demo seed).
func (s *Store) AddUser(ctx context.Context, actor string, n NewUser, replace bool) (*User, error) {
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	if err := n.validate(ctx, s.db); err != nil {
		return nil, err
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return nil, err
	}
	var id int64
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		q := `INSERT INTO users (username, name, role, area_kode, password_hash)
		      VALUES ($1, $2, $3, nullif($4, ''), $5) RETURNING id`
		if replace {
			q = `INSERT INTO users (username, name, role, area_kode, password_hash)
			     VALUES ($1, $2, $3, nullif($4, ''), $5)
			     ON CONFLICT (username) DO UPDATE SET name = excluded.name, role = excluded.role,
			         area_kode = excluded.area_kode, password_hash = excluded.password_hash, active = true,
			         session_epoch = users.session_epoch + 1, version = users.version + 1, updated_at = now()
			     RETURNING id`
		}
		if err := tx.GetContext(ctx, &id, q, n.Username, n.Name, n.Role, n.Area, hash); err != nil {
			return db.NotFoundOr(err, "auth: add user")
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: "user.add", Entity: "user",
			EntityID: fmt.Sprint(id), Detail: map[string]any{"username": n.Username, "role": n.Role, "area": n.Area}})
	})
	if err != nil {
		return nil, err
	}
	return s.UserByID(ctx, id)
}

// ChangePassword sets a new password and ends every session of the user.
func (s *Store) ChangePassword(ctx context.Context, actor string, userID int64, password string) error {
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
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1,
			version = version + 1, updated_at = now() WHERE id = $1`, userID, hash)
		if err != nil {
			return fmt.Errorf("auth: change password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "error.not_found")
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: "user.password", Entity: "user", EntityID: fmt.Sprint(userID)})
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

// CreateToken makes an API token for a user and returns it; only its HMAC is stored.
func (s *Store) CreateToken(ctx context.Context, actor string, userID int64, label string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := "patuh_" + base64.RawURLEncoding.EncodeToString(raw)
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO api_tokens (user_id, token_hash, label) VALUES ($1, $2, $3) RETURNING id`,
			userID, s.tokenHash(token), label); err != nil {
			return fmt.Errorf("auth: create token: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: "token.create", Entity: "api_token",
			EntityID: fmt.Sprint(id), Detail: map[string]any{"user_id": userID, "label": label}})
	})
	return token, err
}

func (s *Store) tokenHash(token string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(token))
	return m.Sum(nil)
}

// UserByToken returns the active user behind a token that has not been revoked.
func (s *Store) UserByToken(ctx context.Context, token string) (*User, error) {
	hash := s.tokenHash(token)
	var t struct {
		User
		Stale bool `db:"token_stale"`
	}
	err := s.db.GetContext(ctx, &t, `SELECT `+userColumns+`,
		t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS token_stale
		FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN regions r ON r.kode = u.area_kode
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active`, hash)
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
