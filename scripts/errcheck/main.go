// Command errcheck runs github.com/kisielk/errcheck over the packages named on the command line
// (tests included) and fails on every unchecked error but one kind: a deferred Close of a handle
// that was only read (query rows, an uploaded part, a response body, a file opened with os.Open).
// Such a Close cannot lose data, and the read's own error is checked where it is read. Every other
// finding fails `make check`; there is no list of excused lines to grow.
package main

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"sort"

	"github.com/kisielk/errcheck/errcheck"
	"golang.org/x/tools/go/packages"
)

// readOnlyClosers are the Close methods, as errcheck names them, of handles that are only read.
var readOnlyClosers = map[string]bool{
	"(*database/sql.Rows).Close":                true,
	"(*github.com/jmoiron/sqlx.Rows).Close":     true,
	"(*mime/multipart.Part).Close":              true,
	"(mime/multipart.File).Close":               true,
	"(*archive/zip.ReadCloser).Close":           true,
	"(io.Closer).Close":                         true, // response bodies, zip entries, decompressors
	"(*github.com/xuri/excelize/v2.File).Close": true, // a workbook opened to be read
	// The importer's readers of a stored upload: a sheet's XML inside the zip, and the workbook.
	"(*patuh/internal/importer.xmlStream).Close":  true,
	"(*patuh/internal/importer.xlsxReader).Close": true,
}

func main() {
	paths := os.Args[1:]
	if len(paths) == 0 {
		paths = []string{"./..."}
	}
	// errcheck's own defaults, as its command line has them: writes that cannot fail (to a
	// bytes.Buffer, a hash, stderr) are not findings, and `v, _ := f()` is a discard written
	// out for a reviewer to see rather than one forgotten.
	checker := errcheck.Checker{Exclusions: errcheck.Exclusions{
		Symbols:          errcheck.DefaultExcludedSymbols,
		BlankAssignments: true,
		TypeAssertions:   true,
	}}
	pkgs, err := checker.LoadPackages(paths...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "errcheck:", err)
		os.Exit(2)
	}
	var findings []string
	seen := map[string]bool{}
	for _, pkg := range pkgs {
		if len(pkg.Errors) > 0 {
			packages.PrintErrors([]*packages.Package{pkg})
			os.Exit(2)
		}
		for _, e := range checker.CheckPackage(pkg).UncheckedErrors {
			if excused(pkg, e) {
				continue
			}
			line := fmt.Sprintf("%s:%d:%d: %s  (%s)", relative(e.Pos.Filename), e.Pos.Line, e.Pos.Column, e.Line, e.FuncName)
			if !seen[line] { // a package and its test variant report the same line
				seen[line] = true
				findings = append(findings, line)
			}
		}
	}
	sort.Strings(findings)
	for _, f := range findings {
		fmt.Println(f)
	}
	if len(findings) > 0 {
		fmt.Fprintf(os.Stderr, "errcheck: %d unchecked errors: return them with context, log them once, or t.Fatal in a test\n", len(findings))
		os.Exit(1)
	}
}

// excused reports whether e is a deferred Close of a read-only handle.
func excused(pkg *packages.Package, e errcheck.UncheckedError) bool {
	call, deferred := callAt(pkg, e.Pos)
	if call == nil || !deferred {
		return false
	}
	if readOnlyClosers[e.FuncName] {
		return true
	}
	return e.FuncName == "(*os.File).Close" && openedForReading(pkg, call)
}

// callAt finds the call errcheck reported at pos and whether it is the call of a defer statement.
func callAt(pkg *packages.Package, pos token.Position) (call *ast.CallExpr, deferred bool) {
	for _, file := range pkg.Syntax {
		if pkg.Fset.Position(file.Pos()).Filename != pos.Filename {
			continue
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if d, ok := n.(*ast.DeferStmt); ok && samePlace(pkg.Fset.Position(d.Call.Lparen), pos) {
				call, deferred = d.Call, true
			}
			return call == nil
		})
	}
	return call, deferred
}

func samePlace(a, b token.Position) bool { return a.Line == b.Line && a.Column == b.Column }

// openedForReading reports whether the receiver of `f.Close()` was assigned from os.Open, which
// opens read-only, and by nothing else.
func openedForReading(pkg *packages.Package, call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	recv, ok := sel.X.(*ast.Ident)
	if !ok {
		return false
	}
	obj := pkg.TypesInfo.Uses[recv]
	if obj == nil {
		return false
	}
	assigned, allOpen := false, true
	for _, file := range pkg.Syntax {
		ast.Inspect(file, func(n ast.Node) bool {
			assign, ok := n.(*ast.AssignStmt)
			if !ok {
				return true
			}
			for _, lhs := range assign.Lhs {
				if id, ok := lhs.(*ast.Ident); ok && (pkg.TypesInfo.Defs[id] == obj || pkg.TypesInfo.Uses[id] == obj) {
					assigned = true
					allOpen = allOpen && len(assign.Rhs) == 1 && isOsOpen(pkg.TypesInfo, assign.Rhs[0])
				}
			}
			return true
		})
	}
	return assigned && allOpen
}

func isOsOpen(info *types.Info, expr ast.Expr) bool {
	call, ok := expr.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	fn, ok := info.Uses[sel.Sel].(*types.Func)
	return ok && fn.Pkg() != nil && fn.Pkg().Path() == "os" && fn.Name() == "Open"
}

func relative(path string) string {
	if wd, err := os.Getwd(); err == nil && len(path) > len(wd) && path[:len(wd)] == wd {
		return path[len(wd)+1:]
	}
	return path
}
