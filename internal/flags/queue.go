package flags

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// EnqueueAll queues every employer for the worker (RecomputeQueued), inside the caller's
// transaction: a change of the reference data the flags read (UMP, rates, the JP cap, the
// arrears threshold) applies to everyone, in batches, without one long transaction. It returns
// how many employers there are.
func EnqueueAll(ctx context.Context, tx *sqlx.Tx) (int, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO flag_queue SELECT id FROM employers ON CONFLICT DO NOTHING`); err != nil {
		return 0, fmt.Errorf("flags: enqueue all: %w", err)
	}
	var n int
	err := tx.GetContext(ctx, &n, `SELECT count(*) FROM employers`)
	return n, err
}

// Queued is how many employers wait in the queue now.
func Queued(ctx context.Context, q sqlx.QueryerContext) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM flag_queue`)
	return n, err
}
