package importer_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"patuh/internal/apperr"
	"patuh/internal/db/dbtest"
	"patuh/internal/demo"
	"patuh/internal/flags"
	"patuh/internal/importer"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newImporter(t *testing.T) *importer.Importer {
	im, err := importer.New(dbtest.DB(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// load imports one file and runs the worker until it has nothing left to do.
func load(t *testing.T, im *importer.Importer, kind, name string, data []byte) *importer.Import {
	t.Helper()
	ctx := context.Background()
	imp, _, err := im.Create(ctx, 0, "test", kind, name, bytes.NewReader(data), nil)
	if err != nil {
		t.Fatalf("create %s: %v", kind, err)
	}
	if err := im.Drain(ctx); err != nil {
		t.Fatalf("drain %s: %v", kind, err)
	}
	imp, err = im.Get(ctx, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

func rowErrors(t *testing.T, im *importer.Importer, imp *importer.Import) []importer.RowError {
	t.Helper()
	errs, err := im.Errors(context.Background(), imp.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := dbtest.DB(t).Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSamplesImportCleanly(t *testing.T) {
	// The figures are over whole tables: a database of its own, whatever the other tests load.
	d := dbtest.Isolated(t)
	im, err := importer.New(d, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	count := func(t *testing.T, q string, args ...any) int {
		t.Helper()
		var n int
		if err := d.Get(&n, q, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	want := map[string]int{"employers": 300, "bpjs_employers": 244, "workers": 4593, "participants": 4253}
	for _, kind := range demo.SampleOrder {
		data, err := fs.ReadFile(demo.Samples, "samples/"+kind+".csv")
		if err != nil {
			t.Fatal(err)
		}
		imp := load(t, im, kind, kind+".csv", data)
		if imp.Status != "committed" || imp.RowsValid != want[kind] || imp.RowsInvalid != 0 {
			t.Fatalf("%s: %s, %d valid, %d invalid: %v", kind, imp.Status, imp.RowsValid, imp.RowsInvalid, rowErrors(t, im, imp))
		}
	}
	// 300 register employers plus the NPPs that match none of them.
	if n := count(t, `SELECT count(*) FROM employers WHERE NOT in_register`); n == 0 {
		t.Error("no NPP-only employers from the samples")
	}
	if n := count(t, `SELECT count(*) FROM employers e WHERE NOT EXISTS (SELECT 1 FROM employer_status s WHERE s.employer_id = e.id)`); n != 0 {
		t.Errorf("%d employers without computed flags", n)
	}
	// The figures scripts/check-sample-flags.py confirms rule by rule in plain Python.
	for code, want := range map[string]int{"PWBD": 64, "PDS_TK": 60, "PDS_UPAH": 22, "PDS_PROGRAM": 21, "MENUNGGAK": 18} {
		if n := count(t, `SELECT count(*) FROM employer_flags WHERE code = $1`, code); n != want {
			t.Errorf("%s: %d employers, want %d", code, n, want)
		}
	}
	if n := count(t, `SELECT count(*) FROM employer_status`); n != 303 {
		t.Errorf("%d employers, want 303", n)
	}
}

// TestRowErrors checks that each bad value is reported with its line, column, value and message,
// and that the valid rows of the same file are kept for review.
func TestRowErrors(t *testing.T) {
	im := newImporter(t)
	csv := "\xEF\xBB\xBFNIB;NPWP;Nama;alamat;kode_kelurahan;kbli;skala;jumlah_pekerja;catatan\r\n" +
		"2000000000001;;Baik;Jl. 1;3171011001;;kecil;4;x\r\n" + // plain region code, BOM, ; and CRLF
		"2000000000002;;Buruk Kelurahan;Jl. 2;31.71.99.1001;;kecil;4;\r\n" +
		"20000000003;;Buruk NIB;Jl. 3;31.71.01.1001;;kecil;4;\r\n" +
		"2000000000004;01.707.865.1-421.000;Buruk NPWP;Jl. 4;31.71.01.1001;;kecil;4;\r\n" +
		"2000000000005;;Buruk Skala;Jl. 5;31.71.01.1001;;sedang;-1;\r\n" +
		";;Tanpa Kunci;Jl. 6;31.71.01.1001;;mikro;1;\r\n" +
		"\"2000000000007\";;\"Kutip; Berkoma\";Jl. 7;31.71.01.1001;12345;besar;100;\r\n" +
		"2000000000001;;Baik Lagi;Jl. 1;31.71.01.1001;;kecil;5;\r\n"
	imp := load(t, im, "employers", "employers.csv", []byte(csv))
	if imp.Status != "needs_review" || imp.RowsTotal != 8 || imp.RowsValid != 3 || imp.RowsInvalid != 5 {
		t.Fatalf("status %s total %d valid %d invalid %d", imp.Status, imp.RowsTotal, imp.RowsValid, imp.RowsInvalid)
	}
	got := map[string]bool{}
	for _, e := range rowErrors(t, im, imp) {
		got[fmt.Sprintf("%d %s %s %s", e.Line, e.Column, e.Value, e.Message)] = true
	}
	for _, want := range []string{
		"1 catatan  import.warn.unknown_column",
		"3 kode_kelurahan 31.71.99.1001 import.err.region_unknown",
		"4 nib 20000000003 import.err.nib_format",
		"5 npwp 01.707.865.1-421.000 import.err.npwp_check",
		"6 skala sedang import.err.skala",
		"6 jumlah_pekerja -1 import.err.whole",
		"7 nib  import.err.nib_or_npwp",
		"2  line 9 import.warn.duplicate",
	} {
		if !got[want] {
			t.Errorf("missing %q in %v", want, got)
		}
	}
	// Nothing is applied before a person decides.
	if n := count(t, `SELECT count(*) FROM employers WHERE nib LIKE '200000000000%'`); n != 0 {
		t.Fatalf("%d employers visible before commit", n)
	}
	if _, err := im.Commit(context.Background(), imp.ID, 0, "test"); err != nil {
		t.Fatal(err)
	}
	if err := im.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := count(t, `SELECT count(*) FROM employers WHERE nib LIKE '200000000000%'`); n != 2 {
		t.Fatalf("%d employers after commit, want 2", n)
	}
	var name string
	if err := dbtest.DB(t).Get(&name, `SELECT nama FROM employers WHERE nib = '2000000000001'`); err != nil {
		t.Fatal(err)
	}
	if name != "Baik Lagi" {
		t.Errorf("the later duplicate row should win, got %q", name)
	}
	if err := dbtest.DB(t).Get(&name, `SELECT nama FROM employers WHERE nib = '2000000000007'`); err != nil {
		t.Fatal(err)
	}
	if name != "Kutip; Berkoma" {
		t.Errorf("quoted field: %q", name)
	}
}

func TestWholeFileRefusals(t *testing.T) {
	im := newImporter(t)
	cases := []struct {
		name, kind string
		data       string
		failure    string
		detail     string
	}{
		{"latin1.csv", "employers", "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2100000000001,Baik,31.71.01.1001,kecil,1\n2100000000002,Caf\xe9,31.71.01.1001,kecil,1\n",
			"import.file.not_utf8", "3"},
		{"missing.csv", "workers", "nib,nama,upah\n2100000000001,X,1\n", "import.file.missing_columns", "nik"},
		{"quotes.csv", "employers", "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2100000000001,\"Tanpa tutup,31.71.01.1001,kecil,1\n",
			"import.file.bad_quotes", "2"},
		{"header-only.csv", "employers", "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n", "import.file.no_rows", ""},
		{"renamed.xlsx", "employers", "PK\x03\x04 this is not really a zip", "import.file.not_xlsx", ""},
	}
	for _, c := range cases {
		imp := load(t, im, c.kind, c.name, []byte(c.data))
		if imp.Status != "failed" || imp.Failure != c.failure || imp.FailureDetail != c.detail {
			t.Errorf("%s: %s %q %q, want failed %q %q", c.name, imp.Status, imp.Failure, imp.FailureDetail, c.failure, c.detail)
		}
	}
	// An old .xls (OLE2) is refused at upload, by its content, whatever its name.
	_, _, err := im.Create(context.Background(), 0, "test", "employers", "data.xlsx",
		bytes.NewReader([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest")), nil)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.UnsupportedMedia || e.Message != "import.file.xls" {
		t.Errorf("xls: %v", err)
	}
}

func TestXLSXWithNumericNIKAndExcelDates(t *testing.T) {
	im := newImporter(t)
	load(t, im, "employers", "e.csv", []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2200000000001,Pabrik,31.71.01.1001,besar,3\n"))

	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	if err := f.SetSheetRow(sheet, "A1", &[]any{"NIB", "NIK", "Nama", "Upah", "mulai_bekerja"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow(sheet, "A2", &[]any{"2200000000001", "3171010101900001", "Teks", "Rp 6.000.000", 45701}); err != nil {
		t.Fatal(err)
	} // Excel date 13 Feb 2025
	if err := f.SetSheetRow(sheet, "A3", &[]any{"2200000000001", 3171010101900002, "Angka", 7000000, "13/02/2025"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	imp := load(t, im, "workers", "roster.xlsx", buf.Bytes())
	errs := rowErrors(t, im, imp)
	if imp.RowsTotal != 2 || imp.RowsValid != 1 || len(errs) != 1 || errs[0].Line != 3 || errs[0].Column != "nik" ||
		errs[0].Message != "import.err.excel_number" {
		t.Fatalf("xlsx: %+v %+v", imp, errs)
	}
	if _, err := im.Commit(context.Background(), imp.ID, 0, "test"); err != nil {
		t.Fatal(err)
	}
	if err := im.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	var started string
	var wage int64
	// The NIK may be on other tests' rosters too: this employer's worker.
	if err := dbtest.DB(t).QueryRow(`SELECT w.mulai_bekerja::text, w.upah FROM workers w JOIN employers e ON e.id = w.employer_id
		WHERE e.nib = '2200000000001' AND w.nik = '3171010101900001'`).Scan(&started, &wage); err != nil {
		t.Fatalf("the roster's worker: %v", err)
	}
	if started != "2025-02-13" || wage != 6000000 {
		t.Fatalf("excel date and money: %s %d", started, wage)
	}
}

func TestSameBytesReturnTheExistingImport(t *testing.T) {
	im := newImporter(t)
	data := []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2300000000001,Sekali,31.71.01.1001,kecil,1\n")
	first, created, err := im.Create(context.Background(), 0, "test", "employers", "a.csv", bytes.NewReader(data), nil)
	if err != nil || !created {
		t.Fatal(err)
	}
	again, created, err := im.Create(context.Background(), 0, "test", "employers", "renamed.csv", bytes.NewReader(data), nil)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("second upload: created %v id %d (first %d) %v", created, again.ID, first.ID, err)
	}
	// The same bytes as another kind are another import.
	other, created, _ := im.Create(context.Background(), 0, "test", "bpjs_employers", "a.csv", bytes.NewReader(data), nil)
	if !created || other.ID == first.ID {
		t.Fatal("the same bytes of another kind were merged")
	}
	if err := im.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestFailedCommitLeavesNothing(t *testing.T) {
	im := newImporter(t)
	before := count(t, `SELECT count(*) FROM employers`)
	auditBefore := count(t, `SELECT count(*) FROM audit_log`)
	im.FailCommitWith(errors.New("injected failure after every statement of the commit"))
	imp := load(t, im, "employers", "e.csv", []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2400000000001,Gagal,31.71.01.1001,besar,9\n"))
	im.FailCommitWith(nil)
	if imp.Status != "failed" || imp.Failure != "import.file.commit_failed" {
		t.Fatalf("status %s %s", imp.Status, imp.Failure)
	}
	if n := count(t, `SELECT count(*) FROM employers`); n != before {
		t.Fatalf("employers %d, before %d: a failed commit left rows", n, before)
	}
	if n := count(t, `SELECT count(*) FROM stage_employers WHERE import_id = $1`, imp.ID); n != 0 {
		t.Fatalf("%d staged rows left", n)
	}
	// Only the upload itself is in the audit log, not the commit.
	if n := count(t, `SELECT count(*) FROM audit_log`); n != auditBefore+1 {
		t.Fatalf("audit rows %d, want %d", n, auditBefore+1)
	}
}

// TestInterruptedValidationIsRetried stands for a server killed while validating: the import
// is left "validating" with rows staged; at the next start Recover queues it again from the
// stored file and nothing is applied twice.
func TestInterruptedValidationIsRetried(t *testing.T) {
	im := newImporter(t)
	data := []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2500000000001,Terputus,31.71.01.1001,kecil,2\n")
	imp, _, err := im.Create(context.Background(), 0, "test", "employers", "e.csv", bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A live worker is validating it: another leaves it alone (a restarting instance used to
	// queue again every import being validated).
	d := dbtest.DB(t)
	d.MustExec(`UPDATE imports SET status = 'validating', rows_processed = 1, lease_owner = 'alive',
		lease_until = now() + interval '1 minute' WHERE id = $1`, imp.ID)
	d.MustExec(`INSERT INTO stage_employers (import_id, line, nib, nama, alamat, kode_kelurahan, kbli, skala, jumlah_pekerja)
		VALUES ($1, 2, '2500000000001', 'half', '', '31.71.01.1001', '', 'kecil', 2)`, imp.ID)
	if err := im.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := im.Get(context.Background(), imp.ID); got.Status != "validating" || *got.LeaseOwner != "alive" ||
		count(t, `SELECT count(*) FROM stage_employers WHERE import_id = $1`, imp.ID) != 1 {
		t.Fatalf("a live lease was taken: %s by %v", got.Status, *got.LeaseOwner)
	}
	// That worker died: its lease runs out, and the import is validated again from its file.
	d.MustExec(`UPDATE imports SET lease_until = now() - interval '1 second' WHERE id = $1`, imp.ID)
	if err := im.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	imp, _ = im.Get(context.Background(), imp.ID)
	if imp.Status != "committed" || imp.Validations != 1 || imp.Commits != 1 ||
		count(t, `SELECT count(*) FROM employers WHERE nib = '2500000000001' AND nama = 'Terputus'`) != 1 {
		t.Fatalf("after the takeover: %s, validated %d, committed %d", imp.Status, imp.Validations, imp.Commits)
	}
}

func TestDiscardAppliesNothing(t *testing.T) {
	dbtest.Isolate(t) // the flag queue and the register are the whole tables, whatever ran before
	im := newImporter(t)
	imp := load(t, im, "employers", "e.csv", []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2600000000001,Buang,31.71.01.1001,kecil,2\nbad,X,31.71.01.1001,kecil,2\n"))
	if imp.Status != "needs_review" {
		t.Fatalf("status %s", imp.Status)
	}
	if _, err := im.Discard(context.Background(), imp.ID, 0, "test"); err != nil {
		t.Fatal(err)
	}
	if err := im.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if count(t, `SELECT count(*) FROM employers WHERE nib = '2600000000001'`) != 0 {
		t.Fatal("a discarded import was applied")
	}
	if _, err := im.Commit(context.Background(), imp.ID, 0, "test"); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("commit after discard: %v", err)
	}
}

func TestUploadStoredByHash(t *testing.T) {
	dir := t.TempDir()
	im, _ := importer.New(dbtest.DB(t), dir)
	imp, _, err := im.Create(context.Background(), 0, "test", "participants", "p.csv", strings.NewReader("npp,nik,upah,status\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, imp.SHA256+".csv")); err != nil {
		t.Fatal(err)
	}
	if err := im.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRosterRowMustNameAKnownEmployer(t *testing.T) {
	im := newImporter(t)
	load(t, im, "employers", "e.csv", []byte("nib,npwp,nama,kode_kelurahan,skala,jumlah_pekerja\n2800000000001,,Dikenal,31.71.01.1001,kecil,2\n,01.138.595.2-351.000,Dengan NPWP,31.71.01.1001,kecil,1\n"))
	imp := load(t, im, "workers", "w.csv", []byte("nib,npwp,nik,nama,upah\n"+
		"2800000000001,,3171010101900001,Ada,6000000\n"+
		",0011385952351000,3171010101900002,Lewat NPWP,6000000\n"+
		"2899999999999,,3171010101900003,Tak Dikenal,6000000\n"))
	errs := rowErrors(t, im, imp)
	if imp.RowsValid != 2 || len(errs) != 1 || errs[0].Line != 4 || errs[0].Column != "nib" || errs[0].Message != "import.err.employer_unknown" {
		t.Fatalf("valid %d, errors %+v", imp.RowsValid, errs)
	}
}

// zipOf builds an XLSX-shaped zip whose first sheet is sheet and, if given, shared strings.
func zipOf(t *testing.T, sheet, shared string) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	add("xl/workbook.xml", `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`)
	add("xl/worksheets/sheet1.xml", sheet)
	if shared != "" {
		add("xl/sharedStrings.xml", shared)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestHostileXLSX: a zip bomb (one cell or the shared strings decompressing to hundreds of
// megabytes) and a row of thousands of columns are refused as a whole, quickly and in little
// memory; nothing is staged.
func TestHostileXLSX(t *testing.T) {
	im := newImporter(t)
	header := `<row r="1">`
	for i, col := range []string{"nib", "nama", "kode_kelurahan", "skala", "jumlah_pekerja"} {
		header += `<c r="` + string(rune('A'+i)) + `1" t="inlineStr"><is><t>` + col + `</t></is></c>`
	}
	header += `</row>`
	cases := map[string]struct {
		data    []byte
		failure string
	}{
		"one huge cell": {zipOf(t, `<worksheet><sheetData>`+header+`<row r="2"><c r="A2" t="inlineStr"><is><t>`+
			strings.Repeat("9", 50<<20)+`</t></is></c></row></sheetData></worksheet>`, ""), "import.file.line_too_long"},
		"huge shared strings": {zipOf(t, `<worksheet><sheetData>`+header+`</sheetData></worksheet>`,
			`<sst><si><t>`+strings.Repeat("a", 300<<20)+`</t></si></sst>`), "import.file.line_too_long"},
		"too many columns": {zipOf(t, `<worksheet><sheetData>`+header+`<row r="2"><c r="ZZZ2"><v>1</v></c></row></sheetData></worksheet>`, ""),
			"import.file.too_many_columns"},
	}
	for name, c := range cases {
		var imp *importer.Import
		peak := peakHeapGrowth(func() { imp = load(t, im, "employers", name+".xlsx", c.data) })
		if imp.Status != "failed" || imp.Failure != c.failure {
			t.Errorf("%s (%d bytes zipped): %s %q, want failed %q", name, len(c.data), imp.Status, imp.Failure, c.failure)
		}
		if peak > 64<<20 {
			t.Errorf("%s: the heap peaked %d MB above where it started", name, peak>>20)
		}
	}
}

// peakHeapGrowth runs f and returns the most the heap's objects (live and not yet collected)
// exceeded their size before it, sampled every half millisecond: two snapshots would miss a
// buffer that a collection freed in between, or count garbage that none has freed yet.
func peakHeapGrowth(f func()) int64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() int64 { metrics.Read(sample); return int64(sample[0].Value.Uint64()) }
	base := read()
	done, peak := make(chan struct{}), make(chan int64)
	go func() {
		var most int64
		tick := time.NewTicker(500 * time.Microsecond)
		defer tick.Stop()
		for {
			most = max(most, read()-base)
			select {
			case <-done:
				peak <- max(most, read()-base)
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	return <-peak
}

// TestHugeCSVLine: a line over 1 MB is refused with its line number, never read whole.
func TestHugeCSVLine(t *testing.T) {
	im := newImporter(t)
	data := "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n2900000000001,Baik,31.71.01.1001,kecil,1\n2900000000002," +
		strings.Repeat("x", 3<<20) + ",31.71.01.1001,kecil,1\n"
	imp := load(t, im, "employers", "huge.csv", []byte(data))
	if imp.Status != "failed" || imp.Failure != "import.file.line_too_long" || imp.FailureDetail != "3" {
		t.Fatalf("huge line: %s %q %q", imp.Status, imp.Failure, imp.FailureDetail)
	}
}

// While people use the application, a large file's validation looks every 5,000 rows and gives
// way (it takes at least twice as long as the work), and its commit runs without parallel
// workers; alone, it runs at full speed with them.
func TestImportGivesWayWhenBusy(t *testing.T) {
	var csv bytes.Buffer
	csv.WriteString("npp,nik,nama,upah,status\n")
	for i := range 12000 {
		fmt.Fprintf(&csv, "Y%07d,317101%02d%02d%02d%04d,Peserta,6000000,aktif\n", i%50, 1+i%28, 1+(i/28)%12, 60+(i/336)%40, 1+i/13440)
	}
	for _, busy := range []bool{false, true} {
		im := newImporter(t)
		looks := 0
		im.Busy = func() bool { looks++; return busy }
		var workers string
		im.AtEndOfCommit(func(ctx context.Context, tx *sqlx.Tx, imp *importer.Import) error {
			return tx.GetContext(ctx, &workers, `SHOW max_parallel_workers_per_gather`)
		})
		data := append([]byte{}, csv.Bytes()...)
		if busy {
			data = append(data, "Y9999999,3171010101900001,Beda,6000000,aktif\n"...) // new bytes, new import
		}
		if imp := load(t, im, "participants", "busy.csv", data); imp.Status != "committed" {
			t.Fatalf("busy %v: status %s", busy, imp.Status)
		}
		want := map[bool]string{false: "2", true: "0"}[busy]
		if looks < 3 || workers != want {
			t.Errorf("busy %v: %d looks, commit with %s parallel workers; want ≥ 3 looks and %s", busy, looks, workers, want)
		}
	}
}

// TestPartitionedLoads: a workers or participants file loads into a table of its own that the
// commit attaches; a duplicate key is a warning and the later row wins; a roster file naming
// every employer of an older one drops that partition whole, one naming some takes their rows.
func TestPartitionedLoads(t *testing.T) {
	im := newImporter(t)
	load(t, im, "employers", "e.csv", []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n"+
		"2900000000001,Satu,31.71.01.1001,kecil,2\n2900000000002,Dua,31.71.01.1001,kecil,2\n"))
	// attached says which of these imports' tables are partitions of parent.
	attached := func(parent string, imports ...*importer.Import) (names []string) {
		for _, imp := range imports {
			name := fmt.Sprintf("%s_%d", parent, imp.ID)
			if count(t, `SELECT count(*) FROM pg_inherits WHERE inhparent = $1::regclass AND inhrelid = to_regclass($2)`, parent, name) == 1 {
				names = append(names, name)
			}
		}
		return names
	}
	rows := func(nik string) int {
		return count(t, `SELECT count(*) FROM workers w JOIN employers e ON e.id = w.employer_id WHERE e.nib LIKE '29000000000%' AND w.nik LIKE $1`, nik)
	}
	first := load(t, im, "workers", "w1.csv", []byte("nib,nik,nama,upah\n"+
		"2900000000001,3171010101950001,Lama,6000000\n"+
		"2900000000001,3171010101950001,Baru,6100000\n"+ // same employer and NIK: this one wins
		"2900000000002,3171010101950002,Dua,6000000\n"))
	if first.Status != "committed" || first.Warnings != 1 {
		t.Fatalf("first roster: %s with %d warnings", first.Status, first.Warnings)
	}
	if errs := rowErrors(t, im, first); len(errs) != 1 || errs[0].Line != 2 || errs[0].Value != "line 3" {
		t.Errorf("duplicate warning: %+v", errs)
	}
	var name string
	if err := dbtest.DB(t).Get(&name, `SELECT nama FROM workers WHERE nik = '3171010101950001'`); err != nil {
		t.Fatal(err)
	}
	if got := attached("workers", first); name != "Baru" || len(got) != 1 || rows("%") != 2 {
		t.Fatalf("after the first roster: %q wins, partitions %v, %d rows", name, got, rows("%"))
	}

	second := load(t, im, "workers", "w2.csv", []byte("nib,nik,nama,upah\n2900000000002,3171010101950003,Dua Baru,6000000\n"))
	if got := attached("workers", first, second); len(got) != 2 || rows("%") != 2 || rows("3171010101950002") != 0 {
		t.Fatalf("after replacing one roster: partitions %v, %d rows", got, rows("%"))
	}
	third := load(t, im, "workers", "w3.csv", []byte("nib,nik,nama,upah\n2900000000001,3171010101950004,Satu Baru,6000000\n"))
	// The first file has no employer left; the second keeps employer 2.
	if got := attached("workers", first, second, third); len(got) != 2 || count(t, `SELECT count(*) FROM pg_class WHERE relname = $1`,
		fmt.Sprintf("workers_%d", first.ID)) != 0 || rows("%") != 2 {
		t.Fatalf("after replacing the other roster: partitions %v", got)
	}

	snap := load(t, im, "participants", "p.csv", []byte("npp,nik,nama,upah,status\n"+
		"Z0000001,3171010101950001,A,6000000,nonaktif\nZ0000001,3171010101950001,A,6000000,aktif\n"))
	if snap.Status != "committed" || snap.Warnings != 1 || len(attached("participants", snap)) != 1 ||
		count(t, `SELECT count(*) FROM participants WHERE npp = 'Z0000001' AND status = 'aktif'`) != 1 ||
		count(t, `SELECT count(*) FROM latest_snapshots WHERE npp = 'Z0000001' AND import_id = $1`, snap.ID) != 1 {
		t.Fatalf("participants: %s, %d warnings", snap.Status, snap.Warnings)
	}
	// A file discarded after review leaves no table behind.
	review := load(t, im, "participants", "bad.csv", []byte("npp,nik,nama,upah,status\nZ0000002,3171010101950001,A,6000000,aktif\nZ0000002,1,B,1,aktif\n"))
	if _, err := im.Discard(context.Background(), review.ID, 0, "test"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, `SELECT count(*) FROM pg_class WHERE relname = $1`, fmt.Sprintf("participants_%d", review.ID)); n != 0 {
		t.Fatal("a discarded import's table is left")
	}
}

// TestRosterCheckedAgainstTheRegisterInForce: roster rows name employers by id as the register
// stood at validation; if the register changes before the commit, the file is checked again.
func TestRosterCheckedAgainstTheRegisterInForce(t *testing.T) {
	dbtest.Isolate(t) // counts roster rows of one NIB: no other test's roster
	im := newImporter(t)
	ctx := context.Background()
	load(t, im, "employers", "e.csv", []byte("npwp,nama,kode_kelurahan,skala,jumlah_pekerja\n01.138.595.2-351.000,Lama,31.71.01.1001,kecil,2\n"))
	// The NIB is not in the register yet: the rows fall back to the NPWP's employer.
	roster := load(t, im, "workers", "w.csv", []byte("nib,npwp,nik,nama,upah\n"+
		"2910000000001,0011385952351000,3171010101900001,A,6000000\n2910000000001,0011385952351000,3171010101900002,B,6000000\n"+
		"2910000000001,0011385952351000,1,C,1\n"))
	if roster.Status != "needs_review" {
		t.Fatalf("roster: %s", roster.Status)
	}
	// Now the register has an employer with that NIB: the rows name it.
	load(t, im, "employers", "e2.csv", []byte("nib,npwp,nama,kode_kelurahan,skala,jumlah_pekerja\n"+
		"2910000000001,01.138.595.2-351.000,Baru,31.71.01.1001,kecil,2\n"))
	if _, err := im.Commit(ctx, roster.ID, 0, "test"); err != nil {
		t.Fatal(err)
	}
	if err := im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	roster, _ = im.Get(ctx, roster.ID)
	if roster.Status != "needs_review" {
		t.Fatalf("after the register changed: %s, want checked again and waiting for review", roster.Status)
	}
	if _, err := im.Commit(ctx, roster.ID, 0, "test"); err != nil {
		t.Fatal(err)
	}
	if err := im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, `SELECT count(*) FROM workers w JOIN employers e ON e.id = w.employer_id WHERE e.nama = 'Baru'`); n != 2 {
		t.Fatalf("%d roster rows on the employer of the NIB, want 2", n)
	}
}

// TestFlagsFollowTheCommit: a commit queues the employers it touched and leaves their flags to
// the worker's next steps, batch by batch, then settles the import.
func TestFlagsFollowTheCommit(t *testing.T) {
	dbtest.Isolate(t) // the flag queue and the register are the whole tables, whatever ran before
	im := newImporter(t)
	ctx := context.Background()
	var queued, computed int
	im.AtEndOfCommit(func(ctx context.Context, tx *sqlx.Tx, imp *importer.Import) error {
		if err := tx.GetContext(ctx, &queued, `SELECT count(*) FROM flag_queue q JOIN employers e ON e.id = q.employer_id
			WHERE e.nib LIKE '29200000000%'`); err != nil {
			return err
		}
		return tx.GetContext(ctx, &computed, `SELECT count(*) FROM employer_status s JOIN employers e ON e.id = s.employer_id
			WHERE e.nib LIKE '29200000000%'`)
	})
	imp, _, err := im.Create(ctx, 0, "test", "employers", "e.csv", strings.NewReader("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n"+
		"2920000000001,Satu,31.71.01.1001,kecil,2\n2920000000002,Dua,31.71.01.1001,kecil,2\n2920000000003,Tiga,31.71.01.1001,kecil,2\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // validate, commit
		if _, err := im.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if queued != 3 || computed != 0 {
		t.Fatalf("in the commit: %d queued, %d computed; want 3 and 0", queued, computed)
	}
	// The flags' freshness as the API shows it: current only once the import is settled.
	fresh := func(want importer.FlagsStatus, done, left int) {
		t.Helper()
		got, err := im.Get(ctx, imp.ID)
		if err != nil {
			t.Fatal(err)
		}
		f, err := im.Freshness(ctx, got)
		if err != nil || f.Status != want || f.Done != done || f.Queued != left || (want == importer.FlagsCurrent) != (f.SettledAt != nil) {
			t.Fatalf("freshness %+v (%v), want %s %d/%d", f, err, want, done, left)
		}
	}
	fresh(importer.FlagsPending, 0, 3)
	for i, want := range []int{2, 1, 0} {
		n, err := flags.RecomputeQueued(ctx, dbtest.DB(t), im.Now(), 2)
		if err != nil || n != want {
			t.Fatalf("batch of %d, want %d (%v)", n, want, err)
		}
		if i == 0 {
			fresh(importer.FlagsComputing, 2, 1)
		}
	}
	fresh(importer.FlagsComputing, 3, 0)
	if n := count(t, `SELECT count(*) FROM employer_status s JOIN employers e ON e.id = s.employer_id WHERE e.nib LIKE '29200000000%'`); n != 3 {
		t.Fatalf("%d employers computed, want 3", n)
	}
	if imp, _ = im.Get(ctx, imp.ID); imp.SettledAt != nil {
		t.Fatal("settled before the worker's settle step")
	}
	if err := im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if imp, _ = im.Get(ctx, imp.ID); imp.SettledAt == nil ||
		count(t, `SELECT sum(employers) FROM employer_counts`) != count(t, `SELECT count(*) FROM employer_status`) {
		t.Fatalf("not settled, or counts not refreshed: %v", imp.SettledAt)
	}
	fresh(importer.FlagsCurrent, 3, 0)
}

// TestFlagsGiveWayWhenBusy: while people use the application, each batch of flags after a
// commit is followed by a rest twice its length.
func TestFlagsGiveWayWhenBusy(t *testing.T) {
	dbtest.Isolate(t) // the flag queue and the register are the whole tables, whatever ran before
	im := newImporter(t)
	ctx := context.Background()
	im.SetFlagBatch(2)
	busy := false
	im.Busy = func() bool { return busy }
	var rests []time.Duration
	im.OnRest(func(_ context.Context, d time.Duration) { rests = append(rests, d) })
	if _, _, err := im.Create(ctx, 0, "test", "employers", "e.csv", strings.NewReader("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n"+
		"2930000000001,Satu,31.71.01.1001,kecil,2\n2930000000002,Dua,31.71.01.1001,kecil,2\n2930000000003,Tiga,31.71.01.1001,kecil,2\n"), nil); err != nil {
		t.Fatal(err)
	}
	for _, b := range []bool{false, false, false, true} { // validate, commit, a batch idle, a batch busy
		busy = b
		if _, err := im.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(rests) != 1 || rests[0] <= 0 {
		t.Fatalf("rests %v, want one after the busy batch only", rests)
	}
	if n := count(t, `SELECT count(*) FROM flag_queue q JOIN employers e ON e.id = q.employer_id WHERE e.nib LIKE '29300000000%'`); n != 0 {
		t.Fatalf("%d employers left in the queue", n)
	}
	if err := im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}
