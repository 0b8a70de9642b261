package importer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/db"
)

// DefaultFileRetention is how long the file of a committed import is kept (PATUH_FILE_RETENTION).
const DefaultFileRetention = 90 * 24 * time.Hour

// sweepEvery is how often the worker looks for files to remove.
const sweepEvery = time.Hour

// orphanAge is how old a stored file no import keeps must be before it is removed: a file is
// received before its import row exists (Receive, then Register).
const orphanAge = time.Hour

// Delete removes a failed or discarded import with its error rows, its staged rows and, when no
// other import keeps the same bytes, its stored file. Audited.
func (im *Importer) Delete(ctx context.Context, id, actorID int64, actor string) error {
	var imp Import
	err := db.WithTx(ctx, im.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &imp, `SELECT * FROM imports WHERE id = $1 FOR UPDATE`, id)
		if errors.Is(err, errNoRows) {
			return apperr.New(apperr.NotFound, "error.not_found")
		}
		if err != nil {
			return err
		}
		if imp.Status != StatusFailed && imp.Status != StatusDiscarded {
			return apperr.New(apperr.Conflict, "import.delete_not_allowed")
		}
		if err := clearValidation(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM imports WHERE id = $1`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: actorID, Actor: actor, Action: "import.delete", Entity: "import",
			EntityID: fmt.Sprint(id), Detail: map[string]any{"kind": imp.Kind, "status": imp.Status, "filename": imp.Filename,
				"sha256": imp.SHA256, "errors": imp.ErrorsTotal}})
	})
	if err != nil {
		return err
	}
	// A file written after this import's upload belongs to a new upload of the same bytes that
	// may not be registered yet: the sweep removes it later if nothing keeps it.
	return im.removeUnkept(ctx, imp.SHA256, imp.Format, imp.CreatedAt.Add(time.Minute))
}

// removeUnkept removes this instance's copy of a stored file when no import keeps it (a row
// whose file was not removed) and it was last written before writtenBefore.
func (im *Importer) removeUnkept(ctx context.Context, sha, format string, writtenBefore time.Time) error {
	var kept bool
	if err := im.db.GetContext(ctx, &kept, `SELECT EXISTS (SELECT 1 FROM imports
		WHERE sha256 = $1 AND format = $2 AND file_removed_at IS NULL)`, sha, format); err != nil || kept {
		return err
	}
	path := filepath.Join(im.dir, sha+"."+format)
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil || st.ModTime().After(writtenBefore) {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("importer: remove file: %w", err)
	}
	return nil
}

// ExpireFiles marks the files of imports committed more than FileRetention ago as removed,
// one audit record each, then removes this instance's copies of files no import keeps.
// Several instances may run it at once: each import is marked by one of them.
func (im *Importer) ExpireFiles(ctx context.Context, now time.Time) (int, error) {
	retention := im.FileRetention
	if retention <= 0 {
		retention = DefaultFileRetention
	}
	var n int
	err := db.WithTx(ctx, im.db, func(tx *sqlx.Tx) error {
		var expired []Import
		if err := tx.SelectContext(ctx, &expired, `UPDATE imports SET file_removed_at = $1
			WHERE id IN (SELECT id FROM imports WHERE status = 'committed' AND file_removed_at IS NULL AND committed_at < $2
				ORDER BY id LIMIT 1000 FOR UPDATE SKIP LOCKED)
			RETURNING *`, now, now.Add(-retention)); err != nil {
			return err
		}
		for _, imp := range expired {
			if err := audit.Record(ctx, tx, audit.Entry{Actor: "retention", Action: "import.file_removed", Entity: "import",
				EntityID: fmt.Sprint(imp.ID), Detail: map[string]any{"filename": imp.Filename, "sha256": imp.SHA256,
					"committed_at": imp.CommittedAt, "retention_days": int(retention.Hours() / 24)}}); err != nil {
				return err
			}
		}
		n = len(expired)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("importer: expire files: %w", err)
	}
	return n, im.sweepFiles(ctx, now)
}

var storedName = regexp.MustCompile(`^([0-9a-f]{64})\.(csv|xlsx)$`)

// sweepFiles removes the stored files of this instance's data directory that no import keeps
// and that are older than orphanAge.
func (im *Importer) sweepFiles(ctx context.Context, now time.Time) error {
	entries, err := os.ReadDir(im.dir)
	if err != nil {
		return fmt.Errorf("importer: sweep: %w", err)
	}
	for _, e := range entries {
		m := storedName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		if err := im.removeUnkept(ctx, m[1], m[2], now.Add(-orphanAge)); err != nil {
			return err
		}
	}
	return nil
}

// housekeep runs ExpireFiles at most once per sweepEvery, from the worker's loop.
func (im *Importer) housekeep(ctx context.Context) {
	if now := time.Now(); now.Sub(im.lastSweep) >= sweepEvery {
		im.lastSweep = now
		if n, err := im.ExpireFiles(ctx, now); err != nil && ctx.Err() == nil {
			slog.Warn("removing expired import files failed; tried again later", "err", err)
		} else if n > 0 {
			slog.Info("removed the files of imports past their retention", "imports", n)
		}
	}
}
