package flags_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"patuh/internal/db/dbtest"
	"patuh/internal/flags"
	"patuh/internal/i18n"
	"patuh/internal/importer"
)

// participantsOf writes n active participants of npp at 6,000,000, the first at low.
func participantsOf(npp string, first, n int, low int) string {
	var b strings.Builder
	for i := range n {
		wage := 6000000
		if i == 0 {
			wage = low
		}
		fmt.Fprintf(&b, "%s,3171010101%06d,,P%d,%d,aktif,2020-02-01\n", npp, 900100+first+i, i, wage)
	}
	return b.String()
}

// TestUnknownScaleIsEstimated: an employer known to BPJS only has its scale estimated from its
// active participants (BPS bands), and the estimate decides the programs and the UMP alike.
func TestUnknownScaleIsEstimated(t *testing.T) {
	dbtest.Isolate(t) // the rules read the whole database: no other test's data
	im, err := importer.New(dbtest.DB(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	im.Now = func() time.Time { return june2025 }
	load(t, im, "employers", "nib,nama,kode_kelurahan,skala,jumlah_pekerja\n1000000000001,Pemicu,31.71.01.1001,mikro,0\n")
	load(t, im, "bpjs_employers", `npp,nib,npwp,nama,kode_kelurahan,jkk,jkm,jht,jp,jkp,tunggakan_bulan,tunggakan_rp
K0000001,,01.707.865.0-421.000,K Hanya BPJS,,Y,Y,N,N,N,,
M0000001,,02.707.865.8-421.000,M Hanya BPJS,,Y,Y,Y,Y,N,,
`)
	load(t, im, "participants", "npp,nik,kpj,nama,upah,status,tanggal_kepesertaan\n"+
		participantsOf("K0000001", 0, 6, 4000000)+participantsOf("M0000001", 100, 25, 4000000))

	// K: 6 active, estimated kecil: JHT is mandatory and missing, on every wage:
	// (5 × 6,000,000 + 4,000,000) × 5.70% = 1,938,000. The UMP does not bind a kecil employer.
	// (Taken as mikro, it had no flag at all: JKK and JKM are there.)
	expect(t, "0017078650421000", map[string][2]int64{"PDS_PROGRAM": {6, 1938000}}, 1938000)
	// M: 25 active, estimated menengah: the UMP binds, at the full rate of its four programs:
	// (5,396,761 − 4,000,000) × 9.24% = 129,060.7164. (Taken as mikro: × 0.54% = 7,542.)
	expect(t, "0027078658421000", map[string][2]int64{"PDS_UPAH": {1, 129060}}, 129060)

	var list []flags.Flag
	if err := dbtest.DB(t).Select(&list, `SELECT f.code, f.workers, f.shortfall_rp, f.detail FROM employer_flags f
		JOIN employers e ON e.id = f.employer_id WHERE e.npwp = '0017078650421000'`); err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	if d := list[0].Data; d.EstimatedSkala != "kecil" || d.Active == nil || *d.Active != 6 || len(d.Missing) != 1 {
		t.Fatalf("detail data: %+v", d)
	}
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := list[0].Text(b.For("id")), "program wajib yang belum diikuti: JHT (skala tidak diketahui; diperkirakan kecil dari 6 peserta aktif)"; got != want {
		t.Errorf("id: %q, want %q", got, want)
	}
	if got := list[0].Text(b.For("en")); !strings.Contains(got, "estimated kecil from 6 active participants") {
		t.Errorf("en: %q", got)
	}

	// The evidence behind M's PDS_UPAH follows the same estimate.
	var mID int64
	if err := dbtest.DB(t).Get(&mID, `SELECT id FROM employers WHERE npwp = '0027078658421000'`); err != nil {
		t.Fatal(err)
	}
	under, _ := flags.Underreported(context.Background(), dbtest.DB(t), mID, june2025)
	if len(under) != 1 || under[0].UpahPaid != 5396761 {
		t.Errorf("underreported of M: %+v", under)
	}
}
