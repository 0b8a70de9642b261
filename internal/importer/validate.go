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
)

var errNoRows = sql.ErrNoRows

// progressEvery is how many rows pass between two progress updates.
const progressEvery = 20000

// yieldEvery is how many rows pass between two looks at Importer.Busy (about 50 ms of work).
const yieldEvery = 5000

// validate reads the stored file once, streaming: each valid row goes to the staging table by
// COPY and each bad value to import_errors by a second COPY, so memory stays flat whatever the
// file size. Both transactions commit together at the end; a server killed before that leaves
// nothing staged, and Recover queues the import again.
func (im *Importer) validate(ctx context.Context, imp *Import) error {
	start := time.Now()
	if _, err := im.db.ExecContext(ctx, `UPDATE imports SET status = 'validating', rows_processed = 0 WHERE id = $1`, imp.ID); err != nil {
		return err
	}
	kind := Kinds[imp.Kind]
	rows, closeRows, err := openRows(im.path(imp), imp.Format)
	if err != nil {
		return im.failFile(ctx, imp, err)
	}
	defer closeRows()

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
	defer stageConn.Close()
	stageTx, err := stageConn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer stageTx.Rollback()
	errTx, err := im.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer errTx.Rollback()
	errCopy, err := errTx.Prepare(copyFrom("import_errors", []string{"import_id", "line", "col", "value", "message", "warning"}))
	if err != nil {
		return err
	}
	var total, valid, invalid, warnings int
	for _, col := range unknown {
		if _, err := errCopy.Exec(imp.ID, 1, col, "", "import.warn.unknown_column", true); err != nil {
			return err
		}
		warnings++
	}
	r := &row{index: index, regions: regions}
	if kind.Name == "workers" {
		// A roster row must name an employer already known: the register's keys fit in memory
		// (their number is bounded by the register, not by the file).
		if r.employers, err = im.loadEmployerKeys(ctx); err != nil {
			return err
		}
	}
	values := make([]any, 0, len(kind.stageCols)+2)
	var fileErr error
	batchStart := time.Now()
	err = rawCopy(ctx, stageConn, kind.stage, append([]string{"import_id", "line"}, kind.stageCols...), func(add func([]any) error) error {
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
			if len(r.errs) > 0 {
				invalid++
				for _, e := range r.errs {
					if _, err := errCopy.Exec(imp.ID, e.Line, e.Column, truncate(e.Value, 200), e.Message, false); err != nil {
						return err
					}
				}
			} else {
				valid++
				values = append(append(values[:0], imp.ID, int64(line)), parsed...)
				if err := add(values); err != nil {
					return err
				}
			}
			if total%yieldEvery == 0 {
				if im.busy() {
					time.Sleep(2 * time.Since(batchStart))
				}
				batchStart = time.Now()
			}
			if total%progressEvery == 0 {
				if _, err := im.db.ExecContext(ctx, `UPDATE imports SET rows_processed = $2 WHERE id = $1`, imp.ID, total); err != nil {
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
	// Set-based checks that need the whole file.
	checkStart := time.Now()
	if _, err := stageTx.ExecContext(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
		return err
	}
	dups, err := duplicateWarnings(ctx, stageTx, kind, imp.ID)
	if err != nil {
		return err
	}
	slog.DebugContext(ctx, "validate step", "step", "duplicates", "seconds", time.Since(checkStart).Seconds())
	// The commit's plans need to know how many rows are staged.
	if _, err := stageTx.ExecContext(ctx, `ANALYZE `+kind.stage); err != nil {
		return err
	}
	warnings += dups

	if _, err := errCopy.Exec(); err != nil {
		return err
	}
	errCopy.Close()
	status := "needs_review"
	limit := 0.0
	if imp.AutoCommitMaxInvalid != nil {
		limit = *imp.AutoCommitMaxInvalid
	}
	if total > 0 && float64(invalid) <= limit*float64(total) {
		status = "committing"
	}
	if total == 0 {
		return im.fail(ctx, imp, "import.file.no_rows", "")
	}
	if _, err := stageTx.ExecContext(ctx, `UPDATE imports SET status = $2, rows_total = $3, rows_valid = $4,
		rows_invalid = $5, rows_processed = $3, warnings = $6, version = version + 1 WHERE id = $1`,
		imp.ID, status, total, valid, invalid, warnings); err != nil {
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
			unknown = append(unknown, truncate(strings.TrimSpace(h), 100))
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

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// employerKeys holds every NIB and NPWP of the register as numbers (both are at most 16
// digits), which keeps the set small: about 10 MB for Jakarta.
type employerKeys struct{ nib, npwp map[uint64]struct{} }

func digitsKey(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

func (im *Importer) loadEmployerKeys(ctx context.Context) (*employerKeys, error) {
	rows, err := im.db.QueryContext(ctx, `SELECT coalesce(nib, ''), coalesce(npwp, '') FROM employers`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	k := &employerKeys{nib: map[uint64]struct{}{}, npwp: map[uint64]struct{}{}}
	for rows.Next() {
		var nib, npwp string
		if err := rows.Scan(&nib, &npwp); err != nil {
			return nil, err
		}
		if nib != "" {
			k.nib[digitsKey(nib)] = struct{}{}
		}
		if npwp != "" {
			k.npwp[digitsKey(npwp)] = struct{}{}
		}
	}
	return k, rows.Err()
}

// keyOf is each kind's key inside one file; a later row with the same key wins.
var keyOf = map[string]string{
	"employers":      "coalesce(nib, 'npwp:' || npwp)",
	"workers":        "coalesce(nib, 'npwp:' || npwp), nik",
	"bpjs_employers": "npp",
	"participants":   "npp, nik",
}

// duplicateWarnings notes every row that a later row with the same key replaces. The keys seen
// twice are found first by hashing (cheap even for millions of rows), then their lines.
func duplicateWarnings(ctx context.Context, tx *sql.Tx, kind *Kind, importID int64) (int, error) {
	key := keyOf[kind.Name]
	var n int
	err := tx.QueryRowContext(ctx, `WITH twice AS (
		SELECT `+key+` FROM `+kind.stage+` WHERE import_id = $1 GROUP BY `+key+` HAVING count(*) > 1
	), d AS (
		SELECT line, lead(line) OVER (PARTITION BY `+key+` ORDER BY line) AS later
		FROM `+kind.stage+` WHERE import_id = $1 AND (`+key+`) IN (SELECT * FROM twice)
	), ins AS (
		INSERT INTO import_errors (import_id, line, col, value, message, warning)
		SELECT $1, line, '', 'line ' || later, 'import.warn.duplicate', true FROM d WHERE later IS NOT NULL
	)
	SELECT count(*) FROM d WHERE later IS NOT NULL`, importID).Scan(&n)
	return n, err
}
