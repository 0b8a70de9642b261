// Package importer takes the agencies' four files (data-exchange.md) from upload to commit:
// it stores the file, validates it row by row in the background while streaming the valid rows
// into staging tables with COPY, and commits a whole import in one transaction, after which
// package flags recomputes the affected employers.
package importer

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"patuh/internal/apperr"
	"patuh/internal/audit"
	"patuh/internal/db"
	"patuh/internal/flags"
)

// Import is one uploaded file and where it stands.
type Import struct {
	ID                   int64      `db:"id" json:"id"`
	Kind                 string     `db:"kind" json:"kind"`
	Status               Status     `db:"status" json:"status"`
	SHA256               string     `db:"sha256" json:"sha256"`
	Filename             string     `db:"filename" json:"filename"`
	Format               string     `db:"format" json:"format"`
	SizeBytes            int64      `db:"size_bytes" json:"size_bytes"`
	RowsTotal            int        `db:"rows_total" json:"rows_total"`
	RowsValid            int        `db:"rows_valid" json:"rows_valid"`
	RowsInvalid          int        `db:"rows_invalid" json:"rows_invalid"`
	RowsProcessed        int        `db:"rows_processed" json:"rows_processed"`
	Warnings             int        `db:"warnings" json:"warnings"`
	AutoCommitMaxInvalid *float64   `db:"auto_commit_max_invalid" json:"auto_commit_max_invalid,omitempty"`
	Failure              string     `db:"failure" json:"-"`
	FailureDetail        string     `db:"failure_detail" json:"-"`
	CreatedBy            *int64     `db:"created_by" json:"-"`
	CreatedAt            time.Time  `db:"created_at" json:"created_at"`
	CommittedAt          *time.Time `db:"committed_at" json:"committed_at"`
	ValidatedAt          *time.Time `db:"validated_at" json:"-"`
	// SettledAt is when the flags the commit queued were computed and the work reading them done.
	SettledAt *time.Time `db:"settled_at" json:"-"`
	// FlagsQueued is how many employers the commit queued for their flags (freshness.go).
	FlagsQueued int `db:"flags_queued" json:"-"`
	Version     int `db:"version" json:"-"`
	// The worker leasing the import now, and until when (lease.go).
	LeaseOwner *string    `db:"lease_owner" json:"-"`
	LeaseUntil *time.Time `db:"lease_until" json:"-"`
	// How many validations and commits ran to their end: once each (the cluster test counts).
	Validations   int            `db:"validations" json:"-"`
	Commits       int            `db:"commits" json:"-"`
	FileMissingOn pq.StringArray `db:"file_missing_on" json:"-"`
	// ErrorsTotal counts every error found; only the first MaxStoredErrors are kept.
	ErrorsTotal int `db:"errors_total" json:"errors_total"`
	// FileRemovedAt is when the stored file was removed after the retention (housekeeping.go).
	FileRemovedAt *time.Time `db:"file_removed_at" json:"-"`
}

// Finished reports whether nothing more will happen to the import by itself.
func (i *Import) Finished() bool {
	switch i.Status {
	case StatusNeedsReview, StatusCommitted, StatusFailed, StatusDiscarded:
		return true
	}
	return false
}

// Percent is the share of the file read so far, for the progress bar.
func (i *Import) Percent() int {
	switch {
	case i.Status == StatusCommitted || i.Status == StatusNeedsReview || i.Status == StatusCommitting:
		return 100
	case i.RowsTotal > 0:
		return min(100, i.RowsProcessed*100/i.RowsTotal)
	}
	return 0
}

// RowError is a problem with one value of one row (or, with Warning, a note about it).
type RowError struct {
	Line    int    `db:"line" json:"line"`
	Column  string `db:"col" json:"column"`
	Value   string `db:"value" json:"value"`
	Message string `db:"message" json:"message"`
	Warning bool   `db:"warning" json:"-"`
}

//go:embed commit.sql
var commitSQL string

var q = db.MustQueries(commitSQL, "lock", "key-maps", "employers-by-nib", "employers-by-npwp", "bpjs-upsert",
	"bpjs-targets", "relink", "npp-only-employers", "analyze-register", "drop-orphans", "register-changed",
	"participants-snapshot")

