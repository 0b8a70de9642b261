// Package dbtest gives each test package a throwaway PostgreSQL database cloned from a migrated
// template, so `go test ./...` runs packages in parallel on a real server without mocks.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"patuh/internal/db"
	"patuh/migrations"
)

var shared *sqlx.DB
var sharedURL string

// Main creates the package's database, runs the tests and drops it. With no TEST_DATABASE_URL
// it fails: a silently skipped suite proves nothing.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		fmt.Fprintln(os.Stderr, "dbtest: TEST_DATABASE_URL is not set; run the tests through `make test`")
		return 2
	}
	ctx := context.Background()
	template, err := ensureTemplate(ctx, admin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 2
	}
	name := "patuh_t_" + randomHex(6)
	a, err := db.Open(ctx, admin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 2
	}
	defer a.Close()
	if _, err := a.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template)); err != nil {
		fmt.Fprintln(os.Stderr, "dbtest: clone template:", err)
		return 2
	}
	defer a.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	sharedURL = withDatabase(admin, name)
	shared, err = db.Open(ctx, sharedURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 2
	}
	code := m.Run()
	shared.Close()
	return code
}

// DB returns the package's database.
func DB(t testing.TB) *sqlx.DB {
	t.Helper()
	if shared == nil {
		t.Fatal("dbtest: call dbtest.Main from TestMain")
	}
	return shared
}

// URL returns the package database's connection string, for a server started as a process.
func URL() string { return sharedURL }

// URLFor returns the connection string of another database on the same server.
func URLFor(name string) string { return withDatabase(sharedURL, name) }

// ensureTemplate creates, once per set of migrations, a migrated template database.
// Its name is a hash of the migration files, so a changed migration gets a fresh template.
func ensureTemplate(ctx context.Context, admin string) (string, error) {
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
	defer a.Close()
	conn, err := a.Connx(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	// Packages start in parallel; one of them builds the template, the others wait.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(74207)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(74207)`)
	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building))
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	t, err := db.Open(ctx, withDatabase(admin, building))
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx, t)
	t.Close()
	if err != nil {
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

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
