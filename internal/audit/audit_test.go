package audit_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"patuh/internal/audit"
	"patuh/internal/db"
	"patuh/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var key = []byte("test-audit-key-of-at-least-32-characters")

// record appends n entries as the application does: as its role, patuh_app.
func record(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		err := db.WithTx(ctx, dbtest.DB(t), func(tx *sqlx.Tx) error {
			return audit.Record(ctx, tx, audit.Entry{Actor: "tester", Action: "case.open", Entity: "case",
				EntityID: fmt.Sprint(i), Detail: map[string]any{"step": i, "note": "ünïcode \"quoted\""}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// emptyLog starts a test from an empty log, as the owner can (the application cannot).
func emptyLog(t *testing.T) {
	t.Helper()
	mustExec(t, dbtest.OwnerDB(t), `TRUNCATE audit_log, audit_seals RESTART IDENTITY`)
}

func TestChainVerifiesAndNamesTheFirstTamperedRow(t *testing.T) {
	ctx := context.Background()
	emptyLog(t)
	record(t, 3)
	d, owner := dbtest.DB(t), dbtest.OwnerDB(t)
	rep, err := audit.Verify(ctx, d, key, "")
	if err != nil || rep.Rows != 3 {
		t.Fatalf("intact chain: %+v %v", rep, err)
	}

	// Even the owner's edits are refused by the trigger...
	if _, err := owner.Exec(`UPDATE audit_log SET actor = 'someone else'`); err == nil {
		t.Fatal("audit_log accepted an UPDATE")
	}
	// ...so a tamperer must bypass the trigger; Verify still names the row.
	var second int64
	if err := d.Get(&second, `SELECT id FROM audit_log ORDER BY id OFFSET 1 LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	mustExec(t, owner, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
	mustExec(t, owner, `UPDATE audit_log SET detail = '{"step": 99}' WHERE id = $1`, second)
	mustExec(t, owner, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)

	_, err = audit.Verify(ctx, d, key, "")
	var broken *audit.BrokenRowError
	if !errors.As(err, &broken) || broken.ID != second {
		t.Fatalf("tampered row %d, Verify said %v", second, err)
	}
}

// The server's role may append to the log and read it, and nothing else: UPDATE, DELETE and
// TRUNCATE fail on privileges (not on the trigger, which the owner could disable), as does
// disabling the trigger. The seals are held the same way.
func TestAppRoleCannotRewriteTheLog(t *testing.T) {
	ctx := context.Background()
	emptyLog(t)
	record(t, 2)
	app := dbtest.DB(t)
	if _, _, err := audit.NewSealer(app, key, "").Seal(ctx); err != nil {
		t.Fatalf("the application seals: %v", err)
	}
	var role string
	if err := app.Get(&role, `SELECT current_user`); err != nil {
		t.Fatal(err)
	}
	if role != db.AppRole {
		t.Fatalf("the tests' application connects as %q, want %s", role, db.AppRole)
	}
	for _, table := range []string{"audit_log", "audit_seals"} {
		for _, stmt := range []string{
			`UPDATE ` + table + ` SET at = at`,
			`DELETE FROM ` + table,
			`TRUNCATE ` + table,
			`ALTER TABLE ` + table + ` DISABLE TRIGGER ALL`,
			`DROP TABLE ` + table,
		} {
			_, err := app.Exec(stmt)
			var pqErr *pq.Error
			if !errors.As(err, &pqErr) || (pqErr.Code != "42501" && !strings.Contains(pqErr.Message, "must be owner")) {
				t.Errorf("%s as %s: %v, want permission denied", stmt, role, err)
			}
		}
	}
	var rows, seals int
	if err := app.Get(&rows, `SELECT count(*) FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	if err := app.Get(&seals, `SELECT count(*) FROM audit_seals`); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || seals != 1 {
		t.Fatalf("after the attempts: %d rows, %d seals", rows, seals)
	}
	if yes, err := audit.Rewritable(ctx, app); err != nil || yes {
		t.Fatalf("Rewritable as the application: %v %v", yes, err)
	}
	if yes, err := audit.Rewritable(ctx, dbtest.OwnerDB(t)); err != nil || !yes {
		t.Fatalf("Rewritable as the owner: %v %v", yes, err)
	}
}

// A TRUNCATE by someone with the rights (the owner) is seen: the seals cover rows that are gone;
// and when the seals are emptied as well, the anchor file still holds the last one.
func TestVerifyDetectsTruncation(t *testing.T) {
	ctx := context.Background()
	emptyLog(t)
	record(t, 4)
	anchor := filepath.Join(t.TempDir(), audit.AnchorFile)
	sealer := &audit.Sealer{DB: dbtest.DB(t), Key: key, Anchor: anchor}
	if _, _, err := sealer.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	record(t, 1)
	rep, err := audit.Verify(ctx, dbtest.DB(t), key, anchor)
	if err != nil || rep.Rows != 5 || rep.Seals != 1 || rep.Unsealed != 1 || !rep.Anchored {
		t.Fatalf("before: %+v %v", rep, err)
	}

	owner := dbtest.OwnerDB(t)
	mustExec(t, owner, `TRUNCATE audit_log`)
	_, err = audit.Verify(ctx, dbtest.DB(t), key, anchor)
	var tampered *audit.TamperedError
	if !errors.As(err, &tampered) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated log: Verify said %v", err)
	}

	mustExec(t, owner, `TRUNCATE audit_seals`)
	if rep, err := audit.Verify(ctx, dbtest.DB(t), key, ""); err != nil || rep.Rows != 0 {
		t.Fatalf("without the anchor nothing is left to compare with: %+v %v", rep, err)
	}
	_, err = audit.Verify(ctx, dbtest.DB(t), key, anchor)
	if !errors.As(err, &tampered) || !strings.Contains(err.Error(), "missing from audit_seals") {
		t.Fatalf("log and seals truncated: Verify said %v", err)
	}
}

// A tamperer who edits a row and recomputes every hash leaves a chain that checks out on its
// own; the seal's head no longer matches, and a seal made without the key is refused.
func TestVerifyDetectsARewrittenChain(t *testing.T) {
	ctx := context.Background()
	emptyLog(t)
	record(t, 5)
	if _, _, err := audit.NewSealer(dbtest.DB(t), key, "").Seal(ctx); err != nil {
		t.Fatal(err)
	}
	owner := dbtest.OwnerDB(t)
	mustExec(t, owner, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
	mustExec(t, owner, `UPDATE audit_log SET actor = 'someone else' WHERE id = 2`)
	if err := audit.RecomputeChain(ctx, owner); err != nil {
		t.Fatal(err)
	}
	mustExec(t, owner, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)

	_, err := audit.Verify(ctx, dbtest.DB(t), key, "")
	var tampered *audit.TamperedError
	if !errors.As(err, &tampered) || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("rewritten chain: Verify said %v", err)
	}

	// Sealing the rewritten head needs the key: one made with another is refused.
	mustExec(t, owner, `TRUNCATE audit_seals`)
	if _, _, err := audit.NewSealer(dbtest.DB(t), []byte("a guessed key"), "").Seal(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = audit.Verify(ctx, dbtest.DB(t), key, "")
	if !errors.As(err, &tampered) || !strings.Contains(err.Error(), "HMAC") {
		t.Fatalf("forged seal: Verify said %v", err)
	}
}

// The server seals every N rows: not before N new rows, then the head.
func TestSealIfDue(t *testing.T) {
	ctx := context.Background()
	emptyLog(t)
	sealer := audit.NewSealer(dbtest.DB(t), key, t.TempDir())
	record(t, 2)
	if _, sealed, err := sealer.SealIfDue(ctx, 3); err != nil || sealed {
		t.Fatalf("2 rows of 3: sealed %v %v", sealed, err)
	}
	record(t, 1)
	s, sealed, err := sealer.SealIfDue(ctx, 3)
	if err != nil || !sealed || s.Rows != 3 {
		t.Fatalf("3 rows of 3: %+v %v %v", s, sealed, err)
	}
	if _, sealed, _ := sealer.Seal(ctx); sealed {
		t.Fatal("sealed a head that is sealed already")
	}
	record(t, 2)
	if s, sealed, err = sealer.Seal(ctx); err != nil || !sealed || s.Rows != 5 {
		t.Fatalf("on demand: %+v %v %v", s, sealed, err)
	}
	if rep, err := audit.Verify(ctx, dbtest.DB(t), key, sealer.Anchor); err != nil || rep.Seals != 2 || rep.Unsealed != 0 || !rep.Anchored {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func mustExec(t *testing.T, d *sqlx.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}
