package flags_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"patuh/internal/db/dbtest"
	"patuh/internal/flags"
	"patuh/internal/importer"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// On 1 June 2025: UMP 5,396,761; JKK 0.24%, JKM 0.30%, JHT 5.70%, JP 3.00% capped at 10,547,400.
var june2025 = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func load(t *testing.T, im *importer.Importer, kind, csv string) {
	t.Helper()
	ctx := context.Background()
	imp, _, err := im.Create(ctx, 0, "test", kind, kind+".csv", strings.NewReader(csv), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if imp, err = im.Get(ctx, imp.ID); err != nil {
		t.Fatal(err)
	}
	if imp.Status != "committed" {
		errs, _ := im.Errors(ctx, imp.ID, 10)
		t.Fatalf("%s import %s: %+v %s", kind, imp.Status, errs, imp.Failure)
	}
}

// flagsOf returns the flags of the employer with this NIB (or NPWP) as code -> workers/shortfall.
func flagsOf(t *testing.T, key string) (map[string][2]int64, int64) {
	t.Helper()
	d := dbtest.DB(t)
	var rows []flags.Flag
	if err := d.Select(&rows, `SELECT f.employer_id, f.code, f.workers, f.shortfall_rp, f.detail FROM employer_flags f
		JOIN employers e ON e.id = f.employer_id WHERE e.nib = $1 OR (e.nib IS NULL AND e.npwp = $1)`, key); err != nil {
		t.Fatal(err)
	}
	out := map[string][2]int64{}
	for _, f := range rows {
		out[string(f.Code)] = [2]int64{int64(f.Workers), f.ShortfallRp}
	}
	var total int64
	if err := d.Get(&total, `SELECT s.shortfall_rp FROM employer_status s JOIN employers e ON e.id = s.employer_id
		WHERE e.nib = $1 OR (e.nib IS NULL AND e.npwp = $1)`, key); err != nil {
		t.Fatalf("%s: status: %v", key, err)
	}
	return out, total
}

func expect(t *testing.T, key string, want map[string][2]int64, wantTotal int64) {
	t.Helper()
	got, total := flagsOf(t, key)
	if len(got) != len(want) {
		t.Errorf("%s: flags %v, want %v", key, got, want)
	}
	for code, w := range want {
		if got[code] != w {
			t.Errorf("%s %s: workers/shortfall %v, want %v", key, code, got[code], w)
		}
	}
	if total != wantTotal {
		t.Errorf("%s: total shortfall %d, want %d", key, total, wantTotal)
	}
}

const employersCSV = `nib,npwp,nama,alamat,kode_kelurahan,kbli,skala,jumlah_pekerja
1000000000001,,A Tanpa NPP,Jl. A,31.71.01.1001,,besar,3
1000000000002,,B Kecil,Jl. B,31.71.01.1001,,kecil,5
1000000000003,,C Besar,Jl. C,31.71.01.1001,,besar,10
1000000000004,,D Menengah,Jl. D,31.75.01.1001,,menengah,2
1000000000006,,F Mikro Kosong,Jl. F,31.75.01.1001,,mikro,0
`

const bpjsCSV = `npp,nib,npwp,nama,kode_kelurahan,jkk,jkm,jht,jp,jkp,tunggakan_bulan,tunggakan_rp
B0000002,1000000000002,,B Kecil,31.71.01.1001,Y,Y,Y,N,Y,0,0
C0000003,1000000000003,,C Besar,31.71.01.1001,Y,Y,Y,Y,Y,0,0
D0000004,1000000000004,,D Menengah,31.75.01.1001,Y,Y,N,N,N,3,3000000
E0000005,,01.707.865.0-421.000,E Hanya BPJS,,Y,N,N,N,N,,
`

const workersCSV = `nib,npwp,nik,nama,upah,mulai_bekerja
1000000000002,,3171010101900001,B Satu,6000000,2020-01-01
1000000000002,,3171010101900002,B Dua,4000000,2020-01-01
1000000000004,,3171010101900011,D Satu,8000000,2020-01-01
1000000000004,,3171010101900012,D Dua,12000000,2020-01-01
`

const participantsCSV = `npp,nik,kpj,nama,upah,status,tanggal_kepesertaan
B0000002,3171010101900001,,B Satu,6000000,aktif,2020-02-01
B0000002,3171010101900003,,B Tiga,3000000,aktif,2020-02-01
C0000003,3171010101900021,,C1,12000000,aktif,2020-02-01
C0000003,3171010101900022,,C2,4000000,aktif,2020-02-01
C0000003,3171010101900023,,C3,6000000,aktif,2020-02-01
C0000003,3171010101900024,,C4,6000000,aktif,2020-02-01
C0000003,3171010101900025,,C5,6000000,nonaktif,2020-02-01
D0000004,3171010101900011,,D Satu,7000000,aktif,2020-02-01
D0000004,3171010101900012,,D Dua,12000000,aktif,2020-02-01
`

func TestFlagRulesOnHandMadeCases(t *testing.T) {
	dbtest.Isolate(t) // the rules read the whole database: no other test's data
	im, err := importer.New(dbtest.DB(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	im.Now = func() time.Time { return june2025 }
	load(t, im, "employers", employersCSV)
	load(t, im, "bpjs_employers", bpjsCSV)
	load(t, im, "workers", workersCSV)
	load(t, im, "participants", participantsCSV)

	// A: besar, 3 reported, no NPP: PWBD, 3 × 5,396,761 × 9.24% = 1,495,982.1492.
	expect(t, "1000000000001", map[string][2]int64{"PWBD": {3, 1495982}}, 1495982)

	// B: kecil (JKK+JKM+JHT = 6.24%), roster of 2, one active: PDS_TK 4,000,000 × 6.24% = 249,600.
	// Its participant B Tiga (not on the roster) earns 3,000,000 < UMP, but the UMP does not
	// bind a kecil employer, so no PDS_UPAH. JP is not mandatory for kecil: no PDS_PROGRAM.
	expect(t, "1000000000002", map[string][2]int64{"PDS_TK": {1, 249600}}, 249600)

	// C: besar, 10 reported, no roster, 4 active (C5 is nonaktif):
	// PDS_TK (10 − 4) × 5,396,761 × 9.24% = 2,991,964.2984;
	// PDS_UPAH C2 at 4,000,000 < UMP: (5,396,761 − 4,000,000) × 9.24% = 129,060.7164.
	expect(t, "1000000000003", map[string][2]int64{"PDS_TK": {6, 2991964}, "PDS_UPAH": {1, 129060}}, 2991964+129060)

	// D: menengah with only JKK+JKM, roster 2 both active.
	// PDS_UPAH D Satu paid 8,000,000, reported 7,000,000: 1,000,000 × 9.24% = 92,400.
	// PDS_PROGRAM missing JHT and JP: 7,000,000 × 8.70% = 609,000, and
	// 12,000,000 × 5.70% + 10,547,400 (JP cap) × 3% = 684,000 + 316,422; in all 1,609,422.
	// MENUNGGAK 3,000,000 over 3 months = 1,000,000 a month.
	expect(t, "1000000000004", map[string][2]int64{"PDS_UPAH": {1, 92400}, "PDS_PROGRAM": {2, 1609422}, "MENUNGGAK": {0, 1000000}},
		92400+1609422+1000000)

	// E: an NPP that links to no employer becomes one, absent from the register. Its scale is
	// unknown, so only JKK and JKM count as mandatory: JKM is missing, on no participant.
	expect(t, "0017078650421000", map[string][2]int64{"PDS_PROGRAM": {0, 0}}, 0)
	var inRegister bool
	if err := dbtest.DB(t).Get(&inRegister, `SELECT in_register FROM employers WHERE npwp = '0017078650421000'`); err != nil {
		t.Fatal(err)
	}
	if inRegister {
		t.Error("the NPP-only employer is marked as in the register")
	}

	// F: no workers at all and no NPP: compliant.
	expect(t, "1000000000006", map[string][2]int64{}, 0)

	// The evidence behind the flags names the same workers.
	var bID, dID int64
	if err := dbtest.DB(t).Get(&bID, `SELECT id FROM employers WHERE nib = '1000000000002'`); err != nil {
		t.Fatal(err)
	}
	if err := dbtest.DB(t).Get(&dID, `SELECT id FROM employers WHERE nib = '1000000000004'`); err != nil {
		t.Fatal(err)
	}
	un, err := flags.Unenrolled(context.Background(), dbtest.DB(t), bID)
	if err != nil {
		t.Fatal(err)
	}
	if len(un) != 1 || un[0].NIK != "3171010101900002" {
		t.Errorf("unenrolled of B: %+v", un)
	}
	under, err := flags.Underreported(context.Background(), dbtest.DB(t), dID, june2025)
	if err != nil {
		t.Fatal(err)
	}
	if len(under) != 1 || under[0].UpahPaid != 8000000 || under[0].UpahReported != 7000000 {
		t.Errorf("underreported of D: %+v", under)
	}

	t.Run("a roster file replaces only the rosters it names", func(t *testing.T) {
		load(t, im, "workers", "nib,nik,nama,upah\n1000000000002,3171010101900001,B Satu,6000000\n")
		var b, d int
		if err := dbtest.DB(t).Get(&b, `SELECT count(*) FROM workers WHERE employer_id = $1`, bID); err != nil {
			t.Fatal(err)
		}
		if err := dbtest.DB(t).Get(&d, `SELECT count(*) FROM workers WHERE employer_id = $1`, dID); err != nil {
			t.Fatal(err)
		}
		if b != 1 || d != 2 {
			t.Fatalf("rosters after replacing B's: B %d (want 1), D %d (want 2)", b, d)
		}
		// B's only roster worker is active now: compliant.
		expect(t, "1000000000002", map[string][2]int64{}, 0)
	})

	t.Run("a participants file is a full snapshot of the NPPs it names", func(t *testing.T) {
		// C's new snapshot: C1 left (missing), C2 now at the UMP. D is not in the file and keeps
		// its earlier snapshot.
		load(t, im, "participants", `npp,nik,nama,upah,status
C0000003,3171010101900022,C2,5396761,aktif
C0000003,3171010101900023,C3,6000000,aktif
C0000003,3171010101900024,C4,6000000,aktif
`)
		// 10 − 3 active = 7 unenrolled: 7 × 498,660.7164 = 3,490,625.0148; no PDS_UPAH any more.
		expect(t, "1000000000003", map[string][2]int64{"PDS_TK": {7, 3490625}}, 3490625)
		expect(t, "1000000000004", map[string][2]int64{"PDS_UPAH": {1, 92400}, "PDS_PROGRAM": {2, 1609422}, "MENUNGGAK": {0, 1000000}},
			92400+1609422+1000000)
		var snapshots, oldRows int
		if err := dbtest.DB(t).Get(&snapshots, `SELECT count(*) FROM participant_snapshots WHERE npp = 'C0000003'`); err != nil {
			t.Fatal(err)
		}
		if err := dbtest.DB(t).Get(&oldRows, `SELECT count(*) FROM participants p JOIN participant_snapshots s USING (npp, import_id)
			WHERE p.npp = 'C0000003' AND p.nik = '3171010101900021'`); err != nil {
			t.Fatal(err)
		}
		if snapshots != 2 || oldRows != 1 {
			t.Fatalf("C snapshots %d (want 2), C1 kept in the old one: %d (want 1)", snapshots, oldRows)
		}
	})

	t.Run("the rates in force on the day of computation apply", func(t *testing.T) {
		// In 2026 the UMP is 5,729,876: A's PWBD becomes 3 × 5,729,876 × 9.24% = 1,588,321.6272.
		im.Now = func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }
		load(t, im, "employers", employersCSV+"1000000000009,,Pemicu,Jl. X,31.71.01.1001,,mikro,0\n")
		expect(t, "1000000000001", map[string][2]int64{"PWBD": {3, 1588321}}, 1588321)
	})
}

// Data of its own (other NIBs, NPPs and NIKs than TestFlagRulesOnHandMadeCases), so the test
// holds whichever runs first.
const (
	recomputeEmployers = `nib,npwp,nama,alamat,kode_kelurahan,kbli,skala,jumlah_pekerja
2000000000001,,R Tanpa NPP,Jl. R,31.71.01.1001,,besar,4
2000000000002,,S Menengah,Jl. S,31.75.01.1001,,menengah,3
`
	recomputeBPJS = `npp,nib,npwp,nama,kode_kelurahan,jkk,jkm,jht,jp,jkp,tunggakan_bulan,tunggakan_rp
S0000002,2000000000002,,S Menengah,31.75.01.1001,Y,Y,N,N,N,4,4000000
`
	recomputeParticipants = `npp,nik,kpj,nama,upah,status,tanggal_kepesertaan
S0000002,3172010101900001,,S Satu,4000000,aktif,2020-02-01
`
)

func TestRecomputeAllMatchesIncremental(t *testing.T) {
	dbtest.Isolate(t) // the rules read the whole database: no other test's data
	d := dbtest.DB(t)
	today := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	im, err := importer.New(d, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	im.Now = func() time.Time { return today }
	load(t, im, "employers", recomputeEmployers)
	load(t, im, "bpjs_employers", recomputeBPJS)
	load(t, im, "participants", recomputeParticipants)

	const flagsQuery = `SELECT employer_id, code, workers, shortfall_rp, detail FROM employer_flags ORDER BY 1, 2`
	var before []flags.Flag
	if err := d.Select(&before, flagsQuery); err != nil {
		t.Fatal(err)
	}
	var ours int
	if err := d.Get(&ours, `SELECT count(*) FROM employer_flags f JOIN employers e ON e.id = f.employer_id
		WHERE e.nib IN ('2000000000001', '2000000000002')`); err != nil {
		t.Fatal(err)
	}
	if ours < 3 {
		t.Fatalf("the incremental computation raised %d flags on the test's employers, want PWBD, PDS_TK, PDS_UPAH and more", ours)
	}
	tx := d.MustBegin()
	t.Cleanup(func() {
		if err := tx.Rollback(); err != nil {
			t.Error(err)
		}
	})
	if err := flags.RecomputeAll(context.Background(), tx, today); err != nil {
		t.Fatal(err)
	}
	var after []flags.Flag
	if err := tx.Select(&after, flagsQuery); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("a full recomputation changed the flags:\n%v\n%v", before, after)
	}
	// Nothing changed, so nothing was written: the flag and status rows are the same row
	// versions (a rewrite would leave a dead row for each and slow every reader meanwhile).
	// xid8 to xid keeps the low 32 bits, which is what xmin holds, whatever the xid epoch.
	var rewritten int
	if err := tx.Get(&rewritten, `SELECT (SELECT count(*) FROM employer_flags WHERE xmin = pg_current_xact_id()::xid)
		+ (SELECT count(*) FROM employer_status WHERE xmin = pg_current_xact_id()::xid)`); err != nil {
		t.Fatal(err)
	}
	if rewritten != 0 {
		t.Fatalf("%d unchanged rows rewritten", rewritten)
	}
}