// CommitHook runs after a commit once the flags it queued are computed, in one transaction
// (casework uses it to verify open cases against a new participants snapshot).
type CommitHook func(ctx context.Context, tx *sqlx.Tx, imp *Import) error

// Importer owns the imports, import_errors, import_employers and stage_* tables, the tables of
// validated workers and participants files until they become partitions, and the stored files.
type Importer struct {
	// id names this worker in the leases it takes (lease.go).
	id    string
	db    *sqlx.DB
	dir   string
	wake  chan struct{}
	hooks []CommitHook
	// Now is the day whose rates and UMP the flags use; tests fix it.
	Now func() time.Time
	// LeaseTTL is how long a claimed step's lease lasts without renewal (lease.go).
	LeaseTTL time.Duration
	// Busy, when set, says whether people are using the application right now. A large import
	// then gives way to them: validation sleeps twice as long as it works, and a commit that
	// starts while they are busy runs without parallel workers (one core, not both).
	Busy func() bool

	// flagBatch is how many employers one flags transaction recomputes: flagBatch, less in tests.
	flagBatch int
	// rest waits while the application is busy (tests look at it instead).
	rest func(ctx context.Context, d time.Duration)
	// endOfCommit, set by tests, runs after a commit's last statement: to look, or to fail it.
	endOfCommit CommitHook
	// jitter, set by tests, runs between a step's parts, to shuffle two workers' timing.
	jitter func()

	// FileRetention is how long a committed import's file is kept (housekeeping.go).
	FileRetention time.Duration
	lastSweep     time.Time
}

// maxRest bounds the rest after a flags batch while people use the application.
const maxRest = 10 * time.Second

// flagBatch is how many employers' flags one transaction recomputes after a commit: a few
// seconds of work, so no transaction holds back the cleanup of dead rows for long.
const flagBatch = 40000

// MaxUpload bounds one file; 4 million roster rows are about 300 MB.
const MaxUpload = 1 << 30

func New(d *sqlx.DB, dir string) (*Importer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("importer: file directory: %w", err)
	}
	return &Importer{id: newWorkerID(), LeaseTTL: DefaultLeaseTTL, db: d, dir: dir, wake: make(chan struct{}, 1), Now: time.Now, flagBatch: flagBatch, rest: sleep}, nil
}

// OnSettled adds a hook that runs once a commit's flags are computed, in one transaction.
func (im *Importer) OnSettled(h CommitHook) { im.hooks = append(im.hooks, h) }

func (im *Importer) path(imp *Import) string {
	return filepath.Join(im.dir, imp.SHA256+"."+imp.Format)
}

// Upload is a received file, stored under its SHA-256 but not yet an import.
type Upload struct {
	SHA256, Format, Filename string
	Size                     int64
}

// Receive streams a file to the file directory, hashing it on the way; the format is told
// by content. Nothing is in the database yet.
func (im *Importer) Receive(filename string, r io.Reader) (*Upload, error) {
	tmp, err := os.CreateTemp(im.dir, "upload-*")
	if err != nil {
		return nil, fmt.Errorf("importer: store upload: %w", err)
	}
	defer removeTemp(tmp.Name())
	h := sha256.New()
	head := &headCapture{}
	n, err := io.Copy(io.MultiWriter(tmp, h, head), io.LimitReader(r, MaxUpload+1))
	if closeErr := tmp.Close(); err == nil && closeErr != nil {
		return nil, fmt.Errorf("importer: store upload: %w", closeErr)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, apperr.New(apperr.TooLarge, "import.file.too_large")
		}
		return nil, &apperr.Error{Code: apperr.Malformed, Message: "import.file.upload_failed", Err: err}
	}
	if n > MaxUpload {
		return nil, apperr.New(apperr.TooLarge, "import.file.too_large")
	}
	if n == 0 {
		return nil, apperr.Fields(map[string]string{"file": "import.file.empty"})
	}
	format, msg := sniffFormat(head.b)
	if msg != "" {
		return nil, &apperr.Error{Code: apperr.UnsupportedMedia, Message: msg}
	}
	up := &Upload{SHA256: hex.EncodeToString(h.Sum(nil)), Format: format, Filename: filepath.Base(filename), Size: n}
	if err := os.Rename(tmp.Name(), filepath.Join(im.dir, up.SHA256+"."+up.Format)); err != nil {
		return nil, fmt.Errorf("importer: store upload: %w", err)
	}
	return up, nil
}

