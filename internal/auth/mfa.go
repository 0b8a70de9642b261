package auth

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/db"
)

// The second factor (ASVS V6.5/V6.6): TOTP of RFC 6238, 6 digits every 30 seconds, with one
// step of clock skew either side. A code is accepted once: the last accepted step is kept and
// only a later step passes, so a code seen over a shoulder is worthless within its window.
const (
	totpPeriod        = 30
	totpSkew          = 1
	recoveryCodeCount = 10
	mfaIssuer         = "Patuh"
)

var (
	// ErrBadCode is the one message for a wrong, reused or expired code.
	ErrBadCode = apperr.New(apperr.Unauthorized, "mfa.bad_code")
	// ErrCodeThrottled stops guessing codes as ErrThrottled stops guessing passwords.
	ErrCodeThrottled = apperr.New(apperr.TooManyRequests, "mfa.throttled")
)

// MFAState is what the login's second step needs to know about a user.
type MFAState struct {
	Enrolled bool // a confirmed second factor
	Pending  bool // a secret generated, waiting for the first code
}

// MFARequired says who must have a second factor: admins and supervisors always, inspectors
// when the setting PATUH_MFA_INSPECTORS=required is on, or when they enrolled of their own will.
func (s *Store) MFARequired(ctx context.Context, u *User) (bool, error) {
	if u.Role == Admin || u.Role == Supervisor || s.InspectorsNeedMFA {
		return true, nil
	}
	st, err := s.MFAState(ctx, u.ID)
	return st.Enrolled, err
}

func (s *Store) MFAState(ctx context.Context, userID int64) (MFAState, error) {
	var st MFAState
	err := s.db.QueryRowxContext(ctx, `SELECT mfa_enabled_at IS NOT NULL, mfa_secret_enc IS NOT NULL AND mfa_enabled_at IS NULL
		FROM users WHERE id = $1`, userID).Scan(&st.Enrolled, &st.Pending)
	if err != nil {
		return st, db.NotFoundOr(err, "auth: mfa state")
	}
	return st, nil
}

