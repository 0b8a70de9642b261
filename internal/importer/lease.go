package importer

import (
	"context"
	"crypto/rand"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Several instances of `patuh serve` (and the command line's `patuh import`) share one
// database and work on one queue of imports. Each step is claimed by one worker with a lease
// (FOR UPDATE SKIP LOCKED: two workers never take the same import) that the worker renews
// while it works. A lease that runs out belongs to a dead instance: another worker takes the
// import over and starts its step again (a validation from the stored file; a commit, which
// PostgreSQL rolled back with the dead connection, from its beginning). Whatever a step writes
// last checks that its worker still holds the lease.

// DefaultLeaseTTL is how long a lease lasts without renewal (Importer.LeaseTTL): a dead
// instance's import is taken over within it plus one worker tick (5 s), inside the 60 s the
// operators were promised.
const DefaultLeaseTTL = 30 * time.Second

// workerSeen is how recent an instance's heartbeat must be for it to count as alive when
// deciding that no instance can read an import's file.
const workerSeen = time.Minute

// errLeaseLost stops a step whose lease another worker has taken over: it must write nothing.
var errLeaseLost = errors.New("importer: the lease of this import was taken over by another worker")

// errFlagsPending gives back a commit claimed while another commit's flags were being queued.
var errFlagsPending = errors.New("importer: flags of an earlier commit are still being computed")

// newWorkerID names this worker in leases and logs: host, process and a random suffix (two
// workers of one process, as in tests, are still two).
func newWorkerID() string {
	host, _ := os.Hostname()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// claim takes the oldest import with work for this worker and a lease on it: a queued file to
// validate, a validation whose worker died (started again), or a commit asked for. Commits
// wait while flags are still being computed anywhere, as with a single worker: the flags of
// one commit are computed before the next commit changes the data. It answers nil when there
// is nothing to claim.
func (im *Importer) claim(ctx context.Context) (*Import, error) {
	var imp Import
	err := im.db.GetContext(ctx, &imp, `UPDATE imports SET lease_owner = $1, lease_until = now() + $2 * interval '1 second'
		WHERE id = (
			SELECT id FROM imports
			WHERE (status IN ('queued', 'validating')
			       OR (status = 'committing' AND NOT EXISTS (SELECT 1 FROM flag_queue)))
			  AND (lease_until IS NULL OR lease_until < now())
			  AND NOT $1 = ANY (file_missing_on)
			ORDER BY id LIMIT 1
			FOR UPDATE SKIP LOCKED)
		RETURNING *`, im.id, im.LeaseTTL.Seconds())
	if errors.Is(err, errNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("importer: claim: %w", err)
	}
	return &imp, nil
}

// holdLease renews the lease while the step runs; the context it returns ends when the lease
// is lost (another worker took the import over), so the step stops at its next database call.
func (im *Importer) holdLease(ctx context.Context, imp *Import) (context.Context, func()) {
	stepCtx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(im.LeaseTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			res, err := im.db.ExecContext(stepCtx, `UPDATE imports SET lease_until = now() + $3 * interval '1 second'
				WHERE id = $1 AND lease_owner = $2`, imp.ID, im.id, im.LeaseTTL.Seconds())
			if err != nil {
				// A database outage: the step meets it too. Its lease runs out meanwhile,
				// and a worker that finds it expired starts the step again.
				slog.Warn("import lease not renewed", "import_id", imp.ID, "worker", im.id, "err", err)
				continue
			}
			if n, _ := res.RowsAffected(); n == 0 {
				slog.Warn("import lease lost: another worker took the import over", "import_id", imp.ID, "worker", im.id)
				cancel(errLeaseLost)
				return
			}
		}
	}()
	return stepCtx, func() {
		close(done)
		cancel(nil)
		// Released even while the server stops: another instance takes the import at once.
		releaseCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		if _, err := im.db.ExecContext(releaseCtx, `UPDATE imports SET lease_owner = NULL, lease_until = NULL
			WHERE id = $1 AND lease_owner = $2`, imp.ID, im.id); err != nil {
			slog.Warn("import lease not released; it runs out by itself", "import_id", imp.ID, "err", err)
		}
	}
}

// ownedUpdate runs an UPDATE of the import's row that ends with `AND lease_owner = <im.id>`
// and answers errLeaseLost when it changed nothing: the last write of every step goes through
// it, so a worker whose import was taken over writes no status.
func ownedUpdate(ctx context.Context, ext sqlx.ExecerContext, query string, args ...any) error {
	res, err := ext.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLeaseLost
	}
	return nil
}

// stepFailed decides what a step's error means for the import. A lost lease or a connection
// cut (a database restart, a dying instance) leaves the import to be taken again; only an
// error of the import itself fails it.
func stepFailed(err error) bool {
	if err == nil || errors.Is(err, errLeaseLost) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code.Class() {
		case "08", "57", "53", "40": // connection, operator intervention, resources, rollback
			return false
		}
	}
	return true
}