// removeTemp removes an upload's temporary file, which is already gone once it was kept under
// its hash. One that could not be removed is logged, for an operator to find.
func removeTemp(name string) {
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		slog.Warn("importer: temporary upload left behind", "file", name, "err", err)
	}
}

// Create stores an uploaded file and queues it; the same bytes for the same kind return the
// existing import with created=false.
func (im *Importer) Create(ctx context.Context, actorID int64, actor, kind, filename string, r io.Reader, autoCommitMaxInvalid *float64) (*Import, bool, error) {
	if _, ok := kinds[kind]; !ok {
		return nil, false, apperr.Fields(map[string]string{"kind": "import.kind_invalid"})
	}
	up, err := im.Receive(filename, r)
	if err != nil {
		return nil, false, err
	}
	return im.Register(ctx, actorID, actor, kind, up, autoCommitMaxInvalid)
}

// Register makes a received file an import of a kind and wakes the worker.
func (im *Importer) Register(ctx context.Context, actorID int64, actor, kind string, up *Upload, autoCommitMaxInvalid *float64) (*Import, bool, error) {
	fields := map[string]string{}
	if _, ok := kinds[kind]; !ok {
		fields["kind"] = "import.kind_invalid"
	}
	if a := autoCommitMaxInvalid; a != nil && (*a < 0 || *a > 1) {
		fields["auto_commit_max_invalid"] = "import.auto_commit_invalid"
	}
	if len(fields) > 0 {
		return nil, false, apperr.Fields(fields)
	}
	imp := &Import{}
	var createdBy *int64
	if actorID != 0 {
		createdBy = &actorID
	}
	created := true
	err := db.WithTx(ctx, im.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, imp, `INSERT INTO imports (kind, sha256, filename, format, size_bytes, auto_commit_max_invalid, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, sha256) WHERE status NOT IN ('failed', 'discarded') DO NOTHING RETURNING *`,
			kind, up.SHA256, up.Filename, up.Format, up.Size, autoCommitMaxInvalid, createdBy)
		if errors.Is(err, errNoRows) {
			created = false
			// Only a live import holds its bytes: after a failed or discarded one, the same file
			// starts a new import (migration 00016).
			return tx.GetContext(ctx, imp, `SELECT * FROM imports WHERE kind = $1 AND sha256 = $2
				AND status NOT IN ('failed', 'discarded')`, kind, up.SHA256)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: actorID, Actor: actor, Action: "import.upload", Entity: "import",
			EntityID: fmt.Sprint(imp.ID), Detail: map[string]any{"kind": kind, "filename": up.Filename, "sha256": up.SHA256, "bytes": up.Size}})
	})
	if err != nil {
		return nil, false, fmt.Errorf("importer: create: %w", err)
	}
	im.Wake()
	return imp, created, nil
}

// headCapture keeps the first bytes of the upload to tell its format.
type headCapture struct{ b []byte }

func (h *headCapture) Write(p []byte) (int, error) {
	if len(h.b) < sniffLen {
		h.b = append(h.b, p[:min(len(p), sniffLen-len(h.b))]...)
	}
	return len(p), nil
}

// sniffLen is as much of the head as http.DetectContentType reads.
const sniffLen = 512

// sniffFormat tells the format by content, never by name: XLSX is a zip; the old binary .xls
// (an OLE2 file) is refused with a hint; text is read as CSV (its encoding is checked line by
// line); anything else, a PDF above all, is refused at once with a 415 (docs/api.md) rather
// than queued to fail on "missing columns".
func sniffFormat(head []byte) (string, string) {
	switch {
	case len(head) >= 4 && string(head[:4]) == "PK\x03\x04":
		return "xlsx", ""
	case len(head) >= 8 && string(head[:8]) == "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1":
		return "", "import.file.xls"
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "", "import.file.pdf"
	}
	// DetectContentType calls text anything without control bytes (Latin-1 included, which
	// the reader then refuses with its line number); images, archives and other binaries
	// come out as something else.
	if !strings.HasPrefix(http.DetectContentType(head), "text/") {
		return "", "import.file.not_csv"
	}
	return "csv", ""
}

