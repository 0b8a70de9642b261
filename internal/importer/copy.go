package importer

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"
	"time"
)

// rawCopy streams rows into a COPY ... FROM STDIN statement on conn, inside the transaction
// already begun on it, encoding PostgreSQL's text format itself and handing lib/pq a chunk at a
// time: going through database/sql's Exec for each row cost more than reading and checking it.
// fill is called with a function that adds one row; rawCopy returns when fill does.
func rawCopy(ctx context.Context, conn *sql.Conn, copyStmt string, fill func(add func(values []any) error) error) error {
	return conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("importer: driver cannot prepare COPY")
		}
		stmt, err := prep.PrepareContext(ctx, copyStmt)
		if err != nil {
			return err
		}
		copier, ok := stmt.(interface {
			CopyData(ctx context.Context, line string) (driver.Result, error)
		})
		if !ok {
			return errors.Join(errors.New("importer: driver has no CopyData"), stmt.Close())
		}
		buf := make([]byte, 0, copyChunk+8<<10)
		flush := func() error {
			if len(buf) == 0 {
				return nil
			}
			// CopyData ends the chunk with a newline itself.
			_, err := copier.CopyData(ctx, string(buf[:len(buf)-1]))
			buf = buf[:0]
			return err
		}
		err = fill(func(values []any) error {
			for i, v := range values {
				if i > 0 {
					buf = append(buf, '\t')
				}
				buf = appendCopyValue(buf, v)
			}
			buf = append(buf, '\n')
			if len(buf) >= copyChunk {
				return flush()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return errors.Join(err, stmt.Close())
		}
		// An Exec without values ends the COPY and reports any error PostgreSQL found; lib/pq's
		// COPY statement has no ExecContext.
		//lint:ignore SA1019 the only way to end lib/pq's COPY
		if _, err := stmt.Exec(nil); err != nil {
			return errors.Join(err, stmt.Close())
		}
		return stmt.Close()
	})
}

// copyChunk is how much rawCopy hands lib/pq at once: one write to the socket each.
const copyChunk = 256 << 10

// copyFrom is the COPY statement for a table and its columns, all names of our own schema.
func copyFrom(table string, columns []string) string {
	return "COPY " + table + " (" + strings.Join(columns, ", ") + ") FROM STDIN"
}

// appendCopyValue writes one value in COPY text format: \N for NULL, and backslash escapes for
// the characters that separate fields and rows.
func appendCopyValue(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, '\\', 'N')
	case string:
		for i := 0; i < len(x); i++ {
			switch c := x[i]; c {
			case '\\':
				buf = append(buf, '\\', '\\')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			default:
				buf = append(buf, c)
			}
		}
		return buf
	case int64:
		return strconv.AppendInt(buf, x, 10)
	case int:
		return strconv.AppendInt(buf, int64(x), 10)
	case bool:
		if x {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case time.Time:
		return x.AppendFormat(buf, "2006-01-02")
	}
	panic("importer: no COPY encoding for a value of this type")
}
