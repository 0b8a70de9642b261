package importer_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"patuh/internal/importer"
	"patuh/migrations"
)

// SQL spells the import states as literals. These tests hold every spelling to the Go
// constants, without a database: a state renamed on one side fails here, not as an import the
// worker never picks up again.

var (
	// status = 'x', i.status <> 'x', status IN ('x', 'y'), status NOT IN (…)
	statusIs   = regexp.MustCompile(`\b(?:\w+\.)?status\s*(?:=|<>|!=)\s*'([^']*)'`)
	statusIn   = regexp.MustCompile(`\b(?:\w+\.)?status\s+(?:NOT\s+)?IN\s*\(([^)]*)\)`)
	literal    = regexp.MustCompile(`'([^']*)'`)
	comment    = regexp.MustCompile(`--[^\n]*`)
	checkIn    = regexp.MustCompile(`CHECK\s*\(\s*status\s+IN\s*\(([^)]*)\)\s*\)`)
	otherTable = regexp.MustCompile(`^\s*CREATE\s+(?:TEMP\s+|UNLOGGED\s+)?TABLE\s+(\w+)`)
)

// statusLiterals are the states an SQL text compares imports.status with or sets it to.
func statusLiterals(sql string) []string {
	var out []string
	for _, m := range statusIs.FindAllStringSubmatch(sql, -1) {
		out = append(out, m[1])
	}
	for _, m := range statusIn.FindAllStringSubmatch(sql, -1) {
		for _, l := range literal.FindAllStringSubmatch(m[1], -1) {
			out = append(out, l[1])
		}
	}
	return out
}

func valid(s string) bool { return slices.Contains(importer.Statuses(), importer.Status(s)) }

// Statuses lists every constant of type Status, once.
func TestStatusesAreTheConstants(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var declared []importer.Status
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				v := s.(*ast.ValueSpec)
				if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Status" {
					continue
				}
				for _, e := range v.Values {
					lit, ok := e.(*ast.BasicLit)
					if !ok {
						t.Fatalf("a Status constant is not a literal: %T", e)
					}
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					declared = append(declared, importer.Status(s))
				}
			}
		}
	}
	got := importer.Statuses()
	if len(got) != len(slices.Compact(slices.Sorted(slices.Values(got)))) {
		t.Errorf("Statuses() repeats a state: %v", got)
	}
	slices.Sort(declared)
	if !slices.Equal(slices.Sorted(slices.Values(got)), declared) {
		t.Errorf("Statuses() %v, constants %v", got, declared)
	}
	got[0] = "changed"
	if importer.Statuses()[0] != importer.StatusQueued {
		t.Error("Statuses() hands out its own slice")
	}
}

// The imports.status CHECK, as the migrations leave it, admits exactly the states; every other
// statement of the migrations on imports (the queue's partial index, the live-bytes index, data
// fixes) names only states.
func TestMigrationStatusesAreTheConstants(t *testing.T) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	var check []string
	seen := 0
	for _, name := range names {
		raw, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(raw), "-- +goose Down")
		for _, stmt := range strings.Split(comment.ReplaceAllString(up, ""), ";") {
			if !regexp.MustCompile(`\bimports\b`).MatchString(stmt) {
				continue
			}
			// Another table's statuses (participants' aktif) are not the import's, even when it
			// references imports.
			if m := otherTable.FindStringSubmatch(stmt); m != nil && m[1] != "imports" {
				continue
			}
			if m := checkIn.FindStringSubmatch(stmt); m != nil {
				check = nil
				for _, l := range literal.FindAllStringSubmatch(m[1], -1) {
					check = append(check, l[1])
				}
			}
			for _, s := range statusLiterals(stmt) {
				seen++
				if !valid(s) {
					t.Errorf("%s: import status %q is not a Status constant", name, s)
				}
			}
		}
	}
	want := make([]string, 0, len(importer.Statuses()))
	for _, s := range importer.Statuses() {
		want = append(want, string(s))
	}
	slices.Sort(want)
	slices.Sort(check)
	if !slices.Equal(check, want) {
		t.Errorf("imports.status CHECK admits %v, want %v", check, want)
	}
	if seen < len(want) {
		t.Errorf("only %d status literals found in the migrations: the scan misses them", seen)
	}
}

// The package's queries (.sql files and SQL in Go strings) name only states.
func TestQueryStatusesAreTheConstants(t *testing.T) {
	files, err := filepath.Glob("*")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, f := range files {
		if ext := filepath.Ext(f); (ext != ".go" && ext != ".sql") || strings.HasSuffix(f, "_test.go") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range statusLiterals(string(raw)) {
			found[s] = true
			if !valid(s) {
				t.Errorf("%s: import status %q is not a Status constant", f, s)
			}
		}
	}
	// The worker's queries name at least the states it moves imports between.
	for _, s := range importer.Statuses() {
		if !found[string(s)] {
			t.Errorf("no query names %q: the scan misses the package's SQL", s)
		}
	}
}