func (im *Importer) Get(ctx context.Context, id int64) (*Import, error) {
	var imp Import
	if err := im.db.GetContext(ctx, &imp, `SELECT * FROM imports WHERE id = $1`, id); err != nil {
		return nil, db.NotFoundOr(err, "importer: get")
	}
	return &imp, nil
}

func (im *Importer) List(ctx context.Context, limit int) ([]Import, error) {
	var out []Import
	err := im.db.SelectContext(ctx, &out, `SELECT * FROM imports ORDER BY id DESC LIMIT $1`, limit)
	return out, db.NotFoundOr(err, "importer: list")
}

// Errors returns the first errors and warnings of an import, errors first.
func (im *Importer) Errors(ctx context.Context, id int64, limit int) ([]RowError, error) {
	out := []RowError{}
	err := im.db.SelectContext(ctx, &out, `SELECT line, col, value, message, warning FROM import_errors
		WHERE import_id = $1 ORDER BY warning, line LIMIT $2`, id, limit)
	return out, db.NotFoundOr(err, "importer: errors")
}

// NIKErrors counts the errors and warnings whose value is of the nik column (an audited
// unmasked errors.csv records how many NIKs it showed).
func (im *Importer) NIKErrors(ctx context.Context, id int64) (int, error) {
	var n int
	if err := im.db.GetContext(ctx, &n, `SELECT count(*) FROM import_errors WHERE import_id = $1 AND col = 'nik'`, id); err != nil {
		return 0, fmt.Errorf("importer: nik errors: %w", err)
	}
	return n, nil
}

// EachError streams every error and warning in line order (for errors.csv).
func (im *Importer) EachError(ctx context.Context, id int64, fn func(RowError) error) error {
	rows, err := im.db.QueryxContext(ctx, `SELECT line, col, value, message, warning FROM import_errors
		WHERE import_id = $1 ORDER BY line, warning`, id)
	if err != nil {
		return fmt.Errorf("importer: errors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e RowError
		if err := rows.StructScan(&e); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Commit asks for an import waiting for review to be committed by the worker.
func (im *Importer) Commit(ctx context.Context, id, actorID int64, actor string) (*Import, error) {
	return im.decide(ctx, id, actorID, actor, StatusCommitting, "import.commit")
}

// Discard drops an import waiting for review; nothing of it is applied.
func (im *Importer) Discard(ctx context.Context, id, actorID int64, actor string) (*Import, error) {
	imp, err := im.decide(ctx, id, actorID, actor, StatusDiscarded, "import.discard")
	if err == nil {
		err = clearValidation(ctx, im.db, id)
	}
	return imp, err
}

func (im *Importer) decide(ctx context.Context, id, actorID int64, actor string, status Status, action string) (*Import, error) {
	var imp Import
	err := db.WithTx(ctx, im.db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &imp, `UPDATE imports SET status = $2, version = version + 1
			WHERE id = $1 AND status = 'needs_review' RETURNING *`, id, status)
		if errors.Is(err, errNoRows) {
			if _, gerr := im.Get(ctx, id); gerr != nil {
				return gerr
			}
			return apperr.New(apperr.Conflict, "import.not_reviewable")
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: actorID, Actor: actor, Action: action, Entity: "import", EntityID: fmt.Sprint(id)})
	})
	if err != nil {
		return nil, err
	}
	im.Wake()
	return &imp, nil
}

// Wake tells the worker there is work.
func (im *Importer) Wake() {
	select {
	case im.wake <- struct{}{}:
	default:
	}
}

func clearValidation(ctx context.Context, tx sqlx.ExecerContext, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM import_errors WHERE import_id = $1`, id); err != nil {
		return err
	}
	return clearRows(ctx, tx, id)
}

// clearRows drops an import's valid rows waiting for a commit.
func clearRows(ctx context.Context, tx sqlx.ExecerContext, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM import_employers WHERE import_id = $1`, id); err != nil {
		return err
	}
	// A plain DELETE: validate may still hold its staging transaction open when it fails, and
	// a TRUNCATE would wait for it forever. (The table of a partitioned kind is created in that
	// transaction, so it is either gone with it or not in use.)
	for _, k := range kinds {
		if k.partitioned {
			if err := dropUnattached(ctx, tx, k.table(id)); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `DELETE FROM `+k.stage+` WHERE import_id = $1`, id); err != nil {
			return err
		}
	}
	return nil
}

