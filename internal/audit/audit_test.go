package audit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jmoiron/sqlx"

	"patuh/internal/audit"
	"patuh/internal/db"
	"patuh/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestChainVerifiesAndNamesTheFirstTamperedRow(t *testing.T) {
	ctx := context.Background()
	d := dbtest.DB(t)
	for i, action := range []string{"case.open", "case.assign", "visit.add"} {
		err := db.WithTx(ctx, d, func(tx *sqlx.Tx) error {
			return audit.Record(ctx, tx, audit.Entry{Actor: "tester", Action: action, Entity: "case",
				EntityID: "7", Detail: map[string]any{"step": i, "note": "ünïcode \"quoted\""}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := audit.Verify(ctx, d)
	if err != nil || n < 3 {
		t.Fatalf("intact chain: %d %v", n, err)
	}

	// The table refuses edits...
	if _, err := d.Exec(`UPDATE audit_log SET actor = 'someone else'`); err == nil {
		t.Fatal("audit_log accepted an UPDATE")
	}
	// ...so a tamperer must bypass the trigger; Verify still names the row.
	var second int64
	d.Get(&second, `SELECT id FROM audit_log WHERE action = 'case.assign'`)
	mustExec(t, d, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
	mustExec(t, d, `UPDATE audit_log SET detail = '{"step": 99}' WHERE id = $1`, second)
	mustExec(t, d, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)

	_, err = audit.Verify(ctx, d)
	var broken *audit.BrokenRowError
	if !errors.As(err, &broken) || broken.ID != second {
		t.Fatalf("tampered row %d, Verify said %v", second, err)
	}
}

func mustExec(t *testing.T, d *sqlx.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}
