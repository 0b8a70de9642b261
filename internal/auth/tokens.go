package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/config"
	"patuh/internal/db"
)

// MaxTokenTTL bounds the lifetime an admin may give a token: a year, so that none is forever.
const MaxTokenTTL = 366 * 24 * time.Hour

// Token is an API token as the admin's list shows it; the token itself is never kept.
type Token struct {
	ID         int64      `db:"id" json:"id"`
	UserID     int64      `db:"user_id" json:"user_id"`
	Username   string     `db:"username" json:"username"`
	UserName   string     `db:"user_name" json:"user_name"`
	Label      string     `db:"label" json:"label"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
	ExpiresAt  time.Time  `db:"expires_at" json:"expires_at"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at"`
}

// Token states, for the list and `patuh token list`.
const (
	TokenActive  = "active"
	TokenExpired = "expired"
	TokenRevoked = "revoked"
)

func (t Token) State(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return TokenRevoked
	case !t.ExpiresAt.After(now):
		return TokenExpired
	}
	return TokenActive
}

// IssueToken makes an API token for an active user, living ttl (0 = TokenTTL), and returns it
// once; only its HMAC is stored. The admin's page and `patuh token create` both call it.
func (s *Store) IssueToken(ctx context.Context, actor string, userID int64, label string, ttl time.Duration) (string, *Token, error) {
	label = strings.TrimSpace(label)
	if ttl == 0 {
		ttl = s.TokenTTL
	}
	fields := map[string]string{}
	switch {
	case label == "":
		fields["label"] = "error.required"
	case utf8.RuneCountInString(label) > 100:
		fields["label"] = "token.label_too_long"
	}
	if ttl < time.Hour || ttl > MaxTokenTTL {
		fields["expires"] = "token.expiry_invalid"
	}
	u, err := s.UserByID(ctx, userID)
	if apperr.CodeOf(err) == apperr.NotFound {
		fields["user"] = "token.user_invalid"
	} else if err != nil {
		return "", nil, err
	} else if !u.Active {
		fields["user"] = "token.user_inactive"
	}
	if len(fields) > 0 {
		return "", nil, apperr.Fields(fields)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	token := "patuh_" + base64.RawURLEncoding.EncodeToString(raw)
	expires := s.now().Add(ttl)
	var id int64
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &id, `INSERT INTO api_tokens (user_id, token_hash, label, expires_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			userID, s.tokenHash(token), label, expires); err != nil {
			return fmt.Errorf("auth: create token: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: "token.create", Entity: "api_token",
			EntityID: fmt.Sprint(id), Detail: map[string]any{"user_id": userID, "username": u.Username, "label": label,
				"expires_at": expires.UTC().Format(time.RFC3339)}})
	})
	if err != nil {
		return "", nil, err
	}
	t, err := s.TokenByID(ctx, id)
	return token, t, err
}

const tokenSelect = `SELECT t.id, t.user_id, u.username, u.name AS user_name, t.label, t.created_at, t.last_used_at,
	t.expires_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id`

// Tokens lists the tokens of one user (userID 0: of everyone), the newest first.
func (s *Store) Tokens(ctx context.Context, userID int64) ([]Token, error) {
	out := []Token{}
	err := s.db.SelectContext(ctx, &out, tokenSelect+` WHERE $1 = 0 OR t.user_id = $1 ORDER BY u.username, t.id DESC`, userID)
	return out, db.NotFoundOr(err, "auth: tokens")
}

func (s *Store) TokenByID(ctx context.Context, id int64) (*Token, error) {
	var t Token
	if err := s.db.GetContext(ctx, &t, tokenSelect+` WHERE t.id = $1`, id); err != nil {
		return nil, db.NotFoundOr(err, "auth: token")
	}
	return &t, nil
}

// RevokeToken ends a token at once: UserByToken refuses it from the next request on. Revoking
// a revoked token changes nothing.
func (s *Store) RevokeToken(ctx context.Context, actor string, id int64) error {
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var userID int64
		var wasRevoked bool
		err := tx.QueryRowxContext(ctx, `SELECT user_id, revoked_at IS NOT NULL FROM api_tokens WHERE id = $1 FOR UPDATE`, id).
			Scan(&userID, &wasRevoked)
		if err != nil {
			return db.NotFoundOr(err, "auth: revoke token")
		}
		if wasRevoked {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, id); err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: "token.revoke", Entity: "api_token",
			EntityID: fmt.Sprint(id), Detail: map[string]any{"user_id": userID}})
	})
}

// revokeTokensOf ends every live token of a user (a password change, a disabling) and says how many.
func revokeTokensOf(ctx context.Context, tx *sqlx.Tx, userID int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID)
	if err != nil {
		return 0, fmt.Errorf("auth: revoke tokens: %w", err)
	}
	return res.RowsAffected()
}

// ParseTTL reads a token lifetime as "90d" (days) or a Go duration ("36h"), as PATUH_TOKEN_TTL is read.
func ParseTTL(v string) (time.Duration, error) {
	d, err := config.ParseLifetime(v)
	if err != nil {
		return 0, apperr.Fields(map[string]string{"expires": "token.expiry_invalid"})
	}
	return d, nil
}