// dropUnattached drops an import's table unless it is already a partition of committed data.
func dropUnattached(ctx context.Context, tx sqlx.ExecerContext, table string) error {
	_, err := tx.ExecContext(ctx, fmt.Sprintf(`DO $$ BEGIN
		IF to_regclass('%[1]s') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass('%[1]s')) THEN
			DROP TABLE %[1]s;
		END IF; END $$`, table))
	return err
}

// Run is the background worker: it validates queued imports and commits the ones asked for,
// one at a time (the machine has two cores; PostgreSQL needs the other). Other instances run
// theirs on the same queue; leases keep them apart (lease.go).
func (im *Importer) Run(ctx context.Context) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	// The heartbeat beats on its own: a worker busy with a long run of steps is alive.
	go func() {
		for {
			if err := im.heartbeat(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("import worker heartbeat failed", "worker", im.id, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
		}
	}()
	for {
		for {
			did, err := im.Step(ctx)
			if err != nil {
				slog.Error("import step failed", "err", err)
				break
			}
			if !did {
				break
			}
		}
		im.housekeep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-im.wake:
		case <-tick.C:
		}
	}
}

// RunWorkers runs n workers on the queue until ctx ends: this one and n-1 copies, each under a
// name of its own in the leases it takes.
func (im *Importer) RunWorkers(ctx context.Context, n int) {
	// Once per instance, before its workers claim anything.
	if err := im.releaseDeadLocal(ctx); err != nil {
		slog.Warn("the leases of stopped workers were not checked; they run out by themselves", "err", err)
	}
	var wg sync.WaitGroup
	for i := range n {
		w := im
		if i > 0 {
			c := *im
			c.id = newWorkerID()
			w = &c
		}
		wg.Add(1)
		go func() { defer wg.Done(); w.Run(ctx) }()
	}
	wg.Wait()
}

// Drain does all pending work this worker can claim now (tests use it instead of Run).
func (im *Importer) Drain(ctx context.Context) error {
	if err := im.heartbeat(ctx); err != nil {
		return err
	}
	for {
		did, err := im.Step(ctx)
		if err != nil || !did {
			return err
		}
	}
}

