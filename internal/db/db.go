// Package db opens PostgreSQL, runs the embedded migrations and runs work in transactions.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"

	"patuh/internal/apperr"
	"patuh/migrations"
)

// poolSize is the most connections the application holds.
const poolSize = 20

// Open connects and checks the connection, with pool limits sized for a 2-core server.
func Open(ctx context.Context, url string) (*sqlx.DB, error) {
	d, err := sqlx.Open("postgres", withSessionDefaults(url))
	if err != nil {
		return nil, fmt.Errorf("db: open: %w", err)
	}
	// Every connection is kept: one closed after a burst is opened again in the next, and a new
	// PostgreSQL backend costs a process and its catalog caches (tens of ms of CPU with the
	// partitioned tables). Under `make load` during an import, fewer idle than open slots made
	// requests slower, more connections open at once, and more churn: both cores went to it.
	d.SetMaxOpenConns(poolSize)
	d.SetMaxIdleConns(poolSize)
	d.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := d.PingContext(pingCtx); err != nil {
		return nil, errors.Join(fmt.Errorf("db: connect: %w", err), d.Close())
	}
	return d, nil
}

// withSessionDefaults adds to the URL, unless it sets them itself:
//   - binary_parameters=yes: lib/pq then sends a query with arguments in one round trip
//     instead of two (parse, then execute). []byte arguments go as binary, right for bytea;
//     JSON must be passed as a string.
//   - max_parallel_workers_per_gather=0: on a two-core server a request's query that starts
//     parallel workers takes both cores from everyone else (and the workers cost more to
//     start than a list query takes). An import commit running alone turns them back on.
func withSessionDefaults(url string) string {
	for _, opt := range []string{"binary_parameters=yes", "max_parallel_workers_per_gather=0"} {
		key, _, _ := strings.Cut(opt, "=")
		if strings.Contains(url, key+"=") {
			continue
		}
		switch {
		case !strings.Contains(url, "://"): // key=value form
			url += " " + opt
		case strings.Contains(url, "?"):
			url += "&" + opt
		default:
			url += "?" + opt
		}
	}
	return url
}

func provider(d *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations.FS, ".")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, d, sub)
}

// Migrate applies every pending migration and returns how many ran.
func Migrate(ctx context.Context, d *sqlx.DB) (int, error) {
	p, err := provider(d.DB)
	if err != nil {
		return 0, fmt.Errorf("db: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("db: migrate: %w", err)
	}
	if err := handOver(ctx, d); err != nil {
		return len(res), err
	}
	return len(res), nil
}

// handOver gives the application's role (patuh_app) the tables that migrations, run as the
// owner role, have just created; the audit tables stay the owner's (migrations/00017).
func handOver(ctx context.Context, d *sqlx.DB) error {
	var exists bool
	if err := d.GetContext(ctx, &exists, `SELECT to_regproc('patuh_hand_over_to_app') IS NOT NULL`); err != nil {
		return fmt.Errorf("db: hand over: %w", err)
	}
	if !exists {
		return nil
	}
	if _, err := d.ExecContext(ctx, `SELECT patuh_hand_over_to_app()`); err != nil {
		return fmt.Errorf("db: hand tables over to patuh_app: %w", err)
	}
	return nil
}

// AppRole is the PostgreSQL role the server connects as (migrations/00017).
const AppRole = "patuh_app"

// Reset runs every Down migration; only the tests use it, to prove each Down undoes its Up.
func Reset(ctx context.Context, d *sqlx.DB) error {
	p, err := provider(d.DB)
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, 0)
	return err
}

// MigrationStatus is one line of `patuh migrate status`.
type MigrationStatus struct {
	Version   int64
	Source    string
	Applied   bool
	AppliedAt time.Time
}

func Status(ctx context.Context, d *sqlx.DB) ([]MigrationStatus, error) {
	p, err := provider(d.DB)
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{s.Source.Version, s.Source.Path, s.State == goose.StateApplied, s.AppliedAt})
	}
	return out, nil
}

// Current reports whether the database is reachable and has every migration applied (for /readyz).
func Current(ctx context.Context, d *sqlx.DB) error {
	p, err := provider(d.DB)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return err
	}
	if pending {
		return errors.New("migrations pending")
	}
	return nil
}

// WithTx runs fn in a transaction, committed when fn returns nil and rolled back otherwise.
func WithTx(ctx context.Context, d *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		RollbackInto(tx, &err)
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// RollbackInto rolls back tx, when deferred after a begin or called on a failure, and adds a
// failed rollback to *err. A transaction already committed is not a failure, nor is one whose
// connection broke (an interrupted COPY breaks lib/pq's): PostgreSQL rolls back a transaction
// whose connection is gone, and database/sql discards the connection.
func RollbackInto(tx interface{ Rollback() error }, err *error) {
	rbErr := tx.Rollback()
	if rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && !errors.Is(rbErr, sql.ErrConnDone) && !errors.Is(rbErr, driver.ErrBadConn) {
		*err = errors.Join(*err, fmt.Errorf("db: rollback: %w", rbErr))
	}
}

// CloseInto closes c, when deferred, and adds its failure to *err.
func CloseInto(c io.Closer, err *error) {
	if cErr := c.Close(); cErr != nil {
		*err = errors.Join(*err, cErr)
	}
}

// NotFoundOr maps sql.ErrNoRows to apperr.NotFound and a unique violation to apperr.Conflict,
// and wraps anything else with the store's prefix.
func NotFoundOr(err error, prefix string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "error.not_found")
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return &apperr.Error{Code: apperr.Conflict, Message: "error.duplicate", Err: err}
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// IsNoRows reports whether a query found no row.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
