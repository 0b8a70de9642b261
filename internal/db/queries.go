package db

import (
	"fmt"
	"strings"
)

// Queries are the named statements of a .sql file, each introduced by a "-- name: verb-noun"
// line, so SQL is reviewed as SQL and a missing name fails at start-up, not on first use.
type Queries map[string]string

// MustQueries parses text and panics if any of the expected names is missing; packages call it
// in a package-level var, so every test of the package checks it.
func MustQueries(text string, expected ...string) Queries {
	q := Queries{}
	var name string
	var b strings.Builder
	flush := func() {
		if name != "" {
			q[name] = strings.TrimSpace(b.String())
		}
		b.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
			flush()
			name = strings.TrimSpace(n)
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	flush()
	for _, e := range expected {
		if q[e] == "" {
			panic(fmt.Sprintf("db: query %q is missing", e))
		}
	}
	return q
}

// Statements splits a named query of several statements at the semicolons that end a line (our
// .sql files keep to that layout), dropping comment lines: lib/pq prepares a statement with
// parameters as one command, so they are run one by one.
func Statements(sql string) []string {
	var out []string
	var b strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if s := strings.TrimSpace(b.String()); s != ";" {
				out = append(out, s)
			}
			b.Reset()
		}
	}
	if s := strings.TrimSpace(b.String()); s != "" {
		out = append(out, s)
	}
	return out
}