// WorkUntilDone works on the queue until the import has finished and, when committed, its
// flags are settled, whoever does the work: a running server may hold the import's lease, and
// the command line then waits for it instead of racing it.
func (im *Importer) WorkUntilDone(ctx context.Context, id int64) (*Import, error) {
	for {
		if err := im.Drain(ctx); err != nil {
			return nil, err
		}
		imp, err := im.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if imp.Finished() && (imp.Status != StatusCommitted || imp.SettledAt != nil) {
			return imp, nil
		}
		sleep(ctx, 500*time.Millisecond)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// Step does the oldest pending piece of work and reports whether there was any.
func (im *Importer) Step(ctx context.Context) (did bool, err error) {
	// The flags of a commit come before the next import, then what reads them. While people
	// use the application, each batch is followed by a rest twice its length. (Smaller batches
	// would not do: a batch's joins cost nearly the same whatever its size.)
	busy, began := im.busy(), time.Now()
	n, err := flags.RecomputeQueued(ctx, im.db, im.Now(), im.flagBatch)
	if err != nil || n > 0 {
		if busy && err == nil {
			// At most maxRest: a batch that waited long on a lock (a commit of another
			// instance dropping partitions) did no work to rest from.
			im.rest(ctx, min(2*time.Since(began), maxRest))
		}
		return n > 0, err
	}
	if settled, err := im.settleNext(ctx); err != nil || settled {
		return settled, err
	}
	imp, err := im.claim(ctx)
	if err != nil || imp == nil {
		return false, err
	}
	stepCtx, release := im.holdLease(ctx, imp)
	defer release()
	im.pause()
	// A bug met by one file must not stop the worker for every other import.
	defer func() {
		if r := recover(); r != nil {
			slog.Error("import panicked", "import_id", imp.ID, "panic", r)
			err = im.fail(ctx, imp, "import.file.internal", "")
		}
	}()
	if imp.Status == StatusCommitting {
		err = im.commit(stepCtx, imp)
	} else if ok, ferr := im.fileReadable(stepCtx, imp); ferr != nil || !ok {
		return true, ferr
	} else {
		err = im.validate(stepCtx, imp)
	}
	if cause := context.Cause(stepCtx); errors.Is(cause, errLeaseLost) {
		err = cause
	}
	if errors.Is(err, errFlagsPending) {
		return true, nil // claimed again once the flags are computed
	}
	if err != nil && stepFailed(err) {
		slog.Error("import step failed", "import_id", imp.ID, "status", imp.Status, "err", err)
		return true, im.fail(ctx, imp, failureMessage(imp), "")
	}
	return true, err
}

// failureMessage tells the user which step could not be done.
func failureMessage(imp *Import) string {
	if imp.Status == StatusCommitting {
		return "import.file.commit_failed"
	}
	return "import.file.internal"
}

// fail marks an import failed with a message for the user; staged rows are dropped. Only the
// worker holding the lease may: the status is written first, so a worker that lost the import
// changes nothing of it.
func (im *Importer) fail(ctx context.Context, imp *Import, message, detail string) error {
	return db.WithTx(ctx, im.db, func(tx *sqlx.Tx) error {
		if err := ownedUpdate(ctx, tx, `UPDATE imports SET status = 'failed', failure = $2, failure_detail = $3,
			version = version + 1 WHERE id = $1 AND lease_owner = $4`, imp.ID, message, detail, im.id); err != nil {
			return err
		}
		return clearValidation(ctx, tx, imp.ID)
	})
}

func (im *Importer) commit(ctx context.Context, imp *Import) error {
	kind := kinds[imp.Kind]
	start := time.Now()
	requeued := false
	var emptied []string // partitions of rosters all replaced
	err := db.WithTx(ctx, im.db, func(tx *sqlx.Tx) error {
		steps := map[string][]string{
			"employers":      {"employers-by-nib", "employers-by-npwp", "analyze-register", "key-maps", "relink", "npp-only-employers", "key-maps", "relink", "drop-orphans"},
			"bpjs_employers": {"bpjs-upsert", "analyze-register", "key-maps", "relink", "npp-only-employers", "key-maps", "relink", "bpjs-targets", "drop-orphans"},
			"workers":        {"replace-rosters"},
			"participants":   {"attach", "participants-snapshot"},
		}[kind.Name]
		if err := execAll(ctx, tx, q["lock"], imp.ID); err != nil {
			return err
		}
		// Claimed while another commit was running, whose flags are now being computed: this
		// one waits for them (claim), as the flags of one commit come before the next.
		var flagsPending bool
		if err := tx.GetContext(ctx, &flagsPending, `SELECT EXISTS (SELECT 1 FROM flag_queue)`); err != nil || flagsPending {
			if err == nil {
				err = errFlagsPending
			}
			return err
		}
		if kind.Name == "workers" {
			// Its rows name employers by id, as the register stood when it was validated.
			var stale bool
			if err := tx.GetContext(ctx, &stale, q["register-changed"], imp.ID); err != nil {
				return err
			}
			if stale {
				requeued = true
				return nil
			}
		}
		// Sorts and hashes over millions of rows stay in memory.
		if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
			return err
		}
		// The pool runs without parallel workers (see db.Open); alone, a commit may use both cores.
		if !im.busy() {
			if _, err := tx.ExecContext(ctx, `SET LOCAL max_parallel_workers_per_gather = 2`); err != nil {
				return err
			}
		}
		if err := flags.PrepareTargets(ctx, tx); err != nil {
			return err
		}
		for _, name := range steps {
			stepStart := time.Now()
			var err error
			switch name {
			case "attach":
				err = attach(ctx, tx, kind, imp.ID)
			case "replace-rosters":
				emptied, err = replaceRosters(ctx, tx, imp.ID)
			default:
				err = execAll(ctx, tx, q[name], imp.ID)
			}
			if err != nil {
				return fmt.Errorf("importer: %s: %w", name, err)
			}
			slog.DebugContext(ctx, "commit step", "step", name, "seconds", time.Since(stepStart).Seconds())
		}
		// The flags of the employers touched are recomputed after the commit, in batches (Step).
		if err := flags.Enqueue(ctx, tx); err != nil {
			return err
		}
		if !kind.partitioned {
			if err := clearStage(ctx, tx, kind, imp.ID); err != nil {
				return err
			}
		}
		// The import's row is written once, last: until then a heartbeat can renew the lease.
		// flags_queued is how many employers wait for their flags now (freshness.go).
		im.pause()
		if err := ownedUpdate(ctx, tx, `UPDATE imports SET status = 'committed', committed_at = now(), commits = commits + 1,
			flags_queued = (SELECT count(*) FROM flag_queue), version = version + 1
			WHERE id = $1 AND lease_owner = $2`, imp.ID, im.id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Actor: "importer", Action: "import.committed", Entity: "import",
			EntityID: fmt.Sprint(imp.ID), Detail: map[string]any{"kind": imp.Kind, "rows_valid": imp.RowsValid}}); err != nil {
			return err
		}
		if im.endOfCommit != nil {
			if err := im.endOfCommit(ctx, tx, imp); err != nil {
				return err
			}
		}
		// Dropping partitions locks their parent until the end: done last. The parent is
		// locked first: a reader holding it and waiting for one of these partitions would
		// otherwise deadlock with us.
		if len(emptied) > 0 {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE workers IN ACCESS EXCLUSIVE MODE`); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DROP TABLE `+strings.Join(emptied, ", "))
			return err
		}
		return nil
	})
	if err != nil {
		// Rolled back: nothing of it was applied. Step decides whether it is tried again.
		return fmt.Errorf("importer: commit of import %d: %w", imp.ID, err)
	}
	if requeued {
		slog.Info("the register changed since this roster was checked: checking it again", "import_id", imp.ID)
		return db.WithTx(ctx, im.db, func(tx *sqlx.Tx) error {
			if err := ownedUpdate(ctx, tx, `UPDATE imports SET status = 'queued', rows_processed = 0, version = version + 1
				WHERE id = $1 AND lease_owner = $2`, imp.ID, im.id); err != nil {
				return err
			}
			return clearValidation(ctx, tx, imp.ID)
		})
	}
	slog.Info("import committed", "import_id", imp.ID, "kind", imp.Kind, "rows", imp.RowsValid, "seconds", time.Since(start).Seconds())
	return nil
}

