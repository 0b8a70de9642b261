package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"patuh/internal/web"
)

// SafeNext is the redirect rule for every `next` parameter (login, re-login after an expired
// session, language switch): a local path of this application, else "/". See web.LocalPath.
func SafeNext(p string) string { return web.LocalPath(p) }

// Throttling limits (ASVS V6.3.1): failures within the window, per account, per client
// address, and per account for second-factor codes.
const (
	throttleWindow     = 15 * time.Minute
	maxFailuresPerUser = 5
	maxFailuresPerAddr = 20
	maxFailuresPerTOTP = 5
)

// qReserve takes one attempt from each key's allowance in a single statement: the upsert
// locks each key's row, so parallel requests (on any instance) queue and each sees the count
// left by the one before. Every attempt is counted as a failure before it is checked; a
// success then clears the account's counter. A window older than throttleWindow restarts.
// The keys come sorted, so two statements lock shared rows in the same order.
const qReserve = `
INSERT INTO auth_throttle AS t (key, failures, window_start)
SELECT k, 1, now() FROM unnest($1::text[]) AS k ORDER BY k
ON CONFLICT (key) DO UPDATE SET
    failures     = CASE WHEN t.window_start < now() - $2 * interval '1 second' THEN 1 ELSE t.failures + 1 END,
    window_start = CASE WHEN t.window_start < now() - $2 * interval '1 second' THEN now() ELSE t.window_start END
RETURNING key, failures`

// throttleKey is one counter and its limit.
type throttleKey struct {
	key   string
	limit int
}

// reserve reports whether every key is still within its limit, having counted this attempt.
func reserve(ctx context.Context, q sqlx.QueryerContext, keys ...throttleKey) (bool, error) {
	names := make([]string, len(keys))
	limits := make(map[string]int, len(keys))
	for i, k := range keys {
		names[i] = k.key
		limits[k.key] = k.limit
	}
	rows, err := q.QueryxContext(ctx, qReserve, pq.Array(names), throttleWindow.Seconds())
	if err != nil {
		return false, fmt.Errorf("auth: throttle: %w", err)
	}
	defer rows.Close()
	allowed := true
	for rows.Next() {
		var key string
		var failures int
		if err := rows.Scan(&key, &failures); err != nil {
			return false, fmt.Errorf("auth: throttle: %w", err)
		}
		if failures > limits[key] {
			allowed = false
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("auth: throttle: %w", err)
	}
	return allowed, nil
}

// clearThrottle forgets an account's failures after it proved itself.
func clearThrottle(ctx context.Context, e sqlx.ExecerContext, key string) error {
	if _, err := e.ExecContext(ctx, `DELETE FROM auth_throttle WHERE key = $1`, key); err != nil {
		return fmt.Errorf("auth: clear throttle: %w", err)
	}
	return nil
}

// refundThrottle gives back the attempt a success took from a shared counter.
func refundThrottle(ctx context.Context, e sqlx.ExecerContext, key string) error {
	if _, err := e.ExecContext(ctx, `UPDATE auth_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1`, key); err != nil {
		return fmt.Errorf("auth: refund throttle: %w", err)
	}
	return nil
}

func userKey(username string) string { return "user:" + username }
func addrKey(addr string) string     { return "addr:" + addr }
func totpKey(userID int64) string    { return fmt.Sprintf("totp:%d", userID) }