// EnrolmentKey returns the user's pending TOTP key, generating one if there is none. A user
// already enrolled gets Conflict: only an admin's MFAReset starts again.
func (s *Store) EnrolmentKey(ctx context.Context, u *User) (*otp.Key, error) {
	var enc []byte
	var enrolled bool
	if err := s.db.QueryRowxContext(ctx, `SELECT mfa_secret_enc, mfa_enabled_at IS NOT NULL FROM users WHERE id = $1`,
		u.ID).Scan(&enc, &enrolled); err != nil {
		return nil, db.NotFoundOr(err, "auth: enrolment key")
	}
	if enrolled {
		return nil, apperr.New(apperr.Conflict, "mfa.already_enrolled")
	}
	if enc != nil {
		secret, err := s.open(enc)
		if err != nil {
			return nil, err
		}
		return s.keyFor(u, secret)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: mfaIssuer, AccountName: u.Username, Period: totpPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("auth: generate totp: %w", err)
	}
	sealed, err := s.seal([]byte(key.Secret()))
	if err != nil {
		return nil, err
	}
	// Only where no secret is stored yet: two tabs opening the enrolment page agree on one key.
	res, err := s.db.ExecContext(ctx, `UPDATE users SET mfa_secret_enc = $2 WHERE id = $1 AND mfa_secret_enc IS NULL`, u.ID, sealed)
	if err != nil {
		return nil, fmt.Errorf("auth: store totp: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("auth: store totp: %w", err)
	} else if n == 0 {
		return s.EnrolmentKey(ctx, u)
	}
	return key, nil
}

func (s *Store) keyFor(u *User, secret []byte) (*otp.Key, error) {
	return otp.NewKeyFromURL(fmt.Sprintf("otpauth://totp/%s:%s?issuer=%s&secret=%s&period=%d&digits=6&algorithm=SHA1",
		mfaIssuer, u.Username, mfaIssuer, secret, totpPeriod))
}

// EnrolmentQR is the PNG of the otpauth URI, for the enrolment page to show.
func (s *Store) EnrolmentQR(ctx context.Context, u *User) ([]byte, error) {
	key, err := s.EnrolmentKey(ctx, u)
	if err != nil {
		return nil, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, fmt.Errorf("auth: qr: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("auth: qr: %w", err)
	}
	return b.Bytes(), nil
}

// ConfirmEnrolment checks the first code of the pending key, turns the second factor on and
// returns the recovery codes, shown once; only their HMACs are stored.
func (s *Store) ConfirmEnrolment(ctx context.Context, u *User, code string) ([]string, error) {
	var codes []string
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var enc []byte
		var lastStep int64
		err := tx.QueryRowxContext(ctx, `SELECT mfa_secret_enc, mfa_last_step FROM users
			WHERE id = $1 AND mfa_enabled_at IS NULL AND mfa_secret_enc IS NOT NULL FOR UPDATE`, u.ID).Scan(&enc, &lastStep)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.Conflict, "mfa.no_enrolment")
		} else if err != nil {
			return fmt.Errorf("auth: confirm enrolment: %w", err)
		}
		step, err := s.checkCode(ctx, enc, lastStep, code, u.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET mfa_enabled_at = now(), mfa_last_step = $2 WHERE id = $1`, u.ID, step); err != nil {
			return fmt.Errorf("auth: confirm enrolment: %w", err)
		}
		if codes, err = s.newRecoveryCodes(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := clearThrottle(ctx, tx, totpKey(u.ID)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: u.Username, Action: "user.mfa_enrol", Entity: "user", EntityID: fmt.Sprint(u.ID)})
	})
	return codes, err
}

// VerifySecondFactor accepts a current TOTP code of a later step than the last one accepted,
// or an unused recovery code (which is then spent). Attempts are throttled per user in the
// same way as passwords, before the code is checked.
func (s *Store) VerifySecondFactor(ctx context.Context, u *User, code string) error {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) > 6 {
		return s.useRecoveryCode(ctx, u, code)
	}
	var enc []byte
	var lastStep int64
	err := s.db.QueryRowxContext(ctx, `SELECT mfa_secret_enc, mfa_last_step FROM users WHERE id = $1 AND mfa_enabled_at IS NOT NULL`,
		u.ID).Scan(&enc, &lastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.Conflict, "mfa.no_enrolment")
	} else if err != nil {
		return fmt.Errorf("auth: second factor: %w", err)
	}
	step, err := s.checkCode(ctx, enc, lastStep, code, u.ID)
	if err != nil {
		return err
	}
	// The step moves forward only: of two requests racing with the same code, one wins.
	res, err := s.db.ExecContext(ctx, `UPDATE users SET mfa_last_step = $2 WHERE id = $1 AND mfa_last_step < $2`, u.ID, step)
	if err != nil {
		return fmt.Errorf("auth: second factor: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("auth: second factor: %w", err)
	} else if n == 0 {
		return ErrBadCode
	}
	return clearThrottle(ctx, s.db, totpKey(u.ID))
}

// checkCode takes one attempt from the user's allowance and returns the step the code
// belongs to, if it is one of the steps around now and later than lastStep.
func (s *Store) checkCode(ctx context.Context, enc []byte, lastStep int64, code string, userID int64) (int64, error) {
	allowed, err := reserve(ctx, s.db, throttleKey{totpKey(userID), maxFailuresPerTOTP})
	if err != nil {
		return 0, err
	}
	if !allowed {
		return 0, ErrCodeThrottled
	}
	secret, err := s.open(enc)
	if err != nil {
		return 0, err
	}
	now := s.now().Unix() / totpPeriod
	for step := now - totpSkew; step <= now+totpSkew; step++ {
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix(step*totpPeriod, 0),
			totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, fmt.Errorf("auth: totp: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			if step <= lastStep {
				return 0, ErrBadCode
			}
			return step, nil
		}
	}
	return 0, ErrBadCode
}

func (s *Store) useRecoveryCode(ctx context.Context, u *User, code string) error {
	allowed, err := reserve(ctx, s.db, throttleKey{totpKey(u.ID), maxFailuresPerTOTP})
	if err != nil {
		return err
	}
	if !allowed {
		return ErrCodeThrottled
	}
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mfa_recovery_codes SET used_at = now()
			WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, u.ID, s.recoveryHash(code))
		if err != nil {
			return fmt.Errorf("auth: recovery code: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("auth: recovery code: %w", err)
		} else if n == 0 {
			return ErrBadCode
		}
		if err := clearThrottle(ctx, tx, totpKey(u.ID)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: u.Username, Action: "user.mfa_recovery_code", Entity: "user", EntityID: fmt.Sprint(u.ID)})
	})
}

func (s *Store) newRecoveryCodes(ctx context.Context, tx *sqlx.Tx, userID int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return nil, fmt.Errorf("auth: recovery codes: %w", err)
	}
	codes := make([]string, recoveryCodeCount)
	for i := range codes {
		// rand.Text is 26 base32 characters (130 bits); ten of them are plenty, in two groups.
		t := strings.ToLower(rand.Text()[:10])
		codes[i] = t[:5] + "-" + t[5:]
		if _, err := tx.ExecContext(ctx, `INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)`,
			userID, s.recoveryHash(codes[i])); err != nil {
			return nil, fmt.Errorf("auth: recovery codes: %w", err)
		}
	}
	return codes, nil
}

func (s *Store) recoveryHash(code string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("recovery:" + strings.ToLower(strings.ReplaceAll(code, "-", ""))))
	return m.Sum(nil)
}

// MFAReset removes a user's second factor and recovery codes and ends their sessions; they
// enrol again at their next login. The admin's user page and `patuh user mfa-reset` call it.
func (s *Store) MFAReset(ctx context.Context, actor string, userID int64) error {
	return db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET mfa_secret_enc = NULL, mfa_enabled_at = NULL,
			session_epoch = session_epoch + 1, version = version + 1, updated_at = now() WHERE id = $1`, userID)
		if err != nil {
			return fmt.Errorf("auth: mfa reset: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("auth: mfa reset: %w", err)
		} else if n == 0 {
			return apperr.New(apperr.NotFound, "error.not_found")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("auth: mfa reset: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: actor, Action: "user.mfa_reset", Entity: "user", EntityID: fmt.Sprint(userID)})
	})
}

// seal encrypts a TOTP secret with AES-256-GCM under a key derived from PATUH_SECRET.
func (s *Store) seal(plain []byte) ([]byte, error) {
	aead, err := s.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("auth: nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plain, []byte("patuh-mfa")), nil
}

func (s *Store) open(sealed []byte) ([]byte, error) {
	aead, err := s.aead()
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("auth: stored totp secret is truncated")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte("patuh-mfa"))
	if err != nil {
		return nil, fmt.Errorf("auth: stored totp secret does not open under PATUH_SECRET: %w", err)
	}
	return plain, nil
}

func (s *Store) aead() (cipher.AEAD, error) {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("patuh mfa secret key"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("auth: cipher: %w", err)
	}
	return cipher.NewGCM(block)
}
