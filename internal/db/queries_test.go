package db_test

import (
	"reflect"
	"testing"

	"patuh/internal/db"
)

// Needs no database: runs without PostgreSQL.
func TestStatements(t *testing.T) {
	sql := "-- a comment;\nCREATE TABLE t (a int);\n\nINSERT INTO t\n  SELECT 1;  \n-- trailing\nANALYZE t"
	got := db.Statements(sql)
	want := []string{"CREATE TABLE t (a int);", "INSERT INTO t\n  SELECT 1;", "ANALYZE t"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Statements:\n%q\nwant\n%q", got, want)
	}
	if got := db.Statements("\n-- only a comment\n"); len(got) != 0 {
		t.Fatalf("a comment is no statement: %q", got)
	}
}
