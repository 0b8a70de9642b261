// Package dbtest gives each test package a throwaway PostgreSQL database cloned from a migrated
// template, so `go test ./...` runs packages in parallel on a real server without mocks.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"patuh/internal/db"
	"patuh/migrations"
)

// The package's database is reached twice: as the application's role (patuh_app, what the
// server uses, which may not rewrite audit_log) and as the owner that ran the migrations.
// It is created on first use, so the package's tests that need no database (parsers, formats)
// run without PostgreSQL; a test that needs it fails without it: a silently skipped suite
// proves nothing.
var (
	setup               sync.Once
	setupErr            error
	shared, owner       *sqlx.DB
	sharedURL, ownerURL string
	adminURL, template  string
	cleanup             func()
)

// Main runs the package's tests and drops the database the first of them to need one created.
func Main(m *testing.M) {
	code := m.Run()
	if cleanup != nil {
		cleanup()
	}
	os.Exit(code)
}

// ensure creates the package's database once; every later call returns the first outcome.
func ensure() error {
	setup.Do(func() { setupErr = create() })
	return setupErr
}

func create() error {
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		return fmt.Errorf("TEST_DATABASE_URL is not set; run the tests through `make test`")
	}
	ctx := context.Background()
	var err error
	if template, err = ensureTemplate(ctx, admin); err != nil {
		return err
	}
	adminURL = admin
	name := "patuh_t_" + randomHex(6)
	a, err := db.Open(ctx, admin)
	if err != nil {
		return err
	}
	if _, err := a.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template)); err != nil {
		return errors.Join(fmt.Errorf("clone template: %w", err), a.Close())
	}
	cleanup = func() {
		var err error
		if shared != nil {
			err = errors.Join(err, shared.Close())
		}
		if owner != nil {
			err = errors.Join(err, owner.Close())
		}
		if _, dropErr := a.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); dropErr != nil {
			err = errors.Join(err, fmt.Errorf("drop %s: %w", name, dropErr))
		}
		if err = errors.Join(err, a.Close()); err != nil {
			fmt.Fprintln(os.Stderr, "dbtest:", err)
		}
	}
	ownerURL = withDatabase(admin, name)
	sharedURL = asRole(ownerURL, db.AppRole)
	if owner, err = db.Open(ctx, ownerURL); err != nil {
		return err
	}
	if shared, err = db.Open(ctx, sharedURL); err != nil {
		return fmt.Errorf("as %s: %w", db.AppRole, err)
	}
	return nil
}

func mustEnsure(t testing.TB) {
	t.Helper()
	if err := ensure(); err != nil {
		t.Fatal("dbtest:", err)
	}
}

// DB returns the package's database as the application's role, the one the server uses: every
// test of the application thereby proves it works without the rights it is refused.
func DB(t testing.TB) *sqlx.DB {
	t.Helper()
	mustEnsure(t)
	return shared
}

// OwnerDB returns the package's database as the role that ran the migrations and owns the
// audit tables: for tests that play a tamperer with more rights than the application.
func OwnerDB(t testing.TB) *sqlx.DB {
	t.Helper()
	mustEnsure(t)
	return owner
}

// Isolated returns a database of the test's own, cloned from the migrated template and dropped
// when the test ends, as the application's role: for a test that checks figures over a whole
// table, which the package's other tests (in any order, -shuffle=on) would change.
func Isolated(t testing.TB) *sqlx.DB {
	t.Helper()
	app, _, _ := clone(t)
	return app
}

// Isolate makes DB, OwnerDB, URL and OwnerURL name a database of the test's own until it ends,
// for a test whose helpers all reach the package's database: everything it does and checks is
// then its own, whatever ran before. Not for tests that call t.Parallel (none does).
func Isolate(t testing.TB) {
	t.Helper()
	app, own, u := clone(t)
	prevShared, prevOwner, prevSharedURL, prevOwnerURL := shared, owner, sharedURL, ownerURL
	shared, owner, sharedURL, ownerURL = app, own, asRole(u, db.AppRole), u
	t.Cleanup(func() { shared, owner, sharedURL, ownerURL = prevShared, prevOwner, prevSharedURL, prevOwnerURL })
}

