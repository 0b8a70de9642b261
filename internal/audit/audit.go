// Package audit keeps the append-only, hash-chained record of every change.
//
// Each row's hash is SHA-256 over the previous row's hash and the row's own fields, so editing
// or deleting any row (which the table's trigger already forbids) breaks every later hash;
// Verify names the first row that no longer matches. Someone able to rewrite the table can
// recompute every hash, though: seals (seal.go) make that, and a truncation, visible too. The
// server's role may only SELECT and INSERT the table (migrations/00017).
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Entry is one change: who did what to which record.
type Entry struct {
	ActorID  int64 // 0 for the command line and the system
	Actor    string
	Action   string
	Entity   string
	EntityID string
	Detail   map[string]any
}

// Record appends an entry inside the caller's transaction, so the change and its record
// commit or vanish together. Writers queue on a transaction-level lock to keep the chain linear.
func Record(ctx context.Context, tx sqlx.ExtContext, e Entry) error {
	detail, err := json.Marshal(orEmpty(e.Detail))
	if err != nil {
		return fmt.Errorf("audit: detail: %w", err)
	}
	// jsonb normalises the text; hash what PostgreSQL will hand back. Done before taking the
	// chain's lock, which every audited change in the application queues on.
	var normalised string
	if err := sqlx.GetContext(ctx, tx, &normalised, `SELECT $1::jsonb::text`, string(detail)); err != nil {
		return fmt.Errorf("audit: normalise: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(74208)`); err != nil {
		return fmt.Errorf("audit: lock: %w", err)
	}
	var prev []byte
	err = sqlx.GetContext(ctx, tx, &prev, `SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit: last hash: %w", err)
	}
	if prev == nil {
		prev = []byte{}
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	var actorID sql.NullInt64
	if e.ActorID != 0 {
		actorID = sql.NullInt64{Int64: e.ActorID, Valid: true}
	}
	row := row{At: at, ActorID: actorID, Actor: e.Actor, Action: e.Action, Entity: e.Entity,
		EntityID: e.EntityID, Detail: normalised, PrevHash: prev}
	row.Hash = row.digest()
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor, action, entity, entity_id, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)`,
		row.At, row.ActorID, row.Actor, row.Action, row.Entity, row.EntityID, row.Detail, row.PrevHash, row.Hash)
	if err != nil {
		return fmt.Errorf("audit: insert: %w", err)
	}
	return nil
}

type row struct {
	ID       int64         `db:"id"`
	At       time.Time     `db:"at"`
	ActorID  sql.NullInt64 `db:"actor_id"`
	Actor    string        `db:"actor"`
	Action   string        `db:"action"`
	Entity   string        `db:"entity"`
	EntityID string        `db:"entity_id"`
	Detail   string        `db:"detail"`
	PrevHash []byte        `db:"prev_hash"`
	Hash     []byte        `db:"hash"`
}

func (r row) digest() []byte {
	h := sha256.New()
	h.Write(r.PrevHash)
	// Length-prefixed fields, so that no two different rows serialise alike.
	for _, f := range []string{r.At.UTC().Format(time.RFC3339Nano), fmt.Sprint(r.ActorID.Int64), r.Actor,
		r.Action, r.Entity, r.EntityID, r.Detail} {
		h.Write(fmt.Appendf(nil, "%d:%s;", len(f), f)) // a hash.Hash never fails to write
	}
	return h.Sum(nil)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// BrokenRowError names the first row whose hash does not match.
type BrokenRowError struct {
	ID     int64
	Reason string
}

func (e *BrokenRowError) Error() string { return fmt.Sprintf("audit row %d: %s", e.ID, e.Reason) }

// walk reads the chain in order, checks each row against its hash and the one before it, and
// calls fn with each good row and its position (1-based); it returns how many rows were good.
func walk(ctx context.Context, d *sqlx.DB, fn func(r row, n int) error) (int, error) {
	rows, err := d.QueryxContext(ctx, `SELECT id, at, actor_id, actor, action, entity, entity_id,
		detail::text AS detail, prev_hash, hash FROM audit_log ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	prev := []byte{}
	n := 0
	for rows.Next() {
		var r row
		if err := rows.StructScan(&r); err != nil {
			return n, fmt.Errorf("audit: verify: %w", err)
		}
		if !bytes.Equal(r.PrevHash, prev) {
			return n, &BrokenRowError{r.ID, "previous hash does not match the row before it (a row was removed or changed)"}
		}
		if !bytes.Equal(r.digest(), r.Hash) {
			return n, &BrokenRowError{r.ID, "contents do not match its hash (the row was changed)"}
		}
		if err := fn(r, n+1); err != nil {
			return n, err
		}
		prev = r.Hash
		n++
	}
	return n, rows.Err()
}
