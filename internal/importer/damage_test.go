package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"patuh/internal/db/dbtest"
	"testing"
)

// A NIB that a spreadsheet wrote to CSV in scientific notation is told as spreadsheet damage,
// not as a wrong length.
func TestScientificNotationInCSV(t *testing.T) {
	im := newImporter(t)
	imp := load(t, im, "employers", "e.csv", []byte("nib,nama,kode_kelurahan,skala,jumlah_pekerja\n"+
		"1.52895E+12,Pabrik,31.71.01.1001,besar,3\n2200000000001,Toko,31.71.01.1001,kecil,2\n"))
	errs := rowErrors(t, im, imp)
	if len(errs) != 1 || errs[0].Column != "nib" || errs[0].Message != "import.err.excel_number" {
		t.Fatalf("errors: %+v", errs)
	}
}

// participantsCSV writes n participant rows with valid, random NIKs as text.
func participantsCSV(n int) []byte {
	rnd := rand.New(rand.NewSource(15))
	var b bytes.Buffer
	b.WriteString("npp,nik,kpj,nama,upah,status\n")
	for i := range n {
		nik := fmt.Sprintf("317101%02d%02d%02d%04d", 1+rnd.Intn(28), 1+rnd.Intn(12), rnd.Intn(100), 1+rnd.Intn(9999))
		fmt.Fprintf(&b, "12345678,%s,%011d,Pekerja %d,%d,aktif\n", nik, 10000000000+int64(i), i, 5000000+i*1000)
	}
	return b.Bytes()
}

// soffice converts in to format in dir with a profile of its own (several may run at once).
func soffice(t *testing.T, dir, in, format string) string {
	t.Helper()
	cmd := exec.Command("soffice", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless",
		"--convert-to", format, "--outdir", filepath.Join(dir, format), in)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice --convert-to %s: %v\n%s", format, err, out)
	}
	base := filepath.Base(in)
	return filepath.Join(dir, format, base[:len(base)-len(filepath.Ext(base))]+"."+format)
}

// TestSpreadsheetRoundedNIKsRefused: a participants CSV opened in LibreOffice (which reads the
// NIKs as numbers), saved as a workbook and exported to CSV again arrives with every NIK
// rounded to 15 significant digits. It is refused whole, even where the import would have
// committed a file with every row invalid; the original file commits.
func TestSpreadsheetRoundedNIKsRefused(t *testing.T) {
	if _, err := exec.LookPath("soffice"); err != nil {
		if os.Getenv("PATUH_REQUIRE_BROWSER") == "1" {
			t.Fatal("soffice is required (PATUH_REQUIRE_BROWSER=1) but not installed: apt-get install -y libreoffice-calc-nogui")
		}
		t.Skip("soffice not installed (apt-get install libreoffice-calc-nogui)")
	}
	dbtest.Isolate(t) // counts participants: no other test's snapshot
	dir := t.TempDir()
	original := participantsCSV(80)
	src := filepath.Join(dir, "peserta.csv")
	if err := os.WriteFile(src, original, 0o600); err != nil {
		t.Fatal(err)
	}
	xlsx := soffice(t, dir, src, "xlsx")
	damaged, err := os.ReadFile(soffice(t, dir, xlsx, "csv"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(damaged, original) || !bytes.Contains(damaged, []byte("0,1")) {
		t.Fatalf("LibreOffice did not round the NIKs:\n%s", damaged[:300])
	}

	im := newImporter(t)
	ctx := context.Background()
	all := 1.0
	imp, _, err := im.Create(ctx, 0, "test", "participants", "peserta.csv", bytes.NewReader(damaged), &all)
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	imp, _ = im.Get(ctx, imp.ID)
	if imp.Status != "failed" || imp.Failure != "import.file.spreadsheet_rounded" || imp.FailureDetail != "nik" {
		t.Fatalf("damaged file: %s %q %q", imp.Status, imp.Failure, imp.FailureDetail)
	}
	if n := count(t, `SELECT count(*) FROM participants`); n != 0 {
		t.Fatalf("%d participants applied from a damaged file", n)
	}

	ok := load(t, im, "participants", "peserta-asli.csv", original)
	if ok.Status != "committed" || ok.RowsValid != 80 {
		t.Fatalf("original file: %s, %d valid: %v", ok.Status, ok.RowsValid, rowErrors(t, im, ok))
	}
}
