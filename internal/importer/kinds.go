package importer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind describes one of the four files of data-exchange.md: its columns, how a row becomes a
// staging row, and its staging table.
type Kind struct {
	Name    string
	columns []string // every known column
	// required columns must be present in the header.
	required []string
	// stage is the staging table, or for a partitioned kind the parent table: its file loads
	// into a table of its own (see table) that the commit attaches.
	stage       string
	partitioned bool
	// primaryKey is the parent's, in its order, for a partitioned kind.
	primaryKey string
	// key is what a later row of the same file replaces an earlier one by.
	key string
	// stageCols are the staging table's columns after import_id and line.
	stageCols []string
	parse     func(r *row) []any
}

// KindNames are the four files an agency sends (docs/data-exchange.md), in the order they are loaded.
func KindNames() []string { return []string{"employers", "bpjs_employers", "workers", "participants"} }

// kinds describes each file; unexported and never written after init, so no caller can change
// how another's import is read.
var kinds = map[string]*Kind{
	"employers": {
		Name:      "employers",
		columns:   []string{"nib", "npwp", "nama", "alamat", "kode_kelurahan", "kbli", "skala", "jumlah_pekerja"},
		required:  []string{"nama", "kode_kelurahan", "skala", "jumlah_pekerja"},
		stage:     "stage_employers",
		key:       "coalesce(nib, 'npwp:' || npwp)",
		stageCols: []string{"nib", "npwp", "nama", "alamat", "kode_kelurahan", "kbli", "skala", "jumlah_pekerja"},
		parse: func(r *row) []any {
			nib, npwp := r.employerKey()
			return []any{nib, npwp, r.text("nama", true), r.text("alamat", false), r.region("kode_kelurahan", true),
				orDefault(r.parsed("kbli", false, ParseKBLI), ""), r.parsed("skala", true, ParseSkala), r.whole("jumlah_pekerja", true)}
		},
	},
	"workers": {
		Name:        "workers",
		columns:     []string{"nib", "npwp", "nik", "nama", "upah", "mulai_bekerja"},
		required:    []string{"nik", "nama", "upah"},
		stage:       "workers",
		partitioned: true,
		primaryKey:  "employer_id, nik, import_id",
		key:         "employer_id, nik",
		stageCols:   []string{"employer_id", "nik", "nama", "upah", "mulai_bekerja"},
		parse: func(r *row) []any {
			nib, npwp := r.employerKey()
			return []any{r.employerID(nib, npwp), r.ident("nik", true, ParseNIK), r.text("nama", true), r.money("upah", true), r.date("mulai_bekerja")}
		},
	},
	"bpjs_employers": {
		Name:      "bpjs_employers",
		columns:   []string{"npp", "nib", "npwp", "nama", "kode_kelurahan", "jkk", "jkm", "jht", "jp", "jkp", "tunggakan_bulan", "tunggakan_rp"},
		required:  []string{"npp", "nama"},
		stage:     "stage_bpjs_employers",
		key:       "npp",
		stageCols: []string{"npp", "nib", "npwp", "nama", "kode_kelurahan", "jkk", "jkm", "jht", "jp", "jkp", "tunggakan_bulan", "tunggakan_rp"},
		parse: func(r *row) []any {
			npp := r.ident("npp", true, ParseNPP)
			nib, npwp := r.employerKey()
			months := r.whole("tunggakan_bulan", false)
			amount := r.money("tunggakan_rp", false)
			return []any{npp, nib, npwp, r.text("nama", true), r.region("kode_kelurahan", false),
				r.yesNo("jkk"), r.yesNo("jkm"), r.yesNo("jht"), r.yesNo("jp"), r.yesNo("jkp"), orDefault(months, 0), orDefault(amount, 0)}
		},
	},
	"participants": {
		Name:        "participants",
		columns:     []string{"npp", "nik", "kpj", "nama", "upah", "status", "tanggal_kepesertaan"},
		required:    []string{"npp", "nik", "upah", "status"},
		stage:       "participants",
		partitioned: true,
		primaryKey:  "npp, import_id, nik",
		key:         "npp, nik",
		stageCols:   []string{"npp", "nik", "kpj", "nama", "upah", "status", "tanggal_kepesertaan"},
		parse: func(r *row) []any {
			return []any{r.ident("npp", true, ParseNPP), r.ident("nik", true, ParseNIK), r.ident("kpj", false, ParseKPJ),
				r.text("nama", false), r.money("upah", true), r.parsed("status", true, ParseStatus), r.date("tanggal_kepesertaan")}
		},
	},
}

// table is where an import's valid rows wait for its commit: the staging table, or for a
// partitioned kind the import's own table, named for the parent and the import.
func (k *Kind) table(importID int64) string {
	if k.partitioned {
		return fmt.Sprintf("%s_%d", k.stage, importID)
	}
	return k.stage
}

// orDefault stands in for an optional value left empty.
func orDefault(v, def any) any {
	if v == nil {
		return def
	}
	return v
}

// rowError is one problem with one value.
type rowError struct {
	Line    int
	Column  string
	Value   string
	Message string
}

