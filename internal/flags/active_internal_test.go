package flags

import (
	"context"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"patuh/internal/db"
	"patuh/internal/db/dbtest"
)

// TestActiveReadsOnlySnapshotsInForce: the flags read the partitions of the snapshots in force,
// not every snapshot ever kept.
func TestActiveReadsOnlySnapshotsInForce(t *testing.T) {
	dbtest.Isolate(t) // the rules read the whole database: no other test's data
	ctx := context.Background()
	d := dbtest.DB(t)
	for _, stmt := range []string{
		`INSERT INTO imports (id, kind, sha256, filename, format, size_bytes, status) VALUES
			(9001, 'participants', 'old', 'a.csv', 'csv', 1, 'committed'), (9002, 'participants', 'new', 'b.csv', 'csv', 1, 'committed')`,
		`CREATE TABLE participants_9001 PARTITION OF participants FOR VALUES IN (9001)`,
		`CREATE TABLE participants_9002 PARTITION OF participants FOR VALUES IN (9002)`,
		`INSERT INTO latest_snapshots VALUES ('Q0000001', 9002)`,
	} {
		if _, err := d.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	var plan []string
	err := db.WithTx(ctx, d, func(tx *sqlx.Tx) error {
		if err := PrepareTargets(ctx, tx); err != nil {
			return err
		}
		inForce, err := SnapshotsInForce(ctx, tx)
		if err != nil {
			return err
		}
		return tx.Select(&plan, `EXPLAIN `+strings.ReplaceAll(queries["active"], "{in_force}", inForce))
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "participants_9002") || strings.Contains(text, "participants_9001") {
		t.Fatalf("the plan should read the snapshot in force only:\n%s", text)
	}
}
