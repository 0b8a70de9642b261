package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"patuh/internal/db"
	"patuh/internal/format"
)

var errNoRows = sql.ErrNoRows

// MaxStoredErrors is how many errors of one import are kept for the page and errors.csv.
const MaxStoredErrors = 10000

// progressEvery is how many rows pass between two progress updates.
const progressEvery = 20000

// yieldEvery is how many rows pass between two looks at Importer.Busy (about 50 ms of work).
const yieldEvery = 5000

// validate reads the stored file once, streaming: each valid row goes to the staging table by
// COPY and each bad value to import_errors by a second COPY, so memory stays flat whatever the
// file size. Both transactions commit together at the end; a server killed before that leaves
// nothing staged, and once its lease runs out another worker validates the file again.
func (im *Importer) validate(ctx context.Context, imp *Import) (err error) {
	start := time.Now()
	if imp.Status == StatusValidating {
		// Taken over from a worker that died: what it left is dropped, the file read anew.
		slog.Info("validating again an import whose worker stopped", "import_id", imp.ID, "worker", im.id)
		if err := clearValidation(ctx, im.db, imp.ID); err != nil {
			return err
		}
	}
	if err := ownedUpdate(ctx, im.db, `UPDATE imports SET status = 'validating', rows_processed = 0
		WHERE id = $1 AND lease_owner = $2`, imp.ID, im.id); err != nil {
		return err
	}
	kind := kinds[imp.Kind]
	rows, file, err := openRows(im.path(imp), imp.Format)
	if err != nil {
		return im.failFile(ctx, imp, err)
	}
	defer file.Close() // read only

	index, unknown, missing := mapHeader(kind, rows.Header())
	if len(missing) > 0 {
		return im.fail(ctx, imp, "import.file.missing_columns", strings.Join(missing, ", "))
	}
	regions := map[string]bool{}
	var codes []string
	if err := im.db.SelectContext(ctx, &codes, `SELECT kode FROM regions WHERE level = 'kelurahan'`); err != nil {
		return err
	}
	for _, c := range codes {
		regions[c] = true
	}

	// The staging COPY runs on its own connection, inside stageTx; the errors go to a second
	// transaction so that both streams can be open at once.
	stageConn, err := im.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer db.CloseInto(stageConn, &err)
	stageTx, err := stageConn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer db.RollbackInto(stageTx, &err)
	errTx, err := im.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer db.RollbackInto(errTx, &err)
	errCopy, err := errTx.Prepare(copyFrom("import_errors", []string{"import_id", "line", "col", "value", "message", "warning"}))
	if err != nil {
		return err
	}
	var total, valid, invalid, warnings, errorsFound int
	for _, col := range unknown {
		if _, err := errCopy.Exec(imp.ID, 1, col, "", "import.warn.unknown_column", true); err != nil {
			return err
		}
		warnings++
	}
	r := &row{index: index, regions: regions}
	watch := newRoundingWatch(index)
	if kind.Name == "workers" {
		// A roster row must name an employer already known: the register's keys fit in memory
		// (their number is bounded by the register, not by the file).
		if r.employers, err = im.loadEmployerKeys(ctx); err != nil {
			return err
		}
	}
	table := kind.table(imp.ID)
	copyStmt := copyFrom(table, append([]string{"import_id", "line"}, kind.stageCols...))
	if kind.partitioned {
		// New in this transaction: a server killed before its end leaves nothing. FREEZE
		// writes the rows as visible to all, so no later pass rewrites every page to say so.
		if _, err := stageTx.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %s (LIKE %s, CHECK (import_id = %d))`,
			table, kind.stage, imp.ID)); err != nil {
			return err
		}
		copyStmt += " WITH (FREEZE)"
	}
	// The employers a roster file names: its commit replaces their rosters.
	named := map[int64]struct{}{}
	lastNamed := int64(-1)
	values := make([]any, 0, len(kind.stageCols)+2)
	var fileErr error
	batchStart := time.Now()
	err = rawCopy(ctx, stageConn, copyStmt, func(add func([]any) error) error {
		for {
			line, cells, err := rows.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				fileErr = err
				return err
			}
			total++
			r.line, r.cells, r.errs = line, cells, r.errs[:0]
			parsed := kind.parse(r)
			watch.observe(r)
			if len(r.errs) > 0 {
				invalid++
				for _, e := range r.errs {
					// A file of millions of bad rows is told by its first errors; the
					// rest are counted, not stored (a 12.5 MB file once wrote 6 million).
					if errorsFound++; errorsFound > MaxStoredErrors {
						continue
					}
					if _, err := errCopy.Exec(imp.ID, e.Line, e.Column, format.Truncate(e.Value, 200), e.Message, false); err != nil {
						return err
					}
				}
			} else {
				valid++
				values = append(append(values[:0], imp.ID, int64(line)), parsed...)
				if err := add(values); err != nil {
					return err
				}
				// Rows come grouped by employer: the set is touched once per employer.
				if id, ok := parsed[0].(int64); ok && r.employers != nil && id != lastNamed {
					named[id], lastNamed = struct{}{}, id
				}
			}
			if total%yieldEvery == 0 {
				if im.busy() {
					time.Sleep(2 * time.Since(batchStart))
				}
				batchStart = time.Now()
			}
			if total%progressEvery == 0 {
				if err := ownedUpdate(ctx, im.db, `UPDATE imports SET rows_processed = $2 WHERE id = $1 AND lease_owner = $3`,
					imp.ID, total, im.id); err != nil {
					return err
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
	})
	if fileErr != nil {
		return im.failFile(ctx, imp, fileErr)
	}
	if err != nil {
		return err
	}
	slog.DebugContext(ctx, "validate step", "step", "read and copy", "seconds", time.Since(start).Seconds())
	if len(named) > 0 {
		err := rawCopy(ctx, stageConn, copyFrom("import_employers", []string{"import_id", "employer_id"}), func(add func([]any) error) error {
			for id := range named {
				if err := add([]any{imp.ID, id}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Set-based checks that need the whole file.
	checkStart := time.Now()
	if _, err := stageTx.ExecContext(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
		return err
	}
	var dups int
	if kind.partitioned {
		dups, err = im.addPrimaryKey(ctx, stageTx, kind, imp.ID)
	} else {
		dups, err = duplicateWarnings(ctx, stageTx, kind, table, imp.ID)
	}
	if err != nil {
		return err
	}
	slog.DebugContext(ctx, "validate step", "step", "duplicates", "seconds", time.Since(checkStart).Seconds())
	// The commit's plans need to know how many rows are staged.
	if _, err := stageTx.ExecContext(ctx, `ANALYZE `+table); err != nil {
		return err
	}
	warnings += dups

	if _, err := errCopy.Exec(); err != nil {
		return err
	}
	if err := errCopy.Close(); err != nil {
		return err
	}
	// A file whose identifiers a spreadsheet rounded is refused whole, whatever
	// auto_commit_max_invalid allows: its rounded NIKs would pass one by one (damage.go).
	if col := watch.rounded(); col != "" {
		return im.fail(ctx, imp, "import.file.spreadsheet_rounded", col)
	}
	status := StatusNeedsReview
	limit := 0.0
	if imp.AutoCommitMaxInvalid != nil {
		limit = *imp.AutoCommitMaxInvalid
	}
	if total > 0 && float64(invalid) <= limit*float64(total) {
		status = StatusCommitting
	}
	if total == 0 {
		return im.fail(ctx, imp, "import.file.no_rows", "")
	}
	im.pause()
	// validated_at is when this transaction began, before the register was read. The row stays
	// locked by this transaction until both commit: the lease cannot change hands between.
	if err := ownedUpdate(ctx, stageTx, `UPDATE imports SET status = $2, rows_total = $3, rows_valid = $4,
		rows_invalid = $5, rows_processed = $3, warnings = $6, errors_total = $7, validated_at = now(),
		validations = validations + 1, version = version + 1 WHERE id = $1 AND lease_owner = $8`,
		imp.ID, status, total, valid, invalid, warnings, errorsFound, im.id); err != nil {
		return err
	}
	if err := errTx.Commit(); err != nil {
		return err
	}
	if err := stageTx.Commit(); err != nil {
		return err
	}
	slog.Info("import validated", "import_id", imp.ID, "kind", imp.Kind, "rows", total, "invalid", invalid,
		"seconds", time.Since(start).Seconds(), "status", status)
	return nil
}

func (im *Importer) failFile(ctx context.Context, imp *Import, err error) error {
	var fe *fileError
	if errors.As(err, &fe) {
		detail := ""
		if fe.Line > 0 {
			detail = fmt.Sprint(fe.Line)
		}
		return im.fail(ctx, imp, fe.Message, detail)
	}
	return err
}

// mapHeader matches the header to the kind's columns, case-insensitively after trimming.
func mapHeader(kind *Kind, header []string) (index map[string]int, unknown, missing []string) {
	index = map[string]int{}
	known := map[string]bool{}
	for _, c := range kind.columns {
		known[c] = true
	}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if known[name] {
			if _, dup := index[name]; !dup {
				index[name] = i
			}
		} else if name != "" {
			unknown = append(unknown, format.Truncate(strings.TrimSpace(h), 100))
		}
	}
	for _, c := range kind.required {
		if _, ok := index[c]; !ok {
			missing = append(missing, c)
		}
	}
	if kind.Name != "participants" {
		_, nib := index["nib"]
		_, npwp := index["npwp"]
		if !nib && !npwp {
			missing = append(missing, "nib/npwp")
		}
	}
	return index, unknown, missing
}

// employerKeys maps every NIB and NPWP of the register, as numbers (both are at most 16
// digits), to the employer it names: about 20 MB for Jakarta. An NPWP shared by several
// employers names the register's one, else the oldest (as the commit's relinking does).
type employerKeys struct{ nib, npwp map[uint64]int64 }

func digitsKey(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

func (im *Importer) loadEmployerKeys(ctx context.Context) (*employerKeys, error) {
	rows, err := im.db.QueryContext(ctx, `SELECT id, coalesce(nib, ''), coalesce(npwp, '') FROM employers ORDER BY in_register DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	k := &employerKeys{nib: map[uint64]int64{}, npwp: map[uint64]int64{}}
	for rows.Next() {
		var id int64
		var nib, npwp string
		if err := rows.Scan(&id, &nib, &npwp); err != nil {
			return nil, err
		}
		if nib != "" {
			k.nib[digitsKey(nib)] = id
		}
		if _, taken := k.npwp[digitsKey(npwp)]; npwp != "" && !taken {
			k.npwp[digitsKey(npwp)] = id
		}
	}
	return k, rows.Err()
}

// addPrimaryKey gives the table of a partitioned kind's import the parent's primary key, which
// the commit's attach then adopts. Building it is also the check for duplicates: only when it
// fails are they looked for, warned about, and the earlier rows removed (a later row wins).
func (im *Importer) addPrimaryKey(ctx context.Context, tx *sql.Tx, kind *Kind, importID int64) (int, error) {
	table := kind.table(importID)
	// Alone, the build may use both cores (the roster's key: 4.1 s with, 5.3 s without).
	workers := "2"
	if im.busy() {
		workers = "0"
	}
	for _, setting := range []string{`SET LOCAL maintenance_work_mem = '256MB'`, `SET LOCAL max_parallel_maintenance_workers = ` + workers,
		`SAVEPOINT primary_key`} {
		if _, err := tx.ExecContext(ctx, setting); err != nil {
			return 0, err
		}
	}
	addKey := `ALTER TABLE ` + table + ` ADD PRIMARY KEY (` + kind.primaryKey + `)`
	_, err := tx.ExecContext(ctx, addKey)
	var pqErr *pq.Error
	if err == nil || !errors.As(err, &pqErr) || pqErr.Code != "23505" {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT primary_key`); err != nil {
		return 0, err
	}
	n, err := duplicateWarnings(ctx, tx, kind, table, importID)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE line IN (SELECT line FROM import_errors
		WHERE import_id = $1 AND message = 'import.warn.duplicate')`, importID); err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, addKey)
	return n, err
}

// duplicateWarnings notes every row that a later row with the same key replaces. The keys seen
// twice are found first by hashing (cheap even for millions of rows), then their lines.
func duplicateWarnings(ctx context.Context, tx *sql.Tx, kind *Kind, table string, importID int64) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `WITH twice AS (
		SELECT `+kind.key+` FROM `+table+` WHERE import_id = $1 GROUP BY `+kind.key+` HAVING count(*) > 1
	), d AS (
		SELECT line, lead(line) OVER (PARTITION BY `+kind.key+` ORDER BY line) AS later
		FROM `+table+` WHERE import_id = $1 AND (`+kind.key+`) IN (SELECT * FROM twice)
	), ins AS (
		INSERT INTO import_errors (import_id, line, col, value, message, warning)
		SELECT $1, line, '', 'line ' || later, 'import.warn.duplicate', true FROM d WHERE later IS NOT NULL
	)
	SELECT count(*) FROM d WHERE later IS NOT NULL`, importID).Scan(&n)
	return n, err
}
