package importer

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// FailCommitWith injects an error at the very end of every commit transaction.
func (im *Importer) FailCommitWith(err error) {
	im.endOfCommit = func(context.Context, *sqlx.Tx, *Import) error { return err }
}

// AtEndOfCommit runs h in every commit transaction after its last statement.
func (im *Importer) AtEndOfCommit(h CommitHook) { im.endOfCommit = h }

// SetFlagBatch sets how many employers one flags transaction recomputes.
func (im *Importer) SetFlagBatch(n int) { im.flagBatch = n }

// OnRest replaces the worker's rests while the application is busy.
func (im *Importer) OnRest(f func(ctx context.Context, d time.Duration)) { im.rest = f }

// SetJitter makes the worker call f between the steps of its work (to shuffle two workers).
func (im *Importer) SetJitter(f func()) { im.jitter = f }

// ID is the worker's name in the leases it takes.
func (im *Importer) ID() string { return im.id }

// ReleaseDeadLocal runs what Run does first: the leases of this host's dead workers end.
func (im *Importer) ReleaseDeadLocal(ctx context.Context) error { return im.releaseDeadLocal(ctx) }