// clone creates a database from the template, opened as the application's role and as the
// owner (whose URL it returns too), both closed and the database dropped when the test ends.
func clone(t testing.TB) (app, own *sqlx.DB, ownURL string) {
	t.Helper()
	mustEnsure(t)
	ctx := context.Background()
	a, err := db.Open(ctx, adminURL)
	if err != nil {
		t.Fatal("dbtest:", err)
	}
	name := "patuh_t_" + randomHex(6)
	if _, err := a.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template)); err != nil {
		t.Fatal("dbtest: clone template:", errors.Join(err, a.Close()))
	}
	t.Cleanup(func() {
		closeOrFail := func(d *sqlx.DB) {
			if d != nil {
				if err := d.Close(); err != nil {
					t.Error("dbtest:", err)
				}
			}
		}
		closeOrFail(app)
		closeOrFail(own)
		if _, err := a.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Log("dbtest: drop", name+":", err)
		}
		closeOrFail(a)
	})
	ownURL = withDatabase(adminURL, name)
	if own, err = db.Open(ctx, ownURL); err != nil {
		t.Fatal("dbtest:", err)
	}
	if app, err = db.Open(ctx, asRole(ownURL, db.AppRole)); err != nil {
		t.Fatal("dbtest:", err)
	}
	return app, own, ownURL
}

// URL returns the package database's connection string as the application's role, for a
// server started as a process (DATABASE_URL).
func URL(t testing.TB) string {
	t.Helper()
	mustEnsure(t)
	return sharedURL
}

// OwnerURL returns the package database's connection string as the owner (DATABASE_OWNER_URL).
func OwnerURL(t testing.TB) string {
	t.Helper()
	mustEnsure(t)
	return ownerURL
}

// URLFor returns the owner's connection string of another database on the same server.
func URLFor(t testing.TB, name string) string {
	t.Helper()
	mustEnsure(t)
	return withDatabase(ownerURL, name)
}

// ensureTemplate creates, once per set of migrations, a migrated template database.
// Its name is a hash of the migration files, so a changed migration gets a fresh template.
func ensureTemplate(ctx context.Context, admin string) (_ string, err error) {
	h := sha256.New()
	names, _ := fs.Glob(migrations.FS, "*.sql")
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(migrations.FS, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	name := "patuh_tmpl_" + hex.EncodeToString(h.Sum(nil))[:12]

	a, err := db.Open(ctx, admin)
	if err != nil {
		return "", err
	}
	defer db.CloseInto(a, &err)
	conn, err := a.Connx(ctx)
	if err != nil {
		return "", err
	}
	defer db.CloseInto(conn, &err)
	// Packages start in parallel; one of them builds the template, the others wait.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(74207)`); err != nil {
		return "", err
	}
	defer func() {
		if _, unlockErr := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(74207)`); unlockErr != nil {
			err = errors.Join(err, unlockErr)
		}
	}()
	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return "", err
	}
	// Migrations create the application's role without LOGIN (migrations/00017); the test
	// server is a development one, so the role logs in as trusted, like `make run` sets it up.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DO $$ BEGIN
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%[1]s') THEN CREATE ROLE %[1]s LOGIN;
		ELSIF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = '%[1]s') THEN ALTER ROLE %[1]s LOGIN;
		END IF; END $$`, db.AppRole)); err != nil {
		return "", fmt.Errorf("role %s: %w", db.AppRole, err)
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	// A build a crashed run left behind.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	t, err := db.Open(ctx, withDatabase(admin, building))
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx, t)
	if err = errors.Join(err, t.Close()); err != nil {
		return "", err
	}
	// Renamed only when complete, so a crash mid-migration never leaves a bad template.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	return name, nil
}

func withDatabase(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + strings.TrimPrefix(name, "/")
	return u.String()
}

// asRole is rawURL with another user and no password (the test server trusts local users).
func asRole(rawURL, role string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	u.User = url.User(role)
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