// row gives the parse functions the cells of one line by column name and collects errors.
type row struct {
	line    int
	cells   []Cell
	index   map[string]int
	regions map[string]bool
	// employers holds the register's keys, for rows that must name an employer.
	employers *employerKeys
	errs      []rowError
}

func (r *row) cell(col string) Cell {
	if i, ok := r.index[col]; ok && i < len(r.cells) {
		c := r.cells[i]
		c.Text = strings.TrimSpace(c.Text)
		return c
	}
	return Cell{}
}

func (r *row) fail(col, value, msg string) {
	r.errs = append(r.errs, rowError{r.line, col, value, msg})
}

func (r *row) missing(col string, required bool) bool {
	if r.cell(col).Text != "" {
		return false
	}
	if required {
		r.fail(col, "", "import.err.required")
	}
	return true
}

func (r *row) text(col string, required bool) any {
	if r.missing(col, required) {
		if required {
			return nil
		}
		return ""
	}
	return r.cell(col).Text
}

// parsed runs a text parser; an empty optional value stays NULL.
func (r *row) parsed(col string, required bool, parse func(string) (string, string)) any {
	if r.missing(col, required) {
		return nil
	}
	c := r.cell(col)
	v, msg := parse(c.Text)
	if msg != "" {
		r.fail(col, c.Text, msg)
		return nil
	}
	return v
}

// ident is parsed for identifiers, which an Excel number cell, or a number a spreadsheet wrote
// to CSV in scientific notation, has already damaged.
func (r *row) ident(col string, required bool, parse func(string) (string, string)) any {
	if c := r.cell(col); c.Number || scientific(c.Text) {
		r.fail(col, c.Text, "import.err.excel_number")
		return nil
	}
	return r.parsed(col, required, parse)
}

func (r *row) region(col string, required bool) any {
	v := r.parsed(col, required, ParseRegionCode)
	if v == nil {
		return nil
	}
	if !r.regions[v.(string)] {
		r.fail(col, r.cell(col).Text, "import.err.region_unknown")
		return nil
	}
	return v
}

// employerKey reads nib and npwp, at least one of which must name the employer.
func (r *row) employerKey() (any, any) {
	nib := r.ident("nib", false, ParseNIB)
	npwp := r.ident("npwp", false, ParseNPWP)
	if r.cell("nib").Text == "" && r.cell("npwp").Text == "" {
		r.fail("nib", "", "import.err.nib_or_npwp")
	}
	return nib, npwp
}

// employerID is the employer a valid NIB, else NPWP, names; a row naming none is refused.
func (r *row) employerID(nib, npwp any) any {
	if len(r.errs) > 0 || (nib == nil && npwp == nil) {
		return nil
	}
	if nib != nil {
		if id, ok := r.employers.nib[digitsKey(nib.(string))]; ok {
			return id
		}
	}
	if npwp != nil {
		if id, ok := r.employers.npwp[digitsKey(npwp.(string))]; ok {
			return id
		}
	}
	col, value := "nib", r.cell("nib").Text
	if nib == nil {
		col, value = "npwp", r.cell("npwp").Text
	}
	r.fail(col, value, "import.err.employer_unknown")
	return nil
}

func (r *row) money(col string, required bool) any {
	if r.missing(col, required) {
		return nil
	}
	c := r.cell(col)
	if c.Number {
		f, err := strconv.ParseFloat(c.Text, 64)
		if err != nil || f < 0 || f != math.Trunc(f) || f > 1e15 {
			r.fail(col, c.Text, "import.err.money")
			return nil
		}
		return int64(f)
	}
	v, msg := ParseMoney(c.Text)
	if msg != "" {
		r.fail(col, c.Text, msg)
		return nil
	}
	return v
}

func (r *row) whole(col string, required bool) any {
	if r.missing(col, required) {
		return nil
	}
	c := r.cell(col)
	text := c.Text
	if c.Number {
		if f, err := strconv.ParseFloat(text, 64); err == nil && f == math.Trunc(f) && f >= 0 && f < 1e9 {
			text = strconv.FormatInt(int64(f), 10)
		}
	}
	v, msg := ParseWhole(text)
	if msg != "" {
		r.fail(col, c.Text, msg)
		return nil
	}
	return v
}

func (r *row) date(col string) any {
	if r.missing(col, false) {
		return nil
	}
	c := r.cell(col)
	if isoDate(c.Text) {
		return c.Text // already as PostgreSQL reads it (millions of rows: no parse and format)
	}
	var t time.Time
	var msg string
	if f, err := strconv.ParseFloat(c.Text, 64); c.Number && err == nil {
		t, msg = excelDate(f)
	} else {
		t, msg = ParseDate(c.Text)
	}
	if msg != "" {
		r.fail(col, c.Text, msg)
		return nil
	}
	return t.Format("2006-01-02")
}

// isoDate says whether s is a valid date between 1900 and 2100 written YYYY-MM-DD.
func isoDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	y, m, d := digits(s[0:4]), digits(s[5:7]), digits(s[8:10])
	if y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// digits is the value of a run of ASCII digits, or -1.
func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func (r *row) yesNo(col string) any {
	c := r.cell(col)
	v, msg := ParseYesNo(c.Text)
	if msg != "" {
		r.fail(col, c.Text, msg)
		return false
	}
	return v
}