// attach makes an import's own table a partition of its kind's table. Its primary key and
// CHECK on import_id were made at validation, so nothing is scanned or built here.
func attach(ctx context.Context, tx *sqlx.Tx, kind *Kind, importID int64) error {
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s ATTACH PARTITION %s FOR VALUES IN (%d)`,
		kind.stage, kind.table(importID), importID)); err != nil {
		return err
	}
	// The planner needs the whole table's statistics as they now are: joins on import_id
	// (participants to latest_snapshots) were planned for the snapshot in force before, and
	// estimated at one row (a flags batch ran for minutes).
	_, err := tx.ExecContext(ctx, `ANALYZE `+kind.stage)
	return err
}

// replaceRosters makes a workers file the roster of every employer it names: their rows leave
// the older partitions, and a partition left with none of its employers is dropped whole
// rather than emptied row by row, so a file of all of Jakarta replaces 4 million rows at once.
// The emptied partitions are returned for the commit to drop.
func replaceRosters(ctx context.Context, tx *sqlx.Tx, importID int64) (emptied []string, err error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO flag_targets SELECT employer_id FROM import_employers WHERE import_id = $1
		ON CONFLICT DO NOTHING`, importID); err != nil {
		return nil, err
	}
	var older []string
	if err := tx.SelectContext(ctx, &older, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'workers'::regclass ORDER BY c.relname`); err != nil {
		return nil, err
	}
	for _, p := range older {
		var keeps bool
		if err := tx.GetContext(ctx, &keeps, `SELECT EXISTS (SELECT 1 FROM `+p+` w WHERE NOT EXISTS (
			SELECT 1 FROM import_employers n WHERE n.import_id = $1 AND n.employer_id = w.employer_id))`, importID); err != nil {
			return nil, err
		}
		if !keeps {
			emptied = append(emptied, p)
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+p+` WHERE employer_id IN (
			SELECT employer_id FROM import_employers WHERE import_id = $1)`, importID); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM import_employers WHERE import_id = $1`, importID); err != nil {
		return nil, err
	}
	return emptied, attach(ctx, tx, kinds["workers"], importID)
}