// fileReadable checks that this instance sees the import's stored file. When it does not, it
// says so in the import and its log and leaves the file to the others; when no live instance
// sees it, the import fails with a message for the user.
func (im *Importer) fileReadable(ctx context.Context, imp *Import) (bool, error) {
	if _, err := os.Stat(im.path(imp)); err == nil {
		return true, nil
	}
	var noOne bool
	err := im.db.GetContext(ctx, &noOne, `WITH marked AS (
			UPDATE imports SET file_missing_on = array_append(file_missing_on, $2), lease_owner = NULL, lease_until = NULL
			WHERE id = $1 AND lease_owner = $2 RETURNING file_missing_on)
		SELECT NOT EXISTS (SELECT 1 FROM import_workers w, marked
			WHERE w.seen_at > now() - $3 * interval '1 second' AND NOT w.id = ANY (marked.file_missing_on))`,
		imp.ID, im.id, workerSeen.Seconds())
	if err != nil {
		return false, fmt.Errorf("importer: file check: %w", err)
	}
	slog.Warn("this instance cannot read the file of a queued import: left to the others (the data directory must be shared by every instance)",
		"import_id", imp.ID, "file", im.path(imp), "worker", im.id)
	if noOne {
		_, err = im.db.ExecContext(ctx, `UPDATE imports SET status = 'failed', failure = 'import.file.unreadable',
			version = version + 1 WHERE id = $1 AND status IN ('queued', 'validating')`, imp.ID)
	}
	return false, err
}

// heartbeat records that this worker is alive (fileReadable counts the live ones).
func (im *Importer) heartbeat(ctx context.Context) error {
	_, err := im.db.ExecContext(ctx, `INSERT INTO import_workers (id) VALUES ($1)
		ON CONFLICT (id) DO UPDATE SET seen_at = now()`, im.id)
	if err == nil {
		_, err = im.db.ExecContext(ctx, `DELETE FROM import_workers WHERE seen_at < now() - interval '1 day'`)
	}
	return err
}

// releaseDeadLocal ends at once the leases of this host's workers whose process is gone (a
// server restarted after a crash need not wait LeaseTTL for its own imports). A lease of
// another host, or of a live process, is left to run out.
func (im *Importer) releaseDeadLocal(ctx context.Context) error {
	host, _ := os.Hostname()
	var owners []string
	if err := im.db.SelectContext(ctx, &owners, `SELECT DISTINCT lease_owner FROM imports
		WHERE lease_owner LIKE $1 || '-%' AND lease_until > now()`, host); err != nil {
		return err
	}
	var dead []string
	for _, o := range owners {
		var pid int
		if _, err := fmt.Sscanf(strings.TrimPrefix(o, host+"-"), "%d-", &pid); err != nil || pid <= 0 || o == im.id {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			dead = append(dead, o)
		}
	}
	if len(dead) == 0 {
		return nil
	}
	slog.Info("taking over the imports of a stopped worker of this host", "workers", dead)
	_, err := im.db.ExecContext(ctx, `UPDATE imports SET lease_until = now() - interval '1 second'
		WHERE lease_owner = ANY ($1)`, pq.StringArray(dead))
	return err
}
