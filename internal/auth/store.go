package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
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
}

func NewStore(d *sqlx.DB, secret string) *Store { return &Store{db: d, secret: []byte(secret)} }

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

// MinPasswordLength follows NIST SP 800-63B: length, not composition rules.
const MinPasswordLength = 12

func (n NewUser) validate(ctx context.Context, q sqlx.QueryerContext) error {
	fields := map[string]string{}
	if !Role(n.Role).Valid() {
		fields["role"] = "user.role_invalid"
	}
	if strings.TrimSpace(n.Name) == "" {
		fields["name"] = "error.required"
	}
	if len(n.Password) < MinPasswordLength {
		fields["password"] = "user.password_short"
	}
	if n.Area != "" {
		var level string
		err := sqlx.GetContext(ctx, q, &level, `SELECT level FROM regions WHERE kode = $1`, n.Area)
		if err != nil || level == "kelurahan" {
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
	if len(password) < MinPasswordLength {
		return apperr.Fields(map[string]string{"password": "user.password_short"})
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

func HashPassword(p string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(b), nil
}

// A hash of a random password, compared against when the username is unknown, so that a
// wrong username takes as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no user has this password"), bcrypt.DefaultCost)

// Throttling limits: failures within the window, per account and per client address.
const (
	throttleWindow     = 15 * time.Minute
	maxFailuresPerUser = 5
	maxFailuresPerAddr = 20
)

// ErrThrottled tells the user to wait; it does not say whether the account exists.
var ErrThrottled = apperr.New(apperr.TooManyRequests, "login.throttled")

// ErrBadCredentials is the one message for a wrong username and a wrong password alike.
var ErrBadCredentials = apperr.New(apperr.Unauthorized, "login.bad_credentials")

// Authenticate checks a password, applying the throttle first and recording the attempt.
func (s *Store) Authenticate(ctx context.Context, username, password, clientAddr string) (*User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	var userFailures, addrFailures int
	err := s.db.QueryRowxContext(ctx, `
		SELECT
		  (SELECT count(*) FROM login_attempts WHERE username = $1 AND NOT succeeded
		     AND at > greatest(now() - $3 * interval '1 second',
		         coalesce((SELECT max(at) FROM login_attempts WHERE username = $1 AND succeeded), '-infinity'))),
		  (SELECT count(*) FROM login_attempts WHERE client_addr = $2 AND NOT succeeded
		     AND at > now() - $3 * interval '1 second')`,
		username, clientAddr, throttleWindow.Seconds()).Scan(&userFailures, &addrFailures)
	if err != nil {
		return nil, fmt.Errorf("auth: count attempts: %w", err)
	}
	if userFailures >= maxFailuresPerUser || addrFailures >= maxFailuresPerAddr {
		return nil, ErrThrottled
	}
	u, err := s.UserByUsername(ctx, username)
	ok := false
	switch {
	case err == nil:
		ok = bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil && u.Active
	case apperr.CodeOf(err) == apperr.NotFound:
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
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
