package flags_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"patuh/internal/flags"
	"patuh/migrations"
)

// SQL spells the flag codes as literals. These tests hold every spelling to the Go constants,
// without a database: a code renamed or mistyped on one side fails here, not as an employer
// that silently never carries the flag.

// sqlList reads "'A', 'B'" as codes.
func sqlList(s string) []flags.Code {
	var out []flags.Code
	for _, m := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(s, -1) {
		out = append(out, flags.Code(m[1]))
	}
	return out
}

func sameSet(a, b []flags.Code) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestCodesAccessorIsACopy(t *testing.T) {
	c := flags.Codes()
	c[0] = "CHANGED"
	if got := flags.Codes()[0]; got != flags.PWBD {
		t.Fatalf("Codes()[0] = %q after a caller changed its copy", got)
	}
	for _, code := range flags.Codes() {
		if !code.Valid() {
			t.Errorf("%s not Valid", code)
		}
	}
	if flags.Code("PDS").Valid() || flags.Code("pwbd").Valid() {
		t.Error("a code outside the five is Valid")
	}
}

func TestCodesSQLIsCodes(t *testing.T) {
	if !strings.HasPrefix(flags.CodesSQL, "ARRAY[") || !slices.Equal(sqlList(flags.CodesSQL), flags.Codes()) {
		t.Fatalf("CodesSQL %s, want the array of %v", flags.CodesSQL, flags.Codes())
	}
}

// flags.sql writes each code with one or more rules and counts each of them; every capitalised
// literal in it is a code or a programme name.
func TestFlagsSQLWritesExactlyTheCodes(t *testing.T) {
	raw, err := os.ReadFile("flags.sql")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	var written []flags.Code
	for _, m := range regexp.MustCompile(`INSERT INTO flag_new [^;]*?SELECT f\.id, '([^']*)'`).FindAllStringSubmatch(text, -1) {
		written = append(written, flags.Code(m[1]))
	}
	if !sameSet(slices.Compact(slices.Sorted(slices.Values(written))), flags.Codes()) {
		t.Errorf("flags.sql rules write %v, want each of %v", written, flags.Codes())
	}
	// employer_counts has a column per code, in the spec's order (migration 00004).
	var counted []flags.Code
	for _, m := range regexp.MustCompile(`'([^']*)' = ANY \(flag_codes\)`).FindAllStringSubmatch(text, -1) {
		counted = append(counted, flags.Code(m[1]))
	}
	if !slices.Equal(counted, flags.Codes()) {
		t.Errorf("refresh-counts counts %v, want %v in that order", counted, flags.Codes())
	}
	programmes := []string{"JKK", "JKM", "JHT", "JP", "JKP"}
	for _, m := range regexp.MustCompile(`'([A-Z][A-Z_]*)'`).FindAllStringSubmatch(text, -1) {
		if !flags.Code(m[1]).Valid() && !slices.Contains(programmes, m[1]) {
			t.Errorf("flags.sql: literal %q is neither a flag code nor a programme", m[1])
		}
	}
}

// The CHECK on employer_flags.code, as the migrations leave it, admits exactly the codes.
func TestMigrationCheckIsTheCodes(t *testing.T) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	create := regexp.MustCompile(`(?s)CREATE TABLE employer_flags \((.*?)\n\);`)
	alter := regexp.MustCompile(`(?s)ALTER TABLE employer_flags[^;]*CHECK \(code IN \(([^)]*)\)\)`)
	check := regexp.MustCompile(`CHECK \(code IN \(([^)]*)\)\)`)
	var last []flags.Code
	for _, name := range names {
		raw, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(raw), "-- +goose Down")
		if m := create.FindStringSubmatch(up); m != nil {
			if c := check.FindStringSubmatch(m[1]); c != nil {
				last = sqlList(c[1])
			}
		}
		for _, m := range alter.FindAllStringSubmatch(up, -1) {
			last = sqlList(m[1])
		}
	}
	if !sameSet(last, flags.Codes()) {
		t.Fatalf("employer_flags.code CHECK admits %v, want %v", last, flags.Codes())
	}
}

// Elsewhere (SQL in Go strings, other .sql files, validation tags, links in pages; not tests)
// a literal that reads like a code is one, and a list of the codes is all of them in order.
func TestCodeLiteralsAcrossTheRepository(t *testing.T) {
	like := regexp.MustCompile(`'((?:PWBD|PDS|MENUNGGAK)[A-Z_]*)'|[?&]flag=([A-Z_]+)`)
	array := regexp.MustCompile(`ARRAY\[('(?:PWBD|PDS|MENUNGGAK)[^\]]*)\]`)
	oneof := regexp.MustCompile(`oneof=([A-Z_ ]*(?:PWBD|PDS_|MENUNGGAK)[A-Z_ ]*)`)
	alias := regexp.MustCompile(`'([A-Z_]+)' = ANY \((?:\w+\.)?flag_codes\)\) AS (\w+)`)
	seen := 0
	for _, dir := range []string{"internal", "cmd", "migrations", "templates"} {
		err := filepath.WalkDir(filepath.Join("..", "..", dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			// Tests may spell a wrong code on purpose (a refused filter).
			if ext := filepath.Ext(path); ext != ".go" && ext != ".sql" && ext != ".html" || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			text := string(raw)
			for _, m := range like.FindAllStringSubmatch(text, -1) {
				seen++
				if code := flags.Code(m[1] + m[2]); !code.Valid() {
					t.Errorf("%s: %q is not a flag code", path, code)
				}
			}
			for _, m := range array.FindAllStringSubmatch(text, -1) {
				if got := sqlList(m[1]); !slices.Equal(got, flags.Codes()) {
					t.Errorf("%s: ARRAY%v, want %v", path, got, flags.Codes())
				}
			}
			for _, m := range oneof.FindAllStringSubmatch(text, -1) {
				var got []flags.Code
				for _, f := range strings.Fields(m[1]) {
					got = append(got, flags.Code(f))
				}
				if !sameSet(got, flags.Codes()) {
					t.Errorf("%s: oneof=%s, want the codes %v", path, m[1], flags.Codes())
				}
			}
			for _, m := range alias.FindAllStringSubmatch(text, -1) {
				if strings.ToLower(m[1]) != m[2] {
					t.Errorf("%s: %s counted as %s", path, m[1], m[2])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if seen == 0 {
		t.Fatal("no code literal found: the walk read nothing")
	}
}
