package audit

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// RecomputeChain plays a tamperer who can rewrite audit_log: after editing rows, it recomputes
// every row's prev_hash and hash so that the chain alone looks intact again. d must be able to
// UPDATE the table with its trigger disabled (the owner).
func RecomputeChain(ctx context.Context, d *sqlx.DB) error {
	var rows []row
	if err := sqlx.SelectContext(ctx, d, &rows, `SELECT id, at, actor_id, actor, action, entity, entity_id,
		detail::text AS detail, prev_hash, hash FROM audit_log ORDER BY id`); err != nil {
		return err
	}
	prev := []byte{}
	for _, r := range rows {
		r.PrevHash = prev
		r.Hash = r.digest()
		if _, err := d.ExecContext(ctx, `UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3`, r.PrevHash, r.Hash, r.ID); err != nil {
			return err
		}
		prev = r.Hash
	}
	return nil
}