// settleNext finishes the oldest committed import once the flags it queued are computed: the
// rates check (new rates or UMP recompute everyone), the flag counts, and the hooks that read
// the flags. The import's row stays locked until the end, so one worker settles it; flags
// still being computed by another worker (its rows of flag_queue deleted but not yet
// committed) keep the queue non-empty, and the settling waits for them.
func (im *Importer) settleNext(ctx context.Context) (settled bool, err error) {
	err = db.WithTx(ctx, im.db, func(tx *sqlx.Tx) error {
		var imp Import
		err := tx.GetContext(ctx, &imp, `SELECT * FROM imports WHERE status = 'committed' AND settled_at IS NULL
			ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`)
		if errors.Is(err, errNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var computing bool
		if err := tx.GetContext(ctx, &computing, `SELECT EXISTS (SELECT 1 FROM flag_queue)`); err != nil || computing {
			return err
		}
		settled = true
		return im.settle(ctx, tx, &imp)
	})
	return settled, err
}

func (im *Importer) settle(ctx context.Context, tx *sqlx.Tx, imp *Import) error {
	// The resident count is a distinct count over a whole snapshot: in memory, not on disk.
	if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
		return err
	}
	if err := flags.PrepareTargets(ctx, tx); err != nil {
		return err
	}
	if err := flags.Recompute(ctx, tx, im.Now()); err != nil {
		return err
	}
	if err := flags.RefreshCounts(ctx, tx); err != nil {
		return err
	}
	for _, h := range im.hooks {
		if err := h(ctx, tx, imp); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE imports SET settled_at = now() WHERE id = $1`, imp.ID)
	return err
}

func (im *Importer) busy() bool { return im.Busy != nil && im.Busy() }

func (im *Importer) pause() {
	if im.jitter != nil {
		im.jitter()
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// clearStage drops an import's staged rows. Millions of deleted rows would slow the next
// import's checks until autovacuum came by, so a staging table left empty is truncated.
func clearStage(ctx context.Context, ext sqlx.ExtContext, kind *Kind, importID int64) error {
	if _, err := ext.ExecContext(ctx, `DELETE FROM `+kind.stage+` WHERE import_id = $1`, importID); err != nil {
		return err
	}
	// TRUNCATE removes every row, committed or not when it looked: the table is locked first
	// (so a validation staging into it now, on another worker, has either committed and is
	// seen, or waits), and if that lock is not free at once the DELETE above has to do.
	if _, err := ext.ExecContext(ctx, `SAVEPOINT clear_stage`); err != nil {
		return err
	}
	if _, err := ext.ExecContext(ctx, `LOCK TABLE `+kind.stage+` IN ACCESS EXCLUSIVE MODE NOWAIT`); err != nil {
		_, rerr := ext.ExecContext(ctx, `ROLLBACK TO SAVEPOINT clear_stage`)
		return rerr
	}
	var others bool
	if err := sqlx.GetContext(ctx, ext, &others, `SELECT EXISTS (SELECT 1 FROM `+kind.stage+`)`); err != nil {
		return err
	}
	if others {
		return nil
	}
	_, err := ext.ExecContext(ctx, `TRUNCATE `+kind.stage)
	return err
}

// execAll runs the statements of a named query one by one (lib/pq prepares each with its
// parameters, and a prepared statement holds one command); $1 is passed where it appears.
func execAll(ctx context.Context, tx *sqlx.Tx, sql string, importID int64) error {
	for _, stmt := range db.Statements(sql) {
		var args []any
		if strings.Contains(stmt, "$1") {
			args = []any{importID}
		}
		if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
			return err
		}
	}
	return nil
}
